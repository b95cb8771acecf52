//! Per-thread tracing state, and the grace periods that let the runtime
//! free what a tracing thread might still be using.
//!
//! # What it owns
//! Every thread that reaches an enabled tracepoint or a custom probe gets a
//! `ThreadRecord`: a nesting counter (how many tracepoint calls and probe
//! walks of this thread are in progress, more than one when a signal handler
//! traces inside an event or a probe fires a tracepoint) and a staging area
//! for events that are filtered or recorded into several channels (see
//! `handle`). Records are found through an initial-exec TLS slot (two
//! instructions, no call); C code (the custom probes of
//! <ust/declare-trace.h>) reaches the same record, whose first bytes are
//! `struct ust_probe_reader`, through `ust_probe_reader_get` and caches it.
//! Records live in their own anonymous mappings and are never unmapped. When
//! a thread exits, its record is marked as leaving (a later tracepoint in
//! the same thread's exit handlers still uses it) and is handed to another
//! thread only once the kernel says the first one is gone.
//!
//! # Grace periods (membarrier-based quiescent-state detection)
//! A writer stores `nesting + 1` with a plain store, then loads what it
//! records into (a handle's targets); a releaser replaces that pointer,
//! calls `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`, which runs a full
//! memory barrier on every running thread of the process, then waits until
//! every other thread's nesting counter has been seen at zero. A thread seen
//! at zero after the barrier cannot hold the old pointer: its earlier
//! sections have ended, and any later one loads the new pointer. So the
//! hot path pays no atomic read-modify-write and no fence; the releaser pays
//! one system call and a scan. The wait is bounded: `synchronize` reports
//! failure at its deadline and `retire`d objects simply wait for a later,
//! successful grace period. Without membarrier, nothing is ever freed.
//!
//! Nothing on the hot path (`enter`, `leave`, the staging area) locks,
//! allocates or makes a system call, except once per thread, when its
//! record is first set up (an `mmap`).

use std::arch::{asm, global_asm};
use std::cell::Cell;
use std::sync::atomic::{compiler_fence, AtomicI32, AtomicPtr, AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

// The TLS slot holding this thread's record, in the initial-exec model, so
// reaching it is one load relative to %fs with no call to __tls_get_addr.
// (Rust has no stable way to pick a TLS model, hence the assembly.) glibc
// keeps room in static TLS for initial-exec libraries loaded by dlopen.
global_asm!(
    ".section .tbss,\"awT\",@nobits",
    ".p2align 3",
    ".globl ust_grace_slot",
    ".hidden ust_grace_slot",
    ".type ust_grace_slot,@object",
    ".size ust_grace_slot,8",
    "ust_grace_slot:",
    ".zero 8",
    ".text",
);

/// The address of this thread's `ust_grace_slot`.
#[inline(always)]
fn slot() -> *mut *mut ThreadRecord {
    let p: *mut *mut ThreadRecord;
    // SAFETY: reads the slot's offset from the GOT (a TPOFF relocation the
    // loader filled) and adds the thread pointer, which %fs:0 holds on
    // x86-64; both reads are of memory that is always mapped.
    unsafe {
        asm!(
            "mov {p}, qword ptr [rip + ust_grace_slot@GOTTPOFF]",
            "add {p}, qword ptr fs:[0]",
            p = out(reg) p,
            options(pure, readonly, nostack, preserves_flags),
        )
    };
    p
}

/// Size of a record's mapping: the record, then its staging area.
const RECORD_MAP: usize = 1 << 20;
/// Where the staging area starts in the mapping.
const STAGE_OFFSET: usize = 4096;

/// `struct ust_probe_reader` (include/ust/declare-trace.h): the part of a
/// thread's record that C code touches.
#[repr(C)]
pub struct Reader {
    pub struct_size: u32,
    /// Tracepoint calls and probe walks of the owner in progress; written
    /// only by the owner (plain stores), read by `synchronize`.
    pub nesting: AtomicU32,
}

/// A record's owner: none, a live thread, or a thread that is exiting.
const FREE: u32 = 0;
const OWNED: u32 = 1;
const LEAVING: u32 = 2;

/// One thread's tracing state. Lives in its own mapping, never unmapped.
#[repr(C, align(64))]
pub struct ThreadRecord {
    pub reader: Reader,
    /// FREE, OWNED or LEAVING.
    state: AtomicU32,
    /// The owner's kernel thread id (to tell when a leaving one is gone).
    tid: AtomicI32,
    /// The next record of the process-wide list (set before publication).
    next: *const ThreadRecord,
    /// Bytes of the staging area in use (a stack: nested events push).
    stage_top: Cell<usize>,
}

// SAFETY: other threads only read `nesting`, `state` and `tid` (atomics) and
// `next` (immutable once published); `stage_top` is touched by the owner only.
unsafe impl Sync for ThreadRecord {}

/// Head of the list of every record ever made (a push-only stack).
static RECORDS: AtomicPtr<ThreadRecord> = AtomicPtr::new(std::ptr::null_mut());
/// The pthread key whose destructor frees a record at thread exit (-1: not yet).
static EXIT_KEY: AtomicI32 = AtomicI32::new(-1);

impl ThreadRecord {
    /// Room for `len` bytes in the staging area (8-byte aligned), or `None`
    /// when full.
    #[inline(always)]
    pub fn stage_push(&self, len: usize) -> Option<*mut u8> {
        const ROOM: usize = RECORD_MAP - STAGE_OFFSET;
        let top = self.stage_top.get();
        if len > ROOM {
            return None;
        }
        let end = top + ((len + 7) & !7);
        if end > ROOM {
            return None;
        }
        self.stage_top.set(end);
        let base = std::ptr::from_ref(self).cast::<u8>().cast_mut();
        // SAFETY: the record sits at the start of a RECORD_MAP mapping, and
        // STAGE_OFFSET + end <= RECORD_MAP.
        Some(unsafe { base.add(STAGE_OFFSET + top) })
    }

    /// Releases the room from `stage` (a `stage_push` of this record) on:
    /// that push and every later one.
    #[inline(always)]
    pub fn stage_pop(&self, stage: *const u8) {
        let base = std::ptr::from_ref(self) as usize + STAGE_OFFSET;
        self.stage_top.set((stage as usize).wrapping_sub(base));
    }

    /// The owner's kernel thread id.
    pub fn tid(&self) -> i32 {
        self.tid.load(Ordering::Relaxed)
    }

    /// Whether this thread is inside exactly one tracepoint call (so not in
    /// a signal handler that interrupted one): the only place a writer may wait.
    #[inline]
    pub fn outermost(&self) -> bool {
        self.reader.nesting.load(Ordering::Relaxed) == 1
    }
}

/// Enters a tracepoint call: returns this thread's record with its nesting
/// counter raised, or `None` if the thread has no record yet (`current`
/// sets it up). Loads of shared tracing state must come after this and
/// before `leave`.
#[inline(always)]
pub fn enter() -> Option<&'static ThreadRecord> {
    // SAFETY: the slot is this thread's own; it holds NULL or a record
    // that is never unmapped.
    let rec = unsafe { (*slot()).as_ref() }?;
    let n = rec.reader.nesting.load(Ordering::Relaxed);
    rec.reader.nesting.store(n + 1, Ordering::Relaxed);
    // Keeps the compiler from moving the caller's loads above the store;
    // the CPU's own reordering is what `synchronize`'s membarrier covers.
    compiler_fence(Ordering::SeqCst);
    Some(rec)
}

