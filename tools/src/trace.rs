//! `ust trace -- CMD ARGS…`: trace one program, and every program it forks or executes, with
//! a private daemon started in-process; then print where the trace is and a summary.
//!
//! Steps: a daemon listening in a fresh 0700 temporary directory, a session writing to the
//! trace directory with the chosen events enabled and started, CMD run with
//! `UST_DAEMON_SOCKET` pointing at the daemon (and `UST_TRACE` removed, so the programs
//! register instead of tracing by themselves), then, once CMD exits, the session stopped
//! (every committed event on disk) and destroyed and the daemon shut down. The exit code is
//! CMD's (128 + signal number if a signal killed it; 127 if it could not be started).
//! SIGINT and SIGTERM sent to `ust` are passed on to CMD, and the trace is still written: they
//! do not end `ust` until the session is stopped (SIGQUIT, Ctrl-\, still does).
//!
//! With `--relay`, the trace is streamed to a relay instead (the private daemon then runs on
//! CLOCK_MONOTONIC, so the clock block sent first is exact for the whole run).
//!
//! With `--kernel`, kernel events are recorded from before CMD starts until after its session
//! stopped, into DIR/kernel (see `with_kernel`), the userspace trace goes to DIR/ust (LTTng's
//! session layout, which babeltrace2 and `ust view` read as one), and the daemon runs on
//! CLOCK_MONOTONIC so that both traces carry the same clock block.

use crate::ctl::client::{Client, Failure};
use crate::ctl::options::{self, Buffers};
use crate::ctl::{self, show};
use crate::daemon::{Daemon, Options};
use crate::kernel::{self, Categories, KernelRecorder};
use std::ffi::{OsStr, OsString};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus};
use std::sync::atomic::{AtomicI32, Ordering::SeqCst};
use std::time::{Duration, Instant};
use ust::ipc::proto::{Ctl, SessionInfo};
use ust_reader::{open_all, Merger, Summary};

mod with_kernel;

/// Trace a program (and the programs it starts) and print a summary of the trace.
///
/// The summary goes to stderr, so CMD's own output stays as it is. Tracing needs CMD to be
/// built with libust (see `pkg-config --libs ust`).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Trace directory [default: ./PROGRAM-YYYYMMDD-HHMMSS]; must not hold files already.
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Record only the events whose names match GLOB (`*` any run, `?` one character);
    /// repeat the option or separate patterns with commas [default: every event].
    #[arg(long = "events", value_name = "GLOB", value_delimiter = ',',
          value_parser = options::event_glob)]
    pub events: Vec<String>,
    /// Record only events at LEVEL or more severe: 0..14 or a name (EMERG, ALERT, CRIT,
    /// ERR, WARNING, NOTICE, INFO, DEBUG_SYSTEM, …, DEBUG_LINE, DEBUG).
    #[arg(long, value_name = "LEVEL", value_parser = ust::config::parse_loglevel)]
    pub loglevel: Option<i32>,
    /// Record only the events for which EXPR is true (LTTng's filter language, e.g.
    /// 'duration_ns > 10000000 && table == "orders*"'), evaluated in the program.
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub filter: Option<String>,
    #[command(flatten)]
    pub buffers: Buffers,
    /// Also record kernel events of the whole system into DIR/kernel, an LTTng kernel trace:
    /// CATS is a comma-separated list of sched, irq, syscalls. Needs root, or CAP_PERFMON and
    /// read access to tracefs; the userspace trace then uses CLOCK_MONOTONIC.
    #[arg(long, value_name = "CATS", value_parser = with_kernel::categories)]
    pub kernel: Option<Categories>,
    /// Kernel ring buffer per CPU: a power of two from 4k, with an optional k/M suffix
    /// [default: 4M for root; 512k otherwise, what kernel.perf_event_mlock_kb allows a user
    /// with CAP_PERFMON by default].
    #[arg(long, value_name = "SIZE", value_parser = kernel::Options::parse_buffer_size, requires = "kernel")]
    pub kernel_buffer_size: Option<usize>,
    /// Stream the trace to a relay instead of writing it here: net://HOST[:CTRL[:DATA]]
    /// (lttng-relayd) or tls://HOST[:CTRL[:DATA]] (ust relay).
    #[arg(long, value_name = "URL", value_parser = options::relay_url,
          conflicts_with_all = ["output", "kernel"])]
    pub relay: Option<String>,
    /// Key directory of a tls:// relay: ca.pem, daemon.pem and daemon.key.
    #[arg(long, value_name = "DIR", requires = "relay")]
    pub keys: Option<PathBuf>,
    /// The program to trace and its arguments (put `--` before them).
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub command: Vec<OsString>,
}

