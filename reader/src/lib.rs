//! The CTF 1.8 trace reader behind `ust view`: reads UST, LTTng-UST and LTTng kernel traces.
//!
//! Data path: `trace` finds trace directories and their stream files → `metadata` (framing)
//! with `tsdl` (syntax) and `model` (meaning) builds the `types` → `stream` walks one stream's
//! packets and events lazily, one packet in memory at a time (`file`), using `decode` →
//! `merge` orders all
//! streams by time → `pretty` (babeltrace2's text, simple structs through `flat`), `json`,
//! `chrome` (a timeline for Perfetto's UI) or `summary` render events, with `fmt` and `time` for the text details. Nothing is read
//! before it is needed and only the current packet of each stream is held, so memory stays
//! flat whatever the trace size. Corrupt input is reported as a `ReadError`
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

pub mod chrome;
pub mod decode;
pub mod error;
mod file;
pub mod flat;
pub mod fmt;
pub mod json;
pub mod lookup;
pub mod merge;
pub mod metadata;
pub mod model;
pub mod pretty;
pub mod stream;
pub mod summary;
pub mod time;
pub mod trace;
pub mod tsdl;
pub mod types;

pub use chrome::Chrome;
pub use error::ReadError;
pub use json::Json;
pub use merge::{Event, LossReport, Merger};
pub use pretty::Pretty;
pub use stream::{Loss, Part};
pub use summary::Summary;
pub use trace::{open_all, Trace};
