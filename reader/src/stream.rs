//! One data stream: walks its packets and events in file order, lazily.
//!
//! Owns packet framing (header, magic, context, content and packet sizes checked against the
//! file), event framing (header → event class, contexts, payload end), the stream's clock,
//! and the discarded-events / discarded-packets bookkeeping. The current packet's bytes (a
//! window of them, for packets over 8 MiB) are read into a buffer (`file`); only positions
//! are kept for the current event, and printers decode its fields from that buffer, each
//! once when the cursor frames events lazily (`decode_once`).

use super::decode::{self, DecodeError, Decoder, Sink, Skip, State};
use super::error::ReadError;
use super::file::TraceFile;
use super::types::{EventClass, Field, Metadata, StreamClass};
use std::cell::Cell;
use std::path::{Path, PathBuf};

const CTF_MAGIC: u64 = 0xC1FC_1FC1;

/// Something the tracer reported lost, between two packets of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loss {
    /// `count` events lost between two clock values (cycles); `None` times when unknown.
    Events {
        count: u64,
        from: Option<u64>,
        to: Option<u64>,
    },
    /// Packets missing from the sequence numbers.
    Packets {
        count: u64,
        from: Option<u64>,
        to: Option<u64>,
    },
}

/// The packet the cursor is in.
#[derive(Debug, Clone, Default)]
pub struct Packet {
    /// Byte offset of the packet in the current file.
    pub offset: usize,
    pub size: usize,
    pub content_bits: u64,
    pub stream_class: usize,
    pub instance: Option<u64>,
    /// Bit offset of the packet context from the packet's start (its bytes are kept apart
    /// from the window), if the stream class has one.
    pub context_bit: Option<u64>,
    pub begin: Option<u64>,
    pub end: Option<u64>,
    pub seq: Option<u64>,
    /// Cumulative count of events the tracer discarded in this stream so far.
    pub discarded: Option<u64>,
    /// Distinguishes packets, for caches keyed on "the same packet as before".
    pub serial: u64,
}

/// Where the current event's parts start, in bits from the start of the window on its
/// packet. Until the event is framed (`decode_once`), only `stream_context` is known: where
/// its header ends.
#[derive(Debug, Clone, Copy, Default)]
pub struct EventPos {
    pub class: usize,
    pub clock: u64,
    pub stream_context: u64,
    pub context: u64,
    pub payload: u64,
    pub end: u64,
}

/// Which part of an event (or its packet) to decode again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    PacketContext,
    StreamContext,
    Context,
    Payload,
}

/// What `advance` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Event,
    /// No more events now: the end of the stream, or of what was written so far (`follow`).
    End,
}

pub struct StreamCursor {
    files: Vec<PathBuf>,
    file: usize,
    reader: TraceFile,
    /// A window on the current packet's bytes, from its byte `win` (the whole packet unless
    /// it is larger than `WINDOW`); while framing a packet, its first bytes. Bit positions
    /// `pos` and `event` count from the window's start.
    buf: Vec<u8>,
    win: usize,
    /// The packet's header and context bytes, for decoding the context whatever the window.
    head: Vec<u8>,
    follow: bool,
    in_packet: bool,
    pos: u64,
    state: State,
    pub packet: Packet,
    pub event: EventPos,
    /// Losses found since the caller last drained them.
    pub losses: Vec<Loss>,
    /// Set when a packet begins before the previous one of the stream ended: (previous end,
    /// this beginning), in clock cycles. babeltrace2 2.0 stops there.
    pub rewound: Option<(u64, u64)>,
    prev: Option<Packet>,
    serial: u64,
    /// Frame events lazily: the header now, the rest when the next event is needed, at the
    /// end a printer reports (`report_end`) when it decoded the whole event.
    lazy: bool,
    /// The current event's contexts and payload are not framed yet.
    unframed: bool,
    /// Bit where the current event started, and where a printer found it ends.
    event_start: u64,
    end_hint: Cell<Option<u64>>,
}

impl StreamCursor {
    /// The bytes between bits `from` and `to` of the current window (positions as in
    /// `event`), when both are byte-aligned and inside it: an event's payload, say.
    pub fn window_bytes(&self, from: u64, to: u64) -> Option<&[u8]> {
        if from % 8 != 0 || to % 8 != 0 || from > to {
            return None;
        }
        self.buf.get((from / 8) as usize..(to / 8) as usize)
    }

