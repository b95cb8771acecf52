//! Binary event headers (written in place by the hot path) and packet
//! headers (written by the consumer in front of each sub-buffer).
//!
//! Event header `event_header_compact`, little-endian, byte-aligned:
//! compact = one u32 `id | (ts & 0x7ffffff) << 5`; extended = byte 0x1f,
//! u32 id, u64 full timestamp (13 bytes). Packet header + context: the
//! 84-byte LTTng-UST prologue (magic, uuid, stream_id, stream_instance_id,
//! timestamp_begin, timestamp_end, content_size, packet_size,
//! packet_seq_num, events_discarded, cpu_id).

/// Which event header a reservation uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventHeader {
    /// 5-bit id, 27 low bits of the timestamp.
    Compact,
    /// Full 32-bit id and 64-bit timestamp.
    Extended,
}

impl EventHeader {
    /// Header length in bytes.
    pub const fn size(self) -> usize {
        match self {
            EventHeader::Compact => 4,
            EventHeader::Extended => 13,
        }
    }
}

/// The id value announcing an extended header.
const EXTENDED_ID: u8 = 31;

/// Writes an event header at `at` and returns where the payload starts.
///
/// # Safety
/// `at` must be valid for writing `hdr.size()` bytes.
#[inline(always)]
pub unsafe fn write_event_header(at: *mut u8, hdr: EventHeader, id: u32, ts: u64) -> *mut u8 {
    match hdr {
        EventHeader::Compact => {
            let word = id | ((ts as u32 & 0x7ff_ffff) << 5);
            // SAFETY: the caller guarantees 4 writable bytes at `at`.
            unsafe { at.cast::<[u8; 4]>().write(word.to_le_bytes()) };
        }
        EventHeader::Extended => {
            // SAFETY: the caller guarantees 13 writable bytes at `at`.
            unsafe {
                at.write(EXTENDED_ID);
                at.add(1).cast::<[u8; 4]>().write(id.to_le_bytes());
                at.add(5).cast::<[u8; 8]>().write(ts.to_le_bytes());
            }
        }
    }
    // SAFETY: still within the caller's reservation.
    unsafe { at.add(hdr.size()) }
}

/// CTF packet magic number.
pub const PACKET_MAGIC: u32 = 0xC1FC_1FC1;
/// Bytes of packet header + packet context.
pub const PACKET_HEADER_LEN: usize = 84;

/// Where `PacketHeader::encode` puts each field (little-endian), for those
/// who read or patch packets already written (the relay sender, the relayd
/// client's index): LTTng-UST's prologue, which UST shares.
pub mod at {
    pub const STREAM_ID: usize = 20;
    pub const STREAM_INSTANCE_ID: usize = 24;
    pub const TS_BEGIN: usize = 32;
    pub const TS_END: usize = 40;
    pub const CONTENT_SIZE: usize = 48;
    pub const PACKET_SIZE: usize = 56;
    pub const SEQ: usize = 64;
    pub const DISCARDED: usize = 72;
    pub const CPU: usize = 80;
}

/// The program a packet comes from, when several share a trace: appended
/// to the packet context as `vpid` (u32) and `procname` (16 bytes of text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppContext {
    pub vpid: u32,
    pub procname: String,
}

/// Bytes `AppContext` adds to the packet context.
pub const APP_CONTEXT_LEN: usize = 20;

/// The packet header and context of one packet.
#[derive(Clone, Debug)]
pub struct PacketHeader {
    pub uuid: [u8; 16],
    /// The stream class (channel) id.
    pub stream_id: u32,
    pub stream_instance_id: u64,
    pub ts_begin: u64,
    pub ts_end: u64,
    /// Bytes of events following the header.
    pub data_len: usize,
    pub seq: u64,
    pub discarded: u64,
    pub cpu: u32,
    pub app: Option<AppContext>,
}

impl PacketHeader {
    /// Header and context length in bytes.
    pub fn len(&self) -> usize {
        PACKET_HEADER_LEN
            + if self.app.is_some() {
                APP_CONTEXT_LEN
            } else {
                0
            }
    }

