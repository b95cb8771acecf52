//! The text the session commands print: session status, the list of sessions and programs.

use std::fmt::Write;
use ust::config::LOGLEVEL_NAMES;
use ust::ipc::proto::{AppInfo, KernelInfo, OutputInfo, SessionInfo, Written};

/// `hello:* and foo:bar (log level INFO or more severe)`.
pub fn patterns(globs: &[String], loglevel: Option<i32>) -> String {
    let mut s = globs.join(", ");
    if let Some(l) = loglevel {
        let name = LOGLEVEL_NAMES.get(l as usize).copied().unwrap_or("?");
        let _ = write!(s, " (log level {name} or more severe)");
    }
    s
}

fn state(s: &SessionInfo) -> &'static str {
    match s.state {
        0 => "created",
        1 => "started",
        2 => "stopped",
        _ => "unknown",
    }
}

/// Bytes, with a binary-unit figure for large values.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{n} B ({v:.1} {})", UNITS[unit])
}

/// The `ust status` report.
pub fn status(s: &SessionInfo) -> String {
    let mut out = format!("session \"{}\": {}\n", s.name, state(s));
    let _ = writeln!(out, "  trace:      {}", s.output);
    let _ = writeln!(out, "  programs:   {}", s.apps);
    let _ = writeln!(out, "  events:     {}", s.events);
    let _ = writeln!(out, "  discarded:  {}{}", s.discarded, discard_note(s));
    let _ = writeln!(out, "  written:    {}", bytes(s.bytes));
    if s.channels.len() > 1 {
        out.push_str("  channels:\n");
        for c in &s.channels {
            let _ = writeln!(
                out,
                "    {}: {} x {}{}{}, {} discarded, {}",
                c.name,
                c.num_subbuf,
                size(c.subbuf_size),
                if c.overwrite { ", overwrite" } else { "" },
                blocking(c.blocking_timeout_us),
                c.discarded,
                bytes(c.bytes)
            );
        }
    }
    out.push_str(&outputs(&s.outputs));
    for e in &s.errors {
        let _ = writeln!(out, "  problem:    {e}");
    }
    out
}

/// The lines of `ust status` about chunks, snapshots or the relay.
fn outputs(o: &OutputInfo) -> String {
    let mut out = String::new();
    match (o.mode, &o.relay) {
        (1, _) => {
            out.push_str("  recorder:   flight recorder (written by snapshots only)\n");
            let _ = write!(out, "  snapshots:  {}", o.snapshots);
            if !o.last_snapshot.is_empty() {
                let _ = write!(out, ", the last in {}", o.last_snapshot);
            }
            out.push('\n');
            if !o.trigger.is_empty() {
                let _ = writeln!(out, "  trigger:    {}", o.trigger);
            }
        }
        (2, Some(r)) => {
            let state = if r.connected {
                "connected"
            } else {
                "NOT CONNECTED"
            };
            let _ = writeln!(out, "  relay:      {} ({state}), writing {}", r.url, r.path);
            let _ = writeln!(
                out,
                "  sent:       {} packets, {}",
                r.packets_sent,
                bytes(r.bytes_sent)
            );
            if r.packets_lost > 0 || r.events_lost > 0 {
                let _ = writeln!(
                    out,
                    "  lost:       {} packets ({} events, counted as discarded) while the relay was unreachable",
                    r.packets_lost, r.events_lost
                );
            }
            if r.reconnects > 0 {
                let _ = writeln!(out, "  reconnects: {}", r.reconnects);
            }
            if !r.error.is_empty() {
                let _ = writeln!(out, "  relay said: {}", r.error);
            }
        }
        _ => {
            if o.rotate_size > 0 || o.rotate_timer_ms > 0 {
                let _ = writeln!(
                    out,
                    "  rotation:   {}",
                    rotation(o.rotate_size, o.rotate_timer_ms)
                );
            }
            match &o.kernel {
                Some(k) => kernel(&mut out, &o.chunk, k),
                None if !o.chunk.is_empty() => {
                    let _ = writeln!(out, "  chunk:      {} (being written)", o.chunk);
                }
                None => {}
            }
            if o.archived > 0 {
                let _ = writeln!(out, "  archived:   {} chunks", o.archived);
                for a in &o.archives {
                    let _ = writeln!(out, "    {a}");
                }
            }
        }
    }
    out
}

