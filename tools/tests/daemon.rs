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
    let listed = apps.iter().find(|a| a.procname == "filt").expect("listed");
    assert_eq!(listed.pid, std::process::id());
    assert_eq!(listed.events.len(), 4);
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
    let names: Vec<String> = ctl.list().1.into_iter().map(|a| a.procname).collect();
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
    std::fs::remove_dir_all(out.parent().unwrap()).unwrap();
}

/// Sends raw datagrams on a fresh connection, then (with `hang_up`) shuts
/// down its sending side; returns the reply statuses received before the
/// daemon closed the connection. A daemon that never closes it fails.
fn raw_conversation(socket: &std::path::Path, datagrams: &[Vec<u8>], hang_up: bool) -> Vec<i32> {
    let conn = ust::ipc::wire::Conn::connect(socket).unwrap();
    for d in datagrams {
        // SAFETY: sends bytes from a live buffer on our own socket.
        unsafe {
            libc::send(
                conn.raw_fd(),
                d.as_ptr().cast(),
                d.len(),
                libc::MSG_NOSIGNAL,
            )
        };
    }
    if hang_up {
        // SAFETY: shutdown on our own socket.
        unsafe { libc::shutdown(conn.raw_fd(), libc::SHUT_WR) };
    }
    let mut statuses = Vec::new();
    loop {
        match conn.recv(Some(PATIENCE)) {
            Ok((frame, _)) => statuses.push(frame.status),
            Err(e) => {
                assert_ne!(e.kind(), std::io::ErrorKind::TimedOut, "the daemon hung");
                return statuses;
            }
        }
    }
}

