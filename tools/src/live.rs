//! `ust view --live`: a client of LTTng's live protocol (the viewer side of lttng-relayd, the
//! one babeltrace2's `lttng-live` source speaks, version 2.4), following one session while it
//! runs, for UST and LTTng sessions alike.
//!
//! A fetcher thread attaches to the session from its beginning and copies its metadata and
//! packets into a private mirror directory (one trace directory per relay trace), which
//! `ust view` reads as it does with `--follow`. It also publishes a horizon: the time up to
//! which every live stream is complete in the mirror (from its packets or the relay's
//! inactivity beacons). The reader holds back events after the horizon, so the merge never
//! runs ahead of a stream whose packets are still on the way, and the lines printed are
//! those `ust view` prints on the finished trace. The fetcher ends when the relay says every
//! stream hung up.

use crate::relayd::proto::Reader;
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// lttng-relayd's default live port.
const LIVE_PORT: u16 = 5344;
/// Longest wait for one reply.
const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// Pause when no stream had anything new.
const IDLE: Duration = Duration::from_millis(100);
/// Bounds on what the relay may announce.
const MAX_SESSIONS: u32 = 100_000;
const MAX_STREAMS: u32 = 65_536;
const MAX_BYTES: u64 = 64 << 20;
/// Sizes of the fixed records.
const SESSION_LEN: usize = 8 + 4 + 4 + 4 + 64 + 255;
const STREAM_LEN: usize = 8 + 8 + 4 + 4096 + 255;
const INDEX_LEN: usize = 7 * 8 + 4 + 4;

mod cmd {
    pub const CONNECT: u32 = 1;
    pub const LIST_SESSIONS: u32 = 2;
    pub const ATTACH_SESSION: u32 = 3;
    pub const GET_NEXT_INDEX: u32 = 4;
    pub const GET_PACKET: u32 = 5;
    pub const GET_METADATA: u32 = 6;
    pub const GET_NEW_STREAMS: u32 = 7;
    pub const CREATE_SESSION: u32 = 8;
}

/// Index status codes.
mod index {
    pub const OK: u32 = 1;
    pub const RETRY: u32 = 2;
    pub const HUP: u32 = 3;
    pub const INACTIVE: u32 = 5;
    pub const EOF: u32 = 6;
    pub const FLAG_NEW_METADATA: u32 = 1;
    pub const FLAG_NEW_STREAM: u32 = 2;
}

/// `GET_NEW_STREAMS` status codes.
mod new_streams {
    pub const OK: u32 = 1;
    pub const NO_NEW: u32 = 2;
    pub const HUP: u32 = 4;
}

/// `net://HOST[:PORT]/host/HOSTNAME/SESSION`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveUrl {
    pub address: String,
    pub hostname: String,
    pub session: String,
}

impl LiveUrl {
    pub fn parse(url: &str) -> Result<LiveUrl, String> {
        let usage = || format!("{url}: a live URL is net://RELAY[:PORT]/host/HOSTNAME/SESSION");
        let rest = url
            .strip_prefix("net://")
            .or_else(|| url.strip_prefix("net4://"))
            .ok_or_else(usage)?;
        let (relay, path) = rest.split_once('/').ok_or_else(usage)?;
        let parts: Vec<&str> = path.split('/').collect();
        let [host_kw, hostname, session] = parts[..] else {
            return Err(usage());
        };
        if host_kw != "host" || hostname.is_empty() || session.is_empty() || relay.is_empty() {
            return Err(usage());
        }
        let address = if relay.starts_with('[') && relay.ends_with(']') {
            format!("{relay}:{LIVE_PORT}")
        } else if let Some((_, port)) = relay.rsplit_once(':') {
            port.parse::<u16>().map_err(|_| usage())?;
            relay.to_owned()
        } else {
            format!("{relay}:{LIVE_PORT}")
        };
        Ok(LiveUrl {
            address,
            hostname: hostname.to_owned(),
            session: session.to_owned(),
        })
    }
}

