//! The control protocol, version 2: small binary messages, one per
//! SOCK_SEQPACKET datagram, at most `MAX_MESSAGE` bytes.
//!
//! Every message starts with a 16-byte header, little-endian:
//! `magic u32 ("UST1") | version u16 | kind u16 | seq u32 | status i32`.
//! A reply carries the request's `seq` and a `status` (0 or an `Error`
//! code). Bodies are sequences of fixed-size integers and length-prefixed
//! strings (u16 length, at most `MAX_STRING` bytes, UTF-8); every count is
//! checked against the bytes actually present, so decoding never allocates
//! more than the datagram holds and never reads past it, and trailing bytes
//! are an error.
//!
//! Conversation: a program connects and sends `AppHello`, one `AppEvent`
//! per event it can record and `Ready` (announcements complete), none of
//! which is answered; more `AppEvent`s may follow at any time (a provider
//! loaded later). The daemon sends commands (`Channel`, `Enable`,
//! `Disable`, `Flush`, `Release`) that the program answers with `Ack`, and
//! `Ready` (unanswered) once the program's initial setup is done. The `ust` command sends `CtlHello`, then one
//! `Ctl` request per command.

use crate::schema::{EnumLabel, EventSchema, Field, FieldType, Int};

pub const MAGIC: u32 = u32::from_le_bytes(*b"UST1");
pub const VERSION: u16 = 2;
pub const HEADER_LEN: usize = 16;
/// Largest datagram either side sends or accepts.
pub const MAX_MESSAGE: usize = 65536;
/// Largest string in a message.
pub const MAX_STRING: usize = 4096;
/// Most CPUs (and so descriptors) a `Channel` reply may carry.
pub const MAX_CPUS: usize = 1024;

/// Status codes of replies (stable numbers; retired ones stay reserved).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Error {
    BadMessage = 1,
    UnsupportedVersion = 2,
    NoSuchSession = 3,
    SessionExists = 4,
    PermissionDenied = 5,
    BadArgument = 6,
    Io = 7,
    WrongState = 8,
    Internal = 9,
    TooManySessions = 10,
    NoSuchChannel = 11,
    OutOfMemory = 12,
    BadFilter = 13,
}

impl Error {
    /// The code of a reply status, if it is a known error.
    pub fn from_code(code: i32) -> Option<Error> {
        use Error::*;
        [
            BadMessage,
            UnsupportedVersion,
            NoSuchSession,
            SessionExists,
            PermissionDenied,
            BadArgument,
            Io,
            WrongState,
            Internal,
            TooManySessions,
            NoSuchChannel,
            OutOfMemory,
            BadFilter,
        ]
        .into_iter()
        .find(|e| *e as i32 == code)
    }

    /// A short description, for command-line messages.
    pub fn describe(self) -> &'static str {
        match self {
            Error::BadMessage => "malformed message",
            Error::UnsupportedVersion => "unsupported protocol version",
            Error::NoSuchSession => "no such session",
            Error::SessionExists => "a session with this name exists",
            Error::PermissionDenied => "permission denied",
            Error::BadArgument => "invalid argument",
            Error::Io => "I/O error",
            Error::WrongState => "not possible in the session's current state",
            Error::Internal => "internal error",
            Error::TooManySessions => "too many sessions",
            Error::NoSuchChannel => "no such channel",
            Error::OutOfMemory => "not enough memory for the buffers",
            Error::BadFilter => "invalid filter expression",
        }
    }
}

/// Why a datagram could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    Truncated,
    TooLong,
    BadMagic,
    Version(u16),
    UnknownKind(u16),
    BadUtf8,
    BadValue(&'static str),
    TrailingBytes,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Truncated => write!(f, "truncated message"),
            DecodeError::TooLong => write!(f, "message or string too long"),
            DecodeError::BadMagic => write!(f, "not a UST message"),
            DecodeError::Version(v) => write!(f, "protocol version {v} (this is {VERSION})"),
            DecodeError::UnknownKind(k) => write!(f, "unknown message kind {k}"),
            DecodeError::BadUtf8 => write!(f, "string is not UTF-8"),
            DecodeError::BadValue(what) => write!(f, "invalid {what}"),
            DecodeError::TrailingBytes => write!(f, "trailing bytes"),
        }
    }
}

/// First message of a program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppHello {
    pub pid: u32,
    pub ppid: u32,
    pub abi_major: u16,
    pub abi_minor: u16,
    pub ncpu: u32,
    pub procname: String,
}

/// Ring buffer settings the daemon asks a program to create.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelSpec {
    pub session: u32,
    /// The channel's number in the session (its CTF stream class id).
    pub channel: u32,
    pub subbuf_size: u64,
    pub num_subbuf: u32,
    pub overwrite: bool,
    /// 0: TSC, 1: CLOCK_MONOTONIC.
    pub clock: u8,
    /// How long a writer may wait for room, in µs: 0 never (discard), -1 forever.
    pub blocking_timeout_us: i64,
}

/// A channel's settings, from `ust enable-channel`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelConfig {
    pub session: String,
    pub name: String,
    /// 0: the session's default.
    pub subbuf_size: u64,
    /// 0: the session's default.
    pub num_subbuf: u32,
    pub overwrite: bool,
    /// As `ChannelSpec::blocking_timeout_us`.
    pub blocking_timeout_us: i64,
}

/// What `ust status` shows of one channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelInfo {
    pub name: String,
    pub subbuf_size: u64,
    pub num_subbuf: u32,
    pub overwrite: bool,
    pub blocking_timeout_us: i64,
    pub events: u64,
    pub discarded: u64,
    pub bytes: u64,
}

