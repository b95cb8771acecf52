//! The kernel trace's TSDL metadata: lttng-modules' preamble (byte-aligned types, packet
//! context with `cpu_id`, large event header), an `env` that makes babeltrace2 and Trace
//! Compass see an LTTng kernel trace (`domain = "kernel"`, `tracer_name = "lttng-modules"`
//! 2.13), the clock block copied byte for byte from the userspace trace it goes with, and
//! one `event` block per class.

use super::error::Error;
use super::schema::EventClass;
use std::fmt::Write;
use ust::ctf::metadata::{uuid_string, TraceInfo};

/// The lttng-modules version claimed: 2.13 has the event layout written here (and is newer
/// than every version babeltrace2 rewrites packet times for).
const TRACER_MAJOR: u32 = 2;
const TRACER_MINOR: u32 = 13;
const TRACER_PATCHLEVEL: u32 = 0;

/// A CTF `clock { … };` block whose values are CLOCK_MONOTONIC nanoseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClockBlock(String);

impl ClockBlock {
    /// The clock block of a trace's (plain text) metadata: from `clock {` to its `};`.
    pub fn from_metadata(metadata: &str) -> Result<ClockBlock, Error> {
        let start = metadata
            .match_indices("clock {")
            .map(|(i, _)| i)
            .find(|&i| i == 0 || metadata.as_bytes()[i - 1] == b'\n')
            .ok_or_else(|| Error::BadClock("the trace's metadata has no clock block".into()))?;
        let end = metadata[start..]
            .find("\n};")
            .ok_or_else(|| Error::BadClock("the trace's clock block does not end".into()))?;
        ClockBlock::new(&metadata[start..start + end + 3])
    }

    /// Checks that `text` declares the `monotonic` clock at 1 GHz: kernel events carry
    /// CLOCK_MONOTONIC nanoseconds, and the clock's name is what event fields map to.
    pub fn new(text: &str) -> Result<ClockBlock, Error> {
        if !text.contains("\tname = \"monotonic\";") {
            return Err(Error::BadClock(
                "the clock block does not declare the clock \"monotonic\"".into(),
            ));
        }
        let freq = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("freq = "))
            .map(|v| v.trim_end_matches(';'));
        if freq != Some("1000000000") {
            return Err(Error::BadClock(format!(
                "the userspace trace's clock ticks at {} Hz, not in nanoseconds (TSC); kernel \
                 events are stamped with CLOCK_MONOTONIC: trace the program on the monotonic \
                 clock so both traces share one",
                freq.unwrap_or("?")
            )));
        }
        Ok(ClockBlock(text.to_string()))
    }

    pub fn text(&self) -> &str {
        &self.0
    }
}

/// What the `uname` system call says.
struct Uname {
    sysname: String,
    release: String,
    version: String,
}

