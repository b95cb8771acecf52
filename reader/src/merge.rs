//! The k-way merge: every stream of every trace, one event at a time, in time order.
//!
//! Owns the ordering babeltrace2 2.0's muxer uses (nanoseconds from the clock origin, ties
//! broken by trace UUID and name, stream class id, stream id, event class id), streams that
//! fail part-way (their error is kept, the others go on), streams whose time goes backwards
//! (a warning, and the rest is printed where babeltrace2 stops), and `--follow` (ended streams
//! are polled again, new stream files and grown metadata are picked up).

use super::decode::{Sink, State};
use super::error::ReadError;
use super::metadata;
use super::stream::{self, Loss, Part, Step, StreamCursor};
use super::trace::{self, StreamFiles, Trace};
use super::types::{EventClass, Int, Metadata};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::PathBuf;

/// How babeltrace2 2.0's muxer orders the streams of events that have the same time: the
/// trace's rank (by UUID, traces without one last, then name), stream class id, stream id.
type Tie = (usize, u64, u64);

/// Ordering key of the current event of a stream: time, tie-breaker, event class id, then
/// stream index (streams are opened in the order of their paths, babeltrace2's last resort).
type Key = (i64, Tie, u64, usize);

struct Entry {
    trace: usize,
    /// Index of its stream in the trace's `streams`.
    slot: usize,
    cursor: StreamCursor,
    /// babeltrace2's stream id (see `StreamFiles::id`).
    stream_id: u64,
    live: bool,
    /// Time of the current event, in nanoseconds from the clock origin (merging by time).
    ns: i64,
    /// Tie-breaker of the current packet, and the packet serial it was computed for.
    tie: Tie,
    tie_serial: u64,
}

/// A loss reported by a stream, with where it happened.
pub struct LossReport<'a> {
    pub trace: &'a Trace,
    pub path: PathBuf,
    pub stream_id: u64,
    pub stream_class: u64,
    pub loss: Loss,
}

pub struct Merger {
    pub traces: Vec<Trace>,
    entries: Vec<Entry>,
    heap: BinaryHeap<Reverse<Key>>,
    ordered: bool,
    follow: bool,
    /// Events at or after this time (ns from the clock origin) are held back (see
    /// `set_horizon`).
    horizon: i64,
    /// Entry whose event was handed out last, to advance before the next one.
    current: Option<usize>,
    /// Losses ready to be taken, in time order.
    losses: Vec<(usize, Loss)>,
    /// Losses found ahead of the merge (merging by time): released once the events reach
    /// their beginning time, where babeltrace2's muxer reports them.
    waiting: Vec<(i64, Tie, usize, Loss)>,
    errors: Vec<ReadError>,
    /// Streams whose time went backwards, found since the last `take_warnings`.
    warnings: Vec<ReadError>,
    /// Time of the last event handed out (merging by time), and whether each stream was
    /// already warned about going backwards.
    last_ns: i64,
    warned: Vec<bool>,
    metadata_len: Vec<u64>,
    /// [trace] → its rank in babeltrace2's order of traces on equal times.
    trace_rank: Vec<usize>,
    /// Streams frame events lazily (see `decode_once`).
    decode_once: bool,
}

/// The event a `Merger` is at.
pub struct Event<'a> {
    pub trace: &'a Trace,
    pub cursor: &'a StreamCursor,
    /// Nanoseconds from the clock's origin, when the merger computed them (merging by time).
    ns: Option<i64>,
    /// Index of the stream among all the merger's streams.
    pub stream: usize,
}

