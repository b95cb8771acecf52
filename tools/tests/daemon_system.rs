//! The system-wide daemon (`ust daemon --system`): its socket belongs to
//! group `tracing` with mode 0660; a user outside the group is refused, a
//! member of it is admitted. Needs root and setpriv (skipped otherwise); it
//! creates the `tracing` system group when the machine lacks it, as the
//! ust-tools package's postinst does.

mod common;
mod programs;

use programs::Scratch;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

/// The gid of group `tracing`, created if missing.
fn tracing_gid() -> u32 {
    let lookup = || {
        let out = Command::new("getent")
            .args(["group", "tracing"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .split(':')
            .nth(2)
            .and_then(|g| g.trim().parse().ok())
    };
    if let Some(gid) = lookup() {
        return gid;
    }
    let made = Command::new("groupadd")
        .args(["--system", "tracing"])
        .status()
        .unwrap();
    assert!(made.success(), "groupadd tracing");
    lookup().expect("group tracing exists")
}

fn start_daemon(exe: &Path, socket: &Path) -> Child {
    let child = Command::new(exe)
        .args(["daemon", "--system", "--socket"])
        .arg(socket)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !socket.exists() {
        assert!(
            Instant::now() < deadline,
            "the daemon did not create its socket"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

/// `ust list` run as user nobody, with `groups` as supplementary groups.
fn list_as_nobody(exe: &Path, socket: &Path, groups: &str) -> Output {
    Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534"])
        .arg(if groups.is_empty() {
            "--clear-groups".to_string()
        } else {
            format!("--groups={groups}")
        })
        .arg(exe)
        .args(["list", "--socket"])
        .arg(socket)
        .output()
        .unwrap()
}

#[test]
fn system_socket_admits_root_and_the_tracing_group_only() {
    // SAFETY: getuid has no preconditions.
    if unsafe { libc::getuid() } != 0 || Command::new("setpriv").arg("--version").output().is_err()
    {
        eprintln!("skipped: needs root and setpriv");
        return;
    }
    let gid = tracing_gid();
    let dir = Scratch::new("daemon-system");
    std::fs::set_permissions(&*dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let exe = dir.join("ust");
    assert!(Command::new("cp")
        .arg(env!("CARGO_BIN_EXE_ust"))
        .arg(&exe)
        .status()
        .unwrap()
        .success());
    let socket = dir.join("run").join("daemon.sock");
    let mut daemon = start_daemon(&exe, &socket);

    let meta = std::fs::metadata(&socket).unwrap();
    assert_eq!(meta.mode() & 0o777, 0o660, "socket mode");
    assert_eq!(meta.gid(), gid, "socket group");

    let outsider = list_as_nobody(&exe, &socket, "");
    assert_eq!(outsider.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&outsider.stderr).contains("permission denied"),
        "{outsider:?}"
    );

    let member = list_as_nobody(&exe, &socket, &gid.to_string());
    assert!(
        member.status.success(),
        "a member of tracing is admitted: {member:?}"
    );

    let root = Command::new(&exe)
        .args(["list", "--socket"])
        .arg(&socket)
        .output()
        .unwrap();
    assert!(root.status.success(), "root is admitted: {root:?}");

    // SAFETY: sends SIGTERM to the daemon child we started.
    unsafe { libc::kill(daemon.id() as i32, libc::SIGTERM) };
    assert!(daemon.wait().unwrap().success());
}
