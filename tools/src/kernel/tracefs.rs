//! Where tracefs is, and the tracepoint formats read from it: `events/<system>/<event>/format`
//! gives a tracepoint's id (what perf_event_open needs) and its record layout.
//!
//! tracefs is looked for at /sys/kernel/tracing, then under debugfs. When it is mounted
//! nowhere and this process is root, it is mounted at /sys/kernel/tracing, as `perf` does.

use super::error::{missing_privileges, Error};
use super::format::Format;
use super::sysfile;
use std::ffi::CString;
use std::io;
use std::path::{Path, PathBuf};

/// TRACEFS_MAGIC and DEBUGFS_MAGIC (linux/magic.h).
const TRACEFS_MAGIC: u32 = 0x7472_6163;
const DEBUGFS_MAGIC: u32 = 0x6462_6720;

const MOUNT_POINT: &str = "/sys/kernel/tracing";
const UNDER_DEBUGFS: &str = "/sys/kernel/debug/tracing";

/// A mounted tracefs.
pub struct Tracefs {
    root: PathBuf,
}

impl Tracefs {
    /// Finds tracefs, mounting it when it is mounted nowhere and we may.
    pub fn open() -> Result<Tracefs, Error> {
        if let Some(root) = mounted() {
            return Ok(Tracefs { root });
        }
        if let Some(why) = missing_privileges(None) {
            return Err(Error::Permission(why));
        }
        mount().map_err(|e| {
            Error::Tracefs(format!(
                "tracefs is not mounted at {MOUNT_POINT} and mounting it failed ({e}); \
                 as root: mount -t tracefs nodev {MOUNT_POINT}"
            ))
        })?;
        Ok(Tracefs {
            root: PathBuf::from(MOUNT_POINT),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A tree laid out as tracefs, for tests.
    #[cfg(test)]
    pub fn at(root: PathBuf) -> Tracefs {
        Tracefs { root }
    }

    /// The format of `system:event`; an error names what is missing.
    pub fn format(&self, system: &str, event: &str) -> Result<Format, Error> {
        let path = self
            .root
            .join("events")
            .join(system)
            .join(event)
            .join("format");
        let text = match sysfile::read_text(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                return Err(Error::Permission(
                    missing_privileges(Some(&self.root)).unwrap_or_else(|| {
                        format!("cannot read {}: permission denied", path.display())
                    }),
                ))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::Unsupported(format!(
                    "this kernel has no tracepoint {system}:{event} ({} is missing)",
                    path.display()
                )))
            }
            Err(e) => return Err(Error::io(format!("cannot read {}", path.display()), e)),
        };
        Format::parse(&text).map_err(|e| Error::Unsupported(format!("{}: {e}", path.display())))
    }

    /// The format of `syscalls:sys_enter_<name>` (its argument names and C types), when the
    /// kernel has system call tracepoints (CONFIG_FTRACE_SYSCALLS) and that call.
    pub fn syscall_entry(&self, name: &str) -> Option<Format> {
        let path = self
            .root
            .join("events/syscalls")
            .join(format!("sys_enter_{name}"))
            .join("format");
        let text = sysfile::read_text(&path).ok()?;
        Format::parse(&text).ok()
    }
}

/// The first place tracefs is mounted.
fn mounted() -> Option<PathBuf> {
    [MOUNT_POINT, UNDER_DEBUGFS]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| fs_type(p) == Some(TRACEFS_MAGIC))
}

/// The file system magic number of the file system holding `path`.
fn fs_type(path: &Path) -> Option<u32> {
    use std::os::unix::ffi::OsStrExt;
    let c = CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: statfs is plain data; `c` is NUL-terminated and `buf` writable.
    let mut buf: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::statfs(c.as_ptr(), &mut buf) } != 0 {
        return None;
    }
    // f_type is a word whose width varies; magic numbers fit in 32 bits.
    Some(buf.f_type as u32)
}

/// Mounts tracefs at /sys/kernel/tracing (root only; refused over anything but an empty
/// sysfs directory or debugfs' automount point).
fn mount() -> io::Result<()> {
    let target = Path::new(MOUNT_POINT);
    if fs_type(target).is_none() || fs_type(target) == Some(DEBUGFS_MAGIC) {
        return Err(io::Error::from(io::ErrorKind::NotFound));
    }
    let c = |s: &str| CString::new(s).expect("no NUL");
    let (source, point, kind) = (c("nodev"), c(MOUNT_POINT), c("tracefs"));
    // SAFETY: NUL-terminated strings; no mount data.
    let rc = unsafe {
        libc::mount(
            source.as_ptr(),
            point.as_ptr(),
            kind.as_ptr(),
            libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
            std::ptr::null(),
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
