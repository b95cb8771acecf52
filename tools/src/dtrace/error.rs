//! Where in a provider file something went wrong, and what: the one error type of
//! `ust-dtrace`, printed as `FILE:LINE:COLUMN: error: MESSAGE` (the form compilers use, so
//! editors and build logs point at the spot).

use std::fmt;
use std::rc::Rc;

/// A place in a source file: 1-based line and column (in characters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pos {
    pub file: Rc<str>,
    pub line: u32,
    pub col: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// An error, with the place it refers to when there is one.
#[derive(Debug)]
pub struct Error {
    pub pos: Option<Pos>,
    pub msg: String,
}

impl Error {
    /// An error at a place in the provider file.
    pub fn at(pos: &Pos, msg: impl Into<String>) -> Error {
        Error {
            pos: Some(pos.clone()),
            msg: msg.into(),
        }
    }

    /// An error about the run as a whole (a file that cannot be read, a failed compiler).
    pub fn plain(msg: impl Into<String>) -> Error {
        Error {
            pos: None,
            msg: msg.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.pos {
            Some(pos) => write!(f, "{pos}: error: {}", self.msg),
            None => write!(f, "ust-dtrace: error: {}", self.msg),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
