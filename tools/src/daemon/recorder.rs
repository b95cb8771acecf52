//! Flight-recorder sessions (`ust create --snapshot`): their buffers are
//! never drained, only read by snapshots, taken on request (`ust snapshot`)
//! or when an event is recorded (`ust snapshot --on-event`, a `Trigger`).
//! The buffers of programs that left (exited, killed, or the session
//! stopped) are kept for later snapshots, the newest `MAX_RETIRED`.
//!
//! A snapshot is a complete trace in a new directory,
//! `snapshot-N-YYYYMMDD-HHMMSS`, written under a hidden name and renamed
//! once whole: metadata first (without it nothing is kept), then every
//! program's newest packets (`ust::snapshot`). The session runs one
//! snapshot at a time; one a trigger asks for while another runs is
//! skipped, and counted.
//!
//! A trigger records its events into an internal channel of the session
//! besides their own (discard mode, small buffers, drained continuously);
//! that channel's consumer writes to a `Watch`, which frames each event of
//! each packet and, when one passes the trigger's filter (evaluated here on
//! the payload, by `ust-filter`), raises the watch. The consumer thread
//! then starts a snapshot, at most one per minimum interval. The triggering
//! event is in that snapshot: a program records an event into its channels
//! in the order they were enabled, the session's own before the trigger's,
//! and the snapshot closes those buffers after the watch saw it.

use super::access::{self, Identity};
use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use ust::consumer::{ConsumeError, Consumer, Layouts};
use ust::ctf::walk;
use ust::ipc::proto::{self, Written};
use ust::output::{Appended, Files, Output, Packet};
use ust::ringbuf::Geometry;
use ust::schema::EventSchema;
use ust::snapshot::{Plan, Source, Taken};
use ust::tracedir::TraceDir;
use ust_filter::Filter;

/// Most channels of programs that left a session kept for its snapshots.
pub const MAX_RETIRED: usize = 16;
/// The internal channel trigger events are recorded into (a name `ust
/// enable-channel` refuses, so it never meets a user's).
pub const TRIGGER_CHANNEL: &str = ".trigger";
/// Its buffers: small, and drained as they fill.
pub const TRIGGER_GEOMETRY: Geometry = Geometry {
    subbuf_size: 4096,
    num_subbuf: 16,
    overwrite: false,
};

/// A flight recorder's state.
#[derive(Default)]
pub struct Recorder {
    /// Snapshots begun (numbering them) and completed.
    begun: u64,
    pub taken: u64,
    pub last: String,
    retired: VecDeque<Source>,
    /// The events of the trigger channel, by id.
    watched: Vec<(u32, EventSchema)>,
    /// What the trigger channel's consumers write to, whatever the trigger.
    pub watch: Arc<WatchState>,
    pub trigger: Option<Trigger>,
}

impl Recorder {
    /// Keeps the buffers of a program that left, for later snapshots.
    pub fn retire(&mut self, source: Source) {
        if self.retired.len() == MAX_RETIRED {
            self.retired.pop_front();
        }
        self.retired.push_back(source);
    }

    /// The buffers kept of programs that left.
    pub fn retired(&self) -> impl Iterator<Item = &Source> {
        self.retired.iter()
    }

    /// Event `id` of the trigger channel is `schema`.
    pub fn watch(&mut self, id: u32, schema: &EventSchema) {
        self.watch.declare(id, schema);
        self.watched.push((id, schema.clone()));
    }

    /// Sets the trigger, or removes it (an empty glob); refuses a filter
    /// that does not parse.
    pub fn set_trigger(&mut self, spec: proto::Trigger) -> Result<(), String> {
        if spec.glob.is_empty() {
            self.trigger = None;
            self.watch.reset(None);
            return Ok(());
        }
        let filter = match spec.filter.as_str() {
            "" => None,
            f => Some(Filter::parse(f).map_err(|e| format!("invalid filter: {e}"))?),
        };
        self.watch.reset(filter);
        for (id, schema) in &self.watched {
            self.watch.declare(*id, schema);
        }
        self.trigger = Some(Trigger {
            spec,
            last: None,
            taken: 0,
            skipped: 0,
            held: 0,
        });
        Ok(())
    }

