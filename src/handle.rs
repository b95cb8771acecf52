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
//! When the one target's filter is only integer comparisons, the handle
//! also offers it as value tests (`valuetest`): a serializer of ABI 1.2
//! runs them on the arguments, returns at once when they reject the event,
//! and otherwise reserves with `reserve_tested`, which goes the direct way
//! when the test it names is still the targets' own.
//!
//! Nothing here allocates, locks or makes a system call.

use crate::abi;
use crate::channel::Channel;
use crate::eventfilter::RecordFilter;
use crate::grace::{self, ThreadRecord};
use crate::valuetest;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::Arc;
use ust_filter::IntTest;

/// One recording of an event: into `channel`, as `event_id`, if `filter`
/// (when present) accepts it.
pub struct Target {
    pub channel: Arc<Channel>,
    pub event_id: u32,
    pub filter: Option<RecordFilter>,
}

/// Which way an event's reservations go.
enum Route {
    /// One target, no filter: straight into the ring buffer.
    Direct,
    /// One target whose filter is one integer comparison (the commonest
    /// filter): staged, then tested inline by `commit`.
    Tested(IntTest),
    /// Else: staged, then copied into each target that accepts it.
    Staged,
}

/// Every recording of an event at one moment; immutable once published.
pub struct Targets {
    route: Route,
    /// The one target's filter as value tests for the serializer: an event
    /// it passed goes the direct way.
    test: Option<&'static abi::EventTest>,
    items: Box<[Target]>,
}

