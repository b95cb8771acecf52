//! Grace periods for custom probes: after `synchronize` returns, no thread
//! is still running a probe it found before `synchronize` was called, so
//! the caller may free what such a probe used.
//!
//! The algorithm (an RCU with per-thread readers, as liburcu's "memb"
//! flavour): each thread that calls a custom tracepoint owns a `Reader`
//! record, allocated here and never freed (only recycled), whose `seq` is
//! odd while the thread runs probes. The C read side (include/ust/
//! declare-trace.h) makes `seq` odd, loads the probe array, calls the
//! probes and makes `seq` even again with a release store — plain stores
//! with compiler barriers only. `synchronize` first runs `membarrier(2)`,
//! which executes a full memory barrier on every CPU running a thread of
//! this process: any reader that had not yet made its `seq` odd will, from
//! then on, see the new probe array; any reader that had is seen with an
//! odd `seq`, and is waited for until its `seq` changes. Nesting (a probe
//! firing a custom tracepoint, a signal handler) only counts depth.
//!
//! Threads find their record through a pointer cached in each module's
//! thread-local slot; the thread's slots are listed here so that the
//! thread-exit destructor (a pthread key) clears them before the record is
//! recycled, and a module unloaded by dlclose() drops its slots first
//! (`forget_module`). A child created by fork() keeps only its own record.
//! Nothing here runs on the probe's hot path except the first call of a
//! thread in a module (`reader_for`).

use std::cell::UnsafeCell;
use std::ffi::c_void;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Once;

/// `struct ust_probe_reader` (include/ust/declare-trace.h): one thread's
/// read-side state, on its own cache line.
#[repr(C, align(64))]
pub struct Reader {
    pub struct_size: u32,
    /// Critical-section depth; written by the owning thread only.
    pub nesting: AtomicU32,
    /// Odd while the owning thread runs probes.
    pub seq: AtomicU64,
}

/// A thread's record and the module slots that cache it.
struct ThreadState {
    reader: &'static Reader,
    /// (module key, the module's thread-local slot of this thread).
    slots: Vec<(usize, *mut *const Reader)>,
}

#[derive(Default)]
struct Readers {
    /// Live threads' states; each thread's pthread key value is its reader.
    threads: Vec<ThreadState>,
    /// Records of exited threads, ready for new ones.
    free: Vec<&'static Reader>,
}

/// A mutex that fork handlers can hold across fork() (std's cannot be
/// unlocked without its guard), protecting `Readers`.
struct ForkLock {
    mutex: UnsafeCell<libc::pthread_mutex_t>,
    data: UnsafeCell<Option<Readers>>,
}

// SAFETY: `data` is only reached between lock() and unlock() of `mutex`.
unsafe impl Sync for ForkLock {}

static READERS: ForkLock = ForkLock {
    mutex: UnsafeCell::new(libc::PTHREAD_MUTEX_INITIALIZER),
    data: UnsafeCell::new(None),
};

impl ForkLock {
    fn lock(&self) {
        // SAFETY: a statically initialised mutex, never moved.
        unsafe { libc::pthread_mutex_lock(self.mutex.get()) };
    }

    fn unlock(&self) {
        // SAFETY: called by the thread that locked it (or the fork child).
        unsafe { libc::pthread_mutex_unlock(self.mutex.get()) };
    }

    /// Runs `f` on the readers under the lock.
    fn with<R>(&self, f: impl FnOnce(&mut Readers) -> R) -> R {
        self.lock();
        // SAFETY: the lock is held; `f` cannot re-enter (it calls nothing
        // that locks again).
        let r = f(unsafe { &mut *self.data.get() }.get_or_insert_with(Readers::default));
        self.unlock();
        r
    }
}