/// A session's settings, from `ust create`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CreateSession {
    pub name: String,
    /// The trace directory (absolute); empty for a relay session.
    pub output: String,
    pub subbuf_size: u64,
    pub num_subbuf: u32,
    pub overwrite: bool,
    /// The default channel's: see `ChannelSpec::blocking_timeout_us`.
    pub blocking_timeout_us: i64,
    /// A flight recorder: overwrite mode, written only by snapshots.
    pub snapshot: bool,
    /// Stream to this relay (`net://…` or `tls://…`) instead; empty: none.
    pub relay: String,
    /// Key directory for a `tls://` relay (`ca.pem`, `daemon.pem`,
    /// `daemon.key`); empty: none.
    pub keys: String,
    /// Live timer of a relay session, in µs (0: not for live viewers).
    pub live_timer_us: u32,
}

/// `ust snapshot`: write what a flight recorder's buffers hold now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SnapshotRequest {
    pub session: String,
    /// Directory to make the snapshot's directory in (absolute); empty:
    /// the session's output.
    pub output: String,
    /// Largest snapshot in bytes; 0: no bound.
    pub max_size: u64,
}

/// `ust snapshot --on-event`: a snapshot taken by the daemon when an event
/// matching `glob` (and `filter`, if any) is recorded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trigger {
    pub snapshot: SnapshotRequest,
    /// Event-name pattern; empty: remove the session's trigger.
    pub glob: String,
    /// A filter expression; empty: none.
    pub filter: String,
    /// Least time between two snapshots, in ms.
    pub min_interval_ms: u64,
}

/// What a snapshot or a rotation wrote: its directory and what it holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub path: String,
    pub events: u64,
    pub bytes: u64,
    /// Events that could not be written (a full disk), and why.
    pub lost: u64,
    pub problem: String,
}

/// A relay session's link, as `ust status` shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RelayInfo {
    pub url: String,
    pub connected: bool,
    /// Where the relay writes the trace (`HOSTNAME/SESSION-DATE-TIME`).
    pub path: String,
    pub reconnects: u64,
    pub packets_sent: u64,
    pub bytes_sent: u64,
    /// Packets, and their events, lost while the relay was unreachable.
    pub packets_lost: u64,
    pub events_lost: u64,
    /// Why the link was last lost; empty: never.
    pub error: String,
}

/// Where a session's trace goes, as `ust status` shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutputInfo {
    /// 0: a trace on disk; 1: a flight recorder; 2: streamed to a relay.
    pub mode: u8,
    /// The chunk being written, relative to the output (empty: the output
    /// itself, or none).
    pub chunk: String,
    /// Closed chunks (`archives/BEGIN-END-N`), oldest first; the newest
    /// ones when there are too many to list.
    pub archives: Vec<String>,
    pub archived: u64,
    /// Automatic rotation: bytes, and ms (0: none).
    pub rotate_size: u64,
    pub rotate_timer_ms: u64,
    pub snapshots: u64,
    pub last_snapshot: String,
    /// The snapshot trigger, in words; empty: none.
    pub trigger: String,
    pub relay: Option<RelayInfo>,
    pub kernel: Option<KernelInfo>,
}

/// A session's kernel recording (`ust enable-kernel`), as `ust status` shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KernelInfo {
    /// The categories, as given (`sched,syscalls`).
    pub categories: String,
    /// Ring buffer bytes per CPU.
    pub buffer_size: u64,
    /// The kernel trace being (or last) written, relative to the output.
    pub dir: String,
    pub recording: bool,
    /// Over every start of the session: events written, events the kernel
    /// lost (full rings), bytes of stream files.
    pub events: u64,
    pub lost: u64,
    pub bytes: u64,
}

/// What `ust status` and `ust list` report of a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    pub name: String,
    pub output: String,
    /// 0 created, 1 started, 2 stopped.
    pub state: u8,
    pub apps: u32,
    pub events: u64,
    pub discarded: u64,
    pub bytes: u64,
    pub channels: Vec<ChannelInfo>,
    /// Problems the session ran into (disk full, programs lost, ...).
    pub errors: Vec<String>,
    pub outputs: Box<OutputInfo>,
}

/// A registered program, as `ust list` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppInfo {
    pub pid: u32,
    pub uid: u32,
    pub procname: String,
    pub events: Vec<String>,
}

/// A request of the `ust` command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ctl {
    Create(CreateSession),
    EnableChannel(ChannelConfig),
    Enable {
        session: String,
        /// Empty: the default channel.
        channel: String,
        loglevel: Option<i32>,
        globs: Vec<String>,
        /// A filter expression; empty: none.
        filter: String,
    },
    Disable {
        session: String,
        channel: String,
        globs: Vec<String>,
    },
    Start {
        session: String,
    },
    Stop {
        session: String,
    },
    Destroy {
        session: String,
    },
    Status {
        session: String,
    },
    List,
    Snapshot(SnapshotRequest),
    Rotate {
        session: String,
    },
    /// Automatic rotation: by size (bytes) and by time (ms); 0 and 0
    /// turn it off.
    EnableRotation {
        session: String,
        size: u64,
        timer_ms: u64,
    },
    Trigger(Trigger),
    /// Record kernel events of these categories (`sched,irq,syscalls`)
    /// beside the session's userspace trace, from each start to each stop.
    EnableKernel {
        session: String,
        categories: String,
        /// Ring buffer bytes per CPU; 0: the default.
        buffer_size: u64,
    },
}

