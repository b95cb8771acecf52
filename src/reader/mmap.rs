//! Read-only memory maps of trace files: the only `unsafe` of the reader.
//!
//! A stream file is mapped whole and decoded in place, so memory use does not grow with the
//! trace (the kernel pages it in and out). Files still being written (`--follow`) are mapped
//! again when they grow.

use std::fs::File;
use std::io;
use std::path::Path;

/// A read-only, private mapping of a whole file (empty files map to an empty slice).
pub struct Mmap {
    ptr: *mut libc::c_void,
    len: usize,
}

// SAFETY: the mapping is read-only and owned by the value; moving or sharing it across
// threads cannot race with anything.
unsafe impl Send for Mmap {}
// SAFETY: as for Send: the bytes are never written through this mapping.
unsafe impl Sync for Mmap {}

impl Mmap {
    /// Maps `path` as it is now.
    pub fn open(path: &Path) -> io::Result<Mmap> {
        let file = File::open(path)?;
        let len = usize::try_from(file.metadata()?.len())
            .map_err(|_| io::Error::other("file too large to map"))?;
        if len == 0 {
            return Ok(Mmap {
                ptr: std::ptr::null_mut(),
                len: 0,
            });
        }
        use std::os::unix::io::AsRawFd;
        // SAFETY: a fresh read-only private mapping of an open file descriptor; the kernel
        // picks the address, and the result is checked against MAP_FAILED below.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Mmap { ptr, len })
    }

    pub fn bytes(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: `ptr` is a live PROT_READ mapping of `len` bytes owned by `self` and only
        // unmapped in `drop`, so the slice cannot outlive it. A file truncated by another
        // process could make pages fault (SIGBUS); trace writers only ever append.
        unsafe { std::slice::from_raw_parts(self.ptr as *const u8, self.len) }
    }
}

impl Drop for Mmap {
    fn drop(&mut self) {
        if self.len != 0 {
            // SAFETY: unmaps exactly the region mapped in `open`, once; no slice borrowed
            // from `bytes` can outlive `self`.
            unsafe {
                libc::munmap(self.ptr, self.len);
            }
        }
    }
}