fn uname() -> Uname {
    // SAFETY: utsname is plain data; uname fills it.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is writable.
    unsafe { libc::uname(&mut u) };
    let text = |field: &[libc::c_char]| {
        let bytes: Vec<u8> = field
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Uname {
        sysname: text(&u.sysname),
        release: text(&u.release),
        version: text(&u.version),
    }
}

/// Escapes a TSDL string literal.
fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
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

const AFTER_CLOCK: &str = "
typealias integer {
	size = 27; align = 1; signed = false;
	map = clock.monotonic.value;
} := uint27_clock_monotonic_t;

typealias integer {
	size = 32; align = 8; signed = false;
	map = clock.monotonic.value;
} := uint32_clock_monotonic_t;

typealias integer {
	size = 64; align = 8; signed = false;
	map = clock.monotonic.value;
} := uint64_clock_monotonic_t;

struct packet_context {
	uint64_clock_monotonic_t timestamp_begin;
	uint64_clock_monotonic_t timestamp_end;
	uint64_t content_size;
	uint64_t packet_size;
	uint64_t packet_seq_num;
	unsigned long events_discarded;
	uint32_t cpu_id;
};

struct event_header_compact {
	enum : uint5_t { compact = 0 ... 30, extended = 31 } id;
	variant <id> {
		struct {
			uint27_clock_monotonic_t timestamp;
		} compact;
		struct {
			uint32_t id;
			uint64_clock_monotonic_t timestamp;
		} extended;
	} v;
} align(8);

struct event_header_large {
	enum : uint16_t { compact = 0 ... 65534, extended = 65535 } id;
	variant <id> {
		struct {
			uint32_clock_monotonic_t timestamp;
		} compact;
		struct {
			uint32_t id;
			uint64_clock_monotonic_t timestamp;
		} extended;
	} v;
} align(8);

stream {
	id = 0;
	event.header := struct event_header_large;
	packet.context := struct packet_context;
};

";

/// The whole metadata text.
pub fn text(info: &TraceInfo, clock: &ClockBlock, classes: &[EventClass]) -> String {
    let u = uname();
    let mut s = String::from("/* CTF 1.8 */\n\n");
    s.push_str(TYPES);
    let _ = write!(
        s,
        "trace {{\n\tmajor = 1;\n\tminor = 8;\n\tuuid = \"{}\";\n\tbyte_order = le;\n\
         \tpacket.header := struct {{\n\t\tuint32_t magic;\n\t\tuint8_t  uuid[16];\n\
         \t\tuint32_t stream_id;\n\t\tuint64_t stream_instance_id;\n\t}};\n}};\n\n",
        uuid_string(&info.uuid)
    );
    let _ = write!(
        s,
        "env {{\n\thostname = {};\n\tdomain = \"kernel\";\n\tsysname = {};\n\
         \tkernel_release = {};\n\tkernel_version = {};\n\ttracer_name = \"lttng-modules\";\n\
         \ttracer_major = {TRACER_MAJOR};\n\ttracer_minor = {TRACER_MINOR};\n\
         \ttracer_patchlevel = {TRACER_PATCHLEVEL};\n\ttrace_buffering_scheme = \"global\";\n\
         \ttrace_name = {};\n\ttrace_creation_datetime = {};\n\
         \tproducer = \"ust {} (perf_event_open)\";\n}};\n\n",
        quote(&info.hostname),
        quote(&u.sysname),
        quote(&u.release),
        quote(&u.version),
        quote(&info.trace_name),
        quote(&info.creation_datetime),
        env!("CARGO_PKG_VERSION"),
    );
    s.push_str(clock.text());
    s.push('\n');
    s.push_str(AFTER_CLOCK);
    for (id, class) in classes.iter().enumerate() {
        s.push_str(&class.tsdl(id as u16));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const USERSPACE: &str = "/* CTF 1.8 */\n\nenv {\n\tdomain = \"ust\";\n};\n\n\
        clock {\n\tname = \"monotonic\";\n\tuuid = \"b\";\n\tfreq = 1000000000;\n\
        \toffset_s = 17;\n\toffset = 5;\n\tabsolute = true;\n};\n\ntypealias integer {};\n";

    #[test]
    fn the_clock_block_is_copied_exactly() {
        let c = ClockBlock::from_metadata(USERSPACE).unwrap();
        assert!(c.text().starts_with("clock {\n\tname = \"monotonic\";"));
        assert!(c.text().ends_with("\tabsolute = true;\n};"));
        assert!(USERSPACE.contains(c.text()));
    }

    #[test]
    fn a_tsc_clock_is_refused_with_the_reason() {
        let tsc = USERSPACE.replace("1000000000", "2995000000");
        let e = ClockBlock::from_metadata(&tsc).unwrap_err().to_string();
        assert!(
            e.contains("2995000000 Hz") && e.contains("monotonic clock"),
            "{e}"
        );
        assert!(ClockBlock::from_metadata("env {};").is_err());
    }

    #[test]
    fn env_says_lttng_kernel_trace() {
        let info = TraceInfo {
            uuid: [1; 16],
            boot_id: "b".into(),
            hostname: "h\"x".into(),
            process: None,
            trace_name: "t".into(),
            creation_datetime: "20260101T000000+0000".into(),
        };
        let clock = ClockBlock::from_metadata(USERSPACE).unwrap();
        let t = text(&info, &clock, &[EventClass::new("sched_switch", &[])]);
        assert!(t.starts_with("/* CTF 1.8 */\n"));
        for want in [
            "\thostname = \"h\\\"x\";\n",
            "\tdomain = \"kernel\";\n",
            "\ttracer_name = \"lttng-modules\";\n\ttracer_major = 2;\n\ttracer_minor = 13;\n",
            "\ttrace_buffering_scheme = \"global\";\n",
            "event {\n\tname = \"sched_switch\";\n\tid = 0;\n",
            clock.text(),
        ] {
            assert!(t.contains(want), "{want}");
        }
    }
}
