//! LTTng-UST source and trace compatibility.
//!
//! What this proves: a program instrumented for LTTng-UST, left unmodified, builds against UST
//! through the compatibility include directory (`-I include/lttng-compat -I include -lust`),
//! links only `libust.so.1` (no `liblttng-ust`), and writes a trace that babeltrace2 prints
//! exactly as it prints the trace real LTTng-UST 2.13 + lttng-tools record for the same run:
//! same number of events, and for each event in order the same name, the same log level, and
//! the same payload text (the last `{ … }` group of babeltrace2's line; the packet context
//! `{ cpu_id = N }` and any stream/event context groups only one tracer adds are not compared).
//!
//! Two programs in `tests/c/lttng_compat/` cover the two API generations:
//! * `app_v213.c` + `tp_v213.[ch]`: the LTTng-UST 2.13 namespaced API (`LTTNG_UST_TRACEPOINT_EVENT`,
//!   `lttng_ust_field_*`, `lttng_ust_tracepoint`, `LTTNG_UST_TRACEPOINT_DEFINE`, …) with every
//!   field macro, including the `_hex`/`_network` arrays and sequences and all `_nowrite` ones;
//! * `app_qemu.c` + `tp_qemu_*.h` + `tp_qemu_all.c`: the ≤ 2.12 API as QEMU's `ust` backend
//!   generates it (`TRACEPOINT_EVENT`, `ctf_*`, `tracepoint`, `TP_ARGS(void)`, two providers in
//!   one probe object) plus event classes/instances, `TRACEPOINT_LOGLEVEL` and `TRACEPOINT_ENUM`.
//!
//! Empty strings and zero-length text are emitted first in their event class, because
//! babeltrace2 2.0.4 may print a previous event's value for them (see `app_v213.c`).
//!
//! The test is skipped (and passes) only when the `lttng` command is not installed. If no
//! session daemon answers, it starts one with `lttng-sessiond --daemonize --no-kernel`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// One test program: its C sources and the LTTng event patterns that cover its providers.
struct Program {
    name: &'static str,
    sources: &'static [&'static str],
    event_patterns: &'static [&'static str],
}

const V213_PROGRAM: Program = Program {
    name: "app_v213",
    sources: &["app_v213.c", "tp_v213.c"],
    event_patterns: &["compat213:*"],
};

const QEMU_PROGRAM: Program = Program {
    name: "app_qemu",
    sources: &["app_qemu.c", "tp_qemu_all.c"],
    event_patterns: &["qemu_block:*", "qemu_net:*"],
};

/// One event as babeltrace2 prints it with `--fields=loglevel`.
#[derive(Debug, PartialEq, Eq)]
struct Event {
    name: String,
    loglevel: String,
    payload: String,
}

#[test]
fn lttng_213_style_program_traces_like_lttng() {
    check_program(&V213_PROGRAM);
}

#[test]
fn qemu_style_program_traces_like_lttng() {
    check_program(&QEMU_PROGRAM);
}

#[test]
fn payload_is_the_last_group_of_a_line() {
    let line = "[01:35:04.930088141] (+0.000000271) TRACE_NOTICE (5) qemu_block:io: \
                { cpu_id = 0 }, { vpid = 7 }, { dev = \"a } {\\\" b\", n = [ [0] = 1 ] }";
    let event = parse_line(line).expect("line parses");
    assert_eq!(event.name, "qemu_block:io");
    assert_eq!(event.loglevel, "TRACE_NOTICE (5)");
    assert_eq!(event.payload, "{ dev = \"a } {\\\" b\", n = [ [0] = 1 ] }");
    let bare = parse_line("[t] (+?.?????????) p:e: { cpu_id = 1 }, { }").expect("parses");
    assert_eq!((bare.loglevel.as_str(), bare.payload.as_str()), ("", "{ }"));
}

/// Builds `program` against LTTng-UST and UST, traces both, and compares the two traces.
fn check_program(program: &Program) {
    if let Err(reason) = lttng_ready() {
        eprintln!("SKIPPED {}: {reason}", program.name);
        return;
    }
    let work = work_dir(program.name);
    let lttng_events = trace_with_lttng(program, &work);
    let ust_events = trace_with_ust(program, &work);
    assert!(
        !lttng_events.is_empty(),
        "LTTng recorded no event of {}",
        program.name
    );
    let diffs = differences(&lttng_events, &ust_events);
    assert!(
        diffs.is_empty() && lttng_events.len() == ust_events.len(),
        "{}: LTTng recorded {} events, UST {}; differences (see {}):\n{}",
        program.name,
        lttng_events.len(),
        ust_events.len(),
        work.display(),
        diffs.join("\n")
    );
    let _ = fs::remove_dir_all(&work);
}

/// `Ok` when the lttng client is installed and a session daemon answers (started if needed).
fn lttng_ready() -> Result<(), String> {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    READY
        .get_or_init(|| {
            if Command::new("lttng").arg("--version").output().is_err() {
                return Err("the `lttng` command is not installed".into());
            }
            if !lttng_ok(&["list"]) {
                run_ok(Command::new("lttng-sessiond").args(["--daemonize", "--no-kernel"]));
            }
            assert!(
                lttng_ok(&["list"]),
                "lttng-sessiond started but `lttng list` fails"
            );
            Ok(())
        })
        .clone()
}

/// A fresh scratch directory for one program under cargo's per-test temporary directory.
fn work_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("lttng_compat")
        .join(format!("{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create work dir");
    dir
}

