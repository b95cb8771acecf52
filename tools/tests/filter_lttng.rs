//! `ust view --filter` against LTTng-UST 2.13 recording with the same filter.
//!
//! One C program (tests/c/filter: every field kind, values at the corners of the semantics)
//! is built twice from the same sources: against LTTng-UST, and against UST's
//! compatibility headers. LTTng records it with one channel per expression, each channel's
//! only rule being `lttng enable-event -u 'filt:*' --filter EXPR`; UST records it unfiltered.
//! For every expression, the events `ust view --filter EXPR` keeps from the UST trace must
//! be exactly those LTTng kept (same names, same payloads, same order). Expressions LTTng
//! refuses must be refused by `ust view` too.
//!
//! Left out on purpose, because UST differs from LTTng 2.13 there (README, "Filtering
//! events"): arithmetic (`+ - * / %`, refused by LTTng), integer constants beyond 64 bits
//! (LTTng silently saturates or truncates them), sequence elements past the sequence's
//! length (LTTng reads the program's memory beyond it), and context fields a trace does not
//! record (`ust view` can only read what the trace holds).
//!
//! Skipped, with the reason printed, when LTTng cannot record (tools, liblttng-ust-dev or
//! session daemon missing).

mod common;
mod filter_app;
mod programs;
use common::*;
use filter_app::{apps, lttng, EXPRESSIONS};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Expressions LTTng refuses when enabling the event; `ust view` must refuse them too.
const REFUSED: &[&str] = &[
    "n < 08",
    r#"s == "ab\n""#,
    r#"s == "ab\c""#,
    "$ctx == 1",
    "$foo.bar == 1",
    "arr[n] == 1",
    "arr[-1] == 1",
    r#"!"abc""#,
    r#"-"abc""#,
    r#""a*b" == "c*""#,
    r#""a*b" < s"#,
    r#"s < "a*b""#,
    r#"1 && "a""#,
    r#""a" == 1"#,
    "~1.5",
    "1.5 & 1",
    "1.5",
    "-1.5",
    "(1.5)",
    "!1.5",
    r#""abc""#,
    "n ==",
    "(n == 1",
    "n = 1",
];

/// UST's arithmetic, which LTTng 2.13 refuses.
const EXTENSIONS: &[&str] = &["n + 1 == 2", "n * 2 - 1 > 5", "d / 2 < 1", "n % 3 == 0"];

/// One event as the text tools print it: its name and its payload group.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Event {
    name: String,
    payload: String,
}

