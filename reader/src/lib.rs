//! The CTF 1.8 trace reader behind `ust view`: reads UST, LTTng-UST and LTTng kernel traces.
//!
//! Data path: `trace` finds trace directories and their stream files → `metadata` (framing)
//! with `tsdl` (syntax) and `model` (meaning) builds the `types` → `stream` walks one stream's
//! packets and events lazily over an `mmap` of the file, using `decode` → `merge` orders all
//! streams by time → `pretty` (babeltrace2's text, simple structs through `flat`), `json` or
//! `summary` render events, with `fmt` and `time` for the text details. Nothing is read
//! before it is needed and the mapped pages behind the read position are handed back, so
//! memory stays flat whatever the trace size. Corrupt input is reported as a `ReadError`
//! naming the file and byte offset; it never panics or hangs.
//!
//! ```no_run
//! use ust_reader::{open_all, Merger, Pretty};
//! let traces = open_all(&["/tmp/trace".into()]).unwrap();
//! let mut merger = Merger::new(traces, true, false);
//! let mut pretty = Pretty::new(ust_reader::time::utc);
//! let mut line = Vec::new();
//! while let Some(ev) = merger.next_event() {
//!     pretty.event(&ev, &mut line).unwrap();
//! }
//! ```
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod decode;
pub mod error;
pub mod flat;
pub mod fmt;
pub mod json;
pub mod lookup;
pub mod merge;
pub mod metadata;
mod mmap;
pub mod model;
pub mod pretty;
pub mod stream;
pub mod summary;
pub mod time;
pub mod trace;
pub mod tsdl;
pub mod types;

pub use error::ReadError;
pub use json::Json;
pub use merge::{Event, LossReport, Merger};
pub use pretty::Pretty;
pub use stream::{Loss, Part};
pub use summary::Summary;
pub use trace::{open_all, Trace};
