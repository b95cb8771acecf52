//! Tracing over the network: a UST trace recorded here is streamed (`ust relay push`) to a real
//! lttng-relayd and to `ust relay` (TLS with client certificates, or plaintext on loopback),
//! read back with babeltrace2 and `ust view`, and followed live (`ust view --live`). Faults:
//! unreachable relay, relay killed and restarted mid-stream, hostile clients, path traversal,
//! wrong certificates, a control connection closed before its packets arrived; 8 hosts at
//! once, each a process with its own host name. Tests needing lttng-relayd, babeltrace2 or
//! root (for host names) are skipped, with a note, when they are missing.

mod common;
mod programs;
use common::*;
use programs::{compile, Scratch};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// A UST trace of 2 threads × 3000 events in 4 KiB packets (24 packets), recorded once.
fn trace() -> PathBuf {
    static TRACE: OnceLock<PathBuf> = OnceLock::new();
    TRACE
        .get_or_init(|| {
            let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
            let src = root.join("c-examples/threads");
            let exe = compile(
                &[src.join("threads.c"), src.join("threads-tp.c")],
                &src,
                "relay-threads",
            );
            let dir = scratch("relay-trace");
            let out = Command::new(exe)
                .args(["2", "3000"])
                .env("UST_TRACE", &dir)
                .env("UST_SUBBUF_SIZE", "4096")
                .env("UST_NUM_SUBBUF", "16")
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", text(&out.stderr));
            dir
        })
        .clone()
}

/// `trace()` with two more streams, copies of its first non-empty one with other instance
/// and CPU ids: every event of that stream is a tie of three, which babeltrace2 orders by
/// instance id (`tie_b`, 5, before `tie_a`, 9), not by path.
fn tie_trace() -> PathBuf {
    static TRACE: OnceLock<PathBuf> = OnceLock::new();
    TRACE
        .get_or_init(|| {
            let dir = scratch("relay-ties");
            let mut source = None;
            for e in std::fs::read_dir(trace()).unwrap() {
                let p = e.unwrap().path();
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                if name.starts_with('.') {
                    continue;
                }
                std::fs::copy(&p, dir.join(&name)).unwrap();
                if name != "metadata" && std::fs::metadata(&p).unwrap().len() > 0 {
                    source.get_or_insert(p);
                }
            }
            let bytes = std::fs::read(source.expect("a stream with events")).unwrap();
            for (name, id) in [("tie_a", 9u32), ("tie_b", 5)] {
                let mut copy = bytes.clone();
                let mut at = 0;
                while at < copy.len() {
                    copy[at + 24..at + 32].copy_from_slice(&u64::from(id).to_le_bytes());
                    copy[at + 80..at + 84].copy_from_slice(&id.to_le_bytes());
                    let bits = u64::from_le_bytes(copy[at + 56..at + 64].try_into().unwrap());
                    at += (bits / 8) as usize;
                }
                std::fs::write(dir.join(name), copy).unwrap();
            }
            dir
        })
        .clone()
}

