//! Client of lttng-relayd's streaming protocol (lttng-tools 2.11–2.13 form), used to stream a
//! session's trace to an unmodified `lttng-relayd` (`net://`) or to `ust relay` (`tls://`).
//!
//! One [`Session`] is one relay session: a control and a data connection, the session and its
//! trace chunk created on the relay, streams added (`ADD_STREAM`, then `STREAMS_SENT` so live
//! viewers see them), metadata sent on the control connection, each data packet sent on the
//! data connection behind its data header with its index on the control connection, streams
//! closed, the connections closed. The relay writes `HOSTNAME/SESSION-DATE-TIME/PATH/CHANNEL`.
//!
//! Failure model: only [`Session::connect`] reports an unreachable relay as an error. Once
//! connected, a lost relay never makes a call fail or block longer than the I/O timeout: the
//! packet is counted as discarded, the session reconnects with exponential back-off on later
//! calls (creating a fresh session directory on the relay, re-adding the open streams and
//! re-sending all metadata), and [`Session::status`] tells what happened.

pub mod link;
pub mod packet;
pub mod proto;
pub mod replay;
pub mod url;

use crate::tls::KeyFiles;
use link::{Link, Security};
use proto::{Command, PacketIndex};
use std::io;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use url::{RelayUrl, Scheme};

/// How to open and keep the relay session.
#[derive(Clone, Debug)]
pub struct Options {
    pub session_name: String,
    /// The traced host's name: the relay's top directory for this session.
    pub hostname: String,
    /// Live timer in microseconds; non-zero makes the session visible to live viewers.
    pub live_timer_us: u32,
    /// Keys for `tls://` relays (required there, unused for `net://`).
    pub keys: Option<KeyFiles>,
    /// Longest wait for a connection to open.
    pub connect_timeout: Duration,
    /// Longest wait for one send or reply once connected.
    pub io_timeout: Duration,
    /// Longest pause between two reconnection attempts.
    pub max_backoff: Duration,
}

impl Options {
    pub fn new(session_name: &str, hostname: &str) -> Options {
        Options {
            session_name: session_name.to_owned(),
            hostname: hostname.to_owned(),
            live_timer_us: 0,
            keys: None,
            connect_timeout: Duration::from_secs(3),
            io_timeout: Duration::from_secs(10),
            max_backoff: Duration::from_secs(10),
        }
    }
}

/// A stream of the session (data or metadata), as returned by `add_stream`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StreamHandle(usize);

/// Counters of one stream, or of the whole session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub packets_sent: u64,
    pub bytes_sent: u64,
    /// Packets that could not be delivered (relay unreachable) and were dropped.
    pub packets_discarded: u64,
    pub bytes_discarded: u64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.packets_sent += o.packets_sent;
        self.bytes_sent += o.bytes_sent;
        self.packets_discarded += o.packets_discarded;
        self.bytes_discarded += o.bytes_discarded;
    }
}

/// The state of the link, for `ust status`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status {
    pub connected: bool,
    /// Why the link was last lost or a reconnection failed.
    pub last_error: Option<String>,
    /// Successful reconnections after a loss.
    pub reconnects: u64,
    /// The relay's directory for the current (last) connection, relative to its output
    /// directory: `HOSTNAME/SESSION-DATE-TIME`.
    pub output_path: Option<String>,
    /// Totals over every stream.
    pub counts: Counts,
}

/// What became of one packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Not delivered: the relay is unreachable; counted in `Counts::packets_discarded`.
    Discarded,
}

struct Stream {
    channel: String,
    path: String,
    metadata: bool,
    closed: bool,
    counts: Counts,
    /// Metadata packets sent so far, re-sent after a reconnection.
    metadata_packets: Vec<Vec<u8>>,
    uuid: Option<[u8; 16]>,
}

/// Per-connection state of a stream: its handle on the relay and next sequence number.
#[derive(Clone, Copy)]
struct Remote {
    handle: u64,
    next_seq: u64,
}

