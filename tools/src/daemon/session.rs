//! One tracing session of the daemon: its trace directory (one CTF trace
//! whatever the number of programs), which events it enables, the event ids
//! and metadata it owns, the consumers of the programs recording into it,
//! and the consumer thread that drains them.
//!
//! Programs attach and detach themselves (see `app`); the session only
//! holds their consumers. A consumer is finished (every committed event
//! written) when its program detaches, dies, or the session stops; the
//! session's lock is the only synchronisation, and nothing here waits on a
//! program.

use super::access::{self, Identity};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use ust::channel::Channel;
use ust::clock::{self, Pair, Source};
use ust::config::{DEFAULT_NUM_SUBBUF, DEFAULT_SUBBUF_SIZE};
use ust::consumer::{Consumer, StreamNaming};
use ust::ctf::header::AppContext;
use ust::ctf::metadata::{self, TraceInfo};
use ust::ipc::proto::{CreateSession, Error, SessionInfo};
use ust::pacer::Pacer;
use ust::ringbuf::Geometry;
use ust::schema::EventSchema;

/// Consumer polling: fastest when data flows, slowest when idle.
const POLL_MIN: Duration = Duration::from_millis(1);
const POLL_MAX: Duration = Duration::from_millis(2);
/// Polling with nothing to drain (no program, or overwrite mode, written
/// at stop): only the metadata refresh; `attach` wakes the thread.
const POLL_NOTHING: Duration = Duration::from_millis(100);
/// Bounds on what one session may hold, whatever its peers send.
const MAX_RULES: usize = 1024;
const MAX_EVENT_IDS: usize = 65536;
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

    /// `ChannelSpec.clock`: 0 TSC, 1 CLOCK_MONOTONIC.
    pub fn code(&self) -> u8 {
        match self.source {
            Source::Tsc => 0,
            Source::Monotonic => 1,
        }
    }
}

/// Which events a session records: an event is selected when its name
/// matches an enabled glob whose log level (if any) it meets, and no
/// disabled glob. Enabling a glob lifts an identical disabled one and
/// disabling a glob drops an identical enabled one.
#[derive(Default)]
struct Rules {
    enabled: Vec<(String, Option<i32>)>,
    disabled: Vec<String>,
}

impl Rules {
    fn enable(&mut self, globs: &[String], loglevel: Option<i32>) {
        for g in globs {
            self.disabled.retain(|d| d != g);
            self.enabled.retain(|(e, _)| e != g);
            self.enabled.push((g.clone(), loglevel));
        }
    }

    fn disable(&mut self, globs: &[String]) {
        for g in globs {
            self.enabled.retain(|(e, _)| e != g);
            if !self.disabled.contains(g) {
                self.disabled.push(g.clone());
            }
        }
    }

    fn len(&self) -> usize {
        self.enabled.len() + self.disabled.len()
    }

    fn selects(&self, name: &str, loglevel: i32) -> bool {
        self.enabled.iter().any(|(g, level)| {
            level.map_or(true, |max| loglevel <= max) && ust::glob::matches(g, name)
        }) && !self.disabled.iter().any(|g| ust::glob::matches(g, name))
    }
}

/// A program recording into the session.
pub struct Attached {
    pub key: u64,
    pub pid: u32,
    pub procname: String,
    pub channel: Arc<Channel>,
}

#[derive(Default)]
struct Totals {
    bytes: u64,
    discarded: u64,
}

struct Data {
    state: State,
    rules: Rules,
    /// Event ids by (name, signature).
    ids: HashMap<(String, String), u32>,
    /// The metadata's event blocks.
    tsdl: String,
    /// Consumers of attached programs, by program key.
    consumers: BTreeMap<u64, Consumer>,
    /// Stream file prefixes in use in the directory.
    prefixes: HashSet<String>,
    next_instance: u64,
    programs: u32,
    /// What finished consumers wrote and lost.
    done: Totals,
}

