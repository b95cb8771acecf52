//! The kernel recorder: opens the tracepoints on every online CPU, writes the metadata and
//! the state dump, then one thread moves records from the per-CPU perf rings into the
//! per-CPU CTF streams until `stop`.
//!
//! Order: within one CPU's ring a record stamped earlier can land after a later one (an
//! interrupt's tracepoint firing between another's timestamp and its reservation), and the
//! mapping of some records depends on earlier records of other CPUs (a new task's process id
//! comes from `task_newtask`, possibly on another CPU than its fork record). So records wait
//! in per-CPU queues kept sorted by time, and leave them through one merge in global time
//! order once they are older than `HOLD` (all of them when stopping).

use super::category::Categories;
use super::error::{missing_privileges, open_failure, Error};
use super::mapping::{Mapper, PROCESS_STATE, STATEDUMP_END, STATEDUMP_START};
use super::metadata::{self, ClockBlock};
use super::perf::{self, Record, Ring};
use super::statedump::{self, Thread};
use super::stream::Stream;
use super::sysfile;
use super::tracefs::Tracefs;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a record waits before it is written (see the module doc).
const HOLD_NS: u64 = 10_000_000;
/// Longest sleep between two reads of the rings when no ring wakes the thread.
const POLL_MS: i32 = 50;

/// How to record.
#[derive(Clone, Debug)]
pub struct Options {
    /// Ring buffer bytes per CPU: a power of two, at least one page.
    pub buffer_size: usize,
    /// The `trace_name` in the metadata's env (LTTng: the session name).
    pub trace_name: String,
}

impl Options {
    /// A `--kernel` value: the categories, checked.
    pub fn parse_categories(s: &str) -> Result<String, String> {
        Categories::parse(s)
            .map(|_| s.to_string())
            .map_err(|e| e.to_string())
    }

    /// A `--kernel-buffer-size` value: a power of two from 4096 to 1G (k/M/G suffixes).
    pub fn parse_buffer_size(s: &str) -> Result<usize, String> {
        let v = ust::config::parse_size(s)?;
        if v.is_power_of_two() && (4096..=1 << 30).contains(&v) {
            Ok(v as usize)
        } else {
            Err(format!("{v} is not a power of two from 4096 to 1G"))
        }
    }

    /// 4 MiB per CPU (LTTng's default kernel channel size) for root, who may lock that
    /// much; 512 KiB for others (the default kernel.perf_event_mlock_kb).
    pub fn default_buffer_size() -> usize {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            4 << 20
        } else {
            512 << 10
        }
    }
}

/// What a recording produced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Events written (state dump included).
    pub events: u64,
    /// Records the kernel dropped because a ring was full (`PERF_RECORD_LOST`); the
    /// `events_discarded` of the streams add up to this.
    pub lost: u64,
    /// Bytes of stream files.
    pub bytes: u64,
    /// CPU time the recording thread used.
    pub cpu_time: Duration,
}

/// A recording in progress.
pub struct KernelRecorder {
    stop: Arc<AtomicBool>,
    wake: OwnedFd,
    thread: Option<JoinHandle<Result<Stats, Error>>>,
}

/// One record waiting to be written.
struct Item {
    ts: u64,
    pid: u32,
    tid: u32,
    what: What,
}

enum What {
    /// A raw tracepoint record.
    Sample(Vec<u8>),
    /// Records lost before this point.
    Lost(u64),
    /// An event made here (state dump): class and payload.
    Made(u16, Vec<u8>),
}

/// One online CPU: its events (the first owns the ring), ring, queue and stream.
struct Cpu {
    events: Vec<OwnedFd>,
    ring: Ring,
    queue: VecDeque<Item>,
    stream: Stream,
}

/// What the recording thread owns.
struct Recorder {
    cpus: Vec<Cpu>,
    mapper: Mapper,
    /// Buffers of records already written, reused.
    spare: Vec<Vec<u8>>,
    lost: u64,
}

/// The tracepoints opened on every CPU, nothing written yet: what needs privileges
/// (`KernelRecorder::open`), before the files are made (`create`, with whichever file-system
/// identity should own them) and recording starts (`Created::start`).
pub struct Opened {
    mapper: Mapper,
    cpus: Vec<(u32, Vec<OwnedFd>, Ring)>,
}

/// The trace files made, the tracepoints not enabled yet.
pub struct Created {
    recorder: Recorder,
}

