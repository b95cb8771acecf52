//! babeltrace2-compatible text: one line per event, byte for byte what `sink.text.pretty`
//! prints with its default options.
//!
//! `[time] (+delta) host:procname:(vpid) name: { packet context }, { stream event context },
//! { event context }, { payload }`. The packet-context group is formatted once per packet.

use super::decode::{Sink, State};
use super::error::ReadError;
use super::flat::Flat;
use super::fmt::{self, push_bytes, push_escaped, push_g, push_int, push_padded, push_u64};
use super::merge::Event;
use super::stream::{Loss, Part};
use super::time::Calendar;
use super::types::{Clock, Enum, Field, Int, Metadata};

/// How a part of an event class is printed: found out on first use.
#[derive(Default)]
enum Shape {
    #[default]
    Unknown,
    /// In one pass (`flat`).
    Flat(Flat),
    /// Through the decoder and the `Text` sink.
    General,
}

/// Writes events as text lines.
pub struct Pretty {
    clock: fmt::Clock,
    last_ns: Option<i64>,
    scratch: State,
    /// [stream] → (packet serial, its formatted packet-context group); serials start at 1,
    /// so the default (0) means nothing formatted yet.
    packets: Vec<(u64, Vec<u8>)>,
    /// [stream][event class][stream context, context, payload] → how to print that part.
    shapes: Vec<Vec<[Shape; 3]>>,
    /// [stream][event class] → `host:procname:(vpid) name: `, built on first use.
    prefixes: Vec<Vec<Vec<u8>>>,
    labels: Vec<usize>,
    /// Reused nesting stack of the text sink.
    counts: Vec<u64>,
}

impl Pretty {
    /// `calendar` converts seconds to the time of day shown (local time, like babeltrace2).
    pub fn new(calendar: Calendar) -> Pretty {
        Pretty {
            clock: fmt::Clock::new(calendar),
            last_ns: None,
            scratch: State::default(),
            packets: Vec::new(),
            prefixes: Vec::new(),
            shapes: Vec::new(),
            labels: Vec::new(),
            counts: Vec::new(),
        }
    }

    /// Appends the line of `ev` (with its newline) to `out`. The event's parts are decoded
    /// in order, each once, and where the event ends is handed back to its stream.
    pub fn event(&mut self, ev: &Event<'_>, out: &mut Vec<u8>) -> Result<(), ReadError> {
        if ev.has_clock() {
            self.timestamp(ev.ns(), out);
        }
        self.prefix(ev, out);
        let mut first = true;
        self.packet_context(ev, out, &mut first)?;
        let cursor = ev.cursor;
        let mut pos = cursor.event.stream_context;
        let mut registers = false;
        for (k, field) in cursor.event_parts(ev.meta()).into_iter().enumerate() {
            let Some(field) = field else {
                continue;
            };
            if !field.visible {
                self.registers(ev, &mut registers);
                pos = cursor.skip_at(field, pos, &mut self.scratch)?;
                continue;
            }
            if !first {
                out.extend_from_slice(b", ");
            }
            first = false;
            pos = self.part(ev, k, field, pos, out, &mut registers)?;
        }
        cursor.report_end(pos);
        out.push(b'\n');
        Ok(())
    }

    /// Gives the scratch state the stream's registers, once per event, before anything
    /// that may read or set them.
    fn registers(&mut self, ev: &Event<'_>, done: &mut bool) {
        if !std::mem::replace(done, true) {
            ev.cursor.scratch_registers(&mut self.scratch);
        }
    }