    /// Whether the trigger asks for a snapshot now (see `Trigger::due`).
    pub fn trigger_due(&mut self) -> bool {
        let fired = self.watch.fired.swap(false, Ordering::AcqRel);
        self.trigger.as_mut().is_some_and(|t| fired && t.due())
    }

    /// The number of the next snapshot.
    pub fn begin(&mut self) -> u64 {
        self.begun += 1;
        self.begun
    }
}

/// A snapshot to write: its directory name, what it reads, its metadata
/// (declaring `uuid`, the snapshot's own trace UUID).
pub struct Job {
    pub name: String,
    pub sources: Vec<Source>,
    pub metadata: String,
    pub uuid: [u8; 16],
}

/// What writing a snapshot gave: what the reply says, and the programs
/// whose buffers could not be trusted.
pub struct Outcome {
    pub written: Written,
    pub problems: Vec<String>,
}

/// Writes `job` into `base` as `owner`, at most `max_size` bytes.
pub fn write(
    job: &Job,
    base: &TraceDir,
    owner: Identity,
    max_size: Option<u64>,
) -> Result<Outcome, String> {
    let uid = access::file_owner(owner);
    let metadata_len = job.metadata.len() as u64;
    let budget = match max_size {
        None => None,
        Some(max) => Some(max.checked_sub(metadata_len).filter(|b| *b > 0).ok_or_else(
            || format!("--max-size {max} leaves no room after the snapshot's metadata ({metadata_len} bytes)"),
        )?),
    };
    let hidden = format!(".{}", job.name);
    let dir = access::as_owner(owner, || base.subdir(&hidden, uid))
        .map_err(|e| format!("cannot make {}/{hidden}: {e}", base.path().display()))?;
    let filled = fill(job, &dir, owner, budget).and_then(|outcome| {
        access::as_owner(owner, || base.move_to(&hidden, base, &job.name))
            .map_err(|e| format!("cannot name the snapshot {}: {e}", job.name))?;
        Ok(outcome)
    });
    if filled.is_err() {
        let _ = access::as_owner(owner, || base.remove_dir(&hidden, uid));
    }
    let mut outcome = filled?;
    outcome.written.path = base.path().join(&job.name).display().to_string();
    Ok(outcome)
}

/// Writes the metadata, then every source's packets, into `dir`.
fn fill(
    job: &Job,
    dir: &TraceDir,
    owner: Identity,
    budget: Option<u64>,
) -> Result<Outcome, String> {
    access::as_owner(owner, || dir.replace("metadata", job.metadata.as_bytes()))
        .map_err(|e| format!("cannot write the snapshot's metadata: {e}"))?;
    let plan = Plan::new(&job.sources, budget);
    let mut taken = Taken::default();
    let mut problems = Vec::new();
    for (i, source) in job.sources.iter().enumerate() {
        let cpus = Consumer::cpus(&source.channel);
        let mut files =
            access::as_owner(owner, || Files::create(dir, &source.naming.prefix, &cpus))
                .map_err(|e| format!("cannot create the snapshot's stream files: {e}"))?;
        match plan.copy(i, source, &mut files, &job.uuid) {
            Ok(t) => taken += &t,
            Err(ConsumeError::Io(e)) => return Err(format!("writing the snapshot failed: {e}")),
            Err(lie) => {
                let program = source.naming.app.as_ref().map_or(String::new(), |a| {
                    format!("{} (pid {})", a.procname, a.vpid)
                });
                problems.push(format!(
                    "program {program} wrote inconsistent buffers ({lie}): left out of the snapshot"
                ));
            }
        }
    }
    let problem = match &taken.write_error {
        Some(why) => format!("{why}: {} events not written", taken.lost),
        None => String::new(),
    };
    Ok(Outcome {
        written: Written {
            path: String::new(),
            events: taken.events,
            bytes: taken.bytes + job.metadata.len() as u64,
            lost: taken.lost,
            problem,
        },
        problems,
    })
}

/// The output of a flight recorder's own consumers: their packets stay in
/// the ring buffers, for snapshots.
pub struct Unread;

impl Output for Unread {
    fn ready(&mut self, _stream: usize) -> bool {
        false
    }

