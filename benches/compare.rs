//! UST versus LTTng-UST 2.13, side by side, in one run (`cargo bench --bench compare`).
//!
//! Compiles the C benchmark in `benches/c/` twice, same loop and same events: once against UST
//! (`<ust/tracepoint.h>`, `-lust`) and once against LTTng-UST (`<lttng/tracepoint.h>`,
//! `-llttng-ust`). Each scenario runs the same binary shape under both tracers and reports the
//! time per `tracepoint()` call measured inside the program with `clock_gettime` around the loop:
//!
//! * disabled tracepoint (no tracing session / no `UST_TRACE`);
//! * enabled 3-integer event, 1 thread and 2 threads;
//! * enabled string event (a 20-character string and an integer);
//! * the 3-integer event recorded by two sessions at once, each into its own trace (UST: a
//!   `ust daemon` with two sessions; LTTng: two sessions), against one session;
//! * UST only: the same 3-integer event as a disabled DTrace probe, through the macros `ust-dtrace`
//!   generates from `benches/c/bench_probes.d`, unguarded and behind its `_ENABLED()` test, with
//!   and without the SDT notes (`UST_DTRACE_NO_SDT`);
//! * the other instrumentation styles, 1 thread: `trace_mark` with 3 integers and a custom probe
//!   (DECLARE_TRACE) recording the 3-integer event, compared with the 3-integer
//!   `TRACEPOINT_EVENT` (UST only: LTTng-UST has neither), and `tracef("%d %d %d")` under both
//!   tracers.
//!
//! Enabled runs use 16 sub-buffers of 1 MiB per CPU for both tracers (`UST_SUBBUF_SIZE`,
//! `UST_NUM_SUBBUF`; `lttng enable-channel -u --subbuf-size=1M --num-subbuf=16`; another count
//! with `BENCH_NUM_SUBBUF=N`, e.g. 256 for runs where no tracer discards), discard mode,
//! and a consumer writing the trace to disk under cargo's target tmp dir. Every trace is then
//! read back completely by babeltrace2 (its `sink.utils.counter` sink, which decodes every event
//! like `babeltrace2 DIR | wc -l` does, several times faster): the events found are compared with
//! the events fired, and the difference is printed as "lost" (events the tracer discarded).
//! Trace bytes on disk per event and the consumer throughput are reported too: stream bytes
//! divided by the time from the first event (`CLOCK_MONOTONIC` printed by the program) to the
//! trace being complete on disk (UST: program exit; LTTng: `lttng stop` returned). When nothing
//! is lost the consumer kept up, so that figure is the producer's rate, a lower bound of what
//! the consumer can sustain. `UST+daemon` runs the UST binary under `ust trace` (a private
//! daemon maps the program's buffers and consumes them), to compare with daemonless UST; its
//! MB/s also counts `ust trace`'s start-up and its summary, which reads the trace back, so it
//! understates the consumer. When lttng-tools or its session daemon is not
//! available the reason is printed and only UST is measured (and the other way round).
//! Arguments after `--` select the scenarios whose label contains one of them, e.g.
//! `cargo bench --bench compare -- "1 thread" trace_mark probe tracef`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SUBBUF_SIZE: u64 = 1 << 20;

/// Sub-buffers per CPU: `BENCH_NUM_SUBBUF`, else 16.
fn num_subbuf() -> u32 {
    std::env::var("BENCH_NUM_SUBBUF")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(16)
}

