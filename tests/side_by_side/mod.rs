//! Recording one program with LTTng-UST (lttng-tools session) and with UST
//! (`UST_TRACE`), and comparing what babeltrace2 prints for each event:
//! name, log level and payload (the last `{ … }` group of the line).
#![allow(dead_code)]

use crate::common::{lttng, run_ok};
use std::path::Path;
use std::process::Command;

/// One event as babeltrace2 prints it with `--fields=loglevel`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub name: String,
    pub loglevel: String,
    pub payload: String,
}

/// Runs `exe` (built against LTTng-UST) in an LTTng session recording
/// `patterns`; returns its events. `work` receives the trace.
pub fn record_with_lttng(exe: &Path, patterns: &[&str], work: &Path) -> Vec<Event> {
    let stem = exe.file_name().unwrap().to_string_lossy().into_owned();
    let session = format!("ust_styles_{stem}_{}", std::process::id());
    let trace = work.join(format!("{stem}-lttng-trace"));
    let _ = std::fs::remove_dir_all(&trace);
    lttng(&["create", &session, &format!("--output={}", trace.display())]);
    for p in patterns {
        lttng(&["enable-event", "-u", p, "-s", &session]);
    }
    lttng(&["start", &session]);
    let run = Command::new(exe).output();
    lttng(&["stop", &session]);
    lttng(&["destroy", &session]);
    let run = run.unwrap();
    assert!(
        run.status.success(),
        "{}: {}",
        exe.display(),
        String::from_utf8_lossy(&run.stderr)
    );
    read_events(&trace)
}

/// Runs `exe` (built against UST) with `UST_TRACE`; returns its events.
pub fn record_with_ust(exe: &Path, work: &Path) -> Vec<Event> {
    let stem = exe.file_name().unwrap().to_string_lossy().into_owned();
    let trace = work.join(format!("{stem}-ust-trace"));
    run_ok(
        Command::new(exe)
            .env_remove("UST_EVENTS")
            .env_remove("UST_LOGLEVEL")
            .env("UST_TRACE", &trace),
    );
    read_events(&trace)
}

/// Every event of a trace, in babeltrace2's order.
pub fn read_events(trace: &Path) -> Vec<Event> {
    let out = run_ok(
        Command::new("babeltrace2")
            .arg("--fields=loglevel")
            .arg(trace),
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| parse_line(l).unwrap_or_else(|| panic!("unparsable line: {l}")))
        .collect()
}

/// Splits `[time] (+delta) [LEVEL (n) ]prov:event: { … }, …, { payload }`.
pub fn parse_line(line: &str) -> Option<Event> {
    let after_time = &line[line.find("] ")? + 2..];
    let rest = &after_time[after_time.find(") ")? + 2..];
    let colon = rest.find(": ")?;
    let (head, groups) = (&rest[..colon], &rest[colon + 2..]);
    let (loglevel, name) = match head.rfind(' ') {
        Some(space) => (&head[..space], &head[space + 1..]),
        None => ("", head),
    };
    Some(Event {
        name: name.to_string(),
        loglevel: loglevel.to_string(),
        payload: top_level_groups(groups).pop()?.to_string(),
    })
}

/// The top-level `{ … }` groups of a babeltrace2 line, honouring quoted strings.
fn top_level_groups(text: &str) -> Vec<&str> {
    let mut groups = Vec::new();
    let (mut depth, mut start, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for (index, byte) in text.bytes().enumerate() {
        if in_string {
            (in_string, escaped) = match (escaped, byte) {
                (false, b'\\') => (true, true),
                (false, b'"') => (false, false),
                _ => (true, false),
            };
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' => {
                if depth == 0 {
                    start = index;
                }
                depth += 1;
            }
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    groups.push(&text[start..=index]);
                }
            }
            _ => {}
        }
    }
    groups
}

/// Asserts both tracers recorded the same events, reporting each difference.
pub fn assert_same(what: &str, lttng: &[Event], ust: &[Event]) {
    assert!(!lttng.is_empty(), "{what}: LTTng recorded nothing");
    let diffs: Vec<String> = (0..lttng.len().max(ust.len()))
        .filter(|&i| lttng.get(i) != ust.get(i))
        .map(|i| {
            format!(
                "event #{i}:\n  lttng: {:?}\n  ust:   {:?}",
                lttng.get(i),
                ust.get(i)
            )
        })
        .collect();
    assert!(
        diffs.is_empty(),
        "{what}: LTTng recorded {} events, UST {}:\n{}",
        lttng.len(),
        ust.len(),
        diffs.join("\n")
    );
}