impl<'a> Event<'a> {
    pub fn meta(&self) -> &'a Metadata {
        &self.trace.meta
    }

    pub fn class(&self) -> &'a EventClass {
        self.cursor.event_class(&self.trace.meta)
    }

    /// Nanoseconds from the clock's origin (0 without a clock).
    #[inline]
    pub fn ns(&self) -> i64 {
        self.ns
            .unwrap_or_else(|| ns_of(&self.trace.meta, self.cursor).unwrap_or(0))
    }

    pub fn has_clock(&self) -> bool {
        self.trace.meta.clock.is_some()
    }

    /// Decodes a part of the event into `sink`; false when the event has no such part.
    pub fn decode<S: Sink>(
        &self,
        part: Part,
        scratch: &mut State,
        sink: &mut S,
    ) -> Result<bool, ReadError> {
        self.cursor.decode(&self.trace.meta, part, scratch, sink)
    }

    /// The process id: a `vpid` (or `pid`) field of the stream event context or event
    /// context, else the trace's `vpid` environment entry.
    pub fn vpid(&self) -> Option<i64> {
        let mut scratch = State::default();
        for part in [Part::StreamContext, Part::Context] {
            let mut sink = PidSink {
                depth: 0,
                wanted: false,
                pid: None,
            };
            if self.decode(part, &mut scratch, &mut sink).is_ok() && sink.pid.is_some() {
                return sink.pid;
            }
        }
        self.trace.meta.env_int("vpid")
    }
}

/// Picks the value of a top-level `vpid`/`pid` integer field.
struct PidSink {
    depth: usize,
    wanted: bool,
    pid: Option<i64>,
}

impl Sink for PidSink {
    fn int(&mut self, ty: &Int, v: u64) {
        if self.wanted && self.pid.is_none() {
            self.pid = Some(if ty.signed {
                v as i64
            } else {
                v.min(i64::MAX as u64) as i64
            });
        }
        self.wanted = false;
    }

    fn begin_struct(&mut self) {
        self.depth += 1;
    }

    fn field(&mut self, name: &str) {
        self.wanted = self.depth == 1 && matches!(name, "vpid" | "pid");
    }

    fn end_struct(&mut self) {
        self.depth -= 1;
    }
}

impl Merger {
    /// Opens a cursor on every stream. `ordered` = merge by time (else stream after stream);
    /// `follow` = wait for more data at the end of each stream.
    pub fn new(traces: Vec<Trace>, ordered: bool, follow: bool) -> Merger {
        let metadata_len = traces
            .iter()
            .map(|t| file_len(&t.dir.join("metadata")))
            .collect();
        let mut m = Merger {
            traces,
            entries: Vec::new(),
            heap: BinaryHeap::new(),
            ordered,
            follow,
            horizon: i64::MAX,
            current: None,
            losses: Vec::new(),
            waiting: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            last_ns: i64::MIN,
            warned: Vec::new(),
            metadata_len,
            trace_rank: Vec::new(),
            decode_once: false,
        };
        m.trace_rank = trace_ranks(&m.traces);
        for t in 0..m.traces.len() {
            for slot in 0..m.traces[t].streams.len() {
                m.add_stream(t, slot);
            }
        }
        m
    }

    /// Has the streams frame each event after it is printed: for a printer that decodes
    /// every part of every event through `Pretty`, which reports where events end.
    pub fn decode_once(&mut self) {
        self.decode_once = true;
        for e in &mut self.entries {
            e.cursor.decode_once();
        }
    }

    fn add_stream(&mut self, trace: usize, slot: usize) {
        let stream = &self.traces[trace].streams[slot];
        match StreamCursor::open(stream.files.clone(), &self.traces[trace].meta, self.follow) {
            Ok(mut cursor) => {
                if self.decode_once {
                    cursor.decode_once();
                }
                self.entries.push(Entry {
                    trace,
                    slot,
                    cursor,
                    stream_id: stream.id,
                    live: false,
                    ns: 0,
                    tie: Default::default(),
                    tie_serial: 0,
                });
                self.step_and_queue(self.entries.len() - 1);
            }
            Err(e) => self.errors.push(e),
        }
    }