/// What a hostile peer sends, and the reply statuses it must get.
type Case = (&'static str, Vec<Vec<u8>>, Vec<i32>);

fn encoded(m: &Message) -> Vec<u8> {
    ust::ipc::proto::encode(1, 0, m)
}

#[test]
fn hostile_peers_get_an_error_or_the_door() {
    use ust::ipc::proto::{AppHello, Ctl};
    let mut d = DaemonProc::start("hostile");
    let hello = encoded(&Message::CtlHello);
    let list = encoded(&Message::Ctl(Ctl::List));
    let app_hello = |ncpu| {
        encoded(&Message::AppHello(AppHello {
            pid: 1,
            ppid: 1,
            abi_major: ust::abi::ABI_MAJOR as u16,
            abi_minor: 0,
            ncpu,
            procname: "h".into(),
        }))
    };
    let bad = code(Error::BadMessage);
    let cases: Vec<Case> = vec![
        ("garbage first", vec![b"garbage!".to_vec()], vec![bad]),
        ("empty-ish", vec![vec![0]], vec![bad]),
        ("oversized", vec![vec![0x55; 100_000]], vec![bad]),
        ("truncated hello", vec![hello[..10].to_vec()], vec![bad]),
        ("request before hello", vec![list.clone()], vec![bad]),
        (
            "reply as first message",
            vec![encoded(&Message::Ack)],
            vec![bad],
        ),
        (
            "truncated request",
            vec![hello.clone(), list[..list.len() - 1].to_vec()],
            vec![bad],
        ),
        (
            "program message on a control connection",
            vec![hello.clone(), encoded(&Message::AppEvent(schema("a:b", 1)))],
            vec![bad],
        ),
        (
            "garbage after a good request",
            vec![hello.clone(), list.clone(), b"junk".to_vec()],
            vec![0, bad],
        ),
        (
            "no CPUs",
            vec![app_hello(0)],
            vec![code(Error::BadArgument)],
        ),
        (
            "too many CPUs",
            vec![app_hello(1 << 20)],
            vec![code(Error::BadArgument)],
        ),
        (
            "control request from a program",
            vec![app_hello(2), list.clone()],
            vec![bad],
        ),
        (
            "garbage from a program",
            vec![app_hello(2), vec![1, 2, 3]],
            vec![bad],
        ),
    ];
    for (what, datagrams, expected) in cases {
        assert_eq!(
            raw_conversation(&d.socket, &datagrams, false),
            expected,
            "{what}"
        );
        d.assert_healthy();
    }
    // A peer that never says who it is gets dropped (after the greeting
    // timeout), not served forever.
    assert_eq!(raw_conversation(&d.socket, &[], false), Vec::<i32>::new());
    d.assert_healthy();
}

#[test]
fn scribbled_buffers_do_not_hurt_the_daemon() {
    let mut d = DaemonProc::start("scribble");
    let mut ctl = d.ctl();
    ctl.create("s", &d.dir.join("t")).unwrap();
    ctl.enable("s", &["*"], None).unwrap();
    ctl.start("s").unwrap();
    let app = FakeApp::register(&d.socket, "scribbler", &[("fake:e", 6)], Behaviour::Good);
    for v in 0..2000 {
        app.emit("fake:e", (v % 2) as usize, v);
    }
    let buffers = app.memfds().expect("attached");
    // Scribble while the daemon drains, answers status (which reads the
    // trace written from that memory) and stops (final flush and write).
    let scribbler = std::thread::spawn(move || {
        let mut seed = 0x2545_f491_4f6c_dd1d;
        for _ in 0..400 {
            for rb in buffers.iter() {
                scribble(rb, &mut seed, 4);
            }
        }
    });
    for _ in 0..20 {
        ctl.list();
        ctl.status("s").unwrap();
    }
    d.assert_healthy();
    ctl.stop("s").unwrap();
    scribbler.join().unwrap();
    ctl.status("s").unwrap();
    ctl.destroy("s").unwrap();
    d.assert_healthy();
}

#[test]
fn other_users_are_refused() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: needs root to run a client as another user");
        return;
    }
    let d = DaemonProc::start("users");
    let as_nobody = || {
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_ust"))
            .arg("list")
            .env("UST_DAEMON_SOCKET", &d.socket)
            .output()
            .expect("setpriv runs")
    };
    let out = as_nobody();
    let err = String::from_utf8_lossy(&out.stderr).to_lowercase();
    assert!(
        !out.status.success() && err.contains("permission denied"),
        "{err}"
    );
    // Let anyone reach the socket: the daemon itself must refuse (SO_PEERCRED).
    use std::os::unix::fs::PermissionsExt;
    let open = |p: &std::path::Path, mode| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    open(&d.dir, 0o755);
    open(d.socket.parent().unwrap(), 0o755);
    open(&d.socket, 0o777);
    let out = as_nobody();
    let err = String::from_utf8_lossy(&out.stderr).to_lowercase();
    assert!(
        !out.status.success() && err.contains("permission denied"),
        "{err}"
    );
    assert!(
        err.contains("by the daemon"),
        "refused by the daemon, not the file system: {err}"
    );
    let mut ctl = d.ctl();
    assert!(ctl.list().1.is_empty());
}

/// Sample messages of every kind, for the fuzzer to mutate.
fn fuzz_samples() -> Vec<Message> {
    use ust::ipc::proto::{AppHello, ChannelSpec, Ctl};
    let named = |s: &str| s.to_string();
    vec![
        Message::CtlHello,
        Message::AppHello(AppHello {
            pid: 7,
            ppid: 1,
            abi_major: ust::abi::ABI_MAJOR as u16,
            abi_minor: 0,
            ncpu: 2,
            procname: "fz".into(),
        }),
        Message::AppEvent(schema("fz:e", 6)),
        Message::Channel(ChannelSpec {
            session: 1,
            channel: 0,
            subbuf_size: 4096,
            num_subbuf: 2,
            overwrite: false,
            clock: 0,
            blocking_timeout_us: 0,
        }),
        Message::Enable {
            session: 1,
            channel: 0,
            event_id: 0,
            name: "fz:e".into(),
            filters: Vec::new(),
        },
        Message::Flush { session: 1 },
        Message::Ready,
        Message::Ack,
        Message::Ctl(Ctl::List),
        Message::Ctl(Ctl::Status {
            session: named("fz"),
        }),
        Message::Ctl(Ctl::Enable {
            session: named("fz"),
            channel: String::new(),
            loglevel: Some(3),
            globs: vec![named("fz:*")],
            filter: String::new(),
        }),
        Message::Ctl(Ctl::Start {
            session: named("fz"),
        }),
        Message::Ctl(Ctl::Stop {
            session: named("fz"),
        }),
        Message::Ctl(Ctl::Destroy {
            session: named("fz"),
        }),
    ]
}

