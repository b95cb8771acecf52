//! Output files written whole or not at all, and the private scratch directory `-G` compiles in.
//!
//! An output is written to a new file beside it (created exclusively, so nothing another
//! user placed there is followed or overwritten) and renamed over the output once complete:
//! a failed run leaves no partial output, and a build never sees half a header.

use crate::error::{Error, Result};
use std::fs::{self, DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

/// A name beside `path` for the file that will replace it.
pub fn sibling_temp(path: &Path) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(".{name}.ust-dtrace-{}.tmp", unique()))
}

/// This process's id and the clock's nanoseconds: a name no other run is using.
fn unique() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{}-{nanos:x}", std::process::id())
}

/// Writes `bytes` as `path`.
pub fn write_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    let temp = sibling_temp(path);
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .and_then(|mut file| file.write_all(bytes));
    let result = written.and_then(|()| fs::rename(&temp, path));
    result.map_err(|e| {
        let _ = fs::remove_file(&temp);
        Error::plain(format!("cannot write {}: {e}", path.display()))
    })
}

/// Moves the complete file `temp` (from [`sibling_temp`]) to `path`.
pub fn commit(temp: &Path, path: &Path) -> Result<()> {
    fs::rename(temp, path).map_err(|e| {
        let _ = fs::remove_file(temp);
        Error::plain(format!("cannot write {}: {e}", path.display()))
    })
}

/// A directory of this process only (mode 0700, in `$TMPDIR`), removed when dropped.
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    pub fn new() -> Result<ScratchDir> {
        let base = std::env::temp_dir();
        let mut last = None;
        for attempt in 0..16u32 {
            let dir = base.join(format!("ust-dtrace-{}-{attempt}", unique()));
            match DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => return Ok(ScratchDir(dir)),
                Err(e) => last = Some(e),
            }
        }
        Err(Error::plain(format!(
            "cannot create a scratch directory in {}: {}",
            base.display(),
            last.map_or_else(String::new, |e| e.to_string())
        )))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
