//! Session control against a running daemon: `ust create`, `enable-channel`, `enable`,
//! `disable`, `start`, `stop`, `destroy`, `status` and `list`. Each sends one request (`client`) and prints the
//! answer (`show`); a failure is one line on stderr and exit code 1.

pub mod client;
pub mod options;
pub mod show;

use client::{Client, Failure};
use options::{Buffers, ChannelBuffers, Target};
use std::path::PathBuf;
use std::process::ExitCode;
use ust::ipc::proto::{ChannelConfig, Ctl, Message, SessionInfo};

/// The session-control subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Create a tracing session (its events are enabled with `ust enable`, recorded once
    /// started with `ust start`).
    Create(CreateArgs),
    /// Add a channel to a session (before it starts): its own per-CPU buffers and stream
    /// files, so a flood of events in one channel cannot push out those of another.
    EnableChannel(EnableChannelArgs),
    /// Enable the events whose names match GLOBs in a session, in every registered program
    /// and in programs that register later.
    Enable(EnableArgs),
    /// Disable events of a session (the same GLOBs as given to `ust enable`).
    Disable(DisableArgs),
    /// Start recording: the enabled events of every registered program go to the trace.
    Start(SessionArgs),
    /// Stop recording; returns once every event recorded so far is on disk.
    Stop(SessionArgs),
    /// Stop a session if needed and forget it (its trace stays on disk).
    Destroy(SessionArgs),
    /// Show a session: state, output, programs, events recorded and discarded, bytes written.
    Status(SessionArgs),
    /// List the sessions and the registered programs with their tracepoints.
    List(ListArgs),
}

#[derive(clap::Args, Debug)]
pub struct CreateArgs {
    /// Session name (letters, digits, `-`, `_`, `.`).
    #[arg(value_parser = options::session_name)]
    pub session: String,
    /// Trace directory [default: ./SESSION-YYYYMMDD-HHMMSS].
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub buffers: Buffers,
    #[command(flatten)]
    pub target: Target,
}

#[derive(clap::Args, Debug)]
pub struct EnableChannelArgs {
    /// Session name.
    #[arg(value_parser = options::session_name)]
    pub session: String,
    /// Channel name (letters, digits, `-`, `_`, `.`).
    #[arg(value_parser = options::channel_name)]
    pub channel: String,
    #[command(flatten)]
    pub buffers: ChannelBuffers,
    #[command(flatten)]
    pub target: Target,
}

#[derive(clap::Args, Debug)]
pub struct EnableArgs {
    /// Session name.
    #[arg(value_parser = options::session_name)]
    pub session: String,
    /// Event-name patterns such as `hello:*` (`*` any run, `?` one character).
    #[arg(required = true, value_name = "GLOB", value_parser = options::event_glob)]
    pub globs: Vec<String>,
    /// Only events at LEVEL or more severe: 0..14 or a name (EMERG, ALERT, CRIT, ERR,
    /// WARNING, NOTICE, INFO, DEBUG_SYSTEM, …, DEBUG_LINE, DEBUG).
    #[arg(long, value_name = "LEVEL", value_parser = ust::config::parse_loglevel)]
    pub loglevel: Option<i32>,
    /// Record into this channel [default: channel0, the session's own].
    #[arg(short, long, value_name = "CHANNEL", value_parser = options::channel_name)]
    pub channel: Option<String>,
    /// Record only the events for which EXPR is true (LTTng's filter language, e.g.
    /// 'duration_ns > 10000000 && table == "orders*"').
    #[arg(short, long, value_name = "EXPR")]
    pub filter: Option<String>,
    #[command(flatten)]
    pub target: Target,
}

#[derive(clap::Args, Debug)]
pub struct DisableArgs {
    /// Session name.
    #[arg(value_parser = options::session_name)]
    pub session: String,
    /// Event-name patterns, as given to `ust enable`.
    #[arg(required = true, value_name = "GLOB", value_parser = options::event_glob)]
    pub globs: Vec<String>,
    /// The channel the patterns were enabled in [default: channel0].
    #[arg(short, long, value_name = "CHANNEL", value_parser = options::channel_name)]
    pub channel: Option<String>,
    #[command(flatten)]
    pub target: Target,
}

#[derive(clap::Args, Debug)]
pub struct SessionArgs {
    /// Session name.
    #[arg(value_parser = options::session_name)]
    pub session: String,
    #[command(flatten)]
    pub target: Target,
}

#[derive(clap::Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    pub target: Target,
}

/// Runs one session-control command.
pub fn run(command: Command) -> ExitCode {
    match execute(command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => fail(&f),
    }
}

/// Prints a failure as one line; exit code 1.
pub fn fail(f: &Failure) -> ExitCode {
    eprintln!("ust: {f}");
    ExitCode::from(1)
}

fn execute(command: Command) -> Result<(), Failure> {
    match command {
        Command::Create(a) => create(a),
        Command::EnableChannel(a) => enable_channel(a),
        Command::Enable(a) => enable(a),
        Command::Disable(a) => disable(a),
        Command::Start(a) => simple(a, |session| Ctl::Start { session }, "started"),
        Command::Stop(a) => stop(a),
        Command::Destroy(a) => simple(a, |session| Ctl::Destroy { session }, "destroyed"),
        Command::Status(a) => {
            let mut client = Client::connect(a.target.socket.as_deref())?;
            print!("{}", show::status(&status(&mut client, &a.session)?));
            Ok(())
        }
        Command::List(a) => list(a),
    }
}