struct Connection {
    control: Link,
    data: Link,
    remotes: Vec<Option<Remote>>,
    /// Streams added since the last `STREAMS_SENT`.
    unpublished: bool,
}

/// One session on a relay. See the module documentation for the protocol and failure model.
pub struct Session {
    url: RelayUrl,
    options: Options,
    security: Security,
    sessiond_uuid: [u8; 16],
    streams: Vec<Stream>,
    conn: Option<Connection>,
    status: Status,
    backoff: Duration,
    next_attempt: Instant,
    /// Creation time (s) of the last session made on the relay: a reconnection's is later,
    /// so the relay files it in another directory (it names them by the second).
    created: u64,
}

/// The directory UST's traces take inside the relay's session directory.
pub const TRACE_PATH: &str = "ust";
/// First pause before reconnecting.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// Id of the one trace chunk a session uses.
const CHUNK_ID: u64 = 0;

impl Session {
    /// Connects to the relay at `url` and creates the session there. Fails with a message
    /// naming the host and port when the relay cannot be reached or refuses.
    pub fn connect(url: &str, options: Options) -> io::Result<Session> {
        let url =
            RelayUrl::parse(url).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let security = match (url.scheme, &options.keys) {
            (Scheme::Net, _) => Security::Plain,
            (Scheme::Tls, Some(keys)) => Security::Tls(crate::tls::client_config(keys)?),
            (Scheme::Tls, None) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{url}: a tls:// relay needs keys (CA, certificate, key)"),
                ))
            }
        };
        check_name("session name", &options.session_name)?;
        check_name("hostname", &options.hostname)?;
        let mut s = Session {
            url,
            options,
            security,
            sessiond_uuid: random_uuid()?,
            streams: Vec::new(),
            conn: None,
            status: Status::default(),
            backoff: FIRST_BACKOFF,
            next_attempt: Instant::now(),
            created: 0,
        };
        s.conn = Some(s.establish()?);
        s.status.connected = true;
        Ok(s)
    }

    /// Adds a data stream: file `channel_name` in directory `pathname` (relative, inside the
    /// session directory, not empty: lttng-relayd refuses that; UST uses [`TRACE_PATH`]).
    pub fn add_stream(&mut self, channel_name: &str, pathname: &str) -> io::Result<StreamHandle> {
        self.add(channel_name, pathname, false)
    }

    /// Adds the metadata stream of the trace in `pathname`.
    pub fn add_metadata(&mut self, pathname: &str) -> io::Result<StreamHandle> {
        self.add("metadata", pathname, true)
    }

    fn add(&mut self, channel: &str, path: &str, metadata: bool) -> io::Result<StreamHandle> {
        check_name("channel name", channel)?;
        check_path(path)?;
        self.streams.push(Stream {
            channel: channel.to_owned(),
            path: path.to_owned(),
            metadata,
            closed: false,
            counts: Counts::default(),
            metadata_packets: Vec::new(),
            uuid: None,
        });
        let i = self.streams.len() - 1;
        if let Some(mut c) = self.conn.take() {
            match add_remote(&mut c, &self.streams[i]) {
                Ok(r) => {
                    c.remotes.push(Some(r));
                    c.unpublished = true;
                    self.conn = Some(c);
                }
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    // The relay refuses this stream: it would refuse it again; the caller
                    // must know.
                    self.streams.pop();
                    self.lost(c, io::Error::new(e.kind(), e.to_string()));
                    return Err(e);
                }
                Err(e) => self.lost(c, e),
            }
        }
        Ok(StreamHandle(i))
    }

    /// Appends metadata: TSDL text (sent as metadata packets stamped with the trace UUID the
    /// text declares) or bytes that already are metadata packets. Metadata is append-only:
    /// what was sent stays, so the clock and types must not change once sent.
    pub fn send_metadata(&mut self, h: StreamHandle, bytes: &[u8]) -> io::Result<()> {
        let s = self.stream_mut(h)?;
        if !s.metadata {
            return Err(invalid("send_metadata on a data stream"));
        }
        let packets = if packet::is_packetized(bytes) {
            vec![bytes.to_vec()]
        } else {
            if s.uuid.is_none() {
                s.uuid = packet::tsdl_uuid(bytes);
            }
            packet::packetize(bytes, &s.uuid.unwrap_or_default())
        };
        // Reconnecting re-sends the packets already kept: keep the new ones after it.
        let connected = self.ready();
        let s = &mut self.streams[h.0];
        let first_new = s.metadata_packets.len();
        s.metadata_packets.extend(packets);
        if connected {
            let Some(mut c) = self.conn.take() else {
                return Ok(());
            };
            let s = &self.streams[h.0];
            match send_metadata_packets(&mut c, h.0, &s.metadata_packets[first_new..]) {
                Ok(()) => self.conn = Some(c),
                Err(e) => self.lost(c, e),
            }
        }
        Ok(())
    }

    /// Sends one whole data packet (`packet_size / 8` bytes, padding included; only the
    /// content travels) with its index. Errors only for misuse; an unreachable relay gives
    /// `Delivery::Discarded`.
    pub fn send_packet(
        &mut self,
        h: StreamHandle,
        bytes: &[u8],
        index: &PacketIndex,
    ) -> io::Result<Delivery> {
        let s = self.stream_mut(h)?;
        if s.metadata || s.closed {
            return Err(invalid("send_packet on a metadata or closed stream"));
        }
        if index.packet_size != bytes.len() as u64 * 8 || index.content_size > index.packet_size {
            return Err(invalid("packet sizes disagree with the bytes given"));
        }
        let len = bytes.len() as u64;
        if self.ready() {
            if let Some(mut c) = self.conn.take() {
                match send_data(&mut c, h.0, bytes, index) {
                    Ok(()) => {
                        self.conn = Some(c);
                        let counts = &mut self.streams[h.0].counts;
                        counts.packets_sent += 1;
                        counts.bytes_sent += len;
                        return Ok(Delivery::Sent);
                    }
                    Err(e) => self.lost(c, e),
                }
            }
        }
        let counts = &mut self.streams[h.0].counts;
        counts.packets_discarded += 1;
        counts.bytes_discarded += len;
        Ok(Delivery::Discarded)
    }

    /// Tells live viewers that data stream `h` (of stream class `stream_id`) holds nothing
    /// new up to `timestamp` (an inactivity beacon, as LTTng's live timer sends), so they
    /// move past it. Only worth sending once the stream carried a packet: lttng-relayd
    /// ignores beacons before. Nothing is sent while the relay is unreachable.
    pub fn send_beacon(
        &mut self,
        h: StreamHandle,
        stream_id: u64,
        timestamp: u64,
    ) -> io::Result<()> {
        let s = self.stream_mut(h)?;
        if s.metadata || s.closed {
            return Err(invalid("send_beacon on a metadata or closed stream"));
        }
        let Some(mut c) = self.conn.take() else {
            return Ok(());
        };
        let r = remote(&c, h.0);
        let beacon = PacketIndex {
            timestamp_end: timestamp,
            stream_id,
            ..PacketIndex::default()
        };
        let msg = proto::index(r.handle, r.next_seq.wrapping_sub(1), &beacon);
        match call_code(&mut c.control, Command::SendIndex, &msg) {
            Ok(_) => self.conn = Some(c),
            Err(e) => self.lost(c, e),
        }
        Ok(())
    }

    /// Closes stream `h` on the relay (see `close_remote`; waits up to the I/O timeout).
    pub fn close_stream(&mut self, h: StreamHandle) -> io::Result<()> {
        let s = self.stream_mut(h)?;
        if s.closed {
            return Ok(());
        }
        s.closed = true;
        if let Some(mut c) = self.conn.take() {
            let deadline = Instant::now() + self.options.io_timeout;
            match close_remote(&mut c, h.0, deadline) {
                Ok(()) => self.conn = Some(c),
                Err(e) => self.lost(c, e),
            }
        }
        Ok(())
    }

    /// Waits (up to the I/O timeout) until the relay has written every packet sent, closes
    /// the open streams and disconnects. Returns the final status.
    pub fn close(mut self) -> Status {
        if let Some(mut c) = self.conn.take() {
            let deadline = Instant::now() + self.options.io_timeout;
            let open: Vec<usize> = (0..self.streams.len())
                .filter(|&i| !self.streams[i].closed)
                .collect();
            // No CLOSE_TRACE_CHUNK: lttng-relayd 2.13 then hangs up on live viewers before
            // they have read the last packets; closing the connection ends the session.
            let result = open
                .iter()
                .try_for_each(|&i| close_remote(&mut c, i, deadline));
            match result {
                Ok(()) => {
                    c.control.shutdown();
                    c.data.shutdown();
                }
                Err(e) => self.lost(c, e),
            }
            for i in open {
                self.streams[i].closed = true;
            }
        }
        self.status.connected = false;
        self.status()
    }

    /// The link state and the counters summed over all streams.
    pub fn status(&self) -> Status {
        let mut st = self.status.clone();
        st.counts = Counts::default();
        for s in &self.streams {
            st.counts.add(&s.counts);
        }
        st
    }

    fn stream_mut(&mut self, h: StreamHandle) -> io::Result<&mut Stream> {
        self.streams
            .get_mut(h.0)
            .ok_or_else(|| invalid("unknown stream handle"))
    }

    /// True when connected, reconnecting first if the link is down and the back-off allows,
    /// and publishing streams added since the last `STREAMS_SENT`.
    fn ready(&mut self) -> bool {
        if self.conn.is_none() && Instant::now() >= self.next_attempt {
            match self.establish() {
                Ok(c) => {
                    self.conn = Some(c);
                    self.status.connected = true;
                    self.status.reconnects += 1;
                    self.backoff = FIRST_BACKOFF;
                }
                Err(e) => {
                    self.status.last_error = Some(e.to_string());
                    self.next_attempt = Instant::now() + self.backoff;
                    self.backoff = (self.backoff * 2).min(self.options.max_backoff);
                }
            }
        }
        let Some(mut c) = self.conn.take() else {
            return false;
        };
        if c.unpublished {
            if let Err(e) = call_code(&mut c.control, Command::StreamsSent, &[]) {
                self.lost(c, e);
                return false;
            }
            c.unpublished = false;
        }
        self.conn = Some(c);
        true
    }

    /// Records the loss of the link; the next attempt waits for the back-off.
    fn lost(&mut self, mut c: Connection, e: io::Error) {
        c.control.shutdown();
        c.data.shutdown();
        self.status.connected = false;
        self.status.last_error = Some(e.to_string());
        self.next_attempt = Instant::now() + self.backoff;
    }

    /// Opens both connections, agrees on the version, creates the session and its chunk,
    /// adds the open streams and re-sends their metadata.
    fn establish(&mut self) -> io::Result<Connection> {
        let o = &self.options;
        let mut control = link::connect(
            &self.url,
            self.url.control_port,
            &self.security,
            o.connect_timeout,
        )?;
        let data = link::connect(
            &self.url,
            self.url.data_port,
            &self.security,
            o.connect_timeout,
        )?;
        let reply = call(
            &mut control,
            Command::Version,
            &proto::version(proto::MAJOR, proto::MINOR),
            8,
        )?;
        let (major, minor) = proto::parse_version(&reply).map_err(protocol)?;
        if major != proto::MAJOR || minor < proto::MIN_MINOR {
            return Err(refused(
                &control,
                format!("speaks protocol {major}.{minor}; 2.11 or later is needed"),
            ));
        }
        let created = now_secs().max(self.created + 1);
        self.created = created;
        let msg = proto::CreateSession {
            session_name: o.session_name.clone(),
            hostname: o.hostname.clone(),
            live_timer_us: o.live_timer_us,
            sessiond_uuid: self.sessiond_uuid,
            session_id: 1,
            creation_time: created,
        };
        let reply = call(
            &mut control,
            Command::CreateSession,
            &msg.encode(),
            proto::CREATE_SESSION_REPLY_LEN,
        )?;
        let (_, code, path_len) = proto::parse_create_session_reply(&reply).map_err(protocol)?;
        let path = control.recv(path_len.min(proto::PATH_MAX as u32) as usize)?;
        if code != proto::OK {
            return Err(refused(
                &control,
                format!(
                    "refused to create session {:?} for host {:?}",
                    o.session_name, o.hostname
                ),
            ));
        }
        self.status.output_path = Some(
            String::from_utf8_lossy(path.split(|&b| b == 0).next().unwrap_or_default())
                .into_owned(),
        );
        expect_ok(
            &mut control,
            Command::CreateTraceChunk,
            &proto::create_trace_chunk(CHUNK_ID, created),
        )?;
        let mut c = Connection {
            control,
            data,
            remotes: Vec::with_capacity(self.streams.len()),
            unpublished: false,
        };
        for s in &self.streams {
            if s.closed {
                c.remotes.push(None);
            } else {
                let r = add_remote(&mut c, s)?;
                c.remotes.push(Some(r));
                c.unpublished = true;
            }
        }
        if c.unpublished {
            expect_ok(&mut c.control, Command::StreamsSent, &[])?;
            c.unpublished = false;
        }
        for (i, s) in self.streams.iter().enumerate() {
            if s.metadata && !s.closed {
                send_metadata_packets(&mut c, i, &s.metadata_packets)?;
            }
        }
        Ok(c)
    }
}