    /// Appends the `k`th part of `ev` (stream context, context, payload), whose type is
    /// `field`, at bit `pos`: in one pass when it is flat, else through the `Text` sink.
    /// Returns where it ends.
    fn part(
        &mut self,
        ev: &Event<'_>,
        k: usize,
        field: &Field,
        pos: u64,
        out: &mut Vec<u8>,
        registers: &mut bool,
    ) -> Result<u64, ReadError> {
        let shapes = slot(slot(&mut self.shapes, ev.stream), ev.cursor.event.class);
        let shape = &mut shapes[k];
        if let Shape::Unknown = shape {
            *shape = Flat::of(field).map_or(Shape::General, Shape::Flat);
        }
        if let Shape::Flat(flat) = shape {
            // Flat parts read and set no registers.
            let mut d = ev.cursor.decoder(pos, &mut self.scratch);
            flat.print(&mut d, out)
                .map_err(|e| ev.cursor.decode_error(&e))?;
            return Ok(d.pos);
        }
        self.registers(ev, registers);
        let mut sink = Text {
            out,
            labels: &mut self.labels,
            counts: &mut self.counts,
        };
        ev.cursor
            .decode_at(field, pos, &mut self.scratch, &mut sink)
    }

    /// `host:procname:(vpid) name: `, formatted once per stream and event class.
    fn prefix(&mut self, ev: &Event<'_>, out: &mut Vec<u8>) {
        let per_stream = slot(&mut self.prefixes, ev.stream);
        let prefix = slot(per_stream, ev.cursor.event.class);
        if prefix.is_empty() {
            host(ev.meta(), prefix);
            push_bytes(prefix, ev.class().name.as_bytes());
            prefix.extend_from_slice(b": ");
        }
        out.extend_from_slice(prefix);
    }

    fn timestamp(&mut self, ns: i64, out: &mut Vec<u8>) {
        out.push(b'[');
        self.clock.push(out, ns, false);
        out.extend_from_slice(b"] (");
        match self.last_ns {
            Some(last) => {
                // Negative only where a stream's time went backwards (the merger warns).
                let delta = ns.abs_diff(last);
                out.push(if ns < last { b'-' } else { b'+' });
                push_u64(out, delta / 1_000_000_000);
                out.push(b'.');
                push_padded(out, delta % 1_000_000_000, 9);
            }
            None => out.extend_from_slice(b"+?.?????????"),
        }
        out.extend_from_slice(b") ");
        self.last_ns = Some(ns);
    }

    fn packet_context(
        &mut self,
        ev: &Event<'_>,
        out: &mut Vec<u8>,
        first: &mut bool,
    ) -> Result<(), ReadError> {
        let (serial, text) = slot(&mut self.packets, ev.stream);
        if *serial != ev.cursor.packet.serial {
            text.clear();
            *serial = 0;
            let mut sink = Text {
                out: text,
                labels: &mut self.labels,
                counts: &mut self.counts,
            };
            ev.decode(Part::PacketContext, &mut self.scratch, &mut sink)?;
            *serial = ev.cursor.packet.serial;
        }
        if !text.is_empty() {
            out.extend_from_slice(text);
            *first = false;
        }
        Ok(())
    }

    /// The stderr line babeltrace2 prints for a loss.
    pub fn loss(
        &mut self,
        loss: &Loss,
        trace: &str,
        stream: &str,
        class: u64,
        id: u64,
        meta: &Metadata,
    ) -> String {
        let (what, count, from, to) = match loss {
            Loss::Events { count, from, to } => ("event", *count, *from, *to),
            Loss::Packets { count, from, to } => ("packet", *count, *from, *to),
        };
        let plural = if count == 1 { "" } else { "s" };
        let mut range = Vec::new();
        let ns = |c: &Clock, at: Option<u64>| c.ns_from_origin(at?);
        let times = meta.clock.as_ref().map(|c| (ns(c, from), ns(c, to)));
        match times {
            Some((Some(f), Some(t))) => {
                range.extend_from_slice(b"between [");
                self.clock.push(&mut range, f, false);
                range.extend_from_slice(b"] and [");
                self.clock.push(&mut range, t, false);
                range.push(b']');
            }
            _ => range.extend_from_slice(b"(unknown time range)"),
        }
        let uuid = match meta.uuid {
            Some(u) => format!("UUID: {}", uuid_text(&u)),
            None => "no UUID".to_string(),
        };
        format!(
            "WARNING: Tracer discarded {count} {what}{plural} {} in trace \"{trace}\" ({uuid}) within stream \"{stream}\" (stream class ID: {class}, stream ID: {id}).",
            String::from_utf8_lossy(&range)
        )
    }
}