/// Every message of the protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    AppHello(AppHello),
    CtlHello,
    AppEvent(EventSchema),
    Channel(ChannelSpec),
    Enable {
        session: u32,
        channel: u32,
        event_id: u32,
        name: String,
        /// The event is recorded if any filter accepts it; none: always.
        filters: Vec<String>,
    },
    Disable {
        session: u32,
        channel: u32,
        name: String,
    },
    Flush {
        session: u32,
    },
    Release {
        session: u32,
    },
    Ready,
    Ctl(Ctl),
    /// A reply without data.
    Ack,
    /// A reply saying what went wrong, in words (with a non-zero status).
    Refused(String),
    SessionInfo(SessionInfo),
    List {
        sessions: Vec<SessionInfo>,
        apps: Vec<AppInfo>,
    },
    /// The reply to `Snapshot` and `Rotate`.
    Written(Written),
}

mod kind {
    pub const APP_HELLO: u16 = 1;
    pub const CTL_HELLO: u16 = 2;
    pub const APP_EVENT: u16 = 10;
    pub const CHANNEL: u16 = 20;
    pub const ENABLE: u16 = 21;
    pub const DISABLE: u16 = 22;
    pub const FLUSH: u16 = 23;
    pub const RELEASE: u16 = 24;
    pub const READY: u16 = 25;
    pub const CTL_CREATE: u16 = 40;
    pub const CTL_ENABLE: u16 = 41;
    pub const CTL_DISABLE: u16 = 42;
    pub const CTL_START: u16 = 43;
    pub const CTL_STOP: u16 = 44;
    pub const CTL_DESTROY: u16 = 45;
    pub const CTL_STATUS: u16 = 46;
    pub const CTL_LIST: u16 = 47;
    pub const CTL_ENABLE_CHANNEL: u16 = 48;
    pub const CTL_SNAPSHOT: u16 = 49;
    pub const CTL_ROTATE: u16 = 50;
    pub const CTL_ENABLE_ROTATION: u16 = 51;
    pub const CTL_TRIGGER: u16 = 52;
    pub const CTL_ENABLE_KERNEL: u16 = 53;
    pub const ACK: u16 = 100;
    pub const REFUSED: u16 = 103;
    pub const SESSION_INFO: u16 = 101;
    pub const LIST: u16 = 102;
    pub const WRITTEN: u16 = 104;
}

/// A decoded datagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub seq: u32,
    /// 0, or an `Error` code (replies only).
    pub status: i32,
    pub message: Message,
}

// ---- encoding -------------------------------------------------------------

#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i32(&mut self, v: i32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    /// Strings longer than `MAX_STRING` are cut at a character boundary.
    fn str(&mut self, s: &str) {
        let mut end = s.len().min(MAX_STRING);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        self.u16(end as u16);
        self.0.extend_from_slice(&s.as_bytes()[..end]);
    }
    fn strs(&mut self, v: &[String]) {
        self.u16(v.len() as u16);
        v.iter().for_each(|s| self.str(s));
    }
    fn int(&mut self, i: &Int) {
        self.u8(i.bits as u8);
        self.u8(i.signed as u8 | (i.hex as u8) << 1 | (i.network as u8) << 2 | (i.text as u8) << 3);
    }
    fn schema(&mut self, e: &EventSchema) {
        self.str(&e.name);
        self.i32(e.loglevel);
        self.str(&e.signature);
        self.str(e.model_emf_uri.as_deref().unwrap_or(""));
        self.u16(e.fields.len() as u16);
        for f in &e.fields {
            self.str(&f.name);
            match &f.ty {
                FieldType::Integer(i) => {
                    self.u8(1);
                    self.int(i);
                }
                FieldType::Float { bits } => {
                    self.u8(2);
                    self.u8(*bits as u8);
                }
                FieldType::String => self.u8(3),
                FieldType::Array { elem, len } => {
                    self.u8(4);
                    self.int(elem);
                    self.u32(*len);
                }
                FieldType::Sequence { elem, len_int } => {
                    self.u8(5);
                    self.int(elem);
                    self.int(len_int);
                }
                FieldType::Enum { container, labels } => {
                    self.u8(6);
                    self.int(container);
                    self.u32(labels.len() as u32);
                    for l in labels {
                        self.str(&l.label);
                        self.i64(l.start);
                        self.i64(l.end);
                    }
                }
            }
        }
    }
    fn session_info(&mut self, s: &SessionInfo) {
        self.str(&s.name);
        self.str(&s.output);
        self.u8(s.state);
        self.u32(s.apps);
        self.u64(s.events);
        self.u64(s.discarded);
        self.u64(s.bytes);
        self.u16(s.channels.len() as u16);
        for c in &s.channels {
            self.str(&c.name);
            self.u64(c.subbuf_size);
            self.u32(c.num_subbuf);
            self.u8(c.overwrite as u8);
            self.i64(c.blocking_timeout_us);
            self.u64(c.events);
            self.u64(c.discarded);
            self.u64(c.bytes);
        }
        self.strs(&s.errors);
        self.outputs(&s.outputs);
    }
    fn outputs(&mut self, o: &OutputInfo) {
        self.u8(o.mode);
        self.str(&o.chunk);
        self.strs(&o.archives);
        self.u64(o.archived);
        self.u64(o.rotate_size);
        self.u64(o.rotate_timer_ms);
        self.u64(o.snapshots);
        self.str(&o.last_snapshot);
        self.str(&o.trigger);
        match &o.relay {
            None => self.u8(0),
            Some(r) => {
                self.u8(1);
                self.str(&r.url);
                self.u8(r.connected as u8);
                self.str(&r.path);
                self.u64(r.reconnects);
                self.u64(r.packets_sent);
                self.u64(r.bytes_sent);
                self.u64(r.packets_lost);
                self.u64(r.events_lost);
                self.str(&r.error);
            }
        }
        match &o.kernel {
            None => self.u8(0),
            Some(k) => {
                self.u8(1);
                self.str(&k.categories);
                self.u64(k.buffer_size);
                self.str(&k.dir);
                self.u8(k.recording as u8);
                self.u64(k.events);
                self.u64(k.lost);
                self.u64(k.bytes);
            }
        }
    }
    fn snapshot_request(&mut self, r: &SnapshotRequest) {
        self.str(&r.session);
        self.str(&r.output);
        self.u64(r.max_size);
    }
}