    /// Whether the header is empty (never: it has at least the magic).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Appends the header and context bytes (84, or 104 with `app`) to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let bits = ((self.len() + self.data_len) * 8) as u64;
        out.extend_from_slice(&PACKET_MAGIC.to_le_bytes());
        out.extend_from_slice(&self.uuid);
        out.extend_from_slice(&self.stream_id.to_le_bytes());
        out.extend_from_slice(&self.stream_instance_id.to_le_bytes());
        out.extend_from_slice(&self.ts_begin.to_le_bytes());
        out.extend_from_slice(&self.ts_end.to_le_bytes());
        out.extend_from_slice(&bits.to_le_bytes());
        out.extend_from_slice(&bits.to_le_bytes());
        out.extend_from_slice(&self.seq.to_le_bytes());
        out.extend_from_slice(&self.discarded.to_le_bytes());
        out.extend_from_slice(&self.cpu.to_le_bytes());
        if let Some(app) = &self.app {
            out.extend_from_slice(&app.vpid.to_le_bytes());
            let mut name = [0u8; 16];
            let bytes = app.procname.as_bytes();
            let n = bytes.len().min(15);
            name[..n].copy_from_slice(&bytes[..n]);
            out.extend_from_slice(&name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_header_packs_id_and_low_timestamp_bits() {
        let mut buf = [0u8; 4];
        // SAFETY: `buf` has 4 bytes.
        let end =
            unsafe { write_event_header(buf.as_mut_ptr(), EventHeader::Compact, 3, 0x1234_5678) };
        assert_eq!(end as usize - buf.as_ptr() as usize, 4);
        assert_eq!(
            u32::from_le_bytes(buf),
            3 | ((0x1234_5678 & 0x7ff_ffff) << 5)
        );
    }

    #[test]
    fn extended_header_carries_full_values() {
        let mut buf = [0u8; 13];
        // SAFETY: `buf` has 13 bytes.
        unsafe { write_event_header(buf.as_mut_ptr(), EventHeader::Extended, 40, u64::MAX - 1) };
        assert_eq!(buf[0], 31);
        assert_eq!(u32::from_le_bytes(buf[1..5].try_into().unwrap()), 40);
        assert_eq!(
            u64::from_le_bytes(buf[5..13].try_into().unwrap()),
            u64::MAX - 1
        );
    }

    #[test]
    fn packet_header_is_84_bytes_with_sizes_in_bits() {
        let mut out = Vec::new();
        let h = PacketHeader {
            uuid: [7; 16],
            stream_id: 0,
            stream_instance_id: 1,
            ts_begin: 10,
            ts_end: 20,
            data_len: 16,
            seq: 5,
            discarded: 2,
            cpu: 1,
            app: None,
        };
        h.encode(&mut out);
        assert_eq!(out.len(), PACKET_HEADER_LEN);
        let u64_at = |o: usize| u64::from_le_bytes(out[o..o + 8].try_into().unwrap());
        let u32_at = |o: usize| u32::from_le_bytes(out[o..o + 4].try_into().unwrap());
        assert_eq!(u32_at(0), PACKET_MAGIC);
        assert_eq!(u32_at(at::STREAM_ID), 0);
        assert_eq!(u64_at(at::STREAM_INSTANCE_ID), 1);
        assert_eq!(u64_at(at::TS_BEGIN), 10);
        assert_eq!(u64_at(at::TS_END), 20);
        assert_eq!(u64_at(at::CONTENT_SIZE), 100 * 8);
        assert_eq!(u64_at(at::PACKET_SIZE), 100 * 8);
        assert_eq!(u64_at(at::SEQ), 5);
        assert_eq!(u64_at(at::DISCARDED), 2);
        assert_eq!(u32_at(at::CPU), 1);
        let with_app = PacketHeader {
            app: Some(AppContext {
                vpid: 42,
                procname: "app".into(),
            }),
            ..h
        };
        out.clear();
        with_app.encode(&mut out);
        assert_eq!(out.len(), PACKET_HEADER_LEN + APP_CONTEXT_LEN);
        assert_eq!(u64::from_le_bytes(out[48..56].try_into().unwrap()), 120 * 8);
        assert_eq!(&out[88..92], b"app\0");
    }
}