/// The pthread key whose destructor releases an exiting thread's record.
fn thread_key() -> libc::pthread_key_t {
    static ONCE: Once = Once::new();
    static KEY: AtomicU32 = AtomicU32::new(0);
    ONCE.call_once(|| {
        let mut key: libc::pthread_key_t = 0;
        // SAFETY: plain key creation with an extern "C" destructor;
        // atfork registers plain extern "C" handlers.
        unsafe {
            libc::pthread_key_create(&mut key, Some(thread_exit));
            libc::pthread_atfork(
                Some(before_fork),
                Some(after_fork_parent),
                Some(after_fork_child),
            );
        }
        KEY.store(key, Ordering::Relaxed);
    });
    KEY.load(Ordering::Relaxed)
}

fn new_reader(free: &mut Vec<&'static Reader>) -> &'static Reader {
    free.pop().unwrap_or_else(|| {
        Box::leak(Box::new(Reader {
            struct_size: std::mem::size_of::<Reader>() as u32,
            nesting: AtomicU32::new(0),
            seq: AtomicU64::new(0),
        }))
    })
}

/// The calling thread's record, cached from now on in `slot`, the
/// thread-local slot of the module identified by `module`.
///
/// # Safety
/// `slot` is the calling thread's slot of a loaded module, valid until
/// the thread exits or `forget_module(module)` is called.
pub unsafe fn reader_for(slot: *mut *const Reader, module: usize) -> &'static Reader {
    let key = thread_key();
    READERS.with(|readers| {
        let mine = own_reader(key);
        let at = match readers.threads.iter().position(|s| s.is(mine)) {
            Some(at) => at,
            None => {
                let reader = new_reader(&mut readers.free);
                readers.threads.push(ThreadState {
                    reader,
                    slots: Vec::new(),
                });
                // SAFETY: a key value is only ever read back by this library.
                unsafe { libc::pthread_setspecific(key, std::ptr::from_ref(reader).cast()) };
                readers.threads.len() - 1
            }
        };
        let state = &mut readers.threads[at];
        state.slots.push((module, slot));
        // SAFETY: the slot is valid per this function's contract.
        unsafe { *slot = std::ptr::from_ref(state.reader) };
        state.reader
    })
}

impl ThreadState {
    fn is(&self, reader: *const Reader) -> bool {
        std::ptr::eq(self.reader, reader)
    }
}

/// The calling thread's reader (its key value), or null.
fn own_reader(key: libc::pthread_key_t) -> *const Reader {
    // SAFETY: reading this thread's value of a created key.
    unsafe { libc::pthread_getspecific(key) }.cast::<Reader>()
}

/// Pthread key destructor: the thread owning `reader` is exiting.
extern "C" fn thread_exit(reader: *mut c_void) {
    READERS.with(|readers| {
        let Some(at) = readers
            .threads
            .iter()
            .position(|s| s.is(reader.cast::<Reader>()))
        else {
            return;
        };
        let state = readers.threads.swap_remove(at);
        for &(_, slot) in &state.slots {
            // SAFETY: the module is loaded (`forget_module` removes the
            // slots of unloaded ones) and this is the exiting thread's slot.
            unsafe { *slot = std::ptr::null() };
        }
        release(readers, state.reader);
    });
}

/// Returns the record of a thread that will never run again.
fn release(readers: &mut Readers, reader: &'static Reader) {
    if reader.nesting.load(Ordering::Relaxed) == 0 {
        readers.free.push(reader);
    } else {
        // It left from inside a probe: end that section for the waiters
        // and never reuse the record.
        reader.seq.fetch_or(1, Ordering::Relaxed);
        reader.seq.fetch_add(1, Ordering::Release);
    }
}

/// A module is being unloaded: its thread-local slots disappear with it.
pub fn forget_module(module: usize) {
    READERS.with(|readers| {
        for state in &mut readers.threads {
            state.slots.retain(|&(m, _)| m != module);
        }
    });
}

extern "C" fn before_fork() {
    READERS.lock();
}

extern "C" fn after_fork_parent() {
    READERS.unlock();
}

