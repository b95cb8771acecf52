//! Streaming a session to a relay (an unmodified lttng-relayd, or `ust
//! relay` over TLS): the session's `Link`, the sender thread that alone
//! talks to the relay through the `relayd` client, and the consumers'
//! output, `RelayStreams`.
//!
//! Nothing here makes a traced program wait. Consumers hand whole packets
//! to a queue bounded in bytes and go on; when it is full (the relay takes
//! less than the programs write), a consumer leaves packets in the ring
//! buffers, where writers finding no room discard new events and count
//! them, as with a slow disk. While the relay is unreachable, the client
//! drops packets and reconnects with back-off; the sender counts the events
//! of each packet dropped and adds them to the `events_discarded` of the
//! stream's next packet that gets through (and of a last, empty packet when
//! the stream closes), so readers report them.
//!
//! Metadata is append-only on a relay: what was sent stays. A local trace's
//! metadata is rewritten whole as the TSC calibration improves; a relay
//! session's is sent once at its first start, with the clock block frozen
//! there (calibrated from the daemon's start to that moment), and then only
//! the event blocks appended since (`Link::metadata`).

use crate::relayd::{self, packet, StreamHandle};
use crate::tls::KeyFiles;
use std::collections::VecDeque;
use std::io;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use ust::ctf::header::at;
use ust::ipc::proto::RelayInfo;
use ust::output::{Appended, Output, Packet};

/// Most bytes of packets waiting for the relay; past it, consumers leave
/// packets in the ring buffers.
const MAX_QUEUED: usize = 32 << 20;
/// How long `check` waits for the sender to have tried the relay.
const CHECK_WAIT: Duration = Duration::from_secs(15);

/// What the sender thread does, in order.
enum Job {
    AddStream(String),
    /// TSDL text appended to the trace's metadata.
    Metadata(Vec<u8>),
    Packet {
        stream: usize,
        bytes: Vec<u8>,
        header_len: usize,
        events: u64,
    },
    CloseStream(usize),
    /// The stream holds nothing new until the time of this empty packet.
    Idle(usize, Vec<u8>),
    /// Tries the relay (reconnecting if the back-off allows) and answers
    /// whether it is reachable.
    Probe(std::sync::mpsc::Sender<Result<(), String>>),
    Close,
}

struct Pending {
    jobs: VecDeque<Job>,
    /// Bytes of the packets in `jobs`.
    bytes: usize,
    /// The sender is working on a job taken from `jobs`.
    busy: bool,
}

/// The jobs between the consumers and the sender.
struct Queue {
    pending: Mutex<Pending>,
    /// Signalled when a job is added, and when the sender finished one.
    changed: Condvar,
}

impl Queue {
    fn push(&self, job: Job) {
        let mut p = lock(&self.pending);
        if let Job::Packet { bytes, .. } = &job {
            p.bytes += bytes.len();
        }
        p.jobs.push_back(job);
        self.changed.notify_all();
    }

