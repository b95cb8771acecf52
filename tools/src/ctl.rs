//! Session control against a running daemon: `ust create`, `enable-channel`, `enable`,
//! `disable`, `start`, `stop`, `destroy`, `status`, `list`, the outputs: `snapshot`,
//! `rotate`, `enable-rotation`, `disable-rotation`, and `enable-kernel`. Each sends one
//! request (`client`) and prints the answer (`show`); a failure is one line on stderr and
//! exit code 1.

pub mod client;
pub mod options;
pub mod show;

use client::{Client, Failure};
use options::{Buffers, ChannelBuffers, Target};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use ust::ipc::proto::{
    ChannelConfig, Ctl, Message, SessionInfo, SnapshotRequest, Trigger, Written,
};

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
    /// Write what a flight recorder's buffers hold now (a session made with `ust create
    /// --snapshot`) as a complete trace, in a new directory snapshot-N-YYYYMMDD-HHMMSS; or,
    /// with --on-event, have the daemon take one whenever a matching event is recorded.
    Snapshot(SnapshotArgs),
    /// Close the current chunk of a session's trace, moved whole to
    /// OUTPUT/archives/BEGIN-END-N (every event recorded until now in it), and go on in the
    /// next one.
    Rotate(SessionArgs),
    /// Rotate a session's trace by itself, whenever its current chunk reaches a size or an
    /// age.
    EnableRotation(EnableRotationArgs),
    /// Stop rotating a session's trace by itself.
    DisableRotation(SessionArgs),
    /// Record kernel events of the whole machine beside a session's userspace trace (before
    /// it first starts): OUTPUT/kernel, an LTTng kernel trace, and the userspace trace in
    /// OUTPUT/ust. Needs a daemon on CLOCK_MONOTONIC (`ust daemon --clock monotonic`) with
    /// the privileges to open tracepoints (root, or CAP_PERFMON with tracefs readable).
    EnableKernel(EnableKernelArgs),
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
    /// Flight recorder: record into memory only (overwrite mode), nothing written until
    /// `ust snapshot` writes what the buffers hold.
    #[arg(long, conflicts_with = "relay")]
    pub snapshot: bool,
    /// Stream the trace to a relay instead of writing it here: net://HOST[:CTRL[:DATA]] for
    /// lttng-relayd (ports 5342 and 5343 by default), tls://HOST[:CTRL[:DATA]] for
    /// `ust relay` (5352 and 5353).
    #[arg(long, value_name = "URL", value_parser = options::relay_url, conflicts_with = "output")]
    pub relay: Option<String>,
    /// Key directory of a tls:// relay: ca.pem, daemon.pem and daemon.key (see
    /// `ust relay --help`).
    #[arg(long, value_name = "DIR", requires = "relay")]
    pub keys: Option<PathBuf>,
    /// How often live viewers of a relay session see new data, in µs (0: not a live
    /// session).
    #[arg(long, value_name = "US", default_value_t = 1_000_000)]
    pub live_timer: u32,
    #[command(flatten)]
    pub target: Target,
}

#[derive(clap::Args, Debug)]
pub struct SnapshotArgs {
    /// Session name (a flight recorder).
    #[arg(value_parser = options::session_name)]
    pub session: String,
    /// Make the snapshot's directory in DIR [default: the session's trace directory].
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Write at most SIZE bytes (k/M/G suffix): the newest packets of all programs that fit.
    #[arg(long, value_name = "SIZE", value_parser = options::size)]
    pub max_size: Option<u64>,
    /// Take no snapshot now: from now on, the daemon takes one whenever an event whose name
    /// matches GLOB is recorded (replacing the session's trigger, if any).
    #[arg(long, value_name = "GLOB", value_parser = options::event_glob)]
    pub on_event: Option<String>,
    /// With --on-event: only when EXPR is true of the event's payload (LTTng's filter
    /// language, e.g. 'code >= 500 && path == "/api/*"').
    #[arg(long, value_name = "EXPR", requires = "on_event")]
    pub filter: Option<String>,
    /// With --on-event: at most one snapshot per DURATION (us, ms, s, m or h).
    #[arg(long, value_name = "DURATION", value_parser = options::duration,
          default_value = "1s", requires = "on_event")]
    pub min_interval: Duration,
    /// Remove the session's trigger (set with --on-event).
    #[arg(long, conflicts_with_all = ["on_event", "output", "max_size"])]
    pub remove_trigger: bool,
    #[command(flatten)]
    pub target: Target,
}

#[derive(clap::Args, Debug)]
#[command(group = clap::ArgGroup::new("when").required(true).multiple(true).args(["size", "timer"]))]
pub struct EnableRotationArgs {
    /// Session name.
    #[arg(value_parser = options::session_name)]
    pub session: String,
    /// Rotate once the current chunk holds SIZE bytes (k/M/G suffix).
    #[arg(long, value_name = "SIZE", value_parser = options::size)]
    pub size: Option<u64>,
    /// Rotate once the current chunk is DURATION old (us, ms, s, m or h).
    #[arg(long, value_name = "DURATION", value_parser = options::duration)]
    pub timer: Option<Duration>,
    #[command(flatten)]
    pub target: Target,
}