    /// Advances one stream; returns the ordering key of its next event when merging by time
    /// (the caller queues it).
    fn step(&mut self, i: usize) -> Option<Key> {
        let e = &mut self.entries[i];
        let meta = &self.traces[e.trace].meta;
        let step = e.cursor.advance(meta);
        if !e.cursor.losses.is_empty() {
            self.queue_losses(i);
        }
        if let Some((end, begin)) = self.entries[i].cursor.rewound.take() {
            self.packet_went_backwards(i, end, begin);
        }
        let e = &mut self.entries[i];
        let meta = &self.traces[e.trace].meta;
        match step {
            Ok(Step::Event) => {
                if e.tie_serial != e.cursor.packet.serial {
                    e.tie_serial = e.cursor.packet.serial;
                    e.tie = tie(meta, self.trace_rank[e.trace], e);
                }
                if !self.ordered {
                    e.live = true;
                    return None;
                }
                let Some(ns) = ns_of(meta, &e.cursor) else {
                    e.live = false;
                    let err = overflow_error(meta, &e.cursor);
                    self.errors.push(err);
                    return None;
                };
                e.live = true;
                e.ns = ns;
                Some((e.ns, e.tie, e.cursor.event_class(meta).id, i))
            }
            Ok(Step::End) => {
                e.live = false;
                None
            }
            Err(err) => {
                e.live = false;
                self.errors.push(err);
                None
            }
        }
    }

    /// Takes the losses stream `i` found: ready now, or (merging by time) once the events
    /// reach their beginning.
    fn queue_losses(&mut self, i: usize) {
        let e = &mut self.entries[i];
        let meta = &self.traces[e.trace].meta;
        for loss in std::mem::take(&mut e.cursor.losses) {
            let from = match &loss {
                Loss::Events { from, .. } | Loss::Packets { from, .. } => *from,
            };
            let at = from.and_then(|f| meta.clock.as_ref()?.ns_from_origin(f));
            match (self.ordered, at) {
                (true, Some(at)) => {
                    let tie = tie(meta, self.trace_rank[e.trace], e);
                    self.waiting.push((at, tie, i, loss));
                }
                _ => self.losses.push((i, loss)),
            }
        }
    }

    fn step_and_queue(&mut self, i: usize) {
        if let Some(key) = self.step(i) {
            self.heap.push(Reverse(key));
        }
    }

    /// Index of the stream with the earliest event, given the key of the stream just
    /// advanced: it is compared with the heap's top before touching the heap at all.
    fn earliest_stream(&mut self, stepped: Option<Key>) -> Option<usize> {
        let Some(key) = stepped else {
            return Some(self.heap.pop()?.0 .3);
        };
        match self.heap.peek_mut() {
            Some(mut top) if top.0 < key => Some(std::mem::replace(&mut *top, Reverse(key)).0 .3),
            _ => Some(key.3),
        }
    }

