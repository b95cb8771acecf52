//! How this process is traced, decided once, at the first registration:
//! by a daemonless session (`UST_TRACE`, see `session`), by a daemon
//! through the agent (see `agent`), or not at all (a bad `UST_*` value).
//! The chosen one becomes the registry's `Interest`. Also the process-wide
//! hooks: the fork handler and the exit flush.
//!
//! Layers, bottom up: `registry`, `handle`, `channel`, `ringbuf`, `grace`
//! (no session knowledge) ← `session`, `agent` (each drives the registry
//! through `registry::Interest` and `registry::refresh`) ← this module ←
//! `ffi` (the C entry points).

use crate::agent;
use crate::channel;
use crate::config;
use crate::grace;
use crate::registry;
use crate::schema::EventSchema;
use crate::session::Session;
use once_cell::sync::OnceCell;

static MODE: OnceCell<Mode> = OnceCell::new();

/// How this process is traced.
enum Mode {
    /// `UST_TRACE=DIR`: the process writes its own trace.
    Daemonless(&'static Session),
    /// No `UST_TRACE`: a daemon may enable events (see `agent`).
    Daemon,
    /// A bad `UST_*` setting: not traced.
    Off,
}

/// Decides the mode on first use.
fn mode() -> &'static Mode {
    MODE.get_or_init(|| {
        // SAFETY: registers plain extern "C" functions.
        unsafe { libc::pthread_atfork(None, None, Some(after_fork_in_child)) };
        match config::from_env() {
            Ok(None) => {
                registry::set_interest(agent::interest());
                Mode::Daemon
            }
            Ok(Some(c)) => match Session::start(c) {
                Ok(s) => {
                    registry::set_interest(s);
                    Mode::Daemonless(s)
                }
                Err(msg) => off(&msg),
            },
            Err(msg) => off(&msg),
        }
    })
}

fn off(msg: &str) -> Mode {
    eprintln!("ust: {msg}; tracing disabled");
    Mode::Off
}

/// Before the first registration: settles how the process is traced.
pub fn start() {
    mode();
}

/// A provider's events were registered: a daemon hears of them.
pub fn provider_registered(schemas: Vec<EventSchema>) {
    if matches!(mode(), Mode::Daemon) {
        agent::provider_registered(schemas);
    }
}

/// At process exit: writes out the daemonless session's trace.
pub fn shutdown() {
    if let Some(Mode::Daemonless(session)) = MODE.get() {
        session.finish();
    }
}

extern "C" fn after_fork_in_child() {
    channel::after_fork_in_child();
    grace::after_fork_in_child();
    if matches!(MODE.get(), Some(Mode::Daemon)) {
        agent::after_fork_in_child();
    }
}
