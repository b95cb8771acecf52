//! Custom probes (`DECLARE_TRACE`/`DEFINE_TRACE`, include/ust/
//! declare-trace.h): the probe array of each tracepoint site, replaced —
//! never modified in place — when a probe is registered or unregistered,
//! and freed only after a grace period (`grace`), so a thread calling the
//! tracepoint always walks a complete array and no probe runs with its
//! `data` after its unregistration returned. Updates are serialized by one
//! lock; the hot path (the C call site) takes none.

use crate::grace;
use once_cell::sync::Lazy;
use std::ffi::{c_char, c_void};
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Mutex;

/// `struct ust_probe`: one attached probe. A NULL `func` ends an array.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Probe {
    pub func: Option<unsafe extern "C" fn()>,
    pub data: *mut c_void,
}

impl Probe {
    /// The same function (by address) with the same data.
    fn same(&self, other: &Probe) -> bool {
        self.func.map(|f| f as usize) == other.func.map(|f| f as usize) && self.data == other.data
    }
}

/// `struct ust_probe_site`: a tracepoint defined by DEFINE_TRACE.
#[repr(C)]
pub struct ProbeSite {
    pub struct_size: u32,
    pub reserved: u32,
    pub name: *const c_char,
    /// NULL, or a NULL-terminated array allocated here.
    pub probes: AtomicPtr<Probe>,
}

/// Why a registration change was refused (returned to C as `-errno`).
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// This probe and data are already attached (EEXIST).
    Exists,
    /// This probe and data are not attached (ENOENT).
    NotAttached,
    /// Unregistering from a probe would wait for itself (EDEADLK).
    FromProbe,
    /// A NULL site or probe, or an unknown site layout (EINVAL).
    Invalid,
    /// No grace period can be had (ENOSYS); the probe stays attached.
    NoGracePeriod(String),
}

impl Refusal {
    pub fn errno(&self) -> i32 {
        match self {
            Refusal::Exists => libc::EEXIST,
            Refusal::NotAttached => libc::ENOENT,
            Refusal::FromProbe => libc::EDEADLK,
            Refusal::Invalid => libc::EINVAL,
            Refusal::NoGracePeriod(_) => libc::ENOSYS,
        }
    }
}

/// Arrays replaced by a registration made from a probe: freed after the
/// next grace period.
#[derive(Default)]
struct Retired(Vec<usize>);

static UPDATES: Lazy<Mutex<Retired>> = Lazy::new(Mutex::default);

/// The probes of an array (without its terminator).
///
/// # Safety
/// `array` is NULL or an array made by `publish`, not yet freed.
unsafe fn probes_of(array: *const Probe) -> Vec<Probe> {
    let mut list = Vec::new();
    if array.is_null() {
        return list;
    }
    let mut at = array;
    // SAFETY: the array is terminated by a NULL func.
    unsafe {
        while (*at).func.is_some() {
            list.push(*at);
            at = at.add(1);
        }
    }
    list
}

/// A NULL-terminated heap array of `probes`, or NULL when there are none.
fn publish(probes: &[Probe]) -> *mut Probe {
    if probes.is_empty() {
        return std::ptr::null_mut();
    }
    let mut v = probes.to_vec();
    v.push(Probe {
        func: None,
        data: std::ptr::null_mut(),
    });
    Box::into_raw(v.into_boxed_slice()).cast::<Probe>()
}

/// Frees an array made by `publish`.
///
/// # Safety
/// No thread can reach `array` any more (a grace period has passed).
unsafe fn free(array: *mut Probe) {
    // SAFETY: per the contract; the length is the probes plus terminator.
    unsafe {
        let len = probes_of(array).len() + 1;
        drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(
            array, len,
        )));
    }
}

/// # Safety
/// `site` is NULL or a probe site defined by DEFINE_TRACE.
unsafe fn checked<'a>(site: *const ProbeSite) -> Result<&'a ProbeSite, Refusal> {
    if site.is_null() {
        return Err(Refusal::Invalid);
    }
    // SAFETY: non-NULL site per the contract.
    let site = unsafe { &*site };
    if (site.struct_size as usize) < std::mem::size_of::<ProbeSite>() {
        return Err(Refusal::Invalid);
    }
    Ok(site)
}

/// Waits for a grace period, then frees `old` and the arrays retired
/// before it began (those retired during it wait for the next one).
fn free_after_grace_period(old: *mut Probe) -> Result<(), String> {
    let retired = std::mem::take(&mut UPDATES.lock().unwrap_or_else(|e| e.into_inner()).0);
    if let Err(msg) = wait_for_readers() {
        UPDATES
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .extend(retired.iter().copied().chain([old as usize]));
        return Err(msg);
    }
    for array in retired.into_iter().chain([old as usize]) {
        if array != 0 {
            // SAFETY: replaced before the grace period began.
            unsafe { free(array as *mut Probe) };
        }
    }
    Ok(())
}

/// How long unregistering waits for threads still running a probe.
const READER_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// A grace period: no thread still runs a probe it found before the call.
fn wait_for_readers() -> Result<(), String> {
    grace::available()?;
    if grace::synchronize(std::time::Instant::now() + READER_WAIT) {
        Ok(())
    } else {
        Err(format!(
            "a thread stayed inside a probe or tracepoint for {} s",
            READER_WAIT.as_secs()
        ))
    }
}

/// Attaches `probe` to `site`.
///
/// # Safety
/// `site` is NULL or a probe site that stays valid while probes are
/// attached to it.
pub unsafe fn register(site: *const ProbeSite, probe: Probe) -> Result<(), Refusal> {
    // SAFETY: per this function's contract.
    let site = unsafe { checked(site) }?;
    if probe.func.is_none() {
        return Err(Refusal::Invalid);
    }
    let old = {
        let mut retired = UPDATES.lock().unwrap_or_else(|e| e.into_inner());
        let old = site.probes.load(Ordering::Acquire);
        // SAFETY: the current array is alive while updates are locked out.
        let mut list = unsafe { probes_of(old) };
        if list.iter().any(|p| p.same(&probe)) {
            return Err(Refusal::Exists);
        }
        list.push(probe);
        site.probes.store(publish(&list), Ordering::Release);
        if grace::inside() {
            retired.0.push(old as usize);
            return Ok(());
        }
        old
    };
    // The probe is attached either way; only freeing the old array waits.
    if let Err(msg) = free_after_grace_period(old) {
        eprintln!("ust: {msg}; a replaced probe array is kept");
    }
    Ok(())
}

/// Detaches `probe` from `site` and waits until no thread runs it.
///
/// # Safety
/// `site` is NULL or a probe site defined by DEFINE_TRACE.
pub unsafe fn unregister(site: *const ProbeSite, probe: Probe) -> Result<(), Refusal> {
    // SAFETY: per this function's contract.
    let site = unsafe { checked(site) }?;
    if grace::inside() {
        return Err(Refusal::FromProbe);
    }
    grace::available().map_err(Refusal::NoGracePeriod)?;
    let old = {
        let _updates = UPDATES.lock().unwrap_or_else(|e| e.into_inner());
        let old = site.probes.load(Ordering::Acquire);
        // SAFETY: the current array is alive while updates are locked out.
        let mut list = unsafe { probes_of(old) };
        let Some(at) = list.iter().position(|p| p.same(&probe)) else {
            return Err(Refusal::NotAttached);
        };
        list.remove(at);
        site.probes.store(publish(&list), Ordering::Release);
        old
    };
    free_after_grace_period(old).map_err(Refusal::NoGracePeriod)
}