/// The bytes `s` takes in a message (to fill a `List` reply).
pub fn session_info_len(s: &SessionInfo) -> usize {
    let mut w = Writer::default();
    w.session_info(s);
    w.0.len()
}

fn kind_and_body(m: &Message) -> (u16, Vec<u8>) {
    let mut w = Writer::default();
    let k = match m {
        Message::AppHello(h) => {
            w.u32(h.pid);
            w.u32(h.ppid);
            w.u16(h.abi_major);
            w.u16(h.abi_minor);
            w.u32(h.ncpu);
            w.str(&h.procname);
            kind::APP_HELLO
        }
        Message::CtlHello => kind::CTL_HELLO,
        Message::AppEvent(e) => {
            w.schema(e);
            kind::APP_EVENT
        }
        Message::Channel(c) => {
            w.u32(c.session);
            w.u32(c.channel);
            w.u64(c.subbuf_size);
            w.u32(c.num_subbuf);
            w.u8(c.overwrite as u8);
            w.u8(c.clock);
            w.i64(c.blocking_timeout_us);
            kind::CHANNEL
        }
        Message::Enable {
            session,
            channel,
            event_id,
            name,
            filters,
        } => {
            w.u32(*session);
            w.u32(*channel);
            w.u32(*event_id);
            w.str(name);
            w.strs(filters);
            kind::ENABLE
        }
        Message::Disable {
            session,
            channel,
            name,
        } => {
            w.u32(*session);
            w.u32(*channel);
            w.str(name);
            kind::DISABLE
        }
        Message::Flush { session } => {
            w.u32(*session);
            kind::FLUSH
        }
        Message::Release { session } => {
            w.u32(*session);
            kind::RELEASE
        }
        Message::Ready => kind::READY,
        Message::Ctl(c) => ctl_body(&mut w, c),
        Message::Ack => kind::ACK,
        Message::Refused(text) => {
            w.str(text);
            kind::REFUSED
        }
        Message::SessionInfo(s) => {
            w.session_info(s);
            kind::SESSION_INFO
        }
        Message::List { sessions, apps } => {
            w.u16(sessions.len() as u16);
            sessions.iter().for_each(|s| w.session_info(s));
            w.u16(apps.len() as u16);
            for a in apps {
                w.u32(a.pid);
                w.u32(a.uid);
                w.str(&a.procname);
                w.strs(&a.events);
            }
            kind::LIST
        }
        Message::Written(o) => {
            w.str(&o.path);
            w.u64(o.events);
            w.u64(o.bytes);
            w.u64(o.lost);
            w.str(&o.problem);
            kind::WRITTEN
        }
    };
    (k, w.0)
}

fn ctl_body(w: &mut Writer, c: &Ctl) -> u16 {
    match c {
        Ctl::Create(s) => {
            w.str(&s.name);
            w.str(&s.output);
            w.u64(s.subbuf_size);
            w.u32(s.num_subbuf);
            w.u8(s.overwrite as u8);
            w.i64(s.blocking_timeout_us);
            w.u8(s.snapshot as u8);
            w.str(&s.relay);
            w.str(&s.keys);
            w.u32(s.live_timer_us);
            kind::CTL_CREATE
        }
        Ctl::EnableChannel(c) => {
            w.str(&c.session);
            w.str(&c.name);
            w.u64(c.subbuf_size);
            w.u32(c.num_subbuf);
            w.u8(c.overwrite as u8);
            w.i64(c.blocking_timeout_us);
            kind::CTL_ENABLE_CHANNEL
        }
        Ctl::Enable {
            session,
            channel,
            loglevel,
            globs,
            filter,
        } => {
            w.str(session);
            w.str(channel);
            w.i32(loglevel.unwrap_or(-1));
            w.strs(globs);
            w.str(filter);
            kind::CTL_ENABLE
        }
        Ctl::Disable {
            session,
            channel,
            globs,
        } => {
            w.str(session);
            w.str(channel);
            w.strs(globs);
            kind::CTL_DISABLE
        }
        Ctl::Start { session } => named(w, session, kind::CTL_START),
        Ctl::Stop { session } => named(w, session, kind::CTL_STOP),
        Ctl::Destroy { session } => named(w, session, kind::CTL_DESTROY),
        Ctl::Status { session } => named(w, session, kind::CTL_STATUS),
        Ctl::List => kind::CTL_LIST,
        Ctl::Snapshot(r) => {
            w.snapshot_request(r);
            kind::CTL_SNAPSHOT
        }
        Ctl::Rotate { session } => named(w, session, kind::CTL_ROTATE),
        Ctl::EnableRotation {
            session,
            size,
            timer_ms,
        } => {
            w.str(session);
            w.u64(*size);
            w.u64(*timer_ms);
            kind::CTL_ENABLE_ROTATION
        }
        Ctl::Trigger(t) => {
            w.snapshot_request(&t.snapshot);
            w.str(&t.glob);
            w.str(&t.filter);
            w.u64(t.min_interval_ms);
            kind::CTL_TRIGGER
        }
        Ctl::EnableKernel {
            session,
            categories,
            buffer_size,
        } => {
            w.str(session);
            w.str(categories);
            w.u64(*buffer_size);
            kind::CTL_ENABLE_KERNEL
        }
    }
}

