//! The consumer: copies complete sub-buffers out of a channel's ring
//! buffers and appends them, each behind its CTF packet header, to one
//! stream file per CPU (`<prefix>_<cpu>`, e.g. `channel0_1`).
//!
//! It never trusts the shared control data further than `ringbuf`'s
//! checks: an inconsistent sub-buffer is skipped, not decoded.

use crate::channel::Channel;
use crate::ctf::header::{AppContext, PacketHeader};
use crate::ringbuf::{PacketInfo, RingBuffer};
use crate::tracedir::TraceDir;
use std::fs::File;
use std::io::{self, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the final drain waits for writers still inside an event.
const FINAL_COMMIT_WAIT: Duration = Duration::from_millis(200);

struct Stream {
    file: File,
    /// Next sub-buffer number to read.
    next: u64,
    /// Write position seen at the last quiet check.
    last_offset: u64,
    /// The last packet written: (timestamp_end, events_discarded).
    last_written: Option<(u64, u64)>,
}

impl Stream {
    fn write(&mut self, packet: &[u8], info: &PacketInfo) -> io::Result<()> {
        self.file.write_all(packet)?;
        self.written(info);
        Ok(())
    }

    /// Remembers the last packet written, for `report_late_discards`.
    fn written(&mut self, info: &PacketInfo) {
        self.last_written = Some((info.ts_end.max(info.ts_begin), info.discarded));
    }
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

/// Drains one channel into its stream files.
pub struct Consumer {
    channel: Arc<Channel>,
    streams: Vec<Stream>,
    uuid: [u8; 16],
    naming: StreamNaming,
    scratch: Vec<u8>,
    /// Packets written so far.
    pub packets: u64,
    /// Bytes written so far.
    pub bytes: u64,
}

impl Consumer {
    /// Creates `<prefix>_<cpu>` afresh in `dir` for every buffer.
    pub fn create(
        channel: Arc<Channel>,
        dir: &TraceDir,
        uuid: [u8; 16],
        naming: StreamNaming,
    ) -> io::Result<Consumer> {
        let streams = channel
            .buffers()
            .iter()
            .map(|rb| {
                Ok(Stream {
                    file: dir.create(&format!("{}_{}", naming.prefix, rb.cpu()))?,
                    next: 0,
                    last_offset: 0,
                    last_written: None,
                })
            })
            .collect::<io::Result<Vec<_>>>()?;
        Ok(Consumer {
            channel,
            streams,
            uuid,
            naming,
            scratch: Vec::new(),
            packets: 0,
            bytes: 0,
        })
    }

    /// The channel being drained.
    pub fn channel(&self) -> &Arc<Channel> {
        &self.channel
    }

    /// Events dropped so far in the channel's buffers.
    pub fn discarded(&self) -> u64 {
        // Saturating: the counters live in memory another process writes.
        self.channel
            .buffers()
            .iter()
            .fold(0u64, |sum, rb| sum.saturating_add(rb.discarded()))
    }

    /// Writes the complete sub-buffers, at most one lap of each buffer per
    /// call (so forged commit counters cannot keep it busy); returns how many
    /// were written.
    pub fn drain(&mut self) -> io::Result<u64> {
        let mut written = 0;
        for (rb, stream) in self.channel.buffers().iter().zip(self.streams.iter_mut()) {
            for _ in 0..rb.geometry().num_subbuf {
                let Some(info) = rb.packet_info(stream.next) else {
                    break;
                };
                self.scratch.clear();
                packet_header(rb, &info, &self.uuid, &self.naming).encode(&mut self.scratch);
                rb.write_subbuf(stream.next, &info, &self.scratch, &stream.file)?;
                self.bytes += (self.scratch.len() + info.data_len) as u64;
                stream.written(&info);
                rb.release(stream.next);
                stream.next = info.seq + 1;
                written += 1;
            }
        }
        self.packets += written;
        Ok(written)
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

    /// The final drain: closes every buffer and writes what was committed.
    /// In overwrite mode, that is the newest `num_subbuf` sub-buffers.
    pub fn finish(&mut self) -> io::Result<()> {
        for rb in self.channel.buffers() {
            rb.flush();
        }
        let deadline = Instant::now() + FINAL_COMMIT_WAIT;
        for (rb, stream) in self.channel.buffers().iter().zip(self.streams.iter_mut()) {
            let closed = rb.closed_subbufs();
            let geo = rb.geometry();
            let first = if geo.overwrite {
                closed.saturating_sub(geo.num_subbuf)
            } else {
                stream.next
            };
            // At most one lap can be pending, whatever the shared offset says.
            for n in first..closed.min(first.saturating_add(geo.num_subbuf)) {
                while !rb.is_complete(n) && Instant::now() < deadline {
                    std::thread::yield_now();
                }
                self.scratch.clear();
                if let Some(info) = take_packet(rb, n, &mut self.scratch, &self.uuid, &self.naming)
                {
                    if !(geo.overwrite && rb.overwritten_since_copy(n)) {
                        stream.write(&self.scratch, &info)?;
                        self.packets += 1;
                        self.bytes += self.scratch.len() as u64;
                    }
                }
                stream.next = n + 1;
            }
            self.packets +=
                report_late_discards(rb, stream, &mut self.scratch, &self.uuid, &self.naming)?;
            stream.file.flush()?;
        }
        Ok(())
    }
}

/// Events dropped after the last packet was closed (the buffer stayed
/// full until the end) are reported in a final, empty packet, so the
/// trace's cumulative `events_discarded` is exact. Returns packets written.
fn report_late_discards(
    rb: &RingBuffer,
    stream: &mut Stream,
    scratch: &mut Vec<u8>,
    uuid: &[u8; 16],
    naming: &StreamNaming,
) -> io::Result<u64> {
    let (last_end, last_discarded) = stream.last_written.unwrap_or((0, 0));
    let discarded = rb.discarded();
    if discarded <= last_discarded {
        return Ok(0);
    }
    let now = crate::clock::now().max(last_end);
    let info = PacketInfo {
        seq: stream.next,
        ts_begin: now,
        ts_end: now,
        data_len: 0,
        discarded,
    };
    scratch.clear();
    packet_header(rb, &info, uuid, naming).encode(scratch);
    stream.write(scratch, &info)?;
    stream.next += 1;
    Ok(1)
}

fn packet_header(
    rb: &RingBuffer,
    info: &PacketInfo,
    uuid: &[u8; 16],
    naming: &StreamNaming,
) -> PacketHeader {
    PacketHeader {
        uuid: *uuid,
        stream_id: naming.stream_id,
        stream_instance_id: naming.instance_base + rb.cpu() as u64,
        ts_begin: info.ts_begin,
        ts_end: info.ts_end.max(info.ts_begin),
        data_len: info.data_len,
        seq: info.seq,
        discarded: info.discarded,
        cpu: rb.cpu(),
        app: naming.app.clone(),
    }
}

/// Copies sub-buffer `n` of `rb` into `out` as a CTF packet.
fn take_packet(
    rb: &RingBuffer,
    n: u64,
    out: &mut Vec<u8>,
    uuid: &[u8; 16],
    naming: &StreamNaming,
) -> Option<PacketInfo> {
    let info = rb.packet_info(n)?;
    packet_header(rb, &info, uuid, naming).encode(out);
    rb.copy_subbuf(n, out)
}
