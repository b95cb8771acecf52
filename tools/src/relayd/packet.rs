//! What the client reads from and wraps around the bytes it streams: the index of a data
//! packet written with the UST / LTTng-UST packet prologue, and metadata text wrapped in
//! CTF metadata packets (the form lttng-relayd's live viewers need).

use super::proto::PacketIndex;
use ust::ctf::header::{at, PACKET_HEADER_LEN, PACKET_MAGIC};

/// CTF metadata packet magic, as the first 4 bytes of a little-endian metadata packet.
pub const METADATA_MAGIC: [u8; 4] = 0x75D1_1D57u32.to_le_bytes();
/// Bytes of a metadata packet header.
pub const METADATA_HEADER_LEN: usize = 37;
/// Most text one metadata packet carries.
const METADATA_CHUNK: usize = 64 * 1024;

/// Reads the index of a packet in the UST / LTTng-UST layout (little-endian: magic, uuid,
/// stream_id, stream_instance_id, timestamp_begin, timestamp_end, content_size, packet_size,
/// packet_seq_num, events_discarded, …). None when `bytes` is not such a packet or its sizes
/// disagree with its length.
pub fn ust_index(bytes: &[u8]) -> Option<PacketIndex> {
    if bytes.len() < PACKET_HEADER_LEN || bytes[0..4] != PACKET_MAGIC.to_le_bytes() {
        return None;
    }
    let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap_or_default());
    let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().unwrap_or_default());
    let index = PacketIndex {
        stream_id: u32_at(at::STREAM_ID) as u64,
        stream_instance_id: u64_at(at::STREAM_INSTANCE_ID),
        timestamp_begin: u64_at(at::TS_BEGIN),
        timestamp_end: u64_at(at::TS_END),
        content_size: u64_at(at::CONTENT_SIZE),
        packet_size: u64_at(at::PACKET_SIZE),
        packet_seq_num: u64_at(at::SEQ),
        events_discarded: u64_at(at::DISCARDED),
    };
    let fits = index.packet_size == bytes.len() as u64 * 8
        && index.content_size <= index.packet_size
        && index.content_size >= PACKET_HEADER_LEN as u64 * 8;
    fits.then_some(index)
}

/// The trace UUID a TSDL text declares (`uuid = "…";` in its `trace` block), if any.
pub fn tsdl_uuid(text: &[u8]) -> Option<[u8; 16]> {
    let text = std::str::from_utf8(text).ok()?;
    let trace = text.find("trace {").or_else(|| text.find("trace{"))?;
    let after = &text[trace..];
    let at = after.find("uuid")?;
    let quoted = after[at..].split('"').nth(1)?;
    let hex: String = quoted.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 {
        return None;
    }
    let mut uuid = [0u8; 16];
    for (i, b) in uuid.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(uuid)
}

/// True when `bytes` already are CTF metadata packets (as in an LTTng trace's `metadata`).
pub fn is_packetized(bytes: &[u8]) -> bool {
    bytes.starts_with(&METADATA_MAGIC)
}

/// Wraps TSDL text in metadata packets of at most 64 KiB of text each, stamped with `uuid`.
pub fn packetize(text: &[u8], uuid: &[u8; 16]) -> Vec<Vec<u8>> {
    text.chunks(METADATA_CHUNK)
        .map(|chunk| {
            let bits = ((METADATA_HEADER_LEN + chunk.len()) * 8) as u32;
            let mut p = Vec::with_capacity(METADATA_HEADER_LEN + chunk.len());
            p.extend_from_slice(&METADATA_MAGIC);
            p.extend_from_slice(uuid);
            p.extend_from_slice(&0u32.to_le_bytes()); // checksum: none
            p.extend_from_slice(&bits.to_le_bytes()); // content size
            p.extend_from_slice(&bits.to_le_bytes()); // packet size
            p.extend_from_slice(&[0, 0, 0, 1, 8]); // no compression/encryption/checksum; CTF 1.8
            p.extend_from_slice(chunk);
            p
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_index_of_a_ust_packet() {
        let mut p = vec![0u8; 128];
        p[0..4].copy_from_slice(&PACKET_MAGIC.to_le_bytes());
        p[24..32].copy_from_slice(&3u64.to_le_bytes());
        p[32..40].copy_from_slice(&100u64.to_le_bytes());
        p[40..48].copy_from_slice(&200u64.to_le_bytes());
        p[48..56].copy_from_slice(&(100u64 * 8).to_le_bytes());
        p[56..64].copy_from_slice(&(128u64 * 8).to_le_bytes());
        p[64..72].copy_from_slice(&9u64.to_le_bytes());
        p[72..80].copy_from_slice(&4u64.to_le_bytes());
        let i = ust_index(&p).unwrap();
        assert_eq!(
            (i.stream_instance_id, i.timestamp_begin, i.timestamp_end),
            (3, 100, 200)
        );
        assert_eq!((i.content_size, i.packet_size), (800, 1024));
        assert_eq!((i.packet_seq_num, i.events_discarded), (9, 4));
        assert!(ust_index(&p[..127]).is_none());
        p[0] = 0;
        assert!(ust_index(&p).is_none());
    }

    #[test]
    fn metadata_packets_carry_the_text_and_its_uuid() {
        let text =
            b"/* CTF 1.8 */\ntrace {\n\tuuid = \"2fffa145-417d-4ed2-ad77-f639ae015abe\";\n};\n";
        let uuid = tsdl_uuid(text).unwrap();
        assert_eq!(uuid[0..2], [0x2f, 0xff]);
        let packets = packetize(text, &uuid);
        assert_eq!(packets.len(), 1);
        assert!(is_packetized(&packets[0]));
        assert_eq!(&packets[0][METADATA_HEADER_LEN..], text);
        assert_eq!(&packets[0][4..20], &uuid);
        assert_eq!(packetize(&vec![b' '; 150_000], &uuid).len(), 3);
    }
}
