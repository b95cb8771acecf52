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
