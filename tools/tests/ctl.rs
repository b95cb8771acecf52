//! The session-control commands against a real daemon (`ust daemon --socket`, a child
//! process per test): every command's output, every error line and exit code, and a
//! registered program listed and traced.

mod cli_daemon;
mod common;
mod programs;
use cli_daemon::{failed, succeeded, wait_registered, Daemon, LineApp};
use common::{babeltrace, text, ust};
use programs::{ctl_app, Scratch};
use std::process::Command;

const COMMANDS: [&str; 8] = [
    "create", "enable", "disable", "start", "stop", "destroy", "status", "list",
];

#[test]
fn every_command_has_help_with_the_socket_option() {
    for cmd in COMMANDS {
        let out = ust().args([cmd, "--help"]).output().unwrap();
        let help = succeeded(&[cmd, "--help"], out);
        assert!(help.contains(&format!("Usage: ust {cmd}")), "{help}");
        assert!(help.contains("--socket <PATH>"), "{cmd}: {help}");
    }
    let top = text(&ust().arg("--help").output().unwrap().stdout);
    for cmd in COMMANDS.iter().chain(&["trace", "daemon", "view"]) {
        assert!(top.contains(&format!("  {cmd} ")), "{cmd} missing: {top}");
    }
}

#[test]
fn usage_errors_exit_2() {
    let cases: &[&[&str]] = &[
        &["create"],
        &["create", "a/b"],
        &["create", ""],
        &["create", "s", "--subbuf-size", "1000"],
        &["create", "s", "--subbuf-size", "lots"],
        &["create", "s", "--num-subbuf", "3"],
        &["enable", "s"],
        &["enable", "s", ""],
        &["enable", "s", "a b"],
        &["enable", "s", "x:*", "--loglevel", "LOUD"],
        &["enable", "s", "x:*", "--loglevel", "15"],
        &["disable", "s"],
        &["start"],
        &["status"],
        &["list", "extra"],
    ];
    for args in cases {
        let out = ust().args(*args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "ust {args:?}");
        let err = text(&out.stderr);
        assert!(err.starts_with("error: "), "ust {args:?}: {err}");
    }
    let empty = ust().args(["enable", "s", ""]).output().unwrap();
    assert!(text(&empty.stderr).contains("an event pattern cannot be empty"));
    let level = ust()
        .args(["enable", "s", "x", "--loglevel", "LOUD"])
        .output()
        .unwrap();
    assert!(text(&level.stderr).contains("\"LOUD\" is not a log level"));
}

#[test]
fn without_a_daemon_every_command_fails_with_one_line() {
    let dir = Scratch::new("ctl-nodaemon");
    let socket = dir.join("none.sock");
    let expected = format!(
        "ust: no daemon at {} (start one with `ust daemon`)",
        socket.display()
    );
    for args in [
        vec!["create", "s"],
        vec!["enable", "s", "*"],
        vec!["disable", "s", "*"],
        vec!["start", "s"],
        vec!["stop", "s"],
        vec!["destroy", "s"],
        vec!["status", "s"],
        vec!["list"],
    ] {
        let by_option = ust().args(&args).arg("--socket").arg(&socket).output();
        assert_eq!(failed(&by_option.unwrap(), 1), expected, "{args:?}");
        let by_env = ust().args(&args).env("UST_DAEMON_SOCKET", &socket).output();
        assert_eq!(failed(&by_env.unwrap(), 1), expected, "{args:?}");
    }
}

