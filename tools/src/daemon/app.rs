//! One registered program: its conversation with the daemon.
//!
//! Two threads per program: a reader that turns every datagram into an
//! `Input` (bounded queue, so a flooding program is slowed down, not
//! buffered), and a worker that owns the conversation. The worker collects
//! the initial `AppEvent`s (until the program sends `Ready` to say they are
//! all there; one that does not within `ANNOUNCE_WAIT` is let go), attaches
//! the program to the started sessions that may trace it and want some of
//! its events, sends `Ready`, then follows every change ("pokes" from
//! control commands, new `AppEvent`s) the same way. A program that goes
//! away before it was set up is reported to the sessions that would have
//! traced it: its events, if any, were not recorded.
//!
//! A program records into every started session that is allowed to trace
//! it (same uid, or a root session) and enables one of its events, and in
//! each into the channels its events are enabled in: one set of per-CPU
//! buffers per channel, created when the first event needs it. When a
//! session stops, the program detaches from it alone (its events there
//! disabled, its buffers flushed and written); the other sessions go on.
//!
//! Every command waits at most `REPLY_TIMEOUT` for its reply; a program
//! that does not answer in time, sends anything out of turn or malformed,
//! or announces too much is disconnected. Disconnection (or death) never
//! loses committed events: the daemon holds the buffers, flushes them
//! itself and writes what they hold (`Session::detach`).

use super::registry::Registry;
use super::session::{guarded, lock, Attached, Session};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use ust::channel::Channel;
use ust::ipc::proto::{AppHello, ChannelSpec, Error, Frame, Message, MAX_CPUS};
use ust::ipc::wire::{Conn, PeerCred};
use ust::ringbuf::{Geometry, RingBuffer};
use ust::schema::{EventSchema, FieldType};

/// How long a program may take to answer a command.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(1);
/// How long the program may take to announce its events (it ends with
/// `Ready`): on a busy machine, many programs start at once.
const ANNOUNCE_WAIT: Duration = Duration::from_secs(5);
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

/// What came of asking a program for a channel's buffers.
enum Opened {
    Yes,
    /// The program could not make them (it said why).
    Refused,
    /// It sent buffers the daemon cannot use; it must free them.
    Unusable,
}

/// A session the program records into, and its state there.
struct Binding {
    session: Arc<Session>,
    /// Channels created in the program for this session.
    channels: HashSet<u32>,
    /// (channel, event name) → the filters the program was given (`None`
    /// if it refused the event).
    enabled: HashMap<(u32, String), Option<Vec<String>>>,
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
    /// The program said later announcements are complete and waits for
    /// its events to be set up (`Ready`, answered with `Ready`).
    ready_wanted: bool,
}

