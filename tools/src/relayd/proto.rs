//! The wire format of lttng-relayd's streaming protocol, as lttng-tools 2.11 to 2.13 speak it:
//! command codes, the control header, the data header, and the encoding and decoding of each
//! message the client sends and the relay answers. Shared by the client (`relayd::Session`) and
//! UST's own relay (`relay`), so both sides agree byte for byte.
//!
//! Every integer is big-endian; strings travel with their length and a NUL terminator.
//! Nothing here performs I/O: messages are built into and parsed from byte slices, and every
//! parse checks the length it is given, so a hostile peer cannot make it read past the end.

/// Protocol version this side speaks (lttng-tools 2.13); the peers agree on the lower minor.
pub const MAJOR: u32 = 2;
pub const MINOR: u32 = 13;
/// Oldest minor whose message forms (`*_2_11`) this module speaks.
pub const MIN_MINOR: u32 = 11;

/// `LTTNG_OK`, the success code in replies.
pub const OK: u32 = 10;
/// `LTTNG_ERR_UNK`, the generic failure code in replies.
pub const ERR_UNKNOWN: u32 = 11;

/// Control command codes (`enum lttcomm_relayd_command`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Command {
    AddStream = 1,
    CreateSession = 2,
    Version = 5,
    SendMetadata = 6,
    CloseStream = 7,
    DataPending = 8,
    QuiescentControl = 9,
    BeginDataPending = 10,
    EndDataPending = 11,
    SendIndex = 13,
    StreamsSent = 16,
    RotateStreams = 18,
    CreateTraceChunk = 19,
    CloseTraceChunk = 20,
    GetConfiguration = 22,
}

impl Command {
    pub fn from_code(code: u32) -> Option<Command> {
        use Command::*;
        Some(match code {
            1 => AddStream,
            2 => CreateSession,
            5 => Version,
            6 => SendMetadata,
            7 => CloseStream,
            8 => DataPending,
            9 => QuiescentControl,
            10 => BeginDataPending,
            11 => EndDataPending,
            13 => SendIndex,
            16 => StreamsSent,
            18 => RotateStreams,
            19 => CreateTraceChunk,
            20 => CloseTraceChunk,
            22 => GetConfiguration,
            _ => return None,
        })
    }
}

/// Bytes of the control header: circuit id, payload size, command, command version.
pub const HEADER_LEN: usize = 24;
/// Bytes of the data header: circuit id, stream id, sequence number, size, padding.
pub const DATA_HEADER_LEN: usize = 32;
/// Bytes of a `SEND_INDEX` payload (protocol 2.8 and later).
pub const INDEX_LEN: usize = 80;
/// Fixed part of `CREATE_SESSION` (2.11 form), before the three names.
const CREATE_SESSION_FIXED: usize = 59;
/// Fixed part of `ADD_STREAM` (2.11 form), before the two names.
const ADD_STREAM_FIXED: usize = 32;

/// A malformed message from the peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub String);

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn malformed<T>(what: impl Into<String>) -> Result<T, Malformed> {
    Err(Malformed(what.into()))
}

/// Reads big-endian fields from a slice, failing (not panicking) past its end.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8], what: &'static str) -> Reader<'a> {
        Reader {
            bytes,
            pos: 0,
            what,
        }
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return malformed(format!(
                "{}: {} bytes are too short",
                self.what,
                self.bytes.len()
            ));
        };
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    pub fn u8(&mut self) -> Result<u8, Malformed> {
        Ok(self.take(1)?[0])
    }

    pub fn u32(&mut self) -> Result<u32, Malformed> {
        Ok(u32::from_be_bytes(
            self.take(4)?.try_into().unwrap_or_default(),
        ))
    }

    pub fn u64(&mut self) -> Result<u64, Malformed> {
        Ok(u64::from_be_bytes(
            self.take(8)?.try_into().unwrap_or_default(),
        ))
    }

    /// A NUL-terminated string of `len` bytes (terminator included), at most `max` long.
    pub fn string(&mut self, len: u32, max: usize, name: &str) -> Result<String, Malformed> {
        let len = len as usize;
        if len == 0 || len > max {
            return malformed(format!(
                "{}: {name} length {len} not in 1..={max}",
                self.what
            ));
        }
        let raw = self.take(len)?;
        let Some((&0, text)) = raw.split_last() else {
            return malformed(format!("{}: {name} is not NUL-terminated", self.what));
        };
        if text.contains(&0) {
            return malformed(format!("{}: {name} has a NUL inside", self.what));
        }
        match std::str::from_utf8(text) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => malformed(format!("{}: {name} is not UTF-8", self.what)),
        }
    }

    /// Bytes not read yet.
    pub fn rest(&self) -> &'a [u8] {
        &self.bytes[self.pos..]
    }
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// The control header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub data_size: u64,
    pub cmd: u32,
}

