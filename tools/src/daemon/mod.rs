//! `ust daemon`: the session daemon that instrumented programs register with
//! and the `ust` control commands talk to.

use clap::Args as ClapArgs;
use std::path::PathBuf;
use std::process::ExitCode;

/// Run the UST session daemon in the foreground (until SIGINT or SIGTERM).
#[derive(ClapArgs)]
pub struct Args {
    /// Socket to listen on (default: UST_DAEMON_SOCKET, else the per-user socket).
    #[arg(long)]
    pub socket: Option<PathBuf>,
    /// Serve the whole system: /run/ust/daemon.sock, group `tracing`, mode 0660.
    #[arg(long)]
    pub system: bool,
}

/// Runs the daemon until SIGINT or SIGTERM.
pub fn run(_args: Args) -> ExitCode {
    ExitCode::FAILURE
}