/// The lines about a session's kernel events, its userspace trace being in `userspace`.
fn kernel(out: &mut String, userspace: &str, k: &KernelInfo) {
    let _ = writeln!(out, "  userspace:  {userspace}/");
    let _ = writeln!(
        out,
        "  kernel:     {} ({}), {}/: {} events, {} lost, {} written, {} per CPU",
        k.categories,
        if k.recording {
            "recording"
        } else {
            "not recording"
        },
        k.dir,
        k.events,
        k.lost,
        bytes(k.bytes),
        size(k.buffer_size)
    );
}

/// When a session rotates by itself: `every 100 MiB`, `every 10 min`, both.
pub fn rotation(size: u64, timer_ms: u64) -> String {
    let mut when = Vec::new();
    if size > 0 {
        when.push(format!("once a chunk holds {}", bytes(size)));
    }
    if timer_ms > 0 {
        when.push(format!("once a chunk is {} old", duration(timer_ms)));
    }
    when.join(" or ")
}

/// Milliseconds in the largest whole unit.
fn duration(ms: u64) -> String {
    match ms {
        ms if ms % 3_600_000 == 0 => format!("{} h", ms / 3_600_000),
        ms if ms % 60_000 == 0 => format!("{} min", ms / 60_000),
        ms if ms % 1_000 == 0 => format!("{} s", ms / 1_000),
        ms => format!("{ms} ms"),
    }
}

/// The line `ust snapshot` prints.
pub fn snapshot(w: &Written) -> String {
    let mut line = format!(
        "snapshot written to {}: {} events, {}",
        w.path,
        w.events,
        bytes(w.bytes)
    );
    if !w.problem.is_empty() {
        let _ = write!(line, "\n  problem: {}", w.problem);
    }
    line
}

/// The line `ust rotate` prints.
pub fn rotated(session: &str, w: &Written) -> String {
    format!(
        "session \"{session}\": chunk archived in {}: {} events, {}",
        w.path,
        w.events,
        bytes(w.bytes)
    )
}

/// A power-of-two buffer size: `4k`, `1M`.
fn size(n: u64) -> String {
    match n.trailing_zeros() {
        30.. => format!("{}G", n >> 30),
        20.. => format!("{}M", n >> 20),
        10.. => format!("{}k", n >> 10),
        _ => n.to_string(),
    }
}

fn blocking(us: i64) -> String {
    match us {
        0 => String::new(),
        -1 => ", blocking".into(),
        us => format!(", blocking up to {us} µs"),
    }
}

fn discard_note(s: &SessionInfo) -> &'static str {
    if s.discarded > 0 {
        "  WARNING: events were lost (buffers full: try a larger --subbuf-size or --num-subbuf)"
    } else {
        ""
    }
}

/// The line `ust stop` prints.
pub fn stopped(s: &SessionInfo) -> String {
    let mut line = format!(
        "session \"{}\" stopped: {} events, {} discarded, {} in {}",
        s.name,
        s.events,
        s.discarded,
        bytes(s.bytes),
        s.output
    );
    for e in &s.errors {
        let _ = write!(line, "\n  problem: {e}");
    }
    line
}

