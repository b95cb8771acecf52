//! One tracing session of the daemon: its trace directory (one CTF trace
//! whatever the number of programs), its channels (each a CTF stream class
//! with its own buffer geometry, and in each program its own per-CPU
//! buffers and stream files), which events it enables into which channel
//! (with which filters), the event ids and metadata it owns, the consumers
//! of the programs recording into it, and the consumer thread that drains
//! them.
//!
//! Where the trace goes is the session's `Sink`: a trace on disk, cut into
//! chunks when rotated (`chunks`); a flight recorder, written only by
//! snapshots (`recorder`); or a relay (`relay`). Each consumer's output is
//! made for it (stream files in the current chunk, the recorder's nothing,
//! relay streams).
//!
//! Programs attach and detach themselves (see `app`); the session only
//! holds their consumers. A consumer is finished (every committed event
//! written) when its program detaches, dies, or the session stops; the
//! session's lock is the only synchronisation, and nothing here waits on a
//! program.

use super::access::{self, Identity};
use super::chunks::{self, Chunks};
use super::kernel::SessionKernel;
use super::recorder::{self, Recorder, Trigger, Unread, Watch};
use super::registry::Refusal;
use super::relay::Link;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use ust::channel::Channel;
use ust::clock::{self, Pair, Source};
use ust::config::{DEFAULT_NUM_SUBBUF, DEFAULT_SUBBUF_SIZE};
use ust::consumer::{Check, ConsumeError, Consumer, Layouts, StreamNaming};
use ust::ctf::header::AppContext;
use ust::ctf::metadata::{self, TraceInfo};
use ust::ctf::walk::PayloadLayout;
use ust::doorbell::Doorbell;
use ust::ipc::proto::{
    self, ChannelConfig, ChannelInfo, CreateSession, Error, OutputInfo, SessionInfo,
    SnapshotRequest, Written,
};
use ust::output::{Files, Output};
use ust::pacer::Pacer;
use ust::ringbuf::Geometry;
use ust::schema::EventSchema;
use ust::tracedir::TraceDir;

/// Consumer polling: fastest when data flows, slowest when idle.
const POLL_MIN: Duration = Duration::from_millis(1);
const POLL_MAX: Duration = Duration::from_millis(2);
/// How long stopping a relay session waits for its packets to be sent.
const RELAY_SETTLE: Duration = Duration::from_secs(30);
/// Polling with nothing to drain (no program, or overwrite mode, written
/// at stop): only the metadata refresh; `attach` wakes the thread.
const POLL_NOTHING: Duration = Duration::from_millis(100);
/// Bounds on what one session may hold, whatever its peers send.
const MAX_RULES: usize = 1024;
const MAX_EVENT_IDS: usize = 65536;
pub const MAX_CHANNELS: usize = 64;
/// The channel created with the session, which `ust enable` uses unless
/// told otherwise (LTTng's name for it).
pub const DEFAULT_CHANNEL: &str = "channel0";
/// Where the userspace trace goes when the kernel's is beside it.
const USERSPACE_DIR: &str = "ust";
const NO_KERNEL_ROTATION: &str =
    "rotation does not cut the kernel trace: a session with kernel events is not rotated";
/// Largest sub-buffer and count (as `UST_SUBBUF_SIZE` / `UST_NUM_SUBBUF`).
const SUBBUF_RANGE: (u64, u64) = (4096, 1 << 28);
const NUM_SUBBUF_RANGE: (u64, u64) = (2, 1024);

/// Where the session is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Created,
    Started,
    /// Programs are detaching; no new ones attach.
    Stopping,
    Stopped,
    Destroyed,
}

impl State {
    /// The number `SessionInfo.state` carries.
    fn code(self) -> u8 {
        match self {
            State::Created => 0,
            State::Started => 1,
            State::Stopping | State::Stopped | State::Destroyed => 2,
        }
    }
}

/// The event clock programs stamp with, and how it maps onto real time.
#[derive(Clone, Copy, Debug)]
pub struct ClockBase {
    pub source: Source,
    start: Pair,
    realtime_offset: i128,
}

impl ClockBase {
    /// Chooses the daemon's clock, `forced` or detected (programs are told to use the
    /// same one).
    pub fn select(forced: Option<Source>) -> ClockBase {
        let source = clock::select(forced);
        ClockBase {
            source,
            start: clock::sample_pair(),
            realtime_offset: clock::realtime_offset_ns(),
        }
    }

    /// Clock ticks in a second (the TSC's frequency, or 10^9).
    pub fn ticks_per_second(&self) -> u64 {
        let now = clock::sample_pair();
        clock::ctf_clock(self.source, self.start, now, self.realtime_offset).freq
    }

    /// `ChannelSpec.clock`: 0 TSC, 1 CLOCK_MONOTONIC.
    pub fn code(&self) -> u8 {
        match self.source {
            Source::Tsc => 0,
            Source::Monotonic => 1,
        }
    }
}

/// Where a session's trace goes.
enum Sink {
    /// A trace on disk, in chunks once rotated.
    Trace(Chunks),
    /// A flight recorder: only snapshots are written.
    Recorder(Recorder),
    /// Streamed to a relay.
    Relay(Link),
}

/// One channel of a session: a CTF stream class, and in each program its
/// own per-CPU buffers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelDef {
    /// Its number: the stream class id, and its index in the session.
    pub id: u32,
    pub name: String,
    pub geometry: Geometry,
    /// How long writers wait for room, in µs (0 never, -1 forever).
    pub blocking_timeout_us: i64,
}

/// One `ust enable` of a glob into a channel.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Rule {
    glob: String,
    loglevel: Option<i32>,
    channel: u32,
    filter: Option<String>,
}

/// Which events a session records, and where: an event goes into a channel
/// when its name matches a glob enabled there whose log level (if any) it
/// meets, and no glob disabled there. Enabling a glob in a channel adds a
/// rule (unless the very same one is there: same glob, log level and
/// filter), as `lttng enable-event` does, so the same glob enabled with two
/// filters keeps what either keeps; it also lifts an identical exclusion.
/// Disabling a glob drops all of its rules there.
#[derive(Default)]
struct Rules {
    enabled: Vec<Rule>,
    /// (glob, channel) exclusions.
    disabled: Vec<(String, u32)>,
}

impl Rules {
    fn enable(
        &mut self,
        globs: &[String],
        loglevel: Option<i32>,
        channel: u32,
        filter: Option<&str>,
    ) {
        for g in globs {
            self.disabled.retain(|(d, c)| !(d == g && *c == channel));
            let rule = Rule {
                glob: g.clone(),
                loglevel,
                channel,
                filter: filter.map(str::to_string),
            };
            if !self.enabled.contains(&rule) {
                self.enabled.push(rule);
            }
        }
    }

    fn disable(&mut self, globs: &[String], channel: u32) {
        for g in globs {
            self.enabled
                .retain(|r| !(r.glob == *g && r.channel == channel));
            if !self.disabled.iter().any(|(d, c)| d == g && *c == channel) {
                self.disabled.push((g.clone(), channel));
            }
        }
    }

    fn len(&self) -> usize {
        self.enabled.len() + self.disabled.len()
    }

