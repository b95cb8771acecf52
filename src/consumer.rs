//! The consumer: copies complete sub-buffers out of a channel's ring
//! buffers and appends them, each behind its CTF packet header, to one
//! stream per CPU of an `Output` (stream files `<prefix>_<cpu>`, e.g.
//! `channel0_1`, a relay, ...).
//!
//! It never trusts the shared memory further than `ringbuf`'s checks: an
//! inconsistent sub-buffer is skipped, not decoded. A consumer with a
//! `Check` (the daemon's, whose buffers belong to another process) also
//! frames every event of a packet from the event descriptions it keeps
//! (see `ctf::walk`) before writing it, and counts them; a packet whose
//! events or times do not hold together is a `Lie`, and nothing more of
//! that channel is written.
//!
//! Only whole packets reach an output: a packet the output could not keep
//! (a full disk) leaves nothing behind, and its events are counted as
//! discarded in the next packet that is kept, so readers report them; a
//! packet the output cannot take yet stays in the ring buffer.

use crate::channel::Channel;
use crate::ctf::header::{AppContext, PacketHeader};
use crate::ctf::walk::{self, Lie, PayloadLayout};
use crate::output::{Appended, Output, Packet};
use crate::ringbuf::{PacketInfo, RingBuffer};
use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the final drain waits for writers still inside an event.
const FINAL_COMMIT_WAIT: Duration = Duration::from_millis(200);

/// The payload layouts of a channel's events, by event id; grows as the
/// session declares events, read by the channel's consumers.
#[derive(Default)]
pub struct Layouts(Mutex<Arc<Vec<PayloadLayout>>>);

impl Layouts {
    /// Declares event `id` (ids are handed out in order, from 0).
    pub fn declare(&self, id: u32, layout: PayloadLayout) {
        let mut cur = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut v = (**cur).clone();
        if v.len() <= id as usize {
            v.resize(id as usize + 1, PayloadLayout::Fixed(0));
        }
        v[id as usize] = layout;
        *cur = Arc::new(v);
    }

    /// The layouts declared so far, by event id.
    pub fn current(&self) -> Arc<Vec<PayloadLayout>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// What a checking consumer verifies against.
#[derive(Clone)]
pub struct Check {
    pub layouts: Arc<Layouts>,
    /// How far past the consumer's clock a packet may end (clock ticks):
    /// the writer's clock may run a little ahead of this CPU's.
    pub slack: u64,
}

/// Why a channel cannot be consumed further.
#[derive(Debug)]
pub enum ConsumeError {
    /// The trace could not be written (other than a full disk).
    Io(io::Error),
    /// The program's buffer of `cpu` holds what no honest writer writes.
    Lie { cpu: u32, lie: Lie },
}

impl std::fmt::Display for ConsumeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConsumeError::Io(e) => write!(f, "{e}"),
            ConsumeError::Lie { cpu, lie } => write!(f, "buffer of CPU {cpu}: {lie}"),
        }
    }
}

impl From<io::Error> for ConsumeError {
    fn from(e: io::Error) -> ConsumeError {
        ConsumeError::Io(e)
    }
}

struct Stream {
    /// Next sub-buffer number to read.
    next: u64,
    /// Write position seen at the last quiet check.
    last_offset: u64,
    /// The last packet written.
    last_written: Option<LastPacket>,
    /// Events of packets that could not be written, added to the
    /// discarded count of the packets that are.
    unwritten: u64,
}

/// What the last packet written to a stream said.
#[derive(Clone, Copy, Default)]
pub(crate) struct LastPacket {
    pub(crate) end: u64,
    /// Discarded events as the buffer counted them.
    pub(crate) discarded: u64,
    /// Discarded events as the packet reported them (with unwritten ones).
    pub(crate) reported: u64,
}

/// How a channel's stream files are named and identified in a trace.
#[derive(Clone, Debug)]
pub struct StreamNaming {
    /// File name before `_<cpu>`.
    pub prefix: String,
    /// The stream class (channel) id in the trace's metadata.
    pub stream_id: u32,
    /// Added to the CPU number to make each stream's `stream_instance_id`
    /// unique in the trace.
    pub instance_base: u64,
    /// The program's pid and name, recorded in every packet context when
    /// several programs share a trace (daemon sessions).
    pub app: Option<AppContext>,
}

impl StreamNaming {
    /// The daemonless trace: `channel0_<cpu>`, no program context.
    pub fn daemonless() -> StreamNaming {
        StreamNaming {
            prefix: "channel0".into(),
            stream_id: 0,
            instance_base: 0,
            app: None,
        }
    }
}