#[test]
fn view_filter_keeps_what_lttng_keeps() {
    let Some((lttng_app, ust_app)) = apps() else {
        return;
    };
    let dir = programs::Scratch::new("filter-lttng");
    let Some(lttng_kept) = record_with_lttng(&lttng_app, &dir) else {
        return;
    };
    let ust_trace = dir.join("ust-trace");
    let run = Command::new(&ust_app)
        .env_remove("UST_EVENTS")
        .env_remove("UST_LOGLEVEL")
        .env("UST_TRACE", &ust_trace)
        .output()
        .expect("run the UST build");
    assert!(run.status.success(), "UST build: {}", text(&run.stderr));
    let everything = ust_view(&ust_trace, None);
    assert!(
        everything.len() > 100,
        "UST recorded {} events",
        everything.len()
    );
    let mut differences = Vec::new();
    let mut selective = 0;
    for (expr, lttng) in EXPRESSIONS.iter().zip(&lttng_kept) {
        let ust = ust_view(&ust_trace, Some(expr));
        if &ust != lttng {
            differences.push(format!(
                "{expr}\n  lttng keeps n = {:?}\n  ust keeps   n = {:?}",
                numbers(lttng),
                numbers(&ust)
            ));
        }
        if !ust.is_empty() && ust.len() < everything.len() {
            selective += 1;
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {} expressions keep other events than LTTng:\n{}",
        differences.len(),
        EXPRESSIONS.len(),
        differences.join("\n")
    );
    assert!(
        selective > 60,
        "only {selective} expressions keep some but not all events"
    );
}

/// The same comparison at record time: the UST build run once per expression with
/// `UST_FILTER` (evaluated in the program, on the serialized payload) keeps exactly what
/// LTTng kept, so recording and reading agree too.
#[test]
fn record_time_filter_keeps_what_lttng_keeps() {
    let Some((lttng_app, ust_app)) = apps() else {
        return;
    };
    let dir = programs::Scratch::new("filter-lttng-record");
    let Some(lttng_kept) = record_with_lttng(&lttng_app, &dir) else {
        return;
    };
    let mut differences = Vec::new();
    for (i, (expr, lttng)) in EXPRESSIONS.iter().zip(&lttng_kept).enumerate() {
        let trace = dir.join(format!("ust-{i}"));
        let run = Command::new(&ust_app)
            .env_remove("UST_EVENTS")
            .env_remove("UST_LOGLEVEL")
            .env("UST_TRACE", &trace)
            .env("UST_FILTER", expr)
            .output()
            .expect("run the UST build");
        assert!(run.status.success(), "UST build: {}", text(&run.stderr));
        assert!(run.stderr.is_empty(), "{expr}: {}", text(&run.stderr));
        let ust = ust_view(&trace, None);
        if &ust != lttng {
            differences.push(format!(
                "{expr}\n  lttng keeps n = {:?}\n  ust keeps   n = {:?}",
                numbers(lttng),
                numbers(&ust)
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {} expressions keep other events than LTTng when recording:\n{}",
        differences.len(),
        EXPRESSIONS.len(),
        differences.join("\n")
    );
}

#[test]
fn view_filter_refuses_what_lttng_refuses_and_adds_arithmetic() {
    let Some((lttng_app, _)) = apps() else {
        return;
    };
    drop(lttng_app);
    let session = format!("ust_filter_refused_{}", std::process::id());
    let dir = programs::Scratch::new("filter-refused");
    assert!(lttng(&[
        "create",
        &session,
        &format!("--output={}", dir.display())
    ]));
    let mut accepted = Vec::new();
    for expr in REFUSED {
        if lttng(&[
            "enable-event",
            "-u",
            "-s",
            &session,
            "filt:*",
            "--filter",
            expr,
        ]) {
            accepted.push(format!("lttng accepts {expr}"));
        }
        let out = view(&[dir.to_str().unwrap(), "--filter", expr]);
        let stderr = text(&out.stderr);
        if out.status.code() != Some(2) || !stderr.starts_with("ust view: filter: column ") {
            accepted.push(format!("ust view --filter {expr}: {stderr}"));
        }
    }
    for expr in EXTENSIONS {
        if lttng(&[
            "enable-event",
            "-u",
            "-s",
            &session,
            "filt:*",
            "--filter",
            expr,
        ]) {
            accepted.push(format!("lttng accepts {expr}"));
        }
        let out = view(&[dir.to_str().unwrap(), "--filter", expr]);
        if text(&out.stderr).starts_with("ust view: filter:") {
            accepted.push(format!("ust view refuses {expr}: {}", text(&out.stderr)));
        }
    }
    lttng(&["destroy", &session]);
    assert!(accepted.is_empty(), "{}", accepted.join("\n"));
}

/// The `n` field of each event, to show differences briefly.
fn numbers(events: &[Event]) -> Vec<i64> {
    events
        .iter()
        .filter_map(|e| {
            let at = e.payload.find("n = ")? + 4;
            let end = e.payload[at..]
                .find(',')
                .map_or(e.payload.len(), |i| at + i);
            e.payload[at..end].parse().ok()
        })
        .collect()
}

/// Records `app` with one LTTng channel per expression; returns the events each kept.
/// Recordings take turns: every active LTTng session of the user records every program
/// that starts, so a session of a test running beside this one would record its program
/// too.
fn record_with_lttng(app: &Path, dir: &Path) -> Option<Vec<Vec<Event>>> {
    static RECORDINGS: std::sync::Mutex<u32> = std::sync::Mutex::new(0);
    let mut turn = RECORDINGS.lock().unwrap_or_else(|e| e.into_inner());
    let n = *turn;
    *turn += 1;
    let session = format!("ust_filter_{}_{n}", std::process::id());
    let output = dir.join("lttng");
    assert!(lttng(&[
        "create",
        &session,
        &format!("--output={}", output.display())
    ]));
    for (k, expr) in EXPRESSIONS.iter().enumerate() {
        let channel = format!("c{k}");
        let created = lttng(&[
            "enable-channel",
            "-u",
            "-s",
            &session,
            &channel,
            "--subbuf-size",
            "16384",
            "--num-subbuf",
            "4",
        ]);
        let enabled = created
            && lttng(&[
                "enable-event",
                "-u",
                "-s",
                &session,
                "-c",
                &channel,
                "filt:*",
                "--filter",
                expr,
            ]);
        if !enabled {
            lttng(&["destroy", &session]);
            panic!("LTTng refuses the filter {expr:?}");
        }
    }
    assert!(lttng(&["start", &session]));
    let run = Command::new(app).output().expect("run the LTTng build");
    assert!(lttng(&["stop", &session]));
    assert!(lttng(&["destroy", &session]));
    drop(turn);
    assert!(run.status.success(), "LTTng build: {}", text(&run.stderr));
    let metadata = find_metadata(&output).expect("LTTng wrote a trace");
    let trace = metadata.parent().unwrap();
    let mut kept = Vec::new();
    for k in 0..EXPRESSIONS.len() {
        let channel_dir = dir.join(format!("channel-{k}"));
        std::fs::create_dir_all(&channel_dir).unwrap();
        std::fs::copy(&metadata, channel_dir.join("metadata")).unwrap();
        let prefix = format!("c{k}_");
        for entry in std::fs::read_dir(trace).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with(&prefix) {
                std::fs::copy(&path, channel_dir.join(&name)).unwrap();
            }
        }
        let out = babeltrace(&[&channel_dir])?;
        assert!(out.status.success(), "babeltrace2: {}", text(&out.stderr));
        kept.push(events(&text(&out.stdout)));
    }
    Some(kept)
}

fn find_metadata(dir: &Path) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()? {
        let path = entry.ok()?.path();
        if path.is_dir() {
            if let Some(found) = find_metadata(&path) {
                return Some(found);
            }
        } else if path.file_name().is_some_and(|n| n == "metadata") {
            return Some(path);
        }
    }
    None
}

/// The events `ust view` prints for `trace`, with `--filter expr` when given.
fn ust_view(trace: &Path, expr: Option<&str>) -> Vec<Event> {
    let mut args = vec![trace.to_str().unwrap()];
    if let Some(expr) = expr {
        args.extend(["--filter", expr]);
    }
    let out = view(&args);
    assert!(
        out.status.success(),
        "ust view {args:?}: {}",
        text(&out.stderr)
    );
    events(&text(&out.stdout))
}

/// Events of babeltrace2-style text: `… prov:event: { ctx }, { payload }` per line.
fn events(text: &str) -> Vec<Event> {
    text.lines()
        .map(|line| {
            let head = line
                .find(" filt:")
                .unwrap_or_else(|| panic!("no event in {line}"));
            let rest = &line[head + 1..];
            let colon = rest.find(": ").unwrap();
            let payload = &rest[rest.rfind(", {").map_or(colon + 2, |i| i + 2)..];
            Event {
                name: rest[..colon].to_string(),
                payload: payload.to_string(),
            }
        })
        .collect()
}
