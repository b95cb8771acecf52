//! LTTng's event filter language for UST: `ust view --filter`, `ust enable --filter`,
//! `UST_FILTER`.
//!
//! The language is LTTng-UST 2.13's, as `lttng-enable-event(1)` documents it, with its
//! semantics checked against lttng-tools and lttng-ust (see the README's "Filtering events"),
//! plus the arithmetic operators `+ - * / %`.
//!
//! Data path: `lexer` cuts the text into tokens → `parser` builds the `ast` and refuses what
//! LTTng refuses, with the column of the fault (`error`) → `program` binds the tree to one
//! event's fields (field paths resolved once, constants folded) and evaluates it with the
//! operators of `value` and the string comparisons of `text`. `layout` and `payload` bind to
//! UST's serialized payload bytes for record-time filtering, and `values` states the
//! commonest filters on field values for a serializer that tests them before writing;
//! readers bind with their own resolver through [`Filter::bind`]. This crate has no
//! dependency: libust links it.
//!
//! Record time, as the runtime uses it: parse once (`UST_FILTER`, `ust enable --filter`),
//! bind once per enabled event to its payload layout and the context fields it can offer,
//! then call `matches` on each event's serialized payload; a `ContextValues` gives context
//! values only when the filter asks for them.
//!
//! ```
//! use ust_filter::*;
//!
//! struct Context {
//!     vpid: i64,
//! }
//!
//! impl ContextValues for Context {
//!     fn value(&self, index: usize) -> Option<FieldValue<'_>> {
//!         match index {
//!             0 => Some(FieldValue::Int(self.vpid)),
//!             _ => None,
//!         }
//!     }
//! }
//!
//! let filter = Filter::parse("count > 10 && name == \"db*\" && $ctx.vpid != 1").unwrap();
//! let layout = EventLayout {
//!     fields: vec![
//!         FieldLayout::new("count", FieldKind::Int(IntLayout::new(32, false))),
//!         FieldLayout::new("name", FieldKind::String),
//!     ],
//! };
//! let bound = filter.bind_payload(&layout, &[ContextField::new("vpid", ValueKind::Int)]);
//! assert_eq!(bound.constant(), None);
//! let mut payload = 42u32.to_le_bytes().to_vec();
//! payload.extend_from_slice(b"db_query\0");
//! assert!(bound.matches(&payload, &Context { vpid: 4242 }));
//! assert!(!bound.matches(&payload[..6], &Context { vpid: 4242 }), "cut short: false");
//! ```
#![forbid(unsafe_code)]

mod ast;
mod error;
mod fastpath;
mod layout;
mod lexer;
mod parser;
mod payload;
mod program;
mod text;
mod value;
mod values;

pub use ast::{FieldPath, Scope, Segment};
pub use error::ParseError;
pub use fastpath::IntTest;
pub use layout::{ContextField, ContextValues, EventLayout, FieldKind, FieldLayout, IntLayout};
pub use parser::{MAX_DEPTH, MAX_SOURCE_LEN, MAX_STACK};
pub use payload::Bound;
pub use program::{FieldValue, Fields, Program, ValueKind};
pub use values::{ValueTest, ValueTests};

use ast::{Ast, NodeKind};
use std::str::FromStr;

/// A parsed and checked filter expression, not yet bound to any event.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    source: String,
    ast: Ast,
}

impl Filter {
    /// Parses `source`; refuses what LTTng 2.13 refuses when a filter is enabled.
    pub fn parse(source: &str) -> Result<Filter, ParseError> {
        Ok(Filter {
            source: source.to_string(),
            ast: parser::parse(source)?,
        })
    }

    /// The expression as given.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Every field path the expression reads, in order of appearance (with repeats).
    pub fn paths(&self) -> impl Iterator<Item = &FieldPath> {
        self.ast.nodes.iter().filter_map(|node| match &node.kind {
            NodeKind::Field(path) => Some(path),
            _ => None,
        })
    }

    /// Binds the filter to one event's fields: `resolve` maps each field path to a handle
    /// the caller's loader understands and to the field's type, or to `None` when the event
    /// has no such field (the filter is then false for every event).
    pub fn bind<L>(&self, resolve: impl FnMut(&FieldPath) -> Option<(L, ValueKind)>) -> Program<L> {
        program::bind(&self.ast, resolve)
    }
}

impl FromStr for Filter {
    type Err = ParseError;

    fn from_str(source: &str) -> Result<Filter, ParseError> {
        Filter::parse(source)
    }
}

/// The expression fully parenthesized, as UST understood it: `((flags & 16) == 16)`.
impl std::fmt::Display for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.ast.write(self.ast.root, f)
    }
}