impl KernelRecorder {
    /// Starts recording `categories` into the new directory `dir` (a CTF trace), stamped on
    /// the clock `clock` declares. Fails, before creating anything, when privileges, tracefs
    /// or a tracepoint are missing.
    pub fn start(
        dir: &Path,
        categories: &Categories,
        clock: &ClockBlock,
        options: &Options,
    ) -> Result<KernelRecorder, Error> {
        Self::open(categories, options.buffer_size)?
            .create(dir, clock, &options.trace_name)?
            .start()
    }

    /// Opens the tracepoints of `categories` on every online CPU, each CPU's sharing one
    /// ring of `buffer_size` bytes; nothing is recorded yet.
    pub fn open(categories: &Categories, buffer_size: usize) -> Result<Opened, Error> {
        if categories.is_empty() {
            return Err(Error::Usage("no kernel event category given".into()));
        }
        let page = perf::page_size();
        if !buffer_size.is_power_of_two() || buffer_size < page {
            return Err(Error::Usage(format!(
                "the kernel buffer size must be a power of two of at least {page} bytes"
            )));
        }
        let tracefs = Tracefs::open()?;
        if let Some(why) = missing_privileges(Some(tracefs.root())) {
            return Err(Error::Permission(why));
        }
        let (mapper, tracepoints) = Mapper::new(&tracefs, categories)?;
        let mut cpus = Vec::new();
        for cpu in online_cpus() {
            let mut events = Vec::new();
            for tp in &tracepoints {
                let fd =
                    perf::open_tracepoint(tp.id, cpu, (buffer_size / 2) as u32).map_err(|e| {
                        open_failure(
                            &format!("cannot open {} on CPU {cpu}", tp.name),
                            e,
                            tracefs.root(),
                        )
                    })?;
                events.push(fd);
            }
            let ring = Ring::map(&events[0], buffer_size / page).map_err(|e| {
                Error::io(
                    format!(
                        "cannot map a {} KiB ring buffer for CPU {cpu} (a smaller \
                         --kernel-buffer-size, or a larger kernel.perf_event_mlock_kb, helps)",
                        buffer_size / 1024
                    ),
                    e,
                )
            })?;
            for fd in &events[1..] {
                perf::redirect(fd, &events[0])
                    .map_err(|e| Error::io("cannot share a CPU's ring between tracepoints", e))?;
            }
            cpus.push((cpu, events, ring));
        }
        Ok(Opened { mapper, cpus })
    }
}

impl Opened {
    /// Makes the trace in the new directory `dir`: its metadata (on `clock`, `trace_name`
    /// in its env) and one stream file per CPU.
    pub fn create(
        self,
        dir: &Path,
        clock: &ClockBlock,
        trace_name: &str,
    ) -> Result<Created, Error> {
        create_dir(dir)?;
        let mut info = ust::sysinfo::trace_info(dir);
        info.trace_name = trace_name.to_string();
        write_file(
            &dir.join("metadata"),
            metadata::text(&info, clock, self.mapper.classes()).as_bytes(),
        )?;
        let mut cpus = Vec::new();
        for (cpu, events, ring) in self.cpus {
            let stream = Stream::create(dir, cpu, info.uuid)
                .map_err(|e| Error::io(format!("cannot create the stream of CPU {cpu}"), e))?;
            cpus.push(Cpu {
                events,
                ring,
                queue: VecDeque::new(),
                stream,
            });
        }
        Ok(Created {
            recorder: Recorder {
                cpus,
                mapper: self.mapper,
                spare: Vec::new(),
                lost: 0,
            },
        })
    }
}

impl Created {
    /// Enables the tracepoints, writes the state dump and starts the recording thread.
    pub fn start(self) -> Result<KernelRecorder, Error> {
        let mut recorder = self.recorder;
        for cpu in &recorder.cpus {
            for fd in &cpu.events {
                perf::enable(fd).map_err(|e| Error::io("cannot enable a tracepoint", e))?;
            }
        }
        recorder.mapper.learn_own_threads();
        recorder.state_dump();
        // SAFETY: eventfd returns a new descriptor (checked) that nothing else owns.
        let wake = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if wake < 0 {
            return Err(Error::io("eventfd", std::io::Error::last_os_error()));
        }
        // SAFETY: as above.
        let wake = unsafe { OwnedFd::from_raw_fd(wake) };
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, woken) = (stop.clone(), wake.as_raw_fd());
        let thread = std::thread::Builder::new()
            .name("ust-kernel".into())
            .spawn(move || recorder.run(&flag, woken))
            .map_err(|e| Error::io("cannot start the kernel recording thread", e))?;
        Ok(KernelRecorder {
            stop,
            wake,
            thread: Some(thread),
        })
    }
}

