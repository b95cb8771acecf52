//! Shared helpers of the `ust view` integration tests: running the binary and babeltrace2,
//! scratch directories, and a small CTF writer for hand-made traces (the layout verified
//! against babeltrace2 in CTF.md §2 and §7, plus bit-packed, big-endian, variant and
//! extended-header cases).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn ust() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ust"));
    cmd.env("TZ", "UTC");
    cmd
}

pub fn view(args: &[&str]) -> Output {
    ust().arg("view").args(args).output().expect("ust runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// babeltrace2's output for `dirs`, or None (with a note) when it is not installed.
pub fn babeltrace(dirs: &[&Path]) -> Option<Output> {
    let out = Command::new("babeltrace2")
        .args(dirs)
        .env("TZ", "UTC")
        .output();
    match out {
        Ok(o) => Some(o),
        Err(_) => {
            eprintln!("skipped: babeltrace2 is not installed");
            None
        }
    }
}

/// A fresh scratch directory, removed first if a previous run left it.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ust-view-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Bit-level writer following CTF's rules (alignment from the packet start, bit-packed
/// little-endian fields fill bytes from the low bits, big-endian from the high bits).
#[derive(Default)]
pub struct Bits {
    pub bytes: Vec<u8>,
    pub pos: u64,
}

impl Bits {
    pub fn align(&mut self, align: u64) {
        self.pos = self.pos.div_ceil(align) * align;
        self.fit();
    }

    fn fit(&mut self) {
        let need = self.pos.div_ceil(8) as usize;
        if self.bytes.len() < need {
            self.bytes.resize(need, 0);
        }
    }

    /// Writes the low `size` bits of `v` after aligning to `align` bits.
    pub fn int(&mut self, v: u64, size: u32, align: u64, be: bool) {
        self.align(align);
        let start = self.pos;
        self.pos += u64::from(size);
        self.fit();
        for i in 0..size {
            let bit = if be {
                (v >> (size - 1 - i)) & 1
            } else {
                (v >> i) & 1
            };
            let pos = start + u64::from(i);
            let (byte, shift) = ((pos / 8) as usize, pos % 8);
            let shift = if be { 7 - shift } else { shift };
            self.bytes[byte] |= (bit as u8) << shift;
        }
    }

    pub fn u8(&mut self, v: u8) {
        self.int(u64::from(v), 8, 8, false);
    }
    pub fn u32(&mut self, v: u32) {
        self.int(u64::from(v), 32, 8, false);
    }
    pub fn u64(&mut self, v: u64) {
        self.int(v, 64, 8, false);
    }
    pub fn string(&mut self, s: &[u8]) {
        self.align(8);
        self.bytes.extend_from_slice(s);
        self.bytes.push(0);
        self.pos = self.bytes.len() as u64 * 8;
    }
}

pub const UUID: [u8; 16] = [
    0x3b, 0x46, 0xd8, 0x9d, 0xbb, 0x3f, 0x40, 0x15, 0x98, 0x0c, 0x05, 0x22, 0x23, 0x09, 0xde, 0x3e,
];

/// TSDL of the hand-made trace: LTTng's shape plus every field kind the tests need.
pub const METADATA: &str = r#"/* CTF 1.8 */
typealias integer { size = 8; align = 8; signed = false; } := uint8_t;
typealias integer { size = 16; align = 8; signed = false; } := uint16_t;
typealias integer { size = 32; align = 8; signed = false; } := uint32_t;
typealias integer { size = 64; align = 8; signed = false; } := uint64_t;
typealias integer { size = 64; align = 8; signed = false; } := unsigned long;
typealias integer { size = 5; align = 1; signed = false; } := uint5_t;
typealias integer { size = 27; align = 1; signed = false; } := uint27_t;
trace {
	major = 1; minor = 8;
	uuid = "3b46d89d-bb3f-4015-980c-05222309de3e";
	byte_order = le;
	packet.header := struct {
		uint32_t magic;
		uint8_t  uuid[16];
		uint32_t stream_id;
		uint64_t stream_instance_id;
	};
};
env { hostname = "myhost"; domain = "ust"; tracer_name = "ust-test"; tracer_major = 1; tracer_minor = 0; procname = "demo"; vpid = 4242; };
clock {
	name = "monotonic"; uuid = "c4739c3b-0000-4000-8000-000000000001";
	description = "Monotonic Clock"; freq = 1000000000; precision = 1;
	offset_s = 1795741619; offset = 614817985; absolute = true;
};
typealias integer { size = 27; align = 1; signed = false; map = clock.monotonic.value; } := uint27_clock_monotonic_t;
typealias integer { size = 64; align = 8; signed = false; map = clock.monotonic.value; } := uint64_clock_monotonic_t;
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
		struct { uint27_clock_monotonic_t timestamp; } compact;
		struct { uint32_t id; uint64_clock_monotonic_t timestamp; } extended;
	} v;
} align(8);
stream {
	id = 0;
	event.header := struct event_header_compact;
	packet.context := struct packet_context;
	event.context := struct { integer { size = 32; align = 8; signed = 1; } _vtid; };
};
event { name = "myprov:hello"; id = 0; stream_id = 0; loglevel = 13;
	fields := struct { integer { size = 32; align = 8; signed = 1; base = 10; } _x; string _msg; }; };