fn remote(c: &Connection, i: usize) -> Remote {
    c.remotes.get(i).copied().flatten().unwrap_or(Remote {
        handle: u64::MAX,
        next_seq: 0,
    })
}

fn add_remote(c: &mut Connection, s: &Stream) -> io::Result<Remote> {
    let msg = proto::AddStream {
        channel_name: s.channel.clone(),
        pathname: s.path.clone(),
        trace_chunk_id: CHUNK_ID,
    };
    let reply = call(&mut c.control, Command::AddStream, &msg.encode(), 12)?;
    let (handle, code) = proto::parse_handle_reply(&reply).map_err(protocol)?;
    if code != proto::OK {
        return Err(refused(
            &c.control,
            format!("refused stream {:?} in {:?}", s.channel, s.path),
        ));
    }
    Ok(Remote {
        handle,
        next_seq: 0,
    })
}

fn send_metadata_packets(c: &mut Connection, i: usize, packets: &[Vec<u8>]) -> io::Result<()> {
    let handle = remote(c, i).handle;
    for p in packets {
        // No reply: lttng-relayd answers nothing to SEND_METADATA.
        let msg = proto::metadata_payload(handle, 0, p);
        c.control.send(&[
            &proto::Header::encode(Command::SendMetadata, msg.len()),
            &msg,
        ])?;
    }
    Ok(())
}

