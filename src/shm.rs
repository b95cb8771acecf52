//! Shared memory: anonymous `memfd` files mapped read-write.
//!
//! Ring buffers live in memfds so that their pages can later be handed to a
//! consumer in another process as a file descriptor, never by a guessable
//! name. Pages are allocated on first touch or by `prefault`, never while
//! a peer waits. This module owns the runtime's `mmap`/`munmap` calls for
//! buffers (`grace` maps its own per-thread records).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// A memfd of `len` bytes, mapped shared and read-write at `ptr`.
pub struct Mapping {
    /// The memfd, until handed out with `take_fd` (the mapping keeps the
    /// memory alive without it).
    fd: Option<OwnedFd>,
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the mapping is plain memory shared by design; every access to its
// contents goes through atomics or raw copies whose synchronisation the
// ring buffer protocol (see `ringbuf`) provides.
unsafe impl Send for Mapping {}
// SAFETY: as above; `Mapping` itself has no interior state besides the pointer.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Creates a zero-filled memfd named `name` (for /proc/PID/fd only) of
    /// `len` bytes, sealed against shrinking and growing so a consumer that
    /// maps it can trust its size.
    pub fn create(name: &str, len: usize) -> io::Result<Mapping> {
        let cname = std::ffi::CString::new(name).map_err(|_| io::ErrorKind::InvalidInput)?;
        // SAFETY: `cname` is a valid NUL-terminated string for the call.
        let raw = unsafe {
            libc::memfd_create(cname.as_ptr(), libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING)
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: memfd_create returned a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: `fd` is a valid descriptor owned above.
        if unsafe { libc::ftruncate(fd.as_raw_fd(), len as libc::off_t) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let seals = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL;
        // SAFETY: fcntl on a descriptor we own; no memory is involved.
        if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_ADD_SEALS, seals) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Self::map(fd, len)
    }

    /// Maps a memfd received from another process, after checking that it
    /// is exactly `len` bytes and sealed so it can neither shrink nor grow
    /// (a shrunk mapping would fault in the reader).
    pub fn open_sealed(fd: OwnedFd, len: usize) -> io::Result<Mapping> {
        // SAFETY: fcntl/fstat on a descriptor we own; `st` is plain data.
        let (seals, size) = unsafe {
            let seals = libc::fcntl(fd.as_raw_fd(), libc::F_GET_SEALS);
            let mut st: libc::stat = std::mem::zeroed();
            if libc::fstat(fd.as_raw_fd(), &mut st) != 0 {
                return Err(io::Error::last_os_error());
            }
            (seals, st.st_size)
        };
        let needed = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW;
        if seals < 0 || seals & needed != needed {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "buffer memory is not sealed",
            ));
        }
        if size != len as libc::off_t {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "buffer memory has the wrong size",
            ));
        }
        Self::map(fd, len)
    }

    fn map(fd: OwnedFd, len: usize) -> io::Result<Mapping> {
        // SAFETY: mapping a descriptor we own, of at least `len` bytes, at an
        // address of the kernel's choosing; the result is checked below.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Mapping {
            fd: Some(fd),
            ptr: ptr.cast(),
            len,
        })
    }

    /// Start of the mapping.
    pub fn ptr(&self) -> *mut u8 {
        self.ptr
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the mapping is empty (never, once created).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Gives up the memfd (to pass to another process); the mapping stays.
    pub fn take_fd(&mut self) -> Option<OwnedFd> {
        self.fd.take()
    }

    /// Allocates every page now, so writers never take a page fault (the
    /// kernel does it without a fault per page where it can).
    pub fn prefault(&self) {
        const MADV_POPULATE_WRITE: libc::c_int = 23;
        // SAFETY: advice on exactly the range we mapped; it changes no contents.
        if unsafe { libc::madvise(self.ptr.cast(), self.len, MADV_POPULATE_WRITE) } == 0 {
            return;
        }
        for at in (0..self.len).step_by(4096) {
            // SAFETY: `at < len`, inside the mapping; an atomic add of zero
            // faults the page in for writing without changing it, whatever
            // other writers do concurrently.
            unsafe {
                std::sync::atomic::AtomicU8::from_ptr(self.ptr.add(at))
                    .fetch_add(0, std::sync::atomic::Ordering::Relaxed)
            };
        }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` are exactly what mmap returned; nothing uses
        // the mapping after its owner drops it.
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}