    /// The channels recording an event, each with its filters: the event is
    /// kept if any accepts it; no filter (an empty list) keeps everything.
    fn selections(&self, name: &str, loglevel: i32) -> BTreeMap<u32, Vec<String>> {
        let mut out: BTreeMap<u32, Option<Vec<String>>> = BTreeMap::new();
        for r in &self.enabled {
            let excluded = self
                .disabled
                .iter()
                .any(|(g, c)| *c == r.channel && ust::glob::matches(g, name));
            if excluded
                || !r.loglevel.map_or(true, |max| loglevel <= max)
                || !ust::glob::matches(&r.glob, name)
            {
                continue;
            }
            let entry = out.entry(r.channel).or_insert_with(|| Some(Vec::new()));
            match (&r.filter, entry.as_mut()) {
                (Some(f), Some(list)) => {
                    if !list.contains(f) {
                        list.push(f.clone())
                    }
                }
                (None, _) => *entry = None,
                (Some(_), None) => {}
            }
        }
        out.into_iter()
            .map(|(c, f)| (c, f.unwrap_or_default()))
            .collect()
    }
}

/// A program's channel recording into the session.
pub struct Attached {
    pub key: u64,
    pub pid: u32,
    pub procname: String,
    pub channel_id: u32,
    pub channel: Arc<Channel>,
}

#[derive(Clone, Copy, Default)]
struct Totals {
    events: u64,
    bytes: u64,
    discarded: u64,
}

impl Totals {
    fn of(c: &Consumer) -> Totals {
        Totals {
            events: c.events,
            bytes: c.bytes,
            discarded: c.discarded(),
        }
    }

    fn add(self, other: Totals) -> Totals {
        Totals {
            events: self.events.saturating_add(other.events),
            bytes: self.bytes.saturating_add(other.bytes),
            discarded: self.discarded.saturating_add(other.discarded),
        }
    }
}

struct Data {
    state: State,
    rules: Rules,
    channels: Vec<ChannelDef>,
    /// Event ids by (channel, name, signature); ids count per channel.
    ids: HashMap<(u32, String, String), u32>,
    ids_per_channel: Vec<u32>,
    /// The metadata's event blocks.
    tsdl: String,
    /// Consumers of attached programs, by (program key, channel).
    consumers: BTreeMap<(u64, u32), Consumer>,
    /// Programs that ever recorded here.
    programs: HashSet<u64>,
    /// Programs caught writing what no honest program writes: never again.
    liars: HashSet<u64>,
    /// The payload layouts of each channel's events (the consumers' check).
    layouts: Vec<Arc<Layouts>>,
    /// Stream file prefixes in use in the directory.
    prefixes: HashSet<String>,
    next_instance: u64,
    /// What finished consumers wrote and lost, per channel.
    done: Vec<Totals>,
    /// Problems to report in `ust status` (each once).
    errors: Vec<String>,
    /// The first error writing the trace (a full disk), and the events
    /// finished consumers could not write.
    write_error: Option<String>,
    unwritten: u64,
    /// Programs that went away before they were set up, and the first ones.
    lost_programs: u32,
    lost_pids: Vec<String>,
    sink: Sink,
    /// Kernel events recorded beside the trace (`ust enable-kernel`).
    kernel: Option<SessionKernel>,
}

impl Data {
    /// Adds a finished consumer's counts to the channel's.
    fn keep_counts(&mut self, ch: u32, c: &Consumer) {
        if let Some(why) = &c.write_error {
            self.write_error.get_or_insert_with(|| why.clone());
            self.unwritten = self.unwritten.saturating_add(c.unwritten);
        }
        if let Some(t) = self.done.get_mut(ch as usize) {
            *t = t.add(Totals::of(c));
        }
    }

    /// Detaches program `key`, caught lying (`why`) by `liar`, its consumer
    /// of channel `ch`: what it wrote so far stays, nothing more of it is
    /// written, it may not attach again, and the rest of the session goes on.
    fn expel(&mut self, key: u64, ch: u32, liar: &Consumer, why: &str) {
        self.keep_counts(ch, liar);
        let others: Vec<(u64, u32)> = self
            .consumers
            .range((key, 0)..=(key, u32::MAX))
            .map(|(k, _)| *k)
            .collect();
        for k in others {
            if let Some(c) = self.consumers.remove(&k) {
                self.keep_counts(k.1, &c);
            }
        }
        self.liars.insert(key);
        let channel = self
            .channels
            .get(ch as usize)
            .map_or("?", |c| c.name.as_str());
        let problem = format!(
            "program {} wrote inconsistent buffers (channel {channel}, {why}): detached, its later events are not recorded",
            liar.program()
        );
        eprintln!("ust daemon: {problem}");
        if self.errors.len() < 32 {
            self.errors.push(problem);
        }
    }

    /// Events that could not be written, by finished and live consumers.
    fn unwritten_total(&self, live: &BTreeMap<(u64, u32), Consumer>) -> u64 {
        live.values()
            .fold(self.unwritten, |n, c| n.saturating_add(c.unwritten))
    }
}

/// A tracing session.
pub struct Session {
    pub id: u32,
    pub name: String,
    pub owner: Identity,
    /// The trace directory (empty for a relay session).
    pub dir: PathBuf,
    /// The trace directory, open (none for a relay session).
    files: Option<TraceDir>,
    /// The consumer thread's doorbell, handed to programs with each
    /// channel: their blocked writers ring it.
    pub doorbell: Doorbell,
    pub clock: ClockBase,
    info: TraceInfo,
    data: Mutex<Data>,
    /// Signalled when a program detaches.
    detached: Condvar,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// Serialises start, stop and destroy.
    pub op: Mutex<()>,
    /// Serialises snapshots.
    snapshots: Mutex<()>,
}

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Checks buffer settings; sizes of 0 mean `base`'s (the defaults for a
/// session).
fn geometry(
    subbuf_size: u64,
    num_subbuf: u32,
    overwrite: bool,
    base: Geometry,
) -> Result<Geometry, Error> {
    let pick = |v: u64, default: u64| if v == 0 { default } else { v };
    let subbuf_size = pick(subbuf_size, base.subbuf_size);
    let num_subbuf = pick(num_subbuf as u64, base.num_subbuf);
    let ok = |v: u64, (lo, hi): (u64, u64)| v.is_power_of_two() && (lo..=hi).contains(&v);
    if !ok(subbuf_size, SUBBUF_RANGE) || !ok(num_subbuf, NUM_SUBBUF_RANGE) {
        return Err(Error::BadArgument);
    }
    Ok(Geometry {
        subbuf_size,
        num_subbuf,
        overwrite,
    })
}

/// The built-in buffer settings.
const DEFAULT_GEOMETRY: Geometry = Geometry {
    subbuf_size: DEFAULT_SUBBUF_SIZE,
    num_subbuf: DEFAULT_NUM_SUBBUF,
    overwrite: false,
};

/// A channel name: letters, digits, `_`, `-`, `.`, at most 64 bytes (it
/// becomes part of file names).
pub fn valid_channel_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
}

/// A session name: printable, no slash, at most 255 bytes.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 255 && !name.chars().any(|c| c.is_control() || c == '/')
}

/// Opens the trace directory (made 0700 if new) as its owner, checked to
/// be theirs and closed to others (see `TraceDir`); refuses one that
/// already holds a trace.
fn prepare_dir(path: &Path, owner: Identity) -> Result<TraceDir, Refusal> {
    access::as_owner(owner, || {
        let dir = TraceDir::open(path, access::file_owner(owner)).map_err(|e| {
            // TraceDir's refusals say what is wrong; plain I/O errors are
            // worded by the client, which knows the directory.
            match e.get_ref() {
                Some(why) => Refusal::new(Error::PermissionDenied, why.to_string()),
                None => io_error(&e).into(),
            }
        })?;
        if dir.contains("metadata") {
            return Err(Refusal::new(
                Error::BadArgument,
                format!("{} already holds a trace", path.display()),
            ));
        }
        Ok(dir)
    })
}

