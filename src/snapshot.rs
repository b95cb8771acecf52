//! Flight-recorder reads: copying the newest packets of overwrite-mode
//! channels while their programs keep writing, consuming nothing.
//!
//! A snapshot first closes the open sub-buffer of every buffer (`flush`),
//! so that the newest events sit in complete sub-buffers, and waits a
//! bounded time for writers still inside an event (`Plan::new`). It then
//! chooses the packets: in each buffer, the complete sub-buffers of the
//! last lap; with a size bound, only the newest packets of all the streams
//! together that fit (one time cut across streams). `copy` copies each
//! chosen packet, then checks that no writer entered its slot meanwhile
//! (`RingBuffer::overwritten_since_copy`): a packet overwritten while it
//! was copied is dropped, never written torn. What remains is verified as
//! the consumer verifies its packets and appended to the snapshot's output.
//!
//! The slot of the oldest sub-buffer of the lap is the one writers reopen
//! right after the flush, so a buffer being written gives at most
//! `num_subbuf - 1` sub-buffers.

use crate::channel::Channel;
use crate::consumer::{self, Check, ConsumeError, LastPacket, StreamNaming};
use crate::output::{Appended, Output, Packet};
use crate::ringbuf::RingBuffer;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a snapshot waits for writers still inside an event.
const COMMIT_WAIT: Duration = Duration::from_millis(200);

/// One channel a snapshot reads: its buffers, how its streams are named,
/// and what its packets are verified against.
#[derive(Clone)]
pub struct Source {
    pub channel: Arc<Channel>,
    pub naming: StreamNaming,
    pub check: Option<Check>,
}

/// The packets a snapshot copies: for each source, for each of its
/// streams, sub-buffer numbers in increasing order.
pub struct Plan {
    picks: Vec<Vec<Vec<u64>>>,
}

/// What copying one source gave.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Taken {
    pub packets: u64,
    pub bytes: u64,
    pub events: u64,
    /// Packets dropped because a writer reached them while they were copied.
    pub overwritten: u64,
    /// Events of packets the output could not keep, and why.
    pub lost: u64,
    pub write_error: Option<String>,
}

/// Adds another source's counts.
impl std::ops::AddAssign<&Taken> for Taken {
    fn add_assign(&mut self, o: &Taken) {
        self.packets += o.packets;
        self.bytes += o.bytes;
        self.events += o.events;
        self.overwritten += o.overwritten;
        self.lost += o.lost;
        if self.write_error.is_none() {
            self.write_error = o.write_error.clone();
        }
    }
}

/// A packet that may be copied: where it is, when it ends, its size.
struct Candidate {
    source: usize,
    stream: usize,
    n: u64,
    ts_end: u64,
    size: u64,
}

impl Plan {
    /// Closes the open sub-buffer of every buffer of `sources` and
    /// chooses the packets to copy: every complete one of the last lap or,
    /// with `max_bytes`, the newest ones whose packets (headers included)
    /// fit in it.
    pub fn new(sources: &[Source], max_bytes: Option<u64>) -> Plan {
        for s in sources {
            s.channel.buffers().iter().for_each(RingBuffer::flush);
        }
        let deadline = Instant::now() + COMMIT_WAIT;
        let mut candidates = Vec::new();
        for (si, s) in sources.iter().enumerate() {
            for (bi, rb) in s.channel.buffers().iter().enumerate() {
                let closed = rb.closed_subbufs();
                let first = closed.saturating_sub(rb.geometry().num_subbuf);
                if closed > 0 {
                    wait_complete(rb, closed - 1, deadline);
                }
                for n in first..closed {
                    let Some(info) = rb.packet_info(n) else {
                        continue;
                    };
                    let header = consumer::packet_header(rb, &info, &[0; 16], &s.naming, 0);
                    candidates.push(Candidate {
                        source: si,
                        stream: bi,
                        n,
                        ts_end: info.ts_end.max(info.ts_begin),
                        size: (header.len() + info.data_len) as u64,
                    });
                }
            }
        }
        if let Some(max) = max_bytes {
            candidates.sort_by_key(|c| std::cmp::Reverse(c.ts_end));
            let mut total = 0u64;
            let fit = candidates
                .iter()
                .take_while(|c| {
                    total = total.saturating_add(c.size);
                    total <= max
                })
                .count();
            candidates.truncate(fit);
        }
        let mut picks: Vec<Vec<Vec<u64>>> = sources
            .iter()
            .map(|s| vec![Vec::new(); s.channel.buffers().len()])
            .collect();
        for c in &candidates {
            picks[c.source][c.stream].push(c.n);
        }
        picks.iter_mut().flatten().for_each(|v| v.sort_unstable());
        Plan { picks }
    }

    /// How many packets were chosen.
    pub fn packets(&self) -> usize {
        self.picks.iter().flatten().map(Vec::len).sum()
    }

