//! The runtime's own threads (the daemonless consumer, the daemon
//! listener): born with every signal blocked, so the program's signals
//! always go to the program's threads.
//!
//! They are plain POSIX threads, not `std::thread`s: a library loaded by
//! `dlopen()` registers its providers from a constructor, while the loader
//! lock is held, and waits (bounded) for the listener to set them up. A
//! `std::thread` registers a thread-local destructor as it starts, which
//! takes that same lock, so the listener would sit still until `dlopen()`
//! returned, the wait would always run out, and the daemon would hear of
//! the library's events too late (after a `dlclose()`, never). The code
//! these threads run uses no thread-local with a destructor.

use std::io;

/// A started thread, joined with `join`.
pub struct Thread(libc::pthread_t);

type Body = Box<dyn FnOnce() + Send>;

/// Spawns a named thread that runs `f` with all signals blocked.
pub fn spawn<F: FnOnce() + Send + 'static>(name: &str, f: F) -> io::Result<Thread> {
    let body: *mut Body = Box::into_raw(Box::new(Box::new(f)));
    let mut id: libc::pthread_t = 0;
    let created = with_all_signals_blocked(|| {
        // SAFETY: `trampoline` takes ownership of `body`, a leaked
        // Box<Body>, exactly once; default attributes.
        unsafe { libc::pthread_create(&mut id, std::ptr::null(), trampoline, body.cast()) }
    });
    if created != 0 {
        // SAFETY: the thread was not created, so `body` is still ours.
        drop(unsafe { Box::from_raw(body) });
        return Err(io::Error::from_raw_os_error(created));
    }
    set_name(id, name);
    Ok(Thread(id))
}

impl Thread {
    /// Waits for the thread to end.
    pub fn join(self) {
        // SAFETY: a joinable thread we created and join once (self is consumed).
        unsafe { libc::pthread_join(self.0, std::ptr::null_mut()) };
    }

    /// Lets the thread end on its own: its resources go when it does.
    pub fn detach(self) {
        // SAFETY: a joinable thread we created, detached once (self is
        // consumed, so it is never joined).
        unsafe { libc::pthread_detach(self.0) };
    }
}

extern "C" fn trampoline(arg: *mut libc::c_void) -> *mut libc::c_void {
    // SAFETY: `spawn` passed a leaked Box<Body>, handed over to this thread only.
    let body = unsafe { Box::from_raw(arg.cast::<Body>()) };
    // A panic must not unwind out of an extern "C" function.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
    std::ptr::null_mut()
}

/// Runs `f` with every signal blocked in the calling thread (a thread it
/// creates inherits that mask), then restores the mask.
fn with_all_signals_blocked<T>(f: impl FnOnce() -> T) -> T {
    // SAFETY: both sets are initialised (sigfillset, or filled in by
    // pthread_sigmask) before use; only the calling thread's mask changes.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut old);
        let out = f();
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        out
    }
}

/// Names the thread (as `ps -L` and debuggers show it; 15 bytes at most).
fn set_name(id: libc::pthread_t, name: &str) {
    let mut bytes: Vec<u8> = name.bytes().filter(|&b| b != 0).take(15).collect();
    bytes.push(0);
    // SAFETY: a live thread we created and a NUL-terminated name.
    unsafe { libc::pthread_setname_np(id, bytes.as_ptr().cast()) };
}
