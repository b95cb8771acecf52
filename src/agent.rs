//! The program side of daemon tracing: one listener thread (all signals
//! blocked) that registers this process with a UST daemon and carries out
//! its commands.
//!
//! Active when `UST_TRACE` is unset, from the first provider registration.
//! The listener connects to the first daemon socket that answers (see
//! `ipc::paths`), announces the process (`AppHello`) and its events
//! (`AppEvent`, again whenever a provider is loaded later), then serves
//! `Channel` (create per-CPU buffers for one channel of one session, send
//! their memfds), `Enable`, `Disable`, `Flush`, `Release` and `Ready`.
//! Without a daemon it looks again every `RECHECK`; when the daemon goes
//! away, every event stops recording at once and the listener goes back to
//! waiting, so a dead daemon costs the program nothing. The registering
//! constructor waits for `Ready` at most `UST_REGISTER_TIMEOUT` ms (default
//! `DEFAULT_WAIT_MS`), and not at all when no daemon socket answers.
//!
//! Any number of sessions, each with any number of channels, may record
//! the program at once: the agent keeps which channel of which session
//! records which event (with which event id and filters) and is the
//! registry's `Interest`, which turns that into each event's targets.
//! A released session's channels are unmapped and their descriptors closed
//! once a grace period shows no thread still writes to them (see `grace`).
//!
//! After `fork()`, the child starts its own listener and registers as
//! itself; the buffers inherited from the parent are never written (see
//! `channel`).
//!
//! Nothing here runs on the tracing hot path.

use crate::abi;
use crate::channel::Channel;
use crate::clock::{self, Source};
use crate::doorbell::Doorbell;
use crate::eventfilter;
use crate::handle::{Target, Targets};
use crate::ipc::proto::{AppHello, ChannelSpec, Error, Frame, Message};
use crate::ipc::{paths, wire::Conn};
use crate::registry::{self, Interest};
use crate::ringbuf::Geometry;
use crate::schema::EventSchema;
use crate::sysinfo;
use crate::threads;
use std::collections::HashMap;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{
    AtomicBool, AtomicI32, AtomicPtr,
    Ordering::{AcqRel, Acquire, Relaxed, Release},
};
use std::sync::{Arc, Mutex, Once};
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
/// waits (bounded) for the daemon's initial setup; later, has them
/// announced and, when a daemon is connected, waits (bounded) for it to set
/// them up too, so a program's first events are recorded whichever
/// provider they come from.
pub fn provider_registered(schemas: Vec<EventSchema>) {
    let mut first = false;
    START.call_once(|| first = true);
    if first {
        if start_listener() {
            wait_until_settled();
        }
        return;
    }
    lock(&PENDING).extend(schemas);
    let connected = CONN_FD.load(Relaxed) >= 0;
    if connected {
        SETTLED.store(false, Relaxed);
    }
    wake();
    if connected {
        wait_until_settled();
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
    reset_state();
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
    let ms = crate::config::env_var("UST_REGISTER_TIMEOUT")
        .and_then(|v| v.to_str()?.parse::<u64>().ok())
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
                let mut link = Link { conn };
                link.serve();
                CONN_FD.store(-1, Relaxed);
                release_all();
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

/// Connects to the daemon at `path` if it runs as this process's
/// effective user or as root: buffers are only ever handed to a daemon that
/// may read them anyway (in a setuid program, not to the invoking user's).
fn connect_trusted(path: &std::path::Path) -> Option<Conn> {
    let conn = Conn::connect(path).ok()?;
    let daemon = conn.peer_cred().ok()?.uid;
    // SAFETY: geteuid has no preconditions.
    (daemon == 0 || daemon == unsafe { libc::geteuid() }).then_some(conn)
}

/// One recording of an event, as the daemon asked for it.
struct Enablement {
    session: u32,
    channel: u32,
    event_id: u32,
    /// Any of them keeps an event; none: every event.
    filters: Vec<ust_filter::Filter>,
}

/// Which channels exist and which events they record.
#[derive(Default)]
struct State {
    channels: HashMap<(u32, u32), Arc<Channel>>,
    /// Event name → its recordings.
    enabled: HashMap<String, Vec<Enablement>>,
}

/// The state; replaced wholesale in a forked child (another thread may
/// have held its lock at fork()), so it lives behind a pointer.
static STATE: AtomicPtr<Mutex<State>> = AtomicPtr::new(std::ptr::null_mut());

fn state() -> &'static Mutex<State> {
    let p = STATE.load(Acquire);
    if !p.is_null() {
        // SAFETY: states are leaked, never freed.
        return unsafe { &*p };
    }
    let fresh = Box::into_raw(Box::default());
    match STATE.compare_exchange(std::ptr::null_mut(), fresh, AcqRel, Acquire) {
        // SAFETY: just published, never freed.
        Ok(_) => unsafe { &*fresh },
        Err(winner) => {
            // SAFETY: `fresh` lost the race and was never shared.
            drop(unsafe { Box::from_raw(fresh) });
            // SAFETY: as above.
            unsafe { &*winner }
        }
    }
}

/// In a forked child: the parent's sessions are not this process's.
fn reset_state() {
    STATE.store(Box::into_raw(Box::default()), Release);
}

/// The agent as the registry's interest: an event is recorded into every
/// channel that enabled it.
struct AgentInterest;

impl Interest for AgentInterest {
    fn targets(&self, schema: &EventSchema) -> Option<Box<Targets>> {
        let st = lock(state());
        let list = st.enabled.get(&schema.name)?;
        let items = list
            .iter()
            .filter_map(|e| {
                let filter = eventfilter::bind(&e.filters, schema);
                Some(Target {
                    channel: st.channels.get(&(e.session, e.channel))?.clone(),
                    event_id: e.event_id,
                    filter,
                })
            })
            .collect();
        Targets::new(items)
    }
}

/// The interest to register with the registry in daemon mode.
pub fn interest() -> &'static dyn Interest {
    &AgentInterest
}

