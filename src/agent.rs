//! The program side of daemon tracing: one listener thread (all signals
//! blocked) that registers this process with a UST daemon and carries out
//! its commands.
//!
//! Active when `UST_TRACE` is unset, from the first provider registration.
//! The listener connects to the first daemon socket that answers (see
//! `ipc::paths`), announces the process (`AppHello`) and its events
//! (`AppEvent`, again whenever a provider is loaded later), then serves
//! `Channel` (create per-CPU buffers, send their memfds), `Enable`,
//! `Disable`, `Flush`, `Release` and `Ready`. Without a daemon it looks
//! again every `RECHECK`; when the daemon goes away, every event stops recording at
//! once and the listener goes back to waiting, so a dead daemon costs the
//! program nothing. The registering constructor waits for `Ready` at most
//! `UST_REGISTER_TIMEOUT` ms (default `DEFAULT_WAIT_MS`), and not at all
//! when no daemon socket answers.
//!
//! After `fork()`, the child starts its own listener and registers as
//! itself; the buffers inherited from the parent are never written (see
//! `channel`). Buffers of a released channel stay mapped until exit, as call
//! sites may still hold handles into them.
//!
//! Nothing here runs on the tracing hot path.

use crate::abi;
use crate::channel::{Channel, Handle};
use crate::clock::{self, Source};
use crate::ipc::proto::{AppHello, ChannelSpec, Error, Frame, Message};
use crate::ipc::{paths, wire::Conn};
use crate::registry;
use crate::ringbuf::Geometry;
use crate::schema::EventSchema;
use crate::sysinfo;
use crate::threads;
use std::os::fd::AsRawFd;
use std::sync::atomic::{
    AtomicBool, AtomicI32,
    Ordering::{Acquire, Relaxed, Release},
};
use std::sync::{Mutex, Once};
use std::time::Duration;

/// Pause before reconnecting after a daemon went away.
const RETRY: Duration = Duration::from_millis(200);
/// How often the listener looks for a daemon when none answers. (A timer,
/// not inotify: tearing an inotify watch down delays process exit by
/// several milliseconds.)
const RECHECK: Duration = Duration::from_secs(1);
/// Default bound on the start-up wait for the daemon's `Ready`.
const DEFAULT_WAIT_MS: u64 = 50;
/// How often the waiting thread checks for `Ready`.
const SETTLE_POLL: Duration = Duration::from_micros(200);

/// Whether the current registration attempt is over (Ready received, no
/// daemon, or an error). An atomic, not a lock, so the fork handler can use it.
static SETTLED: AtomicBool = AtomicBool::new(false);
/// Events registered after the handshake, waiting to be announced.
static PENDING: Mutex<Vec<EventSchema>> = Mutex::new(Vec::new());
/// Wakes the listener when `PENDING` grows (an eventfd; -1 until started).
static WAKE: AtomicI32 = AtomicI32::new(-1);
/// The daemon connection's descriptor (-1 when none), for `after_fork_in_child`.
static CONN_FD: AtomicI32 = AtomicI32::new(-1);
static START: Once = Once::new();

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A provider registered `schemas`: starts the listener on first use and
/// waits (bounded) for the daemon's initial setup; later, announces them.
pub fn provider_registered(schemas: Vec<EventSchema>) {
    let mut first = false;
    START.call_once(|| first = true);
    if first {
        if start_listener() {
            wait_until_settled();
        }
    } else {
        lock(&PENDING).extend(schemas);
        wake();
    }
}

/// In a child after fork() (from an atfork handler): drop the parent's
/// connection, register anew as this process and, as at start-up, wait a
/// bounded time for the daemon's setup so the child's first events are
/// recorded. Locks another thread may have held at fork() are only tried.
pub fn after_fork_in_child() {
    if WAKE.load(Relaxed) < 0 {
        return;
    }
    let conn = CONN_FD.swap(-1, Relaxed);
    if conn >= 0 {
        // SAFETY: closes the child's copy of the parent's daemon socket,
        // which no thread of the child uses (the listener did not survive fork).
        unsafe { libc::close(conn) };
    }
    if start_listener() {
        wait_until_settled();
    }
}