fn io_error(e: &io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::PermissionDenied => Error::PermissionDenied,
        _ => Error::Io,
    }
}

/// Makes `procname` safe as a file name part (programs choose their name).
fn file_part(procname: &str) -> String {
    let s: String = procname
        .chars()
        .take(15)
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        "program".into()
    } else {
        s
    }
}

impl Session {
    /// Creates a session: its directory, with metadata and no events, or
    /// (`relay`, connected by the caller) its session on a relay.
    pub fn create(
        id: u32,
        req: &CreateSession,
        owner: Identity,
        clock: ClockBase,
        relay: Option<Link>,
    ) -> Result<Session, Refusal> {
        let geometry = geometry(
            req.subbuf_size,
            req.num_subbuf,
            req.overwrite || req.snapshot,
            DEFAULT_GEOMETRY,
        )?;
        if !valid_name(&req.name) || req.blocking_timeout_us < -1 {
            return Err(Error::BadArgument.into());
        }
        let (dir, files, sink) = match relay {
            Some(link) => (PathBuf::new(), None, Sink::Relay(link)),
            None => {
                let dir = PathBuf::from(&req.output);
                if !dir.is_absolute() || dir.parent().is_none() {
                    return Err(Error::BadArgument.into());
                }
                let files = prepare_dir(&dir, owner)?;
                let sink = if req.snapshot {
                    Sink::Recorder(Recorder::default())
                } else {
                    Sink::Trace(Chunks::new())
                };
                (dir, Some(files), sink)
            }
        };
        let mut info = ust::sysinfo::trace_info(&dir);
        info.process = None;
        if let Sink::Relay(_) = sink {
            info.trace_name = req.name.clone();
        }
        let session = Session {
            id,
            name: req.name.clone(),
            owner,
            dir,
            files,
            doorbell: Doorbell::new().map_err(|e| io_error(&e))?,
            clock,
            info,
            data: Mutex::new(Data {
                state: State::Created,
                rules: Rules::default(),
                channels: vec![ChannelDef {
                    id: 0,
                    name: DEFAULT_CHANNEL.into(),
                    geometry,
                    blocking_timeout_us: req.blocking_timeout_us,
                }],
                ids: HashMap::new(),
                ids_per_channel: vec![0],
                tsdl: String::new(),
                consumers: BTreeMap::new(),
                programs: HashSet::new(),
                liars: HashSet::new(),
                layouts: vec![Arc::default()],
                prefixes: HashSet::new(),
                next_instance: 0,
                done: vec![Totals::default()],
                errors: Vec::new(),
                write_error: None,
                unwritten: 0,
                lost_programs: 0,
                lost_pids: Vec::new(),
                sink,
                kernel: None,
            }),
            detached: Condvar::new(),
            thread: Mutex::new(None),
            op: Mutex::new(()),
            snapshots: Mutex::new(()),
        };
        session
            .write_metadata(&mut lock(&session.data))
            .map_err(|e| io_error(&e))?;
        Ok(session)
    }

    pub fn state(&self) -> State {
        lock(&self.data).state
    }

    /// Whether programs should record into this session now.
    pub fn recording(&self) -> bool {
        self.state() == State::Started
    }

    /// Whether the program `key` records into this session now (started,
    /// and a consumer of it not finished by a stop or a write error).
    pub fn holds(&self, key: u64) -> bool {
        let d = lock(&self.data);
        d.state == State::Started
            && d.consumers
                .range((key, 0)..=(key, u32::MAX))
                .next()
                .is_some()
    }

    /// Whether the session records `schema` at all.
    pub fn selects(&self, schema: &EventSchema) -> bool {
        !self.selections(schema).is_empty()
    }

    /// The channels recording `schema`, each with its filters (see `Rules`).
    pub fn selections(&self, schema: &EventSchema) -> BTreeMap<u32, Vec<String>> {
        lock(&self.data)
            .rules
            .selections(&schema.name, schema.loglevel)
    }

    /// The channel numbered `id`.
    pub fn channel_def(&self, id: u32) -> Option<ChannelDef> {
        lock(&self.data).channels.get(id as usize).cloned()
    }

    /// Adds a channel (only before the session first starts).
    pub fn enable_channel(&self, cfg: &ChannelConfig) -> Result<(), Error> {
        let mut d = lock(&self.data);
        if !valid_channel_name(&cfg.name) || cfg.blocking_timeout_us < -1 {
            return Err(Error::BadArgument);
        }
        if d.channels.iter().any(|c| c.name == cfg.name) {
            return Err(Error::SessionExists);
        }
        if d.state != State::Created || d.channels.len() >= MAX_CHANNELS {
            return Err(Error::WrongState);
        }
        let recorder = matches!(d.sink, Sink::Recorder(_));
        let geometry = geometry(
            cfg.subbuf_size,
            cfg.num_subbuf,
            cfg.overwrite || recorder,
            d.channels[0].geometry,
        )?;
        add_channel(&mut d, &cfg.name, geometry, cfg.blocking_timeout_us);
        self.write_metadata(&mut d).map_err(|e| io_error(&e))
    }

    /// Enables events by glob into a channel (empty name: the default
    /// one); empty globs are refused.
    pub fn enable(
        &self,
        globs: &[String],
        loglevel: Option<i32>,
        channel: &str,
        filter: Option<&str>,
    ) -> Result<(), Error> {
        let mut d = self.checked_rules(globs)?;
        let channel = channel_id(&d, channel)?;
        d.rules.enable(globs, loglevel, channel, filter);
        Ok(())
    }

    /// Disables events by glob in a channel; empty globs are refused.
    pub fn disable(&self, globs: &[String], channel: &str) -> Result<(), Error> {
        let mut d = self.checked_rules(globs)?;
        let channel = channel_id(&d, channel)?;
        d.rules.disable(globs, channel);
        Ok(())
    }

