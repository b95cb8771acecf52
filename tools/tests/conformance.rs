//! Conformance with babeltrace2 on babeltrace's own test-trace set (LTTng kernel and
//! LTTng-UST 2.x traces, hand-written metadata edge cases, traces that must be refused):
//! every trace goes through both tools and their standard output, success and discarded
//! events warnings must agree. The set lives outside the repository, in
//! `../shared/ctf-traces/babeltrace` from the checkout root (or `$UST_CTF_TRACES/babeltrace`);
//! without it, or without babeltrace2, the test says so and checks nothing.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Output;

/// Where babeltrace2 2.0.4 is wrong, and what `ust view` prints instead.
const BABELTRACE2_BUGS: &[(&str, &str)] = &[(
    "succeed/meta-ctx-sequence",
    "babeltrace2 2.0.4 aborts on an assertion (sequences in the packet and event contexts); \
     its one stream file is empty, so ust view prints nothing and succeeds",
)];

fn corpus() -> Option<PathBuf> {
    let base = match std::env::var_os("UST_CTF_TRACES") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/ctf-traces"),
    };
    let dir = base.join("babeltrace");
    if dir.is_dir() {
        return Some(dir);
    }
    eprintln!(
        "skipped: the babeltrace test-trace set is not at {} (set UST_CTF_TRACES)",
        dir.display()
    );
    None
}

/// Every input `babeltrace2` is given: each trace of each set, each set as a whole where
/// babeltrace2 reads it (several traces found below one directory), and the multi-input
/// cases of `deterministic-ordering` (copies of one trace, some corrupted, in both orders).
fn cases(root: &Path) -> Vec<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut sets: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    sets.sort();
    for set in &sets {
        let mut traces: Vec<PathBuf> = std::fs::read_dir(set)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        traces.sort();
        out.extend(traces.into_iter().map(|t| vec![t]));
    }
    for set in ["intersection", "packet-seq-num"] {
        out.push(vec![root.join(set)]);
    }
    let order = root.join("deterministic-ordering");
    for names in [
        ["b-not-corrupted", "c-corrupted"],
        ["c-corrupted", "b-not-corrupted"],
        ["a-corrupted", "b-not-corrupted"],
        ["b-not-corrupted", "a-corrupted"],
    ] {
        out.push(names.iter().map(|n| order.join(n)).collect());
    }
    out
}

fn warnings(out: &Output) -> Vec<String> {
    text(&out.stderr)
        .lines()
        .filter(|l| l.starts_with("WARNING:"))
        .map(str::to_string)
        .collect()
}

/// What differs between the two tools on `inputs`, if anything.
fn difference(inputs: &[PathBuf]) -> Option<String> {
    let paths: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    let bt = babeltrace(&paths)?;
    let args: Vec<&str> = inputs.iter().map(|p| p.to_str().unwrap()).collect();
    let ours = view(&args);
    if ours.status.code().is_none() {
        return Some(format!("ust view was killed: {:?}", ours.status));
    }
    if bt.status.success() != ours.status.success() {
        return Some(format!(
            "babeltrace2 {}, ust view {}: {}",
            bt.status,
            ours.status,
            text(&ours.stderr)
        ));
    }
    if !ours.status.success() && !text(&ours.stderr).contains("ust view: error: ") {
        return Some("ust view failed without saying why".to_string());
    }
    let (theirs, mine) = (text(&bt.stdout), text(&ours.stdout));
    if theirs != mine {
        let line = theirs
            .lines()
            .zip(mine.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(theirs.lines().count().min(mine.lines().count()));
        return Some(format!(
            "stdout differs from line {} ({} lines vs {}):\n  babeltrace2: {:?}\n  ust view:    {:?}",
            line + 1,
            theirs.lines().count(),
            mine.lines().count(),
            theirs.lines().nth(line),
            mine.lines().nth(line)
        ));
    }
    if warnings(&bt) != warnings(&ours) {
        return Some(format!(
            "warnings differ:\n  babeltrace2: {:?}\n  ust view:    {:?}",
            warnings(&bt),
            warnings(&ours)
        ));
    }
    None
}

#[test]
fn ust_view_agrees_with_babeltrace2_on_babeltraces_test_traces() {
    let Some(root) = corpus() else { return };
    let version = std::process::Command::new("babeltrace2")
        .arg("--version")
        .output();
    if version.is_err() {
        eprintln!("skipped: babeltrace2 is not installed");
        return;
    }
    let mut checked = 0;
    let mut failures = Vec::new();
    for inputs in cases(&root) {
        let name: Vec<String> = inputs
            .iter()
            .map(|p| p.strip_prefix(&root).unwrap().display().to_string())
            .collect();
        let name = name.join(" ");
        if let Some((_, why)) = BABELTRACE2_BUGS.iter().find(|(n, _)| *n == name) {
            let ours = view(&[inputs[0].to_str().unwrap()]);
            assert!(ours.status.success(), "{name}: {}", text(&ours.stderr));
            eprintln!("{name}: babeltrace2 bug, not compared: {why}");
            continue;
        }
        checked += 1;
        if let Some(diff) = difference(&inputs) {
            failures.push(format!("{name}: {diff}"));
        }
    }
    assert!(checked > 60, "only {checked} cases");
    assert!(
        failures.is_empty(),
        "{} of {checked} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{checked} cases agree with babeltrace2");
}

#[test]
fn refused_traces_get_a_clear_error_naming_the_file() {
    let Some(root) = corpus() else { return };
    let expect = [
        ("fail/fail1", "metadata line 11"),
        ("fail/fail2", "only CTF major version 1"),
        ("fail/integer-range", "invalid integer literal"),
        (
            "fail/invalid-packet-size",
            "channel0_3: byte offset 0: packet size",
        ),
        (
            "fail/invalid-sequence-length-field-class",
            "is not an integer field",
        ),
        (
            "fail/invalid-variant-selector-field-class",
            "`selector` is not an integer",
        ),
        ("fail/lttng-modules-2.0-pre1", "metadata packet"),
        ("fail/metadata-syntax-error", "syntax error"),
        ("fail/packet-based-metadata", "metadata packet"),
        ("fail/smalltrace", "only CTF major version 1"),
        (
            "fail/valid-events-then-invalid-events",
            "event id 255 is not declared",
        ),
    ];
    for (trace, msg) in expect {
        let out = view(&[root.join(trace).to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{trace}");
        let err = text(&out.stderr);
        assert!(err.contains("ust view: error: "), "{trace}: {err}");
        assert!(err.contains(msg), "{trace}: wanted {msg:?} in {err}");
    }
}