fn send_data(c: &mut Connection, i: usize, bytes: &[u8], index: &PacketIndex) -> io::Result<()> {
    let Some(r) = c.remotes.get_mut(i).and_then(|r| r.as_mut()) else {
        return Err(invalid("stream not open on the relay"));
    };
    let (handle, seq) = (r.handle, r.next_seq);
    r.next_seq += 1;
    let content = (index.content_size.div_ceil(8) as usize).min(bytes.len());
    let header = proto::DataHeader {
        handle,
        net_seq: seq,
        size: content as u32,
        padding: (bytes.len() - content) as u32,
    };
    c.data.send(&[&header.encode(), &bytes[..content]])?;
    let code = call_code(
        &mut c.control,
        Command::SendIndex,
        &proto::index(handle, seq, index),
    )?;
    if code != proto::OK {
        return Err(refused(
            &c.control,
            format!("refused the index of packet {seq}"),
        ));
    }
    Ok(())
}

/// Ends stream `i` on the relay as LTTng ends a session's streams: once the relay has written
/// its packets (`wait_written`), the stream is rotated to no trace chunk, then closed.
/// lttng-relayd 2.13 drops a stream's chunk when it is closed, and then hangs up on a live
/// viewer that has not read it to its end; after the rotation the viewer keeps reading the
/// chunk it was in until it has taken every packet. Only data streams that sent packets
/// are rotated: lttng-relayd would wait forever for the first packet of one that sent none
/// (and keep its viewers waiting too); metadata is complete once sent.
fn close_remote(c: &mut Connection, i: usize, deadline: Instant) -> io::Result<()> {
    let Some(r) = c.remotes.get(i).copied().flatten() else {
        return Ok(());
    };
    wait_written(c, i, deadline)?;
    let rotate = proto::rotate_streams_to_no_chunk(&[(r.handle, r.next_seq)]);
    if r.next_seq > 0 && call_code(&mut c.control, Command::RotateStreams, &rotate)? != proto::OK {
        return Err(refused(
            &c.control,
            "refused to rotate a stream out of its trace chunk".into(),
        ));
    }
    c.remotes[i] = None;
    call_code(
        &mut c.control,
        Command::CloseStream,
        &proto::close_stream(r.handle, r.next_seq.wrapping_sub(1)),
    )
    .map(|_| ())
}