/// The live session being mirrored.
pub struct Live {
    dir: PathBuf,
    finished: Arc<AtomicBool>,
    error: Arc<Mutex<Option<String>>>,
    horizon: Arc<AtomicU64>,
}

impl Live {
    /// Connects, attaches and mirrors the metadata of every trace; then keeps mirroring in
    /// a thread.
    pub fn start(url: &str) -> Result<Live, String> {
        let url = LiveUrl::parse(url)?;
        let mut viewer = Viewer::connect(&url.address).map_err(|e| e.to_string())?;
        let dir = private_dir().map_err(|e| format!("cannot create a mirror directory: {e}"))?;
        let horizon = Arc::new(AtomicU64::new(0));
        let mut mirror = Mirror::new(dir.clone(), horizon.clone());
        let first = viewer
            .attach(&url)
            .and_then(|streams| mirror.add_streams(&streams).map_err(|e| e.to_string()))
            .and_then(|()| mirror.wait_first_metadata(&mut viewer));
        if let Err(e) = first {
            let _ = fs::remove_dir_all(&dir);
            return Err(e);
        }
        let finished = Arc::new(AtomicBool::new(false));
        let error = Arc::new(Mutex::new(None));
        let (f, err) = (finished.clone(), error.clone());
        std::thread::spawn(move || {
            if let Err(e) = mirror.run(&mut viewer) {
                *err.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
            }
            f.store(true, Ordering::Release);
        });
        Ok(Live {
            dir,
            finished,
            error,
            horizon,
        })
    }

    /// The mirror directory to read.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// True once the session ended (or the link failed) and everything is in the mirror.
    pub fn finished(&self) -> bool {
        self.finished.load(Ordering::Acquire)
    }

    /// The time (in clock cycles of the session's traces) up to which every stream is in
    /// the mirror; u64::MAX once the session ended.
    pub fn horizon(&self) -> u64 {
        if self.finished() {
            return u64::MAX;
        }
        self.horizon.load(Ordering::Acquire)
    }