fn create(a: CreateArgs) -> Result<(), Failure> {
    let output = options::output_dir(a.output, &a.session)?;
    let mut client = Client::connect(a.target.socket.as_deref())?;
    client.request(create_request(&a.session, &output, &a.buffers))?;
    println!(
        "session \"{}\" created: trace in {}",
        a.session,
        output.display()
    );
    Ok(())
}

fn enable_channel(a: EnableChannelArgs) -> Result<(), Failure> {
    let mut client = Client::connect(a.target.socket.as_deref())?;
    client.request(Ctl::EnableChannel(ChannelConfig {
        session: a.session.clone(),
        name: a.channel.clone(),
        subbuf_size: a.buffers.subbuf_size.unwrap_or(0),
        num_subbuf: a.buffers.num_subbuf.unwrap_or(0),
        overwrite: a.buffers.overwrite,
        blocking_timeout_us: a.buffers.blocking_timeout,
    }))?;
    println!("session \"{}\": channel {} added", a.session, a.channel);
    Ok(())
}

fn enable(a: EnableArgs) -> Result<(), Failure> {
    if let Some(f) = &a.filter {
        check_filter(f)?;
    }
    let mut client = Client::connect(a.target.socket.as_deref())?;
    let mut what = show::patterns(&a.globs, a.loglevel);
    if let Some(c) = &a.channel {
        what = format!("{what} in channel {c}");
    }
    if let Some(f) = &a.filter {
        what = format!("{what} where {f}");
    }
    client.request(enable_request(
        &a.session,
        a.globs,
        a.loglevel,
        a.channel.unwrap_or_default(),
        a.filter.unwrap_or_default(),
    ))?;
    println!("session \"{}\": enabled {what}", a.session);
    Ok(())
}

fn disable(a: DisableArgs) -> Result<(), Failure> {
    let mut client = Client::connect(a.target.socket.as_deref())?;
    let what = show::patterns(&a.globs, None);
    client.request(Ctl::Disable {
        session: a.session.clone(),
        channel: a.channel.unwrap_or_default(),
        globs: a.globs,
    })?;
    println!("session \"{}\": disabled {what}", a.session);
    Ok(())
}

/// A request that names only the session, acknowledged with one line.
fn simple(a: SessionArgs, ctl: fn(String) -> Ctl, done: &str) -> Result<(), Failure> {
    let mut client = Client::connect(a.target.socket.as_deref())?;
    client.request(ctl(a.session.clone()))?;
    println!("session \"{}\" {done}", a.session);
    Ok(())
}

fn stop(a: SessionArgs) -> Result<(), Failure> {
    let mut client = Client::connect(a.target.socket.as_deref())?;
    client.request(Ctl::Stop {
        session: a.session.clone(),
    })?;
    match status(&mut client, &a.session) {
        Ok(info) => println!("{}", show::stopped(&info)),
        Err(_) => println!("session \"{}\" stopped", a.session),
    }
    Ok(())
}

fn list(a: ListArgs) -> Result<(), Failure> {
    let mut client = Client::connect(a.target.socket.as_deref())?;
    match client.request(Ctl::List)? {
        Message::List { sessions, apps } => {
            print!("{}", show::list(&sessions, &apps));
            Ok(())
        }
        other => Err(unexpected(&other)),
    }
}

/// The `create` request for a session writing to `output` (absolute).
pub fn create_request(session: &str, output: &std::path::Path, b: &Buffers) -> Ctl {
    Ctl::Create(ust::ipc::proto::CreateSession {
        name: session.to_string(),
        output: output.to_string_lossy().into_owned(),
        subbuf_size: b.subbuf_size,
        num_subbuf: b.num_subbuf,
        overwrite: b.overwrite,
        blocking_timeout_us: b.blocking_timeout,
    })
}

/// Refuses a filter expression before anything is sent: one line naming the column.
pub fn check_filter(expr: &str) -> Result<(), Failure> {
    ust_filter::Filter::parse(expr)
        .map(drop)
        .map_err(|e| Failure(format!("filter: {e}")))
}

/// The `enable` request (empty channel: the default one; empty filter: none).
pub fn enable_request(
    session: &str,
    globs: Vec<String>,
    loglevel: Option<i32>,
    channel: String,
    filter: String,
) -> Ctl {
    Ctl::Enable {
        session: session.to_string(),
        channel,
        loglevel,
        globs,
        filter,
    }
}

/// A session's counters and state.
pub fn status(client: &mut Client, session: &str) -> Result<SessionInfo, Failure> {
    match client.request(Ctl::Status {
        session: session.to_string(),
    })? {
        Message::SessionInfo(info) => Ok(info),
        other => Err(unexpected(&other)),
    }
}

fn unexpected(m: &Message) -> Failure {
    Failure(format!("unexpected answer from the daemon: {m:?}"))
}