/// A tracing session.
pub struct Session {
    pub id: u32,
    pub name: String,
    pub owner: Identity,
    pub dir: PathBuf,
    pub geometry: Geometry,
    pub clock: ClockBase,
    info: TraceInfo,
    data: Mutex<Data>,
    /// Signalled when a program detaches.
    detached: Condvar,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// Serialises start, stop and destroy.
    pub op: Mutex<()>,
    /// (bytes written, events on disk) at the last count.
    counted: Mutex<(u64, u64)>,
}

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Checks a session's settings; sizes of 0 mean the defaults.
fn geometry(req: &CreateSession) -> Result<Geometry, Error> {
    let pick = |v: u64, default: u64| if v == 0 { default } else { v };
    let subbuf_size = pick(req.subbuf_size, DEFAULT_SUBBUF_SIZE);
    let num_subbuf = pick(req.num_subbuf as u64, DEFAULT_NUM_SUBBUF);
    let ok = |v: u64, (lo, hi): (u64, u64)| v.is_power_of_two() && (lo..=hi).contains(&v);
    if !ok(subbuf_size, SUBBUF_RANGE) || !ok(num_subbuf, NUM_SUBBUF_RANGE) {
        return Err(Error::BadArgument);
    }
    Ok(Geometry {
        subbuf_size,
        num_subbuf,
        overwrite: req.overwrite,
    })
}

/// A session name: printable, no slash, at most 255 bytes.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 255 && !name.chars().any(|c| c.is_control() || c == '/')
}

/// Creates the trace directory (mode 0700 if new) as its owner; refuses
/// one that already holds a trace.
fn prepare_dir(dir: &Path, owner: Identity) -> Result<(), Error> {
    access::as_owner(owner, || {
        if let Some(parent) = dir.parent() {
            std::fs::create_dir_all(parent).map_err(io_error)?;
        }
        match std::fs::DirBuilder::new().mode(0o700).create(dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => {
                if dir.join("metadata").exists() {
                    Err(Error::BadArgument)
                } else {
                    File::create(dir.join(".ust-probe"))
                        .and_then(|_| std::fs::remove_file(dir.join(".ust-probe")))
                        .map_err(io_error)
                }
            }
            Err(e) => Err(io_error(e)),
        }
    })
}