event { name = "myprov:values"; id = 1; stream_id = 0; loglevel = 6;
	fields := struct {
		floating_point { exp_dig = 11; mant_dig = 53; align = 8; } _d;
		enum : integer { size = 8; align = 8; signed = 0; } { "IDLE" = 0, "RUN" = 1 ... 3, "STOP" = 4 } _state;
		integer { size = 3; align = 1; signed = 0; } _flags3;
		integer { size = 5; align = 1; signed = 1; } _small5;
		integer { size = 16; align = 8; signed = 0; base = 16; } _arr[3];
		integer { size = 8; align = 8; signed = 0; encoding = UTF8; } _tag[4];
		integer { size = 64; align = 8; signed = 0; } __seq_length;
		integer { size = 16; align = 8; signed = 0; } _seq[ __seq_length ];
	}; };
event { name = "myprov:exotic"; id = 2; stream_id = 0;
	fields := struct {
		integer { size = 32; align = 8; signed = 1; byte_order = be; } _be32;
		integer { size = 12; align = 1; signed = 0; byte_order = be; base = 2; } _bits12;
		integer { size = 12; align = 1; signed = 1; byte_order = be; base = 8; } _oct12;
		floating_point { exp_dig = 8; mant_dig = 24; align = 8; byte_order = be; } _f;
		enum : uint8_t { "STR" = 0, "NUM" = 1 } _kind;
		variant <_kind> { string STR; uint32_t NUM; } _val;
		struct { uint8_t a; string b; } _nested;
	}; };
event { name = "myprov:late"; id = 40; stream_id = 0;
	fields := struct { integer { size = 64; align = 8; signed = 0; } _n; }; };
"#;

/// One event to write: its id, timestamp (cycles) and payload writer.
pub struct Ev {
    pub id: u32,
    pub ts: u64,
    pub vtid: i32,
    pub payload: Box<dyn Fn(&mut Bits)>,
}

/// Writes a whole packet: header, context, events. `prev_ts` is the stream's last clock
/// value, to choose compact or extended headers as a tracer must.
pub fn packet(
    instance: u64,
    cpu: u32,
    seq: u64,
    discarded: u64,
    (begin, end): (u64, u64),
    events: &[Ev],
    padded_to: usize,
) -> Vec<u8> {
    let mut b = Bits::default();
    b.u32(0xC1FC_1FC1);
    UUID.iter().for_each(|&x| b.u8(x));
    b.u32(0);
    b.u64(instance);
    b.u64(begin);
    b.u64(end);
    let sizes_at = b.bytes.len();
    b.u64(0);
    b.u64(0);
    b.u64(seq);
    b.u64(discarded);
    b.u32(cpu);
    let mut prev = begin;
    for ev in events {
        b.align(8);
        let compact = ev.id < 31 && (ev.ts - prev) >> 27 == 0;
        if compact {
            b.int(u64::from(ev.id), 5, 1, false);
            b.int(ev.ts & 0x7FF_FFFF, 27, 1, false);
        } else {
            b.int(31, 5, 1, false);
            b.u32(ev.id);
            b.u64(ev.ts);
        }
        prev = ev.ts;
        b.int(ev.vtid as u32 as u64, 32, 8, false);
        (ev.payload)(&mut b);
    }
    let content = b.pos;
    let size = padded_to.max(b.bytes.len());
    b.bytes.resize(size, 0);
    b.bytes[sizes_at..sizes_at + 8].copy_from_slice(&content.to_le_bytes());
    b.bytes[sizes_at + 8..sizes_at + 16].copy_from_slice(&(size as u64 * 8).to_le_bytes());
    b.bytes
}

