//! The one error a filter expression can have: what is wrong, and at which column.

use std::fmt;

/// Why an expression was refused, at a 1-based column counted in characters.
///
/// Displays as one line, `column 17: expected an operand after '&&'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub column: usize,
    pub message: String,
}

impl ParseError {
    /// An error at byte offset `at` of `source`.
    pub(crate) fn at(source: &str, at: usize, message: impl Into<String>) -> ParseError {
        let at = at.min(source.len());
        let column = source.char_indices().take_while(|&(i, _)| i < at).count() + 1;
        ParseError {
            column,
            message: message.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for ParseError {}