    fn queued_bytes(&self) -> usize {
        lock(&self.pending).bytes
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What `ust status` shows of the link, kept current by the sender.
#[derive(Clone, Default)]
struct Health {
    status: relayd::Status,
    events_lost: u64,
    /// A stream the relay refused, or another problem.
    problem: Option<String>,
}

/// A session's link to its relay.
pub struct Link {
    url: String,
    queue: Arc<Queue>,
    health: Arc<Mutex<Health>>,
    thread: Option<JoinHandle<()>>,
    streams: usize,
    /// Bytes of the event blocks sent so far; `None`: nothing sent yet.
    sent: Option<usize>,
}

impl Link {
    /// Connects to the relay at `url` and creates session `name` there
    /// (filed under `hostname`); `keys` is the key directory of a `tls://`
    /// relay. The error names the relay's host and port.
    pub fn connect(
        url: &str,
        name: &str,
        hostname: &str,
        keys: Option<&Path>,
        live_timer_us: u32,
    ) -> io::Result<Link> {
        let mut options = relayd::Options::new(name, hostname);
        options.live_timer_us = live_timer_us;
        options.keys = keys.map(|k| KeyFiles::in_dir(k, "daemon"));
        let session = relayd::Session::connect(url, options)?;
        let queue = Arc::new(Queue {
            pending: Mutex::new(Pending {
                jobs: VecDeque::new(),
                bytes: 0,
                busy: false,
            }),
            changed: Condvar::new(),
        });
        let health = Arc::new(Mutex::new(Health {
            status: session.status(),
            ..Health::default()
        }));
        let sender = Sender {
            session: Some(session),
            metadata: None,
            streams: Vec::new(),
            queue: queue.clone(),
            health: health.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("ust-relay".into())
            .spawn(move || sender.run())?;
        Ok(Link {
            url: url.to_string(),
            queue,
            health,
            thread: Some(thread),
            streams: 0,
            sent: None,
        })
    }

    /// The streams of one consumer on the relay: `<prefix>_<cpu>` for each
    /// of `cpus`, closed when the output is dropped.
    pub fn streams(&mut self, prefix: &str, cpus: &[u32]) -> RelayStreams {
        let ids = cpus
            .iter()
            .map(|cpu| {
                self.queue.push(Job::AddStream(format!("{prefix}_{cpu}")));
                self.streams += 1;
                self.streams - 1
            })
            .collect();
        RelayStreams {
            queue: self.queue.clone(),
            ids,
        }
    }

    /// Sends the metadata at the session's first start: `preamble()` (made
    /// now, its clock block frozen for the session) and the event blocks
    /// declared so far, `blocks`; later starts send what `blocks` gained.
    pub fn begin(&mut self, preamble: impl FnOnce() -> String, blocks: &str) {
        if self.sent.is_none() {
            self.sent = Some(blocks.len());
            self.queue
                .push(Job::Metadata((preamble() + blocks).into_bytes()));
        } else {
            self.append(blocks);
        }
    }

    /// Sends the event blocks `blocks` gained since last sent (nothing
    /// before `begin`: the relay's metadata starts with the preamble).
    pub fn append(&mut self, blocks: &str) {
        let Some(sent) = self.sent else {
            return;
        };
        if let Some(new) = blocks.get(sent..).filter(|t| !t.is_empty()) {
            self.queue.push(Job::Metadata(new.as_bytes().to_vec()));
            self.sent = Some(blocks.len());
        }
    }

    /// Asks the sender whether the relay is reachable (reconnecting if the
    /// back-off allows), once every job queued before is done.
    pub fn probe(&self) -> Probe {
        let (tx, rx) = std::sync::mpsc::channel();
        self.queue.push(Job::Probe(tx));
        Probe {
            answer: rx,
            url: self.url.clone(),
        }
    }

    /// A way to wait for the queue to empty, without the link.
    pub fn waiter(&self) -> Waiter {
        Waiter(self.queue.clone())
    }

    /// What `ust status` shows.
    pub fn info(&self) -> RelayInfo {
        let h = lock(&self.health).clone();
        let c = h.status.counts;
        RelayInfo {
            url: self.url.clone(),
            connected: h.status.connected,
            path: h.status.output_path.unwrap_or_default(),
            reconnects: h.status.reconnects,
            packets_sent: c.packets_sent,
            bytes_sent: c.bytes_sent,
            packets_lost: c.packets_discarded,
            events_lost: h.events_lost,
            error: h.problem.or(h.status.last_error).unwrap_or_default(),
        }
    }

    /// Sends what is queued, closes the relay session and stops the sender
    /// (the first call; later ones do nothing).
    pub fn close(&mut self) {
        if let Some(t) = self.thread.take() {
            self.queue.push(Job::Close);
            let _ = t.join();
        }
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.close();
    }
}

/// Waits for a link's queue to empty.
pub struct Waiter(Arc<Queue>);

impl Waiter {
    /// Waits (until `deadline`) for every packet queued to be sent or
    /// counted as lost.
    pub fn settle(&self, deadline: Instant) {
        let mut p = lock(&self.0.pending);
        while !p.jobs.is_empty() || p.busy {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return;
            };
            p = self
                .0
                .changed
                .wait_timeout(p, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// The answer to come of `Link::probe`.
pub struct Probe {
    answer: std::sync::mpsc::Receiver<Result<(), String>>,
    url: String,
}

impl Probe {
    /// Waits (bounded) for the answer; the error names the relay and why.
    pub fn wait(self) -> Result<(), String> {
        self.answer
            .recv_timeout(CHECK_WAIT)
            .unwrap_or_else(|_| Err(format!("relay {}: no answer in time", self.url)))
    }
}

/// One consumer's streams on the relay.
pub struct RelayStreams {
    queue: Arc<Queue>,
    ids: Vec<usize>,
}

impl Output for RelayStreams {
    fn ready(&mut self, _stream: usize) -> bool {
        self.queue.queued_bytes() < MAX_QUEUED
    }

    fn append(&mut self, stream: usize, packet: &Packet) -> io::Result<Appended> {
        let id = *self
            .ids
            .get(stream)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no such stream"))?;
        self.queue.push(Job::Packet {
            stream: id,
            bytes: packet.bytes.to_vec(),
            header_len: packet.header_len,
            events: packet.events.unwrap_or(0),
        });
        Ok(Appended::Written)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn idle(&mut self, stream: usize, empty: &Packet) {
        if let Some(&id) = self.ids.get(stream) {
            self.queue.push(Job::Idle(id, empty.bytes.to_vec()));
        }
    }
}

impl Drop for RelayStreams {
    fn drop(&mut self) {
        for &id in &self.ids {
            self.queue.push(Job::CloseStream(id));
        }
    }
}

/// One stream as the sender knows it.
#[derive(Default)]
struct Remote {
    /// `None`: the relay refused the stream; its packets are lost.
    handle: Option<StreamHandle>,
    /// Events lost on the way so far, and how many of them the last packet
    /// sent reported.
    lost: u64,
    reported: u64,
    /// The header of the last packet tried, as the consumer made it.
    last_header: Vec<u8>,
    /// Added to the consumer's packet sequence numbers: 1 once an empty
    /// packet was sent ahead of the stream's first.
    shift: u64,
}

/// The sender thread's state.
struct Sender {
    session: Option<relayd::Session>,
    metadata: Option<StreamHandle>,
    streams: Vec<Remote>,
    queue: Arc<Queue>,
    health: Arc<Mutex<Health>>,
}

impl Sender {
    fn run(mut self) {
        loop {
            let job = {
                let mut p = lock(&self.queue.pending);
                loop {
                    if let Some(job) = p.jobs.pop_front() {
                        if let Job::Packet { bytes, .. } = &job {
                            p.bytes -= bytes.len();
                        }
                        p.busy = true;
                        break job;
                    }
                    p = self
                        .queue
                        .changed
                        .wait(p)
                        .unwrap_or_else(|e| e.into_inner());
                }
            };
            let last = matches!(job, Job::Close);
            self.work(job);
            lock(&self.queue.pending).busy = false;
            self.queue.changed.notify_all();
            if last {
                return;
            }
        }
    }

    fn work(&mut self, job: Job) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let mut problem = None;
        match job {
            Job::AddStream(name) => {
                let handle = session.add_stream(&name, relayd::TRACE_PATH);
                if let Err(e) = &handle {
                    problem = Some(format!("stream {name}: {e}"));
                }
                self.streams.push(Remote {
                    handle: handle.ok(),
                    ..Remote::default()
                });
            }
            Job::Metadata(text) => {
                if self.metadata.is_none() {
                    match session.add_metadata(relayd::TRACE_PATH) {
                        Ok(h) => self.metadata = Some(h),
                        Err(e) => problem = Some(format!("metadata: {e}")),
                    }
                }
                if let Some(h) = self.metadata {
                    if let Err(e) = session.send_metadata(h, &text) {
                        problem = Some(format!("metadata: {e}"));
                    }
                }
            }
            Job::Packet {
                stream,
                mut bytes,
                header_len,
                events,
            } => self.packet(stream, &mut bytes, header_len, events),
            Job::CloseStream(stream) => {
                self.close_stream(stream);
            }
            Job::Idle(stream, mut empty) => self.idle(stream, &mut empty),
            Job::Probe(answer) => {
                let reachable = match self.metadata {
                    Some(h) => session.send_metadata(h, b"").map_err(|e| e.to_string()),
                    None => Ok(()),
                }
                .and_then(|()| {
                    let st = session.status();
                    if st.connected {
                        Ok(())
                    } else {
                        Err(st.last_error.unwrap_or_else(|| "unreachable".into()))
                    }
                });
                let _ = answer.send(reachable);
            }
            Job::Close => {
                if let Some(s) = self.session.take() {
                    let status = s.close();
                    lock(&self.health).status = status;
                }
                return;
            }
        }
        let mut h = lock(&self.health);
        if let Some(s) = &self.session {
            h.status = s.status();
        }
        if problem.is_some() {
            h.problem = problem;
        }
    }

    /// Sends a packet, its `events_discarded` raised by the events this
    /// stream lost on the way so far; counts its events as lost when it
    /// could not be delivered.
    fn packet(&mut self, stream: usize, bytes: &mut [u8], header_len: usize, events: u64) {
        let Some(r) = self.streams.get_mut(stream) else {
            return;
        };
        r.last_header = bytes[..header_len.min(bytes.len())].to_vec();
        let lost = r.lost;
        if bytes.len() >= at::DISCARDED + 8 {
            let discarded = read_u64(bytes, at::DISCARDED).saturating_add(lost);
            bytes[at::DISCARDED..at::DISCARDED + 8].copy_from_slice(&discarded.to_le_bytes());
            let seq = read_u64(bytes, at::SEQ).wrapping_add(r.shift);
            bytes[at::SEQ..at::SEQ + 8].copy_from_slice(&seq.to_le_bytes());
        }
        let delivered = match (r.handle, packet::ust_index(bytes), self.session.as_mut()) {
            (Some(h), Some(index), Some(s)) => s
                .send_packet(h, bytes, &index)
                .is_ok_and(|d| d == relayd::Delivery::Sent),
            _ => false,
        };
        if delivered {
            r.reported = lost;
        } else {
            r.lost = r.lost.saturating_add(events);
            lock(&self.health).events_lost += events;
        }
    }

    /// A quiet stream: one that never carried a packet gets an empty one
    /// (lttng-relayd heeds beacons only after data, and a live viewer waits
    /// for every stream), later consumer packets numbered after it; others
    /// get an inactivity beacon at the empty packet's time.
    fn idle(&mut self, stream: usize, empty: &mut [u8]) {
        let Some(r) = self.streams.get_mut(stream) else {
            return;
        };
        if empty.len() < at::DISCARDED + 8 {
            return;
        }
        if r.last_header.is_empty() {
            let header_len = empty.len();
            self.packet(stream, empty, header_len, 0);
            if let Some(r) = self.streams.get_mut(stream) {
                r.shift = 1;
            }
            return;
        }
        let class = u64::from(u32::from_le_bytes(
            empty[at::STREAM_ID..at::STREAM_ID + 4]
                .try_into()
                .unwrap_or_default(),
        ));
        if let (Some(h), Some(s)) = (r.handle, self.session.as_mut()) {
            let _ = s.send_beacon(h, class, read_u64(empty, at::TS_END));
        }
    }

    /// Closes a stream on the relay, after an empty packet reporting the
    /// events lost since the last packet that got through.
    fn close_stream(&mut self, stream: usize) {
        let Some(r) = self.streams.get(stream) else {
            return;
        };
        if let Some(mut last) = closing_packet(r) {
            let header_len = last.len();
            self.packet(stream, &mut last, header_len, 0);
        }
        if let (Some(h), Some(s)) = (self.streams[stream].handle, self.session.as_mut()) {
            let _ = s.close_stream(h);
        }
    }
}

/// An empty packet following the last one tried (its header as the
/// consumer made it), when events were lost since the last packet that got
/// through: `packet` then raises its count of discarded events.
fn closing_packet(r: &Remote) -> Option<Vec<u8>> {
    if r.lost <= r.reported || r.last_header.len() < at::DISCARDED + 8 {
        return None;
    }
    let mut p = r.last_header.clone();
    let bits = (p.len() as u64 * 8).to_le_bytes();
    let end = read_u64(&p, at::TS_END).to_le_bytes();
    let seq = read_u64(&p, at::SEQ).wrapping_add(1).to_le_bytes();
    p[at::TS_BEGIN..at::TS_BEGIN + 8].copy_from_slice(&end);
    p[at::CONTENT_SIZE..at::CONTENT_SIZE + 8].copy_from_slice(&bits);
    p[at::PACKET_SIZE..at::PACKET_SIZE + 8].copy_from_slice(&bits);
    p[at::SEQ..at::SEQ + 8].copy_from_slice(&seq);
    Some(p)
}

fn read_u64(bytes: &[u8], at: usize) -> u64 {
    bytes
        .get(at..at + 8)
        .map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
}