impl Header {
    pub fn encode(cmd: Command, data_size: usize) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[8..16].copy_from_slice(&(data_size as u64).to_be_bytes());
        h[16..20].copy_from_slice(&(cmd as u32).to_be_bytes());
        h
    }

    pub fn decode(bytes: &[u8; HEADER_LEN]) -> Header {
        let mut r = Reader::new(bytes, "header");
        let _circuit = r.u64();
        Header {
            data_size: r.u64().unwrap_or_default(),
            cmd: r.u32().unwrap_or_default(),
        }
    }
}

/// `VERSION` payload and reply.
pub fn version(major: u32, minor: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(8);
    put_u32(&mut out, major);
    put_u32(&mut out, minor);
    out
}

pub fn parse_version(bytes: &[u8]) -> Result<(u32, u32), Malformed> {
    let mut r = Reader::new(bytes, "version");
    Ok((r.u32()?, r.u32()?))
}

/// `CREATE_SESSION` in its 2.11 form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateSession {
    pub session_name: String,
    pub hostname: String,
    pub live_timer_us: u32,
    /// Identifies the sending daemon instance (never all zeros: reserved for old peers).
    pub sessiond_uuid: [u8; 16],
    pub session_id: u64,
    /// Seconds since the epoch; the relay names the session directory after it.
    pub creation_time: u64,
}

impl CreateSession {
    pub fn encode(&self) -> Vec<u8> {
        let (name, host) = (self.session_name.as_bytes(), self.hostname.as_bytes());
        let mut out = Vec::with_capacity(CREATE_SESSION_FIXED + name.len() + host.len() + 3);
        put_u32(&mut out, name.len() as u32 + 1);
        put_u32(&mut out, host.len() as u32 + 1);
        put_u32(&mut out, 1);
        put_u32(&mut out, self.live_timer_us);
        out.push(0); // not a snapshot
        out.push(0); // the relay appends the creation time to the name
        out.extend_from_slice(&self.sessiond_uuid);
        put_u64(&mut out, self.session_id);
        put_u64(&mut out, self.creation_time);
        out.push(0); // no current trace chunk: one is created next
        put_u64(&mut out, 0);
        for s in [name, host, b""] {
            out.extend_from_slice(s);
            out.push(0);
        }
        out
    }

    /// Parses the message; `base_path` must be empty (this relay does not let a peer pick
    /// where it writes).
    pub fn decode(bytes: &[u8]) -> Result<CreateSession, Malformed> {
        let mut r = Reader::new(bytes, "create session");
        let name_len = r.u32()?;
        let host_len = r.u32()?;
        let base_len = r.u32()?;
        let live_timer_us = r.u32()?;
        let snapshot = r.u8()?;
        let _name_has_time = r.u8()?;
        let mut sessiond_uuid = [0u8; 16];
        sessiond_uuid.copy_from_slice(r.take(16)?);
        let session_id = r.u64()?;
        let creation_time = r.u64()?;
        let _chunk_set = r.u8()?;
        let _chunk = r.u64()?;
        let session_name = r.string(name_len, NAME_MAX, "session name")?;
        let hostname = r.string(host_len, HOST_NAME_MAX, "hostname")?;
        if base_len > 1 || r.string(base_len.max(1), 1, "base path").is_err() {
            return malformed("create session: a base path is not accepted");
        }
        if snapshot != 0 {
            return malformed("create session: snapshot sessions are not accepted");
        }
        Ok(CreateSession {
            session_name,
            hostname,
            live_timer_us,
            sessiond_uuid,
            session_id,
            creation_time,
        })
    }
}

/// Longest session name (with its NUL) a peer may send.
pub const NAME_MAX: usize = 256;
/// Longest hostname (with its NUL) a peer may send.
pub const HOST_NAME_MAX: usize = 65;
/// Longest stream path or channel name (with its NUL) a peer may send.
pub const PATH_MAX: usize = 4096;