fn named(w: &mut Writer, name: &str, k: u16) -> u16 {
    w.str(name);
    k
}

/// Encodes a message with its sequence number and status.
pub fn encode(seq: u32, status: i32, m: &Message) -> Vec<u8> {
    let (k, body) = kind_and_body(m);
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(&MAGIC.to_le_bytes());
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&k.to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&status.to_le_bytes());
    out.extend_from_slice(&body);
    out
}

// ---- decoding -------------------------------------------------------------

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

type R<T> = Result<T, DecodeError>;

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> R<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or(DecodeError::Truncated)?;
        let s = self.data.get(self.pos..end).ok_or(DecodeError::Truncated)?;
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> R<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> R<u16> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().unwrap()))
    }
    fn u32(&mut self) -> R<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn i32(&mut self) -> R<i32> {
        Ok(i32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn u64(&mut self) -> R<u64> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().unwrap()))
    }
    fn i64(&mut self) -> R<i64> {
        Ok(i64::from_le_bytes(self.take(8)?.try_into().unwrap()))
    }
    fn bool(&mut self) -> R<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(DecodeError::BadValue("boolean")),
        }
    }
    fn str(&mut self) -> R<String> {
        let n = self.u16()? as usize;
        if n > MAX_STRING {
            return Err(DecodeError::TooLong);
        }
        let bytes = self.take(n)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| DecodeError::BadUtf8)
    }
    /// A count of items each at least `min_size` bytes long, checked
    /// against the bytes left so no allocation exceeds the datagram.
    fn count(&mut self, n: usize, min_size: usize) -> R<usize> {
        if n.saturating_mul(min_size) > self.data.len() - self.pos {
            return Err(DecodeError::Truncated);
        }
        Ok(n)
    }
    fn strs(&mut self) -> R<Vec<String>> {
        let n = self.u16()? as usize;
        let n = self.count(n, 2)?;
        (0..n).map(|_| self.str()).collect()
    }
    fn int(&mut self) -> R<Int> {
        let bits = self.u8()? as u32;
        let flags = self.u8()?;
        if ![8, 16, 32, 64].contains(&bits) || flags > 0xf {
            return Err(DecodeError::BadValue("integer type"));
        }
        Ok(Int {
            bits,
            signed: flags & 1 != 0,
            hex: flags & 2 != 0,
            network: flags & 4 != 0,
            text: flags & 8 != 0,
        })
    }
    fn field(&mut self) -> R<Field> {
        let name = self.str()?;
        let ty = match self.u8()? {
            1 => FieldType::Integer(self.int()?),
            2 => match self.u8()? {
                bits @ (32 | 64) => FieldType::Float { bits: bits as u32 },
                _ => return Err(DecodeError::BadValue("float size")),
            },
            3 => FieldType::String,
            4 => FieldType::Array {
                elem: self.int()?,
                len: self.u32()?,
            },
            5 => FieldType::Sequence {
                elem: self.int()?,
                len_int: self.int()?,
            },
            6 => {
                let container = self.int()?;
                let n = self.u32()? as usize;
                let n = self.count(n, 18)?;
                let labels = (0..n)
                    .map(|_| {
                        Ok(EnumLabel {
                            label: self.str()?,
                            start: self.i64()?,
                            end: self.i64()?,
                        })
                    })
                    .collect::<R<Vec<_>>>()?;
                FieldType::Enum { container, labels }
            }
            _ => return Err(DecodeError::BadValue("field type")),
        };
        Ok(Field { name, ty })
    }
    fn schema(&mut self) -> R<EventSchema> {
        let name = self.str()?;
        let loglevel = self.i32()?;
        if !(0..=14).contains(&loglevel) {
            return Err(DecodeError::BadValue("log level"));
        }
        let signature = self.str()?;
        let model_emf_uri = Some(self.str()?).filter(|uri| !uri.is_empty());
        let n = self.u16()? as usize;
        let n = self.count(n, 3)?;
        let fields = (0..n).map(|_| self.field()).collect::<R<Vec<_>>>()?;
        Ok(EventSchema {
            name,
            loglevel,
            signature,
            fields,
            model_emf_uri,
        })
    }
    fn session_info(&mut self) -> R<SessionInfo> {
        Ok(SessionInfo {
            name: self.str()?,
            output: self.str()?,
            state: self.u8()?,
            apps: self.u32()?,
            events: self.u64()?,
            discarded: self.u64()?,
            bytes: self.u64()?,
            channels: {
                let n = self.u16()? as usize;
                let n = self.count(n, 47)?;
                (0..n)
                    .map(|_| {
                        Ok(ChannelInfo {
                            name: self.str()?,
                            subbuf_size: self.u64()?,
                            num_subbuf: self.u32()?,
                            overwrite: self.bool()?,
                            blocking_timeout_us: self.i64()?,
                            events: self.u64()?,
                            discarded: self.u64()?,
                            bytes: self.u64()?,
                        })
                    })
                    .collect::<R<Vec<_>>>()?
            },
            errors: self.strs()?,
            outputs: Box::new(self.outputs()?),
        })
    }
    fn outputs(&mut self) -> R<OutputInfo> {
        Ok(OutputInfo {
            mode: match self.u8()? {
                m @ 0..=2 => m,
                _ => return Err(DecodeError::BadValue("output mode")),
            },
            chunk: self.str()?,
            archives: self.strs()?,
            archived: self.u64()?,
            rotate_size: self.u64()?,
            rotate_timer_ms: self.u64()?,
            snapshots: self.u64()?,
            last_snapshot: self.str()?,
            trigger: self.str()?,
            relay: match self.bool()? {
                false => None,
                true => Some(RelayInfo {
                    url: self.str()?,
                    connected: self.bool()?,
                    path: self.str()?,
                    reconnects: self.u64()?,
                    packets_sent: self.u64()?,
                    bytes_sent: self.u64()?,
                    packets_lost: self.u64()?,
                    events_lost: self.u64()?,
                    error: self.str()?,
                }),
            },
            kernel: match self.bool()? {
                false => None,
                true => Some(KernelInfo {
                    categories: self.str()?,
                    buffer_size: self.u64()?,
                    dir: self.str()?,
                    recording: self.bool()?,
                    events: self.u64()?,
                    lost: self.u64()?,
                    bytes: self.u64()?,
                }),
            },
        })
    }
    fn snapshot_request(&mut self) -> R<SnapshotRequest> {
        Ok(SnapshotRequest {
            session: self.str()?,
            output: self.str()?,
            max_size: self.u64()?,
        })
    }
}

