//! The daemonless session (`UST_TRACE=DIR`): the trace directory and its
//! lock, the channel, the metadata file, and the consumer thread that
//! drains buffers to disk while the program runs and once more at exit.

use crate::channel::Channel;
use crate::clock::{self, Pair, Source};
use crate::config::Config;
use crate::consumer::{ConsumeError, Consumer, Layouts, StreamNaming};
use crate::ctf::metadata::{self, TraceInfo};
use crate::ctf::walk::PayloadLayout;
use crate::doorbell::Doorbell;
use crate::eventfilter;
use crate::handle::{Target, Targets};
use crate::output::Files;
use crate::pacer::Pacer;
use crate::registry::Interest;
use crate::schema::EventSchema;
use crate::sysinfo;
use crate::threads;
use crate::tracedir::TraceDir;
use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Consumer polling: fastest when data flows, slowest when idle.
const POLL_MIN: Duration = Duration::from_millis(1);
const POLL_MAX: Duration = Duration::from_millis(50);

struct Metadata {
    /// Event ids by (name, signature), in the order they were declared.
    ids: Vec<(String, String)>,
    events: String,
}

/// A trace being written by this process.
pub struct Session {
    pub config: Config,
    pub channel: Arc<Channel>,
    info: TraceInfo,
    source: Source,
    start: Pair,
    realtime_offset: i128,
    metadata: Mutex<Metadata>,
    /// The events' payload layouts, to count what a full disk loses.
    layouts: Arc<Layouts>,
    consumer: Mutex<Option<Consumer>>,
    thread: Mutex<Option<threads::Thread>>,
    stop: AtomicBool,
    finished: AtomicBool,
    /// Rung by writers waiting for room (blocking channel) and at the end.
    doorbell: Doorbell,
    dir: TraceDir,
    _lock: File,
}