    fn checked_rules(&self, globs: &[String]) -> Result<MutexGuard<'_, Data>, Error> {
        let d = lock(&self.data);
        if globs.is_empty() || globs.iter().any(|g| g.is_empty()) {
            return Err(Error::BadArgument);
        }
        if d.state == State::Destroyed {
            return Err(Error::NoSuchSession);
        }
        if d.rules.len() + globs.len() > MAX_RULES {
            return Err(Error::BadArgument);
        }
        Ok(d)
    }

    /// Notes a program that went away before it could be set up.
    pub fn program_lost(&self, pid: u32, procname: &str) {
        let mut d = lock(&self.data);
        d.lost_programs += 1;
        if d.lost_pids.len() < 16 {
            d.lost_pids.push(format!("{procname} {pid}"));
        }
    }

    /// Notes a problem for `ust status` (once).
    pub fn report(&self, problem: String) {
        self.report_locked(&mut lock(&self.data), problem);
    }

    /// Starts recording (from created or stopped) and the consumer thread.
    /// A trace rotated while stopped gets its next chunk; a relay session
    /// sends its metadata and must find the relay reachable.
    pub fn start(self: &Arc<Self>) -> Result<(), Refusal> {
        let probe = {
            let mut guard = lock(&self.data);
            let d = &mut *guard;
            if !matches!(d.state, State::Created | State::Stopped) {
                return Err(Error::WrongState.into());
            }
            self.open_chunk(d).map_err(|e| io_error(&e))?;
            self.start_kernel(d)?;
            if let Sink::Relay(link) = &mut d.sink {
                let preamble = self.preamble(&self.info, d.channels.len() as u32);
                link.begin(|| preamble, &d.tsdl);
                Some(link.probe())
            } else {
                None
            }
        };
        if let Some(probe) = probe {
            probe
                .wait()
                .map_err(|why| Refusal::new(Error::Io, format!("cannot start: {why}")))?;
        }
        let mut d = lock(&self.data);
        let me = self.clone();
        let thread = std::thread::Builder::new()
            .name(format!("ust-consume-{}", self.id))
            .spawn(move || me.consume())
            .map_err(|_| Error::Internal)?;
        d.state = State::Started;
        *lock(&self.thread) = Some(thread);
        Ok(())
    }

    /// Starts the kernel recording, if any, beside the userspace trace.
    fn start_kernel(&self, d: &mut Data) -> Result<(), Refusal> {
        let Some(kernel) = d.kernel.as_mut() else {
            return Ok(());
        };
        let metadata = self.preamble(&self.info, d.channels.len() as u32);
        kernel.start(&self.dir, &metadata, &self.name, self.owner)
    }

    /// `ust enable-kernel`: kernel events of the categories `spec` recorded
    /// in `OUTPUT/kernel` from each start to each stop, the userspace trace
    /// moved to `OUTPUT/ust` (LTTng's layout, which readers merge). Only
    /// before the first start of a session writing here, on a daemon whose
    /// clock is the kernel's.
    pub fn enable_kernel(&self, spec: &str, buffer_size: u64) -> Result<(), Refusal> {
        let refuse = |why: &str| Err(Refusal::new(Error::WrongState, why.to_string()));
        if self.clock.source != Source::Monotonic {
            return refuse(
                "kernel events are stamped with CLOCK_MONOTONIC, and this daemon's clock is \
                 the TSC: run the daemon with `ust daemon --clock monotonic`",
            );
        }
        let mut guard = lock(&self.data);
        let d = &mut *guard;
        let (Sink::Trace(chunks), Some(top)) = (&mut d.sink, &self.files) else {
            return refuse(
                "kernel events go beside a trace written on this machine: not with a flight \
                 recorder or a relay",
            );
        };
        if d.state != State::Created {
            return refuse("kernel events are enabled before the session first starts");
        }
        if chunks.policy != chunks::Policy::default() {
            return refuse("a session with kernel events is not rotated: disable its rotation");
        }
        let kernel = SessionKernel::new(spec, buffer_size)?;
        match d.kernel.as_mut() {
            Some(k) => k.extend(kernel),
            None => {
                let uid = access::file_owner(self.owner);
                access::as_owner(self.owner, || -> io::Result<()> {
                    chunks.nest_first(top, USERSPACE_DIR, uid)?;
                    top.remove("metadata")
                })
                .map_err(|e| {
                    Refusal::new(io_error(&e), format!("cannot make {USERSPACE_DIR}/: {e}"))
                })?;
                d.kernel = Some(kernel);
                self.write_metadata(d).map_err(|e| io_error(&e))?;
            }
        }
        Ok(())
    }

    /// Opens the next chunk of a trace whose last one was closed (rotated
    /// while stopped), with its metadata.
    fn open_chunk(&self, d: &mut Data) -> io::Result<()> {
        let mark = mark(d);
        if let (Sink::Trace(chunks), Some(top)) = (&mut d.sink, &self.files) {
            if !chunks.open() {
                let uid = access::file_owner(self.owner);
                access::as_owner(self.owner, || chunks.begin_next(top, uid, mark))?;
                self.write_metadata(d)?;
            }
        }
        Ok(())
    }

    /// `ust rotate`: closes the current chunk of the trace, every event
    /// recorded until now in it, and archives it; a started session goes on
    /// in the next chunk.
    pub fn rotate(&self) -> Result<Written, Refusal> {
        let mut d = lock(&self.data);
        self.rotate_locked(&mut d)
    }

    fn rotate_locked(&self, d: &mut Data) -> Result<Written, Refusal> {
        let refuse = |why: &str| Err(Refusal::new(Error::WrongState, why.to_string()));
        if d.kernel.is_some() {
            return refuse(NO_KERNEL_ROTATION);
        }
        let (Sink::Trace(chunks), Some(top)) = (&d.sink, &self.files) else {
            return refuse(match d.sink {
                Sink::Recorder(_) => {
                    "a flight recorder writes snapshots, not chunks: use `ust snapshot`"
                }
                _ => "a session streamed to a relay is not rotated here",
            });
        };
        if !matches!(d.state, State::Started | State::Stopped) || !chunks.open() {
            return refuse(match d.state {
                State::Created => "the session never started: nothing to rotate",
                State::Stopped => "nothing was recorded since the last rotation",
                _ => "the session is stopping or gone",
            });
        }
        let started = d.state == State::Started;
        let cut = self.each_consumer(d, Consumer::cut);
        self.forget_failed(d, cut);
        self.write_metadata(d).map_err(|e| io_error(&e))?;
        let (uid, mark) = (access::file_owner(self.owner), mark(d));
        let Sink::Trace(chunks) = &mut d.sink else {
            return refuse("no trace");
        };
        let closed = if started {
            access::as_owner(self.owner, || chunks.begin_next(top, uid, mark)).map_err(|e| {
                Refusal::new(io_error(&e), format!("cannot start the next chunk: {e}"))
            })?
        } else {
            chunks.close(mark)
        };
        let Some(closed) = closed else {
            return refuse("no chunk to close");
        };
        if started {
            self.switch_chunk(d);
            self.write_metadata(d).map_err(|e| io_error(&e))?;
        }
        let holds = closed.holds();
        let Sink::Trace(chunks) = &mut d.sink else {
            return refuse("no trace");
        };
        let path = access::as_owner(self.owner, || chunks.archive(closed, top, uid))
            .map_err(|e| Refusal::new(io_error(&e), format!("cannot archive the chunk: {e}")))?;
        Ok(Written {
            path: self.dir.join(path).display().to_string(),
            events: holds.events,
            bytes: holds.bytes,
            ..Written::default()
        })
    }

    /// Points every consumer at stream files in the chunk just begun; a
    /// consumer whose files cannot be made is finished (into the chunk
    /// closing), its program no longer recorded, and the problem reported.
    fn switch_chunk(&self, d: &mut Data) {
        let keys: Vec<(u64, u32)> = d.consumers.keys().copied().collect();
        for key in keys {
            let Some(mut consumer) = d.consumers.remove(&key) else {
                continue;
            };
            let prefix = consumer.naming().prefix.clone();
            let check = consumer.source().check;
            let made = check
                .ok_or_else(|| io::Error::other("no check"))
                .and_then(|check| {
                    self.output(d, key.1, &prefix, &consumer.channel().clone(), &check)
                });
            match made.and_then(|output| consumer.switch_output(output)) {
                Ok(_) => {
                    d.consumers.insert(key, consumer);
                }
                Err(e) => {
                    let program = consumer.program();
                    finish(d, key.1, consumer);
                    self.report_locked(
                        d,
                        format!("cannot write program {program} into the next chunk: {e}"),
                    );
                }
            }
        }
    }

    /// `ust enable-rotation` / `disable-rotation`: rotate once the chunk
    /// holds `size` bytes, or is `timer` old (neither: never by itself).
    pub fn set_rotation(&self, size: u64, timer: Option<Duration>) -> Result<(), Refusal> {
        let mut d = lock(&self.data);
        if d.kernel.is_some() && (size > 0 || timer.is_some()) {
            return Err(Refusal::new(Error::WrongState, NO_KERNEL_ROTATION.into()));
        }
        match &mut d.sink {
            Sink::Trace(chunks) => {
                chunks.policy = chunks::Policy { size, timer };
                Ok(())
            }
            Sink::Recorder(_) => Err(Refusal::new(
                Error::WrongState,
                "a flight recorder writes snapshots, not chunks: use `ust snapshot`".into(),
            )),
            Sink::Relay(_) => Err(Refusal::new(
                Error::WrongState,
                "a session streamed to a relay is not rotated here".into(),
            )),
        }
    }

    /// Runs `f` on every consumer; returns those that failed (could not
    /// write, or caught lying), with why.
    fn each_consumer(
        &self,
        d: &mut Data,
        f: impl Fn(&mut Consumer) -> Result<u64, ConsumeError>,
    ) -> Vec<((u64, u32), ConsumeError)> {
        let mut failed = Vec::new();
        for (key, consumer) in d.consumers.iter_mut() {
            if consumer.channel().buffers()[0].geometry().overwrite {
                continue;
            }
            match guarded(|| f(consumer)) {
                Some(Ok(_)) => {}
                Some(Err(e)) => failed.push((*key, e)),
                None => failed.push((
                    *key,
                    ConsumeError::Io(io::Error::other("its buffers could not be read")),
                )),
            }
        }
        failed
    }

    /// Finishes the consumers that could not write and expels the programs
    /// caught lying (see `drain_all`).
    fn forget_failed(&self, d: &mut Data, failed: Vec<((u64, u32), ConsumeError)>) {
        for (key, e) in failed {
            let Some(c) = d.consumers.remove(&key) else {
                continue;
            };
            match e {
                ConsumeError::Io(e) => {
                    eprintln!("ust daemon: writing to {} failed: {e}", self.dir.display());
                    finish(d, key.1, c);
                }
                lie @ ConsumeError::Lie { .. } => d.expel(key.0, key.1, &c, &lie.to_string()),
            }
        }
        self.detached.notify_all();
    }

    /// `ust snapshot`: writes what the flight recorder's buffers hold now,
    /// one snapshot at a time.
    pub fn snapshot(&self, req: &SnapshotRequest) -> Result<Written, Refusal> {
        let _one = lock(&self.snapshots);
        self.take_snapshot(req)
    }

    /// A snapshot the trigger asked for; skipped (and counted) while
    /// another is written.
    fn triggered_snapshot(&self) {
        let Ok(_one) = self.snapshots.try_lock() else {
            if let Some(t) = self.trigger_mut(&mut lock(&self.data)) {
                t.skipped += 1;
            }
            return;
        };
        let req = {
            let mut d = lock(&self.data);
            match self.trigger_mut(&mut d) {
                Some(t) => t.spec.snapshot.clone(),
                None => return,
            }
        };
        let outcome = self.take_snapshot(&req);
        let mut d = lock(&self.data);
        match outcome {
            Ok(_) => {
                if let Some(t) = self.trigger_mut(&mut d) {
                    t.taken += 1;
                }
            }
            Err(e) => {
                let why = e.text.unwrap_or_else(|| e.code.describe().into());
                self.report_locked(&mut d, format!("triggered snapshot failed: {why}"));
            }
        }
    }

    fn trigger_mut<'a>(&self, d: &'a mut Data) -> Option<&'a mut Trigger> {
        match &mut d.sink {
            Sink::Recorder(r) => r.trigger.as_mut(),
            _ => None,
        }
    }

    fn take_snapshot(&self, req: &SnapshotRequest) -> Result<Written, Refusal> {
        let job = self.snapshot_job(&mut lock(&self.data))?;
        let base = match req.output.as_str() {
            "" => None,
            dir => Some(
                access::as_owner(self.owner, || {
                    TraceDir::open(Path::new(dir), access::file_owner(self.owner))
                })
                .map_err(|e| Refusal::new(io_error(&e), format!("{dir}: {e}")))?,
            ),
        };
        let Some(base) = base.as_ref().or(self.files.as_ref()) else {
            return Err(Error::Internal.into());
        };
        let max = (req.max_size > 0).then_some(req.max_size);
        let outcome = recorder::write(&job, base, self.owner, max)
            .map_err(|why| Refusal::new(Error::Io, why))?;
        let mut d = lock(&self.data);
        for p in outcome.problems {
            self.report_locked(&mut d, p);
        }
        if let Sink::Recorder(r) = &mut d.sink {
            r.taken += 1;
            r.last = outcome.written.path.clone();
        }
        Ok(outcome.written)
    }

    /// What a snapshot reads and writes, gathered under the lock: every
    /// program's channels (those of programs gone included), and the
    /// metadata, under a trace UUID of its own.
    fn snapshot_job(&self, d: &mut Data) -> Result<recorder::Job, Refusal> {
        let Sink::Recorder(r) = &mut d.sink else {
            return Err(Refusal::new(
                Error::WrongState,
                "not a flight recorder (create the session with --snapshot)".into(),
            ));
        };
        if d.state == State::Created {
            return Err(Refusal::new(
                Error::WrongState,
                "the session never started: its buffers are empty".into(),
            ));
        }
        let number = r.begin();
        let name = format!(
            "snapshot-{number}-{}",
            crate::localtime::compact(crate::localtime::now_secs())
        );
        let mut sources: Vec<_> = r.retired().cloned().collect();
        sources.extend(
            d.consumers
                .iter()
                .filter(|((_, ch), _)| !trigger_channel(&d.channels, *ch))
                .map(|(_, c)| c.source()),
        );
        let mut info = ust::sysinfo::trace_info(&self.dir.join(&name));
        info.process = None;
        let metadata = self.preamble(&info, d.channels.len() as u32) + &d.tsdl;
        Ok(recorder::Job {
            name,
            sources,
            metadata,
            uuid: info.uuid,
        })
    }

    /// `ust snapshot --on-event`: a snapshot whenever an event matching
    /// the trigger is recorded (an empty glob removes the trigger). Its
    /// events go to an internal channel too, added here.
    pub fn set_trigger(&self, spec: proto::Trigger) -> Result<(), Refusal> {
        let mut d = lock(&self.data);
        if d.state == State::Destroyed {
            return Err(Error::NoSuchSession.into());
        }
        if !matches!(d.sink, Sink::Recorder(_)) {
            return Err(Refusal::new(
                Error::WrongState,
                "not a flight recorder (create the session with --snapshot)".into(),
            ));
        }
        let channel = match d
            .channels
            .iter()
            .position(|c| c.name == recorder::TRIGGER_CHANNEL)
        {
            Some(ch) => ch as u32,
            None if d.channels.len() >= MAX_CHANNELS => return Err(Error::WrongState.into()),
            None => add_channel(
                &mut d,
                recorder::TRIGGER_CHANNEL,
                recorder::TRIGGER_GEOMETRY,
                0,
            ),
        };
        let glob = spec.glob.clone();
        if let Sink::Recorder(r) = &mut d.sink {
            r.set_trigger(spec)
                .map_err(|why| Refusal::new(Error::BadFilter, why))?;
        }
        d.rules.enabled.retain(|r| r.channel != channel);
        if !glob.is_empty() {
            d.rules.enable(&[glob], None, channel, None);
        }
        Ok(())
    }

    /// Notes a problem for `ust status` (once), the session locked.
    fn report_locked(&self, d: &mut Data, problem: String) {
        if !d.errors.contains(&problem) && d.errors.len() < 32 {
            eprintln!("ust daemon: session {}: {problem}", self.name);
            d.errors.push(problem);
        }
    }

    /// First half of stopping: no program attaches any more; attached
    /// programs detach when they see it.
    pub fn begin_stop(&self) -> Result<(), Error> {
        let mut d = lock(&self.data);
        if d.state != State::Started {
            return Err(Error::WrongState);
        }
        d.state = State::Stopping;
        Ok(())
    }

    /// Waits until every program detached, at most until `deadline`.
    pub fn wait_detached(&self, deadline: Instant) {
        let mut d = lock(&self.data);
        while !d.consumers.is_empty() {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return;
            };
            d = self
                .detached
                .wait_timeout(d, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Second half of stopping: finishes the consumers of programs that
    /// did not detach in time, stops the consumer thread and writes the
    /// final metadata. Every committed event is then on disk.
    pub fn end_stop(&self) {
        let thread = {
            let mut d = lock(&self.data);
            for ((_, ch), consumer) in std::mem::take(&mut d.consumers) {
                finish(&mut d, ch, consumer);
            }
            d.state = State::Stopped;
            if let Some(problem) = d.kernel.as_mut().and_then(SessionKernel::stop) {
                self.report_locked(&mut d, problem);
            }
            self.detached.notify_all();
            lock(&self.thread).take()
        };
        if let Some(t) = thread {
            self.doorbell.ring();
            let _ = t.join();
        }
        let mut d = lock(&self.data);
        if let Err(e) = self.write_metadata(&mut d) {
            eprintln!(
                "ust daemon: {}: cannot write metadata: {e}",
                self.dir.display()
            );
        }
        let waiter = match &d.sink {
            Sink::Relay(link) => Some(link.waiter()),
            _ => None,
        };
        drop(d);
        if let Some(w) = waiter {
            w.settle(Instant::now() + RELAY_SETTLE);
        }
    }

    /// Marks the session gone (programs still attached detach): a trace
    /// ever rotated has its last chunk archived, a relay session is closed
    /// on the relay.
    pub fn destroy(&self) {
        let mut d = lock(&self.data);
        d.state = State::Destroyed;
        let mark = mark(&d);
        match (&mut d.sink, &self.files) {
            (Sink::Trace(chunks), Some(top)) if chunks.rotated() && chunks.open() => {
                let uid = access::file_owner(self.owner);
                let archived = chunks.close(mark).map(|closed| {
                    access::as_owner(self.owner, || chunks.archive(closed, top, uid))
                });
                if let Some(Err(e)) = archived {
                    eprintln!(
                        "ust daemon: {}: cannot archive the last chunk: {e}",
                        self.dir.display()
                    );
                }
            }
            (Sink::Relay(link), _) => link.close(),
            _ => {}
        }
    }

    /// The id of an event in a channel of this trace, declared in the
    /// metadata first.
    pub fn event_id(&self, channel: u32, schema: &EventSchema) -> Result<u32, Error> {
        let mut guard = lock(&self.data);
        let d = &mut *guard;
        let key = (channel, schema.name.clone(), schema.signature.clone());
        if let Some(&id) = d.ids.get(&key) {
            return Ok(id);
        }
        let Some(&next) = d.ids_per_channel.get(channel as usize) else {
            return Err(Error::NoSuchChannel);
        };
        if d.ids.len() >= MAX_EVENT_IDS {
            return Err(Error::BadArgument);
        }
        d.ids.insert(key, next);
        d.ids_per_channel[channel as usize] = next + 1;
        d.layouts[channel as usize].declare(next, PayloadLayout::of(schema));
        d.tsdl.push_str(&metadata::event(channel, next, schema));
        if let (Sink::Recorder(r), true) = (&mut d.sink, trigger_channel(&d.channels, channel)) {
            r.watch(next, schema);
        }
        self.write_metadata(d).map_err(|e| io_error(&e))?;
        Ok(next)
    }

    /// Attaches a program's channel: its stream files are created (as the
    /// session owner) and drained from now on. Only while started.
    pub fn attach(&self, app: Attached) -> Result<(), Error> {
        let mut d = lock(&self.data);
        let key = (app.key, app.channel_id);
        if d.state != State::Started || d.consumers.contains_key(&key) || d.liars.contains(&app.key)
        {
            return Err(Error::WrongState);
        }
        let Some(def) = d.channels.get(app.channel_id as usize) else {
            return Err(Error::NoSuchChannel);
        };
        let base = if app.channel_id == 0 {
            format!("{}-{}", file_part(&app.procname), app.pid)
        } else {
            format!("{}_{}-{}", def.name, file_part(&app.procname), app.pid)
        };
        let taken = |p: &str| match (&self.files, &d.sink) {
            (Some(top), Sink::Trace(chunks)) => chunks
                .dir(top)
                .is_some_and(|dir| dir.contains(&format!("{p}_0"))),
            _ => false,
        };
        let prefix = (0..)
            .map(|n| {
                if n == 0 {
                    base.clone()
                } else {
                    format!("{base}.{n}")
                }
            })
            .find(|p| !d.prefixes.contains(p) && !taken(p))
            .unwrap_or(base);
        let ncpu = app.channel.buffers().len() as u64;
        let naming = StreamNaming {
            prefix: prefix.clone(),
            stream_id: app.channel_id,
            instance_base: d.next_instance,
            app: Some(AppContext {
                vpid: app.pid,
                procname: app.procname,
            }),
        };
        let uuid = self.info.uuid;
        let check = Check {
            layouts: d.layouts[app.channel_id as usize].clone(),
            slack: self.clock.ticks_per_second(),
        };
        let output = self
            .output(&mut d, app.channel_id, &prefix, &app.channel, &check)
            .map_err(|e| io_error(&e))?;
        let mut consumer = Consumer::create(app.channel, output, uuid, naming, Some(check), None);
        consumer.key = app.key;
        d.prefixes.insert(prefix);
        d.next_instance += ncpu;
        d.programs.insert(app.key);
        d.consumers.insert(key, consumer);
        self.doorbell.ring();
        Ok(())
    }

    /// The output of a new consumer of channel `ch` (streams `prefix_CPU`):
    /// stream files in the current chunk, relay streams, or the recorder's.
    fn output(
        &self,
        d: &mut Data,
        ch: u32,
        prefix: &str,
        channel: &Channel,
        check: &Check,
    ) -> io::Result<Box<dyn Output>> {
        let cpus = Consumer::cpus(channel);
        Ok(match (&mut d.sink, &self.files) {
            (Sink::Trace(chunks), Some(top)) => {
                let dir = chunks
                    .dir(top)
                    .ok_or_else(|| io::Error::other("no chunk open"))?;
                let files = access::as_owner(self.owner, || Files::create(dir, prefix, &cpus))?;
                chunks.note(Files::names(prefix, &cpus));
                Box::new(files)
            }
            (Sink::Recorder(r), _) if trigger_channel(&d.channels, ch) => Box::new(Watch {
                state: r.watch.clone(),
                layouts: check.layouts.clone(),
            }),
            (Sink::Recorder(_), _) => Box::new(Unread),
            (Sink::Relay(link), _) => Box::new(link.streams(prefix, &cpus)),
            (Sink::Trace(_), None) => return Err(io::Error::other("no trace directory")),
        })
    }

    /// Detaches a program: writes everything it committed (flushing its
    /// buffers from here, so this also serves a program that died).
    pub fn detach(&self, key: u64) {
        let mut d = lock(&self.data);
        let keys: Vec<(u64, u32)> = d
            .consumers
            .range((key, 0)..=(key, u32::MAX))
            .map(|(k, _)| *k)
            .collect();
        for k in &keys {
            if let Some(consumer) = d.consumers.remove(k) {
                finish(&mut d, k.1, consumer);
            }
        }
        if !keys.is_empty() {
            self.detached.notify_all();
        }
    }

    /// What `ust status` and `ust list` report: the daemon's own counts of
    /// what it wrote (it never reads the trace back: the files are the
    /// owner's to change).
    pub fn info(&self) -> SessionInfo {
        let (state, programs, channels, errors, outputs) = {
            let d = lock(&self.data);
            let mut totals = d.done.clone();
            for ((_, ch), c) in &d.consumers {
                if let Some(t) = totals.get_mut(*ch as usize) {
                    *t = t.add(Totals::of(c));
                }
            }
            let mut errors = d.errors.clone();
            let unwritten = d.unwritten_total(&d.consumers);
            if let (Some(why), true) = (d.write_error.as_ref(), unwritten > 0) {
                errors.push(format!(
                    "{why}: {unwritten} events lost (counted as discarded)"
                ));
            }
            if d.lost_programs > 0 {
                let more = if d.lost_programs as usize > d.lost_pids.len() {
                    ", …"
                } else {
                    ""
                };
                errors.push(format!(
                    "{} programs went away before they could be set up ({}{more}): their events, if any, were not recorded",
                    d.lost_programs,
                    d.lost_pids.join(", ")
                ));
            }
            let channels: Vec<ChannelInfo> = d
                .channels
                .iter()
                .zip(totals)
                .filter(|(def, _)| def.name != recorder::TRIGGER_CHANNEL)
                .map(|(def, t)| ChannelInfo {
                    name: def.name.clone(),
                    subbuf_size: def.geometry.subbuf_size,
                    num_subbuf: def.geometry.num_subbuf as u32,
                    overwrite: def.geometry.overwrite,
                    blocking_timeout_us: def.blocking_timeout_us,
                    events: t.events,
                    discarded: t.discarded,
                    bytes: t.bytes,
                })
                .collect();
            let outputs = outputs(&d);
            (d.state, d.programs.len() as u32, channels, errors, outputs)
        };
        let sum =
            |f: fn(&ChannelInfo) -> u64| channels.iter().fold(0u64, |n, c| n.saturating_add(f(c)));
        let (events, bytes) = (sum(|c| c.events), sum(|c| c.bytes));
        let relay_lost = outputs.relay.as_ref().map_or(0, |r| r.events_lost);
        SessionInfo {
            name: self.name.clone(),
            output: match &outputs.relay {
                Some(r) => r.url.clone(),
                None => self.dir.display().to_string(),
            },
            state: state.code(),
            apps: programs,
            events: events.saturating_sub(relay_lost),
            discarded: sum(|c| c.discarded).saturating_add(relay_lost),
            bytes,
            channels,
            errors,
            outputs: Box::new(outputs),
        }
    }

    /// The metadata's preamble for `info` with `streams` channels, its clock
    /// calibrated from the daemon's start to now.
    fn preamble(&self, info: &TraceInfo, streams: u32) -> String {
        let clock = clock::ctf_clock(
            self.clock.source,
            self.clock.start,
            clock::sample_pair(),
            self.clock.realtime_offset,
        );
        metadata::preamble(info, &clock, true, streams)
    }

    /// Writes what the metadata became: a trace rewrites its chunk's
    /// `metadata` atomically (temporary file + rename, as the owner); a
    /// relay session sends the event blocks added since its start (the
    /// relay's metadata is append-only); a flight recorder's is written
    /// with each snapshot.
    fn write_metadata(&self, d: &mut Data) -> io::Result<()> {
        match (&mut d.sink, &self.files) {
            (Sink::Trace(chunks), Some(top)) => {
                let Some(dir) = chunks.dir(top) else {
                    return Ok(());
                };
                let text = self.preamble(&self.info, d.channels.len() as u32) + &d.tsdl;
                access::as_owner(self.owner, || dir.replace("metadata", text.as_bytes()))
            }
            (Sink::Relay(link), _) => {
                link.append(&d.tsdl);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The consumer thread: drains every attached program while started.
    fn consume(self: Arc<Self>) {
        let mut pacer = Pacer::new(POLL_MIN, POLL_MAX);
        loop {
            pacer.wait(&self.doorbell);
            let mut d = lock(&self.data);
            if !matches!(d.state, State::Started | State::Stopping) {
                return;
            }
            if d.consumers.is_empty() || d.channels.iter().all(|c| c.geometry.overwrite) {
                pacer.rest(POLL_NOTHING);
            } else {
                let quiet = pacer.quiet_flush_due();
                pacer.drained(self.drain_all(&mut d, quiet));
            }
            if pacer.refresh_due() {
                let _ = self.write_metadata(&mut d);
            }
            self.rotate_if_due(&mut d);
            if self.trigger_due(&mut d) {
                let me = self.clone();
                let spawned = std::thread::Builder::new()
                    .name(format!("ust-snapshot-{}", self.id))
                    .spawn(move || me.triggered_snapshot());
                if spawned.is_err() {
                    self.report_locked(&mut d, "cannot start a triggered snapshot".into());
                }
            }
        }
    }

    /// Rotates when the automatic rotation asks for it.
    fn rotate_if_due(&self, d: &mut Data) {
        let bytes = bytes_written(d);
        if matches!(&d.sink, Sink::Trace(c) if c.due(bytes)) {
            if let Err(e) = self.rotate_locked(d) {
                let why = e.text.unwrap_or_else(|| e.code.describe().into());
                self.report_locked(d, format!("automatic rotation failed: {why}"));
            }
        }
    }

    /// Whether the trigger saw its event and a snapshot may be taken.
    fn trigger_due(&self, d: &mut Data) -> bool {
        match &mut d.sink {
            Sink::Recorder(r) => r.trigger_due(),
            _ => false,
        }
    }

    /// One pass over every consumer; one that fails to write is finished,
    /// and a program whose buffers lie (or trip a bug) is detached at once,
    /// nothing more of it written.
    fn drain_all(&self, d: &mut Data, quiet: bool) -> u64 {
        let mut wrote = 0;
        let mut failed = Vec::new();
        let mut liars = Vec::new();
        for (key, consumer) in d.consumers.iter_mut() {
            if consumer.channel().buffers()[0].geometry().overwrite {
                continue;
            }
            let watched = trigger_channel(&d.channels, key.1);
            let drained = guarded(|| {
                let at = clock::now();
                if watched {
                    // Each event reaches the trigger's watch at the next pass.
                    consumer
                        .channel()
                        .buffers()
                        .iter()
                        .for_each(|rb| rb.flush());
                } else if quiet {
                    consumer.flush_quiet();
                }
                let drained = consumer.drain();
                if quiet && drained.is_ok() {
                    consumer.report_idle(at);
                }
                drained
            });
            match drained {
                Some(Ok(n)) => wrote += n,
                Some(Err(ConsumeError::Io(e))) => {
                    eprintln!("ust daemon: writing to {} failed: {e}", self.dir.display());
                    failed.push(*key);
                }
                Some(Err(lie @ ConsumeError::Lie { .. })) => liars.push((*key, lie.to_string())),
                None => liars.push((*key, "its buffers could not be read".into())),
            }
        }
        let write_error = d.consumers.values().find_map(|c| c.write_error.clone());
        if d.write_error.is_none() {
            d.write_error = write_error;
        }
        for key in failed {
            if let Some(consumer) = d.consumers.remove(&key) {
                finish(d, key.1, consumer);
            }
        }
        for ((key, ch), why) in liars {
            if let Some(c) = d.consumers.remove(&(key, ch)) {
                d.expel(key, ch, &c, &why);
            }
        }
        if !d.liars.is_empty() {
            self.detached.notify_all();
        }
        wrote
    }
}

/// Runs `f`; a panic (a bug tripped by a hostile program's memory) is
/// reported and turned into `None`, so it costs one program, not the daemon.
pub fn guarded<T>(f: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok()
}

/// Writes everything a consumer of channel `ch` committed and keeps its
/// counts; a consumer whose buffers lie has its program expelled. A flight
/// recorder keeps the buffers instead, for its snapshots.
fn finish(d: &mut Data, ch: u32, mut consumer: Consumer) {
    if let (Sink::Recorder(r), false) = (&mut d.sink, trigger_channel(&d.channels, ch)) {
        consumer
            .channel()
            .buffers()
            .iter()
            .for_each(|rb| rb.flush());
        r.retire(consumer.source());
        return;
    }
    let key = consumer.key;
    match guarded(|| consumer.finish()) {
        Some(Ok(())) => {}
        Some(Err(ConsumeError::Io(e))) => {
            eprintln!("ust daemon: final write of a stream failed: {e}")
        }
        Some(Err(lie @ ConsumeError::Lie { .. })) => {
            return d.expel(key, ch, &consumer, &lie.to_string())
        }
        None => return d.expel(key, ch, &consumer, "its buffers could not be read"),
    }
    d.keep_counts(ch, &consumer);
}

/// Whether channel `ch` is a flight recorder's internal trigger channel.
fn trigger_channel(channels: &[ChannelDef], ch: u32) -> bool {
    channels
        .get(ch as usize)
        .is_some_and(|c| c.name == recorder::TRIGGER_CHANNEL)
}

/// Adds channel `name` to the session's definitions.
fn add_channel(d: &mut Data, name: &str, geometry: Geometry, blocking_timeout_us: i64) -> u32 {
    let id = d.channels.len() as u32;
    d.channels.push(ChannelDef {
        id,
        name: name.to_string(),
        geometry,
        blocking_timeout_us,
    });
    d.ids_per_channel.push(0);
    d.layouts.push(Arc::default());
    d.done.push(Totals::default());
    id
}

/// Bytes written so far, by finished and live consumers.
fn bytes_written(d: &Data) -> u64 {
    mark(d).bytes
}

/// Events and bytes written so far, by finished and live consumers.
fn mark(d: &Data) -> chunks::Mark {
    let done = d
        .done
        .iter()
        .fold(chunks::Mark::default(), |m, t| chunks::Mark {
            events: m.events.saturating_add(t.events),
            bytes: m.bytes.saturating_add(t.bytes),
        });
    d.consumers.values().fold(done, |m, c| chunks::Mark {
        events: m.events.saturating_add(c.events),
        bytes: m.bytes.saturating_add(c.bytes),
    })
}

/// Where the trace goes, for `ust status`.
fn outputs(d: &Data) -> OutputInfo {
    OutputInfo {
        kernel: d.kernel.as_ref().map(SessionKernel::info),
        ..sink_info(d)
    }
}

/// Where the userspace trace goes.
fn sink_info(d: &Data) -> OutputInfo {
    match &d.sink {
        Sink::Trace(chunks) => {
            let (chunk, archives, archived) = chunks.info();
            OutputInfo {
                mode: 0,
                chunk,
                archives,
                archived,
                rotate_size: chunks.policy.size,
                rotate_timer_ms: chunks.policy.timer.map_or(0, |t| t.as_millis() as u64),
                ..OutputInfo::default()
            }
        }
        Sink::Recorder(r) => OutputInfo {
            mode: 1,
            snapshots: r.taken,
            last_snapshot: r.last.clone(),
            trigger: r.trigger.as_ref().map_or(String::new(), Trigger::describe),
            ..OutputInfo::default()
        },
        Sink::Relay(link) => OutputInfo {
            mode: 2,
            relay: Some(link.info()),
            ..OutputInfo::default()
        },
    }
}

/// The number of the channel named `name` (empty: the default one).
fn channel_id(d: &Data, name: &str) -> Result<u32, Error> {
    let name = if name.is_empty() {
        DEFAULT_CHANNEL
    } else {
        name
    };
    d.channels
        .iter()
        .find(|c| c.name == name)
        .map(|c| c.id)
        .ok_or(Error::NoSuchChannel)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn globs(g: &[&str]) -> Vec<String> {
        g.iter().map(|s| s.to_string()).collect()
    }

    fn selects(r: &Rules, name: &str, level: i32) -> bool {
        !r.selections(name, level).is_empty()
    }

    #[test]
    fn rules_select_by_glob_level_and_exclusion() {
        let mut r = Rules::default();
        assert!(!selects(&r, "a:b", 3));
        r.enable(&globs(&["a:*"]), Some(4), 0, None);
        assert!(selects(&r, "a:b", 3) && !selects(&r, "a:b", 6) && !selects(&r, "c:d", 0));
        r.enable(&globs(&["c:*"]), None, 0, None);
        r.disable(&globs(&["c:x*"]), 0);
        assert!(selects(&r, "c:d", 14) && !selects(&r, "c:xy", 0));
        r.enable(&globs(&["c:x*"]), None, 0, None);
        assert!(
            selects(&r, "c:xy", 0),
            "enabling lifts the identical exclusion"
        );
        r.disable(&globs(&["a:*"]), 0);
        assert!(!selects(&r, "a:b", 0));
    }

    #[test]
    fn rules_route_events_to_channels_with_their_filters() {
        let mut r = Rules::default();
        r.enable(&globs(&["db:*"]), None, 0, Some("d > 10"));
        r.enable(&globs(&["db:q*"]), None, 0, Some("t == \"x\""));
        r.enable(&globs(&["db:*"]), None, 1, None);
        let sel = r.selections("db:query", 13);
        assert_eq!(
            sel[&0],
            vec!["d > 10".to_string(), "t == \"x\"".to_string()]
        );
        assert!(sel[&1].is_empty(), "a rule without filter keeps everything");
        r.enable(&globs(&["db:*"]), None, 0, Some("d < 0"));
        r.enable(&globs(&["db:*"]), None, 0, Some("d > 10"));
        assert_eq!(
            r.selections("db:query", 13)[&0],
            ["d > 10", "t == \"x\"", "d < 0"],
            "the same glob with another filter adds a rule, the same one nothing"
        );
        r.enable(&globs(&["db:q*"]), None, 0, None);
        assert!(r.selections("db:query", 13)[&0].is_empty());
        r.disable(&globs(&["db:query"]), 1);
        assert_eq!(r.selections("db:query", 13).len(), 1);
    }

    #[test]
    fn program_names_are_safe_file_names() {
        assert_eq!(file_part("../../etc"), "______etc");
        assert_eq!(file_part(""), "program");
        assert_eq!(file_part("hello-1"), "hello-1");
        assert_eq!(file_part("a/b"), "a_b");
    }

    #[test]
    fn geometry_defaults_and_limits() {
        let g =
            |subbuf_size, num_subbuf| geometry(subbuf_size, num_subbuf, false, DEFAULT_GEOMETRY);
        assert_eq!(g(0, 0).unwrap().subbuf_size, DEFAULT_SUBBUF_SIZE);
        assert!(g(4096, 2).is_ok());
        assert_eq!(g(5000, 2), Err(Error::BadArgument));
        assert_eq!(g(1 << 40, 2), Err(Error::BadArgument));
        assert_eq!(g(4096, 1), Err(Error::BadArgument));
    }

    #[test]
    fn channel_names_are_file_name_safe() {
        assert!(valid_channel_name("debug-1.x"));
        for bad in ["", "../x", "a/b", ".hidden", "sp ace", &"x".repeat(65)] {
            assert!(!valid_channel_name(bad), "{bad:?}");
        }
    }
}