    /// The next event, or None when every stream has ended (for now, with `follow`).
    // Inlined into the caller's loop: the event is then built in place, not copied out
    // (the copy stalled on store forwarding: 10% of `--summary`).
    #[inline(always)]
    pub fn next_event(&mut self) -> Option<Event<'_>> {
        let stepped = self.current.take().and_then(|i| self.step(i));
        let next = if self.ordered {
            self.earliest_stream(stepped)
        } else {
            self.entries.iter().position(|e| e.live)
        };
        if let Some(i) = next.filter(|&i| self.ordered && self.entries[i].ns >= self.horizon) {
            self.hold_back(i);
            return None;
        }
        if !self.waiting.is_empty() {
            self.release_losses(next.map(|i| self.entries[i].ns));
        }
        let i = next?;
        self.current = Some(i);
        if self.ordered {
            let ns = self.entries[i].ns;
            if ns < self.last_ns {
                self.went_backwards(i, ns);
            }
            self.last_ns = ns;
        }
        let e = &self.entries[i];
        Some(Event {
            trace: &self.traces[e.trace],
            cursor: &e.cursor,
            ns: self.ordered.then_some(e.ns),
            stream: i,
        })
    }

    /// Puts stream `i`, whose event is at or after the horizon, back among the waiting ones
    /// (with its key unchanged: where it stands among equal times does not depend on when it
    /// is handed out). Losses beginning after the horizon wait with it.
    #[cold]
    fn hold_back(&mut self, i: usize) {
        let e = &self.entries[i];
        let class = e.cursor.event_class(&self.traces[e.trace].meta).id;
        self.heap.push(Reverse((e.ns, e.tie, class, i)));
        if !self.waiting.is_empty() {
            self.release_losses(Some(self.horizon.saturating_sub(1)));
        }
    }

    /// Warns (once per stream) that stream `i` hands out an event at `ns`, earlier than the
    /// last one printed: its time went backwards (LTTng 2.1–2.3 could write such streams).
    /// babeltrace2 2.0 stops there with an error; the rest is printed instead, the late
    /// events where they come.
    #[cold]
    fn went_backwards(&mut self, i: usize, ns: i64) {
        if !self.first_warning(i) {
            return;
        }
        let cursor = &self.entries[i].cursor;
        self.warnings.push(ReadError::at(
            cursor.path(),
            cursor.packet.offset as u64,
            format!(
                "time goes backwards: an event at {ns} ns from the clock's origin comes after one at {} ns was printed; babeltrace2 stops here with an error, ust view prints the rest of the trace (this stream's late events where they come)",
                self.last_ns
            ),
        ));
    }

    /// Warns (once per stream) that a packet of stream `i` begins (`begin`, in cycles)
    /// before the previous one ended (`end`): babeltrace2 2.0 stops there too.
    #[cold]
    fn packet_went_backwards(&mut self, i: usize, end: u64, begin: u64) {
        if !self.first_warning(i) {
            return;
        }
        let e = &self.entries[i];
        let clock = self.traces[e.trace].meta.clock.as_ref();
        let ns = |cycles: u64| clock.and_then(|c| c.ns_from_origin(cycles)).unwrap_or(0);
        self.warnings.push(ReadError::at(
            e.cursor.path(),
            e.cursor.packet.offset as u64,
            format!(
                "time goes backwards: this packet begins at {} ns from the clock's origin, before the previous packet of the stream ended ({} ns); babeltrace2 stops here with an error, ust view prints the rest of the trace",
                ns(begin),
                ns(end)
            ),
        ));
    }

    /// True the first time it is asked about stream `i`.
    fn first_warning(&mut self, i: usize) -> bool {
        if self.warned.len() <= i {
            self.warned.resize(i + 1, false);
        }
        !std::mem::replace(&mut self.warned[i], true)
    }

    /// Makes the waiting losses that begin at or before `upto` (all of them without it)
    /// ready, in time order.
    fn release_losses(&mut self, upto: Option<i64>) {
        self.waiting.sort_by_key(|w| (w.0, w.1, w.2));
        let due = self
            .waiting
            .iter()
            .take_while(|w| upto.is_none_or(|t| w.0 <= t))
            .count();
        self.losses
            .extend(self.waiting.drain(..due).map(|(_, _, i, loss)| (i, loss)));
    }

    /// Holds back events at or after `ns` (from the clock origin) when merging by time;
    /// `i64::MAX` holds back none. A live reader sets it to the time before which every
    /// stream is known complete (a stream's next packet may begin at the very time its last
    /// one ended), so events of a stream that is ahead wait for the others, and events of
    /// equal times are ordered only once every stream that may hold one is there.
    pub fn set_horizon(&mut self, ns: i64) {
        self.horizon = ns;
    }

    /// Time of the earliest event the streams stand at: right after `new`, the first event.
    pub fn earliest(&self) -> Option<i64> {
        let live = self
            .entries
            .iter()
            .enumerate()
            .filter(|(i, e)| e.live && Some(*i) != self.current);
        live.filter_map(|(_, e)| ns_of(&self.traces[e.trace].meta, &e.cursor))
            .min()
    }

    /// True when losses or errors wait to be taken.
    #[inline]
    pub fn has_reports(&self) -> bool {
        !self.losses.is_empty() || !self.errors.is_empty() || !self.warnings.is_empty()
    }

    /// Losses reported since the last call, oldest first.
    pub fn take_losses(&mut self) -> Vec<LossReport<'_>> {
        if self.losses.is_empty() {
            return Vec::new();
        }
        let losses = std::mem::take(&mut self.losses);
        losses
            .into_iter()
            .map(|(i, loss)| {
                let e = &self.entries[i];
                let trace = &self.traces[e.trace];
                LossReport {
                    trace,
                    path: e.cursor.path().to_path_buf(),
                    stream_id: e.stream_id,
                    stream_class: trace
                        .meta
                        .streams
                        .get(e.cursor.packet.stream_class)
                        .map_or(0, |s| s.id),
                    loss,
                }
            })
            .collect()
    }

    /// Warnings since the last call: streams whose time went backwards.
    pub fn take_warnings(&mut self) -> Vec<ReadError> {
        std::mem::take(&mut self.warnings)
    }

    /// Errors met since the last call; the streams that failed are not read further.
    pub fn take_errors(&mut self) -> Vec<ReadError> {
        std::mem::take(&mut self.errors)
    }

    /// Number of streams, and the file each one is reading now.
    pub fn stream_paths(&self) -> Vec<PathBuf> {
        self.entries
            .iter()
            .map(|e| e.cursor.path().to_path_buf())
            .collect()
    }

    /// With `follow`: reloads grown metadata, opens new stream files and polls ended streams.
    pub fn refresh(&mut self) {
        if let Some(i) = self.current.take() {
            self.step_and_queue(i);
        }
        for t in 0..self.traces.len() {
            self.reload_metadata(t);
            self.open_new_streams(t);
        }
        for i in 0..self.entries.len() {
            if !self.entries[i].live {
                self.step_and_queue(i);
            }
        }
    }

    fn reload_metadata(&mut self, t: usize) {
        let path = self.traces[t].dir.join("metadata");
        let len = file_len(&path);
        if len == self.metadata_len[t] {
            return;
        }
        // A metadata packet still being written fails to parse: it is retried next time.
        if let Ok(meta) = metadata::load(&path) {
            for e in self.entries.iter_mut().filter(|e| e.trace == t) {
                e.cursor.ensure_registers(meta.registers);
            }
            self.traces[t].meta = meta;
            self.metadata_len[t] = len;
        }
    }

    /// Opens the stream files that appeared in trace `t`, numbered as `open_all` numbers
    /// them in the finished trace (so equal times are ordered as they will be there): by
    /// instance id, else by path among the streams without one, renumbering those. A file
    /// whose first packet cannot be identified yet (still being written) waits for the next
    /// refresh.
    fn open_new_streams(&mut self, t: usize) {
        let Ok(files) = trace::stream_files(&self.traces[t].dir) else {
            return;
        };
        for file in files {
            if self.traces[t]
                .streams
                .iter()
                .any(|s| s.files.contains(&file))
            {
                continue;
            }
            let id = match stream::identify(&file, &self.traces[t].meta) {
                Ok(Some((_, instance, begin))) => trace::instance_id(instance, begin),
                _ => continue,
            };
            self.traces[t].streams.push(StreamFiles {
                files: vec![file],
                id: id.unwrap_or(u64::MAX),
                by_path: id.is_none(),
            });
            let slot = self.traces[t].streams.len() - 1;
            if id.is_none() && trace::number_by_path(&mut self.traces[t].streams) {
                self.renumbered(t);
            }
            self.add_stream(t, slot);
        }
    }

    /// Gives the streams of trace `t` their new ids, and re-queues the waiting ones with
    /// their new keys.
    fn renumbered(&mut self, t: usize) {
        let rank = self.trace_rank[t];
        let meta = &self.traces[t].meta;
        for e in self.entries.iter_mut().filter(|e| e.trace == t) {
            e.stream_id = self.traces[t].streams[e.slot].id;
            e.tie = tie(meta, rank, e);
        }
        if !self.ordered {
            return;
        }
        let current = self.current;
        let queued = self
            .entries
            .iter()
            .enumerate()
            .filter(|&(i, e)| e.live && Some(i) != current);
        self.heap = queued
            .map(|(i, e)| {
                let class = e.cursor.event_class(&self.traces[e.trace].meta).id;
                Reverse((e.ns, e.tie, class, i))
            })
            .collect();
    }
}

