//! A control connection of `ust relay`: the commands of lttng-relayd's protocol (2.11+ forms)
//! a daemon sends, in the order it must send them (version, session, chunk, streams,
//! metadata and indexes, closes). Any malformed, out-of-order or refused command ends the
//! connection; the streams it created are then forgotten, once the packets it announced
//! are written (their files stay, whole packets only).

use super::conn::Conn;
use super::store::{self, StreamOut, Streams};
use crate::relayd::proto::{self, Command, HEADER_LEN, INDEX_LEN};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Largest control payload accepted (metadata packets are the largest messages).
const MAX_PAYLOAD: u64 = 4 << 20;
/// Most streams one session may add.
const MAX_STREAMS: usize = 4096;
/// Largest zero padding a peer may ask to be appended to metadata.
const MAX_PADDING: u32 = 1 << 20;
/// Longest wait, once a control connection ended, for its data connection to deliver the
/// packets it announced.
const LINGER: Duration = Duration::from_secs(30);

struct Session {
    /// `HOST/SESSION-DATE-TIME`, relative to the output directory.
    rel: String,
    dir: PathBuf,
    handles: Vec<u64>,
    chunk: bool,
}

/// Serves one control connection until it closes. Err says why it was dropped.
pub fn serve(conn: &mut Conn, out: &Path, streams: &Streams) -> Result<(), String> {
    let mut version = false;
    let mut session: Option<Session> = None;
    let result = loop {
        let mut header = [0u8; HEADER_LEN];
        match conn.read_message(&mut header) {
            Ok(true) => {}
            Ok(false) => break Ok(()),
            Err(e) => break Err(e.to_string()),
        }
        let h = proto::Header::decode(&header);
        let Some(cmd) = Command::from_code(h.cmd) else {
            let _ = conn.send(&proto::code_reply(proto::ERR_UNKNOWN));
            break Err(format!("unknown command {}", h.cmd));
        };
        if h.data_size > MAX_PAYLOAD {
            break Err(format!(
                "{cmd:?} of {} bytes: more than {MAX_PAYLOAD}",
                h.data_size
            ));
        }
        let mut payload = Vec::new();
        if let Err(e) = conn.read_body(h.data_size as usize, &mut payload) {
            break Err(e.to_string());
        }
        if cmd != Command::Version && !version {
            break Err(format!("{cmd:?} before the version check"));
        }
        let step = match (&mut session, cmd) {
            (_, Command::Version) => {
                version = true;
                version_check(conn, &payload)
            }
            (None, Command::CreateSession) => create_session(conn, out, &payload).map(|s| {
                session = Some(s);
            }),
            (_, Command::GetConfiguration) => {
                let mut reply = proto::code_reply(proto::OK);
                reply.extend_from_slice(&0u64.to_be_bytes());
                send(conn, &reply)
            }
            (Some(s), c) => in_session(conn, s, streams, c, &payload),
            (None, c) => Err(format!("{c:?} before a session was created")),
        };
        if let Err(e) = step {
            break Err(e);
        }
    };
    if let Some(s) = session {
        streams.retire(&s.handles, Instant::now() + LINGER);
    }
    result
}

fn send(conn: &mut Conn, bytes: &[u8]) -> Result<(), String> {
    conn.send(bytes).map_err(|e| e.to_string())
}

fn malformed(e: proto::Malformed) -> String {
    e.to_string()
}

fn version_check(conn: &mut Conn, payload: &[u8]) -> Result<(), String> {
    let (major, minor) = proto::parse_version(payload).map_err(malformed)?;
    send(conn, &proto::version(proto::MAJOR, minor.min(proto::MINOR)))?;
    if major != proto::MAJOR || minor < proto::MIN_MINOR {
        return Err(format!("protocol {major}.{minor}: 2.11 or later is needed"));
    }
    Ok(())
}

fn create_session(conn: &mut Conn, out: &Path, payload: &[u8]) -> Result<Session, String> {
    let refuse = |conn: &mut Conn, why: String| {
        let _ = conn.send(&proto::create_session_reply(0, proto::ERR_UNKNOWN, ""));
        Err(why)
    };
    let msg = match proto::CreateSession::decode(payload) {
        Ok(m) => m,
        Err(e) => return refuse(conn, e.to_string()),
    };
    match store::session_dir(out, &msg.hostname, &msg.session_name, msg.creation_time) {
        Ok((rel, dir)) => {
            eprintln!("ust relay: {}: session {rel}", conn.peer);
            send(conn, &proto::create_session_reply(1, proto::OK, &rel))?;
            Ok(Session {
                rel,
                dir,
                handles: Vec::new(),
                chunk: false,
            })
        }
        Err(why) => refuse(conn, why),
    }
}

