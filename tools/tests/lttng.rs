//! `ust view` on real LTTng-UST traces recorded here: the text must equal babeltrace2's,
//! including a trace with discarded events; the options are checked on the same traces.
//! Skipped, with the reason printed, when LTTng cannot record (tools or session daemon
//! missing).

mod common;
mod programs;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

fn sh(cmd: &mut Command) -> bool {
    cmd.output().map(|o| o.status.success()).unwrap_or(false)
}

fn lttng(args: &[&str]) -> bool {
    sh(Command::new("lttng").args(args))
}

/// True when LTTng can record, starting a session daemon if needed.
fn lttng_ready() -> bool {
    static READY: OnceLock<bool> = OnceLock::new();
    *READY.get_or_init(|| {
        if !sh(Command::new("lttng").arg("version")) {
            eprintln!("skipped: `lttng` is not installed");
            return false;
        }
        if !lttng(&["list"])
            && !sh(Command::new("lttng-sessiond").args(["--daemonize", "--no-kernel"]))
        {
            eprintln!("skipped: no LTTng session daemon and none could be started");
            return false;
        }
        true
    })
}

/// Builds the test program once.
fn app() -> Option<PathBuf> {
    static APP: OnceLock<Option<PathBuf>> = OnceLock::new();
    APP.get_or_init(|| {
        let dir = scratch("lttng-app");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c");
        let exe = dir.join("ust_test_app");
        let built = sh(Command::new("cc")
            .arg("-O2")
            .arg(format!("-I{}", src.display()))
            .arg(src.join("ust_test_app.c"))
            .arg("-o")
            .arg(&exe)
            .args(["-llttng-ust", "-ldl", "-lpthread"]));
        if !built {
            eprintln!(
                "skipped: cannot build the LTTng-UST test program (liblttng-ust-dev missing?)"
            );
        }
        built.then_some(exe)
    })
    .clone()
}

/// Records `ticks` tick events per CPU (plus one of every kind); `tiny` uses 2 × 4 KiB
/// sub-buffers so events are discarded. Returns the trace directory.
fn record(name: &str, ticks: u32, tiny: bool) -> Option<PathBuf> {
    // One recording at a time: a per-user session records every traced program of the user.
    static RECORDING: Mutex<()> = Mutex::new(());
    let _one = RECORDING.lock().unwrap_or_else(|e| e.into_inner());
    if !lttng_ready() {
        return None;
    }
    let exe = app()?;
    let dir = scratch(name);
    let session = format!("ust-view-{name}-{}", std::process::id());
    let out = dir.join("trace");
    assert!(lttng(&[
        "create",
        &session,
        &format!("--output={}", out.display())
    ]));
    let channel = "ch";
    let subbuf = if tiny {
        ["--subbuf-size=4096", "--num-subbuf=2"]
    } else {
        ["--subbuf-size=1M", "--num-subbuf=4"]
    };
    assert!(lttng(&[
        "enable-channel",
        "-u",
        "-s",
        &session,
        subbuf[0],
        subbuf[1],
        channel
    ]));
    assert!(lttng(&[
        "enable-event",
        "-u",
        "-s",
        &session,
        "-c",
        channel,
        "ust_test:*"
    ]));
    assert!(lttng(&[
        "add-context",
        "-u",
        "-s",
        &session,
        "-c",
        channel,
        "-t",
        "vpid",
        "-t",
        "vtid",
        "-t",
        "procname"
    ]));
    assert!(lttng(&["start", &session]));
    let ran = Command::new(&exe)
        .arg(ticks.to_string())
        .status()
        .expect("test program runs");
    assert!(ran.success());
    assert!(lttng(&["stop", &session]));
    assert!(lttng(&["destroy", &session]));
    Some(out)
}

fn assert_same_as_babeltrace(dir: &Path) -> String {
    assert_same_as_babeltrace_merged(&[dir])
}

/// `ust view DIRS` prints what `babeltrace2 DIRS` prints, line for line.
fn assert_same_as_babeltrace_merged(dirs: &[&Path]) -> String {
    let bt = babeltrace(dirs).expect("babeltrace2 is installed with LTTng");
    assert!(bt.status.success(), "{}", text(&bt.stderr));
    let args: Vec<&str> = dirs.iter().map(|d| d.to_str().unwrap()).collect();
    let ours = view(&args);
    assert!(ours.status.success(), "{}", text(&ours.stderr));
    let (theirs, mine) = (text(&bt.stdout), text(&ours.stdout));
    for (n, (a, b)) in theirs.lines().zip(mine.lines()).enumerate() {
        assert_eq!(a, b, "line {} differs", n + 1);
    }
    assert_eq!(theirs.lines().count(), mine.lines().count());
    mine
}