/// Drains one channel into its output's streams.
pub struct Consumer {
    /// Whose channel it is, for the owner's bookkeeping (the daemon's
    /// program key; 0 in a daemonless session).
    pub key: u64,
    channel: Arc<Channel>,
    streams: Vec<Stream>,
    output: Box<dyn Output>,
    uuid: [u8; 16],
    naming: StreamNaming,
    check: Option<Check>,
    /// Where to count events when a write fails (the daemonless session,
    /// which does not check its own buffers).
    layouts: Option<Arc<Layouts>>,
    scratch: Vec<u8>,
    /// Packets written so far.
    pub packets: u64,
    /// Bytes written so far.
    pub bytes: u64,
    /// Events written so far (counted by a checking consumer only).
    pub events: u64,
    /// Events that could not be written (full disk, relay unreachable), and
    /// the last such error.
    pub unwritten: u64,
    pub write_error: Option<String>,
}

impl Consumer {
    /// A consumer of `channel` into `output`, whose streams are numbered as
    /// the channel's buffers. With `check`, every packet is verified and its
    /// events counted; otherwise `layouts` (if any) serves to count the
    /// events of unwritten packets.
    pub fn create(
        channel: Arc<Channel>,
        output: Box<dyn Output>,
        uuid: [u8; 16],
        naming: StreamNaming,
        check: Option<Check>,
        layouts: Option<Arc<Layouts>>,
    ) -> Consumer {
        let streams = channel
            .buffers()
            .iter()
            .map(|_| Stream {
                next: 0,
                last_offset: 0,
                last_written: None,
                unwritten: 0,
            })
            .collect();
        let layouts = layouts.or_else(|| check.as_ref().map(|c| c.layouts.clone()));
        Consumer {
            key: 0,
            channel,
            streams,
            output,
            uuid,
            naming,
            check,
            layouts,
            scratch: Vec::new(),
            packets: 0,
            bytes: 0,
            events: 0,
            unwritten: 0,
            write_error: None,
        }
    }

    /// The CPUs of the channel's buffers, in stream order.
    pub fn cpus(channel: &Channel) -> Vec<u32> {
        channel.buffers().iter().map(|rb| rb.cpu()).collect()
    }

    /// How the consumer names and identifies its streams.
    pub fn naming(&self) -> &StreamNaming {
        &self.naming
    }

    /// Closes the open sub-buffer of every buffer and writes the complete
    /// ones (a writer still inside an event gets a bounded wait): what was
    /// recorded before the call is written, unless writers were mid-event,
    /// whose sub-buffers wait for a later drain (the cut of a rotation).
    pub fn cut(&mut self) -> Result<u64, ConsumeError> {
        let deadline = Instant::now() + FINAL_COMMIT_WAIT;
        for (rb, stream) in self.channel.buffers().iter().zip(&self.streams) {
            rb.flush();
            let last = rb.closed_subbufs().checked_sub(1);
            if let Some(n) = last.filter(|n| *n >= stream.next) {
                while !rb.is_complete(n) && Instant::now() < deadline {
                    std::thread::yield_now();
                }
            }
        }
        self.drain()
    }

    /// What a snapshot needs to read the consumer's channel.
    pub fn source(&self) -> crate::snapshot::Source {
        crate::snapshot::Source {
            channel: self.channel.clone(),
            naming: self.naming.clone(),
            check: self.check.clone(),
        }
    }

    /// Sends the packets from now on to `output` (streams numbered as
    /// before: a new chunk of the trace); returns the previous output,
    /// flushed.
    pub fn switch_output(&mut self, output: Box<dyn Output>) -> io::Result<Box<dyn Output>> {
        let mut old = std::mem::replace(&mut self.output, output);
        old.flush()?;
        Ok(old)
    }

    /// The program the channel belongs to (daemon sessions), or "".
    pub fn program(&self) -> String {
        self.naming.app.as_ref().map_or(String::new(), |a| {
            format!("{} (pid {})", a.procname, a.vpid)
        })
    }

    /// The channel being drained.
    pub fn channel(&self) -> &Arc<Channel> {
        &self.channel
    }

    /// Events dropped so far, as the packets written report them (the
    /// buffers' own counters live in memory another process writes).
    pub fn discarded(&self) -> u64 {
        self.streams.iter().fold(0u64, |sum, s| {
            sum.saturating_add(
                s.last_written
                    .map_or(s.unwritten, |l| l.reported.max(s.unwritten)),
            )
        })
    }

    /// Writes the complete sub-buffers, at most one lap of each buffer per
    /// call (so forged commit counters cannot keep it busy); returns how many
    /// were written.
    pub fn drain(&mut self) -> Result<u64, ConsumeError> {
        let mut written = 0;
        let layouts = self.check.as_ref().map(|c| c.layouts.current());
        let limit = self
            .check
            .as_ref()
            .map(|c| crate::clock::now().saturating_add(c.slack));
        let channel = self.channel.clone();
        for (i, rb) in channel.buffers().iter().enumerate() {
            for _ in 0..rb.geometry().num_subbuf {
                let n = self.streams[i].next;
                let Some(info) = rb.packet_info(n) else {
                    break;
                };
                if !self.output.ready(i) {
                    break;
                }
                let check = layouts.as_ref().map(|l| l.as_slice()).zip(limit);
                self.take(i, n, &info, check)?;
                rb.release(n);
                self.streams[i].next = info.seq + 1;
                written += 1;
            }
        }
        Ok(written)
    }

