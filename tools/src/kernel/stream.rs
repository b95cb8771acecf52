//! One CPU's CTF stream file (`channel0_<cpu>`), written packet by packet with LTTng's kernel
//! packet context (`timestamp_begin, timestamp_end, content_size, packet_size,
//! packet_seq_num, events_discarded, cpu_id`) and its large event header (16-bit id, 32-bit
//! timestamp; the extended form when the id is 65535 or more, or 2^32 ns or more passed since
//! the last timestamp a reader decoded).
//!
//! Lost events raise the cumulative `events_discarded` only between two packets: the packet
//! in progress is closed first (an empty one is written if the stream has none yet), so
//! babeltrace2 reports every loss with its count ("Tracer discarded N events between …").
//! Timestamps never decrease within the stream.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

const MAGIC: u32 = 0xC1FC_1FC1;
/// Packet header (32 bytes) and context (52 bytes), byte-packed.
const PROLOGUE: usize = 84;
/// Packets are cut at this size.
const MAX_PACKET: usize = 256 * 1024;
/// Largest event header (extended).
const MAX_HEADER: usize = 14;
const EXTENDED: u16 = 65535;

/// What a stream wrote.
#[derive(Clone, Copy, Debug, Default)]
pub struct StreamStats {
    pub events: u64,
    pub discarded: u64,
    pub bytes: u64,
}

pub struct Stream {
    file: File,
    uuid: [u8; 16],
    cpu: u32,
    /// The packet being filled, prologue included (filled in when it is closed).
    packet: Vec<u8>,
    /// The first timestamp of the packet being filled; None when no packet is open.
    begin: Option<u64>,
    /// The last timestamp written (the stream's clock as a reader sees it).
    last: u64,
    seq: u64,
    packets: u64,
    discarded: u64,
    /// `events_discarded` of the last packet written.
    discarded_written: u64,
    stats: StreamStats,
}