impl Targets {
    /// The recordings `items`, or `None` when there are none.
    pub fn new(items: Vec<Target>) -> Option<Box<Targets>> {
        let (route, test) = match items.as_slice() {
            [] => return None,
            [one] => match &one.filter {
                None => (Route::Direct, None),
                Some(filter) => (
                    filter.int_test().map_or(Route::Staged, Route::Tested),
                    valuetest::of(filter),
                ),
            },
            _ => (Route::Staged, None),
        };
        Some(Box::new(Targets {
            route,
            test,
            items: items.into_boxed_slice(),
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
                test: AtomicPtr::new(std::ptr::null_mut()),
                reserve_tested,
            },
            targets: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// Makes `targets` the event's recordings; returns the previous ones,
    /// which threads may still be using: pass them to `grace::retire`.
    ///
    /// The targets are stored before their test, so a serializer that loads
    /// the new test finds the new targets (or later ones) in `reserve_tested`.
    pub fn publish(&self, targets: Option<Box<Targets>>) -> Option<Box<Targets>> {
        let test = targets
            .as_ref()
            .and_then(|t| t.test)
            .map_or(std::ptr::null(), std::ptr::from_ref);
        let new = targets.map_or(std::ptr::null_mut(), Box::into_raw);
        let old = self.targets.swap(new, Ordering::AcqRel);
        self.public.test.store(test.cast_mut(), Ordering::Release);
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
    // SAFETY: per this function's contract; no test was run.
    unsafe { reserve_after(h, std::ptr::null(), len, r) }
}

/// `ust_event_handle.reserve_tested`: `reserve` for an event that passed
/// `test`, which the serializer loaded from the handle.
///
/// # Safety
/// As for `reserve`; `test` is NULL or a test this handle published.
unsafe extern "C" fn reserve_tested(
    h: *const abi::EventHandle,
    test: *const abi::EventTest,
    len: usize,
    r: *mut abi::Reservation,
) -> *mut u8 {
    // SAFETY: per this function's contract.
    unsafe { reserve_after(h, test, len, r) }
}

/// `reserve` of an event that passed `test` (NULL: none was run).
///
/// # Safety
/// As for `reserve_tested`.
#[inline(always)]
unsafe fn reserve_after(
    h: *const abi::EventHandle,
    test: *const abi::EventTest,
    len: usize,
    r: *mut abi::Reservation,
) -> *mut u8 {
    // SAFETY: every `ust_event_handle` libust hands out is the first field
    // of a `Handle` (repr(C)), and handles are never freed.
    let h = unsafe { &*h.cast::<Handle>() };
    let Some(rec) = grace::enter() else {
        // SAFETY: as for this call.
        return unsafe { reserve_first(h, test, len, r) };
    };
    let targets = h.targets.load(Ordering::Acquire);
    // SAFETY: published targets stay alive until a grace period after they
    // are replaced, and this thread is inside its section.
    let Some(targets) = (unsafe { targets.as_ref() }) else {
        grace::leave(rec);
        return std::ptr::null_mut();
    };
    let tested = targets.test.is_some_and(|own| std::ptr::eq(own, test));
    if !tested && !matches!(targets.route, Route::Direct) {
        return stage(targets, rec, len, r);
    }
    match targets.items.first() {
        Some(t) => reserve_direct(t, rec, len, r),
        None => {
            grace::leave(rec);
            std::ptr::null_mut()
        }
    }
}

/// `reserve` in a thread that has no record yet (its first event): sets
/// the record up, then reserves.
///
/// # Safety
/// As for `reserve_tested`.
#[cold]
#[inline(never)]
unsafe fn reserve_first(
    h: &Handle,
    test: *const abi::EventTest,
    len: usize,
    r: *mut abi::Reservation,
) -> *mut u8 {
    if grace::current().is_none() {
        return std::ptr::null_mut();
    }
    // SAFETY: as for this call; this thread now has its record, so
    // `reserve_after` does not come back here.
    unsafe { reserve_after(&h.public, test, len, r) }
}

/// The direct `reserve`: room in the ring buffer of the one target.
#[inline(never)]
extern "C" fn reserve_direct(
    t: &Target,
    rec: &ThreadRecord,
    len: usize,
    r: *mut abi::Reservation,
) -> *mut u8 {
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
    std::ptr::null_mut()
}

/// The staged `reserve`: room in the thread's staging area.
#[inline(always)]
fn stage(targets: &Targets, rec: &ThreadRecord, len: usize, r: *mut abi::Reservation) -> *mut u8 {
    let Some(stage) = rec.stage_push(len) else {
        return stage_full(targets, rec);
    };
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
    stage
}

/// No room in the staging area (events nested deeper than it holds): the
/// event is dropped, and counted in every channel it was meant for.
#[cold]
#[inline(never)]
extern "C" fn stage_full(targets: &Targets, rec: &ThreadRecord) -> *mut u8 {
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
        grace::leave(rec);
        return;
    }
    // SAFETY: the targets and staged bytes `reserve` recorded; both stay
    // valid until this thread leaves its section and pops its stage.
    let (targets, payload) =
        unsafe { (&*((word & !STAGED) as *const Targets), staged(stage, len)) };
    if let Route::Tested(test) = &targets.route {
        match test.passes(payload) {
            // SAFETY: the words of this staged reservation.
            Some(true) => return unsafe { record_staged(targets, stage, len, rec) },
            Some(false) => return unstage(payload, rec),
            None => {}
        }
    }
    // SAFETY: the words of this staged reservation.
    unsafe { commit_staged(targets, stage, len, rec) }
}

/// Frees the room of the staged `payload` and leaves the thread's section:
/// the end of every staged event.
#[inline(always)]
fn unstage(payload: &[u8], rec: &ThreadRecord) {
    rec.stage_pop(payload.as_ptr());
    grace::leave(rec);
}

/// The staged `payload` of `len` bytes, as `reserve` recorded it.
///
/// # Safety
/// `stage` and `len` are the words of a staged reservation not committed yet.
unsafe fn staged<'a>(stage: u64, len: u64) -> &'a [u8] {
    // SAFETY: per the contract, `len` bytes this thread staged at `stage`,
    // there until it pops its stage.
    unsafe { std::slice::from_raw_parts(stage as *const u8, len as usize) }
}

/// The staged `commit` of an event the one target's test accepted (C
/// calling convention, like `commit`, so that `commit` jumps here).
///
/// # Safety
/// `stage` and `len` are the words of a staged reservation not committed yet.
#[inline(never)]
unsafe extern "C" fn record_staged(targets: &Targets, stage: u64, len: u64, rec: &ThreadRecord) {
    // SAFETY: per this function's contract.
    let payload = unsafe { staged(stage, len) };
    if let Some(t) = targets.items.first() {
        record(t, payload, rec);
    }
    unstage(payload, rec);
}

/// The staged `commit` in general: copies the payload into every target
/// that accepts it (C calling convention, like `commit`, which jumps here).
///
/// # Safety
/// `stage` and `len` are the words of a staged reservation not committed yet.
#[inline(never)]
unsafe extern "C" fn commit_staged(targets: &Targets, stage: u64, len: u64, rec: &ThreadRecord) {
    // SAFETY: per this function's contract.
    let payload = unsafe { staged(stage, len) };
    for t in targets.items.iter() {
        if t.filter.as_ref().is_none_or(|f| f.accepts(payload)) {
            record(t, payload, rec);
        }
    }
    unstage(payload, rec);
}

/// Copies an accepted staged payload into `t`'s channel (waiting for room
/// in a blocking channel when this is the thread's outermost event).
#[inline(always)]
fn record(t: &Target, payload: &[u8], rec: &ThreadRecord) {
    if let Some(res) = t
        .channel
        .reserve(t.event_id, payload.len(), rec.outermost())
    {
        // SAFETY: `reserve` returned room for `payload.len()` bytes, which
        // no one else touches until the commit below.
        unsafe {
            copy_payload(payload, res.payload);
            (*res.commit).fetch_add(res.len, Ordering::Release);
        }
    }
}

/// Copies `payload` to `dst`: small payloads (most events) with a few
/// unaligned loads and stores rather than a call to `memcpy`.
///
/// # Safety
/// `dst` is valid for writing `payload.len()` bytes and does not overlap it.
#[inline(always)]
unsafe fn copy_payload(payload: &[u8], dst: *mut u8) {
    let (src, len) = (payload.as_ptr(), payload.len());
    // SAFETY: the reads stay within `payload` and the writes within
    // `dst[..len]` (the caller's contract); two overlapping halves of 16 or
    // 8 bytes cover lengths up to twice their size.
    unsafe {
        match len {
            16..=32 => {
                let (head, tail) = (src.cast::<[u8; 16]>(), src.add(len - 16).cast::<[u8; 16]>());
                let (a, b) = (head.read_unaligned(), tail.read_unaligned());
                dst.cast::<[u8; 16]>().write_unaligned(a);
                dst.add(len - 16).cast::<[u8; 16]>().write_unaligned(b);
            }
            8..=15 => {
                let (a, b) = (
                    src.cast::<u64>().read_unaligned(),
                    src.add(len - 8).cast::<u64>().read_unaligned(),
                );
                dst.cast::<u64>().write_unaligned(a);
                dst.add(len - 8).cast::<u64>().write_unaligned(b);
            }
            _ => std::ptr::copy_nonoverlapping(src, dst, len),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eventfilter;
    use crate::ringbuf::{Geometry, RingBuffer};
    use crate::schema::{EventSchema, Field, FieldType, Int};

    /// An event of one 32-bit signed integer, `n`.
    fn schema() -> EventSchema {
        EventSchema {
            name: "p:e".into(),
            loglevel: 13,
            signature: String::new(),
            fields: vec![Field {
                name: "n".into(),
                ty: FieldType::Integer(Int {
                    bits: 32,
                    signed: true,
                    hex: false,
                    network: false,
                    text: false,
                }),
            }],
            model_emf_uri: None,
        }
    }

    /// A handle recording into a fresh channel, behind `expr`; its value tests; the channel.
    fn filtered_handle(expr: &str) -> (Handle, &'static abi::EventTest, Arc<Channel>) {
        let geo = Geometry {
            subbuf_size: 4096,
            num_subbuf: 2,
            overwrite: false,
        };
        let channel = Channel::create(crate::sysinfo::possible_cpus(), geo).expect("a channel");
        let channel = Arc::new(channel);
        let filter = eventfilter::bind(&[eventfilter::parse(expr).unwrap()], &schema());
        let handle = Handle::new();
        handle.publish(Targets::new(vec![Target {
            channel: channel.clone(),
            event_id: 1,
            filter,
        }]));
        let test = handle.public.test.load(Ordering::Acquire);
        // SAFETY: a published test is never freed.
        let test = unsafe { test.as_ref() }.expect("value tests");
        (handle, test, channel)
    }

    /// Bytes written into `channel` so far.
    fn written(channel: &Channel) -> u64 {
        channel.buffers().iter().map(RingBuffer::offset).sum()
    }

    /// Reserves (with `test` as the one the serializer ran, if any), writes `n`, commits;
    /// returns whether the reservation was staged.
    fn fire(h: &Handle, test: Option<&abi::EventTest>, n: i32) -> bool {
        let mut r = abi::Reservation { words: [0; 4] };
        // SAFETY: `h` is a live handle, `r` writable; the payload is 4 bytes.
        let p = unsafe {
            match test {
                Some(t) => (h.public.reserve_tested)(&h.public, t, 4, &mut r),
                None => (h.public.reserve)(&h.public, 4, &mut r),
            }
        };
        assert!(!p.is_null());
        // SAFETY: `reserve` gave room for 4 bytes; `r` is its reservation.
        unsafe {
            p.cast::<[u8; 4]>().write_unaligned(n.to_le_bytes());
            (h.public.commit)(&mut r);
        }
        r.words[0] & STAGED != 0
    }

    #[test]
    fn an_event_that_passed_the_handles_own_test_goes_the_direct_way() {
        let (h, own, channel) = filtered_handle("n > 5");
        let before = written(&channel);
        assert!(!fire(&h, Some(own), 6), "tested by the serializer");
        let once = written(&channel);
        assert!(once > before);
        assert!(fire(&h, None, 6), "not tested: filtered here");
        let twice = written(&channel);
        assert!(twice > once, "and kept");
        assert!(fire(&h, None, 5));
        assert_eq!(written(&channel), twice, "or rejected");
    }

    #[test]
    fn an_event_tested_against_a_replaced_filter_is_filtered_again() {
        let (_old, stale, _) = filtered_handle("n < 0");
        let (h, own, channel) = filtered_handle("n > 5");
        assert!(!std::ptr::eq(stale, own));
        let before = written(&channel);
        assert!(
            fire(&h, Some(stale), -1),
            "staged, then tested with the new filter"
        );
        assert_eq!(written(&channel), before, "which rejects it");
        assert!(fire(&h, Some(stale), 6));
        assert!(written(&channel) > before, "or keeps it");
    }
}
