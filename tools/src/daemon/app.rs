//! One registered program: its conversation with the daemon.
//!
//! Two threads per program: a reader that turns every datagram into an
//! `Input` (bounded queue, so a flooding program is slowed down, not
//! buffered), and a worker that owns the conversation. The worker collects
//! the initial `AppEvent`s (until the program sends `Ready` to say they are
//! all there, or pauses, or a bound passes), attaches the program
//! to the first started session that may trace it and enables some of its
//! events, sends `Ready`, then follows every change ("pokes" from control
//! commands, new `AppEvent`s) the same way.
//!
//! A program records into at most one session at a time: the first started
//! session, in creation order, that is allowed to trace it (same uid, or a
//! root session) and enables one of its events. When that session stops,
//! the program detaches (events disabled, buffers flushed and written) and
//! may then attach to another started session.
//!
//! Every command waits at most `REPLY_TIMEOUT` for its reply; a program
//! that does not answer in time, sends anything out of turn or malformed,
//! or announces too much is disconnected. Disconnection (or death) never
//! loses committed events: the daemon holds the buffers, flushes them
//! itself and writes what they hold (`Session::detach`).

use super::registry::Registry;
use super::session::{guarded, lock, Attached, Session};
use std::collections::{HashMap, HashSet};
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use ust::channel::Channel;
use ust::ipc::proto::{AppHello, ChannelSpec, Error, Frame, Message, MAX_CPUS};
use ust::ipc::wire::{Conn, PeerCred};
use ust::ringbuf::RingBuffer;
use ust::schema::{EventSchema, FieldType};

/// How long a program may take to answer a command.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(1);
/// The initial announcement ends when the program sends `Ready` itself,
/// or (programs that do not) pauses this long ...
const BURST_GAP: Duration = Duration::from_millis(10);
/// ... or after this long, so `Ready` comes well within the program's wait.
const BURST_MAX: Duration = Duration::from_millis(30);
/// Datagrams queued between the reader and the worker.
const QUEUE: usize = 64;
/// Most events, and description bytes, one program may announce (all
/// programs together: see `Registry::reserve_schema_bytes`).
const MAX_EVENTS: usize = 8192;
const MAX_SCHEMA_BYTES: usize = 4 << 20;

/// What the worker reacts to.
enum Input {
    Frame(Frame, Vec<OwnedFd>),
    /// The program sent something undecodable.
    Malformed,
    /// The connection ended.
    Closed,
    /// Control wants the program to follow the sessions (see `App::poke`).
    Wake,
}

/// Why a conversation ends.
enum Gone {
    /// Closed, or unresponsive.
    Dead,
    /// Broke the protocol: told so, then disconnected.
    Violation,
}

/// A registered program, as the rest of the daemon sees it.
pub struct App {
    pub key: u64,
    pub pid: u32,
    pub uid: u32,
    pub procname: String,
    events: Mutex<Vec<EventSchema>>,
    inbox: SyncSender<Input>,
    /// Waiters for the next completed reconciliation.
    pokes: Mutex<Vec<mpsc::Sender<()>>>,
    poked: AtomicBool,
}

impl App {
    /// Names of the events the program announced.
    pub fn event_names(&self) -> Vec<String> {
        lock(&self.events).iter().map(|e| e.name.clone()).collect()
    }

    /// Asks the worker to follow the sessions; the receiver hears once it
    /// did (or is dropped when the program goes away).
    pub fn poke(&self) -> mpsc::Receiver<()> {
        let (tx, rx) = mpsc::channel();
        lock(&self.pokes).push(tx);
        self.poked.store(true, Ordering::Release);
        let _ = self.inbox.try_send(Input::Wake);
        rx
    }
}

/// The session a program records into, and its events' state there.
struct Binding {
    session: Arc<Session>,
    /// Event name → whether the program accepted `Enable`.
    enabled: HashMap<String, bool>,
}

/// The conversation itself: sending commands and waiting for replies.
struct Link {
    reg: Arc<Registry>,
    app: Arc<App>,
    conn: Arc<Conn>,
    inbox: Receiver<Input>,
    seq: u32,
    ncpu: u32,
    schema_bytes: usize,
    /// New events arrived since the last reconciliation.
    dirty: bool,
    /// The program said its first announcements are complete (`Ready`).
    announced: bool,
}