/// A UUID as `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
fn uuid_text(u: &[u8; 16]) -> String {
    let hex: Vec<String> = u.iter().map(|b| format!("{b:02x}")).collect();
    [&hex[..4], &hex[4..6], &hex[6..8], &hex[8..10], &hex[10..]]
        .map(|group| group.concat())
        .join("-")
}

/// `v[i]`, growing `v` with defaults as needed.
fn slot<T: Default>(v: &mut Vec<T>, i: usize) -> &mut T {
    if v.len() <= i {
        v.resize_with(i + 1, T::default);
    }
    &mut v[i]
}

/// `host:procname:(vpid) ` from the trace environment, as far as it has them.
fn host(meta: &Metadata, out: &mut Vec<u8>) {
    let mut any = false;
    for key in ["hostname", "procname"] {
        if let Some(v) = meta.env_str(key) {
            if any {
                out.push(b':');
            }
            push_bytes(out, v.as_bytes());
            any = true;
        }
    }
    if let Some(vpid) = meta.env_int("vpid") {
        if any {
            out.push(b':');
        }
        out.push(b'(');
        fmt::push_i64(out, vpid);
        out.push(b')');
        any = true;
    }
    if any {
        out.push(b' ');
    }
}

/// Formats decoded values the way babeltrace2's pretty printer does.
struct Text<'o> {
    out: &'o mut Vec<u8>,
    labels: &'o mut Vec<usize>,
    /// Members printed so far in each open struct or array.
    counts: &'o mut Vec<u64>,
}

impl Text<'_> {
    fn separator(&mut self) {
        if let Some(n) = self.counts.last_mut() {
            self.out
                .extend_from_slice(if *n == 0 { b" " } else { b", " });
            *n += 1;
        }
    }
}

impl Sink for Text<'_> {
    fn int(&mut self, ty: &Int, v: u64) {
        push_int(self.out, ty, v);
    }

    fn float(&mut self, v: f64) {
        push_g(self.out, v);
    }

    fn string(&mut self, bytes: &[u8]) {
        push_escaped(self.out, bytes);
    }

    fn enumeration(&mut self, ty: &Enum, v: u64) {
        let value = if ty.int.signed {
            i128::from(v as i64)
        } else {
            i128::from(v)
        };
        ty.labels(value, self.labels);
        self.out.extend_from_slice(b"( ");
        if self.labels.is_empty() {
            self.out.extend_from_slice(b"<unknown>");
        }
        for (n, &i) in self.labels.iter().enumerate() {
            if n > 0 {
                self.out.extend_from_slice(b", ");
            }
            push_escaped(self.out, ty.mappings[i].label.as_bytes());
        }
        self.out.extend_from_slice(b" : container = ");
        push_int(self.out, &ty.int, v);
        self.out.extend_from_slice(b" )");
    }

    fn begin_struct(&mut self) {
        self.out.push(b'{');
        self.counts.push(0);
    }

    fn field(&mut self, name: &str) {
        self.separator();
        push_bytes(self.out, name.as_bytes());
        self.out.extend_from_slice(b" = ");
    }

    fn end_struct(&mut self) {
        self.counts.pop();
        self.out.extend_from_slice(b" }");
    }

    fn begin_array(&mut self) {
        self.out.push(b'[');
        self.counts.push(0);
    }

    fn element(&mut self, index: u64) {
        self.separator();
        self.out.push(b'[');
        push_u64(self.out, index);
        self.out.extend_from_slice(b"] = ");
    }

    fn end_array(&mut self) {
        self.counts.pop();
        self.out.extend_from_slice(b" ]");
    }

    fn begin_variant(&mut self) {
        self.out.extend_from_slice(b"{ ");
    }

    fn end_variant(&mut self) {
        self.out.extend_from_slice(b" }");
    }
}