/// One benchmark case: which event, how many per thread, how many threads, traced or not.
struct Scenario {
    label: &'static str,
    /// The C program's event kind (its first argument).
    event: &'static str,
    /// What the LTTng session enables for it.
    lttng_event: &'static str,
    /// The tracers it runs under.
    tracers: &'static [Tracer],
    /// Whether it runs the binary built with the other styles (`-DBENCH_STYLES`), kept apart
    /// so the other scenarios run a program with one provider.
    styles: bool,
    per_thread: u64,
    threads: u32,
    enabled: bool,
    /// Runs per tracer, interleaved; the fastest is reported (the machine is shared and noisy).
    rounds: u32,
    /// A filter expression enabled with the event (`UST_FILTER`, `ust trace --filter`,
    /// `lttng enable-event --filter`), and whether it keeps every event (else none).
    filter: Option<(&'static str, bool)>,
    /// Sessions recording the event at once, each into its own trace (more than one: under a
    /// `ust daemon` with that many sessions, and LTTng with that many sessions).
    sessions: u32,
}

const ALL: &[Tracer] = &[Tracer::Ust, Tracer::UstDaemon, Tracer::Lttng];

/// A disabled probe fired through ust-dtrace's macros (`event` is a dtrace kind of bench.c).
const fn dtrace_disabled(label: &'static str, event: &'static str) -> Scenario {
    Scenario {
        label,
        event,
        lttng_event: "",
        tracers: &[Tracer::Ust],
        styles: false,
        per_thread: 1_500_000_000,
        threads: 1,
        enabled: false,
        rounds: 5,
        filter: None,
        sessions: 1,
    }
}

/// An event of the program, 1 thread, behind a filter that keeps every event or none.
const fn filtered(
    label: &'static str,
    event: &'static str,
    expr: &'static str,
    keeps: bool,
) -> Scenario {
    let lttng_event = match event.as_bytes() {
        b"str" => "bench:str",
        _ => "bench:int3",
    };
    Scenario {
        label,
        event,
        lttng_event,
        tracers: ALL,
        styles: false,
        per_thread: 5_000_000,
        threads: 1,
        enabled: true,
        rounds: 2,
        filter: Some((expr, keeps)),
        sessions: 1,
    }
}

const SCENARIOS: [Scenario; 16] = [
    Scenario {
        label: "disabled tracepoint",
        event: "int3",
        lttng_event: "bench:int3",
        tracers: ALL,
        styles: false,
        per_thread: 1_500_000_000,
        threads: 1,
        enabled: false,
        rounds: 5,
        filter: None,
        sessions: 1,
    },
    Scenario {
        label: "3 integers, 1 thread",
        event: "int3",
        lttng_event: "bench:int3",
        tracers: ALL,
        styles: false,
        per_thread: 5_000_000,
        threads: 1,
        enabled: true,
        rounds: 2,
        filter: None,
        sessions: 1,
    },
    Scenario {
        label: "3 integers, 2 threads",
        event: "int3",
        lttng_event: "bench:int3",
        tracers: ALL,
        styles: false,
        per_thread: 5_000_000,
        threads: 2,
        enabled: true,
        rounds: 2,
        filter: None,
        sessions: 1,
    },
    Scenario {
        label: "3 ints, 2 sessions",
        event: "int3",
        lttng_event: "bench:int3",
        tracers: &[Tracer::UstDaemon, Tracer::Lttng],
        styles: false,
        per_thread: 5_000_000,
        threads: 1,
        enabled: true,
        rounds: 2,
        filter: None,
        sessions: 2,
    },
    Scenario {
        label: "string + integer",
        event: "str",
        lttng_event: "bench:str",
        tracers: ALL,
        styles: false,
        per_thread: 4_000_000,
        threads: 1,
        enabled: true,
        rounds: 2,
        filter: None,
        sessions: 1,
    },
    filtered("filter rejects all", "int3", "b < 0", false),
    filtered("filter keeps all", "int3", "b >= 0", true),
    filtered("filter, string glob", "str", "s == \"twenty*\"", true),
    filtered(
        "filter, 5 clauses",
        "int3",
        "a >= 0 && b >= 0 && c >= 0 && a != 7 && b != 9",
        true,
    ),
    dtrace_disabled("dtrace probe, disabled", "dtrace"),
    dtrace_disabled("dtrace guard, disabled", "dtrace-guarded"),
    dtrace_disabled("dtrace probe, no SDT", "dtrace-nosdt"),
    dtrace_disabled("dtrace guard, no SDT", "dtrace-nosdt-guarded"),
    Scenario {
        label: "trace_mark, 3 integers",
        event: "mark3",
        lttng_event: "",
        tracers: &[Tracer::Ust],
        styles: true,
        per_thread: 5_000_000,
        threads: 1,
        enabled: true,
        rounds: 3,
        filter: None,
        sessions: 1,
    },
    Scenario {
        label: "custom probe, 3 ints",
        event: "probe3",
        lttng_event: "",
        tracers: &[Tracer::Ust],
        styles: true,
        per_thread: 5_000_000,
        threads: 1,
        enabled: true,
        rounds: 3,
        filter: None,
        sessions: 1,
    },
    Scenario {
        label: "tracef(\"%d %d %d\")",
        event: "tracef3",
        lttng_event: "lttng_ust_tracef:event",
        tracers: &[Tracer::Ust, Tracer::Lttng],
        styles: true,
        per_thread: 2_000_000,
        threads: 1,
        enabled: true,
        rounds: 3,
        filter: None,
        sessions: 1,
    },
];

#[derive(Clone, Copy, PartialEq)]
enum Tracer {
    Ust,
    /// UST with its daemon consuming: the program run under `ust trace`.
    UstDaemon,
    Lttng,
}

impl Tracer {
    fn name(self) -> &'static str {
        match self {
            Tracer::Ust => "UST",
            Tracer::UstDaemon => "UST+daemon",
            Tracer::Lttng => "LTTng-UST",
        }
    }
}