    /// Copies the chosen packets of source number `index` into `out`
    /// (its streams numbered as the source's buffers), each behind a packet
    /// header carrying `uuid`.
    pub fn copy(
        &self,
        index: usize,
        source: &Source,
        out: &mut dyn Output,
        uuid: &[u8; 16],
    ) -> Result<Taken, ConsumeError> {
        let mut taken = Taken::default();
        let mut scratch = Vec::new();
        let layouts = source.check.as_ref().map(|c| c.layouts.current());
        let limit = source
            .check
            .as_ref()
            .map(|c| crate::clock::now().saturating_add(c.slack));
        let Some(picks) = self.picks.get(index) else {
            return Ok(taken);
        };
        for (stream, (rb, numbers)) in source.channel.buffers().iter().zip(picks).enumerate() {
            let mut prev = LastPacket::default();
            for &n in numbers {
                scratch.clear();
                let Some(info) = rb.packet_info(n) else {
                    taken.overwritten += 1;
                    continue;
                };
                consumer::packet_header(rb, &info, uuid, &source.naming, 0).encode(&mut scratch);
                let head = scratch.len();
                let copied = rb.copy_subbuf(n, &mut scratch);
                if copied != Some(info) || rb.overwritten_since_copy(n) {
                    taken.overwritten += 1;
                    continue;
                }
                let events = match layouts.as_ref().zip(limit) {
                    Some((layouts, limit)) => Some(
                        consumer::verify(prev, &info, &scratch[head..], layouts, limit)
                            .map_err(|lie| ConsumeError::Lie { cpu: rb.cpu(), lie })?,
                    ),
                    None => None,
                };
                let packet = Packet {
                    bytes: &scratch,
                    header_len: head,
                    events,
                };
                match out.append(stream, &packet)? {
                    Appended::Written => {
                        taken.packets += 1;
                        taken.bytes += scratch.len() as u64;
                        taken.events += events.unwrap_or(0);
                    }
                    Appended::Lost(why) => {
                        taken.lost += events.unwrap_or(0);
                        taken.write_error = Some(why);
                    }
                }
                prev = LastPacket {
                    end: info.ts_end.max(info.ts_begin),
                    discarded: info.discarded,
                    reported: info.discarded,
                };
            }
        }
        out.flush()?;
        Ok(taken)
    }
}

/// Waits (until `deadline`) for sub-buffer `n` to be fully committed,
/// unless writers have moved past it.
fn wait_complete(rb: &RingBuffer, n: u64, deadline: Instant) {
    while !rb.is_complete(n) && !rb.overwritten_since_copy(n) && Instant::now() < deadline {
        std::thread::yield_now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ringbuf::Geometry;
    use std::io;

    /// An output keeping each stream's packets in memory.
    #[derive(Default)]
    struct Memory(Vec<Vec<Vec<u8>>>);

    impl Output for Memory {
        fn append(&mut self, stream: usize, packet: &Packet) -> io::Result<Appended> {
            if self.0.len() <= stream {
                self.0.resize(stream + 1, Vec::new());
            }
            self.0[stream].push(packet.bytes.to_vec());
            Ok(Appended::Written)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn source(num_subbuf: u64) -> Source {
        let geo = Geometry {
            subbuf_size: 4096,
            num_subbuf,
            overwrite: true,
        };
        Source {
            channel: Arc::new(Channel::create(1, geo).unwrap()),
            naming: StreamNaming::daemonless(),
            check: None,
        }
    }

    /// Records `count` 8-byte events holding 0, 1, 2, … into CPU 0's buffer.
    fn record(s: &Source, count: u64) {
        let rb = &s.channel.buffers()[0];
        for v in 0..count {
            let r = rb.reserve(1, 8).unwrap();
            // SAFETY: `reserve` returned room for 8 payload bytes.
            unsafe { r.payload.cast::<u64>().write_unaligned(v) };
            // SAFETY: `commit` points at a slot counter of `rb`.
            unsafe { (*r.commit).fetch_add(r.len, std::sync::atomic::Ordering::Release) };
        }
    }

    /// The 8-byte payloads of the packets (compact or extended headers).
    fn values(packets: &[Vec<u8>]) -> Vec<u64> {
        let mut out = Vec::new();
        for p in packets {
            let mut at = crate::ctf::header::PACKET_HEADER_LEN;
            while at < p.len() {
                at += if p[at] & 31 == 31 { 13 } else { 4 };
                out.push(u64::from_le_bytes(p[at..at + 8].try_into().unwrap()));
                at += 8;
            }
        }
        out
    }

    #[test]
    fn a_snapshot_holds_the_newest_events_in_order_and_consumes_nothing() {
        let s = source(4);
        record(&s, 5000);
        for _ in 0..2 {
            let plan = Plan::new(std::slice::from_ref(&s), None);
            let mut out = Memory::default();
            let taken = plan.copy(0, &s, &mut out, &[7; 16]).unwrap();
            assert_eq!(taken.packets, 4, "a quiet buffer gives its whole lap");
            let v = values(&out.0[0]);
            assert_eq!(*v.last().unwrap(), 4999, "the newest event is there");
            assert!(v.windows(2).all(|w| w[1] == w[0] + 1), "contiguous");
            assert_eq!(&out.0[0][0][4..20], &[7; 16], "the snapshot's uuid");
        }
    }

    #[test]
    fn a_size_bound_keeps_the_newest_packets_that_fit() {
        let s = source(8);
        record(&s, 10_000);
        let all = Plan::new(std::slice::from_ref(&s), None);
        let bounded = Plan::new(std::slice::from_ref(&s), Some(3 * 4200));
        assert_eq!((all.packets(), bounded.packets()), (8, 3));
        let mut out = Memory::default();
        bounded.copy(0, &s, &mut out, &[0; 16]).unwrap();
        let total: usize = out.0[0].iter().map(Vec::len).sum();
        assert!(total <= 3 * 4200);
        assert_eq!(*values(&out.0[0]).last().unwrap(), 9_999);
    }

    #[test]
    fn packets_overwritten_during_the_copy_are_dropped() {
        let s = source(4);
        record(&s, 5000);
        let plan = Plan::new(std::slice::from_ref(&s), None);
        record(&s, 600);
        let mut out = Memory::default();
        let taken = plan.copy(0, &s, &mut out, &[0; 16]).unwrap();
        assert!(taken.overwritten >= 1 && taken.packets >= 1, "{taken:?}");
        let v = values(&out.0[0]);
        assert!(v.windows(2).all(|w| w[1] == w[0] + 1), "nothing torn");
        assert_eq!(*v.last().unwrap(), 4999, "nothing written after the plan");
    }
}