/// Forgets every session (the daemon went away): every event stops.
fn release_all() {
    *lock(state()) = State::default();
    registry::refresh();
}

/// One connection to a daemon.
struct Link {
    conn: Conn,
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
                let pending = std::mem::take(&mut *lock(&PENDING));
                // Ready asks the daemon to answer Ready once it set them up.
                if self.announce(pending).is_err()
                    || self.conn.send(0, 0, &Message::Ready, &[]).is_err()
                {
                    return;
                }
            }
            if fds[0].revents != 0 {
                match self.conn.recv(Some(Duration::from_secs(1))) {
                    Ok((frame, fds)) => self.command(frame, fds),
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

    /// Carries out one daemon command (with the descriptors it carried)
    /// and answers it.
    fn command(&mut self, frame: Frame, fds: Vec<OwnedFd>) {
        let mut created = None;
        let status = match frame.message {
            Message::Ready => return settle(),
            Message::Channel(spec) => {
                let doorbell = fds.into_iter().next().map(Doorbell::from_fd);
                create_channel(spec, doorbell).map(|c| created = Some(c))
            }
            Message::Enable {
                session,
                channel,
                event_id,
                name,
                filters,
            } => enable(session, channel, event_id, &name, &filters),
            Message::Disable {
                session,
                channel,
                name,
            } => disable(session, channel, &name),
            Message::Flush { session } => flush(session),
            Message::Release { session } => release(session),
            _ => Err(Error::BadMessage),
        };
        let code = status.err().map_or(0, |e| e as i32);
        let (fds, channel) = created.unzip();
        let raw: Vec<_> = fds.iter().flatten().map(AsRawFd::as_raw_fd).collect();
        let _ = self.conn.send(frame.seq, code, &Message::Ack, &raw);
        // Our copies of the descriptors close here; the mappings stay. The
        // pages are touched after the reply and by another thread, so
        // neither this reply nor the next waits for a large buffer to be
        // faulted in (the daemon gives each reply a bounded time).
        drop(fds);
        if let Some(channel) = channel {
            prefault_aside(channel);
        }
    }
}

/// Faults `channel`'s pages in on a thread of its own, which writers may
/// race (prefaulting changes no contents); in this thread if none can be
/// started.
fn prefault_aside(channel: Arc<Channel>) {
    let aside = Arc::clone(&channel);
    match threads::spawn("ust-prefault", move || aside.prefault()) {
        Ok(thread) => thread.detach(),
        Err(_) => channel.prefault(),
    }
}

/// Creates channel `spec.channel` of session `spec.session` (whose consumer
/// rings at `doorbell`); returns the memfds to send (one per CPU) and the
/// channel.
fn create_channel(
    spec: ChannelSpec,
    doorbell: Option<Doorbell>,
) -> Result<(Vec<OwnedFd>, Arc<Channel>), Error> {
    let key = (spec.session, spec.channel);
    if lock(state()).channels.contains_key(&key) {
        return Err(Error::WrongState);
    }
    let geo = Geometry {
        subbuf_size: spec.subbuf_size,
        num_subbuf: spec.num_subbuf as u64,
        overwrite: spec.overwrite,
    };
    let ncpu = sysinfo::possible_cpus();
    crate::config::check_geometry(geo).map_err(|_| Error::BadArgument)?;
    crate::config::check_memory(geo, ncpu).map_err(|_| Error::OutOfMemory)?;
    clock::select(Some(if spec.clock == 0 {
        Source::Tsc
    } else {
        Source::Monotonic
    }));
    let mut channel = Channel::create(ncpu, geo).map_err(|_| Error::Io)?;
    channel.set_blocking(spec.blocking_timeout_us, doorbell);
    let fds = channel.take_fds();
    let channel = Arc::new(channel);
    lock(state()).channels.insert(key, channel.clone());
    Ok((fds, channel))
}

/// Records event `name` into a channel, as `event_id`: now if a provider
/// of it is loaded, else as soon as one is.
fn enable(
    session: u32,
    channel: u32,
    event_id: u32,
    name: &str,
    filters: &[String],
) -> Result<(), Error> {
    let filters = filters
        .iter()
        .map(|f| eventfilter::parse(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| Error::BadFilter)?;
    {
        let mut st = lock(state());
        if !st.channels.contains_key(&(session, channel)) {
            return Err(Error::NoSuchChannel);
        }
        let list = st.enabled.entry(name.to_string()).or_default();
        list.retain(|e| (e.session, e.channel) != (session, channel));
        list.push(Enablement {
            session,
            channel,
            event_id,
            filters,
        });
    }
    registry::refresh_events(&[name]);
    Ok(())
}

/// Stops recording event `name` into a channel.
fn disable(session: u32, channel: u32, name: &str) -> Result<(), Error> {
    {
        let mut st = lock(state());
        if !st.channels.contains_key(&(session, channel)) {
            return Err(Error::NoSuchChannel);
        }
        if let Some(list) = st.enabled.get_mut(name) {
            list.retain(|e| (e.session, e.channel) != (session, channel));
        }
    }
    registry::refresh_events(&[name]);
    Ok(())
}

/// Closes the open sub-buffers of a session's channels.
fn flush(session: u32) -> Result<(), Error> {
    let st = lock(state());
    let mut channels = st
        .channels
        .iter()
        .filter(|((s, _), _)| *s == session)
        .peekable();
    if channels.peek().is_none() {
        return Err(Error::NoSuchSession);
    }
    channels.for_each(|(_, ch)| ch.buffers().iter().for_each(|rb| rb.flush()));
    Ok(())
}

/// Forgets a session: its events stop, and its channels are freed once no
/// thread can still write to them.
fn release(session: u32) -> Result<(), Error> {
    let names: Vec<String> = {
        let mut st = lock(state());
        let before = st.channels.len();
        st.channels.retain(|(s, _), _| *s != session);
        if st.channels.len() == before {
            return Err(Error::NoSuchSession);
        }
        let mut names = Vec::new();
        for (name, list) in st.enabled.iter_mut() {
            let n = list.len();
            list.retain(|e| e.session != session);
            if list.len() != n {
                names.push(name.clone());
            }
        }
        st.enabled.retain(|_, list| !list.is_empty());
        names
    };
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    registry::refresh_events(&names);
    Ok(())
}