    /// Copies sub-buffer `n` of stream `i` out, checks it (with `check`:
    /// the layouts and the latest acceptable time) and appends it.
    fn take(
        &mut self,
        i: usize,
        n: u64,
        info: &PacketInfo,
        check: Option<(&[PayloadLayout], u64)>,
    ) -> Result<(), ConsumeError> {
        let rb = &self.channel.buffers()[i];
        self.scratch.clear();
        let header = packet_header(
            rb,
            info,
            &self.uuid,
            &self.naming,
            self.streams[i].unwritten,
        );
        header.encode(&mut self.scratch);
        let head = self.scratch.len();
        let Some(info) = rb.copy_subbuf(n, &mut self.scratch) else {
            return Ok(());
        };
        let events = match check {
            Some((layouts, limit)) => Some(self.verify(i, &info, head, layouts, limit)?),
            None => None,
        };
        self.append(i, &info, head, events)
    }

    /// Checks a copied packet against the stream's previous one and the
    /// event descriptions; returns its events.
    fn verify(
        &self,
        i: usize,
        info: &PacketInfo,
        head: usize,
        layouts: &[PayloadLayout],
        limit: u64,
    ) -> Result<u64, ConsumeError> {
        let cpu = self.channel.buffers()[i].cpu();
        let prev = self.streams[i].last_written.unwrap_or_default();
        verify(prev, info, &self.scratch[head..], layouts, limit)
            .map_err(|lie| ConsumeError::Lie { cpu, lie })
    }

    /// Appends the packet in `scratch` to stream `i`; one the output could
    /// not keep has its events counted as discarded in later packets.
    fn append(
        &mut self,
        i: usize,
        info: &PacketInfo,
        head: usize,
        events: Option<u64>,
    ) -> Result<(), ConsumeError> {
        let packet = Packet {
            bytes: &self.scratch,
            header_len: head,
            events,
        };
        match self.output.append(i, &packet)? {
            Appended::Written => {
                let stream = &mut self.streams[i];
                stream.last_written = Some(LastPacket {
                    end: info.ts_end.max(info.ts_begin),
                    discarded: info.discarded,
                    reported: info.discarded.saturating_add(stream.unwritten),
                });
                self.packets += 1;
                self.bytes += self.scratch.len() as u64;
                self.events += events.unwrap_or(0);
            }
            Appended::Lost(why) => {
                let lost = events.unwrap_or_else(|| {
                    let layouts = self.layouts.as_ref().map(|l| l.current());
                    layouts
                        .and_then(|l| {
                            walk::walk(&self.scratch[head..], info.ts_begin, u64::MAX, &l).ok()
                        })
                        .map_or(0, |w| w.events)
                });
                let stream = &mut self.streams[i];
                stream.unwritten = stream.unwritten.saturating_add(lost);
                self.unwritten = self.unwritten.saturating_add(lost);
                self.write_error = Some(why);
            }
        }
        Ok(())
    }

    /// Closes the open sub-buffer of every buffer that saw no reservation
    /// since the previous call, so quiet buffers reach the disk.
    pub fn flush_quiet(&mut self) {
        for (rb, stream) in self.channel.buffers().iter().zip(self.streams.iter_mut()) {
            let offset = rb.offset();
            if offset == stream.last_offset {
                rb.flush();
            }
            stream.last_offset = offset;
        }
    }

    /// Tells the output which streams hold nothing pending, as of `at` (a
    /// clock reading taken before the last flush and drain): no open
    /// sub-buffer, every closed one written. Events recorded later carry
    /// later times.
    pub fn report_idle(&mut self, at: u64) {
        for i in 0..self.streams.len() {
            let rb = &self.channel.buffers()[i];
            let stream = &self.streams[i];
            let open = rb.offset() % rb.geometry().subbuf_size != 0;
            if open || rb.closed_subbufs() > stream.next {
                continue;
            }
            let last = stream.last_written.unwrap_or_default();
            // A tick apart per stream: live viewers cannot order identical times.
            let at = at.saturating_sub(i as u64).max(last.end);
            let info = PacketInfo {
                seq: stream.next,
                ts_begin: at,
                ts_end: at,
                data_len: 0,
                discarded: last.discarded,
            };
            self.scratch.clear();
            packet_header(rb, &info, &self.uuid, &self.naming, stream.unwritten)
                .encode(&mut self.scratch);
            let empty = Packet {
                bytes: &self.scratch,
                header_len: self.scratch.len(),
                events: Some(0),
            };
            self.output.idle(i, &empty);
        }
    }