#[test]
fn fuzzed_conversations_never_break_the_daemon() {
    let mut d = DaemonProc::start("fuzz");
    let out = d.dir.join("t");
    let mut ctl = d.ctl();
    ctl.create("real-session", &out).unwrap();
    ctl.enable("real-session", &["fake:*"], None).unwrap();
    ctl.start("real-session").unwrap();
    let app = FakeApp::register(&d.socket, "steady", &[("fake:e", 6)], Behaviour::Good);
    let samples: Vec<Vec<u8>> = fuzz_samples().iter().map(encoded).collect();
    let greetings = [samples[0].clone(), samples[1].clone()];
    let mut seed = 0x9e37_79b9_7f4a_7c15;
    let pick = |n: usize, seed: &mut u64| (xorshift(seed) % n as u64) as usize;
    let mut recorded = 0;
    for i in 0..3000 {
        let mut conversation = Vec::new();
        if pick(4, &mut seed) != 0 {
            conversation.push(greetings[pick(2, &mut seed)].clone());
        }
        for _ in 0..1 + pick(3, &mut seed) {
            let mut bytes = samples[pick(samples.len(), &mut seed)].clone();
            // A quarter of the messages stay intact: valid ones out of turn.
            for _ in 0..pick(4, &mut seed) {
                let at = pick(bytes.len(), &mut seed);
                match pick(4, &mut seed) {
                    0 => bytes[at] = xorshift(&mut seed) as u8,
                    1 => bytes.truncate(at.max(1)),
                    2 => bytes.insert(at, xorshift(&mut seed) as u8),
                    _ => bytes.extend((0..pick(64, &mut seed)).map(|_| xorshift(&mut seed) as u8)),
                }
            }
            conversation.push(bytes);
        }
        raw_conversation(&d.socket, &conversation, true);
        recorded += app.emit("fake:e", i % 2, i as u64) as u64;
        if i % 100 == 0 {
            d.assert_healthy();
        }
    }
    ctl.stop("real-session").unwrap();
    assert_eq!(count(&events_by_name(&out), "fake:e"), recorded);
    assert_eq!(recorded, 3000, "the steady program kept recording");
    d.assert_healthy();
}

#[test]
fn overwrite_sessions_keep_the_newest_events() {
    let d = DaemonProc::start("overwrite");
    let out = d.dir.join("t");
    let mut ctl = d.ctl();
    ctl.create_with("s", &out, 4096, 2, true).unwrap();
    ctl.enable("s", &["*"], None).unwrap();
    ctl.start("s").unwrap();
    let app = FakeApp::register(&d.socket, "ring", &[("fake:e", 6)], Behaviour::Good);
    for v in 0..5000 {
        assert!(app.emit("fake:e", 0, v), "overwrite mode never drops");
    }
    ctl.stop("s").unwrap();
    let text = babeltrace(&out).unwrap_or_default();
    let values: Vec<u64> = text
        .lines()
        .filter_map(|l| {
            l.rsplit("value = ")
                .next()?
                .trim_end_matches(" }")
                .parse()
                .ok()
        })
        .collect();
    if !text.is_empty() {
        assert!(
            values.len() > 100 && values.len() < 5000,
            "{}",
            values.len()
        );
        assert_eq!(values.last(), Some(&4999));
        assert!(values.windows(2).all(|w| w[1] == w[0] + 1), "contiguous");
    }
}

#[test]
fn a_second_daemon_on_the_same_socket_is_refused() {
    let mut d = DaemonProc::start("twice");
    let out = Command::new(env!("CARGO_BIN_EXE_ust"))
        .args(["daemon", "--socket"])
        .arg(&d.socket)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("another daemon listens there"), "{err}");
    d.assert_healthy();
}

/// Real programs wait this long for the daemon's `Ready` (ms): the default
/// bound is tight for a loaded test machine, and these tests are about what
/// the daemon records, not about start-up time.
const REGISTER_WAIT_MS: &str = "10000";

