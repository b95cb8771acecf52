//! `ust daemon` from the outside: session control over the protocol, fake
//! programs (real ring buffers, real descriptors) recording into sessions,
//! traces read back by babeltrace2 and UST's reader, dying, stuck and
//! hostile peers, other users, and a fuzzed conversation.

mod daemon_support;

use daemon_support::*;
use std::process::Command;
use ust::ipc::proto::{Error, Message};

#[test]
fn two_programs_make_one_trace() {
    let d = DaemonProc::start("two");
    let out = d.dir.join("trace");
    let before = FakeApp::register(&d.socket, "early", &[("fake:tick", 6)], Behaviour::Good);
    let mut ctl = d.ctl();
    ctl.create("s", &out).unwrap();
    ctl.enable("s", &["fake:*"], None).unwrap();
    ctl.start("s").unwrap();
    let after = FakeApp::register(&d.socket, "late", &[("fake:tock", 6)], Behaviour::Good);
    for v in 0..1000 {
        assert!(before.emit("fake:tick", (v % 2) as usize, v));
    }
    for v in 0..500 {
        assert!(after.emit("fake:tock", 1, v));
    }
    ctl.stop("s").unwrap();
    let counts = events_by_name(&out);
    assert_eq!(
        (count(&counts, "fake:tick"), count(&counts, "fake:tock")),
        (1000, 500)
    );
    let pid = std::process::id();
    for file in ["early", "late"].map(|p| format!("{p}-{pid}_1")) {
        assert!(out.join(&file).exists(), "{file} in the trace directory");
    }
    if let Some(text) = babeltrace(&out) {
        let lines = |event: &str, procname: &str| {
            let context = format!("vpid = {pid}, procname = \"{procname}\" }}");
            text.lines()
                .filter(|l| l.contains(event) && l.contains(&context))
                .count()
        };
        assert_eq!(lines("fake:tick", "early"), 1000, "{text}");
        assert_eq!(lines("fake:tock", "late"), 500);
        assert_eq!(text.lines().count(), 1500);
    }
    match ctl.status("s") {
        Ok(Message::SessionInfo(info)) => {
            assert_eq!((info.events, info.apps, info.discarded), (1500, 2, 0));
            assert!(info.bytes > 1500 * 8);
        }
        other => panic!("status answered {other:?}"),
    }
}

#[test]
fn session_lifecycle_and_errors() {
    let d = DaemonProc::start("life");
    let mut ctl = d.ctl();
    let out = d.dir.join("t");
    let bad = code(Error::BadArgument);
    assert_eq!(ctl.stop("nope"), Err(code(Error::NoSuchSession)));
    assert_eq!(ctl.create("s", std::path::Path::new("rel/dir")), Err(bad));
    assert_eq!(ctl.create_with("s", &out, 5000, 4, false), Err(bad));
    assert_eq!(ctl.create_with("s", &out, 4096, 3, false), Err(bad));
    assert_eq!(ctl.create("", &out), Err(bad));
    match ctl.create("s", &out) {
        Ok(Message::SessionInfo(info)) => {
            assert_eq!(
                (info.state, info.output.as_str()),
                (0, out.to_str().unwrap())
            );
        }
        other => panic!("create answered {other:?}"),
    }
    assert!(
        out.join("metadata").exists(),
        "the trace directory is ready"
    );
    assert_eq!(
        ctl.create("s", &d.dir.join("u")),
        Err(code(Error::SessionExists))
    );
    assert_eq!(
        ctl.create("s2", &out),
        Err(bad),
        "one live session per directory"
    );
    assert_eq!(ctl.enable("s", &[""], None), Err(bad));
    assert_eq!(ctl.enable("s", &[], None), Err(bad));
    assert_eq!(ctl.stop("s"), Err(code(Error::WrongState)));
    ctl.enable("s", &["a:*"], Some(4)).unwrap();
    ctl.start("s").unwrap();
    assert_eq!(ctl.start("s"), Err(code(Error::WrongState)));
    let state = |ctl: &mut CtlClient| match ctl.status("s") {
        Ok(Message::SessionInfo(info)) => info.state,
        other => panic!("status answered {other:?}"),
    };
    assert_eq!(state(&mut ctl), 1);
    ctl.stop("s").unwrap();
    assert_eq!(state(&mut ctl), 2);
    ctl.start("s").unwrap();
    assert_eq!(ctl.list().0, vec!["s".to_string()]);
    ctl.destroy("s").unwrap();
    assert_eq!(ctl.status("s"), Err(code(Error::NoSuchSession)));
    assert!(ctl.list().0.is_empty());
    assert_eq!(
        ctl.create("s", &out),
        Err(bad),
        "the directory holds a trace"
    );
}