/// Waits until the relay reports that it has written (data and index) every packet sent on
/// stream `i`. Packets and their indexes travel on two connections: once the control
/// connection closes, lttng-relayd hangs up on a live viewer that has taken every index
/// received so far, even while the last packets are still on their way. LTTng's session
/// daemon waits the same way (`lttng stop` waits for pending data) before ending a session.
fn wait_written(c: &mut Connection, i: usize, deadline: Instant) -> io::Result<()> {
    let r = remote(c, i);
    if r.handle == u64::MAX || r.next_seq == 0 {
        return Ok(());
    }
    let msg = proto::close_stream(r.handle, r.next_seq - 1);
    while call_code(&mut c.control, Command::DataPending, &msg)? != 0 {
        if Instant::now() >= deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("relay {}: data still pending at close", c.control.peer),
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}

/// Sends a command and receives a reply of `reply_len` bytes.
fn call(link: &mut Link, cmd: Command, payload: &[u8], reply_len: usize) -> io::Result<Vec<u8>> {
    link.send(&[&proto::Header::encode(cmd, payload.len()), payload])?;
    link.recv(reply_len)
}

/// Sends a command whose reply is a code; returns the code.
fn call_code(link: &mut Link, cmd: Command, payload: &[u8]) -> io::Result<u32> {
    let reply = call(link, cmd, payload, 4)?;
    proto::parse_code(&reply).map_err(protocol)
}

fn expect_ok(link: &mut Link, cmd: Command, payload: &[u8]) -> io::Result<()> {
    match call_code(link, cmd, payload)? {
        proto::OK => Ok(()),
        code => Err(refused(
            link,
            format!("answered {cmd:?} with error code {code}"),
        )),
    }
}

fn refused(link: &Link, what: String) -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionRefused,
        format!("relay {}: {what}", link.peer),
    )
}

fn protocol(e: proto::Malformed) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("relay sent a malformed reply: {e}"),
    )
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what.to_owned())
}

/// Names travel NUL-terminated: no NUL inside, not empty, bounded.
fn check_name(what: &str, name: &str) -> io::Result<()> {
    if name.is_empty() || name.contains('\0') || name.len() >= proto::NAME_MAX {
        return Err(invalid(&format!(
            "{what} {name:?}: empty, too long or with a NUL byte"
        )));
    }
    Ok(())
}

fn check_path(path: &str) -> io::Result<()> {
    if path.contains('\0') || path.starts_with('/') || path.split('/').any(|c| c == "..") {
        return Err(invalid(&format!(
            "stream path {path:?}: must be relative, without .."
        )));
    }
    Ok(())
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// A random, never all-zero, identifier for this sending instance.
fn random_uuid() -> io::Result<[u8; 16]> {
    use std::io::Read;
    let mut u = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut u)?;
    u[0] |= 1;
    Ok(u)
}
