//! UST: a low-overhead userspace tracer for C and C++ programs.
//!
//! The data path, module by module: `registry` (providers and call sites,
//! which events are enabled) → `channel` (the enabled path: reserve/commit
//! on the current CPU's buffer) → `ringbuf` (lock-free per-CPU sub-buffers
//! in `shm`) → `consumer` (complete sub-buffers, as CTF packets, to an
//! `output`: stream files, or the daemon's chunks and relay streams) →
//! `ctf` (packet/event headers and TSDL metadata). Around them: `abi` and
//! `ffi` (the C interface), `descriptor` and `schema` (event descriptions),
//! `clock` (timestamps), `config` (UST_* variables), `session`
//! (daemonless tracing), `snapshot` (flight-recorder reads), `sysinfo`, `glob`. The other instrumentation
//! styles: `marker`, `tracef`, `dynevent` (events described at run time),
//! `probe` and `grace` (custom probes). The CTF reader is its own crate, `reader/`.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod abi;
pub mod agent;
pub mod channel;
pub mod clock;
pub mod config;
pub mod consumer;
pub mod ctf;
pub mod descriptor;
pub mod doorbell;
pub mod dynevent;
pub mod eventfilter;
pub mod ffi;
pub mod glob;
pub mod grace;
pub mod handle;
pub mod ipc;
pub mod marker;
pub mod output;
pub mod pacer;
pub mod probe;
pub mod registry;
pub mod ringbuf;
pub mod runtime;
pub mod schema;
pub mod session;
pub mod shm;
pub mod snapshot;
pub mod sysinfo;
pub mod threads;
pub mod tracedir;
pub mod tracef;
pub mod valuetest;