/// Nanoseconds from the clock origin of the event `cursor` is at (0 without a clock); None
/// when they do not fit an `i64`.
#[inline]
fn ns_of(meta: &Metadata, cursor: &StreamCursor) -> Option<i64> {
    match &meta.clock {
        Some(c) => c.ns_from_origin(cursor.event.clock),
        None => Some(0),
    }
}

/// The error of an event whose time does not fit: babeltrace2 refuses such a trace too.
#[cold]
fn overflow_error(meta: &Metadata, cursor: &StreamCursor) -> ReadError {
    let c = meta.clock.as_ref();
    ReadError::at(
        cursor.path(),
        cursor.packet.offset as u64,
        format!(
            "clock `{}` value {} (offset {} s) cannot be converted to nanoseconds from its origin: it overflows a signed 64-bit integer",
            c.map_or("", |c| c.name.as_str()),
            cursor.event.clock,
            c.map_or(0, |c| c.offset_s)
        ),
    )
}

/// The tie-breaker of the packet `e` is in, for a trace of rank `rank`.
fn tie(meta: &Metadata, rank: usize, e: &Entry) -> Tie {
    let class = meta
        .streams
        .get(e.cursor.packet.stream_class)
        .map_or(0, |s| s.id);
    (rank, class, e.stream_id)
}

