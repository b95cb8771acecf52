//! `ust view` on a packet larger than the window it reads packets through (8 MiB): every
//! event comes out, in order, across the window's edges, and memory stays far below the
//! packet's size. A file of its own: the peak memory of this process's children is measured.

mod common;
use common::*;

const METADATA: &str = r#"/* CTF 1.8 */
typealias integer { size = 32; align = 8; signed = false; } := uint32_t;
typealias integer { size = 64; align = 8; signed = false; } := uint64_t;
trace { major = 1; minor = 8; byte_order = le;
	packet.header := struct { uint32_t magic; uint32_t stream_id; }; };
clock { name = "mono"; freq = 1000000000; offset_s = 1700000000; };
typealias integer { size = 64; align = 8; signed = false; map = clock.mono.value; } := ts_t;
stream { id = 0;
	packet.context := struct { ts_t timestamp_begin; ts_t timestamp_end;
		uint64_t content_size; uint64_t packet_size; };
	event.header := struct { uint32_t id; ts_t timestamp; }; };
event { name = "ust_test:n"; id = 0; stream_id = 0; fields := struct { uint32_t n; }; };
"#;

/// One packet of `events` 16-byte events (`n` = 0, 1, …) after a 40-byte header, written
/// through a small buffer: this process stays small, and so do the children it starts (a
/// child's peak memory counts the parent's at the time it was started).
fn one_big_packet(dir: &std::path::Path, events: u32) {
    use std::io::Write;
    std::fs::write(dir.join("metadata"), METADATA).unwrap();
    let size = 40 + 16 * u64::from(events);
    let file = std::fs::File::create(dir.join("stream_0")).unwrap();
    let mut w = std::io::BufWriter::new(file);
    w.write_all(&0xC1FC_1FC1u32.to_le_bytes()).unwrap();
    w.write_all(&0u32.to_le_bytes()).unwrap();
    w.write_all(&0u64.to_le_bytes()).unwrap();
    w.write_all(&u64::from(events).to_le_bytes()).unwrap();
    w.write_all(&(size * 8).to_le_bytes()).unwrap();
    w.write_all(&(size * 8).to_le_bytes()).unwrap();
    for n in 0..events {
        w.write_all(&0u32.to_le_bytes()).unwrap();
        w.write_all(&u64::from(n).to_le_bytes()).unwrap();
        w.write_all(&n.to_le_bytes()).unwrap();
    }
    w.flush().unwrap();
}

/// Peak resident memory of the children waited for so far, in KiB.
fn children_peak_rss_kib() -> i64 {
    // SAFETY: getrusage only fills the zeroed struct it is given.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage.ru_maxrss
    }
}

#[test]
fn a_packet_larger_than_the_window_is_read_a_window_at_a_time() {
    let dir = scratch("big-packet");
    let events = 3_000_000;
    one_big_packet(&dir, events);
    let out = view(&[dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut expect = 0u32;
    for line in out.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let line = std::str::from_utf8(line).unwrap();
        let n = line.rsplit("n = ").next().unwrap().trim_end_matches(" }");
        assert_eq!(n, expect.to_string(), "{line}");
        expect += 1;
    }
    assert_eq!(expect, events, "every event, in order, across window edges");
    let peak = children_peak_rss_kib();
    assert!(
        peak < 32 << 10,
        "a 48 MB packet is not held whole: peak {peak} KiB"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