    /// Why following stopped early, if it did.
    pub fn error(&self) -> Option<String> {
        self.error.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn private_dir() -> io::Result<PathBuf> {
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    let mut seed = [0u8; 8];
    File::open("/dev/urandom")?.read_exact(&mut seed)?;
    let dir = base.join(format!(
        "ust-live-{}-{:016x}",
        std::process::id(),
        u64::from_le_bytes(seed)
    ));
    fs::DirBuilder::new().mode(0o700).create(&dir)?;
    Ok(dir)
}

/// One stream announced by the relay.
struct StreamInfo {
    id: u64,
    trace: u64,
    metadata: bool,
    /// The trace's directory inside the session, as the relay writes it (`ust/uid/0/64-bit`).
    path: String,
    channel: String,
}

/// A viewer command connection.
struct Viewer {
    sock: TcpStream,
    address: String,
    session: u64,
}

impl Viewer {
    fn connect(address: &str) -> io::Result<Viewer> {
        let fail = |e: io::Error| {
            io::Error::new(e.kind(), format!("cannot connect to relay {address}: {e}"))
        };
        let addr = address
            .to_socket_addrs()
            .map_err(fail)?
            .next()
            .ok_or_else(|| fail(io::Error::new(io::ErrorKind::NotFound, "no address")))?;
        let sock = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(fail)?;
        sock.set_read_timeout(Some(IO_TIMEOUT))?;
        sock.set_write_timeout(Some(IO_TIMEOUT))?;
        let mut v = Viewer {
            sock,
            address: address.to_owned(),
            session: 0,
        };
        let mut hello = Vec::new();
        hello.extend_from_slice(&0u64.to_be_bytes());
        hello.extend_from_slice(&2u32.to_be_bytes());
        hello.extend_from_slice(&4u32.to_be_bytes());
        hello.extend_from_slice(&1u32.to_be_bytes());
        let reply = v.call(cmd::CONNECT, &hello, 20)?;
        if reply[8..12] != 2u32.to_be_bytes() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{address}: not an LTTng relay (live protocol 2.x)"),
            ));
        }
        v.call(cmd::CREATE_SESSION, &[], 4)?;
        Ok(v)
    }

    fn call(&mut self, cmd: u32, payload: &[u8], reply_len: usize) -> io::Result<Vec<u8>> {
        let mut msg = Vec::with_capacity(16 + payload.len());
        msg.extend_from_slice(&(payload.len() as u64).to_be_bytes());
        msg.extend_from_slice(&cmd.to_be_bytes());
        msg.extend_from_slice(&0u32.to_be_bytes());
        msg.extend_from_slice(payload);
        self.sock.write_all(&msg).map_err(|e| self.lost(e))?;
        self.recv(reply_len)
    }

    fn recv(&mut self, n: usize) -> io::Result<Vec<u8>> {
        let mut buf = vec![0u8; n];
        self.sock.read_exact(&mut buf).map_err(|e| self.lost(e))?;
        Ok(buf)
    }

    /// Receives `n` bytes announced by the relay, bounded.
    fn recv_bounded(&mut self, n: u64) -> io::Result<Vec<u8>> {
        if n > MAX_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("relay {}: announced {n} bytes", self.address),
            ));
        }
        self.recv(n as usize)
    }

    fn lost(&self, e: io::Error) -> io::Error {
        io::Error::new(e.kind(), format!("relay {}: {e}", self.address))
    }

    /// Finds the session and attaches from its beginning; returns its streams.
    fn attach(&mut self, url: &LiveUrl) -> Result<Vec<StreamInfo>, String> {
        let reply = self
            .call(cmd::LIST_SESSIONS, &[], 4)
            .map_err(|e| e.to_string())?;
        let count = u32::from_be_bytes(reply[..4].try_into().unwrap_or_default()).min(MAX_SESSIONS);
        let mut found = None;
        let mut names = Vec::new();
        for _ in 0..count {
            let s = self.recv(SESSION_LEN).map_err(|e| e.to_string())?;
            let id = u64::from_be_bytes(s[..8].try_into().unwrap_or_default());
            let (host, name) = (c_string(&s[20..84]), c_string(&s[84..]));
            if host == url.hostname && name == url.session {
                found = Some(id);
            }
            names.push(format!("{host}/{name}"));
        }
        let Some(id) = found else {
            return Err(format!(
                "relay {}: no live session {}/{} (sessions: {})",
                self.address,
                url.hostname,
                url.session,
                if names.is_empty() {
                    "none".into()
                } else {
                    names.join(", ")
                }
            ));
        };
        let mut req = Vec::new();
        req.extend_from_slice(&id.to_be_bytes());
        req.extend_from_slice(&0u64.to_be_bytes());
        req.extend_from_slice(&1u32.to_be_bytes()); // from the beginning
        let reply = self
            .call(cmd::ATTACH_SESSION, &req, 8)
            .map_err(|e| e.to_string())?;
        let status = u32::from_be_bytes(reply[..4].try_into().unwrap_or_default());
        if status != 1 {
            let why = match status {
                2 => "another viewer is attached",
                4 => "the session is not live",
                _ => "attach refused",
            };
            return Err(format!(
                "relay {}: {}/{}: {why}",
                self.address, url.hostname, url.session
            ));
        }
        self.session = id;
        let n = u32::from_be_bytes(reply[4..8].try_into().unwrap_or_default());
        self.streams(n).map_err(|e| e.to_string())
    }

    fn streams(&mut self, n: u32) -> io::Result<Vec<StreamInfo>> {
        if n > MAX_STREAMS {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("relay {}: {n} streams announced", self.address),
            ));
        }
        (0..n)
            .map(|_| {
                let s = self.recv(STREAM_LEN)?;
                let mut r = Reader::new(&s, "stream");
                let field = |e| io::Error::new(io::ErrorKind::InvalidData, format!("{e}"));
                Ok(StreamInfo {
                    id: r.u64().map_err(field)?,
                    trace: r.u64().map_err(field)?,
                    metadata: r.u32().map_err(field)? != 0,
                    path: c_string(&s[20..20 + 4096]),
                    channel: c_string(&s[20 + 4096..]),
                })
            })
            .collect()
    }

    /// Streams added since last asked, and whether the session is over (closed on the relay,
    /// with no stream left to read).
    fn new_streams(&mut self) -> io::Result<(Vec<StreamInfo>, bool)> {
        let reply = self.call(cmd::GET_NEW_STREAMS, &self.session.to_be_bytes(), 8)?;
        let status = u32::from_be_bytes(reply[..4].try_into().unwrap_or_default());
        let n = u32::from_be_bytes(reply[4..8].try_into().unwrap_or_default());
        match status {
            new_streams::OK | new_streams::NO_NEW => Ok((self.streams(n)?, false)),
            new_streams::HUP => Ok((Vec::new(), true)),
            s => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("relay {}: new streams error {s}", self.address),
            )),
        }
    }

    /// New metadata of stream `id`: Some(bytes) (empty when nothing new), None once closed.
    fn metadata(&mut self, id: u64) -> io::Result<Option<Vec<u8>>> {
        let reply = self.call(cmd::GET_METADATA, &id.to_be_bytes(), 12)?;
        let len = u64::from_be_bytes(reply[..8].try_into().unwrap_or_default());
        match u32::from_be_bytes(reply[8..12].try_into().unwrap_or_default()) {
            1 => self.recv_bounded(len).map(Some),
            2 => Ok(Some(Vec::new())),
            // lttng-relayd answers an error for a metadata stream it no longer has: closed
            // (its trace's application exited, or the session ended) after it told the
            // viewer there was nothing new. babeltrace2 takes it as closed too.
            3 => Ok(None),
            s => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("relay {}: metadata error {s}", self.address),
            )),
        }
    }
}