/// Leaves a tracepoint call entered with `enter`.
#[inline(always)]
pub fn leave(rec: &ThreadRecord) {
    compiler_fence(Ordering::SeqCst);
    let n = rec.reader.nesting.load(Ordering::Relaxed);
    rec.reader
        .nesting
        .store(n.wrapping_sub(1), Ordering::Relaxed);
}

/// This thread's record, set up on first use; `None` if that failed.
#[inline(always)]
pub fn current() -> Option<&'static ThreadRecord> {
    // SAFETY: the slot is this thread's own; it holds NULL or a record
    // that is never unmapped.
    let rec = unsafe { *slot() };
    if rec.is_null() {
        adopt_record()
    } else {
        // SAFETY: as above.
        Some(unsafe { &*rec })
    }
}

/// Whether this thread is inside a tracepoint call or a probe walk.
pub fn inside() -> bool {
    // SAFETY: this thread's own slot, NULL or a record never unmapped.
    unsafe { (*slot()).as_ref() }.is_some_and(|r| r.reader.nesting.load(Ordering::Relaxed) != 0)
}

/// Gives this thread a record: a free one from the list, or a new mapping.
#[cold]
fn adopt_record() -> Option<&'static ThreadRecord> {
    let rec = reuse_record().or_else(new_record)?;
    // SAFETY: this thread's own slot.
    unsafe { *slot() = std::ptr::from_ref(rec).cast_mut() };
    watch_thread_exit(rec);
    Some(rec)
}

fn records() -> impl Iterator<Item = &'static ThreadRecord> {
    let mut at = RECORDS.load(Ordering::Acquire).cast_const();
    std::iter::from_fn(move || {
        // SAFETY: list members are records that are never unmapped; `next`
        // was set before each was published.
        let rec = unsafe { at.as_ref()? };
        at = rec.next;
        Some(rec)
    })
}

