//! `ust trace -- CMD`: the one-command action, on real instrumented programs (c-examples/hello
//! and tests/c/ctl_app built against this build's libust): the summary, the trace read back
//! with babeltrace2, programs forked and executed by CMD, exit statuses, event selection,
//! signals, and the errors.

mod common;
mod programs;
use common::{babeltrace, text, ust};
use programs::{compile, ctl_app, Scratch};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::OnceLock;

/// c-examples/hello, built once.
fn hello() -> PathBuf {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap()
            .join("c-examples/hello");
        compile(
            &[src.join("hello.c"), src.join("hello-tp.c")],
            &src,
            "hello",
        )
    })
    .clone()
}

/// `ust trace -o DIR OPTIONS -- CMD…`.
fn trace(dir: &Path, options: &[&str], cmd: &[&str]) -> Output {
    ust()
        .arg("trace")
        .arg("-o")
        .arg(dir)
        .args(options)
        .arg("--")
        .args(cmd)
        .output()
        .unwrap()
}

/// The events babeltrace2 prints for the trace in `dir`: (name, line), in order.
fn events(dir: &Path) -> Option<Vec<(String, String)>> {
    let out = babeltrace(&[dir])?;
    assert!(out.status.success(), "babeltrace2: {}", text(&out.stderr));
    let lines = text(&out.stdout);
    let name = |line: &str| {
        let head = line.split(": {").next().unwrap_or_default();
        head.rsplit(' ').next().unwrap_or_default().to_string()
    };
    Some(lines.lines().map(|l| (name(l), l.to_string())).collect())
}

fn count(events: &[(String, String)], name: &str) -> usize {
    events.iter().filter(|(n, _)| n == name).count()
}

/// Whether the summary on stderr has the row `NAME  COUNT`.
fn summary_has(stderr: &str, name: &str, n: usize) -> bool {
    stderr.lines().any(|l| {
        let mut words = l.split_whitespace();
        words.next() == Some(name) && words.next() == Some(&n.to_string())
    })
}

