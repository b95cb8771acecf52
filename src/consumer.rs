//! The consumer: copies complete sub-buffers out of a channel's ring
//! buffers and appends them, each behind its CTF packet header, to one
//! stream file per CPU (`channel0_<cpu>`).
//!
//! It never trusts the shared control data further than `ringbuf`'s
//! checks: an inconsistent sub-buffer is skipped, not decoded.

use crate::channel::Channel;
use crate::ctf::header::{PacketHeader, PACKET_HEADER_LEN};
use crate::ringbuf::{PacketInfo, RingBuffer};
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
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
        self.last_written = Some((info.ts_end.max(info.ts_begin), info.discarded));
        Ok(())
    }
}

/// Drains one channel into its stream files.
pub struct Consumer {
    channel: &'static Channel,
    streams: Vec<Stream>,
    uuid: [u8; 16],
    scratch: Vec<u8>,
    /// Packets written so far.
    pub packets: u64,
}

impl Consumer {
    /// Creates (truncating) `channel0_<cpu>` in `dir` for every buffer.
    pub fn create(channel: &'static Channel, dir: &Path, uuid: [u8; 16]) -> io::Result<Consumer> {
        let streams = channel
            .buffers()
            .iter()
            .map(|rb| {
                Ok(Stream {
                    file: File::create(dir.join(format!("channel0_{}", rb.cpu())))?,
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
            scratch: Vec::new(),
            packets: 0,
        })
    }

    /// Writes every complete sub-buffer; returns how many were written.
    pub fn drain(&mut self) -> io::Result<u64> {
        let mut written = 0;
        for (rb, stream) in self.channel.buffers().iter().zip(self.streams.iter_mut()) {
            while let Some(info) = rb.packet_info(stream.next) {
                self.scratch.clear();
                packet_header(rb, &info, &self.uuid).encode(&mut self.scratch);
                rb.write_subbuf(stream.next, &info, &self.scratch, &stream.file)?;
                stream.last_written = Some((info.ts_end.max(info.ts_begin), info.discarded));
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
            for n in first..closed {
                while !rb.is_complete(n) && Instant::now() < deadline {
                    std::thread::yield_now();
                }
                self.scratch.clear();
                if let Some(info) = take_packet(rb, n, &mut self.scratch, &self.uuid) {
                    if !(geo.overwrite && rb.overwritten_since_copy(n)) {
                        stream.write(&self.scratch, &info)?;
                        self.packets += 1;
                    }
                }
                stream.next = n + 1;
            }
            self.packets += report_late_discards(rb, stream, &mut self.scratch, &self.uuid)?;
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
    packet_header(rb, &info, uuid).encode(scratch);
    stream.write(scratch, &info)?;
    stream.next += 1;
    Ok(1)
}

fn packet_header(rb: &RingBuffer, info: &PacketInfo, uuid: &[u8; 16]) -> PacketHeader {
    PacketHeader {
        uuid: *uuid,
        stream_instance_id: rb.cpu() as u64,
        ts_begin: info.ts_begin,
        ts_end: info.ts_end.max(info.ts_begin),
        data_len: info.data_len,
        seq: info.seq,
        discarded: info.discarded,
        cpu: rb.cpu(),
    }
}

/// Copies sub-buffer `n` of `rb` into `out` as a CTF packet.
fn take_packet(rb: &RingBuffer, n: u64, out: &mut Vec<u8>, uuid: &[u8; 16]) -> Option<PacketInfo> {
    out.resize(PACKET_HEADER_LEN, 0);
    let info = rb.copy_subbuf(n, out)?;
    let mut header = Vec::with_capacity(PACKET_HEADER_LEN);
    packet_header(rb, &info, uuid).encode(&mut header);
    out[..PACKET_HEADER_LEN].copy_from_slice(&header);
    Some(info)
}