    /// A cursor over `files` (one stream, in time order). `follow` waits at a truncated end
    /// instead of failing.
    pub fn open(
        files: Vec<PathBuf>,
        meta: &Metadata,
        follow: bool,
    ) -> Result<StreamCursor, ReadError> {
        let first = files.first().cloned().unwrap_or_default();
        let reader = TraceFile::open(&first).map_err(|e| ReadError::new(&first, e.to_string()))?;
        Ok(StreamCursor {
            files,
            file: 0,
            reader,
            buf: Vec::new(),
            win: 0,
            head: Vec::new(),
            follow,
            in_packet: false,
            pos: 0,
            state: State {
                regs: vec![0; meta.registers],
                ..State::default()
            },
            packet: Packet::default(),
            event: EventPos::default(),
            losses: Vec::new(),
            rewound: None,
            prev: None,
            serial: 0,
            lazy: false,
            unframed: false,
            event_start: 0,
            end_hint: Cell::new(None),
        })
    }

    /// Frames events lazily from now on, so that a printer that decodes every part of an
    /// event (`decode_at`, `skip_at`, then `report_end`) decodes it once, not twice.
    pub fn decode_once(&mut self) {
        self.lazy = true;
    }

    /// Makes room for the registers of metadata that grew while following.
    pub fn ensure_registers(&mut self, n: usize) {
        if self.state.regs.len() < n {
            self.state.regs.resize(n, 0);
        }
    }

    pub fn path(&self) -> &Path {
        &self.files[self.file]
    }

    /// Where the current packet's content ends, in bits from the window's start.
    fn content_end(&self) -> u64 {
        self.packet.content_bits - self.win as u64 * 8
    }

    /// Where decoding must stop in the window: the content's end, or the window's.
    fn window_end(&self) -> u64 {
        self.content_end().min(self.buf.len() as u64 * 8)
    }

    /// True when the window holds the rest of the packet's content.
    fn window_has_rest(&self) -> bool {
        self.buf.len() as u64 * 8 >= self.content_end()
    }

    /// Moves to the next event.
    #[inline]
    pub fn advance(&mut self, meta: &Metadata) -> Result<Step, ReadError> {
        if self.unframed {
            self.finish_event(meta)?;
        }
        if self.in_packet && self.pos < self.content_end() {
            self.read_event(meta)?;
            return Ok(Step::Event);
        }
        self.advance_packet(meta)
    }

    /// `advance` at the end of a packet: on to the next packet with events.
    fn advance_packet(&mut self, meta: &Metadata) -> Result<Step, ReadError> {
        loop {
            if self.in_packet && self.pos < self.content_end() {
                self.read_event(meta)?;
                return Ok(Step::Event);
            }
            if self.in_packet {
                self.in_packet = false;
                self.packet.offset += self.packet.size;
            }
            if self.packet.offset as u64 >= self.reader.len() && !self.next_file()? {
                return Ok(Step::End);
            }
            if !self.read_packet(meta)? {
                // A packet still being written: see more of the file next time.
                self.refresh()?;
                return Ok(Step::End);
            }
        }
    }

    /// At the end of the file: look at its length again if it grows (`follow`), or go on
    /// with the next file of the stream. False when there is nothing more to read now.
    fn next_file(&mut self) -> Result<bool, ReadError> {
        if self.follow {
            self.refresh()?;
            if (self.packet.offset as u64) < self.reader.len() {
                return Ok(true);
            }
        }
        if self.file + 1 >= self.files.len() {
            return Ok(false);
        }
        self.file += 1;
        self.packet.offset = 0;
        self.reader =
            TraceFile::open(self.path()).map_err(|e| ReadError::new(self.path(), e.to_string()))?;
        Ok(!self.reader.is_empty())
    }

    fn refresh(&mut self) -> Result<(), ReadError> {
        self.reader
            .refresh()
            .map_err(|e| ReadError::new(self.path(), e.to_string()))
    }

    fn error(&self, byte: u64, msg: impl Into<String>) -> ReadError {
        ReadError::at(self.path(), byte, msg)
    }

    /// A decoding error in the current packet's window, as a read error naming the file
    /// and offset.
    pub fn decode_error(&self, e: &DecodeError) -> ReadError {
        let at = self.packet.offset as u64 + self.win as u64 + e.bit / 8;
        self.error(at, e.msg.as_str())
    }

