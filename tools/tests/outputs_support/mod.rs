//! What the snapshot, rotation and relay-session tests share: programs recording a known
//! sequence (ctl_app), babeltrace2's reading of a trace turned into events, bounded waits.
#![allow(dead_code)]

use crate::cli_daemon::{Daemon, PATIENCE};
use crate::common::{babeltrace, text, ust};
use crate::programs::ctl_app;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One event as babeltrace2 printed it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Event {
    pub vpid: u32,
    pub cpu: u32,
    /// `ctl_app:info` or `ctl_app:debug`.
    pub name: String,
    pub n: u64,
    pub text: Option<String>,
}

impl Event {
    /// Where the event comes in its program's sequence: info 0, debug 0, info 1, …
    pub fn position(&self) -> u64 {
        2 * self.n + u64::from(self.name == "ctl_app:debug")
    }
}

/// babeltrace2's events of `dirs` (which it must read without error), and its stderr.
pub fn read(dirs: &[&Path]) -> (Vec<Event>, String) {
    let out = babeltrace(dirs).expect("babeltrace2 is installed (scripts/setup.sh)");
    let err = text(&out.stderr);
    assert!(out.status.success(), "babeltrace2 {dirs:?}: {err}");
    let events = text(&out.stdout).lines().map(parse).collect();
    (events, err)
}

/// The events of one babeltrace2 line of a ctl_app trace.
fn parse(line: &str) -> Event {
    let field = |key: &str| {
        let at = line.find(key).unwrap_or_else(|| panic!("{key} in {line}")) + key.len();
        line[at..]
            .split([',', ' ', '}'])
            .next()
            .unwrap()
            .to_string()
    };
    let name = line
        .split(' ')
        .find(|w| w.starts_with("ctl_app:"))
        .unwrap_or_else(|| panic!("not a ctl_app event: {line}"))
        .trim_end_matches(':')
        .to_string();
    let text = line
        .find("text = \"")
        .map(|at| line[at + 8..].split('"').next().unwrap().to_string());
    Event {
        vpid: field("vpid = ").parse().unwrap(),
        cpu: field("cpu_id = ").parse().unwrap(),
        name,
        n: field(" n = ").parse().unwrap(),
        text,
    }
}

/// How many events `ust view` prints for `dir` (it must read it without error).
pub fn view_count(dir: &Path) -> usize {
    let out = ust().arg("view").arg(dir).output().unwrap();
    assert!(
        out.status.success(),
        "ust view {}: {}",
        dir.display(),
        text(&out.stderr)
    );
    text(&out.stdout).lines().count()
}

/// `ctl_app pause N` (N events of each kind, then waiting for a signal), registered with
/// `d`, pinned to `cpu` when given; killed when dropped.
pub struct Paused {
    pub child: Child,
}

impl Paused {
    pub fn start(d: &Daemon, n: u64, cpu: Option<u32>) -> Paused {
        let mut cmd = match cpu {
            Some(c) => {
                let mut t = Command::new("taskset");
                t.args(["-c", &c.to_string()]).arg(ctl_app());
                t
            }
            None => Command::new(ctl_app()),
        };
        let mut child = cmd
            .args(["pause", &n.to_string()])
            .env("UST_DAEMON_SOCKET", &d.socket)
            .env("UST_REGISTER_TIMEOUT", "10000")
            .env_remove("UST_TRACE")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line, "ready\n");
        Paused { child }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `ctl_app events N` registered with `d` to its end.
pub fn record(d: &Daemon, n: u64) {
    let ok = Command::new(ctl_app())
        .args(["events", &n.to_string()])
        .env("UST_DAEMON_SOCKET", &d.socket)
        .env("UST_REGISTER_TIMEOUT", "10000")
        .env_remove("UST_TRACE")
        .status()
        .unwrap();
    assert!(ok.success());
}

/// Waits (bounded) until `ust status SESSION` satisfies `ready`; returns it.
pub fn wait_status(d: &Daemon, session: &str, ready: impl Fn(&str) -> bool) -> String {
    let since = Instant::now();
    loop {
        let status = d.ok(&["status", session]);
        if ready(&status) {
            return status;
        }
        assert!(since.elapsed() < PATIENCE, "never came: {status}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The number after `label` in `text` (`events:     12` → 12).
pub fn number(text: &str, label: &str) -> u64 {
    let at = text
        .find(label)
        .unwrap_or_else(|| panic!("{label} in {text}"))
        + label.len();
    text[at..]
        .trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("a number after {label} in {text}"))
}

/// The directory a `ust snapshot` or `ust rotate` line names (`… written to DIR: …`,
/// `… archived in DIR: …`).
pub fn named_dir(line: &str) -> PathBuf {
    let after = line
        .split(" to ")
        .nth(1)
        .or_else(|| line.split(" in ").nth(1))
        .unwrap_or_else(|| panic!("no directory in {line}"));
    PathBuf::from(after.split(": ").next().unwrap())
}

/// Entries of `dir`, sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Bytes of the files in `dir`.
pub fn size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum()
}