/// A benchmark binary ready to run under one tracer.
struct Bench {
    tracer: Tracer,
    exe: PathBuf,
    /// The same loop built with the other styles (`-DBENCH_STYLES`).
    styles_exe: PathBuf,
    lib_dir: Option<PathBuf>,
    /// The `ust` command, for `Tracer::UstDaemon`.
    ust_tool: Option<PathBuf>,
}

/// What the trace of an enabled run contains.
struct TraceStats {
    recorded: Result<u64, String>,
    stream_bytes: u64,
    seconds_to_flushed: f64,
}

/// The figures of one scenario under one tracer.
struct Measurement {
    ns_per_event: f64,
    fired: u64,
    trace: Option<TraceStats>,
}

impl Measurement {
    /// Whether events were fired and the trace holds none of them (the program ran
    /// untraced): such a run measures a disabled tracepoint.
    fn recorded_nothing(&self) -> bool {
        let recorded = self.trace.as_ref().map(|t| t.recorded.as_ref().ok());
        self.fired > 0 && recorded == Some(Some(&0))
    }
}

fn main() {
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-compare");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).expect("create bench work dir");
    let ust = build_ust(&work);
    let ust_daemon = ust.as_ref().map_err(Clone::clone).and_then(with_daemon);
    let benches: Vec<Bench> = [ust, ust_daemon, build_lttng(&work)]
        .into_iter()
        .filter_map(|built| built.map_err(|why| println!("note: {why}")).ok())
        .collect();
    if benches.is_empty() {
        println!("nothing to measure");
        return;
    }
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let mut rows = Vec::new();
    for scenario in SCENARIOS
        .iter()
        .filter(|s| filters.is_empty() || filters.iter().any(|f| s.label.contains(f.as_str())))
    {
        for (tracer, best) in best_runs(&benches, scenario, &work) {
            rows.push((scenario, tracer, best));
        }
    }
    print_table(&rows);
    print_ratios(&rows);
    print_style_ratios(&rows);
    let _ = fs::remove_dir_all(&work);
}

/// Runs `scenario` `rounds` times under each tracer, alternating tracers, and keeps each
/// tracer's fastest run among those that recorded something.
fn best_runs(benches: &[Bench], scenario: &Scenario, work: &Path) -> Vec<(Tracer, Measurement)> {
    let mut best: Vec<(Tracer, Measurement)> = Vec::new();
    for round in 1..=scenario.rounds {
        for bench in benches
            .iter()
            .filter(|b| scenario.tracers.contains(&b.tracer))
        {
            let name = bench.tracer.name();
            eprintln!("running: {} under {name}, round {round}", scenario.label);
            let run = match measure(bench, scenario, work) {
                Ok(run) => run,
                Err(why) => {
                    println!("note: {} / {name}: {why}", scenario.label);
                    continue;
                }
            };
            if run.recorded_nothing() {
                println!(
                    "note: {} / {name}, round {round}: nothing recorded, round not counted",
                    scenario.label
                );
                continue;
            }
            match best.iter_mut().find(|(tracer, _)| *tracer == bench.tracer) {
                Some((_, kept)) if kept.ns_per_event <= run.ns_per_event => {}
                Some((_, kept)) => *kept = run,
                None => best.push((bench.tracer, run)),
            }
        }
    }
    best
}