    /// Reads the packet header and context at `packet.offset`, then the whole packet into
    /// `buf`. False when `follow` should wait for the rest of a packet being written.
    fn read_packet(&mut self, meta: &Metadata) -> Result<bool, ReadError> {
        let offset = self.packet.offset;
        let avail = self.reader.len().saturating_sub(offset as u64);
        let start_clock = self.state.clock;
        let framed = frame_first_bytes(
            &self.reader,
            offset,
            avail,
            &mut self.buf,
            meta,
            &mut self.state,
        )
        .map_err(|e| ReadError::new(self.path(), e.to_string()))?;
        let (header_bits, context_bit, stream_class) = match framed {
            Ok(v) => v,
            Err(_) if self.follow => {
                self.state.clock = start_clock;
                return Ok(false);
            }
            Err(e) => return Err(self.decode_error(&e)),
        };
        let s = self.state.specials;
        if let Some(m) = s.magic.filter(|&m| m != CTF_MAGIC) {
            return Err(self.error(
                offset as u64,
                format!("bad packet magic 0x{m:08X} (expected 0x{CTF_MAGIC:08X})"),
            ));
        }
        let packet_bits = s.packet_size.unwrap_or(avail * 8);
        let content_bits = s.content_size.unwrap_or(packet_bits);
        if packet_bits % 8 != 0 || packet_bits == 0 {
            return Err(self.error(
                offset as u64,
                format!("packet size {packet_bits} bits is not a positive whole number of bytes"),
            ));
        }
        if packet_bits / 8 > avail {
            if self.follow {
                self.state.clock = start_clock;
                return Ok(false);
            }
            return Err(self.error(
                offset as u64,
                format!("packet size {} bytes goes past the end of the file ({avail} bytes left): truncated packet", packet_bits / 8),
            ));
        }
        if content_bits > packet_bits || content_bits < header_bits {
            return Err(self.error(offset as u64, format!("packet content size {content_bits} bits does not fit packet size {packet_bits} bits")));
        }
        let size = (packet_bits / 8) as usize;
        self.head.clear();
        self.head
            .extend_from_slice(&self.buf[..(header_bits.div_ceil(8) as usize)]);
        let window = size.min(WINDOW);
        if self.buf.len() < window {
            self.reader
                .read_at(offset as u64, window, &mut self.buf)
                .map_err(|e| ReadError::new(self.path(), e.to_string()))?;
        }
        self.buf.truncate(window);
        self.win = 0;
        self.serial += 1;
        self.packet = Packet {
            offset,
            size,
            content_bits,
            stream_class,
            instance: s.stream_instance,
            context_bit,
            begin: s.begin,
            end: s.end,
            seq: s.seq_num,
            discarded: s.discarded,
            serial: self.serial,
        };
        self.note_losses();
        self.prev = Some(self.packet.clone());
        self.pos = header_bits;
        self.in_packet = true;
        Ok(true)
    }

    fn note_losses(&mut self) {
        let p = &self.packet;
        if let (Some(end), Some(begin)) = (self.prev.as_ref().and_then(|q| q.end), p.begin) {
            if begin < end {
                self.rewound = Some((end, begin));
            }
        }
        let Some(prev) = &self.prev else {
            if let Some(n @ 1..) = p.discarded {
                self.losses.push(Loss::Events {
                    count: n,
                    from: p.begin,
                    to: p.end,
                });
            }
            return;
        };
        if let (Some(now), Some(before)) = (p.discarded, prev.discarded) {
            if now != before {
                self.losses.push(Loss::Events {
                    count: now.wrapping_sub(before),
                    from: prev.end,
                    to: p.end,
                });
            }
        }
        if let (Some(now), Some(before)) = (p.seq, prev.seq) {
            if let Some(gap @ 2..) = now.checked_sub(before) {
                self.losses.push(Loss::Packets {
                    count: gap - 1,
                    from: prev.end,
                    to: p.begin,
                });
            }
        }
    }

    fn read_event(&mut self, meta: &Metadata) -> Result<(), ReadError> {
        let clock = self.state.clock;
        let start = self.pos;
        while let Err(e) = self.try_read_event(meta) {
            // Perhaps the event goes on past the window: move or widen it, read it again.
            self.state.clock = clock;
            self.pos = start;
            if !self.slide()? {
                return Err(self.decode_error(&e));
            }
        }
        if !self.unframed && self.pos == self.event_start {
            return Err(self.zero_length());
        }
        Ok(())
    }