fn in_session(
    conn: &mut Conn,
    s: &mut Session,
    streams: &Streams,
    cmd: Command,
    payload: &[u8],
) -> Result<(), String> {
    match cmd {
        Command::CreateTraceChunk => {
            if s.chunk {
                let _ = conn.send(&proto::code_reply(proto::ERR_UNKNOWN));
                return Err("a second trace chunk (rotation is not supported)".into());
            }
            proto::Reader::new(payload, "create trace chunk")
                .take(20)
                .map_err(malformed)?;
            s.chunk = true;
            send(conn, &proto::code_reply(proto::OK))
        }
        Command::AddStream => add_stream(conn, s, streams, payload),
        Command::StreamsSent | Command::QuiescentControl | Command::BeginDataPending => {
            send(conn, &proto::code_reply(proto::OK))
        }
        Command::EndDataPending => send(conn, &proto::code_reply(0)),
        Command::SendMetadata => {
            let mut r = proto::Reader::new(payload, "metadata");
            let (handle, padding) = (r.u64().map_err(malformed)?, r.u32().map_err(malformed)?);
            if padding > MAX_PADDING {
                return Err(format!(
                    "metadata padding {padding}: more than {MAX_PADDING}"
                ));
            }
            let stream = own(s, streams, handle)?;
            let mut out = store::lock(&stream);
            if !out.metadata {
                return Err("metadata sent to a data stream".into());
            }
            out.write_metadata(r.rest(), padding)
                .map_err(|e| e.to_string())
        }
        Command::SendIndex => {
            let (handle, seq, index) =
                proto::parse_index(payload.get(..INDEX_LEN).unwrap_or(payload))
                    .map_err(malformed)?;
            let stream = own(s, streams, handle)?;
            if index.packet_size != 0 {
                store::lock(&stream)
                    .add_index(seq, index)
                    .map_err(|e| e.to_string())?;
            }
            send(conn, &proto::code_reply(proto::OK))
        }
        Command::CloseStream => {
            let mut r = proto::Reader::new(payload, "close stream");
            let (handle, last) = (r.u64().map_err(malformed)?, r.u64().map_err(malformed)?);
            let stream = own(s, streams, handle)?;
            store::lock(&stream).close_at(last);
            send(conn, &proto::code_reply(proto::OK))
        }
        Command::RotateStreams => {
            let (chunk, positions) =
                proto::parse_rotate_streams(payload, MAX_STREAMS).map_err(malformed)?;
            if chunk.is_some() {
                let _ = conn.send(&proto::code_reply(proto::ERR_UNKNOWN));
                return Err("rotation to a new trace chunk (rotation is not supported)".into());
            }
            // Leaving the chunk ends a stream: nothing to move, its files stay where they are.
            for (handle, _) in positions {
                own(s, streams, handle)?;
            }
            send(conn, &proto::code_reply(proto::OK))
        }
        Command::DataPending => {
            let mut r = proto::Reader::new(payload, "data pending");
            let (handle, last) = (r.u64().map_err(malformed)?, r.u64().map_err(malformed)?);
            let stream = own(s, streams, handle)?;
            let pending = store::lock(&stream).pending(last);
            send(conn, &proto::code_reply(pending as u32))
        }
        Command::CloseTraceChunk => {
            proto::Reader::new(payload, "close trace chunk")
                .take(21)
                .map_err(malformed)?;
            send(conn, &proto::close_trace_chunk_reply(proto::OK, &s.rel))
        }
        c => Err(format!("{c:?} out of place")),
    }
}

fn add_stream(
    conn: &mut Conn,
    s: &mut Session,
    streams: &Streams,
    payload: &[u8],
) -> Result<(), String> {
    let created = proto::AddStream::decode(payload)
        .map_err(malformed)
        .and_then(|m| {
            if s.handles.len() >= MAX_STREAMS {
                return Err(format!("more than {MAX_STREAMS} streams"));
            }
            let path = store::stream_path(&m.pathname)?;
            StreamOut::create(&s.dir, &path, &m.channel_name, conn.identity.clone())
        });
    match created {
        Ok(out) => {
            let h = streams.insert(out);
            s.handles.push(h);
            send(conn, &proto::handle_reply(h, proto::OK))
        }
        Err(why) => {
            let _ = conn.send(&proto::handle_reply(u64::MAX, proto::ERR_UNKNOWN));
            Err(why)
        }
    }
}

/// The stream `handle` if this session created it.
fn own(
    s: &Session,
    streams: &Streams,
    handle: u64,
) -> Result<std::sync::Arc<std::sync::Mutex<StreamOut>>, String> {
    if !s.handles.contains(&handle) {
        return Err(format!("stream {handle} does not belong to this session"));
    }
    streams
        .get(handle)
        .ok_or_else(|| format!("stream {handle} is gone"))
}
