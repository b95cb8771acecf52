//! Several sessions and channels at once on real programs (`ust daemon`, `ctl_app`): each
//! session records its own events into its own trace, starting, stopping or destroying one
//! leaves the others recording, and within a session a flooding channel loses events while a
//! quiet one keeps every event. Every trace is read back with babeltrace2.

mod cli_daemon;
mod common;
mod programs;
use cli_daemon::{wait_registered, Daemon, LineApp};
use common::{babeltrace, text};
use programs::{ctl_app, Scratch};
use std::path::Path;
use std::process::Command;

/// The (event name, payload) of every event babeltrace2 prints for `dir`, in order; None
/// when babeltrace2 is missing.
fn events(dir: &Path) -> Option<Vec<(String, String)>> {
    let out = babeltrace(&[dir])?;
    assert!(
        out.status.success(),
        "babeltrace2 {}: {}",
        dir.display(),
        text(&out.stderr)
    );
    Some(
        text(&out.stdout)
            .lines()
            .map(|l| {
                let name = l.split(' ').find(|w| w.starts_with("ctl_app:")).unwrap();
                let payload = l.rsplit_once("}, ").unwrap().1;
                (name.trim_end_matches(':').to_string(), payload.to_string())
            })
            .collect(),
    )
}

fn line(name: &str, n: u32, word: &str) -> (String, String) {
    let payload = if name == "ctl_app:info" {
        format!("{{ n = {n}, text = \"{word}\" }}")
    } else {
        format!("{{ n = {n} }}")
    };
    (name.to_string(), payload)
}

#[test]
fn two_sessions_record_the_same_program_and_stopping_one_spares_the_other() {
    let dir = Scratch::new("sessions-two");
    let d = Daemon::start(&dir);
    let (ta, tb) = (dir.join("a"), dir.join("b"));
    d.ok(&["create", "a", "-o", ta.to_str().unwrap()]);
    d.ok(&["enable", "a", "ctl_app:info"]);
    d.ok(&["start", "a"]);
    let mut app = LineApp::start(&ctl_app(), &d.socket);
    wait_registered(&d, app.child.id());
    app.say("one");
    d.ok(&["create", "b", "-o", tb.to_str().unwrap()]);
    d.ok(&["enable", "b", "ctl_app:*"]);
    d.ok(&["start", "b"]);
    app.say("two");
    let stopped = d.ok(&["stop", "a"]);
    assert!(stopped.contains("2 events, 0 discarded"), "{stopped}");
    app.say("three");
    d.ok(&["destroy", "a"]);
    app.say("four");
    let status = d.ok(&["status", "b"]);
    assert!(status.contains("programs:   1"), "{status}");
    app.finish();
    d.ok(&["stop", "b"]);
    let Some(a) = events(&ta) else { return };
    assert_eq!(
        a,
        [
            line("ctl_app:info", 0, "one"),
            line("ctl_app:info", 1, "two")
        ]
    );
    let mut want = Vec::new();
    for (n, w) in [(1, "two"), (2, "three"), (3, "four")] {
        want.push(line("ctl_app:info", n, w));
        want.push(line("ctl_app:debug", n, ""));
    }
    assert_eq!(events(&tb).unwrap(), want);
}

#[test]
fn a_flight_recorder_and_two_investigations_started_in_any_order() {
    let dir = Scratch::new("sessions-three");
    let d = Daemon::start(&dir);
    let out = |s: &str| dir.join(s).to_str().unwrap().to_string();
    d.ok(&[
        "create",
        "fr",
        "-o",
        &out("fr"),
        "--overwrite",
        "--subbuf-size",
        "4k",
        "--num-subbuf",
        "2",
    ]);
    d.ok(&["enable", "fr", "*"]);
    d.ok(&["create", "inv", "-o", &out("inv")]);
    d.ok(&["enable", "inv", "ctl_app:info"]);
    d.ok(&["create", "dbg", "-o", &out("dbg")]);
    d.ok(&["enable", "dbg", "ctl_app:debug"]);
    d.ok(&["start", "inv"]);
    let mut app = LineApp::start(&ctl_app(), &d.socket);
    wait_registered(&d, app.child.id());
    app.say("w0");
    d.ok(&["start", "fr"]);
    d.ok(&["start", "dbg"]);
    let words: Vec<String> = (1..2000).map(|i| format!("w{i}")).collect();
    for w in &words {
        app.say(w);
    }
    app.finish();
    for s in ["fr", "inv", "dbg"] {
        d.ok(&["stop", s]);
    }
    let Some(inv) = events(&dir.join("inv")) else {
        return;
    };
    assert_eq!(
        inv.len(),
        2000,
        "every info event, from before the others started"
    );
    assert_eq!(inv[0], line("ctl_app:info", 0, "w0"));
    let dbg = events(&dir.join("dbg")).unwrap();
    assert_eq!(dbg.len(), 1999);
    assert!(dbg.iter().all(|(name, _)| name == "ctl_app:debug"));
    let fr = events(&dir.join("fr")).unwrap();
    assert!(
        !fr.is_empty() && fr.len() < 2 * 1999,
        "the flight recorder keeps the newest: {} events",
        fr.len()
    );
    assert_eq!(fr.last().unwrap(), &line("ctl_app:debug", 1999, ""));
    assert_eq!(fr[fr.len() - 2], line("ctl_app:info", 1999, "w1999"));
}