/// In the child only the forking thread exists: keep its record only.
extern "C" fn after_fork_child() {
    let mine = own_reader(thread_key());
    // SAFETY: before_fork took the lock, which the child inherits held.
    let readers = unsafe { &mut *READERS.data.get() }.get_or_insert_with(Readers::default);
    let gone: Vec<ThreadState> = {
        let (keep, gone) = std::mem::take(&mut readers.threads)
            .into_iter()
            .partition(|s| s.is(mine));
        readers.threads = keep;
        gone
    };
    for state in gone {
        release(readers, state.reader);
    }
    READERS.unlock();
}

/// Whether the calling thread is running a probe right now.
pub fn inside_probe() -> bool {
    let reader = own_reader(thread_key());
    // SAFETY: a non-null value is this thread's reader; readers are never freed.
    !reader.is_null() && unsafe { (*reader).nesting.load(Ordering::Relaxed) } > 0
}

const MEMBARRIER_CMD_QUERY: libc::c_long = 0;
const MEMBARRIER_CMD_GLOBAL: libc::c_long = 1 << 0;
const MEMBARRIER_CMD_PRIVATE_EXPEDITED: libc::c_long = 1 << 3;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_long = 1 << 4;

fn membarrier(cmd: libc::c_long) -> libc::c_long {
    // SAFETY: membarrier takes two integer arguments and touches no memory.
    unsafe { libc::syscall(libc::SYS_membarrier, cmd, 0, 0) }
}

/// The membarrier command that makes a full barrier on every CPU running
/// this process: the expedited one when the kernel has it (Linux 4.14),
/// else the global one (Linux 4.3, slower).
fn barrier_command() -> Result<libc::c_long, String> {
    static COMMAND: once_cell::sync::OnceCell<Result<libc::c_long, String>> =
        once_cell::sync::OnceCell::new();
    COMMAND
        .get_or_init(|| {
            let supported = membarrier(MEMBARRIER_CMD_QUERY);
            if supported < 0 {
                return Err(format!(
                    "membarrier(2) is not available: {}",
                    std::io::Error::last_os_error()
                ));
            }
            if supported & MEMBARRIER_CMD_PRIVATE_EXPEDITED != 0
                && membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0
            {
                Ok(MEMBARRIER_CMD_PRIVATE_EXPEDITED)
            } else if supported & MEMBARRIER_CMD_GLOBAL != 0 {
                Ok(MEMBARRIER_CMD_GLOBAL)
            } else {
                Err("membarrier(2) offers no usable command".into())
            }
        })
        .clone()
}

/// Whether grace periods can be had here (checked before any change that
/// needs one).
pub fn available() -> Result<(), String> {
    barrier_command().map(|_| ())
}

/// A full memory barrier on every CPU running a thread of this process.
fn process_barrier() -> Result<(), String> {
    let cmd = barrier_command()?;
    if membarrier(cmd) == 0 {
        Ok(())
    } else {
        Err(format!(
            "membarrier(2) failed: {}",
            std::io::Error::last_os_error()
        ))
    }
}

/// Waits until every thread that was running probes when this was called
/// has left them. Must not be called from a probe (it would wait for
/// itself): the caller checks `inside_probe` first.
pub fn synchronize() -> Result<(), String> {
    process_barrier()?;
    let inside: Vec<(&'static Reader, u64)> = READERS.with(|readers| {
        readers
            .threads
            .iter()
            .map(|s| (s.reader, s.reader.seq.load(Ordering::Acquire)))
            .filter(|&(_, seq)| seq & 1 == 1)
            .collect()
    });
    for (reader, seq) in inside {
        let mut spins = 0u32;
        // Records are never freed: reading one without the lock is safe,
        // and a recycled one has a new `seq`, which ends the wait too.
        while reader.seq.load(Ordering::Acquire) == seq {
            spins += 1;
            if spins < 100 {
                std::hint::spin_loop();
            } else if spins < 1000 {
                std::thread::yield_now();
            } else {
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
        }
    }
    Ok(())
}
