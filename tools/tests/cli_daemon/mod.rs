//! A `ust daemon` child process and the programs the session-control tests drive through
//! it: shared by the tests of `ust create`/`enable`/… and of several sessions at once.
#![allow(dead_code)]

use crate::common::{text, ust};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Readiness waits give up after this long (they are not timing assertions).
pub const PATIENCE: Duration = Duration::from_secs(60);

/// A `ust daemon` child process, killed when dropped.
pub struct Daemon {
    child: Child,
    pub socket: PathBuf,
}

impl Daemon {
    pub fn start(dir: &Path) -> Daemon {
        Daemon::start_with(dir, &[], &[])
    }

    /// `PREFIX… ust daemon OPTIONS… --socket DIR/d.sock`: PREFIX runs it as someone else
    /// (`setpriv …`), OPTIONS such as `--clock monotonic`.
    pub fn start_with(dir: &Path, prefix: &[&str], options: &[&str]) -> Daemon {
        let socket = dir.join("d.sock");
        let mut cmd = match prefix.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(env!("CARGO_BIN_EXE_ust"));
                c
            }
            None => ust(),
        };
        let child = cmd
            .arg("daemon")
            .args(options)
            .arg("--socket")
            .arg(&socket)
            .stdout(Stdio::null())
            .spawn()
            .expect("ust daemon runs");
        let mut daemon = Daemon { child, socket };
        let since = Instant::now();
        while !listening(&daemon.socket) {
            if let Some(status) = daemon.child.try_wait().unwrap() {
                panic!("ust daemon exited: {status}");
            }
            assert!(since.elapsed() < PATIENCE, "the daemon never answered");
            std::thread::sleep(Duration::from_millis(20));
        }
        daemon
    }

    /// Runs `ust ARGS --socket SOCKET`.
    pub fn ctl(&self, args: &[&str]) -> Output {
        ust()
            .args(args)
            .arg("--socket")
            .arg(&self.socket)
            .output()
            .unwrap()
    }

    /// Runs a command that must succeed; returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        succeeded(args, self.ctl(args))
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether a daemon accepts connections at `socket` (a SOCK_SEQPACKET socket).
fn listening(socket: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let path = socket.as_os_str().as_bytes();
    // SAFETY: a zeroed sockaddr_un is valid; the path is copied within its bounds (checked).
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    if path.len() >= addr.sun_path.len() {
        return false;
    }
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (d, s) in addr.sun_path.iter_mut().zip(path) {
        *d = *s as libc::c_char;
    }
    // SAFETY: socket has no memory arguments; connect reads `addr`, valid for its size; the
    // descriptor is closed here, once.
    unsafe {
        let fd = libc::socket(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return false;
        }
        let size = std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
        let ok = libc::connect(fd, std::ptr::addr_of!(addr).cast(), size) == 0;
        libc::close(fd);
        ok
    }
}

pub fn succeeded(args: &[&str], out: Output) -> String {
    assert!(
        out.status.success(),
        "ust {args:?} failed ({}): {}",
        out.status,
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Asserts `out` failed with `code` and one line on stderr; returns that line.
pub fn failed(out: &Output, code: i32) -> String {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "not one line: {err:?}");
    assert!(out.stdout.is_empty(), "stdout: {}", text(&out.stdout));
    err.trim_end().to_string()
}

/// A `ctl_app lines` program registering with the daemon at `socket`.
pub struct LineApp {
    pub child: Child,
    stdin: std::process::ChildStdin,
    stdout: BufReader<std::process::ChildStdout>,
}

impl LineApp {
    pub fn start(exe: &Path, socket: &Path) -> LineApp {
        LineApp::start_command(
            Command::new(exe)
                .arg("lines")
                .env("UST_DAEMON_SOCKET", socket),
        )
    }

    /// Runs `command` (a `ctl_app lines`, possibly through a shell) as the program.
    pub fn start_command(command: &mut Command) -> LineApp {
        let mut child = command
            .env_remove("UST_TRACE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        LineApp {
            child,
            stdin,
            stdout,
        }
    }

    /// Has the program record `word`, once it answered.
    pub fn say(&mut self, word: &str) {
        writeln!(self.stdin, "{word}").unwrap();
        let mut answer = String::new();
        self.stdout.read_line(&mut answer).unwrap();
        assert_eq!(answer, "ok\n");
    }

    pub fn finish(self) {
        let LineApp {
            mut child, stdin, ..
        } = self;
        drop(stdin);
        assert!(child.wait().unwrap().success());
    }
}

/// Waits until `ust list` shows the program `pid` with its two tracepoints.
pub fn wait_registered(d: &Daemon, pid: u32) {
    let since = Instant::now();
    loop {
        let list = d.ok(&["list"]);
        let line = format!("  {pid} ctl_app ");
        if list
            .lines()
            .any(|l| l.starts_with(&line) && l.ends_with(": 2 tracepoints"))
        {
            return;
        }
        assert!(since.elapsed() < PATIENCE, "{pid} never registered: {list}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