fn decode_body(k: u16, r: &mut Reader) -> R<Message> {
    Ok(match k {
        kind::APP_HELLO => Message::AppHello(AppHello {
            pid: r.u32()?,
            ppid: r.u32()?,
            abi_major: r.u16()?,
            abi_minor: r.u16()?,
            ncpu: r.u32()?,
            procname: r.str()?,
        }),
        kind::CTL_HELLO => Message::CtlHello,
        kind::APP_EVENT => Message::AppEvent(r.schema()?),
        kind::CHANNEL => Message::Channel(ChannelSpec {
            session: r.u32()?,
            channel: r.u32()?,
            subbuf_size: r.u64()?,
            num_subbuf: r.u32()?,
            overwrite: r.bool()?,
            clock: r.u8()?,
            blocking_timeout_us: r.i64()?,
        }),
        kind::ENABLE => Message::Enable {
            session: r.u32()?,
            channel: r.u32()?,
            event_id: r.u32()?,
            name: r.str()?,
            filters: r.strs()?,
        },
        kind::DISABLE => Message::Disable {
            session: r.u32()?,
            channel: r.u32()?,
            name: r.str()?,
        },
        kind::FLUSH => Message::Flush { session: r.u32()? },
        kind::RELEASE => Message::Release { session: r.u32()? },
        kind::READY => Message::Ready,
        kind::CTL_CREATE => Message::Ctl(Ctl::Create(CreateSession {
            name: r.str()?,
            output: r.str()?,
            subbuf_size: r.u64()?,
            num_subbuf: r.u32()?,
            overwrite: r.bool()?,
            blocking_timeout_us: r.i64()?,
            snapshot: r.bool()?,
            relay: r.str()?,
            keys: r.str()?,
            live_timer_us: r.u32()?,
        })),
        kind::CTL_SNAPSHOT => Message::Ctl(Ctl::Snapshot(r.snapshot_request()?)),
        kind::CTL_ROTATE => Message::Ctl(Ctl::Rotate { session: r.str()? }),
        kind::CTL_ENABLE_ROTATION => Message::Ctl(Ctl::EnableRotation {
            session: r.str()?,
            size: r.u64()?,
            timer_ms: r.u64()?,
        }),
        kind::CTL_TRIGGER => Message::Ctl(Ctl::Trigger(Trigger {
            snapshot: r.snapshot_request()?,
            glob: r.str()?,
            filter: r.str()?,
            min_interval_ms: r.u64()?,
        })),
        kind::CTL_ENABLE_KERNEL => Message::Ctl(Ctl::EnableKernel {
            session: r.str()?,
            categories: r.str()?,
            buffer_size: r.u64()?,
        }),
        kind::CTL_ENABLE_CHANNEL => Message::Ctl(Ctl::EnableChannel(ChannelConfig {
            session: r.str()?,
            name: r.str()?,
            subbuf_size: r.u64()?,
            num_subbuf: r.u32()?,
            overwrite: r.bool()?,
            blocking_timeout_us: r.i64()?,
        })),
        kind::CTL_ENABLE => {
            let session = r.str()?;
            let channel = r.str()?;
            let level = r.i32()?;
            let loglevel = match level {
                -1 => None,
                0..=14 => Some(level),
                _ => return Err(DecodeError::BadValue("log level")),
            };
            Message::Ctl(Ctl::Enable {
                session,
                channel,
                loglevel,
                globs: r.strs()?,
                filter: r.str()?,
            })
        }
        kind::CTL_DISABLE => Message::Ctl(Ctl::Disable {
            session: r.str()?,
            channel: r.str()?,
            globs: r.strs()?,
        }),
        kind::CTL_START => Message::Ctl(Ctl::Start { session: r.str()? }),
        kind::CTL_STOP => Message::Ctl(Ctl::Stop { session: r.str()? }),
        kind::CTL_DESTROY => Message::Ctl(Ctl::Destroy { session: r.str()? }),
        kind::CTL_STATUS => Message::Ctl(Ctl::Status { session: r.str()? }),
        kind::CTL_LIST => Message::Ctl(Ctl::List),
        kind::ACK => Message::Ack,
        kind::REFUSED => Message::Refused(r.str()?),
        kind::SESSION_INFO => Message::SessionInfo(r.session_info()?),
        kind::WRITTEN => Message::Written(Written {
            path: r.str()?,
            events: r.u64()?,
            bytes: r.u64()?,
            lost: r.u64()?,
            problem: r.str()?,
        }),
        kind::LIST => {
            let n = r.u16()? as usize;
            let n = r.count(n, 37)?;
            let sessions = (0..n).map(|_| r.session_info()).collect::<R<Vec<_>>>()?;
            let n = r.u16()? as usize;
            let n = r.count(n, 12)?;
            let apps = (0..n)
                .map(|_| {
                    Ok(AppInfo {
                        pid: r.u32()?,
                        uid: r.u32()?,
                        procname: r.str()?,
                        events: r.strs()?,
                    })
                })
                .collect::<R<Vec<_>>>()?;
            Message::List { sessions, apps }
        }
        other => return Err(DecodeError::UnknownKind(other)),
    })
}