impl Stream {
    /// Creates `dir/channel0_<cpu>` (mode 0640, not over an existing file).
    pub fn create(dir: &Path, cpu: u32, uuid: [u8; 16]) -> io::Result<Stream> {
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o640)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(dir.join(format!("channel0_{cpu}")))?;
        Ok(Stream {
            file,
            uuid,
            cpu,
            packet: Vec::with_capacity(MAX_PACKET),
            begin: None,
            last: 0,
            seq: 0,
            packets: 0,
            discarded: 0,
            discarded_written: 0,
            stats: StreamStats::default(),
        })
    }

    /// The CPU whose events this stream holds.
    pub fn cpu(&self) -> u32 {
        self.cpu
    }

    /// Appends an event of class `id` at `ts` (raised to the stream's last timestamp).
    pub fn event(&mut self, ts: u64, id: u16, payload: &[u8]) -> io::Result<()> {
        let ts = ts.max(self.last);
        if self.begin.is_some() && self.packet.len() + MAX_HEADER + payload.len() > MAX_PACKET {
            self.close(self.last)?;
        }
        if self.begin.is_none() {
            self.open(ts);
        }
        if id < EXTENDED && (ts - self.last) >> 32 == 0 {
            self.packet.extend_from_slice(&id.to_le_bytes());
            self.packet.extend_from_slice(&(ts as u32).to_le_bytes());
        } else {
            self.packet.extend_from_slice(&EXTENDED.to_le_bytes());
            self.packet.extend_from_slice(&u32::from(id).to_le_bytes());
            self.packet.extend_from_slice(&ts.to_le_bytes());
        }
        self.packet.extend_from_slice(payload);
        self.last = ts;
        self.stats.events += 1;
        Ok(())
    }

    /// Counts `n` events the kernel dropped, reported at `ts`.
    pub fn lost(&mut self, n: u64, ts: u64) -> io::Result<()> {
        if self.begin.is_some() || self.packets == 0 {
            self.close(ts.max(self.last))?;
        }
        self.discarded += n;
        Ok(())
    }

    /// Writes what is pending (a last, possibly empty, packet if the stream has none yet or
    /// losses are not on disk) and returns what the stream holds.
    pub fn finish(mut self, end: u64) -> io::Result<StreamStats> {
        if self.begin.is_some() || self.packets == 0 || self.discarded > self.discarded_written {
            self.close(end.max(self.last))?;
        }
        self.stats.discarded = self.discarded;
        Ok(self.stats)
    }

    fn open(&mut self, ts: u64) {
        self.packet.clear();
        self.packet.resize(PROLOGUE, 0);
        self.begin = Some(ts);
        self.last = ts.max(self.last);
    }

    /// Writes the packet being filled (an empty one if none), ending at `end`.
    fn close(&mut self, end: u64) -> io::Result<()> {
        if self.begin.is_none() {
            self.open(end);
        }
        let begin = self.begin.take().unwrap_or(end);
        let bits = (self.packet.len() as u64) * 8;
        let mut prologue = Vec::with_capacity(PROLOGUE);
        prologue.extend_from_slice(&MAGIC.to_le_bytes());
        prologue.extend_from_slice(&self.uuid);
        prologue.extend_from_slice(&0u32.to_le_bytes());
        prologue.extend_from_slice(&u64::from(self.cpu).to_le_bytes());
        for v in [
            begin,
            end.max(self.last),
            bits,
            bits,
            self.seq,
            self.discarded,
        ] {
            prologue.extend_from_slice(&v.to_le_bytes());
        }
        prologue.extend_from_slice(&self.cpu.to_le_bytes());
        self.packet[..PROLOGUE].copy_from_slice(&prologue);
        self.file.write_all(&self.packet)?;
        self.stats.bytes += self.packet.len() as u64;
        self.seq += 1;
        self.packets += 1;
        self.discarded_written = self.discarded;
        self.packet.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("ust-kstream-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn u64_at(b: &[u8], at: usize) -> u64 {
        u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
    }

    #[test]
    fn packets_carry_lttng_kernel_context_and_headers() {
        let dir = scratch("ctx");
        let mut s = Stream::create(&dir, 3, [7; 16]).unwrap();
        s.event(1_000, 5, &[0xaa]).unwrap();
        s.event(900, 65_535, &[]).unwrap();
        s.event(1_000 + (1 << 32), 6, &[]).unwrap();
        let stats = s.finish(2_000).unwrap();
        assert_eq!((stats.events, stats.discarded), (3, 0));
        let b = std::fs::read(dir.join("channel0_3")).unwrap();
        assert_eq!(&b[0..4], &MAGIC.to_le_bytes());
        assert_eq!(&b[4..20], &[7; 16]);
        assert_eq!(u64_at(&b, 24), 3, "stream_instance_id");
        assert_eq!(u64_at(&b, 32), 1_000, "timestamp_begin");
        assert_eq!(
            u64_at(&b, 40),
            1_000 + (1 << 32),
            "timestamp_end: the last event"
        );
        assert_eq!(u64_at(&b, 48), b.len() as u64 * 8, "content_size");
        assert_eq!(u64_at(&b, 56), b.len() as u64 * 8, "packet_size");
        assert_eq!(&b[80..84], &3u32.to_le_bytes(), "cpu_id");
        // compact id 5, ts 1000, payload; id 65535 extended, raised to 1000; extended gap.
        assert_eq!(&b[84..91], &[5, 0, 0xe8, 3, 0, 0, 0xaa]);
        assert_eq!(&b[91..93], &[0xff, 0xff]);
        assert_eq!(&b[93..97], &65_535u32.to_le_bytes());
        assert_eq!(u64_at(&b, 97), 1_000);
        assert_eq!(&b[105..111], &[0xff, 0xff, 6, 0, 0, 0]);
        assert_eq!(u64_at(&b, 111), 1_000 + (1 << 32));
        assert_eq!(b.len(), 119);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn losses_rise_between_packets_only() {
        let dir = scratch("lost");
        let mut s = Stream::create(&dir, 0, [0; 16]).unwrap();
        s.lost(4, 10).unwrap();
        s.event(20, 1, &[]).unwrap();
        s.lost(2, 30).unwrap();
        s.lost(1, 31).unwrap();
        let stats = s.finish(40).unwrap();
        assert_eq!(stats.discarded, 7);
        let b = std::fs::read(dir.join("channel0_0")).unwrap();
        // Empty packet (0 lost), packet with the event (4), final empty packet (7).
        let mut at = 0;
        let mut seen = Vec::new();
        while at < b.len() {
            let size = (u64_at(&b, at + 56) / 8) as usize;
            seen.push((u64_at(&b, at + 64), u64_at(&b, at + 72), size > PROLOGUE));
            at += size;
        }
        assert_eq!(seen, [(0, 0, false), (1, 4, true), (2, 7, false)]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
