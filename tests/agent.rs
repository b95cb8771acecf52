//! The program side of daemon tracing, tested against a minimal daemon
//! written here with `ust::ipc`: a real C program started with
//! `UST_DAEMON_SOCKET` registers, announces its events, creates per-CPU
//! buffers on request and passes their memfds, records once enabled, and
//! keeps what it committed even when killed; the "daemon" writes a trace
//! that babeltrace2 reads. Also: no daemon means no delay and no error.

mod common;

use common::*;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use ust::channel::Channel;
use ust::consumer::{Consumer, StreamNaming};
use ust::ctf::header::AppContext;
use ust::ctf::metadata::{self, TraceInfo};
use ust::ipc::proto::{ChannelSpec, Message};
use ust::ipc::wire::{Conn, Listener};
use ust::ringbuf::{Geometry, RingBuffer};
use ust::schema::EventSchema;

const T: Option<Duration> = Some(Duration::from_secs(10));

fn build_hello(dir: &Path) -> PathBuf {
    let exe = dir.join("hello");
    let src = example("hello");
    compile(
        &[src.join("hello.c"), src.join("hello-tp.c")],
        &exe,
        &["-I", src.to_str().unwrap()],
    );
    exe
}

/// Accepts the program and reads its hello and event announcements, which
/// end with `Ready`; they must include `wanted`.
fn accept_program(listener: &Listener, wanted: &str) -> (Conn, u32, Vec<EventSchema>) {
    let conn = listener.accept().unwrap();
    let (hello, _) = conn.recv(T).unwrap();
    let Message::AppHello(h) = hello.message else {
        panic!("first message: {hello:?}")
    };
    let mut events = Vec::new();
    loop {
        let (frame, _) = conn
            .recv(T)
            .unwrap_or_else(|e| panic!("program {} ({}): {e}", h.pid, h.procname));
        match frame.message {
            Message::AppEvent(e) => events.push(e),
            Message::Ready => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(
        events.iter().any(|e| e.name == wanted),
        "{wanted} announced: {events:?}"
    );
    (conn, h.ncpu, events)
}

/// Asks for buffers and enables `event` with id 0; returns the mapped channel.
fn set_up(conn: &Conn, ncpu: u32, event: &str) -> Arc<Channel> {
    let geo = Geometry {
        subbuf_size: 4096,
        num_subbuf: 4,
        overwrite: false,
    };
    let spec = ChannelSpec {
        session: 1,
        channel: 0,
        subbuf_size: 4096,
        num_subbuf: 4,
        overwrite: false,
        clock: 1,
        blocking_timeout_us: 0,
    };
    let (reply, fds) = conn.call(1, &Message::Channel(spec), T).unwrap();
    assert_eq!(reply.status, 0);
    assert_eq!(fds.len(), ncpu as usize);
    let buffers = fds
        .into_iter()
        .enumerate()
        .map(|(cpu, fd): (usize, OwnedFd)| RingBuffer::open(fd, cpu as u32, geo).unwrap())
        .collect();
    let enable = Message::Enable {
        session: 1,
        channel: 0,
        event_id: 0,
        name: event.into(),
        filters: Vec::new(),
    };
    assert_eq!(conn.call(2, &enable, T).unwrap().0.status, 0);
    conn.send(3, 0, &Message::Ready, &[]).unwrap();
    Arc::new(Channel::from_buffers(buffers))
}

/// Writes the trace of one program: metadata and its streams.
fn write_trace(dir: &Path, channel: Arc<Channel>, schema: &EventSchema, pid: u32) {
    std::fs::create_dir_all(dir).unwrap();
    let mut info = ust::sysinfo::trace_info(dir);
    info.process = None;
    let naming = StreamNaming {
        prefix: format!("hello-{pid}"),
        stream_id: 0,
        instance_base: 0,
        app: Some(AppContext {
            vpid: pid,
            procname: "hello".into(),
        }),
    };
    // SAFETY: geteuid has no preconditions.
    let files = ust::tracedir::TraceDir::open(dir, unsafe { libc::geteuid() }).unwrap();
    let cpus = Consumer::cpus(&channel);
    let output = ust::output::Files::create(&files, &naming.prefix, &cpus).unwrap();
    let mut consumer = Consumer::create(channel, Box::new(output), info.uuid, naming, None, None);
    consumer.finish().unwrap();
    let start = ust::clock::sample_pair();
    let clock = ust::clock::ctf_clock(
        ust::clock::Source::Monotonic,
        start,
        start,
        ust::clock::realtime_offset_ns(),
    );
    let text =
        metadata::preamble(&TraceInfo { ..info }, &clock, true, 1) + &metadata::event(0, 0, schema);
    std::fs::write(dir.join("metadata"), text).unwrap();
}

fn spawn(exe: &Path, socket: &Path, args: &[&str]) -> Child {
    Command::new(exe)
        .args(args)
        .env("UST_DAEMON_SOCKET", socket)
        .env("UST_REGISTER_TIMEOUT", "10000")
        .env_remove("UST_TRACE")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn a_program_registers_and_records_for_the_daemon() {
    let dir = scratch("agent-register");
    let exe = build_hello(&dir);
    let socket = dir.join("d.sock");
    let listener = Listener::bind(&socket).unwrap();
    let mut child = spawn(&exe, &socket, &["4", "daemon"]);
    let (conn, ncpu, events) = accept_program(&listener, "hello:greeting");
    assert_eq!(
        events.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
        ["hello:greeting"]
    );
    let channel = set_up(&conn, ncpu, "hello:greeting");
    let pid = child.id();
    assert!(child.wait().unwrap().success());
    // The program exited without a Flush: the daemon closes the open sub-buffers itself.
    channel.buffers().iter().for_each(|rb| rb.flush());
    let trace = dir.join("trace");
    write_trace(&trace, channel, &events[0], pid);
    let (got, _) = babeltrace(&trace);
    let payloads: Vec<_> = got.iter().map(|e| e.payload.clone()).collect();
    let want: Vec<_> = (0..4)
        .map(|i| format!("{{ count = {i}, who = \"daemon\" }}"))
        .collect();
    assert_eq!(payloads, want);
    assert!(
        got[0].line.contains(&format!("vpid = {pid}")),
        "{}",
        got[0].line
    );
}

#[test]
fn events_committed_before_sigkill_are_kept() {
    let dir = scratch("agent-kill");
    let c = test_c("");
    let exe = dir.join("signals");
    compile(
        &[test_c("signals.c"), test_c("probe-tp.c")],
        &exe,
        &["-I", c.to_str().unwrap()],
    );
    let socket = dir.join("d.sock");
    let listener = Listener::bind(&socket).unwrap();
    let mut child = spawn(&exe, &socket, &[]);
    let (conn, ncpu, events) = accept_program(&listener, "probe:mark");
    let channel = set_up(&conn, ncpu, "probe:mark");
    std::thread::sleep(Duration::from_millis(100));
    child.kill().unwrap();
    child.wait().unwrap();
    channel.buffers().iter().for_each(|rb| rb.flush());
    let trace = dir.join("trace");
    write_trace(&trace, channel, &events[0], 0);
    let (got, _) = babeltrace(&trace);
    assert!(
        !got.is_empty(),
        "events committed before the kill are in the trace"
    );
    let mains: Vec<u64> = got
        .iter()
        .filter(|e| e.payload.contains("\"main\""))
        .map(|e| {
            e.payload
                .split("n = ")
                .nth(1)
                .unwrap()
                .trim_end_matches(" }")
                .parse()
                .unwrap()
        })
        .collect();
    assert!(
        mains.windows(2).all(|w| w[1] == w[0] + 1),
        "no hole among kept events"
    );
}

#[test]
fn without_a_daemon_the_program_starts_at_once_and_says_nothing() {
    let dir = scratch("agent-none");
    let exe = build_hello(&dir);
    let started = std::time::Instant::now();
    let out = run_ok(
        Command::new(&exe)
            .env("UST_DAEMON_SOCKET", dir.join("nobody.sock"))
            .env("UST_REGISTER_TIMEOUT", "30000")
            .env_remove("UST_TRACE"),
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hello, world (3 events)\n"
    );
    assert!(out.stderr.is_empty());
    // Not a timing threshold: without a socket, the 30 s registration wait must not apply at all.
    assert!(started.elapsed() < Duration::from_secs(25));
}

#[test]
fn a_forked_child_registers_and_records_as_itself() {
    let dir = scratch("agent-fork");
    let c = test_c("");
    let exe = dir.join("forking");
    compile(
        &[test_c("forking.c"), test_c("probe-tp.c")],
        &exe,
        &["-I", c.to_str().unwrap()],
    );
    let socket = dir.join("d.sock");
    let listener = Listener::bind(&socket).unwrap();
    let mut parent = spawn(&exe, &socket, &[]);
    let (conn, ncpu, events) = accept_program(&listener, "probe:mark");
    let parent_channel = set_up(&conn, ncpu, "probe:mark");
    // The child connects on its own, announcing its own pid, and waits for its setup.
    let (child_conn, child_ncpu, _) = accept_program(&listener, "probe:mark");
    let child_channel = set_up(&child_conn, child_ncpu, "probe:mark");
    assert!(parent.wait().unwrap().success());
    let mut whos = Vec::new();
    for (name, channel) in [("parent", parent_channel), ("child", child_channel)] {
        channel.buffers().iter().for_each(|rb| rb.flush());
        let trace = dir.join(name);
        write_trace(&trace, channel, &events[0], 0);
        whos.push(
            babeltrace(&trace)
                .0
                .into_iter()
                .map(|e| e.payload)
                .collect::<Vec<_>>(),
        );
    }
    let want = |who: &str, n: u64| {
        (0..n)
            .map(|i| format!("{{ who = \"{who}\", n = {i} }}"))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        whos[0],
        want("parent", 4),
        "the parent's buffers hold only its events"
    );
    assert_eq!(
        whos[1],
        want("child", 5),
        "the child records into its own buffers"
    );
}