/// The session's name in the private daemon.
const SESSION: &str = "trace";
/// How long each program may wait at start-up for the daemon to set it up (ms), so its
/// first events are recorded: the daemon is known to be there.
const REGISTER_WAIT_MS: &str = "10000";

/// Exit code when CMD cannot be started, as a shell does.
const NOT_STARTED: u8 = 127;

/// How CMD ended and what the session recorded.
struct Outcome {
    status: ExitStatus,
    duration: Duration,
    info: SessionInfo,
    /// What the kernel recording wrote, if it ran.
    kernel: Option<Result<kernel::Stats, kernel::Error>>,
}

/// Why tracing ended early.
enum Stop {
    /// Setting up or finishing the session failed.
    Failed(Failure),
    /// CMD could not be started.
    NotStarted(String),
}

impl From<Failure> for Stop {
    fn from(f: Failure) -> Stop {
        Stop::Failed(f)
    }
}

pub fn run(args: Args) -> ExitCode {
    if let Some(f) = &args.filter {
        if let Err(e) = ctl::check_filter(f) {
            return ctl::fail(&e);
        }
    }
    let output = match trace_dir(&args) {
        Ok(dir) => dir,
        Err(f) => return ctl::fail(&f),
    };
    let made_here = !output.as_os_str().is_empty() && !output.exists();
    let private = match PrivateDir::create() {
        Ok(p) => p,
        Err(e) => return ctl::fail(&Failure(format!("cannot make a private directory: {e}"))),
    };
    let monotonic = args.kernel.is_some() || args.relay.is_some();
    let daemon = match Daemon::start(Options {
        socket: private.0.join("daemon.sock"),
        system: false,
        clock: monotonic.then_some(ust::clock::Source::Monotonic),
    }) {
        Ok(d) => d,
        Err(e) => return ctl::fail(&Failure(format!("cannot start the tracing daemon: {e}"))),
    };
    let result = trace(&daemon, &args, &output);
    daemon.shutdown();
    drop(private);
    match result {
        Ok(outcome) => {
            report(&args.command, &output, &outcome);
            exit_code(outcome.status)
        }
        Err(Stop::Failed(f)) => ctl::fail(&f),
        Err(Stop::NotStarted(line)) => {
            if made_here {
                let _ = std::fs::remove_dir_all(&output);
            }
            eprintln!("ust: {line}");
            ExitCode::from(NOT_STARTED)
        }
    }
}

/// The absolute trace directory, checked not to hold files already (none is made when the
/// trace goes to a relay).
fn trace_dir(args: &Args) -> Result<PathBuf, Failure> {
    if args.relay.is_some() {
        return Ok(PathBuf::new());
    }
    let program = Path::new(&args.command[0])
        .file_name()
        .unwrap_or(OsStr::new("trace"))
        .to_string_lossy()
        .into_owned();
    let dir = options::output_dir(args.output.clone(), &program)?;
    if std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some()) {
        return Err(Failure(format!(
            "{} already holds files: give an empty or new directory with -o",
            dir.display()
        )));
    }
    Ok(dir)
}

/// Sets up the session, runs CMD, and finishes the session.
fn trace(daemon: &Daemon, args: &Args, output: &Path) -> Result<Outcome, Stop> {
    let mut client = Client::connect(Some(daemon.socket()))?;
    let session = || SESSION.to_string();
    // As in an LTTng session directory, each domain's trace in its own subdirectory.
    let userspace = match args.kernel {
        Some(_) => output.join("ust"),
        None => output.to_path_buf(),
    };
    let create = match &args.relay {
        Some(url) => {
            let keys = args.keys.clone().map(options::absolute).transpose()?;
            ctl::relay_request(SESSION, url, keys, 0, &args.buffers)
        }
        None => ctl::create_request(SESSION, &userspace, &args.buffers),
    };
    client.request(create)?;
    let globs = if args.events.is_empty() {
        vec!["*".to_string()]
    } else {
        args.events.clone()
    };
    client.request(ctl::enable_request(
        SESSION,
        globs,
        args.loglevel,
        String::new(),
        args.filter.clone().unwrap_or_default(),
    ))?;
    client.request(Ctl::Start { session: session() })?;
    let recorder = args
        .kernel
        .as_ref()
        .and_then(|cats| with_kernel::start(cats, args.kernel_buffer_size, &userspace, output));
    // Signals are held from before CMD starts until its trace is on disk.
    let forwarding = Forwarding::install();
    let ran = run_program(&args.command, daemon.socket(), &forwarding);
    let stopped = client.request(Ctl::Stop { session: session() });
    let kernel = recorder.map(KernelRecorder::stop);
    stopped?;
    drop(forwarding);
    let info = ctl::status(&mut client, SESSION)?;
    client.request(Ctl::Destroy { session: session() })?;
    let (status, duration) = ran?;
    Ok(Outcome {
        status,
        duration,
        info,
        kernel,
    })
}