struct Worker {
    link: Link,
    bound: Option<Binding>,
    /// Sessions whose channel this program could not provide.
    refused: HashSet<u32>,
}

/// Serves a program that sent `hello`, until it goes away.
pub fn serve(reg: Arc<Registry>, conn: Arc<Conn>, cred: PeerCred, hello: AppHello, seq: u32) {
    if let Err(e) = check_hello(&hello) {
        let _ = conn.send(seq, e as i32, &Message::Ack, &[]);
        return;
    }
    let (tx, rx) = mpsc::sync_channel(QUEUE);
    let app = Arc::new(App {
        key: reg.new_key(),
        pid: cred.pid,
        uid: cred.uid,
        procname: hello.procname,
        events: Mutex::new(Vec::new()),
        inbox: tx.clone(),
        pokes: Mutex::new(Vec::new()),
        poked: AtomicBool::new(false),
    });
    let reader_conn = conn.clone();
    let Ok(reader) = std::thread::Builder::new()
        .name(format!("ust-app-{}", cred.pid))
        .spawn(move || read_loop(&reader_conn, &tx))
    else {
        return;
    };
    reg.add_app(app.clone());
    let mut worker = Worker {
        link: Link {
            reg: reg.clone(),
            app,
            conn: conn.clone(),
            inbox: rx,
            seq: 0,
            ncpu: hello.ncpu,
            schema_bytes: 0,
            dirty: false,
            announced: false,
        },
        bound: None,
        refused: HashSet::new(),
    };
    let ended = guarded(|| worker.run()).unwrap_or(Gone::Dead);
    worker.farewell(ended);
    drop(worker);
    let _ = reader.join();
}

/// What the daemon can serve: 1..=MAX_CPUS buffers, this ABI.
fn check_hello(hello: &AppHello) -> Result<(), Error> {
    if hello.ncpu == 0 || hello.ncpu as usize > MAX_CPUS {
        return Err(Error::BadArgument);
    }
    if u32::from(hello.abi_major) != ust::abi::ABI_MAJOR {
        return Err(Error::UnsupportedVersion);
    }
    Ok(())
}

/// Ends a connection at once (unblocks its reader).
pub fn shutdown(conn: &Conn) {
    // SAFETY: shutdown on a socket descriptor this process owns.
    unsafe { libc::shutdown(conn.raw_fd(), libc::SHUT_RDWR) };
}

fn read_loop(conn: &Conn, tx: &SyncSender<Input>) {
    loop {
        let input = match conn.recv(None) {
            Ok((frame, fds)) => Input::Frame(frame, fds),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => Input::Malformed,
            Err(_) => Input::Closed,
        };
        let last = !matches!(input, Input::Frame(..));
        if tx.send(input).is_err() || last {
            return;
        }
    }
}

/// A rough size of an event description, to bound what a program may announce.
fn schema_size(e: &EventSchema) -> usize {
    let field = |f: &ust::schema::Field| {
        f.name.len()
            + 32
            + match &f.ty {
                FieldType::Enum { labels, .. } => labels.iter().map(|l| l.label.len() + 16).sum(),
                _ => 0,
            }
    };
    e.name.len() + e.signature.len() + 32 + e.fields.iter().map(field).sum::<usize>()
}

impl Link {
    /// Handles something the program sent or control asked, outside a command.
    fn take(&mut self, input: Input) -> Result<(), Gone> {
        match input {
            Input::Frame(frame, _) => self.unsolicited(frame),
            Input::Wake => Ok(()),
            Input::Malformed => Err(Gone::Violation),
            Input::Closed => Err(Gone::Dead),
        }
    }

    /// A message the program sent on its own: only `AppEvent` is allowed.
    fn unsolicited(&mut self, frame: Frame) -> Result<(), Gone> {
        let schema = match frame.message {
            Message::AppEvent(schema) => schema,
            Message::Ready => {
                self.announced = true;
                return Ok(());
            }
            _ => return Err(Gone::Violation),
        };
        let mut events = lock(&self.app.events);
        if events.iter().any(|e| e.name == schema.name) {
            return Ok(());
        }
        let size = schema_size(&schema);
        if events.len() >= MAX_EVENTS
            || self.schema_bytes + size > MAX_SCHEMA_BYTES
            || !self.reg.reserve_schema_bytes(size)
        {
            return Err(Gone::Violation);
        }
        self.schema_bytes += size;
        events.push(schema);
        self.dirty = true;
        Ok(())
    }