/// [trace] → rank in babeltrace2's order of traces: by UUID (traces without one last),
/// then by name.
fn trace_ranks(traces: &[Trace]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..traces.len()).collect();
    order.sort_by_cached_key(|&t| {
        let uuid = traces[t].meta.uuid;
        (uuid.is_none(), uuid.unwrap_or_default(), traces[t].name())
    });
    let mut rank = vec![0; traces.len()];
    for (r, t) in order.into_iter().enumerate() {
        rank[t] = r;
    }
    rank
}

fn file_len(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// A trace directory with one stream class: packet header `magic` and (`instances`)
    /// `stream_instance_id`; events of class `e` with a 64-bit time and a 32-bit value.
    fn trace_dir(name: &str, instances: bool) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ust-merge-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).unwrap();
        let instance = if instances {
            "uint64_t stream_instance_id;"
        } else {
            ""
        };
        let tsdl = format!(
            "/* CTF 1.8 */
typealias integer {{ size = 32; align = 32; signed = false; }} := uint32_t;
typealias integer {{ size = 64; align = 64; signed = false; }} := uint64_t;
trace {{ major = 1; minor = 8; byte_order = le;
  packet.header := struct {{ uint32_t magic; {instance} }}; }};
clock {{ name = c; freq = 1000000000; offset = 0; }};
typealias integer {{ size = 64; align = 64; signed = false; map = clock.c.value; }} := clk_t;
stream {{
  packet.context := struct {{ clk_t timestamp_begin; clk_t timestamp_end;
    uint64_t content_size; uint64_t packet_size; }};
  event.header := struct {{ uint32_t id; clk_t timestamp; }};
}};
event {{ name = e; id = 0; fields := struct {{ uint32_t v; }}; }};
"
        );
        std::fs::write(dir.join("metadata"), tsdl).unwrap();
        dir
    }

    /// Appends a packet of events (time, value) to stream file `dir/name`.
    fn append(dir: &Path, name: &str, instance: Option<u64>, events: &[(u64, u32)]) {
        let mut p = 0xC1FC_1FC1u32.to_le_bytes().to_vec();
        p.resize(8, 0);
        if let Some(i) = instance {
            p.extend_from_slice(&i.to_le_bytes());
        }
        let context = p.len();
        p.resize(context + 32, 0);
        for &(ts, v) in events {
            p.resize(p.len().next_multiple_of(8), 0);
            p.extend_from_slice(&0u32.to_le_bytes());
            p.resize(p.len().next_multiple_of(8), 0);
            p.extend_from_slice(&ts.to_le_bytes());
            p.extend_from_slice(&v.to_le_bytes());
        }
        let content = p.len() as u64 * 8;
        p.resize(p.len().next_multiple_of(8), 0);
        let (begin, end) = (events[0].0, events[events.len() - 1].0);
        for (at, field) in [begin, end, content, p.len() as u64 * 8]
            .iter()
            .zip([0, 8, 16, 24])
        {
            p[context + field..context + field + 8].copy_from_slice(&at.to_le_bytes());
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(name))
            .unwrap();
        std::io::Write::write_all(&mut f, &p).unwrap();
    }

    /// The events the merger hands out now: (time, stream file name).
    fn drain(m: &mut Merger) -> Vec<(i64, String)> {
        let mut out = Vec::new();
        while let Some(ev) = m.next_event() {
            let name = ev.cursor.path().file_name().unwrap().to_string_lossy();
            out.push((ev.ns(), name.into_owned()));
        }
        out
    }

    fn events(list: &[(i64, &str)]) -> Vec<(i64, String)> {
        list.iter().map(|&(t, n)| (t, n.to_owned())).collect()
    }

    fn open(dir: &Path) -> Vec<Trace> {
        trace::open_all(&[dir.to_path_buf()]).unwrap()
    }

    fn finished(dir: &Path) -> Vec<(i64, String)> {
        drain(&mut Merger::new(open(dir), true, false))
    }

    #[test]
    fn streams_appearing_while_following_are_ordered_as_in_the_finished_trace() {
        for instances in [true, false] {
            let dir = trace_dir(&format!("late-{instances}"), instances);
            // By instance id, `b` (3) comes before `a` (7) on equal times; by path, `a`
            // before `b`: the stream that appears later must not simply come last.
            let (a, b) = if instances {
                (Some(7), Some(3))
            } else {
                (None, None)
            };
            let first = if instances { "a" } else { "b" };
            append(&dir, first, if instances { a } else { b }, &[(10, 1)]);
            let mut m = Merger::new(open(&dir), true, true);
            m.set_horizon(10);
            assert_eq!(drain(&mut m), []);
            let (late, id) = if instances { ("b", b) } else { ("a", a) };
            append(&dir, late, id, &[(10, 2), (20, 3)]);
            append(&dir, first, if instances { a } else { b }, &[(20, 4)]);
            m.set_horizon(i64::MAX);
            m.refresh();
            let shown = drain(&mut m);
            let want = if instances {
                [(10, "b"), (10, "a"), (20, "b"), (20, "a")]
            } else {
                [(10, "a"), (10, "b"), (20, "a"), (20, "b")]
            };
            assert_eq!(shown, events(&want), "instance ids: {instances}");
            assert_eq!(shown, finished(&dir), "instance ids: {instances}");
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    #[test]
    fn events_at_the_horizon_wait_for_the_streams_behind() {
        let dir = trace_dir("horizon", true);
        append(&dir, "a", Some(7), &[(10, 1), (20, 2)]);
        append(&dir, "b", Some(3), &[(5, 1)]);
        let mut m = Merger::new(open(&dir), true, true);
        // `b` is complete before 20 (its last packet ended there): its next packet may
        // hold an event at 20 too, which comes first.
        m.set_horizon(20);
        assert_eq!(drain(&mut m), events(&[(5, "b"), (10, "a")]));
        append(&dir, "b", Some(3), &[(20, 2)]);
        m.set_horizon(i64::MAX);
        m.refresh();
        assert_eq!(drain(&mut m), events(&[(20, "b"), (20, "a")]));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
