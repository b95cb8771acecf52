//! Trace files read by byte ranges (`pread`), never mapped: `stream` reads a packet (or a
//! window of a large one) at a time.
//!
//! A mapped file that someone truncates kills the reader with SIGBUS when it touches the
//! vanished pages, and a trace directory may belong to another user (the daemon reads its
//! users' traces). Read by ranges, a file that shrinks gives a clear error naming it; and
//! memory stays bounded whatever the file size.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// An open trace file and its length as last seen.
pub struct TraceFile {
    file: File,
    len: u64,
}

impl TraceFile {
    pub fn open(path: &Path) -> io::Result<TraceFile> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        Ok(TraceFile { file, len })
    }

    /// Length when opened or last refreshed.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Looks at the length again (a file being written grows).
    pub fn refresh(&mut self) -> io::Result<()> {
        self.len = self.file.metadata()?.len();
        Ok(())
    }

    /// Replaces the contents of `buf` with the `n` bytes at `offset`. A file that no longer
    /// has them (truncated while being read) is an error, not a signal.
    pub fn read_at(&self, offset: u64, n: usize, buf: &mut Vec<u8>) -> io::Result<()> {
        buf.clear();
        buf.resize(n, 0);
        self.file.read_exact_at(buf, offset).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                let now = self.file.metadata().map(|m| m.len()).unwrap_or(0);
                io::Error::other(format!(
                    "cannot read {n} bytes at byte offset {offset}: the file is now {now} bytes long, it was {} (truncated while being read)",
                    self.len
                ))
            } else {
                e
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_truncated_after_opening_gives_an_error() {
        let path = std::env::temp_dir().join(format!("ust-file-test-{}", std::process::id()));
        std::fs::write(&path, vec![7u8; 10_000]).unwrap();
        let f = TraceFile::open(&path).unwrap();
        let mut buf = Vec::new();
        f.read_at(9_000, 1000, &mut buf).unwrap();
        assert_eq!(buf, vec![7u8; 1000]);
        std::fs::write(&path, vec![1u8; 100]).unwrap();
        let err = f.read_at(9_000, 1000, &mut buf).unwrap_err().to_string();
        std::fs::remove_file(&path).unwrap();
        assert!(err.contains("truncated"), "{err}");
        assert!(err.contains("now 100 bytes long, it was 10000"), "{err}");
    }
}