/// Decodes one datagram.
pub fn decode(data: &[u8]) -> Result<Frame, DecodeError> {
    if data.len() > MAX_MESSAGE {
        return Err(DecodeError::TooLong);
    }
    let mut r = Reader { data, pos: 0 };
    if r.u32()? != MAGIC {
        return Err(DecodeError::BadMagic);
    }
    let version = r.u16()?;
    if version != VERSION {
        return Err(DecodeError::Version(version));
    }
    let k = r.u16()?;
    let seq = r.u32()?;
    let status = r.i32()?;
    let message = decode_body(k, &mut r)?;
    if r.pos != data.len() {
        return Err(DecodeError::TrailingBytes);
    }
    Ok(Frame {
        seq,
        status,
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(bits: u32) -> Int {
        Int {
            bits,
            signed: true,
            hex: false,
            network: false,
            text: false,
        }
    }

    /// One message of every kind.
    pub(super) fn samples() -> Vec<Message> {
        let schema = EventSchema {
            name: "p:e".into(),
            loglevel: 6,
            signature: "(sig)".into(),
            fields: vec![
                Field {
                    name: "a".into(),
                    ty: FieldType::Integer(int(32)),
                },
                Field {
                    name: "b".into(),
                    ty: FieldType::Float { bits: 64 },
                },
                Field {
                    name: "c".into(),
                    ty: FieldType::String,
                },
                Field {
                    name: "d".into(),
                    ty: FieldType::Array {
                        elem: int(8),
                        len: 4,
                    },
                },
                Field {
                    name: "e".into(),
                    ty: FieldType::Sequence {
                        elem: int(16),
                        len_int: int(32),
                    },
                },
                Field {
                    name: "f".into(),
                    ty: FieldType::Enum {
                        container: int(8),
                        labels: vec![EnumLabel {
                            label: "X".into(),
                            start: 0,
                            end: 3,
                        }],
                    },
                },
            ],
            model_emf_uri: Some("http://example.com/model".into()),
        };
        let info = SessionInfo {
            name: "s".into(),
            output: "/tmp/o".into(),
            state: 1,
            apps: 2,
            events: 3,
            discarded: 4,
            bytes: 5,
            channels: vec![ChannelInfo {
                name: "channel0".into(),
                subbuf_size: 4096,
                num_subbuf: 4,
                overwrite: false,
                blocking_timeout_us: -1,
                events: 6,
                discarded: 7,
                bytes: 8,
            }],
            errors: vec!["disk full: 3 events lost".into()],
            outputs: Box::new(OutputInfo {
                mode: 2,
                chunk: "20260101T000000+0000-1".into(),
                archives: vec!["archives/20260101T000000+0000-20260101T000000+0000-0".into()],
                archived: 1,
                rotate_size: 1 << 20,
                rotate_timer_ms: 60_000,
                snapshots: 2,
                last_snapshot: "/tmp/o/snapshot-2-20260101-000000".into(),
                trigger: "on db:fatal*".into(),
                relay: Some(RelayInfo {
                    url: "net://127.0.0.1:5342:5343".into(),
                    connected: true,
                    path: "host/s-20260101-000000".into(),
                    reconnects: 1,
                    packets_sent: 9,
                    bytes_sent: 4096,
                    packets_lost: 2,
                    events_lost: 30,
                    error: "connection reset".into(),
                }),
                kernel: Some(KernelInfo {
                    categories: "sched,syscalls".into(),
                    buffer_size: 1 << 22,
                    dir: "kernel".into(),
                    recording: true,
                    events: 10,
                    lost: 1,
                    bytes: 8192,
                }),
            }),
        };
        vec![
            Message::AppHello(AppHello {
                pid: 1,
                ppid: 2,
                abi_major: 1,
                abi_minor: 0,
                ncpu: 2,
                procname: "app".into(),
            }),
            Message::CtlHello,
            Message::AppEvent(schema),
            Message::Channel(ChannelSpec {
                session: 1,
                channel: 2,
                subbuf_size: 4096,
                num_subbuf: 4,
                overwrite: true,
                clock: 0,
                blocking_timeout_us: 1000,
            }),
            Message::Enable {
                session: 1,
                channel: 2,
                event_id: 7,
                name: "p:e".into(),
                filters: vec!["a > 1".into()],
            },
            Message::Disable {
                session: 1,
                channel: 2,
                name: "p:e".into(),
            },
            Message::Flush { session: 1 },
            Message::Release { session: 1 },
            Message::Ready,
            Message::Ctl(Ctl::Create(CreateSession {
                name: "s".into(),
                output: "/tmp/o".into(),
                subbuf_size: 4096,
                num_subbuf: 4,
                overwrite: false,
                blocking_timeout_us: -1,
                snapshot: true,
                relay: "tls://relay:7000".into(),
                keys: "/etc/ust/keys".into(),
                live_timer_us: 1_000_000,
            })),
            Message::Ctl(Ctl::EnableChannel(ChannelConfig {
                session: "s".into(),
                name: "debug".into(),
                subbuf_size: 8192,
                num_subbuf: 2,
                overwrite: true,
                blocking_timeout_us: 0,
            })),
            Message::Ctl(Ctl::Enable {
                session: "s".into(),
                channel: "debug".into(),
                loglevel: Some(4),
                globs: vec!["p:*".into()],
                filter: "a == 1".into(),
            }),
            Message::Ctl(Ctl::Disable {
                session: "s".into(),
                channel: String::new(),
                globs: vec!["p:*".into()],
            }),
            Message::Ctl(Ctl::Start {
                session: "s".into(),
            }),
            Message::Ctl(Ctl::Stop {
                session: "s".into(),
            }),
            Message::Ctl(Ctl::Destroy {
                session: "s".into(),
            }),
            Message::Ctl(Ctl::Status {
                session: "s".into(),
            }),
            Message::Ctl(Ctl::List),
            Message::Ctl(Ctl::Snapshot(SnapshotRequest {
                session: "s".into(),
                output: "/tmp/snaps".into(),
                max_size: 1 << 26,
            })),
            Message::Ctl(Ctl::Rotate {
                session: "s".into(),
            }),
            Message::Ctl(Ctl::EnableRotation {
                session: "s".into(),
                size: 100 << 20,
                timer_ms: 600_000,
            }),
            Message::Ctl(Ctl::Trigger(Trigger {
                snapshot: SnapshotRequest {
                    session: "s".into(),
                    output: String::new(),
                    max_size: 0,
                },
                glob: "db:fatal*".into(),
                filter: "code > 3".into(),
                min_interval_ms: 1000,
            })),
            Message::Ctl(Ctl::EnableKernel {
                session: "s".into(),
                categories: "sched,irq".into(),
                buffer_size: 1 << 20,
            }),
            Message::Written(Written {
                path: "/tmp/o/snapshot-1-20260101-000000".into(),
                events: 10,
                bytes: 4096,
                lost: 1,
                problem: "No space left on device".into(),
            }),
            Message::Ack,
            Message::Refused("too many sessions for user alice (limit 64)".into()),
            Message::SessionInfo(info.clone()),
            Message::List {
                sessions: vec![info],
                apps: vec![AppInfo {
                    pid: 9,
                    uid: 1000,
                    procname: "app".into(),
                    events: vec!["p:e".into()],
                }],
            },
        ]
    }

    #[test]
    fn every_message_round_trips() {
        for (i, m) in samples().into_iter().enumerate() {
            let bytes = encode(i as u32, -(i as i32), &m);
            let frame = decode(&bytes).unwrap_or_else(|e| panic!("{m:?}: {e}"));
            assert_eq!(
                frame,
                Frame {
                    seq: i as u32,
                    status: -(i as i32),
                    message: m
                }
            );
        }
    }

    #[test]
    fn every_truncation_and_extension_is_refused() {
        for m in samples() {
            let bytes = encode(1, 0, &m);
            for cut in 0..bytes.len() {
                assert!(decode(&bytes[..cut]).is_err(), "{m:?} cut at {cut}");
            }
            let mut longer = bytes.clone();
            longer.push(0);
            assert_eq!(decode(&longer), Err(DecodeError::TrailingBytes));
        }
    }

    #[test]
    fn header_checks() {
        let mut bytes = encode(1, 0, &Message::Ready);
        bytes[4] = 9;
        assert_eq!(decode(&bytes), Err(DecodeError::Version(9)));
        bytes[0] = 0;
        assert_eq!(decode(&bytes), Err(DecodeError::BadMagic));
        let mut unknown = encode(1, 0, &Message::Ready);
        unknown[6] = 0xee;
        assert!(matches!(decode(&unknown), Err(DecodeError::UnknownKind(_))));
    }

    /// Deterministic xorshift so the fuzz test is reproducible.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn fuzz_mutated_messages_never_panic_and_stay_bounded() {
        let samples: Vec<Vec<u8>> = samples().iter().map(|m| encode(3, 0, m)).collect();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..200_000 {
            let mut bytes = samples[(rng.next() % samples.len() as u64) as usize].clone();
            for _ in 0..1 + rng.next() % 4 {
                let at = (rng.next() % bytes.len() as u64) as usize;
                match rng.next() % 3 {
                    0 => bytes[at] = rng.next() as u8,
                    1 => bytes.truncate(at.max(1)),
                    _ => bytes.insert(at, rng.next() as u8),
                }
            }
            if let Ok(frame) = decode(&bytes) {
                let again = encode(frame.seq, frame.status, &frame.message);
                assert!(again.len() <= MAX_MESSAGE);
            }
        }
    }
}
