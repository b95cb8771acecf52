//! Kernel events without lttng-modules: `ust trace --kernel sched,irq,syscalls` records the
//! kernel's own tracepoints and writes them as an LTTng kernel trace (lttng-modules' event
//! and field names, types and meanings, one stream per CPU, LTTng's kernel packet context
//! and `env`) beside the userspace trace, on the same clock.
//!
//! Mechanism: `perf_event_open` on each tracepoint, one event per CPU, stamped with
//! CLOCK_MONOTONIC (`use_clockid`), all of a CPU's events writing into one ring mapped here.
//! Chosen over a tracefs instance read through `trace_pipe_raw` (cheaper per event in the
//! kernel, see the README's measurements) because perf events belong to their file
//! descriptors (a recorder killed with SIGKILL leaves nothing tracing, where an instance keeps
//! recording until someone removes it), report lost records with exact counts, and are
//! allowed to a user with CAP_PERFMON rather than to root only.
//!
//! Modules: `category` (what a user asks for), `tracefs` and `format` (tracepoint ids and
//! record layouts, read from the running kernel), `perf` (the system call and the rings: the
//! unsafe code around shared memory), `mapping` (tracepoint records to LTTng events),
//! `syscalls` (number to name tables), `statedump` (threads alive at start, from /proc),
//! `schema` (LTTng's classes and payload layout), `metadata` and `stream` (the CTF trace),
//! `recorder` (the thread that ties them), `error` and `sysfile` (messages, bounded reads).
//!
//! Use: `KernelRecorder::start(dir, &categories, &clock, &options)` then `stop()`; or, where
//! the files must belong to someone else than the tracepoints' opener (the daemon),
//! `KernelRecorder::open`, then `create` with the owner's file-system identity, then `start`.

mod category;
mod error;
mod format;
mod mapping;
mod metadata;
mod perf;
mod recorder;
mod schema;
mod statedump;
mod stream;
mod syscalls;
mod sysfile;
mod tracefs;

pub use category::Categories;
pub use error::Error;
pub use metadata::ClockBlock;
pub use recorder::{KernelRecorder, Options, Stats};
