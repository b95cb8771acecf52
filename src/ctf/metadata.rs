//! TSDL metadata text: the preamble (types, trace, env, clock, stream) and
//! one `event` block per registered event, in the shape LTTng-UST writes so
//! that babeltrace2 prints the same payloads for both tracers.

use crate::clock::CtfClock;
use crate::schema::{EventSchema, Field, FieldType, Int};
use std::fmt::Write;

/// What the `trace`, `env` and `clock` blocks say about one trace.
#[derive(Clone, Debug)]
pub struct TraceInfo {
    pub uuid: [u8; 16],
    /// The kernel boot id, the clock's uuid (as LTTng).
    pub boot_id: String,
    pub hostname: String,
    /// The traced program (daemonless traces); `None` when several
    /// programs share the trace (they are named in each packet context).
    pub process: Option<(String, u32)>,
    pub trace_name: String,
    /// ISO 8601 basic, e.g. 20261127T012345+0000.
    pub creation_datetime: String,
}

/// Formats 16 bytes as a canonical UUID string.
pub fn uuid_string(u: &[u8; 16]) -> String {
    let h: Vec<String> = u.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        h[0..4].concat(),
        h[4..6].concat(),
        h[6..8].concat(),
        h[8..10].concat(),
        h[10..16].concat()
    )
}

/// Escapes a string for a TSDL string literal.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The preamble: everything before the event blocks, with stream classes
/// (channels) `0..streams`. With `app_context`, packet contexts also carry
/// the program's `vpid` and `procname` (daemon sessions, where several
/// programs share one trace).
pub fn preamble(t: &TraceInfo, clock: &CtfClock, app_context: bool, streams: u32) -> String {
    let mut s = String::from("/* CTF 1.8 */\n\n");
    s.push_str(TYPES);
    let _ = write!(
        s,
        "\ntrace {{\n\tmajor = 1;\n\tminor = 8;\n\tuuid = \"{}\";\n\tbyte_order = le;\n\
         \tpacket.header := struct {{\n\t\tuint32_t magic;\n\t\tuint8_t  uuid[16];\n\
         \t\tuint32_t stream_id;\n\t\tuint64_t stream_instance_id;\n\t}};\n}};\n\n",
        uuid_string(&t.uuid)
    );
    let _ = write!(
        s,
        "env {{\n\thostname = {};\n\tdomain = \"ust\";\n\ttracer_name = \"ust\";\n\
         \ttracer_major = {};\n\ttracer_minor = {};\n\ttracer_buffering_scheme = \"{}\";\n\
         \tarchitecture_bit_width = 64;\n\ttrace_name = {};\n\ttrace_creation_datetime = {};\n",
        quote(&t.hostname),
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
        if t.process.is_some() {
            "pid"
        } else {
            "session"
        },
        quote(&t.trace_name),
        quote(&t.creation_datetime),
    );
    if let Some((procname, vpid)) = &t.process {
        let _ = write!(s, "\tprocname = {};\n\tvpid = {vpid};\n", quote(procname));
    }
    s.push_str("};\n\n");
    let _ = write!(
        s,
        "clock {{\n\tname = \"monotonic\";\n\tuuid = \"{}\";\n\
         \tdescription = \"Monotonic Clock\";\n\tfreq = {};\n\tprecision = 1;\n\
         \toffset_s = {};\n\toffset = {};\n\tabsolute = true;\n}};\n\n",
        t.boot_id, clock.freq, clock.offset_s, clock.offset
    );
    s.push_str(CLOCK_TYPES);
    s.push_str(PACKET_CONTEXT);
    if app_context {
        s.push_str(APP_CONTEXT);
    }
    s.push_str(EVENT_HEADER);
    for id in 0..streams.max(1) {
        let _ = write!(
            s,
            "stream {{\n\tid = {id};\n\tevent.header := struct event_header_compact;\n\
             \tpacket.context := struct packet_context;\n}};\n\n"
        );
    }
    s
}

const TYPES: &str = "\
typealias integer { size = 8; align = 8; signed = false; } := uint8_t;
typealias integer { size = 16; align = 8; signed = false; } := uint16_t;
typealias integer { size = 32; align = 8; signed = false; } := uint32_t;
typealias integer { size = 64; align = 8; signed = false; } := uint64_t;
typealias integer { size = 64; align = 8; signed = false; } := unsigned long;
typealias integer { size = 5; align = 1; signed = false; } := uint5_t;
typealias integer { size = 27; align = 1; signed = false; } := uint27_t;
";

const CLOCK_TYPES: &str = "\
typealias integer { size = 27; align = 1; signed = false; map = clock.monotonic.value; } := uint27_clock_monotonic_t;
typealias integer { size = 64; align = 8; signed = false; map = clock.monotonic.value; } := uint64_clock_monotonic_t;

";

const PACKET_CONTEXT: &str = "\
struct packet_context {
\tuint64_clock_monotonic_t timestamp_begin;
\tuint64_clock_monotonic_t timestamp_end;
\tuint64_t content_size;
\tuint64_t packet_size;
\tuint64_t packet_seq_num;
\tunsigned long events_discarded;
\tuint32_t cpu_id;
";

const APP_CONTEXT: &str = "\
\tuint32_t vpid;
\tinteger { size = 8; align = 8; signed = 0; encoding = UTF8; base = 10; } procname[16];
";

