//! The doorbell of a consumer thread: an eventfd that writers ring when
//! they wait for room in a full buffer (blocking channels), so the consumer
//! drains at once instead of at its next poll. Shared across processes by
//! passing the descriptor (the daemon hands its session's doorbell to every
//! program with the channels it asks for).
//!
//! Ringing is a system call, only ever made on the slow path of a writer
//! that is about to wait anyway.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// An eventfd: ring it, or wait (bounded) for it to ring.
pub struct Doorbell {
    fd: OwnedFd,
}

impl Doorbell {
    /// A fresh doorbell.
    pub fn new() -> io::Result<Doorbell> {
        // SAFETY: eventfd creation with valid flags; the result is checked.
        let raw = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a fresh descriptor owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        Ok(Doorbell { fd })
    }

    /// A doorbell received from another process. Ringing a descriptor that
    /// is not an eventfd only fails quietly.
    pub fn from_fd(fd: OwnedFd) -> Doorbell {
        Doorbell { fd }
    }

    /// The descriptor, to hand to a writer in another process.
    pub fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    /// Wakes the consumer.
    pub fn ring(&self) {
        let one = 1u64;
        // SAFETY: writes 8 bytes from a live u64; a full counter or a
        // foreign descriptor makes it fail, which is harmless.
        unsafe { libc::write(self.fd.as_raw_fd(), std::ptr::from_ref(&one).cast(), 8) };
    }

    /// Waits until the doorbell rings or `timeout` passes; `true` if it rang.
    pub fn wait(&self, timeout: Duration) -> bool {
        let mut pfd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = timeout.as_millis().clamp(0, i32::MAX as u128) as i32;
        // SAFETY: one valid pollfd for the duration of the call.
        let rang = unsafe { libc::poll(&mut pfd, 1, ms) } > 0;
        if rang {
            let mut n = 0u64;
            // SAFETY: reads 8 bytes into a live u64 from our non-blocking eventfd.
            unsafe { libc::read(self.fd.as_raw_fd(), std::ptr::from_mut(&mut n).cast(), 8) };
        }
        rang
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn a_ring_ends_the_wait_and_is_consumed() {
        let bell = Doorbell::new().unwrap();
        assert!(!bell.wait(Duration::from_millis(1)));
        bell.ring();
        bell.ring();
        let since = Instant::now();
        assert!(bell.wait(Duration::from_secs(60)));
        assert!(since.elapsed() < Duration::from_secs(60));
        assert!(!bell.wait(Duration::from_millis(1)), "both rings consumed");
    }
}
