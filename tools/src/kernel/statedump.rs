//! The state dump: one `lttng_statedump_process_state` event per thread that exists when
//! recording starts, read from /proc, between `lttng_statedump_start` and `_end`, so that a
//! viewer knows the threads no fork event introduces (values as lttng-modules sets them).

use super::sysfile;
use std::path::Path;

/// lttng-modules' `lttng_thread_type`, `lttng_execution_mode` and `lttng_process_status`.
const USER_THREAD: i64 = 0;
const KERNEL_THREAD: i64 = 1;
const MODE_UNKNOWN: i64 = 5;
const SUBMODE_NONE: i64 = 0;
const STATUS_UNNAMED: i64 = 0;
const STATUS_WAIT_CPU: i64 = 2;
const STATUS_ZOMBIE: i64 = 4;
const STATUS_WAIT: i64 = 5;
const STATUS_DEAD: i64 = 7;
/// PF_KTHREAD in /proc/PID/stat's flags.
const PF_KTHREAD: u64 = 0x0020_0000;

/// One thread, as `lttng_statedump_process_state` records it.
#[derive(Debug, PartialEq, Eq)]
pub struct Thread {
    pub tid: i64,
    pub pid: i64,
    pub ppid: i64,
    pub name: Vec<u8>,
    pub kind: i64,
    pub status: i64,
    pub cpu: u64,
}

impl Thread {
    pub const MODE: i64 = MODE_UNKNOWN;
    pub const SUBMODE: i64 = SUBMODE_NONE;
}

/// Every thread of every process in /proc (those that vanish meanwhile are skipped).
pub fn threads() -> Vec<Thread> {
    let mut out = Vec::new();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return out;
    };
    for pid in procs.filter_map(|e| number(&e.ok()?.file_name())) {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        for tid in tasks.filter_map(|e| number(&e.ok()?.file_name())) {
            let path = format!("/proc/{pid}/task/{tid}/stat");
            if let Some(t) = sysfile::read(Path::new(&path))
                .ok()
                .and_then(|s| parse_stat(&s, pid))
            {
                out.push(t);
            }
        }
    }
    out
}

fn number(name: &std::ffi::OsStr) -> Option<i64> {
    name.to_str()?.parse().ok()
}

/// A /proc/PID/task/TID/stat line: `tid (comm) state ppid … flags(9th) … processor(39th)`;
/// the comm may hold spaces and parentheses, so fields are counted after its last ')'.
fn parse_stat(line: &[u8], pid: i64) -> Option<Thread> {
    let open = line.iter().position(|&b| b == b'(')?;
    let close = line.iter().rposition(|&b| b == b')')?;
    let tid = std::str::from_utf8(&line[..open])
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let name = line.get(open + 1..close)?.to_vec();
    let rest = std::str::from_utf8(line.get(close + 1..)?).ok()?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is field 3 (state).
    let at = |n: usize| fields.get(n - 3).copied();
    let state = at(3)?.chars().next()?;
    let ppid = at(4)?.parse().ok()?;
    let flags: u64 = at(9)?.parse().ok()?;
    let cpu = at(39)?.parse().ok()?;
    let status = match state {
        'R' => STATUS_WAIT_CPU,
        'S' | 'D' => STATUS_WAIT,
        'Z' => STATUS_ZOMBIE,
        'X' | 'x' => STATUS_DEAD,
        _ => STATUS_UNNAMED,
    };
    let kind = if flags & PF_KTHREAD != 0 {
        KERNEL_THREAD
    } else {
        USER_THREAD
    };
    Some(Thread {
        tid,
        pid,
        ppid,
        name,
        kind,
        status,
        cpu,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_parse_with_odd_names() {
        let mut line = b"4321 (a (b) c) S 77 4321 4321 0 -1 4194560".to_vec();
        for n in 10..=38 {
            line.extend_from_slice(format!(" {n}").as_bytes());
        }
        line.extend_from_slice(b" 1 0 0\n");
        let t = parse_stat(&line, 4300).unwrap();
        assert_eq!(
            t,
            Thread {
                tid: 4321,
                pid: 4300,
                ppid: 77,
                name: b"a (b) c".to_vec(),
                kind: USER_THREAD,
                status: STATUS_WAIT,
                cpu: 1
            }
        );
        assert!(parse_stat(b"12 (x) R 1", 12).is_none());
    }

    #[test]
    fn this_thread_is_found_running() {
        // SAFETY: gettid has no preconditions.
        let me = i64::from(unsafe { libc::gettid() });
        let all = threads();
        let t = all.iter().find(|t| t.tid == me).expect("this thread");
        let pid = i64::from(std::process::id());
        assert_eq!(
            (t.pid, t.kind, t.status),
            (pid, USER_THREAD, STATUS_WAIT_CPU)
        );
        assert!(
            all.iter().any(|t| t.kind == KERNEL_THREAD),
            "kthreadd and friends"
        );
    }
}