#[test]
fn real_programs_are_traced_and_a_sigkill_loses_nothing() {
    let d = DaemonProc::start("real");
    let out = d.dir.join("t");
    let hello = c_program(
        &d.dir,
        "hello",
        &["c-examples/hello/hello.c", "c-examples/hello/hello-tp.c"],
    );
    let paused = c_program(&d.dir, "ctl_app", &["tools/tests/c/ctl_app.c"]);
    let mut ctl = d.ctl();
    ctl.create_with("s", &out, 1 << 16, 4, false).unwrap();
    ctl.enable("s", &["hello:*", "ctl_app:*"], None).unwrap();
    ctl.start("s").unwrap();
    let run = Command::new(&hello)
        .args(["1000", "daemon"])
        .env("UST_DAEMON_SOCKET", &d.socket)
        .env("UST_REGISTER_TIMEOUT", REGISTER_WAIT_MS)
        .env_remove("UST_TRACE")
        .output()
        .unwrap();
    assert!(run.status.success());
    let mut victim = Command::new(&paused)
        .args(["pause", "500"])
        .env("UST_DAEMON_SOCKET", &d.socket)
        .env("UST_REGISTER_TIMEOUT", REGISTER_WAIT_MS)
        .env_remove("UST_TRACE")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(victim.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line, "ready\n");
    victim.kill().unwrap();
    victim.wait().unwrap();
    wait_for("both programs to leave", || ctl.list().1.is_empty());
    ctl.stop("s").unwrap();
    let counts = events_by_name(&out);
    assert_eq!(count(&counts, "hello:greeting"), 1000, "{counts:?}");
    assert_eq!(count(&counts, "ctl_app:info"), 500, "{counts:?}");
    assert_eq!(count(&counts, "ctl_app:debug"), 500, "{counts:?}");
    if let Some(text) = babeltrace(&out) {
        let pid = victim.id();
        let killed = format!("vpid = {pid}, procname = \"ctl_app\" }}");
        assert_eq!(text.lines().filter(|l| l.contains(&killed)).count(), 1000);
        assert_eq!(
            text.lines()
                .filter(|l| l.contains("procname = \"hello\""))
                .count(),
            1000
        );
    }
}

#[test]
fn a_restarted_session_keeps_one_trace() {
    let d = DaemonProc::start("restart");
    let out = d.dir.join("t");
    let mut ctl = d.ctl();
    ctl.create("s", &out).unwrap();
    ctl.enable("s", &["*"], None).unwrap();
    let app = FakeApp::register(&d.socket, "again", &[("fake:e", 6)], Behaviour::Good);
    for (round, n) in [100, 50].into_iter().enumerate() {
        ctl.start("s").unwrap();
        for v in 0..n {
            assert!(app.emit("fake:e", 0, v), "round {round}");
        }
        ctl.stop("s").unwrap();
        assert!(
            !app.emit("fake:e", 0, 0),
            "nothing is recorded while stopped"
        );
    }
    assert_eq!(count(&events_by_name(&out), "fake:e"), 150);
    let pid = std::process::id();
    assert!(out.join(format!("again-{pid}_0")).exists());
    assert!(
        out.join(format!("again-{pid}.1_0")).exists(),
        "new streams, old ones kept"
    );
    if let Some(text) = babeltrace(&out) {
        assert_eq!(text.lines().count(), 150);
    }
    let (sessions, _) = ctl.list();
    assert_eq!(sessions, ["s"]);
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        eprintln!("skipped: needs root to act as a second user");
    }
    root
}

#[test]
fn another_uid_is_refused_by_the_daemon_itself() {
    if !is_root() {
        return;
    }
    let mut d = DaemonProc::start("peercred");
    open_up(&d.dir, &d.socket);
    let socket = d.socket.clone();
    let (ctl_status, program_end) = as_nobody(move || {
        let ctl = CtlClient::connect(&socket);
        let list = Message::Ctl(ust::ipc::proto::Ctl::List);
        let status = ctl.conn.call(1, &list, Some(PATIENCE)).unwrap().0.status;
        let program = ust::ipc::wire::Conn::connect(&socket).unwrap();
        let hello = ust::ipc::proto::AppHello {
            pid: 0,
            ppid: 0,
            abi_major: ust::abi::ABI_MAJOR as u16,
            abi_minor: 0,
            ncpu: 1,
            procname: "intruder".into(),
        };
        program.send(0, 0, &Message::AppHello(hello), &[]).unwrap();
        let end = program.recv(Some(PATIENCE)).map(|_| ()).unwrap_err().kind();
        (status, end)
    });
    assert_eq!(ctl_status, code(Error::PermissionDenied));
    assert_eq!(
        program_end,
        std::io::ErrorKind::UnexpectedEof,
        "closed, no Ready"
    );
    assert!(d.ctl().list().1.is_empty());
    d.assert_healthy();
}

