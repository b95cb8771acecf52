//! Side by side: one program built for LTTng-UST (its installed headers and `liblttng-ust`)
//! and for UST (`include/lttng-compat`, `include`, `libust`), each build traced by its own
//! tracer, and babeltrace2's view of the two traces compared event by event.
//!
//! Two events are equal when babeltrace2 prints the same name, log level, EMF model URI and
//! payload (the last `{ … }` group of its line); the packet context `{ cpu_id = N }` and any
//! stream or event context only one tracer adds are not compared. babeltrace2's output is
//! read as it comes, so a million-event trace costs no memory.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;

/// Which tracer a build uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tracer {
    Lttng,
    Ust,
}

/// The language a source is compiled as (`.c` files compile as C++ too).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    C,
    Cxx,
}

/// The channel buffers of a recording.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Buffers {
    /// Each tracer's defaults.
    Default,
    /// 64 × 4 MiB per CPU: a million 100-byte events from one thread, none discarded.
    Large,
    /// 4 × 64 KiB per CPU, blocking channels: writers wait for room instead of discarding
    /// (LTTng: `--blocking-timeout=inf` and `LTTNG_UST_ALLOW_BLOCKING=1`; UST:
    /// `UST_BLOCKING_TIMEOUT=inf`).
    SmallBlocking,
}

/// How many events a comparison keeps for the caller's own checks.
const KEPT_EVENTS: usize = 10_000;
/// How many differences a failed comparison lists.
const LISTED_DIFFERENCES: usize = 10;

/// One event as babeltrace2 prints it with `--fields=loglevel,emf`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub name: String,
    /// `TRACE_WARNING (4)`; empty when babeltrace2 prints none.
    pub loglevel: String,
    /// The event class's `model.emf.uri`; empty when it has none.
    pub emf_uri: String,
    pub payload: String,
}

/// What a comparison found equal in both traces.
#[derive(Debug)]
pub struct Compared {
    /// Events in each trace.
    pub count: usize,
    /// The first events (at most [`KEPT_EVENTS`]), identical in both traces.
    pub events: Vec<Event>,
}

/// One build of a program for one tracer, in a directory of its own.
pub struct Build {
    pub tracer: Tracer,
    pub dir: PathBuf,
}

impl Build {
    pub fn new(work: &Path, tracer: Tracer) -> Build {
        let dir = work.join(match tracer {
            Tracer::Lttng => "lttng",
            Tracer::Ust => "ust",
        });
        fs::create_dir_all(&dir).expect("create build dir");
        Build { tracer, dir }
    }

    /// `name` inside the build directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The `-I` options that put the tracer's headers first: UST's compatibility directory
    /// and its own headers (none for LTTng-UST, whose headers are the system's).
    pub fn cppflags(&self) -> Vec<String> {
        match self.tracer {
            Tracer::Lttng => Vec::new(),
            Tracer::Ust => ust_cppflags(),
        }
    }

    /// Compiler warnings: UST's builds must be clean under -Wall -Wextra -Werror
    /// (LTTng-UST's own headers are not UST's to judge).
    pub fn warnings(&self) -> &'static [&'static str] {
        match self.tracer {
            Tracer::Lttng => &["-Wall"],
            Tracer::Ust => &["-Wall", "-Wextra", "-Werror"],
        }
    }

    /// The options that link the tracer's library.
    pub fn tracer_libs(&self) -> Vec<String> {
        match self.tracer {
            Tracer::Lttng => vec!["-llttng-ust".into(), "-ldl".into()],
            Tracer::Ust => vec![
                format!("-L{}", ust_lib_dir().display()),
                "-lust".into(),
                "-ldl".into(),
            ],
        }
    }

    /// Compiles `source` (with `-fPIC`, so the object also fits a shared library) into
    /// `<stem>.o`, with `include` first on the include path.
    pub fn object(&self, lang: Lang, source: &Path, include: &Path) -> PathBuf {
        let stem = source.file_stem().expect("source name").to_string_lossy();
        let object = self.path(&format!("{stem}.o"));
        let mut cc = Command::new(driver(lang));
        if lang == Lang::Cxx {
            cc.args(["-x", "c++"]);
        }
        cc.args(["-O2", "-fPIC", "-c"])
            .args(self.warnings())
            .arg(format!("-I{}", include.display()))
            .args(self.cppflags())
            .arg(source)
            .arg("-o")
            .arg(&object);
        run_ok(&mut cc);
        object
    }

    /// Links `inputs` (objects, archives, then options such as `-L.` or `-lfoo`) and the
    /// tracer's library into `name`; `shared` makes a shared library.
    pub fn link(&self, lang: Lang, name: &str, shared: bool, inputs: &[OsString]) -> PathBuf {
        let output = self.path(name);
        let mut cc = Command::new(driver(lang));
        if shared {
            cc.arg("-shared");
        }
        cc.arg("-o")
            .arg(&output)
            .args(inputs)
            .args(self.tracer_libs());
        run_ok(&mut cc);
        output
    }

    /// A static library `name` holding `objects`.
    pub fn archive(&self, name: &str, objects: &[PathBuf]) -> PathBuf {
        let output = self.path(name);
        run_ok(Command::new("ar").arg("rc").arg(&output).args(objects));
        output
    }
}

