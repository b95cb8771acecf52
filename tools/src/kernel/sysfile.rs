//! Reading the small files the kernel provides (tracefs, procfs, sysfs): never through a
//! symbolic link, never more than a bound, so a file swapped or grown under us cannot make
//! the recorder read elsewhere or without end.

use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Largest kernel file read (format files are a few KiB; /proc stat lines far less).
const MAX_LEN: u64 = 1 << 20;

/// The file's bytes; a longer file is an error (`InvalidData`).
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_LEN + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_LEN {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} is larger than {MAX_LEN} bytes", path.display()),
        ));
    }
    Ok(bytes)
}

/// The file as text (invalid UTF-8 replaced).
pub fn read_text(path: &Path) -> io::Result<String> {
    read(path).map(|b| String::from_utf8_lossy(&b).into_owned())
}