#[test]
fn a_flooding_channel_discards_while_the_quiet_one_loses_nothing() {
    let dir = Scratch::new("sessions-channels");
    let d = Daemon::start(&dir);
    let t = dir.join("t");
    d.ok(&[
        "create",
        "s",
        "-o",
        t.to_str().unwrap(),
        "--subbuf-size",
        "1M",
        "--num-subbuf",
        "8",
    ]);
    let added = d.ok(&[
        "enable-channel",
        "s",
        "flood",
        "--subbuf-size",
        "4k",
        "--num-subbuf",
        "2",
    ]);
    assert_eq!(added, "session \"s\": channel flood added\n");
    d.ok(&["enable", "s", "ctl_app:debug", "--channel", "flood"]);
    d.ok(&["enable", "s", "ctl_app:info"]);
    d.ok(&["start", "s"]);
    let n = 50_000;
    let run = Command::new(ctl_app())
        .args(["events", &n.to_string()])
        .env("UST_DAEMON_SOCKET", &d.socket)
        .env("UST_REGISTER_TIMEOUT", "10000")
        .status()
        .unwrap();
    assert!(run.success());
    d.ok(&["stop", "s"]);
    let status = d.ok(&["status", "s"]);
    let flood = status
        .lines()
        .find(|l| l.trim_start().starts_with("flood:"))
        .unwrap();
    let quiet = status
        .lines()
        .find(|l| l.trim_start().starts_with("channel0:"))
        .unwrap();
    assert!(quiet.contains(", 0 discarded"), "{status}");
    assert!(!flood.contains(", 0 discarded"), "{status}");
    let names: Vec<String> = std::fs::read_dir(&t)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        names.iter().any(|f| f.starts_with("flood_ctl_app-")),
        "{names:?}"
    );
    let Some(out) = babeltrace(&[&t]) else { return };
    let stdout = text(&out.stdout);
    assert_eq!(stdout.matches("ctl_app:info:").count(), n);
    let debug = stdout.matches("ctl_app:debug:").count();
    assert!(debug > 0 && debug < n, "{debug} debug events");
    assert!(
        text(&out.stderr).contains("discarded"),
        "babeltrace2 reports the losses"
    );
}

#[test]
fn channels_are_added_before_the_start_only_and_named_safely() {
    let dir = Scratch::new("sessions-channel-errors");
    let d = Daemon::start(&dir);
    d.ok(&["create", "s", "-o", dir.join("t").to_str().unwrap()]);
    let bad = d.ctl(&["enable-channel", "s", "../x"]);
    assert_eq!(bad.status.code(), Some(2));
    let missing = d.ctl(&["enable", "s", "x:*", "--channel", "nope"]);
    assert_eq!(
        text(&missing.stderr),
        "ust: cannot enable events in session \"s\": no such channel\n"
    );
    d.ok(&["enable-channel", "s", "c1", "--blocking-timeout", "inf"]);
    let twice = d.ctl(&["enable-channel", "s", "c1"]);
    assert_eq!(twice.status.code(), Some(1));
    d.ok(&["start", "s"]);
    let late = d.ctl(&["enable-channel", "s", "c2"]);
    assert_eq!(
        text(&late.stderr),
        "ust: cannot add a channel to session \"s\": not possible in the session's current state\n"
    );
    let status = d.ok(&["status", "s"]);
    assert!(
        status.contains("    c1: 4 x 512k, blocking, 0 discarded"),
        "{status}"
    );
}