fn io_error(e: io::Error) -> Error {
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
    /// Creates a session and its directory, with metadata and no events.
    pub fn create(
        id: u32,
        req: &CreateSession,
        owner: Identity,
        clock: ClockBase,
    ) -> Result<Session, Error> {
        let geometry = geometry(req)?;
        let dir = PathBuf::from(&req.output);
        if !valid_name(&req.name) || !dir.is_absolute() || dir.parent().is_none() {
            return Err(Error::BadArgument);
        }
        prepare_dir(&dir, owner)?;
        let mut info = ust::sysinfo::trace_info(&dir);
        info.process = None;
        let session = Session {
            id,
            name: req.name.clone(),
            owner,
            dir,
            geometry,
            clock,
            info,
            data: Mutex::new(Data {
                state: State::Created,
                rules: Rules::default(),
                ids: HashMap::new(),
                tsdl: String::new(),
                consumers: BTreeMap::new(),
                prefixes: HashSet::new(),
                next_instance: 0,
                programs: 0,
                done: Totals::default(),
            }),
            detached: Condvar::new(),
            thread: Mutex::new(None),
            op: Mutex::new(()),
            counted: Mutex::new((0, 0)),
        };
        session
            .write_metadata(&lock(&session.data))
            .map_err(io_error)?;
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
    /// and its consumer not finished by a stop or a write error).
    pub fn holds(&self, key: u64) -> bool {
        let d = lock(&self.data);
        d.state == State::Started && d.consumers.contains_key(&key)
    }

    /// Whether the session records `schema`.
    pub fn selects(&self, schema: &EventSchema) -> bool {
        lock(&self.data)
            .rules
            .selects(&schema.name, schema.loglevel)
    }

    /// Enables events by glob; empty globs are refused.
    pub fn enable(&self, globs: &[String], loglevel: Option<i32>) -> Result<(), Error> {
        let mut d = self.checked_rules(globs)?;
        d.rules.enable(globs, loglevel);
        Ok(())
    }

    /// Disables events by glob; empty globs are refused.
    pub fn disable(&self, globs: &[String]) -> Result<(), Error> {
        let mut d = self.checked_rules(globs)?;
        d.rules.disable(globs);
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

    /// Starts recording (from created or stopped) and the consumer thread.
    pub fn start(self: &Arc<Self>) -> Result<(), Error> {
        let mut d = lock(&self.data);
        if !matches!(d.state, State::Created | State::Stopped) {
            return Err(Error::WrongState);
        }
        let me = self.clone();
        let thread = std::thread::Builder::new()
            .name(format!("ust-consume-{}", self.id))
            .spawn(move || me.consume())
            .map_err(|_| Error::Internal)?;
        d.state = State::Started;
        *lock(&self.thread) = Some(thread);
        Ok(())
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
            for (_, consumer) in std::mem::take(&mut d.consumers) {
                finish(&mut d, consumer);
            }
            d.state = State::Stopped;
            self.detached.notify_all();
            lock(&self.thread).take()
        };
        if let Some(t) = thread {
            t.thread().unpark();
            let _ = t.join();
        }
        if let Err(e) = self.write_metadata(&lock(&self.data)) {
            eprintln!(
                "ust daemon: {}: cannot write metadata: {e}",
                self.dir.display()
            );
        }
    }

    /// Marks the session gone (programs still attached detach).
    pub fn destroy(&self) {
        lock(&self.data).state = State::Destroyed;
    }

    /// The id of an event in this trace, declared in the metadata first.
    pub fn event_id(&self, schema: &EventSchema) -> Result<u32, Error> {
        let mut d = lock(&self.data);
        let key = (schema.name.clone(), schema.signature.clone());
        if let Some(&id) = d.ids.get(&key) {
            return Ok(id);
        }
        if d.ids.len() >= MAX_EVENT_IDS {
            return Err(Error::BadArgument);
        }
        let id = d.ids.len() as u32;
        d.ids.insert(key, id);
        d.tsdl.push_str(&metadata::event(id, schema));
        self.write_metadata(&d).map_err(io_error)?;
        Ok(id)
    }

    /// Attaches a program's channel: its stream files are created (as the
    /// session owner) and drained from now on. Only while started.
    pub fn attach(&self, app: Attached) -> Result<(), Error> {
        let mut d = lock(&self.data);
        if d.state != State::Started || d.consumers.contains_key(&app.key) {
            return Err(Error::WrongState);
        }
        let base = format!("{}-{}", file_part(&app.procname), app.pid);
        let prefix = (0..)
            .map(|n| {
                if n == 0 {
                    base.clone()
                } else {
                    format!("{base}.{n}")
                }
            })
            .find(|p| !d.prefixes.contains(p) && !self.dir.join(format!("{p}_0")).exists())
            .unwrap_or(base);
        let ncpu = app.channel.buffers().len() as u64;
        let naming = StreamNaming {
            prefix: prefix.clone(),
            instance_base: d.next_instance,
            app: Some(AppContext {
                vpid: app.pid,
                procname: app.procname,
            }),
        };
        let uuid = self.info.uuid;
        let consumer = access::as_owner(self.owner, || {
            Consumer::create(app.channel, &self.dir, uuid, naming)
        })
        .map_err(io_error)?;
        d.prefixes.insert(prefix);
        d.next_instance += ncpu;
        d.programs += 1;
        d.consumers.insert(app.key, consumer);
        if let Some(t) = lock(&self.thread).as_ref() {
            t.thread().unpark();
        }
        Ok(())
    }

    /// Detaches a program: writes everything it committed (flushing its
    /// buffers from here, so this also serves a program that died).
    pub fn detach(&self, key: u64) {
        let mut d = lock(&self.data);
        if let Some(consumer) = d.consumers.remove(&key) {
            finish(&mut d, consumer);
            self.detached.notify_all();
        }
    }

    /// What `ust status` and `ust list` report; `events` counts what is on
    /// disk (read again only when more bytes were written since last time).
    pub fn info(&self) -> SessionInfo {
        let (state, programs, bytes, discarded) = {
            let d = lock(&self.data);
            let live = d.consumers.values();
            (
                d.state,
                d.programs,
                live.clone()
                    .fold(d.done.bytes, |n, c| n.saturating_add(c.bytes)),
                live.fold(d.done.discarded, |n, c| n.saturating_add(discarded(c))),
            )
        };
        let events = {
            let mut counted = lock(&self.counted);
            if counted.0 != bytes {
                *counted = (bytes, guarded(|| count_events(&self.dir)).unwrap_or(0));
            }
            counted.1
        };
        SessionInfo {
            name: self.name.clone(),
            output: self.dir.display().to_string(),
            state: state.code(),
            apps: programs,
            events,
            discarded,
            bytes,
        }
    }

    /// Rewrites `metadata` atomically (temporary file + rename), as the owner.
    fn write_metadata(&self, d: &Data) -> io::Result<()> {
        let clock = clock::ctf_clock(
            self.clock.source,
            self.clock.start,
            clock::sample_pair(),
            self.clock.realtime_offset,
        );
        let text = metadata::preamble(&self.info, &clock, true) + &d.tsdl;
        access::as_owner(self.owner, || {
            let tmp = self.dir.join(".metadata.tmp");
            let mut f = File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_data()?;
            std::fs::rename(&tmp, self.dir.join("metadata"))
        })
    }

    /// The consumer thread: drains every attached program while started.
    fn consume(self: Arc<Self>) {
        let mut pacer = Pacer::new(POLL_MIN, POLL_MAX);
        loop {
            pacer.sleep();
            let mut d = lock(&self.data);
            if !matches!(d.state, State::Started | State::Stopping) {
                return;
            }
            if self.geometry.overwrite || d.consumers.is_empty() {
                pacer.rest(POLL_NOTHING);
            } else {
                let quiet = pacer.quiet_flush_due();
                pacer.drained(self.drain_all(&mut d, quiet));
            }
            if pacer.refresh_due() {
                let _ = self.write_metadata(&d);
            }
        }
    }

    /// One pass over every consumer; one that fails to write (or trips on
    /// its program's memory) is finished.
    fn drain_all(&self, d: &mut Data, quiet: bool) -> u64 {
        let mut wrote = 0;
        let mut failed = Vec::new();
        for (key, consumer) in d.consumers.iter_mut() {
            let drained = guarded(|| {
                if quiet {
                    consumer.flush_quiet();
                }
                consumer.drain()
            });
            match drained {
                Some(Ok(n)) => wrote += n,
                Some(Err(e)) => {
                    eprintln!("ust daemon: writing to {} failed: {e}", self.dir.display());
                    failed.push(*key);
                }
                None => failed.push(*key),
            }
        }
        for key in failed {
            if let Some(consumer) = d.consumers.remove(&key) {
                finish(d, consumer);
            }
        }
        wrote
    }
}

/// Runs `f`; a panic (a bug tripped by a hostile program's memory) is
/// reported and turned into `None`, so it costs one program, not the daemon.
pub fn guarded<T>(f: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok()
}

/// Events dropped in a consumer's buffers (counters in shared memory:
/// untrusted, so summed without overflow).
fn discarded(c: &Consumer) -> u64 {
    c.channel()
        .buffers()
        .iter()
        .fold(0u64, |n, rb| n.saturating_add(rb.discarded()))
}

/// Writes everything a consumer's channel committed and keeps its counts.
fn finish(d: &mut Data, mut consumer: Consumer) {
    match guarded(|| consumer.finish()) {
        Some(Ok(())) => {}
        Some(Err(e)) => eprintln!("ust daemon: final write of a stream failed: {e}"),
        None => eprintln!("ust daemon: a program's buffers could not be written out"),
    }
    d.done.bytes = d.done.bytes.saturating_add(consumer.bytes);
    d.done.discarded = d.done.discarded.saturating_add(discarded(&consumer));
}

/// Events in the trace at `dir` as it is on disk now.
fn count_events(dir: &Path) -> u64 {
    let Ok(traces) = ust_reader::open_all(&[dir.to_path_buf()]) else {
        return 0;
    };
    let mut merger = ust_reader::Merger::new(traces, false, false);
    let mut n = 0;
    while merger.next_event().is_some() {
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn globs(g: &[&str]) -> Vec<String> {
        g.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn rules_select_by_glob_level_and_exclusion() {
        let mut r = Rules::default();
        assert!(!r.selects("a:b", 3));
        r.enable(&globs(&["a:*"]), Some(4));
        assert!(r.selects("a:b", 3) && !r.selects("a:b", 6) && !r.selects("c:d", 0));
        r.enable(&globs(&["c:*"]), None);
        r.disable(&globs(&["c:x*"]));
        assert!(r.selects("c:d", 14) && !r.selects("c:xy", 0));
        r.enable(&globs(&["c:x*"]), None);
        assert!(
            r.selects("c:xy", 0),
            "enabling lifts the identical exclusion"
        );
        r.disable(&globs(&["a:*"]));
        assert!(!r.selects("a:b", 0));
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
        let req = |subbuf_size, num_subbuf| CreateSession {
            name: "s".into(),
            output: "/tmp/x".into(),
            subbuf_size,
            num_subbuf,
            overwrite: false,
        };
        assert_eq!(
            geometry(&req(0, 0)).unwrap().subbuf_size,
            DEFAULT_SUBBUF_SIZE
        );
        assert!(geometry(&req(4096, 2)).is_ok());
        assert_eq!(geometry(&req(5000, 2)), Err(Error::BadArgument));
        assert_eq!(geometry(&req(1 << 40, 2)), Err(Error::BadArgument));
        assert_eq!(geometry(&req(4096, 1)), Err(Error::BadArgument));
    }
}