/// `-I include/lttng-compat -I include`: UST's compatibility headers, then its own.
pub fn ust_cppflags() -> Vec<String> {
    vec![
        format!("-I{}", repo_root().join("include/lttng-compat").display()),
        format!("-I{}", repo_root().join("include").display()),
    ]
}

fn driver(lang: Lang) -> &'static str {
    match lang {
        Lang::C => "cc",
        Lang::Cxx => "c++",
    }
}

/// How to start a built program.
pub struct Run {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub env: Vec<(String, OsString)>,
}

impl Run {
    pub fn new(program: impl Into<PathBuf>) -> Run {
        Run {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
        }
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Run {
        self.args.push(arg.into());
        self
    }

    pub fn env(mut self, key: &str, value: impl Into<OsString>) -> Run {
        self.env.push((key.to_string(), value.into()));
        self
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args);
        for (key, value) in &self.env {
            command.env(key, value);
        }
        command
    }
}

/// A program to build for both tracers and trace with each.
pub struct Case<'a> {
    pub name: &'a str,
    /// The LTTng event patterns that cover its providers.
    pub patterns: &'a [&'a str],
    pub buffers: Buffers,
    /// Builds the program in the given build's directory and says how to run it.
    pub build: &'a dyn Fn(&Build) -> Run,
}

/// Builds, traces and compares `case`; `None` (skipped) when LTTng's tools are not installed.
/// Panics, listing the first differences, unless both traces hold the same events, at least one.
pub fn side_by_side(case: &Case) -> Option<Compared> {
    if let Err(reason) = lttng_ready() {
        eprintln!("SKIPPED {}: {reason}", case.name);
        return None;
    }
    let work = work_dir(case.name);
    let lttng = Build::new(&work, Tracer::Lttng);
    let lttng_run = (case.build)(&lttng);
    let lttng_trace = record_lttng(case, &lttng_run, &work);
    let ust = Build::new(&work, Tracer::Ust);
    let ust_run = (case.build)(&ust);
    let ust_trace = record_ust(&ust_run, case.buffers, &work);
    let compared = compare(&lttng_trace, &ust_trace, &work).unwrap_or_else(|message| {
        panic!(
            "{}: {message}\n(traces and babeltrace2 messages in {})",
            case.name,
            work.display()
        )
    });
    assert!(compared.count > 0, "{}: LTTng recorded no event", case.name);
    let _ = fs::remove_dir_all(&work);
    Some(compared)
}

/// Runs a UST build traced with `UST_TRACE` and returns babeltrace2's view of its trace.
pub fn ust_events(run: &Run, work: &Path) -> Vec<Event> {
    let trace = record_ust(run, Buffers::Default, work);
    let (mut child, lines) = babeltrace(&trace, &work.join("babeltrace2-ust.txt"));
    let events = lines.map(|line| parse_or_panic(&line)).collect();
    check_exit(&mut child, &trace);
    events
}

