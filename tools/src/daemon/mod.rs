//! `ust daemon`: the session daemon that instrumented programs register with
//! and the `ust` control commands talk to (see DESIGN.md, "Daemon, IPC,
//! security").
//!
//! Threads: one acceptor; per connection, one thread that reads the
//! greeting, checks the peer (`access`) and then serves either a control
//! client (`control`) or a program (`app`, which adds a reader thread);
//! one consumer thread per started session (`session`). Shared state lives
//! in `registry`. No thread waits on a peer without a timeout except for
//! its own connection's next message, which `shutdown` interrupts.

mod access;
mod app;
mod chunks;
mod control;
mod kernel;
mod recorder;
mod registry;
mod relay;
mod session;

use access::{Identity, Policy};
use clap::Args as ClapArgs;
use registry::Registry;
use session::{lock, ClockBase};
use std::collections::HashMap;
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use ust::ipc::proto::{Error, Message};
use ust::ipc::wire::{self, Conn, Listener};

/// How long a new connection may take to say who it is.
const HELLO_TIMEOUT: Duration = Duration::from_secs(5);
/// Most connections served at once, and per user (so that one user of the
/// system daemon cannot take every place).
const MAX_CONNECTIONS: usize = 4096;
const MAX_CONNECTIONS_PER_USER: usize = 1024;

/// Where and how to serve.
pub struct Options {
    pub socket: PathBuf,
    /// System-wide: root and group `tracing` (socket mode 0660).
    pub system: bool,
    /// The event clock programs must use (None: the TSC when usable).
    pub clock: Option<ust::clock::Source>,
}

/// State shared by the acceptor and connection threads.
struct Shared {
    reg: Arc<Registry>,
    /// Live connections, with their peer's uid.
    conns: Mutex<HashMap<u64, (Arc<Conn>, u32)>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    stopping: AtomicBool,
}

/// A running daemon.
pub struct Daemon {
    socket: PathBuf,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
    wake: UnixStream,
}

impl Daemon {
    /// Binds the socket (creating its directory: per-user 0700; system:
    /// 0755, socket group `tracing` mode 0660) and serves in background
    /// threads. Refuses a socket another daemon listens on.
    pub fn start(opts: Options) -> io::Result<Daemon> {
        let policy = if opts.system {
            let policy = Policy::system()?;
            access::drop_supplementary_groups()?;
            policy
        } else {
            Policy::per_user()
        };
        prepare_socket_dir(&opts.socket, &policy)?;
        if Conn::connect(&opts.socket).is_ok() {
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                "another daemon listens there",
            ));
        }
        raise_descriptor_limit();
        let listener = bind(&opts.socket, &policy)?;
        let reg = Arc::new(Registry::new(policy, ClockBase::select(opts.clock)));
        let shared = Arc::new(Shared {
            reg,
            conns: Mutex::new(HashMap::new()),
            threads: Mutex::new(Vec::new()),
            stopping: AtomicBool::new(false),
        });
        let (wake, wake_rx) = UnixStream::pair()?;
        let acceptor_shared = shared.clone();
        let acceptor = std::thread::Builder::new()
            .name("ust-accept".into())
            .spawn(move || accept_loop(&acceptor_shared, &listener, &wake_rx))?;
        Ok(Daemon {
            socket: opts.socket,
            shared,
            acceptor: Some(acceptor),
            wake,
        })
    }

    /// The socket the daemon listens on.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Stops and destroys every session (all committed events on disk),
    /// closes every connection and removes the socket. Dropping the daemon
    /// does the same.
    pub fn shutdown(self) {
        drop(self);
    }

    fn stop(&mut self) {
        let Some(acceptor) = self.acceptor.take() else {
            return;
        };
        self.shared.stopping.store(true, Ordering::Release);
        let _ = self.wake.write_all(b"x");
        let _ = acceptor.join();
        let _ = std::fs::remove_file(&self.socket);
        let reg = &self.shared.reg;
        reg.close();
        for s in reg.sessions() {
            let _op = lock(&s.op);
            reg.destroy_session(&s);
        }
        for (conn, _) in lock(&self.shared.conns).values() {
            app::shutdown(conn);
        }
        loop {
            let threads = std::mem::take(&mut *lock(&self.shared.threads));
            if threads.is_empty() {
                break;
            }
            threads.into_iter().for_each(|t| {
                let _ = t.join();
            });
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Creates the socket's directory if needed (never changing an existing
/// one, but refusing an unsafe one).
fn prepare_socket_dir(socket: &Path, policy: &Policy) -> io::Result<()> {
    let dir = socket
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.exists() {
        let mode = if policy.tracing_gid().is_some() {
            0o755
        } else {
            0o700
        };
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(mode)
            .create(dir)?;
    }
    if socket == ust::ipc::paths::user_socket() {
        check_private_dir(dir)?;
    }
    check_socket_dir(dir)
}

/// Binds the socket with the policy's owner, group and mode.
fn bind(socket: &Path, policy: &Policy) -> io::Result<Listener> {
    let listener = Listener::bind(socket)?;
    match policy.tracing_gid() {
        Some(gid) => wire::chown_group(socket, gid, 0o660)?,
        None => std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o600))?,
    }
    Ok(listener)
}