    /// Reads the event at `pos`: its header, and the rest too unless it can be framed
    /// lazily (`decode_once`, and the window holds the rest of the packet).
    fn try_read_event(&mut self, meta: &Metadata) -> Result<(), Box<DecodeError>> {
        let sc = &meta.streams[self.packet.stream_class];
        let start = self.pos;
        let end = self.window_end();
        let lazy_ok = self.lazy && self.window_has_rest();
        let mut d = Decoder {
            buf: &self.buf,
            pos: start,
            end,
            state: &mut self.state,
        };
        let class = frame_header(&mut d, sc)?;
        let header_end = d.pos;
        let lazy = lazy_ok && sc.events[class].plain_rest;
        let ev = if lazy {
            EventPos {
                class,
                clock: d.state.clock,
                stream_context: header_end,
                context: header_end,
                payload: header_end,
                end: header_end,
            }
        } else {
            frame_rest(&mut d, sc, class)?
        };
        self.pos = d.pos;
        self.event = ev;
        self.event_start = start;
        self.unframed = lazy;
        self.end_hint.set(None);
        Ok(())
    }

    /// Moves the window to start at (or, if it already does, to reach further past) the
    /// event at `pos`; false when it cannot (it holds the rest of the packet, or
    /// `MAX_WINDOW`). Windows start at multiples of `WINDOW_STEP` from the packet start, so
    /// alignments computed from the window's start are the packet's.
    fn slide(&mut self) -> Result<bool, ReadError> {
        let start = self.win + (self.pos / 8) as usize;
        let win = start & !(WINDOW_STEP - 1);
        let len = if win == self.win {
            if self.window_has_rest() || self.buf.len() >= MAX_WINDOW {
                return Ok(false);
            }
            self.buf.len().saturating_mul(2).min(MAX_WINDOW)
        } else {
            WINDOW
        };
        let len = len.min(self.packet.size - win);
        let at = (self.packet.offset + win) as u64;
        self.reader
            .read_at(at, len, &mut self.buf)
            .map_err(|e| ReadError::new(self.path(), e.to_string()))?;
        self.pos -= (win - self.win) as u64 * 8;
        self.win = win;
        Ok(true)
    }

    #[cold]
    fn zero_length(&self) -> ReadError {
        self.error(
            self.packet.offset as u64 + self.event_start / 8,
            "zero-length event",
        )
    }

    /// Frames the contexts and payload of a lazily read event: where a printer found it
    /// ends, else by skipping them.
    fn finish_event(&mut self, meta: &Metadata) -> Result<(), ReadError> {
        self.unframed = false;
        let end = match self.end_hint.take() {
            Some(end) => end,
            None => {
                let sc = &meta.streams[self.packet.stream_class];
                let mut d = Decoder {
                    buf: &self.buf,
                    pos: self.event.stream_context,
                    end: self.content_end(),
                    state: &mut self.state,
                };
                let framed = frame_rest(&mut d, sc, self.event.class).map(|_| d.pos);
                framed.map_err(|e| self.decode_error(&e))?
            }
        };
        if end == self.event_start {
            return Err(self.zero_length());
        }
        self.pos = end;
        Ok(())
    }

