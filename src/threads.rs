//! The runtime's own threads (the daemonless consumer, the daemon
//! listener): started with every signal blocked, so the program's signals
//! always go to the program's threads.

use std::io;
use std::thread::JoinHandle;

/// Spawns a named thread that runs `f` with all signals blocked.
pub fn spawn<F: FnOnce() + Send + 'static>(name: &str, f: F) -> io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            block_all_signals();
            f()
        })
}

fn block_all_signals() {
    // SAFETY: `set` is initialised by sigfillset before use; pthread_sigmask
    // only changes the calling thread's mask.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut set);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}