/// Starts a listener thread with a fresh wake-up descriptor; `false` (and
/// nothing to wait for) if the thread could not be created.
fn start_listener() -> bool {
    new_wake_fd();
    SETTLED.store(false, Relaxed);
    let started = threads::spawn("ust-listener", listen).is_ok();
    if !started {
        settle();
    }
    started
}

fn new_wake_fd() {
    // SAFETY: eventfd creation; a failure leaves -1, which poll ignores.
    WAKE.store(
        unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) },
        Relaxed,
    );
}

fn wake() {
    let fd = WAKE.load(Relaxed);
    if fd >= 0 {
        let one = 1u64;
        // SAFETY: writes 8 bytes from a live u64 to our eventfd.
        unsafe { libc::write(fd, std::ptr::from_ref(&one).cast(), 8) };
    }
}

fn drain_wake() {
    let fd = WAKE.load(Relaxed);
    let mut n = 0u64;
    // SAFETY: reads 8 bytes into a live u64 from our non-blocking eventfd.
    unsafe { libc::read(fd, std::ptr::from_mut(&mut n).cast(), 8) };
}

fn settle() {
    SETTLED.store(true, Release);
}

fn register_timeout() -> Duration {
    let ms = std::env::var("UST_REGISTER_TIMEOUT")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(DEFAULT_WAIT_MS);
    Duration::from_millis(ms)
}

/// Waits, polling every `SETTLE_POLL`, until the attempt is over or the
/// registration timeout passes.
fn wait_until_settled() {
    let deadline = std::time::Instant::now() + register_timeout();
    while !SETTLED.load(Acquire) && std::time::Instant::now() < deadline {
        std::thread::sleep(SETTLE_POLL);
    }
}

/// The listener thread: find a daemon, serve it, start over when it goes.
fn listen() {
    loop {
        match paths::candidate_sockets()
            .iter()
            .find_map(|p| connect_trusted(p))
        {
            Some(conn) => {
                CONN_FD.store(conn.raw_fd(), Relaxed);
                let mut link = Link {
                    conn,
                    channel: None,
                };
                link.serve();
                CONN_FD.store(-1, Relaxed);
                registry::clear_handles();
                settle();
                std::thread::sleep(RETRY);
            }
            None => {
                settle();
                std::thread::sleep(RECHECK);
            }
        }
    }
}

/// Connects to the daemon at `path` if it runs as this user or as root:
/// buffers are only ever handed to a daemon that may read them anyway.
fn connect_trusted(path: &std::path::Path) -> Option<Conn> {
    let conn = Conn::connect(path).ok()?;
    let daemon = conn.peer_cred().ok()?.uid;
    // SAFETY: getuid has no preconditions.
    (daemon == 0 || daemon == unsafe { libc::getuid() }).then_some(conn)
}

/// One connection to a daemon, and the channel it asked for.
struct Link {
    conn: Conn,
    /// The session this program records for, and its channel.
    channel: Option<(u32, &'static Channel)>,
}

impl Link {
    /// Registers and serves commands until the daemon goes away.
    fn serve(&mut self) {
        if self.hello().is_err() {
            return;
        }
        loop {
            let wake_fd = WAKE.load(Relaxed);
            let mut fds = [
                libc::pollfd {
                    fd: self.conn.raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
                libc::pollfd {
                    fd: wake_fd,
                    events: libc::POLLIN,
                    revents: 0,
                },
            ];
            // SAFETY: two valid pollfds.
            if unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) } < 0 {
                continue;
            }
            if fds[1].revents != 0 {
                drain_wake();
                if self.announce(std::mem::take(&mut *lock(&PENDING))).is_err() {
                    return;
                }
            }
            if fds[0].revents != 0 {
                match self.conn.recv(Some(Duration::from_secs(1))) {
                    Ok((frame, _)) => self.command(frame),
                    Err(_) => return,
                }
            }
        }
    }

