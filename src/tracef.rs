//! The providers behind `tracef` and `tracelog` (include/ust/tracef.h,
//! tracelog.h): `lttng_ust_tracef:event` and the 30 events
//! `lttng_ust_tracelog:<level token>`, with the fields and log levels
//! LTTng-UST 2.13 gives them, registered together once per process when the
//! first module using either starts. The call sites and their recorders
//! are in the headers; this module only describes the events.

use crate::abi::{flag, kind};
use crate::dynevent::{EventSpec, FieldSpec, Provider};
use once_cell::sync::OnceCell;
use std::sync::Mutex;

/// `UST_TRACEF_SIGNATURE` of include/ust/tracef.h.
const TRACEF_SIGNATURE: &str = "ust-tracef-msg-1";
/// `UST_TRACELOG_SIGNATURE` of include/ust/tracelog.h.
const TRACELOG_SIGNATURE: &str = "ust-tracelog-line-file-func-msg-1";

/// The level names, by value (LTTng-UST's numbering, 0 = EMERG).
const LEVELS: [&str; 15] = [
    "EMERG",
    "ALERT",
    "CRIT",
    "ERR",
    "WARNING",
    "NOTICE",
    "INFO",
    "DEBUG_SYSTEM",
    "DEBUG_PROGRAM",
    "DEBUG_PROCESS",
    "DEBUG_MODULE",
    "DEBUG_UNIT",
    "DEBUG_FUNCTION",
    "DEBUG_LINE",
    "DEBUG",
];

/// TRACE_DEBUG, tracef's level.
const DEBUG: i32 = 14;

fn field(name: &str, kind: u16, flags: u16, elem_bits: u32, len_bits: u32) -> FieldSpec {
    FieldSpec {
        name: name.to_string(),
        kind,
        flags,
        elem_bits,
        length: 0,
        len_bits,
    }
}

/// `msg`: text (C `char`, signed here) with an `unsigned int` length.
fn msg() -> FieldSpec {
    field("msg", kind::SEQUENCE, flag::TEXT | flag::SIGNED, 8, 32)
}

/// The event of `tracef`.
pub fn tracef_events() -> Vec<EventSpec> {
    vec![EventSpec {
        name: "lttng_ust_tracef:event".into(),
        signature: TRACEF_SIGNATURE.into(),
        loglevel: Some(DEBUG),
        fields: vec![msg()],
    }]
}

/// The events of `tracelog`: each level under its UST (and LTTng-UST
/// <= 2.12) token, then under its LTTng-UST 2.13 token.
pub fn tracelog_events() -> Vec<EventSpec> {
    let fields = vec![
        field("line", kind::INTEGER, flag::SIGNED, 32, 0),
        field("file", kind::STRING, 0, 8, 0),
        field("func", kind::STRING, 0, 8, 0),
        msg(),
    ];
    let mut events = Vec::new();
    for prefix in ["TRACE_", "LTTNG_UST_TRACEPOINT_LOGLEVEL_"] {
        for (level, value) in LEVELS.iter().zip(0..) {
            events.push(EventSpec {
                name: format!("lttng_ust_tracelog:{prefix}{level}"),
                signature: TRACELOG_SIGNATURE.into(),
                loglevel: Some(value),
                fields: fields.clone(),
            });
        }
    }
    events
}

/// Registers the tracef and tracelog events (once per process), as one
/// provider: a daemon learns about all of them at the program's start-up.
pub fn register() -> Result<(), String> {
    static EVENTS: OnceCell<Mutex<Provider>> = OnceCell::new();
    EVENTS
        .get_or_try_init(|| {
            let mut events = tracef_events();
            events.extend(tracelog_events());
            Provider::register("lttng_ust_tracef", &events).map(Mutex::new)
        })
        .map(|_| ())
}
