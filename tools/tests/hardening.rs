//! The `ust` command and its daemon against other users (issue: hardening): a session
//! directory prepared by someone else, sockets and runtime directories planted where the
//! victim's daemon is expected, and one user filling the daemon with sessions. Each test
//! plays the attack with real processes (a second user through `setpriv`) and checks the
//! victim is refused with a clear message, or protected, and nothing was clobbered.

mod cli_daemon;
mod common;
mod programs;
use cli_daemon::{failed, Daemon};
use common::text;
use programs::Scratch;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const NOBODY: u32 = 65534;
/// A user with no account (the victim of the runtime-directory attack).
const VICTIM: u32 = 12345;

fn can_switch_users() -> bool {
    // SAFETY: geteuid has no preconditions.
    let ok = unsafe { libc::geteuid() } == 0
        && Command::new("setpriv").arg("--version").output().is_ok();
    if !ok {
        eprintln!("skipped: needs root and setpriv to play a second user");
    }
    ok
}

/// `ust ARGS` as user `uid` (a copy of the binary any user can run), with `env`.
fn ust_as(uid: u32, exe: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new("setpriv");
    cmd.arg(format!("--reuid={uid}"))
        .arg(format!("--regid={uid}"))
        .arg("--clear-groups")
        .arg(exe)
        .args(args)
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("UST_DAEMON_SOCKET");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// A copy of `ust` in a directory every user can enter.
fn public_ust(dir: &Path) -> PathBuf {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let exe = dir.join("ust");
    let copied = Command::new("cp")
        .arg(env!("CARGO_BIN_EXE_ust"))
        .arg(&exe)
        .status()
        .unwrap();
    assert!(copied.success());
    exe
}

/// A child process killed when dropped (even when the test fails).
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_session_directory_of_another_user_full_of_links_is_refused() {
    if !can_switch_users() {
        return;
    }
    let dir = Scratch::new("harden-session-dir");
    let d = Daemon::start(&dir);
    let victim = dir.join("victim");
    std::fs::write(&victim, "precious").unwrap();
    let trap = dir.join("trap");
    std::fs::create_dir(&trap).unwrap();
    for name in [".metadata.tmp", "metadata", "ctl_app-1_0"] {
        symlink(&victim, trap.join(name)).unwrap();
    }
    std::os::unix::fs::lchown(&trap, Some(NOBODY), Some(NOBODY)).unwrap();
    std::fs::set_permissions(&trap, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = d.ctl(&["create", "s", "-o", trap.to_str().unwrap()]);
    let line = failed(&out, 1);
    assert!(line.contains("belongs to another user"), "{line}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    let mine = dir.join("mine");
    d.ok(&["create", "s", "-o", mine.to_str().unwrap()]);
    let again = d.ctl(&["create", "s2", "-o", mine.to_str().unwrap()]);
    assert_eq!(
        failed(&again, 1),
        format!(
            "ust: {} is the trace directory of your session \"s\"",
            mine.display()
        )
    );
}

#[test]
fn a_planted_socket_or_runtime_directory_is_not_trusted() {
    if !can_switch_users() {
        return;
    }
    let dir = Scratch::new("harden-socket");
    let exe = public_ust(&dir);
    // Without XDG_RUNTIME_DIR the victim's daemon lives in /tmp/ust-<uid>/: the attacker
    // makes that directory first, with their own daemon in it.
    let runtime = PathBuf::from(format!("/tmp/ust-{VICTIM}"));
    let _ = std::fs::remove_dir_all(&runtime);
    let planted = runtime.join("daemon.sock");
    std::fs::create_dir(&runtime).unwrap();
    std::os::unix::fs::lchown(&runtime, Some(NOBODY), Some(NOBODY)).unwrap();
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o755)).unwrap();
    let _attacker = Killed(
        ust_as(
            NOBODY,
            &exe,
            &["daemon", "--socket", planted.to_str().unwrap()],
            &[],
        )
        .spawn()
        .unwrap(),
    );
    let since = Instant::now();
    while !ust_as(
        NOBODY,
        &exe,
        &["list", "--socket", planted.to_str().unwrap()],
        &[],
    )
    .output()
    .unwrap()
    .status
    .success()
    {
        assert!(
            since.elapsed() < Duration::from_secs(60),
            "the planted daemon never answered"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The socket is opened to everyone, to lure the victim.
    std::fs::set_permissions(&planted, std::fs::Permissions::from_mode(0o666)).unwrap();
    let victim = |args: &[&str]| -> Output { ust_as(VICTIM, &exe, args, &[]).output().unwrap() };
    let refused = failed(&victim(&["create", "s", "-o", "/tmp/never"]), 1);
    assert_eq!(
        refused,
        format!(
            "ust: the daemon at {} runs as user {NOBODY}, not as you or root: not talking to it",
            planted.display()
        )
    );
    let daemon = victim(&["daemon"]);
    assert!(!daemon.status.success());
    let err = text(&daemon.stderr);
    assert!(
        err.contains(&format!(
            "{} is not a private directory of yours",
            runtime.display()
        )),
        "{err}"
    );
    std::fs::remove_dir_all(&runtime).unwrap();
}

#[test]
fn one_user_cannot_take_every_session() {
    let dir = Scratch::new("harden-quota");
    let d = Daemon::start(&dir);
    let name = |i: usize| format!("s{i}");
    for i in 0..64 {
        let out = dir.join(name(i));
        d.ok(&["create", &name(i), "-o", out.to_str().unwrap()]);
    }
    let out = dir.join("one-more");
    let refused = failed(
        &d.ctl(&["create", "one-more", "-o", out.to_str().unwrap()]),
        1,
    );
    let user = text(&Command::new("id").arg("-un").output().unwrap().stdout);
    assert_eq!(
        refused,
        format!(
            "ust: too many sessions for user {} (limit 64): destroy one first",
            user.trim()
        )
    );
    d.ok(&["destroy", "s0"]);
    d.ok(&["create", "one-more", "-o", out.to_str().unwrap()]);
}

/// A tmpfs of `size` mounted at `dir` (unmounted when dropped).
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(dir: &Path, size: &str) -> SmallDisk {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .unwrap();
        assert!(ok.success(), "mount tmpfs");
        SmallDisk(dir.to_path_buf())
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_keeps_whole_packets_and_says_how_many_events_it_lost() {
    if !can_switch_users() {
        return;
    }
    let dir = Scratch::new("harden-disk-full");
    let disk = SmallDisk::mount(&dir.join("small"), "64k");
    let d = Daemon::start(&dir);
    let t = disk.0.join("t");
    d.ok(&[
        "create",
        "s",
        "-o",
        t.to_str().unwrap(),
        "--subbuf-size",
        "64k",
        "--num-subbuf",
        "64",
    ]);
    d.ok(&["enable", "s", "ctl_app:*"]);
    d.ok(&["start", "s"]);
    let n = 20_000;
    let run = Command::new(programs::ctl_app())
        .args(["events", &n.to_string()])
        .env("UST_DAEMON_SOCKET", &d.socket)
        .env("UST_REGISTER_TIMEOUT", "10000")
        .status()
        .unwrap();
    assert!(run.success());
    let stopped = d.ok(&["stop", "s"]);
    assert!(
        stopped.contains("problem: No space left on device")
            && stopped.contains("events lost (counted as discarded)"),
        "{stopped}"
    );
    // What the daemon says it wrote and lost accounts for every event...
    let numbers: Vec<u64> = stopped
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .take(2)
        .collect();
    let (written, lost) = (numbers[0], numbers[1]);
    assert_eq!(written + lost, 2 * n as u64, "{stopped}");
    assert!(written > 0 && lost > 0, "{stopped}");
    // ... and what it wrote is whole packets that babeltrace2 reads to the end.
    let Some(out) = common::babeltrace(&[&t]) else {
        return;
    };
    assert!(
        out.status.success(),
        "babeltrace2 reads every packet: {}",
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout).lines().count() as u64, written);
}