impl KernelRecorder {
    /// Stops recording: every record the kernel wrote is on disk when this returns.
    pub fn stop(mut self) -> Result<Stats, Error> {
        self.finish()
    }

    fn finish(&mut self) -> Result<Stats, Error> {
        let Some(thread) = self.thread.take() else {
            return Ok(Stats::default());
        };
        self.stop.store(true, Ordering::Release);
        let one = 1u64.to_ne_bytes();
        // SAFETY: writes 8 bytes from a live buffer to our eventfd.
        unsafe { libc::write(self.wake.as_raw_fd(), one.as_ptr().cast(), one.len()) };
        thread.join().unwrap_or_else(|_| {
            Err(Error::Unsupported(
                "the kernel recording thread panicked".into(),
            ))
        })
    }
}

impl Drop for KernelRecorder {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

impl Recorder {
    /// The thread's loop; returns when `stop` is set, after writing everything.
    fn run(mut self, stop: &AtomicBool, wake: RawFd) -> Result<Stats, Error> {
        let mut fds: Vec<RawFd> = self.cpus.iter().map(|c| c.events[0].as_raw_fd()).collect();
        fds.push(wake);
        let outcome = loop {
            let stopping = stop.load(Ordering::Acquire);
            if stopping {
                for fd in self.cpus.iter().flat_map(|c| &c.events) {
                    let _ = perf::disable(fd);
                }
            }
            let now = ust::clock::monotonic_ns();
            self.drain();
            let horizon = if stopping {
                u64::MAX
            } else {
                now.saturating_sub(HOLD_NS)
            };
            if let Err(e) = self.write_until(horizon) {
                break Err(Error::io("cannot write the kernel trace", e));
            }
            if stopping {
                break Ok(());
            }
            perf::poll(&fds, POLL_MS);
        };
        let cpu_time = thread_cpu_time();
        let end = ust::clock::monotonic_ns();
        let mut stats = Stats {
            lost: self.lost,
            cpu_time,
            ..Stats::default()
        };
        for cpu in self.cpus {
            let s = cpu
                .stream
                .finish(end)
                .map_err(|e| Error::io("cannot write the kernel trace", e))?;
            stats.events += s.events;
            stats.bytes += s.bytes;
        }
        outcome.map(|()| stats)
    }

    /// Moves every record waiting in the rings into the queues.
    fn drain(&mut self) {
        let spare = &mut self.spare;
        for cpu in &mut self.cpus {
            let queue = &mut cpu.queue;
            cpu.ring.drain(|record| {
                let item = match record {
                    Record::Sample {
                        pid,
                        tid,
                        time,
                        raw,
                    } => {
                        let mut buf = spare.pop().unwrap_or_default();
                        buf.clear();
                        buf.extend_from_slice(raw);
                        Item {
                            ts: time,
                            pid,
                            tid,
                            what: What::Sample(buf),
                        }
                    }
                    Record::Lost { lost, time } => Item {
                        ts: time,
                        pid: 0,
                        tid: 0,
                        what: What::Lost(lost),
                    },
                    Record::Other => return,
                };
                insert(queue, item);
            });
        }
    }

    /// Writes, in global time order, every queued record stamped at or before `horizon`.
    fn write_until(&mut self, horizon: u64) -> std::io::Result<()> {
        let mut fronts: BinaryHeap<Reverse<(u64, usize)>> = self
            .cpus
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.queue.front().map(|item| Reverse((item.ts, i))))
            .filter(|Reverse((ts, _))| *ts <= horizon)
            .collect();
        while let Some(Reverse((_, i))) = fronts.pop() {
            let item = self.cpus[i].queue.pop_front().expect("a front");
            self.write(i, item)?;
            if let Some(next) = self.cpus[i].queue.front() {
                if next.ts <= horizon {
                    fronts.push(Reverse((next.ts, i)));
                }
            }
        }
        Ok(())
    }