const EVENT_HEADER: &str = "\
} align(8);

struct event_header_compact {
\tenum : uint5_t { compact = 0 ... 30, extended = 31 } id;
\tvariant <id> {
\t\tstruct {
\t\t\tuint27_clock_monotonic_t timestamp;
\t\t} align(1) compact;
\t\tstruct {
\t\t\tuint32_t id;
\t\t\tuint64_clock_monotonic_t timestamp;
\t\t} align(8) extended;
\t} v;
} align(8);

";

fn integer(i: &Int) -> String {
    let mut s = format!(
        "integer {{ size = {}; align = 8; signed = {}; encoding = {}; base = {};",
        i.bits,
        i.signed as u8,
        if i.text { "UTF8" } else { "none" },
        if i.hex { 16 } else { 10 }
    );
    if i.network {
        s.push_str(" byte_order = be;");
    }
    s.push_str(" }");
    s
}

fn enum_value(v: i64, signed: bool) -> String {
    if signed {
        v.to_string()
    } else {
        (v as u64).to_string()
    }
}

fn field(f: &Field) -> String {
    let n = &f.name;
    match &f.ty {
        FieldType::Integer(i) => format!("\t\t{} _{n};\n", integer(i)),
        FieldType::Float { bits } => {
            let (exp, mant) = if *bits == 32 { (8, 24) } else { (11, 53) };
            format!(
                "\t\tfloating_point {{ exp_dig = {exp}; mant_dig = {mant}; align = 8; }} _{n};\n"
            )
        }
        FieldType::String => format!("\t\tstring _{n};\n"),
        FieldType::Array { elem, len } => format!("\t\t{} _{n}[{len}];\n", integer(elem)),
        FieldType::Sequence { elem, len_int } => format!(
            "\t\t{} __{n}_length;\n\t\t{} _{n}[ __{n}_length ];\n",
            integer(len_int),
            integer(elem)
        ),
        FieldType::Enum { container, labels } => {
            let mut s = format!("\t\tenum : {} {{\n", integer(container));
            for l in labels {
                let start = enum_value(l.start, container.signed);
                if l.start == l.end {
                    let _ = writeln!(s, "\t\t\t{} = {start},", quote(&l.label));
                } else {
                    let end = enum_value(l.end, container.signed);
                    let _ = writeln!(s, "\t\t\t{} = {start} ... {end},", quote(&l.label));
                }
            }
            let _ = writeln!(s, "\t\t}} _{n};");
            s
        }
    }
}

/// The `event` block of one event.
pub fn event(stream_id: u32, id: u32, ev: &EventSchema) -> String {
    let mut s = format!(
        "event {{\n\tname = {};\n\tid = {id};\n\tstream_id = {stream_id};\n\tloglevel = {};\n",
        quote(&ev.name),
        ev.loglevel
    );
    if let Some(uri) = &ev.model_emf_uri {
        let _ = writeln!(s, "\tmodel.emf.uri = {};", quote(uri));
    }
    s.push_str("\tfields := struct {\n");
    for f in &ev.fields {
        s.push_str(&field(f));
    }
    s.push_str("\t};\n};\n\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::EnumLabel;

    fn int(bits: u32, signed: bool) -> Int {
        Int {
            bits,
            signed,
            hex: false,
            network: false,
            text: false,
        }
    }

    #[test]
    fn sequence_declares_its_length_field_first() {
        let ev = EventSchema {
            name: "p:e".into(),
            loglevel: 4,
            signature: String::new(),
            fields: vec![Field {
                name: "seq".into(),
                ty: FieldType::Sequence {
                    elem: int(16, false),
                    len_int: int(32, false),
                },
            }],
            model_emf_uri: None,
        };
        let text = event(0, 3, &ev);
        let len_at = text.find("__seq_length;").unwrap();
        let seq_at = text.find("_seq[ __seq_length ];").unwrap();
        assert!(len_at < seq_at);
        assert!(text.contains("loglevel = 4;") && text.contains("id = 3;"));
        assert!(!text.contains("model.emf.uri"));
    }

    #[test]
    fn model_emf_uri_follows_the_loglevel_quoted() {
        let ev = EventSchema {
            name: "p:e".into(),
            loglevel: 2,
            signature: String::new(),
            fields: Vec::new(),
            model_emf_uri: Some("http://example.com/m?q=\"p:e\"".into()),
        };
        let text = event(0, 0, &ev);
        assert!(text.contains(
            "\tloglevel = 2;\n\tmodel.emf.uri = \"http://example.com/m?q=\\\"p:e\\\"\";\n\tfields := struct {\n"
        ));
    }

    #[test]
    fn enum_labels_are_quoted_with_ranges() {
        let f = Field {
            name: "state".into(),
            ty: FieldType::Enum {
                container: int(8, false),
                labels: vec![
                    EnumLabel {
                        label: "A\"x".into(),
                        start: 0,
                        end: 0,
                    },
                    EnumLabel {
                        label: "B".into(),
                        start: 1,
                        end: 3,
                    },
                ],
            },
        };
        let text = field(&f);
        assert!(text.contains("\"A\\\"x\" = 0,"));
        assert!(text.contains("\"B\" = 1 ... 3,"));
    }

    #[test]
    fn uuid_is_canonical() {
        let u = [0x12; 16];
        assert_eq!(uuid_string(&u), "12121212-1212-1212-1212-121212121212");
    }
}