    /// The types of the current event's stream context, context and payload (shown or not).
    pub fn event_parts<'m>(&self, meta: &'m Metadata) -> [Option<&'m Field>; 3] {
        let sc = &meta.streams[self.packet.stream_class];
        let ec = &sc.events[self.event.class];
        [
            sc.event_context.as_ref(),
            ec.context.as_ref(),
            ec.payload.as_ref(),
        ]
    }

    /// Decodes `field` at bit `pos` of the current packet into `sink`, with `scratch`'s
    /// registers as they are (see `scratch_registers`); returns where it ends.
    pub fn decode_at<S: Sink>(
        &self,
        field: &Field,
        pos: u64,
        scratch: &mut State,
        sink: &mut S,
    ) -> Result<u64, ReadError> {
        let mut d = self.decoder(pos, scratch);
        d.value(&field.ty, sink)
            .map_err(|e| self.decode_error(&e))?;
        Ok(d.pos)
    }

    /// Moves past `field` at bit `pos`; returns where it ends.
    pub fn skip_at(&self, field: &Field, pos: u64, scratch: &mut State) -> Result<u64, ReadError> {
        let mut d = self.decoder(pos, scratch);
        d.skip(&field.ty).map_err(|e| self.decode_error(&e))?;
        Ok(d.pos)
    }

    /// Gives `scratch` the stream's registers, for decoding the current event's parts.
    pub fn scratch_registers(&self, scratch: &mut State) {
        scratch.regs.clone_from(&self.state.regs);
    }

    /// Where a printer that decoded all of the current event's parts found it ends: the
    /// next event is read from there.
    pub fn report_end(&self, end: u64) {
        if self.unframed {
            self.end_hint.set(Some(end));
        }
    }

    /// Where the context and payload of a lazily read event start, found by skipping.
    fn framed_positions(&self, meta: &Metadata) -> Option<EventPos> {
        let sc = &meta.streams[self.packet.stream_class];
        let mut scratch = State::default();
        self.scratch_registers(&mut scratch);
        let mut d = self.decoder(self.event.stream_context, &mut scratch);
        frame_rest(&mut d, sc, self.event.class).ok()
    }

    /// Decodes one part of the current event (or its packet's context) into `sink`, using
    /// `scratch` for registers so the stream's own state is left as it is.
    pub fn decode<S: Sink>(
        &self,
        meta: &Metadata,
        part: Part,
        scratch: &mut State,
        sink: &mut S,
    ) -> Result<bool, ReadError> {
        let Some((field, pos)) = self.part(meta, part) else {
            return Ok(false);
        };
        scratch.regs.clone_from(&self.state.regs);
        let mut d = match part {
            Part::PacketContext => Decoder {
                buf: &self.head,
                pos,
                end: self.head.len() as u64 * 8,
                state: scratch,
            },
            _ => self.decoder(pos, scratch),
        };
        let decoded = d.value(&field.ty, sink);
        match (decoded, part) {
            (Ok(()), _) => Ok(true),
            (Err(e), Part::PacketContext) => {
                Err(self.error(self.packet.offset as u64 + e.bit / 8, e.msg.as_str()))
            }
            (Err(e), _) => Err(self.decode_error(&e)),
        }
    }

    /// The type of a part of the current event (or of its packet's context) and the bit it
    /// starts at; None when there is no such part or babeltrace2 would not show it.
    #[inline]
    pub fn part<'m>(&self, meta: &'m Metadata, part: Part) -> Option<(&'m Field, u64)> {
        let sc = &meta.streams[self.packet.stream_class];
        let framed;
        let event = match part {
            Part::Context | Part::Payload if self.unframed => {
                framed = self.framed_positions(meta)?;
                &framed
            }
            _ => &self.event,
        };
        let (field, pos) = match part {
            Part::PacketContext => (
                sc.packet_context.as_ref(),
                self.packet.context_bit.unwrap_or(0),
            ),
            Part::StreamContext => (sc.event_context.as_ref(), event.stream_context),
            Part::Context => (sc.events[event.class].context.as_ref(), event.context),
            Part::Payload => (sc.events[event.class].payload.as_ref(), event.payload),
        };
        Some((field.filter(|f| f.visible)?, pos))
    }

    /// A decoder over the current packet's content in the window, at bit `pos`, with
    /// `state`.
    pub fn decoder<'a>(&'a self, pos: u64, state: &'a mut State) -> Decoder<'a> {
        Decoder {
            buf: &self.buf,
            pos,
            end: self.window_end(),
            state,
        }
    }

    /// The class of the current event.
    pub fn event_class<'m>(&self, meta: &'m Metadata) -> &'m EventClass {
        &meta.streams[self.packet.stream_class].events[self.event.class]
    }
}

/// Stream class id, stream instance id and beginning time of a stream file's first packet.
pub type StreamIdentity = (u64, Option<u64>, Option<u64>);

/// Identity of the stream a file belongs to, from its first packet: stream class id, stream
/// instance id and beginning time. None for an empty file.
pub fn identify(path: &Path, meta: &Metadata) -> Result<Option<StreamIdentity>, ReadError> {
    let reader = TraceFile::open(path).map_err(|e| ReadError::new(path, e.to_string()))?;
    if reader.is_empty() {
        return Ok(None);
    }
    let mut state = State {
        regs: vec![0; meta.registers],
        ..State::default()
    };
    let mut buf = Vec::new();
    let (_, _, index) = frame_first_bytes(&reader, 0, reader.len(), &mut buf, meta, &mut state)
        .map_err(|e| ReadError::new(path, e.to_string()))?
        .map_err(|e| ReadError::at(path, e.bit / 8, e.msg))?;
    let s = state.specials;
    Ok(Some((meta.streams[index].id, s.stream_instance, s.begin)))
}