fn hello(id_ts: u64, x: i32, msg: &'static str) -> Ev {
    Ev {
        id: 0,
        ts: id_ts,
        vtid: 7,
        payload: Box::new(move |b| {
            b.int(x as u32 as u64, 32, 8, false);
            b.string(msg.as_bytes());
        }),
    }
}

fn values(
    ts: u64,
    d: f64,
    state: u8,
    arr: [u16; 3],
    tag: &'static [u8; 4],
    seq: &'static [u16],
) -> Ev {
    Ev {
        id: 1,
        ts,
        vtid: 8,
        payload: Box::new(move |b| {
            b.int(d.to_bits(), 64, 8, false);
            b.u8(state);
            b.int(5, 3, 1, false);
            b.int((-3i64 as u64) & 0x1f, 5, 1, false);
            arr.iter().for_each(|&v| b.int(u64::from(v), 16, 8, false));
            tag.iter().for_each(|&c| b.u8(c));
            b.u64(seq.len() as u64);
            seq.iter().for_each(|&v| b.int(u64::from(v), 16, 8, false));
        }),
    }
}

fn exotic(ts: u64, num: Option<u32>) -> Ev {
    Ev {
        id: 2,
        ts,
        vtid: 9,
        payload: Box::new(move |b| {
            b.int((-5i32) as u32 as u64, 32, 8, true);
            b.int(0b1010_0000_0101, 12, 1, true);
            b.int((-9i64 as u64) & 0xfff, 12, 1, true);
            b.int(u64::from(1.5f32.to_bits()), 32, 8, true);
            match num {
                Some(n) => {
                    b.u8(1);
                    b.u32(n);
                }
                None => {
                    b.u8(0);
                    b.string(b"text \"quoted\"\n");
                }
            }
            b.u8(200);
            b.string(b"inner");
        }),
    }
}

fn late(ts: u64, n: u64) -> Ev {
    Ev {
        id: 40,
        ts,
        vtid: 7,
        payload: Box::new(move |b| b.u64(n)),
    }
}

/// Writes the hand-made trace into `dir`: two streams, three packets, every field kind,
/// extended headers (id 40, 134 ms and 4.3 s gaps) and 2 discarded events.
pub fn write_trace(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("metadata"), METADATA).unwrap();
    let t0 = 1_000_000_000u64;
    let cpu0_a = packet(
        0,
        0,
        0,
        0,
        (t0, t0 + 40_000),
        &[
            hello(t0 + 1000, -7, "hello \"world\""),
            values(t0 + 11_000, 3.25, 2, [1, 0xBEEF, 3], b"abc\0", &[7, 8]),
            late(t0 + 21_000, 123_456_789),
            exotic(t0 + 22_000, None),
            exotic(t0 + 23_000, Some(77)),
        ],
        1024,
    );
    let cpu0_b = packet(
        0,
        0,
        1,
        2,
        (t0 + 5_500_000_000, t0 + 6_000_000_000),
        &[
            hello(t0 + 5_500_000_001, 1, "after a gap"),
            hello(t0 + 5_500_000_001 + (3 << 27), 2, "after 3*2^27 ns"),
            values(t0 + 5_950_000_000, -0.5, 9, [0, 0, 0], b"xy\0\0", &[]),
        ],
        512,
    );
    let mut cpu0 = cpu0_a;
    cpu0.extend(cpu0_b);
    std::fs::write(dir.join("channel0_0"), cpu0).unwrap();
    let cpu1 = packet(
        1,
        1,
        0,
        0,
        (t0, t0 + 40_000),
        &[
            hello(t0 + 6000, 42, "from cpu1"),
            hello(t0 + 16_000, 43, "utf-8: \u{e9}\u{20ac}"),
            hello(t0 + 21_000, 44, "same time as late"),
        ],
        0,
    );
    std::fs::write(dir.join("channel0_1"), cpu1).unwrap();
}