#[test]
fn a_session_from_create_to_destroy() {
    let dir = Scratch::new("ctl-lifecycle");
    let d = Daemon::start(&dir);
    let out = dir.join("trace");
    let o = out.to_str().unwrap();
    assert_eq!(
        d.ok(&["list"]),
        "Sessions:\n  (none)\nPrograms:\n  (none)\n"
    );
    assert_eq!(
        d.ok(&[
            "create",
            "s1",
            "-o",
            o,
            "--subbuf-size",
            "64k",
            "--num-subbuf",
            "8"
        ]),
        format!("session \"s1\" created: trace in {o}\n")
    );
    assert_eq!(
        failed(&d.ctl(&["create", "s1", "-o", o]), 1),
        "ust: a session named \"s1\" already exists"
    );
    assert_eq!(
        d.ok(&["enable", "s1", "ctl_app:*", "hello:*", "--loglevel", "INFO"]),
        "session \"s1\": enabled ctl_app:*, hello:* (log level INFO or more severe)\n"
    );
    let status = d.ok(&["status", "s1"]);
    assert!(status.starts_with("session \"s1\": created\n"), "{status}");
    assert!(status.contains(&format!("  trace:      {o}\n")), "{status}");
    assert_eq!(d.ok(&["start", "s1"]), "session \"s1\" started\n");
    assert!(d
        .ok(&["status", "s1"])
        .starts_with("session \"s1\": started\n"));
    let list = d.ok(&["list"]);
    assert!(
        list.contains("  s1  started  0 programs  0 events  0 discarded  "),
        "{list}"
    );
    let stopped = d.ok(&["stop", "s1"]);
    assert!(
        stopped.starts_with("session \"s1\" stopped: 0 events, 0 discarded, "),
        "{stopped}"
    );
    assert_eq!(
        d.ok(&["disable", "s1", "hello:*"]),
        "session \"s1\": disabled hello:*\n"
    );
    assert_eq!(d.ok(&["destroy", "s1"]), "session \"s1\" destroyed\n");
    assert_eq!(
        failed(&d.ctl(&["status", "s1"]), 1),
        "ust: no session named \"s1\""
    );
}

#[test]
fn unknown_sessions_are_one_line_errors() {
    let dir = Scratch::new("ctl-unknown");
    let d = Daemon::start(&dir);
    for args in [
        vec!["enable", "nosuch", "*"],
        vec!["disable", "nosuch", "*"],
        vec!["start", "nosuch"],
        vec!["stop", "nosuch"],
        vec!["destroy", "nosuch"],
        vec!["status", "nosuch"],
    ] {
        assert_eq!(
            failed(&d.ctl(&args), 1),
            "ust: no session named \"nosuch\"",
            "{args:?}"
        );
    }
}

#[test]
fn the_default_output_is_a_dated_directory_under_the_current_one() {
    let dir = Scratch::new("ctl-default-output");
    let d = Daemon::start(&dir);
    let out = ust()
        .current_dir(&dir)
        .args(["create", "dated", "--socket"])
        .arg(&d.socket)
        .output()
        .unwrap();
    let line = succeeded(&["create"], out);
    let prefix = format!(
        "session \"dated\" created: trace in {}/dated-",
        dir.display()
    );
    assert!(line.starts_with(&prefix), "{line}");
    let stamp = line.trim_end().strip_prefix(&prefix).unwrap();
    assert_eq!(stamp.len(), "YYYYMMDD-HHMMSS".len(), "{line}");
    assert!(stamp.chars().all(|c| c.is_ascii_digit() || c == '-'));
    let status = d.ok(&["status", "dated"]);
    assert!(status.contains(&format!("trace:      {}/dated-", dir.display())));
}

#[test]
fn a_program_started_before_the_session_is_listed_and_traced() {
    let dir = Scratch::new("ctl-program");
    let d = Daemon::start(&dir);
    let exe = ctl_app();
    let mut app = LineApp::start(&exe, &d.socket);
    let pid = app.child.id();
    wait_registered(&d, pid);
    let list = d.ok(&["list"]);
    // SAFETY: getuid has no preconditions.
    let uid = unsafe { libc::getuid() };
    assert!(
        list.contains(&format!("  {pid} ctl_app (uid {uid}): 2 tracepoints\n")),
        "{list}"
    );
    assert!(
        list.contains("    ctl_app:info\n    ctl_app:debug\n")
            || list.contains("    ctl_app:debug\n    ctl_app:info\n"),
        "{list}"
    );

    let out = dir.join("trace");
    d.ok(&["create", "p", "-o", out.to_str().unwrap()]);
    d.ok(&["enable", "p", "ctl_app:info"]);
    d.ok(&["start", "p"]);
    for word in ["one", "two", "three"] {
        app.say(word);
    }
    let stopped = d.ok(&["stop", "p"]);
    assert!(
        stopped.starts_with("session \"p\" stopped: 3 events, 0 discarded, "),
        "{stopped}"
    );
    let status = d.ok(&["status", "p"]);
    assert!(status.contains("  programs:   1\n"), "{status}");
    // Once `stop` returned, the events are on disk: read while the program and the session
    // are still alive.
    if let Some(bt) = babeltrace(&[&out]) {
        let lines = text(&bt.stdout);
        let events: Vec<&str> = lines.lines().collect();
        assert_eq!(events.len(), 3, "{lines}");
        for (line, word) in events.iter().zip(["one", "two", "three"]) {
            assert!(line.contains("ctl_app:info"), "{line}");
            assert!(line.contains(&format!("text = \"{word}\"")), "{line}");
        }
    }
    app.finish();
    d.ok(&["destroy", "p"]);
}

