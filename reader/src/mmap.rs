//! Read-only memory maps of trace files: the only `unsafe` of the reader.
//!
//! A stream file is mapped whole and decoded in place. Pages mapped in count as resident, so
//! the reader hands back, in chunks, the part of the file it has gone past (`release_before`):
//! resident memory stays flat however large the file. Files still being written (`--follow`)
//! are mapped again when they grow.

use std::fs::File;
use std::io;
use std::path::Path;

/// A read-only, private mapping of a whole file (empty files map to an empty slice).
pub struct Mmap {
    ptr: *mut libc::c_void,
    len: usize,
    /// Bytes before this offset were handed back to the kernel (a multiple of the page size).
    released: usize,
}

/// Pages are handed back once at least this much of the file lies behind the reader.
const RELEASE_CHUNK: usize = 2 << 20;

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
                released: 0,
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
        advise(ptr, len, libc::MADV_SEQUENTIAL);
        Ok(Mmap {
            ptr,
            len,
            released: 0,
        })
    }

    /// Tells the kernel the bytes before `offset` will not be read again, so their pages
    /// stop counting as this process's memory. Works in chunks of `RELEASE_CHUNK`; a later
    /// read of a released byte would still see the file's contents (it faults them back in).
    #[inline]
    pub fn release_before(&mut self, offset: usize) {
        if offset >= self.released + RELEASE_CHUNK {
            self.release(offset.min(self.len));
        }
    }

    #[cold]
    fn release(&mut self, offset: usize) {
        let end = offset & !(page_size() - 1);
        // SAFETY: `released..end` lies inside the mapping (end <= offset <= len) and both
        // ends are page aligned, as the mapping itself is.
        let start = unsafe { self.ptr.cast::<u8>().add(self.released) };
        advise(start.cast(), end - self.released, libc::MADV_DONTNEED);
        self.released = end;
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

/// `madvise` on part of a mapping; advice is only a hint, so a failure changes nothing.
fn advise(ptr: *mut libc::c_void, len: usize, advice: libc::c_int) {
    // SAFETY: callers pass a page-aligned range inside a live private read-only mapping;
    // MADV_SEQUENTIAL only tunes read-ahead and MADV_DONTNEED on such a mapping only drops
    // pages, which are read from the file again if touched.
    unsafe {
        libc::madvise(ptr, len, advice);
    }
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(n).unwrap_or(4096).max(1)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Resident kilobytes of the mapping starting at `addr`, from /proc/self/smaps.
    fn resident_kb(addr: usize) -> u64 {
        let smaps = std::fs::read_to_string("/proc/self/smaps").expect("smaps");
        let start = format!("{addr:x}-");
        let mut lines = smaps.lines().skip_while(|l| !l.starts_with(&start));
        lines.next().expect("mapping listed");
        let rss = lines.find(|l| l.starts_with("Rss:")).expect("Rss line");
        rss.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    #[test]
    fn pages_behind_the_reader_stop_being_resident() {
        let path = std::env::temp_dir().join(format!("ust-mmap-test-{}", std::process::id()));
        let size = 3 * RELEASE_CHUNK;
        std::fs::write(&path, vec![7u8; size]).unwrap();
        let mut map = Mmap::open(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let sum: u64 = map
            .bytes()
            .iter()
            .step_by(4096)
            .map(|&b| u64::from(b))
            .sum();
        assert_eq!(sum, 7 * (size as u64 / 4096));
        let addr = map.ptr as usize;
        assert!(resident_kb(addr) >= (size / 1024) as u64, "all pages read");

        map.release_before(RELEASE_CHUNK / 2);
        assert!(
            resident_kb(addr) >= (size / 1024) as u64,
            "less than a chunk: kept"
        );
        map.release_before(2 * RELEASE_CHUNK + 100);
        assert!(
            resident_kb(addr) <= (RELEASE_CHUNK / 1024 + 4) as u64,
            "two chunks handed back"
        );
        assert_eq!(
            map.bytes()[0],
            7,
            "released bytes still read back from the file"
        );
    }
}
