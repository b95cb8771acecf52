//! JSON lines: one object per event, with typed values.
//!
//! `{"ns":…, "time":"…", "trace":"…", "event":"…", "vpid":…, "packet":{…},
//! "stream_context":{…}, "context":{…}, "fields":{…}}`. Integers are JSON numbers, floats
//! numbers (non-finite ones `null`), enumerations `{"value":N,"labels":[…]}`, text arrays
//! strings, variants the value of the selected option. Written by hand: the library has no
//! serialization dependency.

use super::decode::{Sink, State};
use super::error::ReadError;
use super::fmt::{self, push_i64, push_u64};
use super::merge::Event;
use super::stream::Part;
use super::time::Calendar;
use super::types::{Enum, Int};

pub struct Json {
    clock: fmt::Clock,
    scratch: State,
    /// [stream][event class] → `"trace":"…","event":"…"`, built on first use.
    names: Vec<Vec<Vec<u8>>>,
    labels: Vec<usize>,
    counts: Vec<u64>,
}

impl Json {
    pub fn new(calendar: Calendar) -> Json {
        Json {
            clock: fmt::Clock::new(calendar),
            scratch: State::default(),
            names: Vec::new(),
            labels: Vec::new(),
            counts: Vec::new(),
        }
    }

    /// Appends the JSON line of `ev` (with its newline) to `out`.
    pub fn event(&mut self, ev: &Event<'_>, out: &mut Vec<u8>) -> Result<(), ReadError> {
        out.push(b'{');
        if ev.has_clock() {
            out.extend_from_slice(b"\"ns\":");
            push_i64(out, ev.ns());
            out.extend_from_slice(b",\"time\":\"");
            self.clock.push(out, ev.ns(), true);
            out.extend_from_slice(b"\",");
        }
        self.names(ev, out);
        if let Some(vpid) = ev.vpid() {
            out.extend_from_slice(b",\"vpid\":");
            push_i64(out, vpid);
        }
        let parts = [
            (Part::PacketContext, "packet"),
            (Part::StreamContext, "stream_context"),
            (Part::Context, "context"),
            (Part::Payload, "fields"),
        ];
        for (part, key) in parts {
            let mark = out.len();
            out.extend_from_slice(b",\"");
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(b"\":");
            let mut sink = JsonSink {
                out,
                labels: &mut self.labels,
                counts: &mut self.counts,
            };
            if !ev.decode(part, &mut self.scratch, &mut sink)? {
                out.truncate(mark);
            }
        }
        out.extend_from_slice(b"}\n");
        Ok(())
    }
}

impl Json {
    /// `"trace":"…","event":"…"`, formatted once per stream and event class.
    fn names(&mut self, ev: &Event<'_>, out: &mut Vec<u8>) {
        if self.names.len() <= ev.stream {
            self.names.resize_with(ev.stream + 1, Vec::new);
        }
        let per_stream = &mut self.names[ev.stream];
        let class = ev.cursor.event.class;
        if per_stream.len() <= class {
            per_stream.resize_with(class + 1, Vec::new);
        }
        let names = &mut per_stream[class];
        if names.is_empty() {
            // babeltrace2's trace name; its directory when that name is empty (a trace
            // without a hostname, given as the input itself).
            let mut name = ev.trace.name();
            if name.is_empty() {
                name = ev.trace.dir.display().to_string();
            }
            names.extend_from_slice(b"\"trace\":");
            push_json_str(names, name.as_bytes());
            names.extend_from_slice(b",\"event\":");
            push_json_str(names, ev.class().name.as_bytes());
        }
        out.extend_from_slice(names);
    }
}

/// A JSON string; invalid UTF-8 becomes U+FFFD.
pub fn push_json_str(out: &mut Vec<u8>, bytes: &[u8]) {
    if bytes
        .iter()
        .all(|&c| (0x20..0x7f).contains(&c) && c != b'"' && c != b'\\')
    {
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    out.push(b'"');
    for c in String::from_utf8_lossy(bytes).chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes())
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

/// Writes decoded values as JSON (also the `args` of the Chrome format).
pub(crate) struct JsonSink<'o> {
    pub out: &'o mut Vec<u8>,
    pub labels: &'o mut Vec<usize>,
    pub counts: &'o mut Vec<u64>,
}

impl JsonSink<'_> {
    fn separator(&mut self) {
        if let Some(n) = self.counts.last_mut() {
            if *n > 0 {
                self.out.push(b',');
            }
            *n += 1;
        }
    }

    fn number(&mut self, ty: &Int, v: u64) {
        if ty.signed {
            push_i64(self.out, v as i64);
        } else {
            push_u64(self.out, v);
        }
    }
}

impl Sink for JsonSink<'_> {
    fn int(&mut self, ty: &Int, v: u64) {
        self.number(ty, v);
    }

    fn float(&mut self, v: f64) {
        if v.is_finite() {
            self.out.extend_from_slice(format!("{v:?}").as_bytes());
        } else {
            self.out.extend_from_slice(b"null");
        }
    }

    fn string(&mut self, bytes: &[u8]) {
        push_json_str(self.out, bytes);
    }

    fn enumeration(&mut self, ty: &Enum, v: u64) {
        let value = if ty.int.signed {
            i128::from(v as i64)
        } else {
            i128::from(v)
        };
        ty.labels(value, self.labels);
        self.out.extend_from_slice(b"{\"value\":");
        self.number(&ty.int, v);
        self.out.extend_from_slice(b",\"labels\":[");
        for (n, &i) in self.labels.iter().enumerate() {
            if n > 0 {
                self.out.push(b',');
            }
            push_json_str(self.out, ty.mappings[i].label.as_bytes());
        }
        self.out.extend_from_slice(b"]}");
    }

    fn begin_struct(&mut self) {
        self.out.push(b'{');
        self.counts.push(0);
    }

    fn field(&mut self, name: &str) {
        self.separator();
        push_json_str(self.out, name.as_bytes());
        self.out.push(b':');
    }

    fn end_struct(&mut self) {
        self.counts.pop();
        self.out.push(b'}');
    }

    fn begin_array(&mut self) {
        self.out.push(b'[');
        self.counts.push(0);
    }

    fn element(&mut self, _index: u64) {
        self.separator();
    }

    fn end_array(&mut self) {
        self.counts.pop();
        self.out.push(b']');
    }
}

#[cfg(test)]
mod tests {
    use super::push_json_str;

    fn json(bytes: &[u8]) -> String {
        let mut out = Vec::new();
        push_json_str(&mut out, bytes);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_are_escaped_only_when_needed() {
        assert_eq!(json(b"plain text 123"), r#""plain text 123""#);
        assert_eq!(json(b"q\"b\\n\nt\t\x01"), r#""q\"b\\n\nt\t\u0001""#);
        assert_eq!(json("é€".as_bytes()), "\"é€\"");
        assert_eq!(json(b"bad \xff"), "\"bad \u{fffd}\"");
        assert_eq!(json(b"del \x7f"), r#""del \u007f""#);
    }
}