/// Builds the UST flavour against a fresh `cargo build --release` of libust (with the
/// ust-dtrace loops when they build).
fn build_ust(work: &Path) -> Result<Bench, String> {
    let lib_dir = ust_lib_dir(work)?;
    let exe = work.join("bench-ust");
    let styles_exe = work.join("bench-ust-styles");
    let dtrace = dtrace_objects(work)
        .map_err(|why| println!("note: ust-dtrace cases not measured: {why}"))
        .ok();
    for (out, styles) in [(&exe, false), (&styles_exe, true)] {
        let mut cc = compile_command(out, "bench_tp_ust.c", styles);
        cc.arg("-DBENCH_UST")
            .arg("-I")
            .arg(repo_root().join("include"));
        if let (Some(objects), false) = (&dtrace, styles) {
            cc.arg("-DBENCH_DTRACE").args(objects);
        }
        cc.arg("-L")
            .arg(&lib_dir)
            .args(["-lust", "-ldl", "-lpthread"]);
        run(&mut cc).map_err(|e| format!("UST not measured, the benchmark does not build: {e}"))?;
    }
    Ok(Bench {
        tracer: Tracer::Ust,
        exe,
        styles_exe,
        lib_dir: Some(lib_dir),
        ust_tool: None,
    })
}

/// The UST benchmark run under `ust trace` (built here with `cargo build --release -p ust-tools`).
fn with_daemon(ust: &Bench) -> Result<Bench, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    run(Command::new(cargo)
        .args(["build", "--release", "-p", "ust-tools"])
        .current_dir(repo_root()))
    .map_err(|e| {
        format!("UST with its daemon not measured, the ust command does not build: {e}")
    })?;
    Ok(Bench {
        tracer: Tracer::UstDaemon,
        exe: ust.exe.clone(),
        styles_exe: ust.styles_exe.clone(),
        lib_dir: ust.lib_dir.clone(),
        ust_tool: Some(target_dir().join("release/ust")),
    })
}

/// Generates `bench_probes.h` with a fresh `ust-dtrace` and compiles `bench_dtrace.c` twice:
/// with the SDT notes, and without (`UST_DTRACE_NO_SDT`, as `dtrace_loop_nosdt`).
fn dtrace_objects(work: &Path) -> Result<Vec<PathBuf>, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    run(Command::new(cargo)
        .args([
            "build",
            "--release",
            "-p",
            "ust-tools",
            "--bin",
            "ust-dtrace",
        ])
        .current_dir(repo_root()))?;
    let c_dir = repo_root().join("benches/c");
    run(Command::new(target_dir().join("release/ust-dtrace"))
        .args(["-h", "-s"])
        .arg(c_dir.join("bench_probes.d"))
        .arg("-o")
        .arg(work.join("bench_probes.h")))?;
    let mut objects = Vec::new();
    for (name, defines) in [
        ("bench_dtrace.o", &[][..]),
        (
            "bench_dtrace_nosdt.o",
            &[
                "-DUST_DTRACE_NO_SDT",
                "-DBENCH_DTRACE_LOOP=dtrace_loop_nosdt",
            ][..],
        ),
    ] {
        let object = work.join(name);
        run(Command::new("cc")
            .args(["-O2", "-falign-loops=32", "-Wall", "-c", "-I"])
            .arg(repo_root().join("include"))
            .arg("-I")
            .arg(work)
            .args(defines)
            .arg(c_dir.join("bench_dtrace.c"))
            .arg("-o")
            .arg(&object))?;
        objects.push(object);
    }
    Ok(objects)
}

/// Builds the LTTng-UST flavour, once lttng-tools and a session daemon are known to work.
fn build_lttng(work: &Path) -> Result<Bench, String> {
    lttng_ready().map_err(|e| format!("LTTng-UST not measured: {e}"))?;
    let exe = work.join("bench-lttng");
    let styles_exe = work.join("bench-lttng-styles");
    for (out, styles) in [(&exe, false), (&styles_exe, true)] {
        let mut cc = compile_command(out, "bench_tp_lttng.c", styles);
        cc.args(["-llttng-ust", "-ldl", "-lpthread"]);
        run(&mut cc)
            .map_err(|e| format!("LTTng-UST not measured, the benchmark does not build: {e}"))?;
    }
    Ok(Bench {
        tracer: Tracer::Lttng,
        exe,
        styles_exe,
        lib_dir: None,
        ust_tool: None,
    })
}

/// `cc` compiling the shared loop plus one provider (with the other styles when `styles`); the
/// caller adds tracer flags.
/// `-falign-loops=32` puts both loops at the same alignment: without it the identical 6-instruction
/// disabled loop measured 0.28 ns in one binary and 0.55 ns in the other, only because one copy
/// straddled a 32-byte boundary.
fn compile_command(exe: &Path, provider: &str, styles: bool) -> Command {
    let c_dir = repo_root().join("benches/c");
    let mut cc = Command::new("cc");
    cc.args(["-O2", "-falign-loops=32", "-Wall", "-o"])
        .arg(exe)
        .arg("-I")
        .arg(&c_dir);
    if styles {
        cc.arg("-DBENCH_STYLES");
    }
    cc.arg(c_dir.join("bench.c")).arg(c_dir.join(provider));
    cc
}