fn view_text(dir: &Path) -> String {
    let out = view(&[dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process killed when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// lttng-relayd on free loopback ports: (process, control, data, live ports, output dir).
fn lttng_relayd(dir: &Path) -> Option<(Proc, u16, u16, u16)> {
    if Command::new("lttng-relayd")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: lttng-relayd is not installed");
        return None;
    }
    let (c, d, l) = (free_port(), free_port(), free_port());
    let child = Command::new("lttng-relayd")
        .arg("-o")
        .arg(dir)
        .arg("-C")
        .arg(format!("tcp://127.0.0.1:{c}"))
        .arg("-D")
        .arg(format!("tcp://127.0.0.1:{d}"))
        .arg("-L")
        .arg(format!("tcp://127.0.0.1:{l}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let proc = Proc(child);
    wait_port(c);
    wait_port(l);
    Some((proc, c, d, l))
}

/// Waits (bounded) until something listens on `port`.
fn wait_port(port: u16) {
    for _ in 0..200 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("nothing listens on port {port}");
}

/// Runs `cmd` to its end, killing it (and failing) if it is still running after 5 minutes:
/// a bound that keeps a hung command from hanging the test run, not a measure of speed.
fn output_bounded(cmd: &mut Command) -> std::process::Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pipe = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            r.read_to_end(&mut v).unwrap();
            v
        })
    };
    let out = pipe(Box::new(child.stdout.take().unwrap()));
    let err = pipe(Box::new(child.stderr.take().unwrap()));
    let mut status = None;
    for _ in 0..3000 {
        status = child.try_wait().unwrap();
        if status.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("{cmd:?} still running after 5 minutes: killed");
    };
    std::process::Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// `ust relay` on loopback; returns the process and its (control, data) ports.
fn ust_relay(out: &Path, keys: Option<&Path>, ports: (u16, u16)) -> (Proc, u16, u16) {
    let mut cmd = ust();
    cmd.args(["relay", "-o"]).arg(out).args([
        "--listen",
        "127.0.0.1",
        "--control-port",
        &ports.0.to_string(),
        "--data-port",
        &ports.1.to_string(),
    ]);
    match keys {
        Some(k) => cmd.arg("--keys").arg(k),
        None => cmd.arg("--plaintext"),
    };
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let words: Vec<&str> = line.split_whitespace().collect();
    let after = |w: &str| {
        let i = words.iter().position(|x| *x == w).unwrap();
        words[i + 2].parse::<u16>().unwrap()
    };
    let (c, d) = (after("control"), after("data"));
    (Proc(child), c, d)
}

fn output_dir(name: &str) -> Scratch {
    let s = Scratch::new(name);
    let out = s.join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::set_permissions(&out, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    s
}

fn push(url: &str, session: &str, host: &str, extra: &[&str]) -> std::process::Output {
    push_trace(&trace(), url, session, host, extra)
}

fn push_trace(
    dir: &Path,
    url: &str,
    session: &str,
    host: &str,
    extra: &[&str],
) -> std::process::Output {
    ust()
        .args(["relay", "push"])
        .arg(dir)
        .args(["--to", url, "--session", session, "--hostname", host])
        .args(extra)
        .output()
        .unwrap()
}

/// The one session directory `OUT/HOST/SESSION-…`.
fn session_dir(out: &Path, host: &str, session: &str) -> PathBuf {
    let dirs: Vec<PathBuf> = std::fs::read_dir(out.join(host))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            n.starts_with(&format!("{session}-"))
        })
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs[0].clone()
}

#[test]
fn lttng_relayd_writes_the_trace_babeltrace2_reads_back_identical() {
    let s = output_dir("relayd");
    let out = s.join("out");
    let Some((_relayd, c, d, _)) = lttng_relayd(&out) else {
        return;
    };
    let p = push(&format!("net://127.0.0.1:{c}:{d}"), "web", "host1", &[]);
    assert!(p.status.success(), "{}", text(&p.stderr));
    assert!(
        text(&p.stdout).contains(" packets ("),
        "{}",
        text(&p.stdout)
    );
    let dir = session_dir(&out, "host1", "web");
    assert!(dir.join("ust/metadata").is_file());
    assert!(dir.join("ust/index").is_dir());
    if let (Some(local), Some(remote)) = (babeltrace(&[&trace()]), babeltrace(&[&dir])) {
        assert!(remote.status.success(), "{}", text(&remote.stderr));
        assert_eq!(text(&local.stdout), text(&remote.stdout));
    }
    assert_eq!(view_text(&trace()), view_text(&dir));
}