/// A NUL-terminated string in a fixed field.
fn c_string(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

struct DataStream {
    file: File,
    /// Every event of this stream before this time (clock cycles) is in the mirror: the end
    /// of its last packet (the next packet may hold events at that very time), or of the
    /// relay's last inactivity beacon.
    known: u64,
    hung_up: bool,
}

struct MetaStream {
    file: File,
    hung_up: bool,
}

/// The mirror directory and what is known of each stream.
///
/// Traces and stream files are named as the relay names them (`PATH/CHANNEL` inside the
/// session directory), so the reader finds them in the order, and under the names, it finds
/// them in the relay's output: the same trace names, and the same stream order on equal
/// times. Names a relay sends are checked first; one that is not a plain relative path (or
/// that clashes with another) is replaced by a name no relay path can take (`@…`).
struct Mirror {
    dir: PathBuf,
    /// Relay trace id → the trace's directory, relative to `dir`.
    traces: HashMap<u64, PathBuf>,
    data: HashMap<u64, DataStream>,
    meta: HashMap<u64, MetaStream>,
    /// Published horizon: every stream is in the mirror up to this time (clock cycles),
    /// exclusive (see `DataStream::known`).
    horizon: Arc<AtomicU64>,
}

/// Deepest trace path accepted from a relay, in components.
const PATH_DEPTH: usize = 16;

/// A name a relay sent, fit for a file or directory of the mirror as it is.
fn plain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// A trace path a relay sent (`ust/uid/0/64-bit`), if it is a plain relative path.
fn plain_path(path: &str) -> Option<PathBuf> {
    let parts: Vec<&str> = path.split('/').collect();
    (parts.len() <= PATH_DEPTH && parts.iter().all(|p| plain(p))).then(|| parts.iter().collect())
}

impl Mirror {
    fn new(dir: PathBuf, horizon: Arc<AtomicU64>) -> Mirror {
        Mirror {
            dir,
            traces: HashMap::new(),
            data: HashMap::new(),
            meta: HashMap::new(),
            horizon,
        }
    }

    /// The directory of relay trace `id` (created on first use): its relay path, unless
    /// that is not plain or would hold (or be held in) another trace's directory, where the
    /// reader would not find both.
    fn trace_dir(&mut self, id: u64, path: &str) -> io::Result<PathBuf> {
        if let Some(rel) = self.traces.get(&id) {
            return Ok(self.dir.join(rel));
        }
        let rel = plain_path(path)
            .filter(|p| {
                !self
                    .traces
                    .values()
                    .any(|q| q.starts_with(p) || p.starts_with(q))
            })
            .unwrap_or_else(|| PathBuf::from(format!("@trace-{id}")));
        let dir = self.dir.join(&rel);
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)?;
        self.traces.insert(id, rel);
        Ok(dir)
    }

    fn add_streams(&mut self, streams: &[StreamInfo]) -> io::Result<()> {
        for s in streams {
            let trace = self.trace_dir(s.trace, &s.path)?;
            let name = if s.metadata {
                "metadata"
            } else if plain(&s.channel) && s.channel != "metadata" {
                s.channel.as_str()
            } else {
                ""
            };
            let create = |name: &str| {
                OpenOptions::new()
                    .create_new(true)
                    .append(true)
                    .mode(0o600)
                    .custom_flags(libc::O_NOFOLLOW)
                    .open(trace.join(name))
            };
            let file = match create(name) {
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists || name.is_empty() => {
                    create(&format!("@stream-{}", s.id))?
                }
                other => other?,
            };
            if s.metadata {
                self.meta.insert(
                    s.id,
                    MetaStream {
                        file,
                        hung_up: false,
                    },
                );
            } else {
                self.data.insert(
                    s.id,
                    DataStream {
                        file,
                        known: 0,
                        hung_up: false,
                    },
                );
            }
        }
        Ok(())
    }

    /// Waits until every trace has some metadata (the reader needs it to open the traces).
    fn wait_first_metadata(&mut self, v: &mut Viewer) -> Result<(), String> {
        let ended = format!(
            "relay {}: the session ended before its metadata could be read (attach while it runs)",
            v.address
        );
        loop {
            if self.meta.is_empty() {
                let (streams, over) = v.new_streams().map_err(|e| e.to_string())?;
                self.add_streams(&streams).map_err(|e| e.to_string())?;
                if over && self.meta.is_empty() {
                    return Err(ended);
                }
            }
            self.fetch_metadata(v).map_err(|e| e.to_string())?;
            let has_bytes = |m: &MetaStream| m.file.metadata().is_ok_and(|md| md.len() > 0);
            if !self.meta.is_empty() && self.meta.values().all(has_bytes) {
                return Ok(());
            }
            if self.meta.values().any(|m| m.hung_up && !has_bytes(m)) {
                return Err(ended);
            }
            std::thread::sleep(IDLE);
        }
    }

    fn fetch_metadata(&mut self, v: &mut Viewer) -> io::Result<()> {
        for (&id, m) in self.meta.iter_mut().filter(|(_, m)| !m.hung_up) {
            loop {
                match v.metadata(id)? {
                    Some(bytes) if bytes.is_empty() => break,
                    Some(bytes) => m.file.write_all(&bytes)?,
                    None => {
                        m.hung_up = true;
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    /// Mirrors until the session is over.
    fn run(mut self, v: &mut Viewer) -> Result<(), String> {
        self.follow(v).map_err(|e| e.to_string())
    }

    /// Mirrors every stream until the relay says the session is over: it is closed and every
    /// stream it had hung up. Streams announced meanwhile are mirrored too, including those
    /// that appear after every earlier stream hung up.
    fn follow(&mut self, v: &mut Viewer) -> io::Result<()> {
        loop {
            let mut progressed = false;
            let ids: Vec<u64> = self.data.keys().copied().collect();
            for id in ids {
                if !self.data[&id].hung_up {
                    progressed |= self.next_index(v, id)?;
                }
            }
            self.publish_horizon();
            if self.data.values().all(|d| d.hung_up) {
                let (streams, over) = v.new_streams()?;
                if over && streams.is_empty() {
                    return Ok(());
                }
                if !streams.is_empty() {
                    progressed = true;
                    self.add_streams(&streams)?;
                    self.fetch_metadata(v)?;
                }
            }
            if !progressed {
                std::thread::sleep(IDLE);
            }
        }
    }

    /// Publishes the time before which every stream is in the mirror: after the packets are
    /// written, so a reader that sees the new horizon also sees every packet it covers.
    /// Streams that hung up hold nothing back; a stream without data yet holds everything.
    fn publish_horizon(&self) {
        let live = self.data.values().filter(|d| !d.hung_up);
        let horizon = match live.map(|d| d.known).min() {
            Some(known) => known,
            None if self.data.is_empty() => 0,
            None => u64::MAX,
        };
        self.horizon.store(horizon, Ordering::Release);
    }

    /// Asks for the next index of stream `id` and mirrors its packet. True if anything new.
    fn next_index(&mut self, v: &mut Viewer, id: u64) -> io::Result<bool> {
        let reply = v.call(cmd::GET_NEXT_INDEX, &id.to_be_bytes(), INDEX_LEN)?;
        let field =
            |i: usize| u64::from_be_bytes(reply[i * 8..i * 8 + 8].try_into().unwrap_or_default());
        let (offset, packet_bits, ts_end) = (field(0), field(1), field(4));
        let status = u32::from_be_bytes(reply[56..60].try_into().unwrap_or_default());
        let flags = u32::from_be_bytes(reply[60..64].try_into().unwrap_or_default());
        if flags & index::FLAG_NEW_METADATA != 0 {
            self.fetch_metadata(v)?;
        }
        if flags & index::FLAG_NEW_STREAM != 0 {
            let (streams, _) = v.new_streams()?;
            self.add_streams(&streams)?;
            self.fetch_metadata(v)?;
        }
        let bytes = match status {
            index::OK => Some(fetch_packet(v, id, offset, packet_bits)?),
            _ => None,
        };
        let d = self
            .data
            .get_mut(&id)
            .ok_or_else(|| io::Error::other("stream vanished"))?;
        match status {
            index::OK => {
                d.file.write_all(&bytes.unwrap_or_default())?;
                d.known = d.known.max(ts_end);
                Ok(true)
            }
            index::INACTIVE => {
                let moved = ts_end > d.known;
                d.known = d.known.max(ts_end);
                Ok(moved)
            }
            index::RETRY => Ok(false),
            index::HUP | index::EOF => {
                d.hung_up = true;
                Ok(true)
            }
            s => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("relay {}: index error {s}", v.address),
            )),
        }
    }
}

fn fetch_packet(v: &mut Viewer, id: u64, offset: u64, bits: u64) -> io::Result<Vec<u8>> {
    let len = bits / 8;
    if len > MAX_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("relay {}: packet of {len} bytes", v.address),
        ));
    }
    let mut req = Vec::with_capacity(20);
    req.extend_from_slice(&id.to_be_bytes());
    req.extend_from_slice(&offset.to_be_bytes());
    req.extend_from_slice(&(len as u32).to_be_bytes());
    let reply = v.call(cmd::GET_PACKET, &req, 12)?;
    let status = u32::from_be_bytes(reply[..4].try_into().unwrap_or_default());
    let got = u32::from_be_bytes(reply[4..8].try_into().unwrap_or_default());
    if status != 1 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "relay {}: packet of stream {id} not available ({status})",
                v.address
            ),
        ));
    }
    v.recv_bounded(u64::from(got))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_urls_name_relay_host_and_session() {
        let u = LiveUrl::parse("net://127.0.0.1:6000/host/web1/prod").unwrap();
        assert_eq!(u.address, "127.0.0.1:6000");
        assert_eq!((u.hostname.as_str(), u.session.as_str()), ("web1", "prod"));
        assert_eq!(
            LiveUrl::parse("net://relay/host/h/s").unwrap().address,
            "relay:5344"
        );
        for bad in [
            "net://relay",
            "http://r/host/h/s",
            "net://r/x/h/s",
            "net://r/host/h",
            "net://r:x/host/h/s",
        ] {
            assert!(LiveUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