/// Runs `cargo build --release --lib` and links `libust.so` + `libust.so.1` in a private dir.
fn ust_lib_dir(work: &Path) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    run(Command::new(cargo)
        .args(["build", "--release", "--lib"])
        .current_dir(repo_root()))
    .map_err(|e| format!("UST not measured, libust does not build: {e}"))?;
    let library = target_dir().join("release/libust.so");
    let dir = work.join("lib");
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    for link in ["libust.so", "libust.so.1"] {
        std::os::unix::fs::symlink(&library, dir.join(link)).map_err(|e| e.to_string())?;
    }
    Ok(dir)
}

/// Cargo's target directory.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
}

/// `Ok` when `lttng` is installed and a session daemon answers, starting one if needed.
fn lttng_ready() -> Result<(), String> {
    run(Command::new("lttng").arg("--version")).map_err(|e| format!("no lttng command ({e})"))?;
    if run(Command::new("lttng").arg("list")).is_ok() {
        return Ok(());
    }
    run(Command::new("lttng-sessiond").args(["--daemonize", "--no-kernel"]))
        .map_err(|e| format!("no session daemon and cannot start one: {e}"))?;
    run(Command::new("lttng").arg("list"))
        .map(drop)
        .map_err(|e| format!("session daemon started but unreachable: {e}"))
}

/// Runs one scenario under one tracer and, when traced, reads its trace back.
fn measure(bench: &Bench, scenario: &Scenario, work: &Path) -> Result<Measurement, String> {
    let fired = match scenario.filter {
        Some((_, false)) => 0,
        _ => scenario.per_thread * u64::from(scenario.threads) * u64::from(scenario.sessions),
    };
    if !scenario.enabled && bench.tracer == Tracer::UstDaemon {
        return Err("same binary as UST when disabled".into());
    }
    if !scenario.enabled {
        let stdout = run_bench(bench, scenario, None)?;
        return Ok(Measurement {
            ns_per_event: printed_figure(&stdout, "ns_per_event=")?,
            fired,
            trace: None,
        });
    }
    let dir = work.join(format!(
        "{}-{}",
        bench.tracer.name(),
        scenario.label.replace([' ', ','], "")
    ));
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let (stdout, flushed_ns) = match bench.tracer {
        Tracer::Ust => run_bench(bench, scenario, Some(&dir)).map(|out| (out, monotonic_ns()))?,
        Tracer::UstDaemon if scenario.sessions > 1 => {
            run_under_ust_sessions(bench, scenario, &dir).map(|out| (out, monotonic_ns()))?
        }
        Tracer::UstDaemon => {
            run_under_ust_trace(bench, scenario, &dir).map(|out| (out, monotonic_ns()))?
        }
        Tracer::Lttng => run_under_lttng_session(bench, scenario, &dir)?,
    };
    let seconds_to_flushed = (flushed_ns - printed_figure(&stdout, "start_ns=")?) / 1e9;
    let trace = TraceStats {
        recorded: count_events(&dir),
        stream_bytes: stream_bytes(&dir),
        seconds_to_flushed,
    };
    let _ = fs::remove_dir_all(&dir);
    Ok(Measurement {
        ns_per_event: printed_figure(&stdout, "ns_per_event=")?,
        fired,
        trace: Some(trace),
    })
}

/// Runs the benchmark binary; with `ust_trace` set, UST traces it into that directory.
fn run_bench(
    bench: &Bench,
    scenario: &Scenario,
    ust_trace: Option<&Path>,
) -> Result<String, String> {
    let mut command = bench_command(bench, scenario);
    if let Some(dir) = ust_trace {
        command.env("UST_TRACE", dir);
        command.env("UST_SUBBUF_SIZE", SUBBUF_SIZE.to_string());
        command.env("UST_NUM_SUBBUF", num_subbuf().to_string());
        if let Some((expr, _)) = scenario.filter {
            command.env("UST_FILTER", expr);
        }
    }
    run(&mut command)
}