    /// Sends a command and waits (bounded) for its reply: (status, fds).
    fn call(&mut self, message: Message) -> Result<(i32, Vec<OwnedFd>), Gone> {
        self.seq = self.seq.wrapping_add(1).max(1);
        self.conn
            .send(self.seq, 0, &message, &[])
            .map_err(|_| Gone::Dead)?;
        let deadline = Instant::now() + REPLY_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.inbox.recv_timeout(left) {
                Ok(Input::Frame(f, fds)) if f.seq == self.seq && f.message == Message::Ack => {
                    return Ok((f.status, fds));
                }
                Ok(input) => self.take(input)?,
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                    return Err(Gone::Dead)
                }
            }
        }
    }

    /// A command whose reply status is all that matters.
    fn command(&mut self, message: Message) -> Result<bool, Gone> {
        Ok(self.call(message)?.0 == 0)
    }

    /// Takes in the program's first announcements, until it pauses.
    fn initial_burst(&mut self) -> Result<(), Gone> {
        let end = Instant::now() + BURST_MAX;
        while !self.announced {
            let left = end.saturating_duration_since(Instant::now()).min(BURST_GAP);
            match self.inbox.recv_timeout(left) {
                Ok(input) => self.take(input)?,
                Err(RecvTimeoutError::Timeout) => return Ok(()),
                Err(RecvTimeoutError::Disconnected) => return Err(Gone::Dead),
            }
        }
        Ok(())
    }
}

impl Worker {
    /// Undoes the registration however the conversation ended: what the
    /// program committed is written out, it leaves the list, the
    /// connection closes (after a `BadMessage` for a protocol breach).
    fn farewell(&mut self, ended: Gone) {
        let reg = &self.link.reg;
        if let Some(b) = self.bound.take() {
            b.session.detach(self.link.app.key);
        }
        reg.remove_app(self.link.app.key);
        reg.release_schema_bytes(self.link.schema_bytes);
        if let Gone::Violation = ended {
            let _ = self
                .link
                .conn
                .send(0, Error::BadMessage as i32, &Message::Ack, &[]);
        }
        shutdown(&self.link.conn);
    }

    fn run(&mut self) -> Gone {
        let result = self.converse();
        match result {
            Ok(never) => match never {},
            Err(gone) => gone,
        }
    }

    fn converse(&mut self) -> Result<std::convert::Infallible, Gone> {
        self.link.initial_burst()?;
        self.reconcile()?;
        self.link.seq = self.link.seq.wrapping_add(1).max(1);
        self.link
            .conn
            .send(self.link.seq, 0, &Message::Ready, &[])
            .map_err(|_| Gone::Dead)?;
        loop {
            // Changes seen while a command waited for its reply count too.
            if self.link.dirty || self.link.app.poked.load(Ordering::Acquire) {
                self.reconcile()?;
                continue;
            }
            let input = self.link.inbox.recv().map_err(|_| Gone::Dead)?;
            self.link.take(input)?;
            while let Ok(input) = self.link.inbox.try_recv() {
                self.link.take(input)?;
            }
        }
    }

    /// Brings the program in line with the sessions, then tells whoever
    /// poked it.
    fn reconcile(&mut self) -> Result<(), Gone> {
        self.link.app.poked.store(false, Ordering::Release);
        let pokes = std::mem::take(&mut *lock(&self.link.app.pokes));
        self.link.dirty = false;
        let key = self.link.app.key;
        if self.bound.as_ref().is_some_and(|b| !b.session.holds(key)) {
            self.detach()?;
        }
        if self.bound.is_none() {
            if let Some(session) = self.candidate() {
                self.attach(session)?;
            }
        }
        if self.bound.is_some() {
            self.sync_events()?;
        }
        pokes.into_iter().for_each(|p| {
            let _ = p.send(());
        });
        Ok(())
    }

