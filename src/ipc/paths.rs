//! Where the daemon's socket lives: `UST_DAEMON_SOCKET`, else the per-user
//! `$XDG_RUNTIME_DIR/ust/daemon.sock` (or `/tmp/ust-<uid>/daemon.sock`
//! without XDG_RUNTIME_DIR), else the system-wide `/run/ust/daemon.sock`.
//! A setuid or setgid program reads no variable (see `config::secure`) and
//! looks only at its effective user's `/run/user/<euid>/ust/daemon.sock`
//! and the system socket.

use std::path::PathBuf;

/// The system-wide socket (group `tracing`, mode 0660).
pub const SYSTEM_SOCKET: &str = "/run/ust/daemon.sock";

/// The per-user socket of the current user.
pub fn user_socket() -> PathBuf {
    if crate::config::secure() {
        // SAFETY: geteuid has no preconditions.
        let euid = unsafe { libc::geteuid() };
        return PathBuf::from(format!("/run/user/{euid}/ust/daemon.sock"));
    }
    match crate::config::env_var("XDG_RUNTIME_DIR") {
        Some(dir) => PathBuf::from(dir).join("ust").join("daemon.sock"),
        None => {
            // SAFETY: getuid has no preconditions.
            let uid = unsafe { libc::getuid() };
            PathBuf::from(format!("/tmp/ust-{uid}")).join("daemon.sock")
        }
    }
}

/// The sockets a program tries, in order.
pub fn candidate_sockets() -> Vec<PathBuf> {
    match crate::config::env_var("UST_DAEMON_SOCKET") {
        Some(s) => vec![PathBuf::from(s)],
        None => vec![user_socket(), PathBuf::from(SYSTEM_SOCKET)],
    }
}