/// `ust view --live` prints what `ust view` (and babeltrace2) print on the finished trace,
/// ties included: streams appear in the mirror while it is read (each is numbered as in the
/// finished trace, not in the order it appeared), and events at the time up to which every
/// stream is known wait for the streams behind. The session ends right after its last
/// packet: the viewer still reads every packet (lttng-relayd keeps the chunk for it).
#[test]
fn live_view_follows_a_session_on_lttng_relayd() {
    let want = view_text(&tie_trace());
    let lines: Vec<(&str, &str)> = want
        .lines()
        .map(|l| (&l[..20], l.split("cpu_id = ").nth(1).unwrap()))
        .collect();
    let ties = lines
        .windows(2)
        .filter(|w| w[0].0 == w[1].0 && w[0].1 != w[1].1)
        .count();
    assert!(ties > 1000, "{ties} ties between streams in {want}");
    if let Some(b) = babeltrace(&[&tie_trace()]) {
        assert_eq!(text(&b.stdout), want, "babeltrace2 orders ties otherwise");
    }
    let s = output_dir("live");
    let out = s.join("out");
    let Some((_relayd, c, d, l)) = lttng_relayd(&out) else {
        return;
    };
    let url = format!("net://127.0.0.1:{c}:{d}");
    let args = [
        "--live-timer",
        "100000",
        "--delay-ms",
        "20",
        "--wait-ms",
        "800",
    ];
    // ust view --live attaches from the beginning: started once the session exists, during
    // the pause before the first packet.
    let sender = {
        let url = url.clone();
        std::thread::spawn(move || push_trace(&tie_trace(), &url, "live1", "h1", &args))
    };
    let live_url = format!("net://127.0.0.1:{l}/host/h1/live1");
    let mut shown = None;
    for _ in 0..400 {
        let v = output_bounded(ust().args(["view", "--live", &live_url]));
        if v.status.success() {
            shown = Some(text(&v.stdout));
            break;
        }
        assert!(
            text(&v.stderr).contains("no live session"),
            "{}",
            text(&v.stderr)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let sent = sender.join().unwrap();
    assert!(sent.status.success(), "{}", text(&sent.stderr));
    let shown = shown.expect("the session appeared");
    let first_diff = shown.lines().zip(want.lines()).position(|(a, b)| a != b);
    assert!(
        shown == want,
        "ust view --live differs: {} lines for {}, first difference at line {first_diff:?}: {:?}",
        shown.lines().count(),
        want.lines().count(),
        first_diff.map(|i| (shown.lines().nth(i), want.lines().nth(i)))
    );
    assert_eq!(view_text(&session_dir(&out, "h1", "live1")), want);
}

/// A CA and certificates in `dir`: relay for 127.0.0.1 and localhost, daemon `daemon`.
fn keys(dir: &Path) {
    let out = ust()
        .args(["relay", "gen-keys"])
        .arg(dir)
        .args([
            "--relay-name",
            "127.0.0.1",
            "--relay-name",
            "localhost",
            "--daemon",
            "daemon",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn ust_relay_over_tls_writes_what_lttng_relayd_writes() {
    let s = output_dir("tls");
    let out = s.join("out");
    keys(&s.join("keys"));
    let (_relay, c, d) = ust_relay(&out, Some(&s.join("keys")), (0, 0));
    let keys = s.join("keys");
    let k = ["--keys", keys.to_str().unwrap()];
    for (host, session) in [("localhost", "a"), ("127.0.0.1", "b")] {
        let p = push(&format!("tls://{host}:{c}:{d}"), session, "web-1", &k);
        assert!(p.status.success(), "{}", text(&p.stderr));
    }
    let dir = session_dir(&out, "web-1", "a");
    // The metadata, and each stream file with packets with its index (one without packets
    // is not sent).
    let mut want = vec!["ust/metadata".to_owned()];
    for e in std::fs::read_dir(trace()).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("channel") && std::fs::metadata(&p).unwrap().len() > 0 {
            want.push(format!("ust/{name}"));
            want.push(format!("ust/index/{name}.idx"));
        }
    }
    want.sort();
    let ours = relay_files(&dir);
    let names: Vec<&String> = ours.iter().map(|(n, _)| n).collect();
    assert_eq!(names, want.iter().collect::<Vec<_>>());
    assert_eq!(view_text(&trace()), view_text(&dir));
    if let (Some(local), Some(remote)) = (babeltrace(&[&trace()]), babeltrace(&[&dir])) {
        assert_eq!(text(&local.stdout), text(&remote.stdout));
    }
    // Same bytes as lttng-relayd writes, index files included.
    let s2 = output_dir("tls-vs-relayd");
    if let Some((_relayd, c2, d2, _)) = lttng_relayd(&s2.join("out")) {
        let p = push(&format!("net://127.0.0.1:{c2}:{d2}"), "a", "web-1", &[]);
        assert!(p.status.success(), "{}", text(&p.stderr));
        let theirs = relay_files(&session_dir(&s2.join("out"), "web-1", "a"));
        for ((a, x), (b, y)) in ours.iter().zip(&theirs) {
            assert_eq!(a, b);
            assert!(
                x == y,
                "{a} differs from lttng-relayd's ({} vs {} bytes)",
                x.len(),
                y.len()
            );
        }
        assert_eq!(ours.len(), theirs.len());
    }
}

/// The files of a relay's session directory for a UST trace: (`ust/…` name, bytes), sorted.
fn relay_files(session: &Path) -> Vec<(String, Vec<u8>)> {
    let mut all = Vec::new();
    for sub in ["ust", "ust/index"] {
        for e in std::fs::read_dir(session.join(sub)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                let name = format!("{sub}/{}", p.file_name().unwrap().to_string_lossy());
                all.push((name, std::fs::read(&p).unwrap()));
            }
        }
    }
    all.sort();
    all
}

#[test]
fn a_certificate_from_another_ca_is_refused_and_the_relay_goes_on() {
    let s = output_dir("wrong-cert");
    keys(&s.join("keys"));
    keys(&s.join("other"));
    let (mut relay, c, d) = ust_relay(&s.join("out"), Some(&s.join("keys")), (0, 0));
    let url = format!("tls://127.0.0.1:{c}:{d}");
    let other = s.join("other");
    let p = push(&url, "x", "h", &["--keys", other.to_str().unwrap()]);
    assert!(!p.status.success());
    assert!(
        text(&p.stderr).contains("TLS handshake"),
        "{}",
        text(&p.stderr)
    );
    assert!(
        text(&p.stderr).contains(&format!("127.0.0.1:{c}")),
        "{}",
        text(&p.stderr)
    );
    // tls:// without keys, and net:// (plaintext) to the TLS port, fail too.
    let p = push(&url, "x", "h", &[]);
    assert!(
        text(&p.stderr).contains("needs keys"),
        "{}",
        text(&p.stderr)
    );
    let p = push(&format!("net://127.0.0.1:{c}:{d}"), "x", "h", &[]);
    assert!(!p.status.success());
    let keys = s.join("keys");
    let p = push(&url, "ok", "h", &["--keys", keys.to_str().unwrap()]);
    assert!(p.status.success(), "{}", text(&p.stderr));
    assert!(relay.0.try_wait().unwrap().is_none(), "the relay exited");
    assert!(!s
        .join("out/h")
        .read_dir()
        .unwrap()
        .any(|e| { e.unwrap().file_name().to_string_lossy().starts_with("x-") }));
}

/// Big-endian control command: header then payload.
fn command(cmd: u32, payload: &[u8]) -> Vec<u8> {
    let mut m = vec![0u8; 8];
    m.extend_from_slice(&(payload.len() as u64).to_be_bytes());
    m.extend_from_slice(&cmd.to_be_bytes());
    m.extend_from_slice(&0u32.to_be_bytes());
    m.extend_from_slice(payload);
    m
}

fn version() -> Vec<u8> {
    command(5, &[0, 0, 0, 2, 0, 0, 0, 13])
}

fn create_session(name: &str, host: &str) -> Vec<u8> {
    let mut p = Vec::new();
    for v in [name.len() as u32 + 1, host.len() as u32 + 1, 1, 0] {
        p.extend_from_slice(&v.to_be_bytes());
    }
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(&[7; 16]);
    p.extend_from_slice(&1u64.to_be_bytes());
    p.extend_from_slice(&1_700_000_000u64.to_be_bytes());
    p.extend_from_slice(&[0; 9]);
    for s in [name, host, ""] {
        p.extend_from_slice(s.as_bytes());
        p.push(0);
    }
    command(2, &p)
}

fn add_stream(channel: &str, path: &str) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&(channel.len() as u32 + 1).to_be_bytes());
    p.extend_from_slice(&(path.len() as u32 + 1).to_be_bytes());
    p.extend_from_slice(&[0; 24]);
    for s in [channel, path] {
        p.extend_from_slice(s.as_bytes());
        p.push(0);
    }
    command(1, &p)
}

/// Sends `bytes` and reads until the relay closes the connection (bounded); returns what it
/// answered.
fn exchange(port: u16, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let _ = s.write_all(bytes);
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    answer
}

/// Sends a control command and reads its reply of `reply_len` bytes.
fn call(s: &mut TcpStream, bytes: &[u8], reply_len: usize) -> Vec<u8> {
    s.write_all(bytes).unwrap();
    let mut reply = vec![0u8; reply_len];
    s.read_exact(&mut reply).unwrap();
    reply
}

/// A client's control and data connections are served by two threads of `ust relay`: a
/// packet whose index came on the control connection, closed since, is still written when
/// it arrives on the data connection (here deliberately after the close); the stream is
/// forgotten only then.
#[test]
fn packets_announced_before_the_control_connection_closed_are_written() {
    let s = output_dir("linger");
    let out = s.join("out");
    let (_relay, c, d) = ust_relay(&out, None, (0, 0));
    let mut control = TcpStream::connect(("127.0.0.1", c)).unwrap();
    control
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    call(&mut control, &version(), 8);
    let reply = call(&mut control, &create_session("late", "h"), 16);
    let path_len = u32::from_be_bytes(reply[12..16].try_into().unwrap()) as usize;
    call(&mut control, &[], path_len);
    let reply = call(&mut control, &add_stream("chan", "ust"), 12);
    let handle = u64::from_be_bytes(reply[..8].try_into().unwrap());
    let packet: Vec<u8> = (0..4096u32).map(|i| (i * 7) as u8).collect();
    let mut index = Vec::new();
    for v in [handle, 0, 4096 * 8, 4096 * 8, 1, 2, 0, 0, 0, 0] {
        index.extend_from_slice(&u64::to_be_bytes(v));
    }
    assert_eq!(call(&mut control, &command(13, &index), 4), [0, 0, 0, 10]);
    let mut close = handle.to_be_bytes().to_vec();
    close.extend_from_slice(&0u64.to_be_bytes());
    call(&mut control, &command(7, &close), 4);
    drop(control);
    let mut data = TcpStream::connect(("127.0.0.1", d)).unwrap();
    data.set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut header = vec![0u8; 8];
    header.extend_from_slice(&handle.to_be_bytes());
    header.extend_from_slice(&0u64.to_be_bytes());
    header.extend_from_slice(&4096u32.to_be_bytes());
    header.extend_from_slice(&0u32.to_be_bytes());
    data.write_all(&header).unwrap();
    data.write_all(&packet).unwrap();
    // Written whole, with its index; then the stream is gone: a second packet for it ends
    // the data connection.
    let dir = session_dir(&out, "h", "late").join("ust");
    let mut polls = 0;
    while std::fs::metadata(dir.join("index/chan.idx")).map_or(0, |m| m.len()) < 16 + 72 {
        polls += 1;
        assert!(polls < 6000, "the packet was never written");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(std::fs::read(dir.join("chan")).unwrap(), packet);
    let mut next = header.clone();
    next[16..24].copy_from_slice(&1u64.to_be_bytes());
    let _ = data.write_all(&next);
    let _ = data.write_all(&packet);
    let mut rest = Vec::new();
    let _ = data.read_to_end(&mut rest);
    assert_eq!(std::fs::read(dir.join("chan")).unwrap(), packet);
}

#[test]
fn hostile_clients_are_refused_without_stalling_the_relay() {
    let s = output_dir("hostile");
    let out = s.join("out");
    let (mut relay, c, d) = ust_relay(&out, None, (0, 0));
    // Connections that say nothing, or half a header, stay open while others are served.
    let mut silent = TcpStream::connect(("127.0.0.1", c)).unwrap();
    let mut half = TcpStream::connect(("127.0.0.1", d)).unwrap();
    half.write_all(&[0; 10]).unwrap();
    // Random bytes: an unknown command, answered with an error code, then closed.
    let mut noise = vec![0u8; 24];
    for (i, b) in noise.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(97).wrapping_add(13);
    }
    noise.extend_from_slice(&[0xff; 4000]);
    assert!(exchange(c, &noise).len() <= 4);
    assert!(exchange(d, &noise).is_empty());
    // An oversized length field: closed, nothing allocated or waited for.
    let mut huge = version();
    huge.extend_from_slice(&command(2, &[])[..8]);
    huge.extend_from_slice(&(u64::MAX / 2).to_be_bytes());
    huge.extend_from_slice(&[0, 0, 0, 2, 0, 0, 0, 0]);
    assert_eq!(exchange(c, &huge).len(), 8);
    let mut big_packet = vec![0u8; 24];
    big_packet.extend_from_slice(&[0xff; 8]);
    assert!(exchange(d, &big_packet).is_empty());
    // Commands out of order, or before the version check.
    assert!(exchange(c, &add_stream("x", "y")).is_empty());
    let mut early = version();
    early.extend(add_stream("x", "y"));
    assert_eq!(exchange(c, &early).len(), 8);
    // A truncated handshake: the relay gives up on its own.
    assert!(exchange(c, &version()[..20]).is_empty());
    // A real client is served meanwhile.
    let p = push(&format!("net://127.0.0.1:{c}:{d}"), "fine", "h", &[]);
    assert!(p.status.success(), "{}", text(&p.stderr));
    assert_eq!(
        view_text(&trace()),
        view_text(&session_dir(&out, "h", "fine"))
    );
    assert!(relay.0.try_wait().unwrap().is_none(), "the relay exited");
    let _ = silent.write_all(&[]);
    let _ = half.write_all(&[0; 22]);
}

#[test]
fn no_name_a_client_sends_makes_the_relay_write_outside_its_directory() {
    let s = output_dir("traversal");
    let out = s.join("out");
    let (_relay, c, d) = ust_relay(&out, None, (0, 0));
    for (name, host) in [
        ("s", "../../etc"),
        ("../x", "h"),
        ("s", ".."),
        ("s", "a/b"),
        ("s", ""),
    ] {
        let mut msg = version();
        msg.extend(create_session(name, host));
        let answer = exchange(c, &msg);
        assert_eq!(answer.len(), 8 + 17, "{name:?} {host:?}");
        assert_eq!(
            answer[8 + 8..8 + 12],
            11u32.to_be_bytes(),
            "{name:?} {host:?}"
        );
    }
    for (channel, path) in [
        ("c", "../../etc"),
        ("c", "/abs"),
        ("../c", "p"),
        ("c", "a/../../b"),
        ("c/d", "p"),
    ] {
        let mut msg = version();
        msg.extend(create_session("s", "h"));
        msg.extend(add_stream(channel, path));
        let answer = exchange(c, &msg);
        let reply = &answer[answer.len() - 12..];
        assert_eq!(reply[8..12], 11u32.to_be_bytes(), "{channel:?} {path:?}");
    }
    let p = push(&format!("net://127.0.0.1:{c}:{d}"), "s", "../../etc", &[]);
    assert!(!p.status.success());
    assert!(text(&p.stderr).contains("refused"), "{}", text(&p.stderr));
    let mut found = Vec::new();
    let mut todo = vec![s.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p.clone());
            }
            found.push(p);
        }
    }
    for p in &found {
        assert!(
            p.starts_with(s.join("out/h")) || p == &s.join("out") || p == &s.join("out/h"),
            "{p:?}"
        );
    }
    assert!(!s.join("etc").exists() && !s.join("out/etc").exists());
}