/// A free record, or one whose thread left and is gone, claimed for this thread.
fn reuse_record() -> Option<&'static ThreadRecord> {
    let claim = |r: &ThreadRecord, from| {
        r.state
            .compare_exchange(from, OWNED, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    };
    let rec = records().find(|r| {
        claim(r, FREE)
            || (r.state.load(Ordering::Relaxed) == LEAVING && gone(r) && claim(r, LEAVING))
    })?;
    rec.reader.nesting.store(0, Ordering::Relaxed);
    rec.stage_top.set(0);
    rec.tid.store(gettid(), Ordering::Relaxed);
    Some(rec)
}

fn gettid() -> i32 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() }
}

/// Whether the thread that left `rec` no longer exists.
fn gone(rec: &ThreadRecord) -> bool {
    // SAFETY: signal 0 only checks that the thread exists; nothing is sent.
    let r = unsafe {
        libc::syscall(
            libc::SYS_tgkill,
            libc::getpid(),
            rec.tid.load(Ordering::Relaxed),
            0,
        )
    };
    r != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
}

fn new_record() -> Option<&'static ThreadRecord> {
    // SAFETY: an anonymous private mapping at an address of the kernel's
    // choosing; MAP_NORESERVE so the staging area costs nothing until used.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            RECORD_MAP,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return None;
    }
    let rec = p.cast::<ThreadRecord>();
    let mut head = RECORDS.load(Ordering::Relaxed);
    loop {
        // SAFETY: the fresh mapping is zeroed, aligned and ours alone until
        // the CAS below publishes it.
        unsafe {
            rec.write(ThreadRecord {
                reader: Reader {
                    struct_size: std::mem::size_of::<Reader>() as u32,
                    nesting: AtomicU32::new(0),
                },
                state: AtomicU32::new(OWNED),
                tid: AtomicI32::new(gettid()),
                next: head,
                stage_top: Cell::new(0),
            })
        };
        match RECORDS.compare_exchange(head, rec, Ordering::Release, Ordering::Relaxed) {
            // SAFETY: published and never unmapped.
            Ok(_) => return Some(unsafe { &*rec }),
            Err(now) => head = now,
        }
    }
}

/// Arranges for `rec` to be handed back when this thread exits.
fn watch_thread_exit(rec: &ThreadRecord) {
    let key = exit_key();
    if key >= 0 {
        // SAFETY: `key` was created by pthread_key_create; the value is
        // only passed back to `thread_exited`.
        unsafe {
            libc::pthread_setspecific(key as libc::pthread_key_t, std::ptr::from_ref(rec).cast())
        };
    }
}

fn exit_key() -> i32 {
    let key = EXIT_KEY.load(Ordering::Acquire);
    if key >= 0 {
        return key;
    }
    let mut new: libc::pthread_key_t = 0;
    // SAFETY: creates a key whose destructor is a plain extern "C" function.
    if unsafe { libc::pthread_key_create(&mut new, Some(thread_exited)) } != 0 {
        return -1;
    }
    match EXIT_KEY.compare_exchange(-1, new as i32, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => new as i32,
        Err(winner) => {
            // SAFETY: `new` is our own key, unused.
            unsafe { libc::pthread_key_delete(new) };
            winner
        }
    }
}

extern "C" fn thread_exited(rec: *mut libc::c_void) {
    // SAFETY: the value set by `watch_thread_exit`: a record, never unmapped.
    let rec = unsafe { &*rec.cast::<ThreadRecord>() };
    // The thread may still trace from later exit handlers, with this record
    // (its slots still point here): it is reused once the thread is gone.
    rec.state.store(LEAVING, Ordering::Release);
}

/// In the child after fork(): only the calling thread survived, so every
/// other record is free (their threads, and their events, do not exist here).
pub fn after_fork_in_child() {
    // SAFETY: this thread's own slot.
    let mine = unsafe { *slot() }.cast_const();
    for rec in records().filter(|r| !std::ptr::eq(*r, mine)) {
        rec.reader.nesting.store(0, Ordering::Relaxed);
        rec.state.store(FREE, Ordering::Release);
    }
    // SAFETY: this thread's own slot.
    if let Some(rec) = unsafe { mine.as_ref() } {
        rec.tid.store(gettid(), Ordering::Relaxed);
    }
}