#[test]
fn lttng_ust_trace_prints_exactly_like_babeltrace2_and_options_work() {
    let Some(dir) = record("plain", 3000, false) else {
        return;
    };
    let all = assert_same_as_babeltrace(&dir);
    assert!(
        all.contains("ust_test:enums")
            && all.contains("( \"STOP\", \"ALSO_FOUR\" : container = 4 )")
    );
    let d = dir.to_str().unwrap();

    let enums = text(
        &view(&[
            "--events",
            "ust_test:enum*",
            "--events",
            "ust_test:empty",
            d,
        ])
        .stdout,
    );
    let expected: Vec<&str> = all
        .lines()
        .filter(|l| l.contains("ust_test:enums:") || l.contains("ust_test:empty:"))
        .collect();
    let got: Vec<&str> = enums.lines().collect();
    assert_eq!(got.len(), expected.len());
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(
            g.split_once(") ").unwrap().1,
            e.split_once(") ").unwrap().1,
            "same events (deltas differ once filtered)"
        );
    }

    let vpid = all
        .split("vpid = ")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap();
    assert_eq!(
        text(&view(&["--pid", vpid, d]).stdout).lines().count(),
        all.lines().count()
    );
    assert!(text(&view(&["--pid", "1", d]).stdout).is_empty());

    let window = text(&view(&["--begin", "+0", "--end", "+0", d]).stdout);
    assert_eq!(
        window.lines().count(),
        1,
        "only the first event at offset 0: {window}"
    );
    let first_time = &all[1..19];
    let from_first = text(&view(&["--begin", first_time, d]).stdout);
    assert_eq!(from_first.lines().count(), all.lines().count());

    let json = text(&view(&["--format", "json", d]).stdout);
    assert_eq!(json.lines().count(), all.lines().count());
    let ints = json
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("valid JSON"))
        .find(|v| v["event"] == "ust_test:ints" && v["fields"]["s8"] == -1)
        .expect("an ints event");
    assert_eq!(
        ints["fields"]["u64"],
        serde_json::json!(18446744073709551615u64)
    );
    assert_eq!(ints["stream_context"]["procname"], "ust_test_app");
    assert!(ints["packet"]["cpu_id"].as_u64().is_some());

    let summary = text(&view(&["--summary", d]).stdout);
    let ticks = all.lines().filter(|l| l.contains("ust_test:tick:")).count();
    assert!(
        summary.lines().any(|l| l.starts_with("ust_test:tick")
            && l.split_whitespace().nth(1) == Some(&ticks.to_string())),
        "{summary}"
    );
    assert!(summary.contains("no events discarded"), "{summary}");
}

#[test]
fn discarded_events_match_babeltrace2_and_are_flagged() {
    let Some(dir) = record("discard", 200_000, true) else {
        return;
    };
    assert_same_as_babeltrace(&dir);
    let d = dir.to_str().unwrap();
    let out = view(&[d]);
    assert!(
        text(&out.stderr).contains("WARNING: Tracer discarded"),
        "{}",
        text(&out.stderr)
    );
    let bt = babeltrace(&[&dir]).expect("babeltrace2 is installed with LTTng");
    assert_eq!(
        text(&out.stderr),
        text(&bt.stderr),
        "the same warnings, word for word"
    );
    let summary = text(&view(&["--summary", d]).stdout);
    assert!(
        summary.starts_with("WARNING: the tracer discarded"),
        "{summary}"
    );
}

/// c-examples/hello built against this build's libust.
fn ust_hello() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let src = root.join("c-examples/hello");
    let sources = [src.join("hello.c"), src.join("hello-tp.c")];
    programs::compile(&sources, &src, "view-merge-hello")
}

#[test]
fn lttng_and_ust_traces_merge_on_one_timeline_like_babeltrace2() {
    let Some(lttng) = record("merge", 200, false) else {
        return;
    };
    let ust = scratch("merge-ust").join("trace");
    assert!(sh(Command::new(ust_hello())
        .arg("4")
        .env("UST_TRACE", &ust)));
    let merged = assert_same_as_babeltrace_merged(&[&lttng, &ust]);
    let greetings = merged
        .lines()
        .filter(|l| l.contains(" hello:greeting: "))
        .count();
    let ticks = merged
        .lines()
        .filter(|l| l.contains(" ust_test:tick: "))
        .count();
    assert_eq!(greetings, 4, "{merged}");
    assert!(ticks >= 200, "{merged}");
    let summary =
        text(&view(&["--summary", lttng.to_str().unwrap(), ust.to_str().unwrap()]).stdout);
    assert!(
        summary
            .lines()
            .any(|l| l.starts_with("hello:greeting ") && l.split_whitespace().nth(1) == Some("4")),
        "{summary}"
    );
}