/// Builds with real LTTng-UST, records a session with lttng-tools, returns the events.
fn trace_with_lttng(program: &Program, work: &Path) -> Vec<Event> {
    let exe = work.join(format!("{}-lttng", program.name));
    let mut cc = compiler(program, &exe);
    cc.args(["-llttng-ust", "-ldl"]);
    run_ok(&mut cc);
    let session = format!("ust_compat_{}_{}", program.name, std::process::id());
    let trace = work.join("lttng-trace");
    let output = format!("--output={}", trace.display());
    lttng(&["create", &session, &output]);
    for pattern in program.event_patterns {
        lttng(&["enable-event", "-u", pattern, "-s", &session]);
    }
    lttng(&["start", &session]);
    let run = Command::new(&exe).output();
    lttng(&["stop", &session]);
    lttng(&["destroy", &session]);
    check_success(&run.expect("run LTTng build"), "LTTng build of the program");
    read_events(&trace, &work.join("lttng.txt"))
}

/// Builds with UST's compatibility headers, traces with `UST_TRACE`, returns the events.
fn trace_with_ust(program: &Program, work: &Path) -> Vec<Event> {
    let lib_dir = ust_lib_dir(work);
    let root = repo_root();
    let exe = work.join(format!("{}-ust", program.name));
    let mut cc = compiler(program, &exe);
    cc.arg("-I").arg(root.join("include/lttng-compat"));
    cc.arg("-I").arg(root.join("include"));
    cc.arg("-L").arg(&lib_dir).args(["-lust", "-ldl"]);
    run_ok(&mut cc);
    check_links_only_ust(&exe);
    let trace = work.join("ust-trace");
    fs::create_dir_all(&trace).expect("create UST trace dir");
    let run = Command::new(&exe)
        .env_remove("UST_EVENTS")
        .env_remove("UST_LOGLEVEL")
        .env("UST_TRACE", &trace)
        .env("LD_LIBRARY_PATH", &lib_dir)
        .output();
    check_success(&run.expect("run UST build"), "UST build of the program");
    read_events(&trace, &work.join("ust.txt"))
}

/// A `cc` command compiling the program's sources into `exe`; the caller adds the tracer flags.
fn compiler(program: &Program, exe: &Path) -> Command {
    let src_dir = repo_root().join("tests/c/lttng_compat");
    let mut cc = Command::new("cc");
    cc.args(["-O2", "-Wall", "-Werror", "-o"]).arg(exe);
    cc.arg("-I").arg(&src_dir);
    for source in program.sources {
        cc.arg(src_dir.join(source));
    }
    cc
}

/// Asserts the UST build's dynamic dependencies name libust.so.1 and no liblttng-ust.
fn check_links_only_ust(exe: &Path) {
    let dynamic = run_ok(Command::new("readelf").arg("-d").arg(exe));
    let needed: Vec<&str> = dynamic.lines().filter(|l| l.contains("(NEEDED)")).collect();
    assert!(
        needed.iter().any(|l| l.contains("[libust.so.1]")),
        "not linked to libust.so.1: {needed:?}"
    );
    assert!(
        !needed.iter().any(|l| l.contains("lttng")),
        "UST build links LTTng: {needed:?}"
    );
}

/// Runs babeltrace2 on `trace`, keeps its text in `copy`, and parses every event line.
fn read_events(trace: &Path, copy: &Path) -> Vec<Event> {
    let text = run_ok(
        Command::new("babeltrace2")
            .arg("--fields=loglevel")
            .arg(trace),
    );
    fs::write(copy, &text).expect("save babeltrace2 output");
    text.lines()
        .map(|line| {
            parse_line(line)
                .unwrap_or_else(|| panic!("unparsable line in {}: {line}", copy.display()))
        })
        .collect()
}

/// Splits `[time] (+delta) [LEVEL (n) ]prov:event: { … }, …, { payload }` into an [`Event`].
fn parse_line(line: &str) -> Option<Event> {
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

/// The top-level `{ … }` groups of a babeltrace2 line, honouring quoted strings and escapes.
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

/// Human-readable differences between the two event lists, position by position.
fn differences(lttng: &[Event], ust: &[Event]) -> Vec<String> {
    let mut diffs = Vec::new();
    for index in 0..lttng.len().max(ust.len()) {
        let (expected, actual) = (lttng.get(index), ust.get(index));
        if expected != actual {
            diffs.push(format!(
                "event #{index}:\n  lttng: {expected:?}\n  ust:   {actual:?}"
            ));
        }
    }
    diffs
}

/// `libust.so` of a fresh `cargo build --release` (built once per test process).
fn ust_library() -> &'static Path {
    static LIBRARY: OnceLock<PathBuf> = OnceLock::new();
    LIBRARY.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        run_ok(
            Command::new(cargo)
                .args(["build", "--release", "--lib"])
                .current_dir(repo_root()),
        );
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo_root().join("target"));
        target.join("release/libust.so")
    })
}

/// A directory inside `work` where `libust.so` and `libust.so.1` point at [`ust_library`].
fn ust_lib_dir(work: &Path) -> PathBuf {
    let dir = work.join("lib");
    fs::create_dir_all(&dir).expect("create lib dir");
    for link in ["libust.so", "libust.so.1"] {
        std::os::unix::fs::symlink(ust_library(), dir.join(link)).expect("link libust");
    }
    dir
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs one lttng client command and panics with its output if it fails.
fn lttng(args: &[&str]) {
    run_ok(Command::new("lttng").args(args));
}

fn lttng_ok(args: &[&str]) -> bool {
    Command::new("lttng")
        .args(args)
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Runs `command`, panics with its stderr unless it succeeds, returns its stdout.
fn run_ok(command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    check_success(&output, &format!("{command:?}"));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn check_success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
