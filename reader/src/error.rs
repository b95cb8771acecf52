//! The reader's one error type: which file, where in it, what is wrong.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub path: PathBuf,
    /// Byte offset in `path`, when the problem is at a place in the file.
    pub offset: Option<u64>,
    pub msg: String,
}

impl ReadError {
    pub fn new(path: &Path, msg: impl Into<String>) -> ReadError {
        ReadError {
            path: path.to_path_buf(),
            offset: None,
            msg: msg.into(),
        }
    }

    pub fn at(path: &Path, offset: u64, msg: impl Into<String>) -> ReadError {
        ReadError {
            path: path.to_path_buf(),
            offset: Some(offset),
            msg: msg.into(),
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.offset {
            Some(off) => write!(
                f,
                "{}: byte offset {off}: {}",
                self.path.display(),
                self.msg
            ),
            None => write!(f, "{}: {}", self.path.display(), self.msg),
        }
    }
}

impl std::error::Error for ReadError {}