    /// The final drain: closes every buffer and writes what was committed.
    /// In overwrite mode, that is the newest `num_subbuf` sub-buffers.
    pub fn finish(&mut self) -> Result<(), ConsumeError> {
        for rb in self.channel.buffers() {
            rb.flush();
        }
        let deadline = Instant::now() + FINAL_COMMIT_WAIT;
        let layouts = self.check.as_ref().map(|c| c.layouts.current());
        let limit = self
            .check
            .as_ref()
            .map(|c| crate::clock::now().saturating_add(c.slack));
        for i in 0..self.streams.len() {
            let rb = &self.channel.buffers()[i];
            let closed = rb.closed_subbufs();
            let geo = rb.geometry();
            let first = if geo.overwrite {
                closed.saturating_sub(geo.num_subbuf)
            } else {
                self.streams[i].next
            };
            // At most one lap can be pending, whatever the shared offset says.
            for n in first..closed.min(first.saturating_add(geo.num_subbuf)) {
                let rb = &self.channel.buffers()[i];
                while !rb.is_complete(n) && Instant::now() < deadline {
                    std::thread::yield_now();
                }
                if let Some(info) = rb.packet_info(n) {
                    if !(geo.overwrite && rb.overwritten_since_copy(n)) {
                        let check = layouts.as_ref().map(|l| l.as_slice()).zip(limit);
                        self.take(i, n, &info, check)?;
                    }
                }
                self.streams[i].next = n + 1;
            }
            self.report_late_discards(i)?;
        }
        self.output.flush()?;
        Ok(())
    }

    /// Events dropped after the last packet was closed (the buffer stayed
    /// full until the end, or writes failed) are reported in a final, empty
    /// packet, so the trace's cumulative `events_discarded` is exact.
    fn report_late_discards(&mut self, i: usize) -> Result<(), ConsumeError> {
        let rb = &self.channel.buffers()[i];
        let stream = &self.streams[i];
        let last = stream.last_written.unwrap_or_default();
        let now = crate::clock::now().max(last.end);
        let claimed = rb.discarded();
        let discarded = if plausible_discards(last, claimed, now) {
            claimed
        } else {
            last.discarded
        };
        if discarded.saturating_add(stream.unwritten) <= last.reported {
            return Ok(());
        }
        let info = PacketInfo {
            seq: stream.next,
            ts_begin: now,
            ts_end: now,
            data_len: 0,
            discarded,
        };
        self.scratch.clear();
        packet_header(rb, &info, &self.uuid, &self.naming, stream.unwritten)
            .encode(&mut self.scratch);
        let head = self.scratch.len();
        self.append(i, &info, head, Some(0))?;
        self.streams[i].next += 1;
        Ok(())
    }
}

/// Whether a buffer's cumulative discard count `discarded`, at time `end`,
/// can follow the `prev` packet's: it never goes down, and grows by at most
/// one per clock tick (each dropped event is a reservation attempt, and one
/// CPU's buffer sees them one at a time, each taking many ticks).
pub(crate) fn plausible_discards(prev: LastPacket, discarded: u64, end: u64) -> bool {
    discarded >= prev.discarded
        && discarded - prev.discarded <= end.saturating_sub(prev.end).saturating_add(1)
}

/// Checks a packet's events (`events`, copied from the buffer) and times
/// against the stream's previous packet `prev`, the event descriptions and
/// the latest acceptable time; returns how many events it holds.
pub(crate) fn verify(
    prev: LastPacket,
    info: &PacketInfo,
    events: &[u8],
    layouts: &[PayloadLayout],
    limit: u64,
) -> Result<u64, Lie> {
    let end = info.ts_end.max(info.ts_begin);
    if info.ts_begin < prev.end || end > limit {
        return Err(Lie::TimeGoesBack { at: 0 });
    }
    if !plausible_discards(prev, info.discarded, end) {
        return Err(Lie::DiscardedGoesBack);
    }
    Ok(walk::walk(events, info.ts_begin, end, layouts)?.events)
}

pub(crate) fn packet_header(
    rb: &RingBuffer,
    info: &PacketInfo,
    uuid: &[u8; 16],
    naming: &StreamNaming,
    unwritten: u64,
) -> PacketHeader {
    PacketHeader {
        uuid: *uuid,
        stream_id: naming.stream_id,
        stream_instance_id: naming.instance_base + rb.cpu() as u64,
        ts_begin: info.ts_begin,
        ts_end: info.ts_end.max(info.ts_begin),
        data_len: info.data_len,
        seq: info.seq,
        discarded: info.discarded.saturating_add(unwritten),
        cpu: rb.cpu(),
        app: naming.app.clone(),
    }
}