/// Runs CMD registered with the daemon at `socket`, passing on SIGINT and SIGTERM.
fn run_program(
    command: &[OsString],
    socket: &Path,
    forwarding: &Forwarding,
) -> Result<(ExitStatus, Duration), Stop> {
    let mut cmd = Command::new(&command[0]);
    cmd.args(&command[1..])
        .env("UST_DAEMON_SOCKET", socket)
        .env_remove("UST_TRACE");
    if std::env::var_os("UST_REGISTER_TIMEOUT").is_none() {
        cmd.env("UST_REGISTER_TIMEOUT", REGISTER_WAIT_MS);
    }
    let started = Instant::now();
    let mut child = cmd.spawn().map_err(|e| {
        Stop::NotStarted(format!(
            "cannot run {}: {}",
            command[0].to_string_lossy(),
            plain(&e)
        ))
    })?;
    forwarding.to(child.id() as i32);
    let status = child.wait();
    let duration = started.elapsed();
    forwarding.to(0);
    let status = status.map_err(|e| Failure(format!("cannot wait for the program: {e}")))?;
    Ok((status, duration))
}

/// An I/O error without the "(os error N)" suffix.
fn plain(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// CMD's exit code, or 128 + the signal that killed it.
fn exit_code(status: ExitStatus) -> ExitCode {
    match (status.code(), status.signal()) {
        (Some(c), _) => ExitCode::from(c as u8),
        (None, Some(sig)) => ExitCode::from((128 + sig) as u8),
        (None, None) => ExitCode::from(1),
    }
}

/// Prints, on stderr, how CMD ended, where the trace is, and its summary.
fn report(command: &[OsString], output: &Path, o: &Outcome) {
    let shown: Vec<String> = command
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    eprintln!(
        "ust: `{}` {} after {:.3} s",
        shown.join(" "),
        describe_status(o.status),
        o.duration.as_secs_f64()
    );
    let streamed = o.info.outputs.relay.as_ref();
    let summary = match streamed {
        Some(r) => {
            eprintln!(
                "ust: trace streamed to {} (relay directory {}): {} packets, {}",
                r.url,
                r.path,
                r.packets_sent,
                show::bytes(r.bytes_sent)
            );
            Err(String::new())
        }
        None => {
            eprintln!("ust: trace written to {}", output.display());
            summarize(output)
        }
    };
    let discarded_in_trace = match summary {
        Ok(summary) => {
            eprint!("{}", summary.render(crate::localtime::local));
            summary.discarded_events()
        }
        Err(why) => {
            if !why.is_empty() {
                eprintln!("ust: {why}");
            }
            0
        }
    };
    let noun = if o.info.events == 1 {
        "event"
    } else {
        "events"
    };
    eprintln!(
        "ust: {} {noun} recorded, {} written",
        o.info.events,
        show::bytes(o.info.bytes)
    );
    for problem in &o.info.errors {
        eprintln!("ust: {problem}");
    }
    if o.info.events == 0 {
        eprintln!(
            "ust: no events were recorded: is the program built with libust, and do \
             --events and --loglevel select its events?"
        );
    }
    let kernel_lost = with_kernel::report(o.kernel.as_ref());
    let discarded = o
        .info
        .discarded
        .max(discarded_in_trace.saturating_sub(kernel_lost));
    if discarded > 0 {
        eprintln!(
            "ust: WARNING: {discarded} events were DISCARDED (buffers full): the trace is \
             incomplete; use a larger --subbuf-size or --num-subbuf"
        );
    }
}

fn describe_status(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exited with status {c}"),
        (None, Some(sig)) => format!("was killed by signal {sig}"),
        (None, None) => "ended".to_string(),
    }
}