/// Reply to `CREATE_SESSION` (2.11): relay session id, code, the relay's output path.
pub fn create_session_reply(session_id: u64, code: u32, output_path: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(17 + output_path.len());
    put_u64(&mut out, session_id);
    put_u32(&mut out, code);
    put_u32(&mut out, output_path.len() as u32 + 1);
    out.extend_from_slice(output_path.as_bytes());
    out.push(0);
    out
}

/// Fixed part of the `CREATE_SESSION` reply; the path length is its last field.
pub const CREATE_SESSION_REPLY_LEN: usize = 16;

pub fn parse_create_session_reply(bytes: &[u8]) -> Result<(u64, u32, u32), Malformed> {
    let mut r = Reader::new(bytes, "create session reply");
    Ok((r.u64()?, r.u32()?, r.u32()?))
}

/// `CREATE_TRACE_CHUNK`: chunk id, creation time, no name override.
pub fn create_trace_chunk(chunk_id: u64, creation_time: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(20);
    put_u64(&mut out, chunk_id);
    put_u64(&mut out, creation_time);
    put_u32(&mut out, 0);
    out
}

/// Reply to `CLOSE_TRACE_CHUNK`: code, then the closed chunk's path.
pub fn close_trace_chunk_reply(code: u32, path: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(9 + path.len());
    put_u32(&mut out, code);
    put_u32(&mut out, path.len() as u32 + 1);
    out.extend_from_slice(path.as_bytes());
    out.push(0);
    out
}

/// `ADD_STREAM` in its 2.11 form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddStream {
    /// The stream file's name (`metadata` for the metadata stream).
    pub channel_name: String,
    /// The directory of the trace inside the session directory, relative.
    pub pathname: String,
    pub trace_chunk_id: u64,
}

