//! `ust`: the UST command-line tool.
//!
//! One module per subcommand; each exposes an `Args` struct (clap derive) and a `run`
//! function returning the process exit code: 0 success, 1 error, 2 usage (clap's own).

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod ctl;
mod daemon;
mod gen_tp;
mod kernel;
mod live;
mod localtime;
mod relay;
mod relayd;
mod timespec;
mod tls;
mod trace;
mod view;
mod view_filter;

/// UST userspace tracer: record, control and read CTF traces.
#[derive(Parser)]
#[command(name = "ust", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    View(view::Args),
    #[command(flatten)]
    Ctl(ctl::Command),
    Daemon(daemon::Args),
    Trace(trace::Args),
    GenTp(gen_tp::Args),
    Relay(relay::Args),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::View(args) => view::run(args),
        Command::Ctl(command) => ctl::run(command),
        Command::Daemon(args) => daemon::run(args),
        Command::Trace(args) => trace::run(args),
        Command::GenTp(args) => gen_tp::run(args),
        Command::Relay(args) => relay::run(args),
    }
}