#[derive(clap::Args, Debug)]
pub struct EnableKernelArgs {
    /// Session name (a session writing on this machine, not started yet).
    #[arg(value_parser = options::session_name)]
    pub session: String,
    /// Event categories, comma-separated: sched, irq, syscalls.
    #[arg(value_name = "CATS", value_parser = crate::kernel::Options::parse_categories)]
    pub categories: String,
    /// Ring buffer per CPU (k/M suffix, a power of two) [default: 4M for a root daemon,
    /// 512k otherwise].
    #[arg(long, value_name = "SIZE", value_parser = crate::kernel::Options::parse_buffer_size)]
    pub buffer_size: Option<usize>,
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
        Command::Snapshot(a) => snapshot(a),
        Command::Rotate(a) => {
            let mut client = Client::connect(a.target.socket.as_deref())?;
            let written = written(client.request(Ctl::Rotate {
                session: a.session.clone(),
            })?)?;
            println!("{}", show::rotated(&a.session, &written));
            Ok(())
        }
        Command::EnableRotation(a) => {
            let mut client = Client::connect(a.target.socket.as_deref())?;
            client.request(Ctl::EnableRotation {
                session: a.session.clone(),
                size: a.size.unwrap_or(0),
                timer_ms: a.timer.map_or(0, |t| t.as_millis().max(1) as u64),
            })?;
            println!(
                "session \"{}\": rotation {}",
                a.session,
                show::rotation(
                    a.size.unwrap_or(0),
                    a.timer.map_or(0, |t| t.as_millis() as u64)
                )
            );
            Ok(())
        }
        Command::DisableRotation(a) => {
            let mut client = Client::connect(a.target.socket.as_deref())?;
            client.request(Ctl::EnableRotation {
                session: a.session.clone(),
                size: 0,
                timer_ms: 0,
            })?;
            println!("session \"{}\": no automatic rotation", a.session);
            Ok(())
        }
        Command::EnableKernel(a) => {
            let mut client = Client::connect(a.target.socket.as_deref())?;
            client.request(Ctl::EnableKernel {
                session: a.session.clone(),
                categories: a.categories.clone(),
                buffer_size: a.buffer_size.unwrap_or(0) as u64,
            })?;
            println!(
                "session \"{}\": kernel events ({}) recorded in its kernel/ directory once \
                 started, the userspace trace in ust/",
                a.session, a.categories
            );
            Ok(())
        }
    }
}

fn create(a: CreateArgs) -> Result<(), Failure> {
    let mut client = Client::connect(a.target.socket.as_deref())?;
    if let Some(url) = &a.relay {
        let keys = a.keys.clone().map(options::absolute).transpose()?;
        let info = client.request(relay_request(
            &a.session,
            url,
            keys,
            a.live_timer,
            &a.buffers,
        ))?;
        let path = match info {
            Message::SessionInfo(i) => i.outputs.relay.map(|r| r.path).unwrap_or_default(),
            _ => String::new(),
        };
        println!(
            "session \"{}\" created: streaming to {url} (relay directory {path})",
            a.session
        );
        return Ok(());
    }
    let output = options::output_dir(a.output, &a.session)?;
    let mut req = create_request(&a.session, &output, &a.buffers);
    if let Ctl::Create(c) = &mut req {
        c.snapshot = a.snapshot;
    }
    client.request(req)?;
    if a.snapshot {
        println!(
            "session \"{}\" created: a flight recorder, snapshots in {}",
            a.session,
            output.display()
        );
    } else {
        println!(
            "session \"{}\" created: trace in {}",
            a.session,
            output.display()
        );
    }
    Ok(())
}

fn snapshot(a: SnapshotArgs) -> Result<(), Failure> {
    let output = a.output.map(options::absolute).transpose()?;
    let request = SnapshotRequest {
        session: a.session.clone(),
        output: output.map_or(String::new(), |o| o.to_string_lossy().into_owned()),
        max_size: a.max_size.unwrap_or(0),
    };
    let mut client = Client::connect(a.target.socket.as_deref())?;
    if a.on_event.is_none() && !a.remove_trigger {
        let written = written(client.request(Ctl::Snapshot(request))?)?;
        println!("{}", show::snapshot(&written));
        return Ok(());
    }
    if let Some(f) = &a.filter {
        ust_filter::Filter::parse(f).map_err(|e| Failure(format!("--filter: {e}")))?;
    }
    let glob = a.on_event.unwrap_or_default();
    client.request(Ctl::Trigger(Trigger {
        snapshot: request,
        glob: glob.clone(),
        filter: a.filter.clone().unwrap_or_default(),
        min_interval_ms: a.min_interval.as_millis() as u64,
    }))?;
    if glob.is_empty() {
        println!("session \"{}\": no snapshot trigger", a.session);
    } else {
        let filter = a.filter.map_or(String::new(), |f| format!(" where {f}"));
        println!(
            "session \"{}\": a snapshot on each {glob} event{filter}, at most one per {:?}",
            a.session, a.min_interval
        );
    }
    Ok(())
}

/// The `create` request of a session streamed to the relay at `url`.
pub fn relay_request(
    session: &str,
    url: &str,
    keys: Option<PathBuf>,
    live_timer_us: u32,
    b: &Buffers,
) -> Ctl {
    Ctl::Create(ust::ipc::proto::CreateSession {
        name: session.to_string(),
        subbuf_size: b.subbuf_size,
        num_subbuf: b.num_subbuf,
        overwrite: b.overwrite,
        relay: url.to_string(),
        keys: keys.map_or(String::new(), |k| k.to_string_lossy().into_owned()),
        live_timer_us,
        ..Default::default()
    })
}

/// What a snapshot or a rotation wrote.
fn written(m: Message) -> Result<Written, Failure> {
    match m {
        Message::Written(w) => Ok(w),
        other => Err(unexpected(&other)),
    }
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
        ..Default::default()
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