/// Per-event counts and losses of the trace in `dir`.
fn summarize(dir: &Path) -> Result<Summary, String> {
    if !dir.join("metadata").is_file() && !dir.join("ust/metadata").is_file() {
        return Err("no trace was written".into());
    }
    let traces =
        open_all(&[dir.to_path_buf()]).map_err(|e| format!("cannot read the trace: {e}"))?;
    let mut merger = Merger::new(traces, false, false);
    let mut summary = Summary::new();
    loop {
        for l in merger.take_losses() {
            summary.add_loss(&l);
        }
        match merger.next_event() {
            Some(ev) => summary.add_event(&ev),
            None => break,
        }
    }
    for l in merger.take_losses() {
        summary.add_loss(&l);
    }
    for e in merger.take_errors() {
        eprintln!("ust: error reading the trace: {e}");
    }
    Ok(summary)
}

/// A fresh directory only the current user can enter, removed with its contents on drop.
struct PrivateDir(PathBuf);

impl PrivateDir {
    fn create() -> std::io::Result<PrivateDir> {
        use std::os::unix::ffi::{OsStrExt, OsStringExt};
        let base = std::env::temp_dir();
        // A socket path must fit in sockaddr_un (108 bytes).
        let base = if base.as_os_str().len() > 64 {
            PathBuf::from("/tmp")
        } else {
            base
        };
        let mut template = base.join("ust-trace-XXXXXX").into_os_string().into_vec();
        template.push(0);
        // SAFETY: `template` is a writable NUL-terminated buffer ending in XXXXXX; mkdtemp
        // replaces the X's in place and creates the directory with mode 0700.
        let made = unsafe { libc::mkdtemp(template.as_mut_ptr().cast()) };
        if made.is_null() {
            return Err(std::io::Error::last_os_error());
        }
        template.pop();
        Ok(PrivateDir(PathBuf::from(OsStr::from_bytes(&template))))
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The child to pass signals on to (0: none yet).
static CHILD: AtomicI32 = AtomicI32::new(0);
/// A signal that came before the child existed (0: none).
static EARLY: AtomicI32 = AtomicI32::new(0);

const FORWARDED: [libc::c_int; 2] = [libc::SIGINT, libc::SIGTERM];

/// While alive, SIGINT and SIGTERM sent to `ust` go to the child instead of ending `ust`.
struct Forwarding {
    previous: Vec<libc::sigaction>,
}

/// Passes the signal on, unless the terminal sent it: then it reached the whole foreground
/// process group, the child included, and a second copy could force a graceful program out.
extern "C" fn forward(sig: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo_t to an SA_SIGINFO handler.
    if !info.is_null() && unsafe { (*info).si_code } == libc::SI_KERNEL {
        return;
    }
    match CHILD.load(SeqCst) {
        0 => EARLY.store(sig, SeqCst),
        // SAFETY: kill is async-signal-safe.
        pid => unsafe {
            libc::kill(pid, sig);
        },
    }
}

impl Forwarding {
    fn install() -> Forwarding {
        let previous = FORWARDED
            .iter()
            .map(|&sig| {
                // SAFETY: sigaction is plain data; the handler has the SA_SIGINFO signature
                // and only touches atomics and calls kill.
                unsafe {
                    let mut action: libc::sigaction = std::mem::zeroed();
                    action.sa_sigaction = forward as *const () as usize;
                    action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
                    libc::sigemptyset(&mut action.sa_mask);
                    let mut old: libc::sigaction = std::mem::zeroed();
                    libc::sigaction(sig, &action, &mut old);
                    old
                }
            })
            .collect();
        Forwarding { previous }
    }

    /// From now on signals go to `pid` (0: nowhere, once the child is gone); one that came
    /// earlier is sent now.
    fn to(&self, pid: i32) {
        CHILD.store(pid, SeqCst);
        match EARLY.swap(0, SeqCst) {
            _ if pid == 0 => {}
            0 => {}
            // SAFETY: sending a signal to our own child.
            sig => unsafe {
                libc::kill(pid, sig);
            },
        }
    }
}

impl Drop for Forwarding {
    fn drop(&mut self) {
        for (sig, old) in FORWARDED.iter().zip(&self.previous) {
            // SAFETY: restores the action saved by `install`.
            unsafe { libc::sigaction(*sig, old, std::ptr::null_mut()) };
        }
        CHILD.store(0, SeqCst);
    }
}
