//! Event handles: what a call site's tracepoint points to while its event
//! is recorded, and the two functions every handle hands to the generated
//! C serializer (`reserve`, `commit`): the enabled path between the
//! program's code and the channels.
//!
//! A handle belongs to one event (name and signature) for the life of the
//! process; what it records into, its `Targets` (channel, event id and
//! filter per recording), is replaced as sessions come and go. Old targets
//! are retired to `grace` and freed once no thread can still use them, so
//! channels are released while call sites keep their handle pointers.
//!
//! Two ways through:
//! - direct (one target, no filter): `reserve` returns room in the ring
//!   buffer itself and `commit` publishes it; the common case.
//! - staged (a filter, or several targets): `reserve` returns room in the
//!   thread's staging area (see `grace`); `commit` runs each target's filter
//!   on the finished payload and copies it into each channel that accepts
//!   it. A rejected event takes no buffer space and is not counted as lost.
//!
//! Nothing here allocates, locks or makes a system call.

use crate::abi;
use crate::channel::Channel;
use crate::grace::{self, ThreadRecord};
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::Arc;

/// Decides, from an event's serialized payload, whether a recording keeps it.
pub trait PayloadFilter: Send + Sync {
    fn accepts(&self, payload: &[u8]) -> bool;
}

/// One recording of an event: into `channel`, as `event_id`, if `filter`
/// (when present) accepts it.
pub struct Target {
    pub channel: Arc<Channel>,
    pub event_id: u32,
    pub filter: Option<Arc<dyn PayloadFilter>>,
}

/// Every recording of an event at one moment; immutable once published.
pub struct Targets {
    items: Box<[Target]>,
    direct: bool,
}

impl Targets {
    /// The recordings `items`, or `None` when there are none.
    pub fn new(items: Vec<Target>) -> Option<Box<Targets>> {
        if items.is_empty() {
            return None;
        }
        let direct = items.len() == 1 && items[0].filter.is_none();
        Some(Box::new(Targets {
            items: items.into_boxed_slice(),
            direct,
        }))
    }

    /// The recordings.
    pub fn items(&self) -> &[Target] {
        &self.items
    }
}

/// An event's handle: the public part C code sees, then the targets.
#[repr(C)]
pub struct Handle {
    pub public: abi::EventHandle,
    targets: AtomicPtr<Targets>,
}

