//! Facts about the host and process that a trace records: CPUs, host and
//! process names, boot id, a fresh trace UUID and the creation time.

use crate::ctf::metadata::TraceInfo;
use std::path::Path;

/// The number of possible CPUs (highest id + 1), for per-CPU buffers.
pub fn possible_cpus() -> u32 {
    let from_sys = std::fs::read_to_string("/sys/devices/system/cpu/possible")
        .ok()
        .and_then(|s| parse_cpu_list_max(s.trim()));
    match from_sys {
        Some(max) => max + 1,
        // SAFETY: sysconf only returns a value.
        None => (unsafe { libc::sysconf(libc::_SC_NPROCESSORS_CONF) }).max(1) as u32,
    }
}

/// Highest CPU of a kernel CPU list such as "0-3,8-11".
/// Bytes of memory available for new allocations (`MemAvailable`).
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

fn parse_cpu_list_max(s: &str) -> Option<u32> {
    s.split(',')
        .map(|part| part.rsplit('-').next().and_then(|n| n.parse::<u32>().ok()))
        .try_fold(0, |max, n| n.map(|n| max.max(n)))
}

/// This host's name (as `uname -n`).
pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: `buf` is writable for its whole length.
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0;
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    if ok {
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        "unknown".into()
    }
}

fn read_trimmed(path: &str) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// 16 random bytes formatted as a version-4 UUID.
pub fn random_uuid() -> [u8; 16] {
    let mut u = [0u8; 16];
    // SAFETY: `u` is writable for 16 bytes.
    let n = unsafe { libc::getrandom(u.as_mut_ptr().cast(), u.len(), 0) };
    if n != 16 {
        let seed = crate::clock::monotonic_ns() ^ (std::process::id() as u64) << 32;
        u[..8].copy_from_slice(&seed.to_le_bytes());
    }
    u[6] = (u[6] & 0x0f) | 0x40;
    u[8] = (u[8] & 0x3f) | 0x80;
    u
}

/// Now, as ISO 8601 basic UTC ("20261127T012345+0000").
fn creation_datetime() -> String {
    // SAFETY: time(NULL) only returns a value; gmtime_r fills `tm`.
    let tm = unsafe {
        let t = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        libc::gmtime_r(&t, &mut tm);
        tm
    };
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}+0000",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    )
}

/// The env/trace facts of a trace written to `dir` by this process (its
/// own program's trace: use `TraceInfo { process: None, .. }` for a trace
/// of several programs).
pub fn trace_info(dir: &Path) -> TraceInfo {
    TraceInfo {
        uuid: random_uuid(),
        boot_id: read_trimmed("/proc/sys/kernel/random/boot_id"),
        hostname: hostname(),
        process: Some((read_trimmed("/proc/self/comm"), std::process::id())),
        trace_name: dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "trace".into()),
        creation_datetime: creation_datetime(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists() {
        assert_eq!(parse_cpu_list_max("0"), Some(0));
        assert_eq!(parse_cpu_list_max("0-3,8-11"), Some(11));
        assert_eq!(parse_cpu_list_max("x"), None);
    }

    #[test]
    fn uuids_are_v4_and_fresh() {
        let (a, b) = (random_uuid(), random_uuid());
        assert_ne!(a, b);
        assert_eq!(a[6] >> 4, 4);
    }
}