impl AddStream {
    pub fn encode(&self) -> Vec<u8> {
        let (chan, path) = (self.channel_name.as_bytes(), self.pathname.as_bytes());
        let mut out = Vec::with_capacity(ADD_STREAM_FIXED + chan.len() + path.len() + 2);
        put_u32(&mut out, chan.len() as u32 + 1);
        put_u32(&mut out, path.len() as u32 + 1);
        put_u64(&mut out, 0); // no tracefile size limit
        put_u64(&mut out, 0); // no tracefile count limit
        put_u64(&mut out, self.trace_chunk_id);
        for s in [chan, path] {
            out.extend_from_slice(s);
            out.push(0);
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<AddStream, Malformed> {
        let mut r = Reader::new(bytes, "add stream");
        let chan_len = r.u32()?;
        let path_len = r.u32()?;
        let size = r.u64()?;
        let count = r.u64()?;
        let trace_chunk_id = r.u64()?;
        if size != 0 || count != 0 {
            return malformed("add stream: trace file rotation is not accepted");
        }
        Ok(AddStream {
            channel_name: r.string(chan_len, NAME_MAX, "channel name")?,
            pathname: r.string(path_len, PATH_MAX, "stream path")?,
            trace_chunk_id,
        })
    }
}

/// Reply to `ADD_STREAM`: the relay's stream handle and a code.
pub fn handle_reply(handle: u64, code: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(12);
    put_u64(&mut out, handle);
    put_u32(&mut out, code);
    out
}

pub fn parse_handle_reply(bytes: &[u8]) -> Result<(u64, u32), Malformed> {
    let mut r = Reader::new(bytes, "add stream reply");
    Ok((r.u64()?, r.u32()?))
}

/// A reply made of a code only.
pub fn code_reply(code: u32) -> Vec<u8> {
    code.to_be_bytes().to_vec()
}

pub fn parse_code(bytes: &[u8]) -> Result<u32, Malformed> {
    Reader::new(bytes, "reply").u32()
}

/// The `SEND_METADATA` payload: stream handle, zero padding the relay appends, bytes.
pub fn metadata_payload(handle: u64, padding: u32, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(12 + bytes.len());
    put_u64(&mut out, handle);
    put_u32(&mut out, padding);
    out.extend_from_slice(bytes);
    out
}

/// `CLOSE_STREAM` (also the form of `DATA_PENDING`): handle, last sequence number sent.
pub fn close_stream(handle: u64, last_seq: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(16);
    put_u64(&mut out, handle);
    put_u64(&mut out, last_seq);
    out
}

/// `ROTATE_STREAMS` to no trace chunk (how LTTng ends a session): each stream, given as its
/// handle and the sequence number of its first packet after the rotation (one past the last
/// sent), leaves the session's chunk once the relay has its packets. lttng-relayd then lets
/// live viewers read that chunk to its end after the session closes.
pub fn rotate_streams_to_no_chunk(positions: &[RotatePosition]) -> Vec<u8> {
    let mut out = Vec::with_capacity(13 + 16 * positions.len());
    put_u32(&mut out, positions.len() as u32);
    out.push(0); // no next chunk
    put_u64(&mut out, 0);
    for &(handle, seq) in positions {
        put_u64(&mut out, handle);
        put_u64(&mut out, seq);
    }
    out
}

/// Where a stream rotates: its handle, and the sequence number of its first packet after.
pub type RotatePosition = (u64, u64);

/// Parses `ROTATE_STREAMS`: the next chunk's id (None: no chunk) and the position of each
/// stream, at most `max` of them.
pub fn parse_rotate_streams(
    bytes: &[u8],
    max: usize,
) -> Result<(Option<u64>, Vec<RotatePosition>), Malformed> {
    let mut r = Reader::new(bytes, "rotate streams");
    let count = r.u32()? as usize;
    let (set, chunk) = (r.u8()?, r.u64()?);
    if count > max || r.rest().len() != count * 16 {
        return malformed(format!(
            "rotate streams: {count} streams in {} bytes",
            bytes.len()
        ));
    }
    let positions = (0..count)
        .map(|_| Ok((r.u64()?, r.u64()?)))
        .collect::<Result<_, Malformed>>()?;
    Ok(((set != 0).then_some(chunk), positions))
}

/// What the relay keeps about one packet, sent on the control connection (`SEND_INDEX`).
/// Sizes are in bits, as in the packet context.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PacketIndex {
    pub packet_size: u64,
    pub content_size: u64,
    pub timestamp_begin: u64,
    pub timestamp_end: u64,
    pub events_discarded: u64,
    /// The packet's CTF stream class id.
    pub stream_id: u64,
    pub stream_instance_id: u64,
    pub packet_seq_num: u64,
}

/// `SEND_INDEX` payload for relay stream `handle`, packet `net_seq`.
pub fn index(handle: u64, net_seq: u64, i: &PacketIndex) -> Vec<u8> {
    let mut out = Vec::with_capacity(INDEX_LEN);
    for v in [
        handle,
        net_seq,
        i.packet_size,
        i.content_size,
        i.timestamp_begin,
        i.timestamp_end,
        i.events_discarded,
        i.stream_id,
        i.stream_instance_id,
        i.packet_seq_num,
    ] {
        put_u64(&mut out, v);
    }
    out
}

/// Parses a `SEND_INDEX` payload into (handle, net_seq, index).
pub fn parse_index(bytes: &[u8]) -> Result<(u64, u64, PacketIndex), Malformed> {
    let mut r = Reader::new(bytes, "index");
    let handle = r.u64()?;
    let net_seq = r.u64()?;
    let i = PacketIndex {
        packet_size: r.u64()?,
        content_size: r.u64()?,
        timestamp_begin: r.u64()?,
        timestamp_end: r.u64()?,
        events_discarded: r.u64()?,
        stream_id: r.u64()?,
        stream_instance_id: r.u64()?,
        packet_seq_num: r.u64()?,
    };
    Ok((handle, net_seq, i))
}

/// The data header in front of each packet on the data connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataHeader {
    pub handle: u64,
    pub net_seq: u64,
    /// Bytes that follow.
    pub size: u32,
    /// Zero bytes the relay appends after them (the packet's padding, not sent).
    pub padding: u32,
}

impl DataHeader {
    pub fn encode(&self) -> [u8; DATA_HEADER_LEN] {
        let mut h = [0u8; DATA_HEADER_LEN];
        h[8..16].copy_from_slice(&self.handle.to_be_bytes());
        h[16..24].copy_from_slice(&self.net_seq.to_be_bytes());
        h[24..28].copy_from_slice(&self.size.to_be_bytes());
        h[28..32].copy_from_slice(&self.padding.to_be_bytes());
        h
    }