impl Handle {
    /// A handle that records nowhere yet. Handles are never freed: a call
    /// site may hold one at any time.
    pub fn new() -> Handle {
        Handle {
            public: abi::EventHandle {
                struct_size: std::mem::size_of::<abi::EventHandle>() as u32,
                event_id: 0,
                reserve,
                commit,
            },
            targets: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// Makes `targets` the event's recordings; returns the previous ones,
    /// which threads may still be using: pass them to `grace::retire`.
    pub fn publish(&self, targets: Option<Box<Targets>>) -> Option<Box<Targets>> {
        let new = targets.map_or(std::ptr::null_mut(), Box::into_raw);
        let old = self.targets.swap(new, Ordering::AcqRel);
        // SAFETY: every non-NULL pointer stored here came from Box::into_raw
        // above, and is taken back exactly once (by the swap that removed it).
        (!old.is_null()).then(|| unsafe { Box::from_raw(old) })
    }

    /// Whether the event is recorded anywhere now.
    pub fn is_live(&self) -> bool {
        !self.targets.load(Ordering::Acquire).is_null()
    }
}

impl Default for Handle {
    fn default() -> Handle {
        Handle::new()
    }
}

/// Low bit of the first reservation word: the event is staged.
const STAGED: u64 = 1;

/// The reservation's words: [commit counter or targets | STAGED, length,
/// staged payload, thread record].
fn save(r: *mut abi::Reservation, words: [u64; 4]) {
    // SAFETY: the C serializer passes a writable `struct ust_reservation`.
    unsafe { (*r).words = words };
}

/// `ust_event_handle.reserve`: room for `len` payload bytes, or NULL when
/// the event is not recorded (or dropped, and counted).
///
/// # Safety
/// `h` is a handle made by `Handle::new`, `r` a writable reservation.
unsafe extern "C" fn reserve(
    h: *const abi::EventHandle,
    len: usize,
    r: *mut abi::Reservation,
) -> *mut u8 {
    // SAFETY: every `ust_event_handle` libust hands out is the first field
    // of a `Handle` (repr(C)), and handles are never freed.
    let h = unsafe { &*h.cast::<Handle>() };
    let Some(rec) = grace::enter() else {
        return std::ptr::null_mut();
    };
    let targets = h.targets.load(Ordering::Acquire);
    // SAFETY: published targets stay alive until a grace period after they
    // are replaced, and this thread is inside its section.
    let Some(targets) = (unsafe { targets.as_ref() }) else {
        grace::leave(rec);
        return std::ptr::null_mut();
    };
    if targets.direct {
        let t = &targets.items[0];
        if let Some(res) = t.channel.reserve(t.event_id, len, rec.outermost()) {
            save(
                r,
                [
                    res.commit as u64,
                    res.len,
                    0,
                    std::ptr::from_ref(rec) as u64,
                ],
            );
            return res.payload;
        }
        grace::leave(rec);
        return std::ptr::null_mut();
    }
    stage(targets, rec, len, r)
}

/// The staged `reserve`: room in the thread's staging area.
#[inline(never)]
fn stage(targets: &Targets, rec: &ThreadRecord, len: usize, r: *mut abi::Reservation) -> *mut u8 {
    if let Some(stage) = rec.stage_push(len) {
        let word = std::ptr::from_ref(targets) as u64 | STAGED;
        save(
            r,
            [
                word,
                len as u64,
                stage as u64,
                std::ptr::from_ref(rec) as u64,
            ],
        );
        return stage;
    }
    targets.items.iter().for_each(|t| t.channel.discard_one());
    grace::leave(rec);
    std::ptr::null_mut()
}

/// `ust_event_handle.commit`: publishes the event reserved in `r`.
///
/// # Safety
/// `r` was filled by a successful `reserve` and not committed yet.
unsafe extern "C" fn commit(r: *mut abi::Reservation) {
    // SAFETY: per the contract, `reserve` wrote these words.
    let [word, len, stage, rec] = unsafe { (*r).words };
    // SAFETY: `reserve` stored this thread's record, never unmapped.
    let rec = unsafe { &*(rec as *const ThreadRecord) };
    if word & STAGED == 0 {
        // SAFETY: a slot counter of a buffer whose channel cannot be freed
        // before this thread leaves its section.
        unsafe { (*(word as *const AtomicU64)).fetch_add(len, Ordering::Release) };
    } else {
        commit_staged(word & !STAGED, len, stage, rec);
    }
    grace::leave(rec);
}

/// The staged `commit`: delivers the staged payload, frees its room.
#[inline(never)]
fn commit_staged(targets: u64, len: u64, stage: u64, rec: &ThreadRecord) {
    // SAFETY: the targets and staged bytes `reserve` recorded; both stay
    // valid until this thread leaves its section and pops its stage.
    let (targets, payload) = unsafe {
        (
            &*(targets as *const Targets),
            std::slice::from_raw_parts(stage as *const u8, len as usize),
        )
    };
    deliver(targets, payload, rec.outermost());
    rec.stage_pop(len as usize);
}

/// Copies a staged payload into every target that accepts it (waiting for
/// room in blocking channels when `may_wait`).
fn deliver(targets: &Targets, payload: &[u8], may_wait: bool) {
    for t in targets.items.iter() {
        if t.filter.as_ref().is_some_and(|f| !f.accepts(payload)) {
            continue;
        }
        if let Some(res) = t.channel.reserve(t.event_id, payload.len(), may_wait) {
            // SAFETY: `reserve` returned room for `payload.len()` bytes.
            unsafe {
                std::ptr::copy_nonoverlapping(payload.as_ptr(), res.payload, payload.len());
                (*res.commit).fetch_add(res.len, Ordering::Release);
            }
        }
    }
}