    fn append(&mut self, _stream: usize, _packet: &Packet) -> io::Result<Appended> {
        Err(io::Error::other(
            "a flight recorder's buffers are read by snapshots only",
        ))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A session's snapshot trigger.
pub struct Trigger {
    pub spec: proto::Trigger,
    last: Option<Instant>,
    pub taken: u64,
    /// Matches while a snapshot was being written, and within the interval.
    pub skipped: u64,
    held: u64,
}

impl Trigger {
    /// Whether a watched event, just seen, may take a snapshot: the
    /// minimum interval passed since the last one (if not, it is dropped).
    fn due(&mut self) -> bool {
        let interval = Duration::from_millis(self.spec.min_interval_ms);
        if self.last.is_some_and(|l| l.elapsed() < interval) {
            self.held += 1;
            return false;
        }
        self.last = Some(Instant::now());
        true
    }

    /// The trigger in words, for `ust status`.
    pub fn describe(&self) -> String {
        let mut s = format!("on {}", self.spec.glob);
        if !self.spec.filter.is_empty() {
            s += &format!(" where {}", self.spec.filter);
        }
        s + &format!(
            ", at most one per {} ms: {} snapshots taken; {} matches too soon after one, {} while \
             one was written",
            self.spec.min_interval_ms, self.taken, self.held, self.skipped
        )
    }
}

/// What the trigger channel's consumers share with the session: whether a
/// watched event was seen, and the filter it must pass.
#[derive(Default)]
pub struct WatchState {
    fired: AtomicBool,
    filter: Mutex<Filtering>,
}

/// A trigger's filter, and its binding to each event id of the channel.
#[derive(Clone, Default)]
struct Filtering {
    filter: Option<Filter>,
    bound: Vec<Option<ust_filter::Bound>>,
}

impl Filtering {
    /// Whether event `id` with `payload` fires the trigger.
    fn fires(&self, id: u32, payload: &[u8]) -> bool {
        match &self.filter {
            None => true,
            Some(_) => self
                .bound
                .get(id as usize)
                .and_then(Option::as_ref)
                .is_some_and(|b| b.matches(payload, &NoContext)),
        }
    }
}

impl WatchState {
    fn filtering(&self) -> std::sync::MutexGuard<'_, Filtering> {
        self.filter.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new trigger's filter; what was seen before is forgotten.
    fn reset(&self, filter: Option<Filter>) {
        *self.filtering() = Filtering {
            filter,
            bound: Vec::new(),
        };
        self.fired.store(false, Ordering::Release);
    }

    /// Event `id` of the trigger channel is `schema`.
    fn declare(&self, id: u32, schema: &EventSchema) {
        let mut f = self.filtering();
        let Some(bound) = f
            .filter
            .as_ref()
            .map(|f| f.bind_payload(&ust::eventfilter::layout(schema), &[]))
        else {
            return;
        };
        if f.bound.len() <= id as usize {
            f.bound.resize(id as usize + 1, None);
        }
        f.bound[id as usize] = Some(bound);
    }
}

/// Trigger filters see the payload only.
struct NoContext;

impl ust_filter::ContextValues for NoContext {
    fn value(&self, _index: usize) -> Option<ust_filter::FieldValue<'_>> {
        None
    }
}

/// The output of a trigger channel's consumer: looks at every event, keeps
/// nothing.
pub struct Watch {
    pub state: Arc<WatchState>,
    pub layouts: Arc<Layouts>,
}

impl Output for Watch {
    fn append(&mut self, _stream: usize, packet: &Packet) -> io::Result<Appended> {
        let layouts = self.layouts.current();
        let filtering = self.state.filtering().clone();
        let mut fired = false;
        let events = packet.bytes.get(packet.header_len..).unwrap_or_default();
        let _ = walk::walk_events(events, 0, u64::MAX, &layouts, |id, payload| {
            fired |= filtering.fires(id, payload);
        });
        if fired {
            self.state.fired.store(true, Ordering::Release);
        }
        Ok(Appended::Written)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ust::ctf::walk::PayloadLayout;
    use ust::schema::Field;
    use ust::schema::{FieldType, Int};

    fn schema() -> EventSchema {
        EventSchema {
            name: "db:fatal".into(),
            loglevel: 2,
            signature: String::new(),
            fields: vec![
                Field {
                    name: "code".into(),
                    ty: FieldType::Integer(Int {
                        bits: 32,
                        signed: true,
                        hex: false,
                        network: false,
                        text: false,
                    }),
                },
                Field {
                    name: "what".into(),
                    ty: FieldType::String,
                },
            ],
            model_emf_uri: None,
        }
    }

    /// A packet of one compact-header event 0 with `code` and `what`.
    fn packet(code: i32, what: &str) -> Vec<u8> {
        let mut p = vec![0u8; 4];
        p.extend_from_slice(&[0, 0, 0, 0]);
        p.extend_from_slice(&code.to_le_bytes());
        p.extend_from_slice(what.as_bytes());
        p.push(0);
        p
    }

    fn spec(filter: &str, min_interval_ms: u64) -> proto::Trigger {
        proto::Trigger {
            glob: "db:*".into(),
            filter: filter.into(),
            min_interval_ms,
            ..Default::default()
        }
    }

    trait WithGlob {
        fn with_glob(self, glob: &str) -> Self;
    }

    impl WithGlob for proto::Trigger {
        fn with_glob(mut self, glob: &str) -> Self {
            self.glob = glob.into();
            self
        }
    }

    #[test]
    fn the_watch_fires_on_events_the_filter_accepts() {
        let mut r = Recorder::default();
        r.watch(0, &schema());
        r.set_trigger(spec("code > 3 && what == \"disk*\"", 0))
            .unwrap();
        let layouts = Arc::new(Layouts::default());
        layouts.declare(0, PayloadLayout::of(&schema()));
        let mut watch = Watch {
            state: r.watch.clone(),
            layouts,
        };
        let mut offer = |code, what| {
            let bytes = packet(code, what);
            let p = Packet {
                bytes: &bytes,
                header_len: 4,
                events: Some(1),
            };
            watch.append(0, &p).unwrap();
        };
        offer(2, "disk full");
        assert!(!r.trigger_due(), "code too small");
        offer(5, "network");
        assert!(!r.trigger_due(), "text does not match");
        offer(5, "disk full");
        assert!(r.trigger_due() && !r.trigger_due(), "fires once per match");
        let t = r.trigger.as_ref().unwrap();
        assert!(t.describe().starts_with("on db:* where code > 3"));
        // Another trigger, through the same watch.
        r.set_trigger(spec("code == 1", 0)).unwrap();
        offer(5, "disk full");
        assert!(!r.trigger_due());
        offer(1, "x");
        assert!(r.trigger_due());
        r.set_trigger(spec("", 0).with_glob("")).unwrap();
        offer(1, "x");
        assert!(!r.trigger_due() && r.trigger.is_none(), "removed");
    }

    #[test]
    fn a_trigger_fires_at_most_once_per_interval_and_refuses_bad_filters() {
        let mut r = Recorder::default();
        r.set_trigger(spec("", 3_600_000)).unwrap();
        r.watch.fired.store(true, Ordering::Release);
        assert!(r.trigger_due());
        r.watch.fired.store(true, Ordering::Release);
        assert!(!r.trigger_due(), "within the interval");
        let t = r.trigger.as_ref().unwrap();
        assert!(t
            .describe()
            .ends_with("1 matches too soon after one, 0 while one was written"));
        let err = r.set_trigger(spec("code >", 0)).unwrap_err();
        assert!(err.starts_with("invalid filter"), "{err}");
    }

    #[test]
    fn retired_channels_are_bounded() {
        let mut r = Recorder::default();
        let geo = Geometry {
            subbuf_size: 4096,
            num_subbuf: 2,
            overwrite: true,
        };
        for _ in 0..MAX_RETIRED + 3 {
            r.retire(Source {
                channel: Arc::new(ust::channel::Channel::create(1, geo).unwrap()),
                naming: ust::consumer::StreamNaming::daemonless(),
                check: None,
            });
        }
        assert_eq!(r.retired().count(), MAX_RETIRED);
        assert_eq!((r.begin(), r.begin()), (1, 2));
    }
}