#[test]
fn programs_follow_enable_disable_and_loglevel() {
    let d = DaemonProc::start("follow");
    let app = FakeApp::register(
        &d.socket,
        "filt",
        &[("p:info", 6), ("p:debug", 14), ("q:x", 6)],
        Behaviour::Good,
    );
    let mut ctl = d.ctl();
    ctl.create("s", &d.dir.join("t")).unwrap();
    ctl.enable("s", &["p:*"], Some(6)).unwrap();
    assert!(!app.has_channel(), "nothing before start");
    ctl.start("s").unwrap();
    assert!(app.is_enabled("p:info") && !app.is_enabled("p:debug") && !app.is_enabled("q:x"));
    ctl.enable("s", &["q:*"], None).unwrap();
    assert!(app.is_enabled("q:x"));
    ctl.disable("s", &["p:info"]).unwrap();
    assert!(!app.is_enabled("p:info"));
    app.announce("p:late", 3);
    wait_for("the late event to be enabled", || app.is_enabled("p:late"));
    let (_, apps) = ctl.list();
    let (pid, _, events) = apps.iter().find(|a| a.1 == "filt").expect("listed");
    assert_eq!(*pid, std::process::id());
    assert_eq!(events.len(), 4);
    ctl.stop("s").unwrap();
    assert!(!app.has_channel(), "released at stop");
    let log = app.log();
    let tail: Vec<&str> = log.iter().rev().take(2).map(String::as_str).collect();
    assert_eq!(tail, ["Release", "Flush"], "{log:?}");
}

#[test]
fn killed_program_loses_nothing_it_committed() {
    let d = DaemonProc::start("kill");
    let out = d.dir.join("t");
    let mut ctl = d.ctl();
    ctl.create("s", &out).unwrap();
    ctl.enable("s", &["*"], None).unwrap();
    ctl.start("s").unwrap();
    let app = FakeApp::register(&d.socket, "victim", &[("fake:e", 6)], Behaviour::Good);
    // Less than a sub-buffer per CPU: nothing is complete, all of it is
    // still in the open sub-buffers when the program dies.
    for v in 0..300 {
        assert!(app.emit("fake:e", (v % 2) as usize, v));
    }
    app.kill();
    wait_for("the program to leave the list", || ctl.list().1.is_empty());
    match ctl.status("s") {
        Ok(Message::SessionInfo(info)) => assert_eq!(info.events, 300),
        other => panic!("status answered {other:?}"),
    }
    ctl.stop("s").unwrap();
    assert_eq!(count(&events_by_name(&out), "fake:e"), 300);
    if let Some(text) = babeltrace(&out) {
        assert_eq!(text.lines().count(), 300);
    }
}

#[test]
fn stuck_program_does_not_stall_others() {
    let mut d = DaemonProc::start("stuck");
    let out = d.dir.join("t");
    let stuck = FakeApp::register(&d.socket, "stuck", &[("fake:e", 6)], Behaviour::Silent);
    let good = FakeApp::register(&d.socket, "good", &[("fake:e", 6)], Behaviour::Good);
    let mut ctl = d.ctl();
    ctl.create("s", &out).unwrap();
    ctl.enable("s", &["fake:*"], None).unwrap();
    ctl.start("s").unwrap();
    assert!(
        good.is_enabled("fake:e"),
        "the good program is set up by start"
    );
    for v in 0..100 {
        assert!(good.emit("fake:e", 0, v));
    }
    ctl.stop("s").unwrap();
    assert_eq!(count(&events_by_name(&out), "fake:e"), 100);
    let names: Vec<String> = ctl.list().1.into_iter().map(|a| a.1).collect();
    assert_eq!(names, ["good"], "the unresponsive program was dropped");
    assert!(stuck.log().contains(&"Channel".to_string()));
    d.assert_healthy();
}

#[test]
fn unusable_buffers_are_refused() {
    let mut d = DaemonProc::start("unsealed");
    let app = FakeApp::register(&d.socket, "unsealed", &[("fake:e", 6)], Behaviour::Unsealed);
    let mut ctl = d.ctl();
    ctl.create("s", &d.dir.join("t")).unwrap();
    ctl.enable("s", &["*"], None).unwrap();
    ctl.start("s").unwrap();
    assert_eq!(app.log(), ["Ready", "Channel", "Release"]);
    match ctl.status("s") {
        Ok(Message::SessionInfo(info)) => assert_eq!(info.apps, 0),
        other => panic!("status answered {other:?}"),
    }
    d.assert_healthy();
}

#[test]
fn sigterm_writes_every_session_out() {
    let d = DaemonProc::start("sigterm");
    let out = d.dir.join("t");
    let mut ctl = d.ctl();
    ctl.create("s", &out).unwrap();
    ctl.enable("s", &["*"], None).unwrap();
    ctl.start("s").unwrap();
    let app = FakeApp::register(&d.socket, "app", &[("fake:e", 6)], Behaviour::Good);
    for v in 0..200 {
        assert!(app.emit("fake:e", 1, v));
    }
    let socket = d.socket.clone();
    assert!(d.terminate().success());
    assert!(!socket.exists(), "the socket is removed");
    assert_eq!(count(&events_by_name(&out), "fake:e"), 200);
    assert!(app.log().contains(&"Flush".to_string()));
}