/// The `ust list` report.
pub fn list(sessions: &[SessionInfo], apps: &[AppInfo]) -> String {
    let mut out = String::from("Sessions:\n");
    if sessions.is_empty() {
        out.push_str("  (none)\n");
    }
    for s in sessions {
        let _ = writeln!(
            out,
            "  {}  {}  {} programs  {} events  {} discarded  {}",
            s.name,
            state(s),
            s.apps,
            s.events,
            s.discarded,
            s.output
        );
    }
    out.push_str("Programs:\n");
    if apps.is_empty() {
        out.push_str("  (none)\n");
    }
    for a in apps {
        let _ = writeln!(
            out,
            "  {} {} (uid {}): {} tracepoints",
            a.pid,
            a.procname,
            a.uid,
            a.events.len()
        );
        for e in &a.events {
            let _ = writeln!(out, "    {e}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> SessionInfo {
        SessionInfo {
            name: "s".into(),
            output: "/t/s".into(),
            state: 1,
            apps: 2,
            events: 10,
            discarded: 0,
            bytes: 2048,
            channels: Vec::new(),
            errors: Vec::new(),
            outputs: Default::default(),
        }
    }

    #[test]
    fn status_and_list_text() {
        assert_eq!(
            status(&info()),
            "session \"s\": started\n  trace:      /t/s\n  programs:   2\n  events:     10\n  \
             discarded:  0\n  written:    2048 B (2.0 KiB)\n"
        );
        let app = AppInfo {
            pid: 7,
            uid: 1000,
            procname: "hello".into(),
            events: vec!["hello:greeting".into()],
        };
        assert_eq!(
            list(&[info()], &[app]),
            "Sessions:\n  s  started  2 programs  10 events  0 discarded  /t/s\nPrograms:\n  \
             7 hello (uid 1000): 1 tracepoints\n    hello:greeting\n"
        );
        assert_eq!(list(&[], &[]), "Sessions:\n  (none)\nPrograms:\n  (none)\n");
        let channel = |name: &str, overwrite, blocking_timeout_us| ust::ipc::proto::ChannelInfo {
            name: name.into(),
            subbuf_size: 1 << 20,
            num_subbuf: 4,
            overwrite,
            blocking_timeout_us,
            events: 0,
            discarded: 3,
            bytes: 100,
        };
        let two = SessionInfo {
            channels: vec![channel("channel0", false, -1), channel("debug", true, 0)],
            errors: vec!["disk full: 5 events lost".into()],
            ..info()
        };
        assert!(status(&two).ends_with(
            "  channels:\n    channel0: 4 x 1M, blocking, 3 discarded, 100 B\n    \
             debug: 4 x 1M, overwrite, 3 discarded, 100 B\n  problem:    disk full: 5 events lost\n"
        ));
        assert_eq!(
            patterns(&["a:*".into(), "b".into()], Some(6)),
            "a:*, b (log level INFO or more severe)"
        );
        let rotated = SessionInfo {
            outputs: Box::new(OutputInfo {
                chunk: "20260101T000000+0000-2".into(),
                archives: vec!["archives/A-B-0".into(), "archives/B-C-1".into()],
                archived: 2,
                rotate_size: 1 << 20,
                rotate_timer_ms: 600_000,
                ..OutputInfo::default()
            }),
            ..info()
        };
        assert!(status(&rotated).ends_with(
            "  rotation:   once a chunk holds 1048576 B (1.0 MiB) or once a chunk is 10 min old\n  \
             chunk:      20260101T000000+0000-2 (being written)\n  archived:   2 chunks\n    \
             archives/A-B-0\n    archives/B-C-1\n"
        ));
        let relay = SessionInfo {
            outputs: Box::new(OutputInfo {
                mode: 2,
                relay: Some(ust::ipc::proto::RelayInfo {
                    url: "net://h".into(),
                    path: "vm/s-1".into(),
                    packets_sent: 3,
                    bytes_sent: 10,
                    packets_lost: 1,
                    events_lost: 5,
                    ..Default::default()
                }),
                ..OutputInfo::default()
            }),
            ..info()
        };
        assert!(status(&relay).ends_with(
            "  relay:      net://h (NOT CONNECTED), writing vm/s-1\n  sent:       3 packets, 10 B\n  \
             lost:       1 packets (5 events, counted as discarded) while the relay was unreachable\n"
        ));
    }
}
