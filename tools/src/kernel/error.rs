//! Why kernel recording cannot start or stopped, in words a user can act on, and the check
//! of the privileges it needs (root, or CAP_PERFMON / a permissive `perf_event_paranoid`,
//! plus read access to tracefs).

use std::fmt;
use std::io;
use std::path::Path;

/// CAP_SYS_ADMIN and CAP_PERFMON bit numbers (linux/capability.h).
const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;

/// What went wrong.
#[derive(Debug)]
pub enum Error {
    /// Missing privileges; the text names each one.
    Permission(String),
    /// tracefs is not there and cannot be mounted.
    Tracefs(String),
    /// The running kernel lacks a tracepoint or field this needs.
    Unsupported(String),
    /// A request that cannot be met as asked (unknown category, bad buffer size).
    Usage(String),
    /// The clock block is not a 1 GHz `monotonic` clock.
    BadClock(String),
    /// A system call or file operation failed.
    Io { what: String, err: io::Error },
}

impl Error {
    pub fn io(what: impl Into<String>, err: io::Error) -> Error {
        Error::Io {
            what: what.into(),
            err,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Permission(s)
            | Error::Tracefs(s)
            | Error::Unsupported(s)
            | Error::Usage(s)
            | Error::BadClock(s) => f.write_str(s),
            Error::Io { what, err } => write!(f, "{what}: {}", plain(err)),
        }
    }
}

impl std::error::Error for Error {}

/// An I/O error without the "(os error N)" suffix.
fn plain(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// The privileges this process lacks to record system-wide tracepoints through
/// `perf_event_open` with tracepoint ids read under `tracefs` (None: tracefs is mounted
/// nowhere), as one sentence; None when nothing is missing.
pub fn missing_privileges(tracefs: Option<&Path>) -> Option<String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return None;
    }
    let mut missing = Vec::new();
    let paranoid = paranoid();
    if !has_capability(CAP_PERFMON) && !has_capability(CAP_SYS_ADMIN) && paranoid > -1 {
        missing.push(format!(
            "root or the CAP_PERFMON capability (kernel.perf_event_paranoid is {paranoid}; \
             only -1 allows system-wide tracepoints without it)"
        ));
    }
    match tracefs {
        None => missing.push(
            "tracefs, which is not mounted (as root: mount -t tracefs nodev /sys/kernel/tracing)"
                .to_string(),
        ),
        Some(root) if !readable_dir(&root.join("events")) => missing.push(format!(
            "read access to tracefs ({} is {}; as root: \
             mount -o remount,mode=0750,gid=GROUP {})",
            root.display(),
            describe_mode(root),
            root.display()
        )),
        Some(_) => {}
    }
    if missing.is_empty() {
        return None;
    }
    Some(format!(
        "recording kernel events needs {}",
        missing.join(", and ")
    ))
}

/// `kernel.perf_event_paranoid` (2, the usual default, when unreadable).
fn paranoid() -> i32 {
    std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(2)
}

/// Whether the effective capability set holds `cap` (from /proc/self/status, CapEff).
fn has_capability(cap: u32) -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .is_some_and(|set| set & (1u64 << cap) != 0)
}

fn readable_dir(dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a NUL-terminated path; access only reads it.
    unsafe { libc::access(c.as_ptr(), libc::R_OK | libc::X_OK) == 0 }
}

/// "mode 0700, owner root" style description of a directory, or "not accessible".
fn describe_mode(dir: &Path) -> String {
    use std::os::unix::fs::MetadataExt;
    match std::fs::symlink_metadata(dir) {
        Ok(m) => format!("mode {:04o}, owner uid {}", m.mode() & 0o7777, m.uid()),
        Err(e) => plain(&e),
    }
}

/// The message for a `perf_event_open` failure: privileges when they are the cause.
pub fn open_failure(what: &str, err: io::Error, tracefs: &Path) -> Error {
    match err.raw_os_error() {
        Some(libc::EACCES) | Some(libc::EPERM) => {
            Error::Permission(missing_privileges(Some(tracefs)).unwrap_or_else(|| {
                format!(
                    "{what}: {}: the kernel refused system-wide tracing (a security module or \
                     a container may forbid perf_event_open)",
                    plain(&err)
                )
            }))
        }
        Some(libc::EMFILE) | Some(libc::ENFILE) => Error::io(
            format!(
                "{what}: out of file descriptors (one per tracepoint and CPU; raise `ulimit -n`)"
            ),
            err,
        ),
        _ => Error::io(what.to_string(), err),
    }
}