#[test]
fn users_control_their_sessions_and_trace_their_programs_only() {
    if !is_root() {
        return;
    }
    let mut d = DaemonProc::start_as_nobody("owners");
    let mut root = d.ctl();
    root.create("root-s", &d.dir.join("root-trace")).unwrap();
    let root_program = FakeApp::register(&d.socket, "rootapp", &[("fake:e", 6)], Behaviour::Good);
    let (socket, mine) = (d.socket.clone(), d.dir.join("mine"));
    let same_name_dir = d.dir.join("nobody-root-s");
    let (nobody_program, refused, seen, same_name) = as_nobody(move || {
        let program = FakeApp::register(&socket, "nobodyapp", &[("fake:e", 6)], Behaviour::Good);
        let mut ctl = CtlClient::connect(&socket);
        let refused = ctl.status("root-s");
        let seen = ctl.list();
        ctl.create("mine", &mine).unwrap();
        ctl.enable("mine", &["*"], None).unwrap();
        ctl.start("mine").unwrap();
        let same_name = ctl.create("root-s", &same_name_dir).map(drop);
        (program, refused, seen, same_name)
    });
    assert_eq!(same_name, Ok(()), "session names are per user");
    assert_eq!(
        refused,
        Err(code(Error::NoSuchSession)),
        "another user's session does not exist for them"
    );
    assert!(seen.0.is_empty(), "another user's sessions are not listed");
    let names: Vec<&str> = seen.1.iter().map(|a| a.procname.as_str()).collect();
    assert_eq!(names, ["nobodyapp"], "nor their programs");
    assert!(
        nobody_program.is_enabled("fake:e"),
        "a user's session traces their program"
    );
    assert!(!root_program.has_channel(), "but not root's");
    match root.status("mine") {
        Ok(Message::SessionInfo(info)) => assert_eq!(info.apps, 1),
        other => panic!("root may read every session: {other:?}"),
    }
    assert_eq!(
        root.list().0,
        ["root-s", "mine", "root-s"],
        "root sees every session, two named alike"
    );
    match root.status("root-s") {
        Ok(Message::SessionInfo(info)) => assert!(info.output.ends_with("root-trace")),
        other => panic!("root's own session comes first: {other:?}"),
    }
    d.assert_healthy();
}