/// Whether the process may use MEMBARRIER_CMD_PRIVATE_EXPEDITED.
fn membarrier_ready() -> bool {
    static READY: once_cell::sync::OnceCell<bool> = once_cell::sync::OnceCell::new();
    *READY.get_or_init(|| {
        const REGISTER_PRIVATE_EXPEDITED: libc::c_long = 1 << 4;
        // SAFETY: registers this process for private expedited membarrier;
        // no memory is passed.
        unsafe { libc::syscall(libc::SYS_membarrier, REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0 }
    })
}

fn membarrier() -> bool {
    const PRIVATE_EXPEDITED: libc::c_long = 1 << 3;
    // SAFETY: as above; the process registered in `membarrier_ready`.
    membarrier_ready()
        && unsafe { libc::syscall(libc::SYS_membarrier, PRIVATE_EXPEDITED, 0, 0) } == 0
}

/// Whether grace periods can be had at all (membarrier(2), Linux 4.14+).
pub fn available() -> Result<(), String> {
    if membarrier_ready() {
        Ok(())
    } else {
        Err("membarrier(2) is not available (Linux 4.14 or later is needed)".into())
    }
}

/// Waits until no thread can still use anything unpublished before the
/// call; `false` if that could not be established by `deadline`.
pub fn synchronize(deadline: Instant) -> bool {
    if !membarrier() {
        return false;
    }
    // SAFETY: this thread's own slot.
    let mine = unsafe { *slot() }.cast_const();
    for rec in records().filter(|r| !std::ptr::eq(*r, mine)) {
        while rec.state.load(Ordering::Acquire) != FREE
            && rec.reader.nesting.load(Ordering::Relaxed) != 0
        {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_micros(20));
        }
    }
    true
}

/// Objects retired but possibly still in use by a tracing thread.
static RETIRED: Mutex<Vec<Box<dyn Send>>> = Mutex::new(Vec::new());

/// How long one `collect` waits for a grace period.
const COLLECT_WAIT: Duration = Duration::from_millis(100);

/// Hands `obj` over to be dropped after a grace period (see `collect`).
pub fn retire(obj: Box<dyn Send>) {
    RETIRED.lock().unwrap_or_else(|e| e.into_inner()).push(obj);
}

/// Drops every retired object once a grace period has passed; keeps them
/// for a later call if it could not (a thread stuck inside an event).
/// Returns how many objects are still waiting.
pub fn collect() -> usize {
    let pending = std::mem::take(&mut *RETIRED.lock().unwrap_or_else(|e| e.into_inner()));
    if pending.is_empty() {
        return 0;
    }
    if synchronize(Instant::now() + COLLECT_WAIT) {
        drop(pending);
        return RETIRED.lock().unwrap_or_else(|e| e.into_inner()).len();
    }
    let mut retired = RETIRED.lock().unwrap_or_else(|e| e.into_inner());
    retired.extend(pending);
    retired.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    /// Enters a section, setting up this thread's record first if needed.
    fn enter_here() -> &'static ThreadRecord {
        current().expect("a thread record");
        enter().expect("a thread record")
    }

    #[test]
    fn a_thread_inside_a_section_holds_the_grace_period() {
        let inside = Arc::new(AtomicBool::new(false));
        let release = Arc::new(AtomicBool::new(false));
        let t = {
            let (inside, release) = (inside.clone(), release.clone());
            std::thread::spawn(move || {
                let rec = enter_here();
                inside.store(true, Ordering::Release);
                while !release.load(Ordering::Acquire) {
                    std::thread::yield_now();
                }
                leave(rec);
            })
        };
        while !inside.load(Ordering::Acquire) {
            std::thread::yield_now();
        }
        assert!(!synchronize(Instant::now() + Duration::from_millis(50)));
        release.store(true, Ordering::Release);
        assert!(synchronize(Instant::now() + Duration::from_secs(10)));
        t.join().unwrap();
    }

    #[test]
    fn records_of_exited_threads_are_reused() {
        let first = std::thread::spawn(|| {
            let rec = enter_here();
            leave(rec);
            std::ptr::from_ref(rec) as usize
        })
        .join()
        .unwrap();
        // SAFETY: records are never unmapped.
        let record = unsafe { &*(first as *const ThreadRecord) };
        // Another test's thread may adopt it first: reused either way.
        let again = (0..8).any(|_| {
            std::thread::spawn(move || {
                let rec = enter_here();
                leave(rec);
                std::ptr::from_ref(rec) as usize == first
            })
            .join()
            .unwrap()
                || record.state.load(Ordering::Acquire) == OWNED
        });
        assert!(
            again,
            "an exited thread's record is adopted by a new thread"
        );
    }

    #[test]
    fn staging_is_a_stack_bounded_by_the_mapping() {
        let rec = enter_here();
        let a = rec.stage_push(100).unwrap();
        let b = rec.stage_push(5).unwrap();
        assert_eq!(b as usize - a as usize, 104);
        rec.stage_pop(b);
        assert_eq!(rec.stage_push(3).unwrap(), b, "popped room is reused");
        rec.stage_pop(a);
        assert!(rec.stage_push(RECORD_MAP).is_none());
        assert!(rec.stage_push(usize::MAX).is_none());
        assert_eq!(rec.stage_push(8).unwrap(), a);
        rec.stage_pop(a);
        leave(rec);
    }
}
