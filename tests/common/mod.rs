//! Shared helpers of the integration tests: compile C programs against
//! `include/` and the freshly built libust, run them traced, and read the
//! trace back with babeltrace2 and with a small packet-header scanner.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A directory holding this build's libust.so and its libust.so.1 link.
/// `cargo test` leaves the freshly built cdylib in target/<profile>/deps,
/// so it is copied, once per test binary, to target/<profile>/test-lib.
pub fn lib_dir() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        let deps = exe.parent().unwrap();
        let built = deps.join("libust.so");
        assert!(built.exists(), "libust.so not built in {}", deps.display());
        let dir = deps.parent().unwrap().join("test-lib");
        std::fs::create_dir_all(&dir).unwrap();
        let tmp = dir.join(format!(".libust.so.{}", std::process::id()));
        std::fs::copy(&built, &tmp).unwrap();
        std::fs::rename(&tmp, dir.join("libust.so")).unwrap();
        let link = dir.join("libust.so.1");
        if std::fs::symlink_metadata(&link).is_err() {
            std::os::unix::fs::symlink("libust.so", &link).unwrap();
        }
        dir
    })
    .clone()
}

/// A fresh, empty scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = root().join("target").join("test-scratch").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs a command, panicking with its output if it fails.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Compiles C sources into `out` with -Wall -Wextra -Werror, against
/// include/ and libust (rpath set, so no LD_LIBRARY_PATH is needed);
/// `-nolibust` in `extra` leaves libust out (no -L, rpath or -lust).
pub fn compile(sources: &[PathBuf], out: &Path, extra: &[&str]) {
    build(&["cc"], sources, out, extra);
}

/// `compile`, the sources compiled as C++11 by g++.
pub fn compile_cxx(sources: &[PathBuf], out: &Path, extra: &[&str]) {
    build(&["g++", "-x", "c++", "-std=c++11"], sources, out, extra);
}

/// Runs the compiler `driver` (its command and first arguments) as `compile` describes.
fn build(driver: &[&str], sources: &[PathBuf], out: &Path, extra: &[&str]) {
    let lib = lib_dir();
    let mut cmd = Command::new(driver[0]);
    cmd.args(&driver[1..])
        .args(["-O2", "-g", "-Wall", "-Wextra", "-Werror"])
        .arg("-I")
        .arg(root().join("include"))
        .args(sources)
        .arg("-o")
        .arg(out)
        .args(extra.iter().filter(|a| **a != "-nolibust"));
    if !extra.contains(&"-nolibust") {
        cmd.arg(format!("-L{}", lib.display()))
            .arg(format!("-Wl,-rpath,{}", lib.display()))
            .arg("-lust");
    }
    run_ok(&mut cmd);
}

/// The path of a file of c-examples/.
pub fn example(rel: &str) -> PathBuf {
    root().join("c-examples").join(rel)
}

/// The path of a file of tests/c/.
pub fn test_c(rel: &str) -> PathBuf {
    root().join("tests").join("c").join(rel)
}

/// Runs `program` with `UST_TRACE=trace` plus `env`; returns its output.
pub fn run_traced(program: &Path, args: &[&str], trace: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(args).env("UST_TRACE", trace);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_ok(&mut cmd)
}

/// One event line of babeltrace2's default output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub name: String,
    pub cpu: Option<u32>,
    /// The payload group, e.g. `{ count = 0, who = "world" }`.
    pub payload: String,
    /// The line as printed.
    pub line: String,
}

/// Parses the default babeltrace2 text line of an event.
pub fn parse_line(line: &str) -> Event {
    let after_host = line.split_once(") ").map(|x| x.1).unwrap_or(line);
    let after_host = after_host
        .split_once(' ')
        .map(|x| x.1)
        .unwrap_or(after_host);
    let (name, rest) = after_host.split_once(": ").unwrap_or((after_host, ""));
    let (cpu, payload) = match rest.strip_prefix("{ cpu_id = ") {
        Some(r) => {
            let (n, p) = r.split_once(" }").unwrap();
            (n.parse().ok(), p.trim_start_matches(", ").to_string())
        }
        None => (None, rest.to_string()),
    };
    Event {
        name: name.to_string(),
        cpu,
        payload,
        line: line.to_string(),
    }
}

/// Reads a trace with babeltrace2; returns the events and stderr.
pub fn babeltrace(trace: &Path) -> (Vec<Event>, String) {
    let out = run_ok(Command::new("babeltrace2").arg(trace).env("TZ", "UTC"));
    let text = String::from_utf8(out.stdout).unwrap();
    (
        text.lines().map(parse_line).collect(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Per-packet facts read straight from a stream file's packet contexts.
#[derive(Debug, Clone, Copy)]
pub struct Packet {
    pub ts_begin: u64,
    pub ts_end: u64,
    pub content_bits: u64,
    pub seq: u64,
    pub discarded: u64,
    pub cpu: u32,
}

/// Scans the packets of every `channel0_*` stream file of a UST trace.
pub fn packets(trace: &Path) -> Vec<Vec<Packet>> {
    let mut streams = Vec::new();
    for entry in std::fs::read_dir(trace).unwrap() {
        let path = entry.unwrap().path();
        if !path
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("channel0_")
        {
            continue;
        }
        let data = std::fs::read(&path).unwrap();
        let mut at = 0;
        let mut list = Vec::new();
        let u64_at = |o: usize| u64::from_le_bytes(data[o..o + 8].try_into().unwrap());
        while at < data.len() {
            assert_eq!(
                &data[at..at + 4],
                &0xC1FC1FC1u32.to_le_bytes(),
                "packet magic"
            );
            let size = (u64_at(at + 56) / 8) as usize;
            list.push(Packet {
                ts_begin: u64_at(at + 32),
                ts_end: u64_at(at + 40),
                content_bits: u64_at(at + 48),
                seq: u64_at(at + 64),
                discarded: u64_at(at + 72),
                cpu: u32::from_le_bytes(data[at + 80..at + 84].try_into().unwrap()),
            });
            at += size;
        }
        streams.push(list);
    }
    streams
}

/// Events discarded in a trace: the last packet's cumulative count, summed over streams.
pub fn discarded(trace: &Path) -> u64 {
    packets(trace)
        .iter()
        .filter_map(|s| s.last())
        .map(|p| p.discarded)
        .sum()
}

/// Whether the files of a trace directory exist.
pub fn has_trace(dir: &Path) -> bool {
    dir.join("metadata").exists()
}

/// Whether LTTng's tools are installed; if so, makes sure a session daemon
/// answers (starting one, as root, when none does). `false` means skip.
pub fn lttng_ready() -> bool {
    let ok = |args: &[&str]| {
        Command::new("lttng")
            .args(args)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    if Command::new("lttng").arg("--version").output().is_err() {
        eprintln!("skipped: the lttng command is not installed");
        return false;
    }
    if !ok(&["list"]) {
        run_ok(Command::new("lttng-sessiond").args(["--daemonize", "--no-kernel"]));
    }
    assert!(ok(&["list"]), "lttng-sessiond does not answer");
    true
}

/// Runs `lttng ARGS`, panicking on failure.
pub fn lttng(args: &[&str]) {
    run_ok(Command::new("lttng").args(args));
}

/// The CTF trace directory of an LTTng per-UID userspace session output.
pub fn lttng_ust_trace(output: &Path) -> PathBuf {
    let uid = current_uid();
    output
        .join("ust")
        .join("uid")
        .join(uid.to_string())
        .join("64-bit")
}

fn current_uid() -> u32 {
    let out = run_ok(Command::new("id").arg("-u"));
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}