    pub fn decode(bytes: &[u8; DATA_HEADER_LEN]) -> DataHeader {
        let field = |a: usize, b: usize| bytes[a..b].iter().fold(0u64, |v, &x| v << 8 | x as u64);
        DataHeader {
            handle: field(8, 16),
            net_seq: field(16, 24),
            size: field(24, 28) as u32,
            padding: field(28, 32) as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_session_has_the_layout_lttng_sends() {
        // Bytes an LTTng 2.13 session daemon sent to lttng-relayd (captured here), for session
        // "netcap-6538" on host "vm" with a 1 s live timer.
        let captured = "0000000c0000000300000001000f424000001087bb25d05842fb83a9f43b9d95fd58\
                        0000000000000000000000006b1119610000000000000000006e65746361702d36\
                        353338\
                        00766d0000";
        let bytes: Vec<u8> = (0..captured.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&captured[i..i + 2], 16).unwrap())
            .collect();
        let msg = CreateSession::decode(&bytes).unwrap();
        assert_eq!(msg.session_name, "netcap-6538");
        assert_eq!(msg.hostname, "vm");
        assert_eq!(msg.live_timer_us, 1_000_000);
        assert_eq!(msg.creation_time, 0x6b11_1961);
        assert_eq!(msg.encode(), bytes);
    }

    #[test]
    fn add_stream_round_trips_and_refuses_rotation() {
        let msg = AddStream {
            channel_name: "channel0_0".into(),
            pathname: "ust/uid/0/64-bit".into(),
            trace_chunk_id: 0,
        };
        let bytes = msg.encode();
        assert_eq!(bytes.len(), 60);
        assert_eq!(AddStream::decode(&bytes).unwrap(), msg);
        let mut rotating = bytes.clone();
        rotating[15] = 1;
        assert!(AddStream::decode(&rotating).is_err());
    }

    #[test]
    fn lengths_a_peer_sends_are_bounded() {
        let mut bytes = AddStream {
            channel_name: "c".into(),
            pathname: "p".into(),
            trace_chunk_id: 0,
        }
        .encode();
        bytes[0..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(AddStream::decode(&bytes).is_err());
        assert!(AddStream::decode(&bytes[..10]).is_err());
        let mut nul_inside = AddStream {
            channel_name: "ab".into(),
            pathname: "p".into(),
            trace_chunk_id: 0,
        }
        .encode();
        nul_inside[32] = 0;
        assert!(AddStream::decode(&nul_inside).is_err());
    }

    #[test]
    fn rotate_streams_has_the_layout_lttng_sends() {
        let bytes = rotate_streams_to_no_chunk(&[(3, 12), (4, 0)]);
        assert_eq!(bytes.len(), 4 + 1 + 8 + 2 * 16);
        assert_eq!(bytes[..5], [0, 0, 0, 2, 0]);
        assert_eq!(
            parse_rotate_streams(&bytes, 8).unwrap(),
            (None, vec![(3, 12), (4, 0)])
        );
        assert!(parse_rotate_streams(&bytes, 1).is_err());
        assert!(parse_rotate_streams(&bytes[..bytes.len() - 1], 8).is_err());
        let mut to_chunk = bytes.clone();
        to_chunk[4] = 1;
        to_chunk[12] = 5;
        assert_eq!(parse_rotate_streams(&to_chunk, 8).unwrap().0, Some(5));
        let mut huge = bytes;
        huge[..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(parse_rotate_streams(&huge, usize::MAX).is_err());
    }

    #[test]
    fn index_and_data_header_round_trip() {
        let i = PacketIndex {
            packet_size: 32768,
            content_size: 9936,
            timestamp_begin: 1,
            timestamp_end: 2,
            events_discarded: 3,
            stream_id: 0,
            stream_instance_id: 1,
            packet_seq_num: 7,
        };
        let bytes = index(4, 5, &i);
        assert_eq!(bytes.len(), INDEX_LEN);
        assert_eq!(parse_index(&bytes).unwrap(), (4, 5, i));
        let h = DataHeader {
            handle: 2,
            net_seq: 9,
            size: 1242,
            padding: 2854,
        };
        assert_eq!(DataHeader::decode(&h.encode()), h);
    }
}