    /// The first started session that may trace this program and wants
    /// one of its events.
    fn candidate(&self) -> Option<Arc<Session>> {
        let events = lock(&self.link.app.events).clone();
        self.link.reg.sessions().into_iter().find(|s| {
            s.recording()
                && s.owner.may_trace(self.link.app.uid)
                && !self.refused.contains(&s.id)
                && events.iter().any(|e| s.selects(e))
        })
    }

    /// Asks the program for a channel and hands it to the session.
    fn attach(&mut self, session: Arc<Session>) -> Result<(), Gone> {
        let geo = session.geometry;
        let spec = ChannelSpec {
            session: session.id,
            subbuf_size: geo.subbuf_size,
            num_subbuf: geo.num_subbuf as u32,
            overwrite: geo.overwrite,
            clock: session.clock.code(),
        };
        let (status, fds) = self.link.call(Message::Channel(spec))?;
        if status != 0 {
            self.refused.insert(session.id);
            return Ok(());
        }
        let attached = self.map_buffers(fds, &session).and_then(|channel| {
            session.attach(Attached {
                key: self.link.app.key,
                pid: self.link.app.pid,
                procname: self.link.app.procname.clone(),
                channel,
            })
        });
        match attached {
            Ok(()) => {
                self.bound = Some(Binding {
                    session,
                    enabled: HashMap::new(),
                });
                Ok(())
            }
            Err(_) => {
                if session.recording() {
                    self.refused.insert(session.id);
                }
                self.link
                    .command(Message::Release {
                        session: session.id,
                    })
                    .map(drop)
            }
        }
    }

    /// Maps the program's per-CPU buffers (one sealed memfd per CPU).
    fn map_buffers(&self, fds: Vec<OwnedFd>, session: &Session) -> Result<Arc<Channel>, Error> {
        if fds.len() != self.link.ncpu as usize {
            return Err(Error::BadMessage);
        }
        let buffers = fds
            .into_iter()
            .enumerate()
            .map(|(cpu, fd)| RingBuffer::open(fd, cpu as u32, session.geometry))
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(|_| Error::BadMessage)?;
        Ok(Arc::new(Channel::from_buffers(buffers)))
    }

    /// Enables the events the session selects, disables the others.
    fn sync_events(&mut self) -> Result<(), Gone> {
        let Some(b) = self.bound.as_mut() else {
            return Ok(());
        };
        let session = b.session.clone();
        let events = lock(&self.link.app.events).clone();
        for e in &events {
            if b.enabled.contains_key(&e.name) || !session.selects(e) {
                continue;
            }
            let accepted = match session.event_id(e) {
                Ok(event_id) => self.link.command(Message::Enable {
                    session: session.id,
                    event_id,
                    name: e.name.clone(),
                })?,
                Err(_) => false,
            };
            b.enabled.insert(e.name.clone(), accepted);
        }
        let unwanted: Vec<(String, bool)> = b
            .enabled
            .iter()
            .filter(|(name, _)| {
                !events
                    .iter()
                    .any(|e| &e.name == *name && session.selects(e))
            })
            .map(|(n, on)| (n.clone(), *on))
            .collect();
        for (name, on) in unwanted {
            b.enabled.remove(&name);
            if on {
                self.link.command(Message::Disable {
                    session: session.id,
                    name,
                })?;
            }
        }
        Ok(())
    }

    /// Leaves the bound session: events disabled, buffers flushed and
    /// written out, channel released.
    fn detach(&mut self) -> Result<(), Gone> {
        let Some(b) = self.bound.take() else {
            return Ok(());
        };
        let quiesced = self.quiesce(&b);
        b.session.detach(self.link.app.key);
        quiesced?;
        self.link
            .command(Message::Release {
                session: b.session.id,
            })
            .map(drop)
    }

    fn quiesce(&mut self, b: &Binding) -> Result<(), Gone> {
        for (name, _) in b.enabled.iter().filter(|(_, on)| **on) {
            self.link.command(Message::Disable {
                session: b.session.id,
                name: name.clone(),
            })?;
        }
        self.link
            .command(Message::Flush {
                session: b.session.id,
            })
            .map(drop)
    }
}
