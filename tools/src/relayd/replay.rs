//! Replays finished trace directories to a relay, packet by packet, as a consumer streaming
//! them live would: every trace found under the input (a directory holding `metadata` beside
//! its stream files) becomes a trace of the relay session at the same relative path (the
//! input itself at `ust`), its
//! metadata is sent first, then the packets of all streams in time order.
//! Behind `ust relay push`, the tests and the benchmark.

use super::packet;
use super::{Delivery, Session, Status, StreamHandle};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One stream file being replayed.
struct Source {
    handle: StreamHandle,
    bytes: Vec<u8>,
    offset: usize,
    path: PathBuf,
}

/// What a replay did.
#[derive(Debug)]
pub struct Report {
    pub traces: usize,
    pub streams: usize,
    pub status: Status,
}

/// Pauses of a replay.
#[derive(Clone, Copy, Debug, Default)]
pub struct Pace {
    /// After the streams and metadata are announced, before the first packet: time for a
    /// live viewer to attach (it then finds every stream at once).
    pub before_packets: Duration,
    /// Between two packets.
    pub between_packets: Duration,
}

/// Streams every trace under `input` into `session` at `pace`, then closes the session.
pub fn replay(mut session: Session, input: &Path, pace: Pace) -> io::Result<Report> {
    let traces = find_traces(input)?;
    if traces.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("{}: no trace (no metadata file) found", input.display()),
        ));
    }
    let mut sources = Vec::new();
    for dir in &traces {
        let rel = dir.strip_prefix(input).unwrap_or(Path::new(""));
        let rel = rel.to_str().ok_or_else(|| bad(dir, "path is not UTF-8"))?;
        let rel = if rel.is_empty() {
            super::TRACE_PATH
        } else {
            rel
        };
        let meta = session.add_metadata(rel)?;
        for file in stream_files(dir)? {
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let bytes = fs::read(&file).map_err(|e| bad(&file, e))?;
            if bytes.is_empty() {
                // No packet to stream (a CPU that ran none of the traced threads). Announced,
                // it would hold live viewers back: lttng-relayd reports no time for a stream
                // until its first packet, so they cannot tell how far it is complete.
                continue;
            }
            let handle = session.add_stream(name, rel)?;
            sources.push(Source {
                handle,
                bytes,
                offset: 0,
                path: file,
            });
        }
        let text = fs::read(dir.join("metadata")).map_err(|e| bad(dir, e))?;
        session.send_metadata(meta, &text)?;
    }
    let streams = sources.len();
    // Sending metadata published the streams (`STREAMS_SENT`): a viewer attaching now
    // finds them all.
    std::thread::sleep(pace.before_packets);
    let delay = pace.between_packets;
    while let Some(next) = earliest(&sources)? {
        let s = &mut sources[next];
        let len = packet_len(&s.bytes[s.offset..]);
        let bytes = &s.bytes[s.offset..s.offset + len];
        let index = packet::ust_index(bytes).ok_or_else(|| bad(&s.path, "packet changed"))?;
        let delivered = session.send_packet(s.handle, bytes, &index)?;
        s.offset += len;
        if delivered == Delivery::Discarded || !delay.is_zero() {
            std::thread::sleep(delay);
        }
    }
    // Closed at the end, as a consumer closes its streams when the session is destroyed
    // (each once the relay has written its packets).
    for s in &sources {
        session.close_stream(s.handle)?;
    }
    Ok(Report {
        traces: traces.len(),
        streams,
        status: session.close(),
    })
}

/// Index of the source whose next packet begins first; None when all are done.
fn earliest(sources: &[Source]) -> io::Result<Option<usize>> {
    let mut best: Option<(u64, usize)> = None;
    for (i, s) in sources.iter().enumerate() {
        if s.offset >= s.bytes.len() {
            continue;
        }
        let rest = &s.bytes[s.offset..];
        let Some(index) = packet::ust_index(rest.get(..packet_len(rest)).unwrap_or(rest)) else {
            return Err(bad(
                &s.path,
                format!("byte {}: not a UST or LTTng-UST packet", s.offset),
            ));
        };
        if best.map_or(true, |(t, _)| index.timestamp_begin < t) {
            best = Some((index.timestamp_begin, i));
        }
    }
    Ok(best.map(|(_, i)| i))
}

/// The packet size a packet prologue announces, in bytes (0 when too short to say).
fn packet_len(bytes: &[u8]) -> usize {
    bytes
        .get(56..64)
        .map(|b| (u64::from_le_bytes(b.try_into().unwrap_or_default()) / 8) as usize)
        .unwrap_or(0)
}

/// Directories under `input` (itself included) holding a `metadata` file.
fn find_traces(input: &Path) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut todo = vec![input.to_path_buf()];
    while let Some(dir) = todo.pop() {
        if dir.join("metadata").is_file() {
            found.push(dir.clone());
        }
        for e in fs::read_dir(&dir).map_err(|e| bad(&dir, e))? {
            let e = e?;
            if e.file_type()?.is_dir() && e.file_name() != "index" {
                todo.push(e.path());
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The stream files of a trace directory: regular files other than `metadata` and hidden ones.
fn stream_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for e in fs::read_dir(dir).map_err(|e| bad(dir, e))? {
        let e = e?;
        let name = e.file_name();
        let name = name.to_string_lossy();
        if e.file_type()?.is_file() && name != "metadata" && !name.starts_with('.') {
            files.push(e.path());
        }
    }
    files.sort();
    Ok(files)
}

fn bad(path: &Path, e: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: {e}", path.display()),
    )
}