/// The benchmark binary's command line for `scenario`, with no `UST_*` setting inherited.
fn bench_command(bench: &Bench, scenario: &Scenario) -> Command {
    let exe = if scenario.styles {
        &bench.styles_exe
    } else {
        &bench.exe
    };
    let mut command = Command::new(exe);
    command
        .arg(scenario.event)
        .arg(scenario.per_thread.to_string())
        .arg(scenario.threads.to_string());
    for var in [
        "UST_TRACE",
        "UST_EVENTS",
        "UST_LOGLEVEL",
        "UST_OVERWRITE",
        "UST_FILTER",
        "UST_DAEMON_SOCKET",
    ] {
        command.env_remove(var);
    }
    if let Some(lib_dir) = &bench.lib_dir {
        command.env("LD_LIBRARY_PATH", lib_dir);
    }
    command
}

/// Runs the benchmark under a private `ust daemon` with `scenario.sessions` sessions recording
/// its event, each into DIR/sN; returns once every session stopped (its trace on disk).
fn run_under_ust_sessions(
    bench: &Bench,
    scenario: &Scenario,
    dir: &Path,
) -> Result<String, String> {
    let tool = bench.ust_tool.as_ref().ok_or("no ust command")?;
    let socket = dir.join("d.sock");
    let mut daemon = Command::new(tool)
        .arg("daemon")
        .arg("--socket")
        .arg(&socket)
        .stdout(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start ust daemon: {e}"))?;
    let ctl = |args: &[&str]| run(Command::new(tool).args(args).arg("--socket").arg(&socket));
    let names: Vec<String> = (0..scenario.sessions).map(|i| format!("s{i}")).collect();
    let result = wait_for_daemon(&ctl)
        .and_then(|()| {
            names.iter().try_for_each(|name| {
                let out = dir.join(name);
                let (size, count) = (SUBBUF_SIZE.to_string(), num_subbuf().to_string());
                let out = out.to_string_lossy();
                let geometry = ["--subbuf-size", &size, "--num-subbuf", &count];
                ctl(&[&["create", name, "-o", &out][..], &geometry].concat())?;
                ctl(&["enable", name, scenario.lttng_event])?;
                ctl(&["start", name]).map(drop)
            })
        })
        .and_then(|()| {
            run(bench_command(bench, scenario)
                .env("UST_DAEMON_SOCKET", &socket)
                .env("UST_REGISTER_TIMEOUT", "10000"))
        })
        .and_then(|stdout| {
            names
                .iter()
                .try_for_each(|name| ctl(&["stop", name]).map(drop))
                .map(|()| stdout)
        });
    let _ = daemon.kill();
    let _ = daemon.wait();
    let _ = fs::remove_file(&socket);
    result
}

/// Waits (at most 10 s) until the daemon answers `ust list`.
fn wait_for_daemon(ctl: &dyn Fn(&[&str]) -> Result<String, String>) -> Result<(), String> {
    for _ in 0..500 {
        if ctl(&["list"]).is_ok() {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    ctl(&["list"]).map(drop)
}

/// Runs the benchmark under `ust trace -o DIR` (a private daemon consuming); returns once the
/// trace is complete on disk.
fn run_under_ust_trace(bench: &Bench, scenario: &Scenario, dir: &Path) -> Result<String, String> {
    let _ = fs::remove_dir(dir);
    let tool = bench.ust_tool.as_ref().ok_or("no ust command")?;
    let mut command = Command::new(tool);
    command
        .arg("trace")
        .arg("-o")
        .arg(dir)
        .args(["--subbuf-size", &SUBBUF_SIZE.to_string()])
        .args(["--num-subbuf", &num_subbuf().to_string()])
        .args(
            scenario
                .filter
                .iter()
                .flat_map(|(expr, _)| ["--filter", expr]),
        )
        .arg("--")
        .arg(&bench.exe)
        .arg(scenario.event)
        .arg(scenario.per_thread.to_string())
        .arg(scenario.threads.to_string());
    if let Some(lib_dir) = &bench.lib_dir {
        command.env("LD_LIBRARY_PATH", lib_dir);
    }
    run(&mut command)
}

/// Runs the benchmark inside `scenario.sessions` fresh LTTng sessions writing to `dir` (to
/// DIR/sN when more than one); stops (flushes) and destroys them, and returns the program's
/// output and when the flush completed.
fn run_under_lttng_session(
    bench: &Bench,
    scenario: &Scenario,
    dir: &Path,
) -> Result<(String, f64), String> {
    let sessions: Vec<(String, PathBuf)> = (0..scenario.sessions)
        .map(|i| {
            let name = format!("ust_bench_{}_{i}", std::process::id());
            let out = match scenario.sessions {
                1 => dir.to_path_buf(),
                _ => dir.join(format!("s{i}")),
            };
            (name, out)
        })
        .collect();
    let mut created = Vec::new();
    let result = sessions
        .iter()
        .try_for_each(|(session, out)| {
            lttng(&["create", session, &format!("--output={}", out.display())])?;
            created.push(session);
            start_lttng_session(scenario, session)
        })
        .and_then(|()| run_bench(bench, scenario, None));
    let stopped = created
        .iter()
        .try_for_each(|session| lttng(&["stop", session]).map(drop))
        .map(|()| monotonic_ns());
    for session in &created {
        lttng(&["destroy", session])?;
    }
    let stdout = result?;
    stopped.map(|flushed_ns| (stdout, flushed_ns))
}

/// Adds the benchmark's channel and event to a created LTTng session and starts it.
fn start_lttng_session(scenario: &Scenario, session: &str) -> Result<(), String> {
    let subbuf = format!("--subbuf-size={SUBBUF_SIZE}");
    let count = format!("--num-subbuf={}", num_subbuf());
    lttng(&["enable-channel", "-u", &subbuf, &count, "ch", "-s", session])?;
    let mut args = vec![
        "enable-event",
        "-u",
        scenario.lttng_event,
        "-c",
        "ch",
        "-s",
        session,
    ];
    if let Some((expr, _)) = scenario.filter {
        args.extend(["--filter", expr]);
    }
    lttng(&args)?;
    lttng(&["start", session]).map(drop)
}

fn lttng(args: &[&str]) -> Result<String, String> {
    run(Command::new("lttng").args(args))
}

/// The `key=value` figure the C program prints, e.g. `ns_per_event=`.
fn printed_figure(stdout: &str, key: &str) -> Result<f64, String> {
    stdout
        .split_whitespace()
        .find_map(|word| word.strip_prefix(key))
        .and_then(|value| value.parse().ok())
        .ok_or_else(|| format!("no {key} in output {stdout:?}"))
}

/// `CLOCK_MONOTONIC` now, in nanoseconds: the clock the C program's `start_ns` uses.
fn monotonic_ns() -> f64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec and CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    now.tv_sec as f64 * 1e9 + now.tv_nsec as f64
}

/// Events babeltrace2 decodes from the trace in `dir` (an error if it cannot read it all).
fn count_events(dir: &Path) -> Result<u64, String> {
    let stdout = run(Command::new("babeltrace2")
        .args(["-c", "sink.utils.counter", "-p", "step=+0"])
        .arg(dir))?;
    stdout
        .lines()
        .find(|line| line.contains("Event message"))
        .and_then(|line| line.split_whitespace().next())
        .and_then(|count| count.parse().ok())
        .ok_or_else(|| format!("unexpected babeltrace2 counter output {stdout:?}"))
}

/// Total size of the data stream files under `dir` (not metadata, not LTTng's `index/`).
fn stream_bytes(dir: &Path) -> u64 {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|entry| {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() {
                if name == "index" {
                    0
                } else {
                    stream_bytes(&path)
                }
            } else if name == "metadata" {
                0
            } else {
                entry.metadata().map_or(0, |m| m.len())
            }
        })
        .sum()
}

/// Runs `command`; its stdout on success, a one-line reason (first stderr lines) otherwise.
fn run(command: &mut Command) -> Result<String, String> {
    let output: Output = command
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let first_lines: Vec<&str> = stderr.lines().take(8).collect();
    Err(format!(
        "{command:?} failed ({}): {}",
        output.status,
        first_lines.join(" | ")
    ))
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Prints one row per scenario and tracer.
fn print_table(rows: &[(&Scenario, Tracer, Measurement)]) {
    println!();
    println!(
        "{:<22} {:<10} {:>9} {:>11} {:>10} {:>9} {:>9} {:>8}",
        "scenario", "tracer", "ns/event", "fired", "in trace", "lost", "B/event", "MB/s"
    );
    for (scenario, tracer, m) in rows {
        let (recorded, lost, per_event, mbps) = trace_columns(m);
        println!(
            "{:<22} {:<10} {:>9.2} {:>11} {:>10} {:>9} {:>9} {:>8}",
            scenario.label,
            tracer.name(),
            m.ns_per_event,
            m.fired,
            recorded,
            lost,
            per_event,
            mbps
        );
    }
}

/// The "in trace", "lost", "B/event" and "MB/s" cells of a row ("-" when not traced).
fn trace_columns(m: &Measurement) -> (String, String, String, String) {
    let Some(trace) = &m.trace else {
        return ("-".into(), "-".into(), "-".into(), "-".into());
    };
    let mbps = trace.stream_bytes as f64 / trace.seconds_to_flushed / 1e6;
    match &trace.recorded {
        Ok(recorded) => (
            recorded.to_string(),
            m.fired.saturating_sub(*recorded).to_string(),
            format!(
                "{:.1}",
                trace.stream_bytes as f64 / (*recorded).max(1) as f64
            ),
            format!("{mbps:.0}"),
        ),
        Err(why) => {
            println!("note: trace unreadable: {why}");
            (
                "unreadable".into(),
                "?".into(),
                "?".into(),
                format!("{mbps:.0}"),
            )
        }
    }
}

/// Prints LTTng-UST time / UST time, and daemon / daemonless UST time, per scenario when measured.
fn print_ratios(rows: &[(&Scenario, Tracer, Measurement)]) {
    println!();
    for scenario in &SCENARIOS {
        let find = |tracer| {
            rows.iter()
                .find(|(s, t, _)| s.label == scenario.label && *t == tracer)
                .map(|(_, _, m)| m.ns_per_event)
        };
        if let (Some(ust), Some(lttng)) = (find(Tracer::Ust), find(Tracer::Lttng)) {
            println!(
                "{:<22} LTTng-UST / UST time per event: {:.2}x",
                scenario.label,
                lttng / ust
            );
        }
        if scenario.sessions > 1 {
            print_sessions_ratio(rows, scenario);
        }
        if let (Some(ust), Some(daemon)) = (find(Tracer::Ust), find(Tracer::UstDaemon)) {
            println!(
                "{:<22} UST+daemon / UST (daemonless) time per event: {:.2}x",
                scenario.label,
                daemon / ust
            );
        }
    }
}

/// Prints, per tracer, the time per event recorded in several sessions against one session
/// (the same event, unfiltered, one thread).
fn print_sessions_ratio(rows: &[(&Scenario, Tracer, Measurement)], several: &Scenario) {
    let time = |sessions: u32, tracer: Tracer| {
        rows.iter()
            .find(|(s, t, _)| {
                s.event == several.event
                    && s.threads == several.threads
                    && s.enabled
                    && s.filter.is_none()
                    && s.sessions == sessions
                    && *t == tracer
            })
            .map(|(_, _, m)| m.ns_per_event)
    };
    for tracer in [Tracer::UstDaemon, Tracer::Lttng] {
        if let (Some(one), Some(more)) = (time(1, tracer), time(several.sessions, tracer)) {
            println!(
                "{:<22} {} {} sessions / 1 session time per event: {:.2}x",
                several.label,
                tracer.name(),
                several.sessions,
                more / one
            );
        }
    }
}

/// Prints the other styles' time per event against the 3-integer TRACEPOINT_EVENT (UST, same
/// run), and UST's tracef against LTTng-UST's.
fn print_style_ratios(rows: &[(&Scenario, Tracer, Measurement)]) {
    let find = |event: &str, threads: u32, tracer: Tracer| {
        rows.iter()
            .find(|(s, t, _)| s.event == event && s.threads == threads && s.enabled && *t == tracer)
            .map(|(_, _, m)| m.ns_per_event)
    };
    let tracepoint = find("int3", 1, Tracer::Ust);
    for (event, what) in [("mark3", "trace_mark"), ("probe3", "custom probe")] {
        if let (Some(style), Some(tp)) = (find(event, 1, Tracer::Ust), tracepoint) {
            println!(
                "{what} / TRACEPOINT_EVENT (UST, 3 integers) time per event: {:.2}x",
                style / tp
            );
        }
    }
    if let (Some(ust), Some(lttng)) = (
        find("tracef3", 1, Tracer::Ust),
        find("tracef3", 1, Tracer::Lttng),
    ) {
        println!(
            "UST tracef / LTTng-UST tracef time per event: {:.2}x",
            ust / lttng
        );
    }
}