impl Session {
    /// Creates the trace directory, buffers and consumer thread.
    pub fn start(mut config: Config) -> Result<&'static Session, String> {
        let asked = config.trace_dir.clone();
        let what = |e: io::Error| format!("UST_TRACE={}: {e}", asked.display());
        let (dir, lock) = prepare_dir(&asked).map_err(what)?;
        if dir.path() != asked {
            eprintln!(
                "ust: UST_TRACE={} holds the trace of the program this one replaced (exec); \
                 this program's trace goes to {}",
                asked.display(),
                dir.path().display()
            );
            config.trace_dir = dir.path().to_path_buf();
        }
        let source = clock::select(config.clock);
        let start = clock::sample_pair();
        let realtime_offset = clock::realtime_offset_ns();
        let ncpu = sysinfo::possible_cpus();
        crate::config::check_memory(config.geometry, ncpu)?;
        let mut channel = Channel::create(ncpu, config.geometry).map_err(what)?;
        channel.prefault();
        let doorbell = Doorbell::new().map_err(what)?;
        let writers_bell = doorbell.fd().try_clone().map_err(what)?;
        channel.set_blocking(
            config.blocking_timeout_us,
            Some(Doorbell::from_fd(writers_bell)),
        );
        let channel = Arc::new(channel);
        let info = sysinfo::trace_info(dir.path());
        let layouts = Arc::new(Layouts::default());
        let naming = StreamNaming::daemonless();
        let files = Files::create(&dir, &naming.prefix, &Consumer::cpus(&channel)).map_err(what)?;
        let consumer = Consumer::create(
            channel.clone(),
            Box::new(files),
            info.uuid,
            naming,
            None,
            Some(layouts.clone()),
        );
        let session: &'static Session = Box::leak(Box::new(Session {
            config,
            channel,
            info,
            source,
            start,
            realtime_offset,
            metadata: Mutex::new(Metadata {
                ids: Vec::new(),
                events: String::new(),
            }),
            layouts,
            consumer: Mutex::new(Some(consumer)),
            thread: Mutex::new(None),
            stop: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            doorbell,
            dir,
            _lock: lock,
        }));
        session.write_metadata().map_err(what)?;
        let thread = threads::spawn("ust-consumer", move || session.consume())
            .map_err(|e| format!("cannot start the consumer thread: {e}"))?;
        *session.thread.lock().unwrap_or_else(|e| e.into_inner()) = Some(thread);
        Ok(session)
    }

    /// The id of `schema` in this trace; declared in the metadata first.
    fn event_id(&self, schema: &EventSchema) -> u32 {
        let mut md = lock(&self.metadata);
        let key = (schema.name.clone(), schema.signature.clone());
        if let Some(id) = md.ids.iter().position(|k| *k == key) {
            return id as u32;
        }
        let id = md.ids.len() as u32;
        md.ids.push(key);
        md.events.push_str(&metadata::event(0, id, schema));
        self.layouts.declare(id, PayloadLayout::of(schema));
        drop(md);
        if let Err(e) = self.write_metadata() {
            eprintln!(
                "ust: cannot update {}/metadata: {e}",
                self.config.trace_dir.display()
            );
        }
        id
    }

    /// Rewrites `metadata` atomically with the current clock calibration.
    fn write_metadata(&self) -> io::Result<()> {
        let md = lock(&self.metadata);
        let clock = clock::ctf_clock(
            self.source,
            self.start,
            clock::sample_pair(),
            self.realtime_offset,
        );
        let text = metadata::preamble(&self.info, &clock, false, 1) + &md.events;
        self.dir.replace("metadata", text.as_bytes())
    }

    /// The consumer thread's loop, until `finish`.
    fn consume(&self) {
        let mut pacer = Pacer::new(POLL_MIN, POLL_MAX);
        while !self.stop.load(Ordering::Acquire) {
            pacer.wait(&self.doorbell);
            if self.config.geometry.overwrite {
                pacer.rest(POLL_MAX);
            } else {
                match self.drain_once(&mut pacer) {
                    Ok(wrote) => pacer.drained(wrote),
                    Err(e) => return self.consumer_failed(e),
                }
            }
            if pacer.refresh_due() {
                let _ = self.write_metadata();
            }
        }
    }

    fn drain_once(&self, pacer: &mut Pacer) -> Result<u64, ConsumeError> {
        let mut guard = lock(&self.consumer);
        let Some(consumer) = guard.as_mut() else {
            return Ok(0);
        };
        if pacer.quiet_flush_due() {
            consumer.flush_quiet();
        }
        consumer.drain()
    }

    fn consumer_failed(&self, e: ConsumeError) {
        eprintln!(
            "ust: writing the trace to {} failed: {e}; events are no longer saved",
            self.config.trace_dir.display()
        );
        lock(&self.consumer).take();
    }

    /// Stops the consumer thread and writes everything committed.
    pub fn finish(&self) {
        if !self.channel.owned_here() || self.finished.swap(true, Ordering::AcqRel) {
            return;
        }
        self.stop.store(true, Ordering::Release);
        if let Some(t) = lock(&self.thread).take() {
            self.doorbell.ring();
            t.join();
        }
        if let Some(mut consumer) = lock(&self.consumer).take() {
            if let Err(e) = consumer.finish() {
                eprintln!(
                    "ust: writing the trace to {} failed: {e}",
                    self.config.trace_dir.display()
                );
            }
            if let Some(why) = &consumer.write_error {
                eprintln!(
                    "ust: writing the trace to {}: {why}: {} events lost (counted as discarded)",
                    self.config.trace_dir.display(),
                    consumer.unwritten
                );
            }
        }
        if let Err(e) = self.write_metadata() {
            eprintln!(
                "ust: cannot write {}/metadata: {e}",
                self.config.trace_dir.display()
            );
        }
    }
}

impl Interest for Session {
    /// The session records the events its configuration selects, those its
    /// filter (if any) accepts.
    fn targets(&self, schema: &EventSchema) -> Option<Box<Targets>> {
        if !self.config.selects(&schema.name, schema.loglevel) {
            return None;
        }
        let filters: Vec<_> = self.config.filter.iter().cloned().collect();
        let filter = eventfilter::bind(&filters, schema);
        Targets::new(vec![Target {
            channel: self.channel.clone(),
            event_id: self.event_id(schema),
            filter,
        }])
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Opens (creating) the trace directory and takes its lock, refusing a
/// directory another live process writes to; removes a previous trace's
/// files. If the directory holds the trace of the program this process
/// replaced with exec() (same pid), that trace is kept and a sibling
/// directory `DIR.N` is used instead.
fn prepare_dir(asked: &Path) -> io::Result<(TraceDir, File)> {
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    let pid = std::process::id();
    let mut path = asked.to_path_buf();
    let mut n = 0;
    loop {
        let dir = TraceDir::open(&path, me)?;
        let mut lock = dir.lock_file(".ust-lock", me)?;
        // SAFETY: flock on a descriptor we own; no memory is involved.
        if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            return Err(io::Error::other("another process is writing a trace there"));
        }
        let mut writer = String::new();
        lock.read_to_string(&mut writer)?;
        if writer.trim() == pid.to_string() && n < 100 {
            n += 1;
            path = PathBuf::from(format!("{}.{n}", asked.display()));
            continue;
        }
        lock.set_len(0)?;
        lock.rewind()?;
        write!(lock, "{pid}")?;
        for name in dir.entries()? {
            if name == "metadata" || name.starts_with("channel0_") {
                dir.remove(&name)?;
            }
        }
        return Ok((dir, lock));
    }
}
