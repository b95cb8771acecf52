//! The exported C functions of the other instrumentation styles: markers
//! (include/ust/marker.h), tracef/tracelog (tracef.h, tracelog.h) and
//! custom probes (declare-trace.h). Each catches panics and checks its
//! pointers before handing them to its module.

use super::guard;
use crate::grace::{self, Reader};
use crate::marker::{self, Marker};
use crate::probe::{self, Probe, ProbeSite, Refusal};
use crate::tracef;
use std::ffi::{c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Registers the markers of a module (called by its constructor).
///
/// # Safety
/// `markers` is NULL or points to `count` pointers to markers that stay
/// valid until `ust_markers_unregister`.
#[no_mangle]
pub unsafe extern "C" fn ust_markers_register(markers: *const *mut Marker, count: usize) -> c_int {
    guard("marker registration", || {
        if markers.is_null() {
            return Err("NULL marker array".into());
        }
        // SAFETY: non-NULL and valid per this function's contract.
        unsafe { marker::register(markers, count) }
    })
}

/// Unregisters the markers of a module (called by its destructor).
#[no_mangle]
pub extern "C" fn ust_markers_unregister(markers: *const *mut Marker) {
    guard("marker unregistration", || {
        marker::unregister(markers);
        Ok(())
    });
}

/// Registers the events of `tracef` and `tracelog` (called by the first
/// module using either).
#[no_mangle]
pub extern "C" fn ust_tracef_events_register() -> c_int {
    guard("tracef/tracelog registration", tracef::register)
}

/// Runs a probe-registration change: 0, or `-errno` (the reason is
/// printed only when it is the system's, not the caller's).
fn probe_change(what: &str, f: impl FnOnce() -> Result<(), Refusal>) -> c_int {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => 0,
        Ok(Err(refusal)) => {
            if let Refusal::NoGracePeriod(msg) = &refusal {
                eprintln!("ust: {what}: {msg}");
            }
            -refusal.errno()
        }
        Err(_) => {
            eprintln!("ust: {what}: internal error");
            -libc::EINVAL
        }
    }
}

/// Attaches `func(data, ...)` to a custom tracepoint (register_trace_NAME).
///
/// # Safety
/// `site` is NULL or a site defined by DEFINE_TRACE; `func` has the
/// site's probe type.
#[no_mangle]
pub unsafe extern "C" fn ust_probe_register(
    site: *const ProbeSite,
    func: Option<unsafe extern "C" fn()>,
    data: *mut c_void,
) -> c_int {
    probe_change("probe registration", || {
        // SAFETY: per this function's contract.
        unsafe { probe::register(site, Probe { func, data }) }
    })
}

/// Detaches `func(data, ...)` and waits until no thread runs it
/// (unregister_trace_NAME).
///
/// # Safety
/// `site` is NULL or a site defined by DEFINE_TRACE.
#[no_mangle]
pub unsafe extern "C" fn ust_probe_unregister(
    site: *const ProbeSite,
    func: Option<unsafe extern "C" fn()>,
    data: *mut c_void,
) -> c_int {
    probe_change("probe unregistration", || {
        // SAFETY: per this function's contract.
        unsafe { probe::unregister(site, Probe { func, data }) }
    })
}

/// The calling thread's record (its `struct ust_probe_reader` part), which
/// the caller caches; NULL if it cannot be had (the probes are then skipped).
#[no_mangle]
pub extern "C" fn ust_probe_reader_get() -> *const Reader {
    catch_unwind(grace::current)
        .ok()
        .flatten()
        .map_or(std::ptr::null(), |r| std::ptr::from_ref(&r.reader))
}