#[test]
fn the_system_daemon_needs_the_tracing_group() {
    let has_group = std::fs::read_to_string("/etc/group")
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("tracing:"));
    if has_group {
        eprintln!("skipped: group `tracing` exists here");
        return;
    }
    let dir = scratch("system");
    let out = Command::new(env!("CARGO_BIN_EXE_ust"))
        .args(["daemon", "--system", "--socket"])
        .arg(dir.join("d.sock"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("group `tracing` does not exist"), "{err}");
    assert!(!dir.join("d.sock").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_socket_directory_others_control_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("squat");
    let squatted = dir.join("ust");
    std::fs::create_dir(&squatted).unwrap();
    let refused = |why: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_ust"))
            .args(["daemon", "--socket"])
            .arg(squatted.join("daemon.sock"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{why}");
        assert!(err.contains("not be writable by others"), "{why}: {err}");
    };
    std::fs::set_permissions(&squatted, std::fs::Permissions::from_mode(0o777)).unwrap();
    refused("writable by everyone");
    if is_root() {
        std::fs::set_permissions(&squatted, std::fs::Permissions::from_mode(0o700)).unwrap();
        let path = std::ffi::CString::new(squatted.to_str().unwrap()).unwrap();
        // SAFETY: chown with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::chown(path.as_ptr(), NOBODY, NOBODY) }, 0);
        refused("owned by another user");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Open descriptors, threads and mappings of shared memory (programs'
/// buffers) of process `pid`. (Other mappings vary with what the C library
/// caches for reuse.)
fn resources(pid: u32) -> (usize, usize, usize) {
    let entries = |what: &str| {
        std::fs::read_dir(format!("/proc/{pid}/{what}"))
            .unwrap()
            .count()
    };
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps"))
        .unwrap()
        .lines()
        .filter(|l| l.contains("/memfd:"))
        .count();
    (entries("fd"), entries("task"), maps)
}

#[test]
fn programs_that_come_and_go_leave_nothing_behind() {
    let mut d = DaemonProc::start("leaks");
    let mut ctl = d.ctl();
    ctl.create("s", &d.dir.join("t")).unwrap();
    ctl.enable("s", &["*"], None).unwrap();
    ctl.start("s").unwrap();
    let pid = d.pid();
    let before = resources(pid);
    assert_eq!(before.2, 0, "no buffer mapped before any program");
    for round in 0..30 {
        let app = FakeApp::register(&d.socket, "brief", &[("fake:e", 6)], Behaviour::Good);
        assert!(app.emit("fake:e", 0, round));
        assert_eq!(resources(pid).2, 2, "its two buffers are mapped");
        if round % 2 == 0 {
            app.kill();
        } else {
            drop(app);
        }
        wait_for("the program to leave", || ctl.list().1.is_empty());
    }
    // A program leaves the list a moment before its socket is closed.
    wait_for("every descriptor, thread and buffer to be released", || {
        resources(pid) == before
    });
    ctl.stop("s").unwrap();
    assert_eq!(count(&events_by_name(&d.dir.join("t")), "fake:e"), 30);
    d.assert_healthy();
}

#[test]
fn chaotic_programs_cost_nothing_to_good_ones() {
    let mut d = DaemonProc::start("chaos");
    let out = d.dir.join("t");
    let mut ctl = d.ctl();
    ctl.create("s", &out).unwrap();
    ctl.enable("s", &["*"], None).unwrap();
    ctl.start("s").unwrap();
    let good = FakeApp::register(&d.socket, "good", &[("fake:e", 6)], Behaviour::Good);
    let mut recorded = 0;
    for seed in 1..=60u64 {
        let chaotic = FakeApp::register(
            &d.socket,
            "chaotic",
            &[("fake:e", 6), ("fake:f", 6)],
            Behaviour::Chaotic(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
        );
        wait_for("the chaotic program to be served or dropped", || {
            chaotic.settled()
        });
        for cpu in 0..2 {
            chaotic.emit("fake:e", cpu, seed);
        }
        drop(chaotic);
        recorded += good.emit("fake:e", 1, seed) as u64;
        ctl.list();
    }
    assert_eq!(recorded, 60);
    ctl.stop("s").unwrap();
    let counts = events_by_name(&out);
    assert!(count(&counts, "fake:e") >= 60, "{counts:?}");
    if let Some(text) = babeltrace(&out) {
        let good_lines = text.lines().filter(|l| l.contains("procname = \"good\""));
        assert_eq!(good_lines.count(), 60);
    }
    d.assert_healthy();
}

#[test]
fn one_user_cannot_take_every_connection() {
    const PER_USER: usize = 1024;
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit fills one valid rlimit.
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    if lim.rlim_max < 2 * PER_USER as u64 {
        eprintln!("skipped: too few descriptors allowed ({})", lim.rlim_max);
        return;
    }
    lim.rlim_cur = lim.rlim_max;
    // SAFETY: setrlimit reads one valid rlimit.
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
    let mut d = DaemonProc::start("crowd");
    let list = [
        encoded(&Message::CtlHello),
        encoded(&Message::Ctl(ust::ipc::proto::Ctl::List)),
    ];
    let idle: Vec<ust::ipc::wire::Conn> = (0..PER_USER)
        .map(|_| ust::ipc::wire::Conn::connect(&d.socket).unwrap())
        .collect();
    assert_eq!(
        raw_conversation(&d.socket, &list, false),
        Vec::<i32>::new(),
        "one connection more than a user may have is closed unanswered"
    );
    drop(idle);
    wait_for("a connection to be served again", || {
        raw_conversation(&d.socket, &list, true) == [0]
    });
    d.assert_healthy();
}

#[test]
fn a_program_started_before_the_daemon_is_traced_once_it_comes() {
    let dir = scratch("before");
    let socket = DaemonProc::socket_in(&dir);
    let exe = c_program(&dir, "ctl_app", &["tools/tests/c/ctl_app.c"]);
    let mut cmd = Command::new(&exe);
    cmd.arg("lines").env("UST_DAEMON_SOCKET", &socket);
    let mut program = Lines::spawn(cmd);
    program.say("untraced");
    let d = DaemonProc::start_in(dir);
    let out = d.dir.join("t");
    let mut ctl = d.ctl();
    ctl.create("s", &out).unwrap();
    ctl.enable("s", &["ctl_app:*"], None).unwrap();
    ctl.start("s").unwrap();
    let pid = program.pid();
    wait_for("the program to register", || {
        ctl.list()
            .1
            .iter()
            .any(|a| a.pid == pid && a.events.len() == 2)
    });
    // Answered once every program followed: the events are enabled now.
    ctl.enable("s", &["ctl_app:*"], None).unwrap();
    for word in ["one", "two", "three"] {
        program.say(word);
    }
    ctl.stop("s").unwrap();
    let counts = events_by_name(&out);
    assert_eq!(count(&counts, "ctl_app:info"), 3, "{counts:?}");
    assert_eq!(count(&counts, "ctl_app:debug"), 3, "{counts:?}");
    assert!(program.finish().success());
}

#[test]
fn a_program_outlives_a_killed_daemon_and_registers_with_the_next() {
    let d = DaemonProc::start("rebirth");
    let exe = c_program(&d.dir, "ctl_app", &["tools/tests/c/ctl_app.c"]);
    let mut cmd = Command::new(&exe);
    cmd.arg("lines")
        .env("UST_DAEMON_SOCKET", &d.socket)
        .env("UST_REGISTER_TIMEOUT", REGISTER_WAIT_MS);
    let mut program = Lines::spawn(cmd);
    program.say("first");
    let dir = d.kill();
    program.say("orphan");
    let d = DaemonProc::start_in(dir);
    let out = d.dir.join("t");
    let mut ctl = d.ctl();
    ctl.create("s", &out).unwrap();
    ctl.enable("s", &["ctl_app:info"], None).unwrap();
    ctl.start("s").unwrap();
    let pid = program.pid();
    wait_for("the program to register again", || {
        ctl.list()
            .1
            .iter()
            .any(|a| a.pid == pid && a.events.len() == 2)
    });
    ctl.enable("s", &["ctl_app:info"], None).unwrap();
    program.say("reborn");
    ctl.stop("s").unwrap();
    assert_eq!(count(&events_by_name(&out), "ctl_app:info"), 1);
    if let Some(text) = babeltrace(&out) {
        assert!(text.contains("\"reborn\""), "{text}");
    }
    assert!(program.finish().success());
}

#[test]
fn a_program_forging_its_counters_is_detached_and_the_session_goes_on() {
    let mut d = DaemonProc::start("forger");
    let out = d.dir.join("t");
    let mut ctl = d.ctl();
    ctl.create("s", &out).unwrap();
    ctl.enable("s", &["*"], None).unwrap();
    ctl.start("s").unwrap();
    let honest = FakeApp::register(&d.socket, "honest", &[("fake:e", 6)], Behaviour::Good);
    let liar = FakeApp::register(&d.socket, "liar", &[("fake:e", 6)], Behaviour::Good);
    for v in 0..100 {
        assert!(honest.emit("fake:e", 0, v));
        assert!(liar.emit("fake:e", 0, v));
    }
    // 1.3e19 events dropped, in a few microseconds: recorded when its packet closes.
    let memfds = liar.memfds().expect("attached");
    poke_u64(&memfds[0], DISCARDED_OFFSET, 13_000_000_000_000_000_000);
    for v in 100..200 {
        assert!(honest.emit("fake:e", 0, v));
        liar.emit("fake:e", 0, v);
    }
    ctl.stop("s").unwrap();
    let info = match ctl.status("s") {
        Ok(Message::SessionInfo(info)) => info,
        other => panic!("status answered {other:?}"),
    };
    assert!(
        info.errors
            .iter()
            .any(|e| e.contains("program liar") && e.contains("inconsistent buffers")),
        "{:?}",
        info.errors
    );
    assert!(
        info.discarded < 1_000_000,
        "no absurd count: {}",
        info.discarded
    );
    d.assert_healthy();
    let Some(text) = babeltrace(&out) else {
        return;
    };
    let honest_events = text
        .lines()
        .filter(|l| l.contains("procname = \"honest\""))
        .count();
    assert_eq!(
        honest_events, 200,
        "the other program's events are all there"
    );
}

#[test]
fn a_program_gone_before_it_was_set_up_is_reported() {
    use ust::ipc::proto::AppHello;
    let mut d = DaemonProc::start("gone-early");
    let mut ctl = d.ctl();
    ctl.create("s", &d.dir.join("t")).unwrap();
    ctl.enable("s", &["*"], None).unwrap();
    ctl.start("s").unwrap();
    // Registers and announces an event, but ends before saying it is done (`Ready`).
    let conn = ust::ipc::wire::Conn::connect(&d.socket).unwrap();
    let hello = AppHello {
        pid: std::process::id(),
        ppid: 1,
        abi_major: ust::abi::ABI_MAJOR as u16,
        abi_minor: ust::abi::ABI_MINOR as u16,
        ncpu: 2,
        procname: "early".into(),
    };
    conn.send(0, 0, &Message::AppHello(hello), &[]).unwrap();
    conn.send(0, 0, &Message::AppEvent(schema("early:e", 6)), &[])
        .unwrap();
    drop(conn);
    let pid = std::process::id();
    wait_for("the lost program reported", || match ctl.status("s") {
        Ok(Message::SessionInfo(info)) => info.errors.iter().any(|e| {
            e.starts_with(&format!(
                "1 programs went away before they could be set up (early {pid})"
            ))
        }),
        _ => false,
    });
    d.assert_healthy();
}

#[test]
fn a_provider_loaded_after_the_enable_gets_the_sessions_enablement() {
    let mut d = DaemonProc::start("dlopen-late");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let plugin = d.dir.join("libplugin.so");
    compile_c_with(
        &[root.join("tests/c/plugin.c")],
        &plugin,
        &["-shared", "-fPIC"],
    );
    // libust comes with the plugin only (the program has no tracepoints of its own).
    let exe = c_program(&d.dir, "dlopen_cycle", &["tests/c/dlopen_cycle.c"]);
    let mut cmd = Command::new(&exe);
    cmd.arg(&plugin)
        .arg("lines")
        .env("UST_DAEMON_SOCKET", &d.socket)
        .env("UST_REGISTER_TIMEOUT", REGISTER_WAIT_MS);
    let mut app = Lines::spawn(cmd);
    // Round 0 loads the plugin (and with it libust, which registers the program) and unloads
    // it, before any session exists. The daemon heard of the plugin's event while it was
    // loaded: the listener was not held up by the loader lock `dlopen()` holds.
    app.say("go");
    let mut ctl = d.ctl();
    let (_, apps) = ctl.list();
    let app_info = apps.iter().find(|a| a.pid == app.pid());
    assert_eq!(
        app_info.map(|a| a.events.clone()),
        Some(vec!["plugin:run".to_string()]),
        "{apps:?}"
    );
    let out = d.dir.join("t");
    ctl.create("s", &out).unwrap();
    ctl.enable("s", &["plugin:*"], None).unwrap();
    ctl.start("s").unwrap();
    // The enable reached the program while the plugin was unloaded: rounds 1 and 2 load it
    // again and must record.
    app.say("go");
    app.say("go");
    assert!(app.finish().success());
    wait_for("the program to leave", || ctl.list().1.is_empty());
    ctl.stop("s").unwrap();
    let counts = events_by_name(&out);
    assert_eq!(count(&counts, "plugin:run"), 20, "{counts:?}");
    if let Some(text) = babeltrace(&out) {
        let rounds: Vec<_> = text
            .lines()
            .map(|l| {
                l.rsplit_once("round = ")
                    .unwrap()
                    .1
                    .split(',')
                    .next()
                    .unwrap()
            })
            .collect();
        assert_eq!(rounds, [["1"; 10], ["2"; 10]].concat());
    }
    d.assert_healthy();
}