struct Worker {
    link: Link,
    /// The program was told its events are set up (the first `Ready`).
    set_up: bool,
    /// The sessions the program records into, by session id.
    bound: BTreeMap<u32, Binding>,
    /// Sessions this program could not record into.
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
        set_up: false,
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
            ready_wanted: false,
        },
        bound: BTreeMap::new(),
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
                self.ready_wanted = self.announced;
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
        self.call_with(message, &[])
    }

    /// `call`, handing the program descriptors `fds` along.
    fn call_with(&mut self, message: Message, fds: &[RawFd]) -> Result<(i32, Vec<OwnedFd>), Gone> {
        self.seq = self.seq.wrapping_add(1).max(1);
        self.conn
            .send(self.seq, 0, &message, fds)
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

    /// Tells the program its events are set up.
    fn ready(&mut self) -> Result<(), Gone> {
        self.seq = self.seq.wrapping_add(1).max(1);
        self.conn
            .send(self.seq, 0, &Message::Ready, &[])
            .map_err(|_| Gone::Dead)
    }

    /// Takes in the program's first announcements, until it says they are
    /// complete (`Ready`); a program that never does is not set up.
    fn initial_burst(&mut self) -> Result<(), Gone> {
        let end = Instant::now() + ANNOUNCE_WAIT;
        while !self.announced {
            let left = end.saturating_duration_since(Instant::now());
            match self.inbox.recv_timeout(left) {
                Ok(input) => self.take(input)?,
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                    return Err(Gone::Dead)
                }
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
        for b in std::mem::take(&mut self.bound).into_values() {
            b.session.detach(self.link.app.key);
        }
        if !self.set_up {
            let app = &self.link.app;
            reg.sessions()
                .iter()
                .filter(|s| s.recording() && s.owner.may_trace(app.uid))
                .for_each(|s| s.program_lost(app.pid, &app.procname));
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
        self.link.ready()?;
        self.set_up = true;
        loop {
            // Changes seen while a command waited for its reply count too.
            if self.link.dirty || self.link.app.poked.load(Ordering::Acquire) {
                self.reconcile()?;
                continue;
            }
            if std::mem::take(&mut self.link.ready_wanted) {
                self.link.ready()?;
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
        let gone: Vec<u32> = self
            .bound
            .iter()
            .filter(|(_, b)| !b.session.holds(key))
            .map(|(id, _)| *id)
            .collect();
        for id in gone {
            self.detach(id)?;
        }
        for session in self.candidates() {
            self.bind(session)?;
        }
        let ids: Vec<u32> = self.bound.keys().copied().collect();
        for id in ids {
            self.sync_events(id)?;
        }
        pokes.into_iter().for_each(|p| {
            let _ = p.send(());
        });
        Ok(())
    }

    /// Started sessions that may trace this program, want one of its
    /// events, and do not record it yet.
    fn candidates(&self) -> Vec<Arc<Session>> {
        let events = lock(&self.link.app.events).clone();
        self.link
            .reg
            .sessions()
            .into_iter()
            .filter(|s| {
                s.recording()
                    && !self.bound.contains_key(&s.id)
                    && s.owner.may_trace(self.link.app.uid)
                    && !self.refused.contains(&s.id)
                    && events.iter().any(|e| s.selects(e))
            })
            .collect()
    }

    /// Starts recording into `session`: its channels are created as its
    /// events need them (see `sync_events`).
    fn bind(&mut self, session: Arc<Session>) -> Result<(), Gone> {
        let id = session.id;
        self.bound.insert(
            id,
            Binding {
                session,
                channels: HashSet::new(),
                enabled: HashMap::new(),
            },
        );
        self.sync_events(id)?;
        if self.bound.get(&id).is_some_and(|b| b.channels.is_empty()) {
            self.bound.remove(&id);
            self.refused.insert(id);
        }
        Ok(())
    }

    /// Asks the program for the buffers of channel `ch` of a session and
    /// hands them to the session.
    fn open_channel(&mut self, session: &Arc<Session>, ch: u32) -> Result<Opened, Gone> {
        let Some(def) = session.channel_def(ch) else {
            return Ok(Opened::Refused);
        };
        let spec = ChannelSpec {
            session: session.id,
            channel: ch,
            subbuf_size: def.geometry.subbuf_size,
            num_subbuf: def.geometry.num_subbuf as u32,
            overwrite: def.geometry.overwrite,
            clock: session.clock.code(),
            blocking_timeout_us: def.blocking_timeout_us,
        };
        let bell = session.doorbell.fd().as_raw_fd();
        let (status, fds) = self.link.call_with(Message::Channel(spec), &[bell])?;
        if status != 0 {
            let why = Error::from_code(status).map_or("refused", Error::describe);
            session.report(format!(
                "program {} (pid {}) could not create the buffers of channel {}: {why}",
                self.link.app.procname, self.link.app.pid, def.name
            ));
            return Ok(Opened::Refused);
        }
        let attached = self.map_buffers(fds, def.geometry).and_then(|channel| {
            session.attach(Attached {
                key: self.link.app.key,
                pid: self.link.app.pid,
                procname: self.link.app.procname.clone(),
                channel_id: ch,
                channel,
            })
        });
        Ok(match attached {
            Ok(()) => Opened::Yes,
            Err(_) => Opened::Unusable,
        })
    }

    /// Maps the program's per-CPU buffers (one sealed memfd per CPU).
    fn map_buffers(&self, fds: Vec<OwnedFd>, geo: Geometry) -> Result<Arc<Channel>, Error> {
        if fds.len() != self.link.ncpu as usize {
            return Err(Error::BadMessage);
        }
        let buffers = fds
            .into_iter()
            .enumerate()
            .map(|(cpu, fd)| RingBuffer::open(fd, cpu as u32, geo))
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(|_| Error::BadMessage)?;
        Ok(Arc::new(Channel::from_buffers(buffers)))
    }

    /// Enables, in the program, the events session `id` records (creating
    /// the channels they need), and disables the others.
    fn sync_events(&mut self, id: u32) -> Result<(), Gone> {
        let Some(session) = self.bound.get(&id).map(|b| b.session.clone()) else {
            return Ok(());
        };
        let events = lock(&self.link.app.events).clone();
        let mut wanted: HashMap<(u32, String), Vec<String>> = HashMap::new();
        for e in &events {
            for (ch, filters) in session.selections(e) {
                wanted.insert((ch, e.name.clone()), filters);
            }
        }
        for e in &events {
            for (ch, filters) in session.selections(e) {
                let key = (ch, e.name.clone());
                let b = &self.bound[&id];
                if b.enabled
                    .get(&key)
                    .is_some_and(|f| f.as_ref() == Some(&filters))
                {
                    continue;
                }
                if b.enabled.get(&key).is_some_and(Option::is_none) {
                    continue;
                }
                if !b.channels.contains(&ch) {
                    match self.open_channel(&session, ch)? {
                        Opened::Yes => {}
                        Opened::Refused => continue,
                        Opened::Unusable => {
                            self.refused.insert(id);
                            return self.detach(id);
                        }
                    }
                    self.bound.get_mut(&id).map(|b| b.channels.insert(ch));
                }
                let accepted = match session.event_id(ch, e) {
                    Ok(event_id) => self.link.command(Message::Enable {
                        session: id,
                        channel: ch,
                        event_id,
                        name: e.name.clone(),
                        filters: filters.clone(),
                    })?,
                    Err(_) => false,
                };
                if let Some(b) = self.bound.get_mut(&id) {
                    b.enabled.insert(key, accepted.then_some(filters));
                }
            }
        }
        let unwanted: Vec<((u32, String), bool)> = self.bound[&id]
            .enabled
            .iter()
            .filter(|(k, _)| !wanted.contains_key(*k))
            .map(|(k, f)| (k.clone(), f.is_some()))
            .collect();
        for ((ch, name), on) in unwanted {
            if let Some(b) = self.bound.get_mut(&id) {
                b.enabled.remove(&(ch, name.clone()));
            }
            if on {
                self.link.command(Message::Disable {
                    session: id,
                    channel: ch,
                    name,
                })?;
            }
        }
        Ok(())
    }

    /// Leaves session `id`: events disabled, buffers flushed and written
    /// out, channels released.
    fn detach(&mut self, id: u32) -> Result<(), Gone> {
        let Some(b) = self.bound.remove(&id) else {
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
        for ((ch, name), _) in b.enabled.iter().filter(|(_, f)| f.is_some()) {
            self.link.command(Message::Disable {
                session: b.session.id,
                channel: *ch,
                name: name.clone(),
            })?;
        }
        if b.channels.is_empty() {
            return Ok(());
        }
        self.link
            .command(Message::Flush {
                session: b.session.id,
            })
            .map(drop)
    }
}
