//! The exported C functions of the other instrumentation styles: markers
//! (include/ust/marker.h). Each goes through `guard` and checks its
//! pointers before handing them to its module.

use super::guard;
use crate::marker::{self, Marker};
use crate::tracef;
use std::ffi::c_int;

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

/// Registers the provider of `tracef` (called by the first module using it).
#[no_mangle]
pub extern "C" fn ust_tracef_provider_register() -> c_int {
    guard("tracef registration", tracef::register_tracef)
}

/// Registers the provider of `tracelog` (called by the first module using it).
#[no_mangle]
pub extern "C" fn ust_tracelog_provider_register() -> c_int {
    guard("tracelog registration", tracef::register_tracelog)
}