#[test]
fn an_unreachable_relay_is_named_in_the_error() {
    let port = free_port();
    let p = push(&format!("net://127.0.0.1:{port}"), "s", "h", &[]);
    assert!(!p.status.success());
    let err = text(&p.stderr);
    assert!(
        err.contains(&format!("cannot connect to relay 127.0.0.1:{port}")),
        "{err}"
    );
    let p = push("net://no-such-host.invalid", "s", "h", &[]);
    assert!(
        text(&p.stderr).contains("no-such-host.invalid:5342"),
        "{}",
        text(&p.stderr)
    );
}

/// Whether this test may give processes their own host names: root, with `unshare`.
fn own_uts_namespaces() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let root = status
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"));
    let works = root
        && Command::new("unshare")
            .args(["--uts", "true"])
            .status()
            .is_ok_and(|s| s.success());
    if !works {
        eprintln!("skipped: giving each sender its own host name needs root and `unshare --uts`");
    }
    works
}

/// Eight senders, each a process in its own UTS namespace with its own host name, stream
/// at once over TLS into one relay, which files each under the name the sender's machine
/// has (`ust relay push` sends its host name, not one given to it): every host's trace is
/// complete and apart from the others'.
#[test]
fn eight_hosts_stream_at_once_into_one_relay() {
    if !own_uts_namespaces() {
        return;
    }
    let s = output_dir("many");
    let out = s.join("out");
    keys(&s.join("keys"));
    let (_relay, c, d) = ust_relay(&out, Some(&s.join("keys")), (0, 0));
    let url = format!("tls://localhost:{c}:{d}");
    let senders: Vec<Child> = (0..8)
        .map(|i| {
            Command::new("unshare")
                .args(["--uts", "sh", "-c", "hostname \"$0\" && exec \"$@\""])
                .arg(format!("node{i}"))
                .arg(env!("CARGO_BIN_EXE_ust"))
                .args(["relay", "push"])
                .arg(trace())
                .args(["--to", &url, "--session", "prod", "--delay-ms", "5"])
                .arg("--keys")
                .arg(s.join("keys"))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for p in senders {
        let p = p.wait_with_output().unwrap();
        assert!(p.status.success(), "{}", text(&p.stderr));
    }
    let local = view_text(&trace());
    let mut hosts: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    hosts.sort();
    assert_eq!(
        hosts,
        (0..8).map(|i| format!("node{i}")).collect::<Vec<_>>()
    );
    for host in &hosts {
        assert_eq!(local, view_text(&session_dir(&out, host, "prod")), "{host}");
    }
}

#[test]
fn a_relay_killed_mid_stream_is_reconnected_to_and_what_was_lost_is_counted() {
    let s = output_dir("restart");
    let out = s.join("out");
    let ports = (free_port(), free_port());
    let (relay, c, d) = ust_relay(&out, None, ports);
    let url = format!("net://127.0.0.1:{c}:{d}");
    let sender = std::thread::spawn(move || push(&url, "s", "h", &["--delay-ms", "100"]));
    // Kill the relay once it has written some packets, restart it on the same ports.
    let mut polls = 0;
    let first = loop {
        polls += 1;
        assert!(polls < 6000, "the relay never wrote a packet");
        if let Some(dir) = out.join("h").read_dir().ok().and_then(|mut r| r.next()) {
            let dir = dir.unwrap().path();
            let written = ["ust/channel0_0", "ust/channel0_1"]
                .iter()
                .any(|f| std::fs::metadata(dir.join(f)).is_ok_and(|m| m.len() > 0));
            if written {
                break dir;
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    drop(relay);
    let (_relay, _, _) = ust_relay(&out, None, ports);
    let p = sender.join().unwrap();
    let (stdout, stderr) = (text(&p.stdout), text(&p.stderr));
    assert!(!p.status.success(), "nothing was lost? {stdout}");
    assert!(stdout.contains("reconnected 1 time"), "{stdout}");
    assert!(stderr.contains("could not be delivered"), "{stderr}");
    // Both session directories read cleanly (whole packets only), every event in them is an
    // event of the local trace, and the second one holds the end of the trace.
    let local = view_text(&trace());
    let dirs: Vec<PathBuf> = out
        .join("h")
        .read_dir()
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(dirs.len(), 2, "{dirs:?}");
    let mut total = 0;
    for dir in &dirs {
        let shown = view_text(dir);
        for line in shown.lines() {
            let event = line.split_once(") ").unwrap().1;
            assert!(local.contains(event), "{line}");
        }
        total += shown.lines().count();
        if dir != &first {
            assert_eq!(shown.lines().last(), local.lines().last());
        }
    }
    let recorded = local.lines().count();
    assert!(
        total < recorded,
        "{total} events of {recorded} recorded, with packets lost"
    );
}