    fn write(&mut self, cpu: usize, item: Item) -> std::io::Result<()> {
        let stream = &mut self.cpus[cpu].stream;
        match item.what {
            What::Sample(raw) => {
                if let Some(id) = self.mapper.map(item.pid, item.tid, &raw) {
                    stream.event(item.ts, id, &self.mapper.payload().0)?;
                }
                self.spare.push(raw);
            }
            What::Lost(n) => {
                self.lost += n;
                stream.lost(n, item.ts)?;
            }
            What::Made(id, payload) => stream.event(item.ts, id, &payload)?,
        }
        Ok(())
    }

    /// Queues the state dump on the stream of the CPU this thread runs on.
    fn state_dump(&mut self) {
        // SAFETY: sched_getcpu only returns a value.
        let here = unsafe { libc::sched_getcpu() }.max(0) as u32;
        let at = self
            .cpus
            .iter()
            .position(|c| c.stream.cpu() == here)
            .unwrap_or(0);
        let made = |id: u16, payload: Vec<u8>| Item {
            ts: ust::clock::monotonic_ns(),
            pid: 0,
            tid: 0,
            what: What::Made(id, payload),
        };
        let mut items = vec![made(STATEDUMP_START, Vec::new())];
        for t in statedump::threads() {
            items.push(made(
                PROCESS_STATE,
                process_state(self.mapper.payload(), &t),
            ));
        }
        items.push(made(STATEDUMP_END, Vec::new()));
        if let Some(cpu) = self.cpus.get_mut(at) {
            for item in items {
                insert(&mut cpu.queue, item);
            }
        }
    }
}

/// The payload of `lttng_statedump_process_state` for `t`.
fn process_state(p: &mut super::schema::Payload, t: &Thread) -> Vec<u8> {
    p.clear();
    p.i32(t.tid)
        .i32(t.pid)
        .i32(t.ppid)
        .comm(&t.name)
        .i32(t.kind)
        .i32(Thread::MODE)
        .i32(Thread::SUBMODE)
        .i32(t.status)
        .u32(t.cpu)
        .u64(0);
    p.0.clone()
}

/// Inserts `item` keeping the queue sorted by time (records arrive nearly sorted: the
/// search from the back is short).
fn insert(queue: &mut VecDeque<Item>, item: Item) {
    if queue.back().map_or(true, |last| last.ts <= item.ts) {
        queue.push_back(item);
        return;
    }
    let mut at = queue.len();
    while at > 0 && queue[at - 1].ts > item.ts {
        at -= 1;
    }
    queue.insert(at, item);
}

/// The online CPUs (/sys/devices/system/cpu/online, e.g. "0-3,6"); CPU 0 if unreadable.
fn online_cpus() -> Vec<u32> {
    let text = sysfile::read_text(Path::new("/sys/devices/system/cpu/online")).unwrap_or_default();
    let cpus = parse_cpu_list(text.trim());
    if cpus.is_empty() {
        vec![0]
    } else {
        cpus
    }
}

fn parse_cpu_list(s: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for part in s.split(',').filter(|p| !p.is_empty()) {
        let mut ends = part.splitn(2, '-').map(|n| n.trim().parse::<u32>());
        match (ends.next(), ends.next()) {
            (Some(Ok(a)), None) => out.push(a),
            (Some(Ok(a)), Some(Ok(b))) if a <= b && b - a < 65536 => out.extend(a..=b),
            _ => return Vec::new(),
        }
    }
    out
}

/// Creates the trace directory (mode 0750: it shows every process of the machine).
fn create_dir(dir: &Path) -> Result<(), Error> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .mode(0o750)
        .create(dir)
        .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o640)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}

/// CPU time of the calling thread.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists() {
        assert_eq!(parse_cpu_list("0-3,6"), [0, 1, 2, 3, 6]);
        assert_eq!(parse_cpu_list("0"), [0]);
        assert!(parse_cpu_list("0-x").is_empty());
        assert!(parse_cpu_list("3-1").is_empty());
    }

    #[test]
    fn queues_stay_sorted() {
        let mut q = VecDeque::new();
        for ts in [5, 7, 6, 9, 1] {
            insert(
                &mut q,
                Item {
                    ts,
                    pid: 0,
                    tid: 0,
                    what: What::Lost(0),
                },
            );
        }
        assert_eq!(q.iter().map(|i| i.ts).collect::<Vec<_>>(), [1, 5, 6, 7, 9]);
    }
}
