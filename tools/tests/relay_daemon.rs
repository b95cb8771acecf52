//! Daemon sessions streamed to a relay (`ust create --relay`, `ust trace --relay`), on real
//! programs, to a real lttng-relayd and to `ust relay` over TLS on 127.0.0.1: the relay's
//! copy is the trace a local session of the same run holds (babeltrace2 and `ust view` read
//! it), live viewers (babeltrace2's lttng-live) see events while they are recorded, an
//! unreachable relay is named at create and start, and a relay lost mid-session blocks no
//! program: `ust status` says so, the daemon reconnects, and what was lost is counted as
//! discarded in the trace.

mod cli_daemon;
mod common;
mod outputs_support;
mod programs;
use cli_daemon::{failed, wait_registered, Daemon, LineApp, PATIENCE};
use common::{text, ust};
use outputs_support::*;
use programs::{ctl_app, Scratch};
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits (bounded) until something listens on `port`.
fn wait_port(port: u16) {
    let since = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(since.elapsed() < PATIENCE, "nothing listens on port {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A child process killed when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Loopback ports of a relay: control, data, live.
#[derive(Clone, Copy)]
struct Ports(u16, u16, u16);

impl Ports {
    fn free() -> Ports {
        Ports(free_port(), free_port(), free_port())
    }

    fn url(self) -> String {
        format!("net://127.0.0.1:{}:{}", self.0, self.1)
    }
}

/// lttng-relayd writing into `out` on `ports`.
fn lttng_relayd(out: &Path, ports: Ports) -> Proc {
    std::fs::create_dir_all(out).unwrap();
    let tcp = |p: u16| format!("tcp://127.0.0.1:{p}");
    let child = Command::new("lttng-relayd")
        .arg("-o")
        .arg(out)
        .args([
            "-C",
            &tcp(ports.0),
            "-D",
            &tcp(ports.1),
            "-L",
            &tcp(ports.2),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("lttng-relayd is installed (scripts/setup.sh)");
    wait_port(ports.0);
    wait_port(ports.1);
    wait_port(ports.2);
    Proc(child)
}

/// This host's name, as the relay files traces under it.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string()
}

/// The trace directories the relay wrote for `session` (`OUT/HOST/SESSION-DATE-TIME/ust`),
/// oldest first.
fn relay_traces(out: &Path, session: &str) -> Vec<PathBuf> {
    let host = out.join(hostname());
    entries(&host)
        .into_iter()
        .filter(|n| n.starts_with(&format!("{session}-")))
        .map(|n| host.join(n).join("ust"))
        .collect()
}

/// babeltrace2's lines without their time and delta (`[…] (+…) `).
fn untimed(dir: &Path) -> Vec<String> {
    let out = common::babeltrace(&[dir]).unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .map(|l| l.splitn(3, ' ').nth(2).unwrap().to_string())
        .collect()
}

#[test]
fn a_session_streamed_to_lttng_relayd_is_what_a_local_session_of_the_same_run_holds() {
    let dir = Scratch::new("relayd-same");
    let ports = Ports::free();
    let out = dir.join("relayd");
    let _relayd = lttng_relayd(&out, ports);
    let d = Daemon::start(&dir);
    let local = dir.join("local");
    let small = ["--subbuf-size", "4k", "--num-subbuf", "64"];
    let mut create = vec!["create", "here", "-o", local.to_str().unwrap()];
    create.extend_from_slice(&small);
    d.ok(&create);
    let url = ports.url();
    let mut create = vec!["create", "web", "--relay", &url];
    create.extend_from_slice(&small);
    let created = d.ok(&create);
    assert!(
        created.contains(&format!(
            "streaming to {url} (relay directory {}/web-",
            hostname()
        )),
        "{created}"
    );
    for s in ["here", "web"] {
        d.ok(&["enable", s, "ctl_app:*"]);
        d.ok(&["start", s]);
    }
    let mut app = LineApp::start(&ctl_app(), &d.socket);
    wait_registered(&d, app.child.id());
    for i in 0..50 {
        app.say(&format!("word {i}"));
    }
    app.finish();
    record(&d, 3000);
    d.ok(&["stop", "here"]);
    let stopped = d.ok(&["stop", "web"]);
    let status = d.ok(&["status", "web"]);
    assert!(
        status.contains(&format!(
            "relay:      {url} (connected), writing {}/web-",
            hostname()
        )),
        "{status}"
    );
    assert!(!status.contains("lost:"), "{status}");
    d.ok(&["destroy", "web"]);
    let traces = relay_traces(&out, "web");
    assert_eq!(traces.len(), 1, "{traces:?}");
    let streamed = untimed(&traces[0]);
    assert_eq!(
        streamed,
        untimed(&local),
        "the same events, fields and order"
    );
    assert_eq!(streamed.len() as u64, number(&stopped, "stopped: "));
    assert_eq!(streamed.len(), 2 * (50 + 3000));
    assert_eq!(view_count(&traces[0]), streamed.len());
}

#[test]
fn a_session_streamed_to_ust_relay_over_tls() {
    let dir = Scratch::new("relayd-tls");
    let keys = dir.join("keys");
    let made = ust()
        .args(["relay", "gen-keys"])
        .arg(&keys)
        .args(["--relay-name", "127.0.0.1", "--daemon", "daemon"])
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", text(&made.stderr));
    let out = dir.join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::set_permissions(&out, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let mut relay = ust()
        .args(["relay", "-o"])
        .arg(&out)
        .args([
            "--listen",
            "127.0.0.1",
            "--control-port",
            "0",
            "--data-port",
            "0",
            "--keys",
        ])
        .arg(&keys)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(relay.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _relay = Proc(relay);
    let words: Vec<&str> = line.split_whitespace().collect();
    let port = |w: &str| words[words.iter().position(|x| *x == w).unwrap() + 2].to_string();
    let url = format!("tls://127.0.0.1:{}:{}", port("control"), port("data"));
    let d = Daemon::start(&dir);
    d.ok(&[
        "create",
        "web",
        "--relay",
        &url,
        "--keys",
        keys.to_str().unwrap(),
    ]);
    d.ok(&["enable", "web", "ctl_app:*"]);
    d.ok(&["start", "web"]);
    record(&d, 2000);
    let stopped = d.ok(&["stop", "web"]);
    d.ok(&["destroy", "web"]);
    let (events, _) = read(&[&relay_traces(&out, "web")[0]]);
    assert_eq!(events.len(), 4000);
    assert_eq!(events.len() as u64, number(&stopped, "stopped: "));
    // Keys of another CA: the relay refuses the daemon, and says so at create.
    let other = dir.join("other");
    let made = ust()
        .args(["relay", "gen-keys"])
        .arg(&other)
        .args(["--relay-name", "127.0.0.1", "--daemon", "daemon"])
        .output()
        .unwrap();
    assert!(made.status.success());
    let err = failed(
        &d.ctl(&[
            "create",
            "spy",
            "--relay",
            &url,
            "--keys",
            other.to_str().unwrap(),
        ]),
        1,
    );
    assert!(err.contains("TLS handshake with relay 127.0.0.1:"), "{err}");
    // A tls:// relay needs keys.
    let err = failed(&d.ctl(&["create", "nokeys", "--relay", &url]), 1);
    assert!(err.contains("needs keys"), "{err}");
}

#[test]
fn an_unreachable_relay_is_named_when_creating_and_when_starting() {
    let dir = Scratch::new("relayd-unreachable");
    let d = Daemon::start(&dir);
    let nobody = Ports::free();
    let err = failed(&d.ctl(&["create", "web", "--relay", &nobody.url()]), 1);
    assert!(
        err.contains(&format!("cannot connect to relay 127.0.0.1:{}", nobody.0)),
        "{err}"
    );
    assert!(!d.ok(&["list"]).contains("web"));
    let ports = Ports::free();
    let relayd = lttng_relayd(&dir.join("relayd"), ports);
    d.ok(&["create", "web", "--relay", &ports.url()]);
    d.ok(&["enable", "web", "ctl_app:*"]);
    drop(relayd);
    let err = failed(&d.ctl(&["start", "web"]), 1);
    assert!(
        err.contains(&format!(
            "cannot start: cannot connect to relay 127.0.0.1:{}",
            ports.0
        )) || err.contains(&format!("cannot start: relay 127.0.0.1:{}", ports.0)),
        "{err}"
    );
    let status = d.ok(&["status", "web"]);
    assert!(
        status.contains("session \"web\": created") && status.contains("NOT CONNECTED"),
        "{status}"
    );
    d.ok(&["destroy", "web"]);
    let usage = d.ctl(&["create", "x", "--relay", "http://h"]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(text(&usage.stderr).contains("net://HOST[:CONTROL_PORT[:DATA_PORT]]"));
}

/// The events `ust status` says were lost on the way to the relay.
fn lost_events(status: &str) -> u64 {
    match status.find("lost:") {
        Some(at) => number(&status[at..], "packets ("),
        None => 0,
    }
}

/// The events babeltrace2 says were discarded, in its warnings.
fn discarded_in_warnings(stderr: &str) -> u64 {
    stderr
        .lines()
        .filter_map(|l| l.split("Tracer discarded ").nth(1))
        .map(|rest| rest.split(' ').next().unwrap().parse::<u64>().unwrap())
        .sum()
}

#[test]
fn a_relay_lost_mid_session_blocks_no_program_and_what_was_lost_is_counted() {
    let dir = Scratch::new("relayd-lost");
    let ports = Ports::free();
    let out = dir.join("relayd");
    let relayd = lttng_relayd(&out, ports);
    let d = Daemon::start(&dir);
    d.ok(&[
        "create",
        "web",
        "--relay",
        &ports.url(),
        "--live-timer",
        "0",
    ]);
    d.ok(&["enable", "web", "ctl_app:*"]);
    d.ok(&["start", "web"]);
    let mut app = LineApp::start(&ctl_app(), &d.socket);
    wait_registered(&d, app.child.id());
    let mut said = 0;
    let mut say = |what: &str| {
        app.say(&format!("{what} {said}"));
        said += 1;
    };
    for _ in 0..10 {
        say("before");
    }
    wait_status(&d, "web", |s| !s.contains("sent:       0 packets"));
    drop(relayd);
    // The program goes on recording, never waiting for the relay; quiet between words,
    // so that each reaches the daemon's sender (quiet buffers are flushed).
    let since = Instant::now();
    loop {
        say("during");
        let status = d.ok(&["status", "web"]);
        if status.contains("NOT CONNECTED") && lost_events(&status) > 0 {
            assert!(status.contains("relay said: "), "{status}");
            break;
        }
        assert!(since.elapsed() < PATIENCE, "{status}");
        std::thread::sleep(Duration::from_millis(250));
    }
    let _relayd = lttng_relayd(&out, ports);
    let since = Instant::now();
    loop {
        say("after");
        let status = d.ok(&["status", "web"]);
        if status.contains("(connected)") && status.contains("reconnects: 1") {
            break;
        }
        assert!(since.elapsed() < PATIENCE, "{status}");
        std::thread::sleep(Duration::from_millis(20));
    }
    say("final");
    app.finish();
    let stopped = d.ok(&["stop", "web"]);
    let status = d.ok(&["status", "web"]);
    let lost = lost_events(&status);
    assert!(lost > 0, "{status}");
    d.ok(&["destroy", "web"]);
    let traces = relay_traces(&out, "web");
    assert_eq!(
        traces.len(),
        2,
        "one session before the loss, one after: {traces:?}"
    );
    let (first, _) = read(&[&traces[0]]);
    let (second, warnings) = read(&[&traces[1]]);
    let word = |e: &Event| e.text.clone().unwrap_or_default();
    assert!(
        first.iter().all(|e| !word(e).starts_with("after")),
        "the first session ended with the loss"
    );
    let firsts: std::collections::HashSet<&Event> = first.iter().collect();
    assert!(
        !second.iter().any(|e| firsts.contains(e)),
        "nothing sent twice"
    );
    assert_eq!(
        second.last().unwrap().n as usize,
        said - 1,
        "the last event reached the relay"
    );
    // babeltrace2 reports the loss (with its count, unless it is in a stream's first
    // packet of the new session: then as "may have discarded").
    assert!(warnings.contains("discarded events"), "{warnings}");
    assert!(discarded_in_warnings(&warnings) <= lost, "{warnings}");
    let recorded = 2 * said as u64;
    assert_eq!(
        (first.len() + second.len()) as u64,
        number(&stopped, "stopped: ")
    );
    assert_eq!(
        number(&stopped, "stopped: ") + number(&stopped, "events, "),
        recorded,
        "{stopped}"
    );
}

#[test]
fn live_viewers_see_events_while_they_are_recorded() {
    let dir = Scratch::new("relayd-live");
    let ports = Ports::free();
    let _relayd = lttng_relayd(&dir.join("relayd"), ports);
    let d = Daemon::start(&dir);
    d.ok(&[
        "create",
        "web",
        "--relay",
        &ports.url(),
        "--live-timer",
        "100000",
    ]);
    d.ok(&["enable", "web", "ctl_app:*"]);
    d.ok(&["start", "web"]);
    let mut app = LineApp::start(&ctl_app(), &d.socket);
    wait_registered(&d, app.child.id());
    let mut viewer = Command::new("babeltrace2")
        .args(["--input-format=lttng-live"])
        .arg(format!(
            "net://127.0.0.1:{}/host/{}/web",
            ports.2,
            hostname()
        ))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let lines = BufReader::new(viewer.stdout.take().unwrap());
    std::thread::spawn(move || {
        for l in lines.lines() {
            if tx.send(l.unwrap()).is_err() {
                return;
            }
        }
    });
    let _viewer = Proc(viewer);
    for i in 0..3 {
        let word = format!("live {i}");
        app.say(&word);
        // Shown while the session still records, before the next word is said.
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("the viewer never showed {word}"));
            if line.contains(&format!("text = \"{word}\"")) {
                break;
            }
        }
    }
    app.finish();
    d.ok(&["destroy", "web"]);
}

#[test]
fn ust_trace_streams_to_a_relay() {
    let dir = Scratch::new("relayd-trace");
    let ports = Ports::free();
    let out = dir.join("relayd");
    let _relayd = lttng_relayd(&out, ports);
    let run = ust()
        .args(["trace", "--relay", &ports.url(), "--"])
        .arg(ctl_app())
        .args(["events", "500"])
        .output()
        .unwrap();
    let err = text(&run.stderr);
    assert!(run.status.success(), "{err}");
    assert!(
        err.contains(&format!("trace streamed to {}", ports.url())),
        "{err}"
    );
    let (events, _) = read(&[&relay_traces(&out, "trace")[0]]);
    assert_eq!(events.len(), 1000);
    let err = text(
        &ust()
            .args(["trace", "--relay", &Ports::free().url(), "--"])
            .arg(ctl_app())
            .args(["events", "1"])
            .output()
            .unwrap()
            .stderr,
    );
    assert!(err.contains("cannot connect to relay 127.0.0.1:"), "{err}");
}