/// What is read first of a packet to decode its header and context; more is read only when
/// they need more.
const FIRST_BYTES: u64 = 4096;

/// The most of a packet held in memory at once (a packet that large is read a window at a
/// time), and the steps windows start at: 128 KiB, the largest alignment metadata may ask.
const WINDOW: usize = 8 << 20;
const WINDOW_STEP: usize = 128 << 10;

/// The widest a window grows for one event, or for a packet's header and context: larger
/// ones are refused (an error) rather than read whole into memory.
const MAX_WINDOW: usize = 64 << 20;

/// A framed packet: where its events start, where its context starts, its stream class.
type Framed = (u64, Option<u64>, usize);

/// Reads the first bytes of the packet at `offset` (`avail` bytes are left in the file)
/// into `buf` and frames the packet (`frame_packet`), reading more while its header and
/// context do not fit in what was read.
fn frame_first_bytes(
    reader: &TraceFile,
    offset: usize,
    avail: u64,
    buf: &mut Vec<u8>,
    meta: &Metadata,
    state: &mut State,
) -> std::io::Result<decode::Result<Framed>> {
    let mut want = avail.min(FIRST_BYTES);
    loop {
        reader.read_at(offset as u64, want as usize, buf)?;
        state.specials = Default::default();
        let mut d = Decoder {
            buf,
            pos: 0,
            end: want * 8,
            state,
        };
        let framed = frame_packet(&mut d, meta);
        if framed.is_ok() || want == avail || want >= MAX_WINDOW as u64 {
            return Ok(framed);
        }
        want = avail.min(want.saturating_mul(16));
    }
}

/// Decodes a packet header and context; returns the bit where events start, where the
/// context started, and the stream class index.
fn frame_packet(d: &mut Decoder<'_>, meta: &Metadata) -> decode::Result<(u64, Option<u64>, usize)> {
    if let Some(h) = &meta.packet_header {
        d.value(&h.ty, &mut Skip)?;
    }
    let id = d
        .state
        .specials
        .stream_class
        .unwrap_or(meta.streams.first().map_or(0, |s| s.id));
    let Some(index) = meta.streams.iter().position(|s| s.id == id) else {
        return Err(DecodeError::boxed(
            0,
            format!("packet header names unknown stream class {id}"),
        ));
    };
    let mut context_bit = None;
    if let Some(c) = &meta.streams[index].packet_context {
        d.align(c.ty.align())?;
        context_bit = Some(d.pos);
        d.value(&c.ty, &mut Skip)?;
    }
    Ok((d.pos, context_bit, index))
}

/// Decodes an event's header; returns the index of its event class.
fn frame_header(d: &mut Decoder<'_>, sc: &StreamClass) -> decode::Result<usize> {
    let start = d.pos;
    d.state.specials.event_id = None;
    let quick = match &sc.quick_header {
        Some(q) => d.quick_header(q)?,
        None => false,
    };
    if !quick {
        skip(d, sc.event_header.as_ref())?;
    }
    let id = d.state.specials.event_id.unwrap_or(0);
    match sc.class_index(id) {
        Some(c) => Ok(c),
        None if sc.events.len() == 1 && d.state.specials.event_id.is_none() => Ok(0),
        None => Err(DecodeError::boxed(
            start,
            format!("event id {id} is not declared in the metadata"),
        )),
    }
}

/// Skips an event's contexts and payload (from the end of its header), recording where
/// each starts.
fn frame_rest(d: &mut Decoder<'_>, sc: &StreamClass, class: usize) -> decode::Result<EventPos> {
    let stream_context = start_of(d, sc.event_context.as_ref())?;
    skip(d, sc.event_context.as_ref())?;
    let ec = &sc.events[class];
    let context = start_of(d, ec.context.as_ref())?;
    skip(d, ec.context.as_ref())?;
    let payload = start_of(d, ec.payload.as_ref())?;
    skip(d, ec.payload.as_ref())?;
    Ok(EventPos {
        class,
        clock: d.state.clock,
        stream_context,
        context,
        payload,
        end: d.pos,
    })
}

fn start_of(d: &mut Decoder<'_>, field: Option<&Field>) -> decode::Result<u64> {
    if let Some(f) = field {
        d.align(f.ty.align())?;
    }
    Ok(d.pos)
}

fn skip(d: &mut Decoder<'_>, field: Option<&Field>) -> decode::Result<()> {
    match field {
        Some(f) => d.skip(&f.ty),
        None => Ok(()),
    }
}