    fn hello(&self) -> std::io::Result<()> {
        let hello = AppHello {
            pid: std::process::id(),
            // SAFETY: getppid has no preconditions.
            ppid: unsafe { libc::getppid() } as u32,
            abi_major: abi::ABI_MAJOR as u16,
            abi_minor: abi::ABI_MINOR as u16,
            ncpu: sysinfo::possible_cpus(),
            procname: std::fs::read_to_string("/proc/self/comm")
                .unwrap_or_default()
                .trim()
                .to_string(),
        };
        self.conn.send(0, 0, &Message::AppHello(hello), &[])?;
        self.announce(registry::live_schemas())?;
        // Tells the daemon the announcements are complete, so it sets the
        // program up at once instead of waiting for more.
        self.conn.send(0, 0, &Message::Ready, &[])
    }

    fn announce(&self, schemas: Vec<EventSchema>) -> std::io::Result<()> {
        schemas
            .into_iter()
            .try_for_each(|s| self.conn.send(0, 0, &Message::AppEvent(s), &[]))
    }

    /// Carries out one daemon command and answers it.
    fn command(&mut self, frame: Frame) {
        let mut fds = Vec::new();
        let status = match frame.message {
            Message::Ready => return settle(),
            Message::Channel(spec) => self.create_channel(spec).map(|ch| {
                fds = ch.buffers().iter().map(|rb| rb.fd().as_raw_fd()).collect();
            }),
            Message::Enable {
                session,
                event_id,
                name,
            } => self.enable(session, event_id, &name),
            Message::Disable { session, name } => self
                .channel_of(session)
                .and_then(|_| found(registry::set_handle(&name, None))),
            Message::Flush { session } => self.channel_of(session).map(|ch| {
                ch.buffers().iter().for_each(|rb| rb.flush());
            }),
            Message::Release { session } => self.release(session),
            _ => Err(Error::BadMessage),
        };
        let code = status.err().map_or(0, |e| e as i32);
        let _ = self.conn.send(frame.seq, code, &Message::Ack, &fds);
    }

    fn create_channel(&mut self, spec: ChannelSpec) -> Result<&'static Channel, Error> {
        if self.channel.is_some() {
            return Err(Error::WrongState);
        }
        let geo = Geometry {
            subbuf_size: spec.subbuf_size,
            num_subbuf: spec.num_subbuf as u64,
            overwrite: spec.overwrite,
        };
        crate::config::check_geometry(geo).map_err(|_| Error::BadArgument)?;
        clock::select(Some(if spec.clock == 0 {
            Source::Tsc
        } else {
            Source::Monotonic
        }));
        let channel = Channel::create(sysinfo::possible_cpus(), geo).map_err(|_| Error::Io)?;
        // Handles point at the channel for the rest of the process.
        let channel: &'static Channel = Box::leak(Box::new(channel));
        self.channel = Some((spec.session, channel));
        Ok(channel)
    }

    /// The channel of `session`, if this program records for it.
    fn channel_of(&self, session: u32) -> Result<&'static Channel, Error> {
        match self.channel {
            Some((s, ch)) if s == session => Ok(ch),
            _ => Err(Error::NoSuchSession),
        }
    }

    fn enable(&self, session: u32, event_id: u32, name: &str) -> Result<(), Error> {
        let channel = self.channel_of(session)?;
        let handle: &'static Handle = Box::leak(Box::new(Handle::new(event_id, channel)));
        found(registry::set_handle(name, Some(handle)))
    }

    fn release(&mut self, session: u32) -> Result<(), Error> {
        self.channel_of(session)?;
        registry::clear_handles();
        self.channel = None;
        Ok(())
    }
}

/// `BadArgument` when the named event is not registered here.
fn found(registered: bool) -> Result<(), Error> {
    registered.then_some(()).ok_or(Error::BadArgument)
}