/// `Ok` when the lttng client is installed and a session daemon answers (started if needed).
pub fn lttng_ready() -> Result<(), String> {
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

/// A fresh scratch directory for one test under cargo's per-test temporary directory.
pub fn work_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("lttng_compat")
        .join(format!("{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create work dir");
    dir
}

/// Records `run` in an LTTng-UST session of its own; returns the session's output directory.
fn record_lttng(case: &Case, run: &Run, work: &Path) -> PathBuf {
    let session = format!("ust_compat_{}_{}", case.name, std::process::id());
    let trace = work.join("lttng-trace");
    lttng(&["create", &session, &format!("--output={}", trace.display())]);
    let mut channel = Vec::new();
    let geometry: &[&str] = match case.buffers {
        Buffers::Default => &[],
        Buffers::Large => &["--subbuf-size=4M", "--num-subbuf=64"],
        Buffers::SmallBlocking => &[
            "--subbuf-size=64k",
            "--num-subbuf=4",
            "--blocking-timeout=inf",
        ],
    };
    if !geometry.is_empty() {
        let mut args = vec!["enable-channel", "-u", "-s", &session];
        args.extend(geometry);
        args.push("ch");
        lttng(&args);
        channel = vec!["-c", "ch"];
    }
    for pattern in case.patterns {
        let mut args = vec!["enable-event", "-u", pattern, "-s", &session];
        args.extend(&channel);
        lttng(&args);
    }
    lttng(&["start", &session]);
    // Waits for the session daemon however busy the machine is: the first events count.
    let output = run
        .command()
        .env("LTTNG_UST_REGISTER_TIMEOUT", "-1")
        .env("LTTNG_UST_ALLOW_BLOCKING", "1")
        .output();
    lttng(&["stop", &session]);
    lttng(&["destroy", &session]);
    check_success(
        &output.expect("run LTTng build"),
        "LTTng build of the program",
    );
    trace
}

/// Records `run` with `UST_TRACE` (and libust on the loader's path); returns the trace.
fn record_ust(run: &Run, buffers: Buffers, work: &Path) -> PathBuf {
    let trace = work.join("ust-trace");
    fs::create_dir_all(&trace).expect("create UST trace dir");
    let mut command = run.command();
    command
        .env_remove("UST_EVENTS")
        .env_remove("UST_LOGLEVEL")
        .env("UST_TRACE", &trace)
        .env("LD_LIBRARY_PATH", library_path(run));
    match buffers {
        Buffers::Default => {}
        Buffers::Large => {
            command
                .env("UST_SUBBUF_SIZE", "4M")
                .env("UST_NUM_SUBBUF", "64");
        }
        Buffers::SmallBlocking => {
            command
                .env("UST_SUBBUF_SIZE", "64k")
                .env("UST_NUM_SUBBUF", "4")
                .env("UST_BLOCKING_TIMEOUT", "inf");
        }
    }
    check_success(
        &command.output().expect("run UST build"),
        "UST build of the program",
    );
    trace
}

/// The run's own LD_LIBRARY_PATH, if any, then the directory of libust.
fn library_path(run: &Run) -> OsString {
    let mut path = OsString::new();
    if let Some((_, own)) = run.env.iter().find(|(key, _)| key == "LD_LIBRARY_PATH") {
        path.push(own);
        path.push(":");
    }
    path.push(ust_lib_dir());
    path
}

/// Reads both traces with babeltrace2 side by side and compares them event by event.
fn compare(lttng_trace: &Path, ust_trace: &Path, work: &Path) -> Result<Compared, String> {
    let (mut lttng_child, mut lttng_lines) =
        babeltrace(lttng_trace, &work.join("babeltrace2-lttng.txt"));
    let (mut ust_child, mut ust_lines) = babeltrace(ust_trace, &work.join("babeltrace2-ust.txt"));
    let (mut counts, mut events, mut diffs) = ((0, 0), Vec::new(), Vec::new());
    loop {
        let (expected, actual) = (lttng_lines.next(), ust_lines.next());
        if expected.is_none() && actual.is_none() {
            break;
        }
        let expected = expected.map(|line| parse_or_panic(&line));
        let actual = actual.map(|line| parse_or_panic(&line));
        counts.0 += usize::from(expected.is_some());
        counts.1 += usize::from(actual.is_some());
        if expected != actual {
            if diffs.len() < LISTED_DIFFERENCES {
                diffs.push(format!(
                    "event #{}:\n  lttng: {expected:?}\n  ust:   {actual:?}",
                    counts.0.max(counts.1) - 1
                ));
            }
        } else if events.len() < KEPT_EVENTS {
            events.extend(actual);
        }
    }
    check_exit(&mut lttng_child, lttng_trace);
    check_exit(&mut ust_child, ust_trace);
    if diffs.is_empty() {
        return Ok(Compared {
            count: counts.0,
            events,
        });
    }
    Err(format!(
        "LTTng recorded {} events, UST {}; first differences:\n{}",
        counts.0,
        counts.1,
        diffs.join("\n")
    ))
}

/// Starts babeltrace2 on `trace` (its messages go to `messages`) and returns its lines.
fn babeltrace(trace: &Path, messages: &Path) -> (Child, impl Iterator<Item = String>) {
    let mut child = Command::new("babeltrace2")
        .arg("--fields=loglevel,emf")
        .arg(trace)
        .stdout(Stdio::piped())
        .stderr(File::create(messages).expect("create babeltrace2 message file"))
        .spawn()
        .expect("start babeltrace2");
    let stdout = child.stdout.take().expect("babeltrace2 stdout");
    let lines = BufReader::new(stdout)
        .lines()
        .map(|line| line.expect("read babeltrace2 output"));
    (child, lines)
}

fn check_exit(child: &mut Child, trace: &Path) {
    let status = child.wait().expect("wait for babeltrace2");
    assert!(
        status.success(),
        "babeltrace2 failed on {} ({status})",
        trace.display()
    );
}

fn parse_or_panic(line: &str) -> Event {
    parse_line(line).unwrap_or_else(|| panic!("unparsable babeltrace2 line: {line}"))
}

/// Splits `[time] (+delta) [LEVEL (n)[:URI] ]prov:event: { … }, …, { payload }` into an
/// [`Event`].
pub fn parse_line(line: &str) -> Option<Event> {
    let after_time = &line[line.find("] ")? + 2..];
    let rest = &after_time[after_time.find(") ")? + 2..];
    let colon = rest.find(": ")?;
    let (head, groups) = (&rest[..colon], &rest[colon + 2..]);
    let (level, name) = match head.rfind(' ') {
        Some(space) => (&head[..space], &head[space + 1..]),
        None => ("", head),
    };
    let (loglevel, emf_uri) = match level.find("):") {
        Some(end) => (&level[..=end], &level[end + 2..]),
        None => (level, ""),
    };
    Some(Event {
        name: name.to_string(),
        loglevel: loglevel.to_string(),
        emf_uri: emf_uri.to_string(),
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

/// The shared libraries `binary` names as its dependencies (`DT_NEEDED`).
pub fn needed(binary: &Path) -> Vec<String> {
    let dynamic = run_ok(Command::new("readelf").arg("-d").arg(binary));
    dynamic
        .lines()
        .filter(|line| line.contains("(NEEDED)"))
        .filter_map(|line| Some(line.split_once('[')?.1.trim_end_matches(']').to_string()))
        .collect()
}

/// Asserts a UST build depends on libust.so.1 and on no LTTng library.
pub fn check_links_only_ust(binary: &Path) {
    let needed = needed(binary);
    assert!(
        needed.iter().any(|lib| lib == "libust.so.1"),
        "{} is not linked to libust.so.1: {needed:?}",
        binary.display()
    );
    assert!(
        !needed.iter().any(|lib| lib.contains("lttng")),
        "{} links LTTng: {needed:?}",
        binary.display()
    );
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

/// A directory where `libust.so` and `libust.so.1` point at [`ust_library`] (made once).
pub fn ust_lib_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = work_dir("lib");
        for link in ["libust.so", "libust.so.1"] {
            std::os::unix::fs::symlink(ust_library(), dir.join(link)).expect("link libust");
        }
        dir
    })
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The directory of the C programs of these tests.
pub fn sources() -> PathBuf {
    repo_root().join("tests/c/lttng_compat")
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

/// Runs `command`, panics with its output unless it succeeds, returns its stdout.
pub fn run_ok(command: &mut Command) -> String {
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