#[test]
fn hello_is_traced_summarized_and_readable() {
    let base = Scratch::new("trace-hello-run");
    let dir = base.join("out");
    let exe = hello();
    let out = trace(&dir, &[], &[exe.to_str().unwrap(), "5"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(text(&out.stdout), "hello, world (5 events)\n");
    assert!(
        err.contains(&format!("ust: trace written to {}\n", dir.display())),
        "{err}"
    );
    assert!(summary_has(&err, "hello:greeting", 5), "{err}");
    assert!(err.contains("no events discarded"), "{err}");
    assert!(err.contains("exited with status 0 after "), "{err}");
    assert!(!err.contains("WARNING"), "{err}");
    let Some(evs) = events(&dir) else { return };
    assert_eq!(evs.len(), 5, "{evs:?}");
    assert_eq!(count(&evs, "hello:greeting"), 5, "{evs:?}");
    for (i, (_, line)) in evs.iter().enumerate() {
        assert!(
            line.contains(&format!("count = {i}, who = \"world\"")),
            "{line}"
        );
    }
}

#[test]
fn programs_forked_and_executed_by_cmd_are_in_the_one_trace() {
    let base = Scratch::new("trace-spawn");
    let dir = base.join("out");
    let (app, hello) = (ctl_app(), hello());
    let out = trace(
        &dir,
        &[],
        &[app.to_str().unwrap(), "spawn", hello.to_str().unwrap(), "4"],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(summary_has(&err, "hello:greeting", 4), "{err}");
    assert!(summary_has(&err, "ctl_app:info", 1), "{err}");
    let mut streams: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "metadata")
        .map(|n| n.rsplit_once('_').unwrap().0.to_string())
        .collect();
    streams.sort();
    streams.dedup();
    // Stream files are named PROCNAME-PID_CPU: the parent's and the executed hello's, whose
    // pid is the forked child's (which may have registered before exec, as ctl_app).
    let pid_of = |prefix: &str| {
        streams
            .iter()
            .filter_map(|s| s.strip_prefix(prefix))
            .collect::<Vec<_>>()
    };
    let hello_pids = pid_of("hello-");
    assert_eq!(hello_pids.len(), 1, "{streams:?}");
    assert!(
        pid_of("ctl_app-").iter().any(|p| *p != hello_pids[0]),
        "no stream of the parent: {streams:?}"
    );
    let Some(evs) = events(&dir) else { return };
    assert_eq!(count(&evs, "hello:greeting"), 4, "{evs:?}");
    assert_eq!(count(&evs, "ctl_app:info"), 1, "{evs:?}");
}

#[test]
fn the_exit_status_of_cmd_is_passed_through() {
    let base = Scratch::new("trace-status");
    let app = ctl_app();
    let out = trace(
        &base.join("seven"),
        &[],
        &[app.to_str().unwrap(), "exit", "7"],
    );
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("exited with status 7"));
    let killed = trace(&base.join("term"), &[], &["sh", "-c", "kill -TERM $$"]);
    assert_eq!(killed.status.code(), Some(128 + 15));
    assert!(text(&killed.stderr).contains("was killed by signal 15"));
}

#[test]
fn a_command_that_cannot_start_exits_127() {
    let base = Scratch::new("trace-missing");
    let dir = base.join("out");
    let out = trace(&dir, &[], &["/nonexistent/program", "x"]);
    assert_eq!(out.status.code(), Some(127));
    assert_eq!(
        text(&out.stderr),
        "ust: cannot run /nonexistent/program: No such file or directory\n"
    );
    assert!(!dir.exists(), "an empty trace directory was left behind");
}

#[test]
fn events_and_loglevel_select_what_is_recorded() {
    let base = Scratch::new("trace-select");
    let app = ctl_app();
    let run = |name: &str, options: &[&str]| {
        let dir = base.join(name);
        let out = trace(&dir, options, &[app.to_str().unwrap(), "events", "3"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        (text(&out.stderr), events(&dir))
    };
    let (err, evs) = run("all", &[]);
    assert!(summary_has(&err, "ctl_app:info", 3) && summary_has(&err, "ctl_app:debug", 3));
    if let Some(evs) = evs {
        assert_eq!(evs.len(), 6);
    }
    let (err, evs) = run("debug", &["--events", "ctl_app:deb*"]);
    assert!(summary_has(&err, "ctl_app:debug", 3), "{err}");
    assert!(!err.contains("ctl_app:info"), "{err}");
    if let Some(evs) = evs {
        assert_eq!((count(&evs, "ctl_app:debug"), evs.len()), (3, 3));
    }
    let (err, evs) = run("info", &["--loglevel", "INFO"]);
    assert!(summary_has(&err, "ctl_app:info", 3), "{err}");
    assert!(!err.contains("ctl_app:debug"), "{err}");
    if let Some(evs) = evs {
        assert_eq!((count(&evs, "ctl_app:info"), evs.len()), (3, 3));
    }
    let (err, _) = run("none", &["--events", "nothing:*,other:*"]);
    assert!(err.contains("\n0 events, 0 event names\n"), "{err}");
    assert!(err.contains("ust: no events were recorded: "), "{err}");
}

/// The event count of the summary's `N events, M event names…` line
/// (singular for 1).
fn total_events(stderr: &str) -> Option<u64> {
    stderr.lines().find_map(|l| {
        let (n, rest) = l.split_once(" event")?;
        let rest = rest.strip_prefix("s").unwrap_or(rest);
        rest.starts_with(", ")
            .then_some(())
            .filter(|_| rest.contains(" event name"))
            .and_then(|_| n.parse().ok())
    })
}

/// The count of the final `ust: WARNING: N events were DISCARDED` line (0 without it).
fn discarded(stderr: &str) -> u64 {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("ust: WARNING: "))
        .and_then(|rest| rest.split(' ').next()?.parse().ok())
        .unwrap_or(0)
}

#[test]
fn with_tiny_buffers_every_event_is_recorded_or_reported_discarded() {
    let base = Scratch::new("trace-tiny");
    let dir = base.join("out");
    let app = ctl_app();
    let options = ["--subbuf-size", "4k", "--num-subbuf", "2"];
    let out = trace(&dir, &options, &[app.to_str().unwrap(), "events", "200000"]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    let recorded = total_events(&err).expect("an `N events, …` summary line");
    let discarded = discarded(&err);
    assert_eq!(recorded + discarded, 400_000, "{err}");
    if discarded > 0 {
        assert!(err.contains("WARNING: the tracer discarded"), "{err}");
        assert!(
            err.contains("events were DISCARDED (buffers full)"),
            "{err}"
        );
    }
    let overwrite = trace(
        &dir.with_file_name("overwrite"),
        &[&options[..], &["--overwrite"]].concat(),
        &[app.to_str().unwrap(), "events", "200000"],
    );
    assert!(overwrite.status.success(), "{}", text(&overwrite.stderr));
}

#[test]
fn sigint_goes_to_cmd_and_the_trace_is_still_written() {
    let base = Scratch::new("trace-sigint");
    let dir = base.join("out");
    let app = ctl_app();
    let mut child = ust()
        .arg("trace")
        .arg("-o")
        .arg(&dir)
        .args(["--", app.to_str().unwrap(), "pause", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "ready\n");
    // SAFETY: sending SIGINT to our own child process.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(128 + libc::SIGINT), "{err}");
    assert!(err.contains("was killed by signal 2"), "{err}");
    assert!(summary_has(&err, "ctl_app:info", 2), "{err}");
    if let Some(evs) = events(&dir) {
        assert_eq!(evs.len(), 4, "{evs:?}");
    }
}

#[test]
fn cmd_registers_with_the_private_daemon_even_if_ust_trace_is_set() {
    let base = Scratch::new("trace-env");
    let dir = base.join("out");
    let elsewhere = base.join("daemonless");
    let out = ust()
        .env("UST_TRACE", &elsewhere)
        .env("UST_DAEMON_SOCKET", base.join("other.sock"))
        .arg("trace")
        .arg("-o")
        .arg(&dir)
        .args(["--", hello().to_str().unwrap(), "2"])
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(summary_has(&err, "hello:greeting", 2), "{err}");
    assert!(!elsewhere.exists(), "the program traced by itself");
}

#[test]
fn the_default_output_is_a_dated_directory_named_after_the_program() {
    let cwd = Scratch::new("trace-default-dir");
    let out = ust()
        .current_dir(&cwd)
        .args(["trace", hello().to_str().unwrap(), "1"])
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    let made: Vec<String> = std::fs::read_dir(&cwd)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(made.len(), 1, "{made:?}");
    assert!(made[0].starts_with("hello-") && made[0].len() == "hello-YYYYMMDD-HHMMSS".len());
    assert!(err.contains(&format!("trace written to {}/{}\n", cwd.display(), made[0])));
}

#[test]
fn errors_and_usage() {
    let base = Scratch::new("trace-errors");
    let full = base.join("full");
    std::fs::create_dir_all(&full).unwrap();
    std::fs::write(full.join("file"), "x").unwrap();
    let out = trace(&full, &[], &["true"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "ust: {} already holds files: give an empty or new directory with -o\n",
            full.display()
        )
    );
    let under_a_file = full.join("file").join("trace");
    let out = trace(&under_a_file, &[], &["true"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "ust: cannot write a trace in {} (session \"trace\" not created)\n",
            under_a_file.display()
        )
    );
    for args in [
        vec!["trace"],
        vec!["trace", "--events", "", "--", "true"],
        vec!["trace", "--loglevel", "LOUD", "--", "true"],
        vec!["trace", "--subbuf-size", "3k", "--", "true"],
    ] {
        let out = ust().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    let help = text(&ust().args(["trace", "--help"]).output().unwrap().stdout);
    for opt in [
        "--output",
        "--events",
        "--loglevel",
        "--overwrite",
        "--subbuf-size",
        "--num-subbuf",
    ] {
        assert!(help.contains(opt), "{opt}: {help}");
    }
}

/// two_providers and its two provider libraries (see tests/c/two_providers.c); returns the
/// program and the LD_PRELOAD value that loads the providers.
fn two_providers() -> (PathBuf, String) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c");
    let dir = programs::build_dir();
    let lib = programs::lib_dir();
    let cc = |args: &[&std::ffi::OsStr], libust: bool| {
        let mut cmd = std::process::Command::new("cc");
        cmd.args(["-O2", "-Wall", "-Werror", "-fPIC", "-I"])
            .arg(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .parent()
                    .unwrap()
                    .join("include"),
            )
            .arg("-I")
            .arg(&src)
            .args(args);
        if libust {
            cmd.arg(format!("-L{}", lib.display()))
                .arg(format!("-Wl,-rpath,{}", lib.display()))
                .arg("-lust");
        }
        let out = cmd.arg("-ldl").output().unwrap();
        assert!(out.status.success(), "cc: {}", text(&out.stderr));
    };
    // Built under a temporary name and renamed, as `compile` does.
    let build = |out: &str, args: &[&std::ffi::OsStr], libust: bool| {
        let tmp = dir.join(format!(".{out}.{}", std::process::id()));
        let mut all = args.to_vec();
        all.extend(["-o".as_ref(), tmp.as_os_str()]);
        cc(&all, libust);
        std::fs::rename(&tmp, dir.join(out)).unwrap();
        dir.join(out)
    };
    let libraries = [
        ("libctl_app_probes.so", "ctl_app_probes.c"),
        ("liblate.so", "late_tp.c"),
    ];
    let preload: Vec<String> = libraries
        .iter()
        .map(|(so, source)| {
            let source = src.join(source);
            build(so, &["-shared".as_ref(), source.as_os_str()], true)
                .display()
                .to_string()
        })
        .collect();
    let exe = build(
        "two_providers",
        &[src.join("two_providers.c").as_os_str()],
        false,
    );
    (exe, preload.join(":"))
}

#[test]
fn events_of_every_provider_are_recorded_from_the_start() {
    let (exe, preload) = two_providers();
    let preload = format!("LD_PRELOAD={preload}");
    for round in 0..3 {
        let dir = Scratch::new(&format!("trace-two-providers-{round}"));
        let out = trace(
            &dir.join("t"),
            &[],
            &["env", &preload, exe.to_str().unwrap()],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        let Some(events) = events(&dir.join("t")) else {
            return;
        };
        let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["ctl_app:info", "late:hit"], "round {round}");
    }
}

#[test]
fn a_blocking_channel_under_the_daemon_keeps_every_event_with_tiny_buffers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let src = root.join("tests/c/lttng_compat");
    let exe = programs::compile_with(
        &[src.join("app_blocking.c")],
        &[&root.join("include/lttng-compat"), &src],
        "app_blocking",
    );
    let dir = Scratch::new("trace-blocking");
    let out = trace(
        &dir.join("t"),
        &[
            "--subbuf-size",
            "4k",
            "--num-subbuf",
            "2",
            "--blocking-timeout",
            "inf",
        ],
        &[exe.to_str().unwrap(), "200000"],
    );
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("no events discarded"), "{err}");
    assert_eq!(total_events(&err), Some(200_000), "{err}");
}

#[test]
fn many_short_programs_started_at_once_are_all_recorded() {
    let dir = Scratch::new("trace-many");
    let script = format!(
        "for i in $(seq 100); do {} 10 many >/dev/null & done; wait",
        hello().display()
    );
    let out = trace(&dir.join("t"), &[], &["sh", "-c", &script]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(total_events(&err), Some(1000), "{err}");
    assert!(!err.contains("went away before"), "{err}");
}

/// Buffers that take the program seconds to fault in (about 2 GiB in all, whatever the
/// number of CPUs): the daemon's next command after the channel's creation must still be
/// answered within its reply timeout, or the program is dropped and runs untraced.
#[test]
fn large_buffers_are_faulted_in_while_the_program_is_set_up() {
    let base = Scratch::new("trace-large");
    let dir = base.join("out");
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let per_cpu_mib = (2048 / cpus.max(1)).clamp(16, 1024);
    let num_subbuf = (per_cpu_mib / 4).to_string();
    let options = ["--subbuf-size", "4M", "--num-subbuf", &num_subbuf];
    let exe = hello();
    let out = trace(&dir, &options, &[exe.to_str().unwrap(), "5"]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("went away before"), "{err}");
    assert!(summary_has(&err, "hello:greeting", 5), "{err}");
}