#[test]
fn another_user_is_refused_with_one_line() {
    // SAFETY: getuid has no preconditions.
    if unsafe { libc::getuid() } != 0 || Command::new("setpriv").arg("--version").output().is_err()
    {
        eprintln!("skipped: needs root and setpriv to act as a second user");
        return;
    }
    let dir = Scratch::new("ctl-other-user");
    let d = Daemon::start(&dir);
    let exe = dir.join("ust");
    // A copy the other user can execute, written by `cp` so that no descriptor open for
    // writing leaks into programs other test threads start (exec would fail: ETXTBSY).
    let copied = Command::new("cp")
        .arg(env!("CARGO_BIN_EXE_ust"))
        .arg(&exe)
        .status()
        .unwrap();
    assert!(copied.success());
    let as_nobody = |args: &[&str]| {
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&exe)
            .args(args)
            .arg("--socket")
            .arg(&d.socket)
            .output()
            .unwrap()
    };
    let socket = d.socket.display();
    assert_eq!(
        failed(&as_nobody(&["list"]), 1),
        format!("ust: permission denied: cannot connect to the daemon at {socket}")
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&d.socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    for args in [&["list"][..], &["create", "x"], &["status", "x"]] {
        assert_eq!(
            failed(&as_nobody(args), 1),
            format!("ust: permission denied by the daemon at {socket}"),
            "{args:?}"
        );
    }
}

#[test]
fn programs_started_before_the_daemon_and_after_the_session_share_one_trace() {
    let dir = Scratch::new("ctl-two-programs");
    let exe = ctl_app();
    let socket = dir.join("d.sock");
    let mut early = LineApp::start(&exe, &socket);
    early.say("untraced");
    let d = Daemon::start(&dir);
    assert_eq!(d.socket, socket);
    wait_registered(&d, early.child.id());
    let out = dir.join("trace");
    d.ok(&["create", "both", "-o", out.to_str().unwrap()]);
    d.ok(&["enable", "both", "ctl_app:info"]);
    d.ok(&["start", "both"]);
    let mut late = LineApp::start(&exe, &socket);
    wait_registered(&d, late.child.id());
    early.say("early");
    late.say("late");
    let stopped = d.ok(&["stop", "both"]);
    assert!(stopped.contains(": 2 events, 0 discarded"), "{stopped}");
    assert!(d.ok(&["status", "both"]).contains("  programs:   2\n"));
    let pids = [early.child.id(), late.child.id()];
    early.finish();
    late.finish();
    d.ok(&["destroy", "both"]);
    let mut streams: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|n| Some(n.rsplit_once('_')?.0.to_string()))
        .collect();
    streams.sort();
    streams.dedup();
    let mut expected: Vec<String> = pids.iter().map(|p| format!("ctl_app-{p}")).collect();
    expected.sort();
    assert_eq!(streams, expected);
    let Some(bt) = babeltrace(&[&out]) else {
        return;
    };
    let lines = text(&bt.stdout);
    assert_eq!(lines.lines().count(), 2, "{lines}");
    assert!(lines.contains("text = \"early\"") && lines.contains("text = \"late\""));
}