#[test]
fn filtered_rules_each_apply_to_their_events_and_either_keeps_an_event_once() {
    let dir = Scratch::new("sessions-filters");
    let d = Daemon::start(&dir);
    let t = dir.join("t");
    d.ok(&["create", "s", "-o", t.to_str().unwrap()]);
    let bad = d.ctl(&["enable", "s", "ctl_app:*", "--filter", "n < 2 &&"]);
    assert_eq!(
        text(&bad.stderr),
        "ust: filter: column 9: expected an operand after '&&'\n"
    );
    assert_eq!(bad.status.code(), Some(1));
    d.ok(&["enable", "s", "ctl_app:*", "--filter", "n < 2"]);
    d.ok(&[
        "enable",
        "s",
        "ctl_app:info",
        "--filter",
        "n > 7 || text == \"w1*\"",
    ]);
    d.ok(&["start", "s"]);
    // The program registers after the rules: it gets them.
    let mut app = LineApp::start(&ctl_app(), &d.socket);
    wait_registered(&d, app.child.id());
    for n in 0..10 {
        app.say(&format!("w{n}"));
    }
    app.finish();
    d.ok(&["stop", "s"]);
    let Some(events) = events(&t) else {
        return;
    };
    let mut want = Vec::new();
    for n in 0..10 {
        if !(2..=7).contains(&n) {
            want.push(line("ctl_app:info", n, &format!("w{n}")));
        }
        if n < 2 {
            want.push(line("ctl_app:debug", n, ""));
        }
    }
    assert_eq!(events, want);
}

/// Descriptors a process has open, and its resident memory in KiB.
fn fds_and_rss(pid: u32) -> (usize, u64) {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap();
    (fds, rss)
}

#[test]
fn sessions_come_and_go_without_leaving_descriptors_or_memory_in_the_program() {
    let dir = Scratch::new("sessions-cycles");
    let d = Daemon::start(&dir);
    // The program may open 64 descriptors at most: each session's buffers must be given back.
    let script = format!("ulimit -n 64; exec {} lines", ctl_app().display());
    let mut app = LineApp::start_command(
        Command::new("sh")
            .args(["-c", &script])
            .env("UST_DAEMON_SOCKET", &d.socket),
    );
    let pid = app.child.id();
    wait_registered(&d, pid);
    app.say("before");
    let before = fds_and_rss(pid);
    for i in 0..60 {
        let t = dir.join(format!("t{i}"));
        d.ok(&[
            "create",
            "s",
            "-o",
            t.to_str().unwrap(),
            "--subbuf-size",
            "1M",
            "--num-subbuf",
            "2",
        ]);
        d.ok(&["enable", "s", "ctl_app:*"]);
        d.ok(&["start", "s"]);
        app.say(&format!("cycle{i}"));
        d.ok(&["destroy", "s"]);
    }
    app.say("after");
    let after = fds_and_rss(pid);
    assert!(
        after.0 <= before.0 + 2,
        "descriptors: {before:?} then {after:?}"
    );
    // 60 sessions of 2 CPUs x 2 MiB would be 240 MiB if nothing were given back.
    assert!(
        after.1 < before.1 + 32 * 1024,
        "resident KiB: {before:?} then {after:?}"
    );
    app.finish();
    let Some(last) = events(&dir.join("t59")) else {
        return;
    };
    assert_eq!(
        last,
        [
            line("ctl_app:info", 60, "cycle59"),
            line("ctl_app:debug", 60, "")
        ]
    );
}

/// A rule added while the program fires changes an event's filter from one the program's
/// serializer runs (value tests) to two that libust runs, under the writer's feet: every
/// event recorded passes one of the rules, and those of the first rule are all there (the
/// second `ust enable` of the same event adds a rule, as `lttng enable-event` does; it used
/// to replace the first, which then lost all its events when the change came first).
#[test]
fn a_rule_added_while_the_program_fires_lets_nothing_else_through() {
    let dir = Scratch::new("sessions-filter-live");
    let d = Daemon::start(&dir);
    let t = dir.join("t");
    let t = t.to_str().unwrap();
    d.ok(&["create", "s", "-o", t, "--blocking-timeout", "inf"]);
    d.ok(&["enable", "s", "ctl_app:debug", "--filter", "n < 1000"]);
    d.ok(&["start", "s"]);
    let mut app = Command::new(ctl_app())
        .args(["events", "20000000"])
        .env("UST_DAEMON_SOCKET", &d.socket)
        .env("UST_REGISTER_TIMEOUT", "10000")
        .spawn()
        .unwrap();
    wait_registered(&d, app.id());
    d.ok(&[
        "enable",
        "s",
        "ctl_app:debug",
        "--filter",
        "n % 100000 == 7",
    ]);
    assert!(app.wait().unwrap().success());
    d.ok(&["stop", "s"]);
    let Some(events) = events(Path::new(t)) else {
        return;
    };
    let numbers: Vec<u32> = events
        .iter()
        .map(|(name, payload)| {
            assert_eq!(name, "ctl_app:debug");
            let n = payload.trim_start_matches("{ n = ").trim_end_matches(" }");
            n.parse().unwrap()
        })
        .collect();
    let strays: Vec<_> = numbers
        .iter()
        .filter(|&&n| n >= 1000 && n % 100_000 != 7)
        .collect();
    assert!(strays.is_empty(), "events no rule keeps: {strays:?}");
    let first = numbers.iter().filter(|&&n| n < 1000).count();
    assert_eq!(first, 1000, "the first rule's events, of {numbers:?}");
}
