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
mod programs;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Expressions both tracers accept; each must keep the same events.
const EXPRESSIONS: &[&str] = &[
    // Integers: signed, unsigned (compared as 64-bit signed), network order.
    "n < 3",
    "n == 1 == 1",
    "((n)) == (1)",
    "n == +1 || n == - -1",
    "!!n == 0",
    "u8 == 255",
    "i8 == -42",
    "i8 < u8",
    "u64 > 0",
    "u64 == -1",
    "u64 < 0",
    "u64 < 0.5",
    "u64 == 18446744073709551615",
    "u64 == 0xffffffffffffffff",
    "i64 == -9223372036854775808",
    "u16 >= 65280 && u32 != 0",
    "i32 <= -100000",
    "net == 255",
    "snet == -1",
    "n < 017 && n > 014",
    "n < 2u && n >= 0x1UL",
    // Bitwise operators, tighter than comparisons; logical shifts.
    "x & 0x10 == 0x10",
    "x | 0xff == 0xff",
    "x ^ 0xff00 == 0",
    "i64 >> 63",
    "(i64 >> 1) < 0",
    "n << 63 < 0",
    "~u8 == -256",
    "-u8 == -255",
    "!u8",
    "n << 64",
    "n >> -1",
    // Enumerations compare as their integers.
    "color == 5",
    "5 == color",
    "color < 0",
    "level == 200",
    "level > 100",
    "color",
    "level",
    // Floating point, against integers as floating point; && and || truncate floats.
    "f > 1",
    "d == 42.25",
    "d > 1 && d < 3",
    "d && n > 0",
    "n > 2 && (0 || d)",
    "-1.5 < d && d < 0",
    "d == 1e300",
    ".5 == d",
    "5. < d && d < 42.1",
    "1e3 < d && d < 1e11",
    "d == 0.5f",
    "n < 0x2p0",
    "f == d",
    "f == 0.1",
    "d",
    // Strings: C's signed strcmp, a trailing star as a prefix, full globs, escapes.
    r#"s == "abc""#,
    r#""abc" == s"#,
    r#"s == 'abc'"#,
    r#"s == L"abc""#,
    r#"s == """#,
    r#"s != "abc""#,
    r#"s == "ab*""#,
    r#"s != "ab*""#,
    r#"s == "*c""#,
    r#"s != "*c""#,
    r#"s == "a**""#,
    r#"s == "x*z""#,
    r#"s == "*y*""#,
    r#"s < "abc""#,
    r#"s >= "b""#,
    r#"s > "hello*""#,
    r#""a*" < s"#,
    r#"s == "hello\*""#,
    r#"s == "*\\*""#,
    r#"s == "back\\slash""#,
    r#"s == "café""#,
    r#"(s == "abc") == 1"#,
    // Text arrays and sequences compare as strings; fields against fields.
    r#"tag == "abcd""#,
    r#"tag == "ab""#,
    r#"tag < "b""#,
    r#"st == "ab""#,
    r#"st == """#,
    "s == tag",
    "st != s",
    // Array and sequence elements.
    "arr[1] == 2",
    "arr[0x1] == 2 || arr[2] == 42",
    "arr[0] < 0",
    "seq[0] == 5",
    "narr[0] == 704643072",
    // What makes the whole filter false: missing fields, type mismatches, even under ||.
    "missing == 1 || n < 3",
    "n < 3 || missing == 1",
    "s == 1",
    "s",
    "arr == 1",
    "arr[3] == 2 || n < 3",
    "tag[0] == 97",
    "a.b == 1",
    "a->b == 1",
    "$app.x:y == 1 || n < 3",
    "arr[1][2] == 1",
    "$ctx.procname",
    // Constants.
    "1",
    "0",
    "n",
    "1 || n",
    "0 || n < 2",
    r#""abc" == "abc""#,
    r#""a*b" == "cd""#,
    // Context fields both traces hold.
    "$ctx.vpid > 0 && n < 3",
    r#"$ctx.procname == "filter_app" && n < 3"#,
    r#"$ctx.procname == "filter*" && n > 110"#,
    "$ctx.cpu_id >= 0 && n < 3",
    // Blanks and comments.
    "n < 2 /* comment */",
    "n\t<\n2 // to the end",
];

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

fn sh(cmd: &mut Command) -> bool {
    cmd.output().map(|o| o.status.success()).unwrap_or(false)
}

fn lttng(args: &[&str]) -> bool {
    sh(Command::new("lttng").args(args))
}

/// The program built against LTTng-UST and against UST, both named `filter_app` (the
/// `procname` context); None (with the reason) when LTTng cannot record here.
fn apps() -> Option<(PathBuf, PathBuf)> {
    if !sh(Command::new("lttng").arg("version")) {
        eprintln!("skipped: `lttng` is not installed");
        return None;
    }
    if !lttng(&["list"]) && !sh(Command::new("lttng-sessiond").args(["--daemonize", "--no-kernel"]))
    {
        eprintln!("skipped: no LTTng session daemon and none could be started");
        return None;
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = manifest.join("tests/c/filter");
    let sources = [src.join("filter_app.c"), src.join("filter_tp.c")];
    let lttng_dir = programs::build_dir().join("filter-lttng");
    std::fs::create_dir_all(&lttng_dir).unwrap();
    let lttng_app = lttng_dir.join("filter_app");
    let built = sh(Command::new("cc")
        .args(["-O2", "-Wall", "-Wextra", "-Werror", "-I"])
        .arg(&src)
        .args(&sources)
        .arg("-o")
        .arg(&lttng_app)
        .args(["-llttng-ust", "-ldl"]));
    if !built {
        eprintln!("skipped: cannot build against LTTng-UST (liblttng-ust-dev missing?)");
        return None;
    }
    let ust_dir = programs::build_dir().join("filter-ust");
    std::fs::create_dir_all(&ust_dir).unwrap();
    let ust_app = ust_dir.join("filter_app");
    let lib = programs::lib_dir();
    let out = Command::new("cc")
        .args(["-O2", "-Wall", "-Wextra", "-Werror", "-I"])
        .arg(manifest.join("../include/lttng-compat"))
        .arg("-I")
        .arg(manifest.join("../include"))
        .arg("-I")
        .arg(&src)
        .args(&sources)
        .arg("-o")
        .arg(&ust_app)
        .arg(format!("-L{}", lib.display()))
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .args(["-lust", "-ldl"])
        .output()
        .unwrap();
    assert!(out.status.success(), "cc: {}", text(&out.stderr));
    Some((lttng_app, ust_app))
}

/// Records `app` with one LTTng channel per expression; returns the events each kept.
fn record_with_lttng(app: &Path, dir: &Path) -> Option<Vec<Vec<Event>>> {
    let session = format!("ust_filter_{}", std::process::id());
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