/// Every attached program costs a descriptor per CPU buffer: allow as many
/// descriptors as the hard limit does.
fn raise_descriptor_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit read and write one valid rlimit.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// Refuses a socket directory someone else could tamper with (replace the
/// socket and receive programs' buffers): it must belong to this user or
/// root, and be writable by nobody else unless sticky (like /tmp).
fn check_socket_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(dir)?;
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    let open_to_others = meta.mode() & 0o022 != 0 && meta.mode() & 0o1000 == 0;
    if (meta.uid() != me && meta.uid() != 0) || open_to_others {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} must belong to you or root and not be writable by others",
                dir.display()
            ),
        ));
    }
    Ok(())
}

/// The per-user runtime directory must be this user's own, mode 0700:
/// anything else may be another user's trap (their socket in it would
/// receive our commands and our programs' buffers).
fn check_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(dir)?;
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    if !meta.is_dir() || meta.uid() != me || meta.mode() & 0o077 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} is not a private directory of yours (owner uid {}, mode {:o}; it must be \
                 yours with mode 0700): remove it, or set XDG_RUNTIME_DIR",
                dir.display(),
                meta.uid(),
                meta.mode() & 0o7777
            ),
        ));
    }
    Ok(())
}

/// Waits for connections (or the wake-up of `shutdown`).
fn accept_loop(shared: &Arc<Shared>, listener: &Listener, wake: &UnixStream) {
    loop {
        let mut fds = [
            libc::pollfd {
                fd: listener.raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: wake.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: two valid pollfds, for the duration of the call.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
        if shared.stopping.load(Ordering::Acquire) {
            return;
        }
        if n <= 0 || fds[0].revents == 0 {
            continue;
        }
        match listener.accept() {
            Ok(conn) => spawn_connection(shared, conn),
            // Out of descriptors or memory: let the system breathe.
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

fn spawn_connection(shared: &Arc<Shared>, conn: Conn) {
    let Ok(cred) = conn.peer_cred() else {
        return;
    };
    let mut conns = lock(&shared.conns);
    let theirs = conns.values().filter(|(_, uid)| *uid == cred.uid).count();
    if conns.len() >= MAX_CONNECTIONS || theirs >= MAX_CONNECTIONS_PER_USER {
        return;
    }
    let key = shared.reg.new_key();
    let conn = Arc::new(conn);
    conns.insert(key, (conn.clone(), cred.uid));
    drop(conns);
    let me = shared.clone();
    let spawned = std::thread::Builder::new()
        .name("ust-conn".into())
        .spawn(move || {
            if session::guarded(|| serve_connection(&me, conn.clone())).is_none() {
                app::shutdown(&conn);
            }
            lock(&me.conns).remove(&key);
        });
    let mut threads = lock(&shared.threads);
    threads.retain(|t| !t.is_finished());
    match spawned {
        Ok(t) => threads.push(t),
        Err(_) => {
            lock(&shared.conns).remove(&key);
        }
    }
}

/// Checks the peer, reads its greeting and serves it.
fn serve_connection(shared: &Shared, conn: Arc<Conn>) {
    let Ok(cred) = conn.peer_cred() else {
        return;
    };
    if !shared.reg.policy.admits(&cred) {
        return control::refuse(&conn);
    }
    let frame = match conn.recv(Some(HELLO_TIMEOUT)) {
        Ok((frame, _fds)) => frame,
        Err(e) if e.kind() == io::ErrorKind::InvalidData => {
            let _ = conn.send(0, Error::BadMessage as i32, &Message::Ack, &[]);
            return;
        }
        Err(_) => return,
    };
    match frame.message {
        Message::AppHello(hello) => app::serve(shared.reg.clone(), conn, cred, hello, frame.seq),
        Message::CtlHello => control::serve(&shared.reg, &conn, Identity::of(&cred)),
        _ => {
            let _ = conn.send(frame.seq, Error::BadMessage as i32, &Message::Ack, &[]);
        }
    }
}

/// Run the UST session daemon in the foreground (until SIGINT or SIGTERM).
#[derive(ClapArgs)]
pub struct Args {
    /// Socket to listen on [default: $UST_DAEMON_SOCKET, else
    /// $XDG_RUNTIME_DIR/ust/daemon.sock or /tmp/ust-UID/daemon.sock;
    /// with --system, /run/ust/daemon.sock]
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// Serve the whole system: root and members of group `tracing` (socket
    /// mode 0660); each user still controls only their own sessions.
    #[arg(long)]
    pub system: bool,
    /// The clock events are stamped with: `tsc` (rdtsc, the cheapest; when the TSC is
    /// invariant), `monotonic` (CLOCK_MONOTONIC, the kernel's: needed for `ust
    /// enable-kernel`, a few ns more per event) [default: tsc when usable]
    #[arg(long, value_name = "CLOCK", value_parser = clock_source)]
    pub clock: Option<ust::clock::Source>,
}

/// `--clock`'s value.
fn clock_source(s: &str) -> Result<ust::clock::Source, String> {
    match s {
        "tsc" if cfg!(target_arch = "x86_64") => Ok(ust::clock::Source::Tsc),
        "monotonic" => Ok(ust::clock::Source::Monotonic),
        _ => Err("expected tsc or monotonic".into()),
    }
}

/// Runs the daemon until SIGINT or SIGTERM, then stops every session.
pub fn run(args: Args) -> ExitCode {
    let socket = args.socket.unwrap_or_else(|| default_socket(args.system));
    let signals = block_termination_signals();
    let daemon = match Daemon::start(Options {
        socket: socket.clone(),
        system: args.system,
        clock: args.clock,
    }) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("ust daemon: cannot serve {}: {e}", socket.display());
            return ExitCode::FAILURE;
        }
    };
    eprintln!("ust daemon: listening on {}", daemon.socket().display());
    let mut sig = 0;
    // SAFETY: `signals` is an initialised set; sigwait writes one int.
    unsafe { libc::sigwait(&signals, &mut sig) };
    eprintln!("ust daemon: stopping (signal {sig}): writing out every session");
    daemon.shutdown();
    ExitCode::SUCCESS
}

fn default_socket(system: bool) -> PathBuf {
    match std::env::var_os("UST_DAEMON_SOCKET").filter(|s| !s.is_empty()) {
        Some(s) => PathBuf::from(s),
        None if system => PathBuf::from(ust::ipc::paths::SYSTEM_SOCKET),
        None => ust::ipc::paths::user_socket(),
    }
}

/// Blocks SIGINT and SIGTERM in this thread (and so in every thread it
/// starts), to be received with `sigwait`.
fn block_termination_signals() -> libc::sigset_t {
    // SAFETY: the set is initialised by sigemptyset before use;
    // pthread_sigmask only changes this thread's mask.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    }
}
