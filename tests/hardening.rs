//! The library against a hostile world (issue: hardening), daemonless: a trace directory
//! another user prepared (symbolic links to a root file, or not theirs at all), the umask,
//! setuid programs, exec() over a traced program, and buffers larger than memory. Each test
//! reproduces the attack or fault on a real program and checks nothing was clobbered or lost.

mod common;

use common::*;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

fn hello(dir: &Path) -> PathBuf {
    let exe = dir.join("hello");
    let src = example("hello");
    compile(
        &[src.join("hello.c"), src.join("hello-tp.c")],
        &exe,
        &["-I", src.to_str().unwrap()],
    );
    exe
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        eprintln!("skipped: needs root to play a second user");
    }
    root
}

/// Fills `dir` with links named like every file a trace has, all to `victim`.
fn plant_links(dir: &Path, victim: &Path) {
    for name in [
        ".ust-lock",
        ".metadata.tmp",
        "metadata",
        "channel0_0",
        "channel0_1",
    ] {
        symlink(victim, dir.join(name)).unwrap();
    }
}

fn chown(path: &Path, uid: u32) {
    std::os::unix::fs::lchown(path, Some(uid), Some(uid)).unwrap();
}

const NOBODY: u32 = 65534;

#[test]
fn a_directory_of_links_never_clobbers_the_files_they_point_to() {
    if !is_root() {
        return;
    }
    let dir = scratch("harden-links");
    let exe = hello(&dir);
    let victim = dir.join("victim");
    std::fs::write(&victim, "precious").unwrap();
    // Another user's world-writable directory: refused.
    let theirs = dir.join("theirs");
    std::fs::create_dir(&theirs).unwrap();
    plant_links(&theirs, &victim);
    chown(&theirs, NOBODY);
    std::fs::set_permissions(&theirs, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = run_traced(&exe, &["2"], &theirs, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("belongs to another user") && err.contains("tracing disabled"),
        "{err}"
    );
    // Ours but open to everyone without the sticky bit: refused too.
    let open = dir.join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = run_traced(&exe, &["2"], &open, &[]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("writable by other users"));
    // Ours, sticky like /tmp, with another user's links in it: traced, links replaced.
    let sticky = dir.join("sticky");
    std::fs::create_dir(&sticky).unwrap();
    std::fs::set_permissions(&sticky, std::fs::Permissions::from_mode(0o1777)).unwrap();
    plant_links(&sticky, &victim);
    let out = run_traced(&exe, &["2"], &sticky, &[]);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    for name in [".ust-lock", "metadata", "channel0_0"] {
        let meta = std::fs::symlink_metadata(sticky.join(name)).unwrap();
        assert!(meta.is_file(), "{name} is a file of its own");
    }
    let (events, _) = babeltrace(&sticky);
    assert_eq!(events.len(), 2);
}

#[test]
fn trace_files_are_private_whatever_the_umask() {
    let dir = scratch("harden-modes");
    let exe = hello(&dir);
    let trace = dir.join("t");
    let out = Command::new("sh")
        .args(["-c", "umask 0; exec \"$0\" 3"])
        .arg(&exe)
        .env("UST_TRACE", &trace)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(std::fs::metadata(&trace).unwrap().mode() & 0o777, 0o700);
    for entry in std::fs::read_dir(&trace).unwrap() {
        let meta = entry.unwrap().metadata().unwrap();
        assert_eq!(meta.mode() & 0o777, 0o600, "every file is 0600");
    }
    assert_eq!(babeltrace(&trace).0.len(), 3);
}

#[test]
fn a_setuid_program_ignores_every_ust_variable() {
    if !is_root() || Command::new("setpriv").arg("--version").output().is_err() {
        return;
    }
    let dir = scratch("harden-setuid");
    let exe = hello(&dir);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o4755)).unwrap();
    let target = dir.join("root-owned-trace");
    let bad = dir.join("never");
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&exe)
        .arg("2")
        .env("UST_TRACE", &target)
        .env("UST_NUM_SUBBUF", "3")
        .env("UST_DAEMON_SOCKET", &bad)
        .env("UST_REGISTER_TIMEOUT", "5000")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "not even a complaint about UST_NUM_SUBBUF"
    );
    assert!(!target.exists(), "no trace where the invoking user asked");
    // The same program run by root itself (not setuid) does read them.
    let out = run_traced(&exe, &["2"], &target, &[]);
    assert!(out.status.success());
    assert_eq!(babeltrace(&target).0.len(), 2);
}

#[test]
fn exec_keeps_the_trace_of_the_program_it_replaced() {
    let dir = scratch("harden-exec");
    let exe = dir.join("exec_self");
    let c = test_c("");
    compile(
        &[test_c("exec_self.c"), test_c("probe-tp.c")],
        &exe,
        &["-I", c.to_str().unwrap()],
    );
    let trace = dir.join("t");
    let out = run_traced(&exe, &[], &trace, &[]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "second done\n");
    let sibling = dir.join("t.1");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("holds the trace of the program this one replaced")
            && err.contains(sibling.to_str().unwrap()),
        "{err}"
    );
    let payloads =
        |t: &Path| -> Vec<String> { babeltrace(t).0.into_iter().map(|e| e.payload).collect() };
    let first: Vec<String> = (0..5)
        .map(|n| format!("{{ who = \"first\", n = {n} }}"))
        .collect();
    let second: Vec<String> = (0..3)
        .map(|n| format!("{{ who = \"second\", n = {n} }}"))
        .collect();
    assert_eq!(payloads(&trace), first, "the first program's trace is kept");
    assert_eq!(payloads(&sibling), second);
}

#[test]
fn buffers_larger_than_memory_are_refused_with_a_message() {
    let dir = scratch("harden-oom");
    let exe = hello(&dir);
    let trace = dir.join("t");
    let out = run_traced(
        &exe,
        &["2"],
        &trace,
        &[("UST_SUBBUF_SIZE", "256M"), ("UST_NUM_SUBBUF", "1024")],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sub-buffers of 256 MiB need") && err.contains("tracing disabled"),
        "{err}"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hello, world (2 events)\n"
    );
}

#[test]
fn a_full_disk_keeps_whole_packets_and_says_so() {
    if !is_root() {
        return;
    }
    let dir = scratch("harden-disk-full");
    let exe = dir.join("threads");
    let src = example("threads");
    compile(
        &[src.join("threads.c"), src.join("threads-tp.c")],
        &exe,
        &["-I", src.to_str().unwrap(), "-lpthread"],
    );
    let small = dir.join("small");
    std::fs::create_dir_all(&small).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(&small)
        .status()
        .unwrap();
    assert!(mounted.success());
    let trace = small.join("t");
    let out = Command::new(&exe)
        .args(["1", "100000"])
        .env("UST_TRACE", &trace)
        .env("UST_SUBBUF_SIZE", "64k")
        .env("UST_NUM_SUBBUF", "64")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let (events, _) = babeltrace(&trace);
    let _ = Command::new("umount").arg(&small).status();
    assert!(out.status.success());
    assert!(
        err.contains("No space left on device")
            && err.contains("events lost (counted as discarded)"),
        "{err}"
    );
    assert!(
        !events.is_empty() && events.len() < 100_000,
        "{} events kept",
        events.len()
    );
}
