//! `ust view` on what babeltrace2 2.0 reads but other tracers write: one small hand-made
//! trace per case (LTTng's packetized metadata, lenient TSDL, stream order on equal times,
//! implicit clocks, clock offsets that overflow, discarded-events wording, time going
//! backwards in a stream), each compared with babeltrace2's output.

mod common;
use common::*;
use std::path::Path;
use std::process::Output;

/// Runs babeltrace2 and `ust view` on `dirs`; None (with a note) without babeltrace2.
fn both(dirs: &[&Path]) -> Option<(Output, Output)> {
    let bt = babeltrace(dirs)?;
    let args: Vec<&str> = dirs.iter().map(|d| d.to_str().unwrap()).collect();
    Some((bt, view(&args)))
}

/// Asserts both tools print the same lines and both succeed.
fn assert_same(dirs: &[&Path]) -> Option<Output> {
    let (bt, ours) = both(dirs)?;
    assert!(bt.status.success(), "babeltrace2: {}", text(&bt.stderr));
    assert!(ours.status.success(), "ust view: {}", text(&ours.stderr));
    assert_eq!(text(&ours.stdout), text(&bt.stdout));
    assert!(!ours.stdout.is_empty());
    Some(ours)
}

/// The `WARNING: …` lines a tool printed on stderr.
fn warnings(out: &Output) -> Vec<String> {
    text(&out.stderr)
        .lines()
        .filter(|l| l.starts_with("WARNING:"))
        .map(str::to_string)
        .collect()
}

/// A minimal trace: little-endian, byte-aligned, a 64-bit timestamp in every event header.
/// `{UUID}`, `{INSTANCE}`, `{ENV}`, `{CLOCK}` and `{TS}` (the timestamp type) are filled per test.
const SIMPLE: &str = r#"/* CTF 1.8 */
typealias integer { size = 32; align = 8; signed = false; } := uint32_t;
typealias integer { size = 64; align = 8; signed = false; } := uint64_t;
trace { major = 1; minor = 8; byte_order = le; {UUID}
	packet.header := struct { uint32_t magic; uint32_t stream_id; {INSTANCE} }; };
{ENV}
{CLOCK}
stream { id = 0;
	packet.context := struct { {TS} timestamp_begin; {TS} timestamp_end;
		uint64_t content_size; uint64_t packet_size; uint64_t events_discarded; };
	event.header := struct { uint32_t id; {TS} timestamp; }; };
event { name = "t:a"; id = 0; stream_id = 0; fields := struct { uint32_t v; }; };
event { name = "t:b"; id = 1; stream_id = 0; fields := struct { uint32_t v; }; };
"#;

const CLOCK: &str = r#"clock { name = "mono"; freq = 1000000000; offset_s = 1700000000; };
typealias integer { size = 64; align = 8; signed = false; map = clock.mono.value; } := ts_t;"#;

struct Simple {
    uuid: bool,
    instance: bool,
    hostname: bool,
    clock: bool,
}

impl Simple {
    fn metadata(&self) -> String {
        SIMPLE
            .replace(
                "{UUID}",
                if self.uuid {
                    r#"uuid = "5a7c0b7e-1111-4222-8333-944445555666";"#
                } else {
                    ""
                },
            )
            .replace(
                "{INSTANCE}",
                if self.instance {
                    "uint64_t stream_instance_id;"
                } else {
                    ""
                },
            )
            .replace(
                "{ENV}",
                if self.hostname {
                    r#"env { hostname = "simplehost"; };"#
                } else {
                    ""
                },
            )
            .replace("{CLOCK}", if self.clock { CLOCK } else { "" })
            .replace("{TS}", if self.clock { "ts_t" } else { "uint64_t" })
    }

    /// One packet: (begin, end) times, cumulative discarded count, events (id, time, v).
    fn packet(
        &self,
        instance: u64,
        (begin, end): (u64, u64),
        discarded: u64,
        events: &[(u32, u64, u32)],
    ) -> Vec<u8> {
        let mut b = Bits::default();
        b.u32(0xC1FC_1FC1);
        b.u32(0);
        if self.instance {
            b.u64(instance);
        }
        b.u64(begin);
        b.u64(end);
        let sizes = b.bytes.len();
        b.u64(0);
        b.u64(0);
        b.u64(discarded);
        for &(id, ts, v) in events {
            b.u32(id);
            b.u64(ts);
            b.u32(v);
        }
        let bits = (b.bytes.len() as u64 * 8).to_le_bytes();
        b.bytes[sizes..sizes + 8].copy_from_slice(&bits);
        b.bytes[sizes + 8..sizes + 16].copy_from_slice(&bits);
        b.bytes
    }

    fn write(&self, dir: &Path, files: &[(&str, Vec<u8>)]) {
        std::fs::write(dir.join("metadata"), self.metadata()).unwrap();
        for (name, data) in files {
            std::fs::write(dir.join(name), data).unwrap();
        }
    }
}

/// LTTng's metadata packets: a 37-byte header (magic, UUID, checksum, content and packet
/// sizes in bits, schemes, version 1.8) before each piece of text, padded to `size` bytes.
fn metadata_packets(text: &str, piece: usize, size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in text.as_bytes().chunks(piece) {
        let mut p = Vec::new();
        p.extend_from_slice(&0x75D1_1D57u32.to_le_bytes());
        p.extend_from_slice(&UUID);
        p.extend_from_slice(&0u32.to_le_bytes());
        p.extend_from_slice(&(((37 + chunk.len()) * 8) as u32).to_le_bytes());
        p.extend_from_slice(&((size * 8) as u32).to_le_bytes());
        p.extend_from_slice(&[0, 0, 0, 1, 8]);
        p.extend_from_slice(chunk);
        p.resize(size, 0);
        out.extend(p);
    }
    out
}

#[test]
fn packetized_metadata_without_a_signature_line() {
    let dir = scratch("compat-packetized");
    write_trace(&dir);
    let tsdl = METADATA.trim_start_matches("/* CTF 1.8 */\n");
    assert!(
        !tsdl.contains("CTF 1.8"),
        "as LTTng writes it: no signature"
    );
    std::fs::write(dir.join("metadata"), metadata_packets(tsdl, 300, 512)).unwrap();
    let out = view(&[dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("myprov:exotic"));
    assert_same(&[&dir]);
}

#[test]
fn lenient_tsdl_is_read_and_unknown_attributes_are_warned_about() {
    let dir = scratch("compat-lenient");
    write_trace(&dir);
    let lenient = METADATA
        .replace(r#"name = "myprov:late";"#, "name = late_event;")
        .replace("major = 1; minor = 8;", "major = +1; minor = 8; answer = +42;")
        .replace(
            "typealias integer { size = 8; align = 8; signed = false; }",
            "typealias integer { size = 8; align = 8; signed = false; colour = blue; }",
        )
        .replace("\tid = 0;\n\tevent.header", "\tid = 0; mood = 1;\n\tevent.header")
        .replace(
            "fields := struct { integer { size = 64; align = 8; signed = 0; } _n; }; };",
            "fields := struct { integer { size = 64; align = 8; signed = 0; } _n; };\n\textra := struct { uint8_t x; }; };",
        );
    assert_ne!(lenient, METADATA);
    std::fs::write(dir.join("metadata"), &lenient).unwrap();
    let Some(out) = assert_same(&[&dir]) else {
        return;
    };
    assert!(
        text(&out.stdout).contains(" late_event: "),
        "{}",
        text(&out.stdout)
    );
    let err = text(&out.stderr);
    assert_eq!(err.matches("`colour`").count(), 1, "once per place: {err}");
    for (line, what) in [
        (2, "`colour` in integer"),
        (10, "`answer` in trace block"),
        (45, "`mood` in stream block"),
        (75, "event scope `extra`"),
    ] {
        let want = format!("metadata line {line}: unknown ");
        assert!(
            err.lines().any(|l| l.contains(&want) && l.contains(what)),
            "warning for {what} at line {line}: {err}"
        );
    }
}

#[test]
fn unmapped_timestamps_use_an_implicit_1ghz_clock() {
    let dir = scratch("compat-implicit-clock");
    let t = Simple {
        uuid: true,
        instance: true,
        hostname: true,
        clock: false,
    };
    let p = t.packet(
        0,
        (1000, 3_000_000_123),
        0,
        &[(0, 2000, 1), (1, 3_000_000_123, 2)],
    );
    t.write(&dir, &[("s0", p)]);
    let out = assert_same(&[&dir]);
    if let Some(out) = out {
        assert!(
            text(&out.stdout).starts_with("[00:00:00.000002000] (+?.?????????) simplehost t:a:"),
            "{}",
            text(&out.stdout)
        );
    }
}

#[test]
fn equal_times_without_stream_instance_ids_keep_babeltrace2s_order() {
    let dir = scratch("compat-ties");
    let t = Simple {
        uuid: true,
        instance: false,
        hostname: true,
        clock: true,
    };
    // Created in an order that is neither the names' order nor the reverse.
    let events = |id: u32, v: u32| [(id, 100, v), (1 - id, 100, v + 1), (id, 200, v + 2)];
    t.write(
        &dir,
        &[
            ("chan_c", t.packet(0, (50, 300), 0, &events(0, 10))),
            ("chan_a", t.packet(0, (50, 300), 0, &events(1, 20))),
            ("chan_b", t.packet(0, (100, 300), 0, &events(0, 30))),
            ("other_0", t.packet(0, (100, 200), 0, &events(1, 40))),
        ],
    );
    let Some(out) = assert_same(&[&dir]) else {
        return;
    };
    assert_eq!(text(&out.stdout).lines().count(), 12);

    // With instance ids, they number the streams whatever the paths.
    let dir = scratch("compat-ties-instance");
    let t = Simple {
        instance: true,
        ..t
    };
    t.write(
        &dir,
        &[
            ("chan_a", t.packet(7, (50, 300), 0, &events(0, 10))),
            ("chan_b", t.packet(3, (50, 300), 0, &events(0, 20))),
            ("chan_c", t.packet(5, (50, 300), 0, &events(1, 30))),
        ],
    );
    assert_same(&[&dir]);
}

#[test]
fn clock_offset_overflowing_nanoseconds_is_refused_like_babeltrace2() {
    let dir = scratch("compat-overflow");
    let t = Simple {
        uuid: true,
        instance: true,
        hostname: true,
        clock: true,
    };
    std::fs::write(
        dir.join("metadata"),
        t.metadata()
            .replace("offset_s = 1700000000;", "offset_s = 9300000000;"),
    )
    .unwrap();
    std::fs::write(dir.join("s0"), t.packet(0, (10, 20), 0, &[(0, 15, 1)])).unwrap();
    let ours = view(&[dir.to_str().unwrap()]);
    assert_eq!(ours.status.code(), Some(1), "{}", text(&ours.stderr));
    assert!(
        ours.stdout.is_empty(),
        "no garbage times: {}",
        text(&ours.stdout)
    );
    let err = text(&ours.stderr);
    assert!(err.contains("s0") && err.contains("overflows"), "{err}");
    if let Some(bt) = babeltrace(&[&dir]) {
        assert!(!bt.status.success(), "babeltrace2 refuses it too");
        assert_eq!(text(&bt.stdout), text(&ours.stdout));
    }
}

#[test]
fn discarded_events_warnings_match_without_hostname_or_uuid() {
    let dir = scratch("compat-discarded");
    let t = Simple {
        uuid: false,
        instance: true,
        hostname: false,
        clock: true,
    };
    let mut s0 = t.packet(0, (10, 20), 0, &[(0, 15, 1)]);
    s0.extend(t.packet(0, (30, 40), 3, &[(1, 35, 2)]));
    t.write(&dir, &[("s0", s0)]);
    let Some((bt, ours)) = both(&[&dir]) else {
        return;
    };
    assert!(ours.status.success(), "{}", text(&ours.stderr));
    assert_eq!(text(&ours.stdout), text(&bt.stdout));
    let ours = warnings(&ours);
    assert_eq!(ours, warnings(&bt));
    assert_eq!(ours.len(), 1);
    assert!(
        ours[0].contains(r#"in trace "" (no UUID) within stream"#),
        "{}",
        ours[0]
    );
}

/// LTTng 2.1–2.3 could write a stream whose time goes backwards from one packet to the next.
/// babeltrace2 2.0 stops there with an error ("less than muxer's last returned timestamp");
/// `ust view` prints the same lines up to that point, then the rest (the late events where
/// they come), with a warning naming the stream, and exits 0.
#[test]
fn time_going_backwards_in_a_stream_prints_the_rest_with_a_warning() {
    let dir = scratch("compat-backwards");
    let t = Simple {
        uuid: true,
        instance: true,
        hostname: true,
        clock: true,
    };
    let mut a = t.packet(0, (10, 100), 0, &[(0, 10, 1), (0, 50, 2), (0, 100, 3)]);
    a.extend(t.packet(0, (60, 200), 0, &[(0, 60, 4), (0, 150, 5)]));
    let b = t.packet(1, (70, 130), 0, &[(1, 70, 6), (1, 120, 7)]);
    t.write(&dir, &[("a", a), ("b", b)]);
    let ours = view(&[dir.to_str().unwrap()]);
    assert!(ours.status.success(), "{}", text(&ours.stderr));
    let values: Vec<String> = text(&ours.stdout)
        .lines()
        .map(|l| {
            l.rsplit("v = ")
                .next()
                .unwrap()
                .trim_end_matches(" }")
                .to_string()
        })
        .collect();
    assert_eq!(values, ["1", "2", "6", "3", "4", "7", "5"]);
    assert!(
        text(&ours.stdout).contains("(-0.000000040)"),
        "a negative delta"
    );
    let err = text(&ours.stderr);
    assert!(
        err.contains("/a: byte offset 104: time goes backwards")
            && err.contains("babeltrace2 stops"),
        "{err}"
    );
    if let Some(bt) = babeltrace(&[&dir]) {
        assert!(!bt.status.success(), "babeltrace2 stops with an error");
        let theirs = text(&bt.stdout);
        assert!(
            text(&ours.stdout).starts_with(&theirs),
            "same lines up to where babeltrace2 stops:\n{theirs}"
        );
        assert!(
            text(&bt.stderr).contains("less than"),
            "{}",
            text(&bt.stderr)
        );
    }
}

/// The other way LTTng 2.1–2.3 streams go backwards: a packet beginning before the previous
/// one ended, its events still in order. babeltrace2 2.0 stops at that packet; `ust view`
/// prints every event in order and warns about the packet.
#[test]
fn a_packet_beginning_before_the_previous_one_ended_is_warned_about() {
    let dir = scratch("compat-packet-backwards");
    let t = Simple {
        uuid: true,
        instance: true,
        hostname: true,
        clock: true,
    };
    let mut a = t.packet(0, (10, 100), 0, &[(0, 10, 1), (0, 50, 2)]);
    let second = a.len();
    a.extend(t.packet(0, (60, 200), 0, &[(0, 110, 3), (0, 150, 4)]));
    let b = t.packet(1, (70, 130), 0, &[(1, 70, 6), (1, 120, 7)]);
    t.write(&dir, &[("a", a), ("b", b)]);
    let ours = view(&[dir.to_str().unwrap()]);
    assert!(ours.status.success(), "{}", text(&ours.stderr));
    let values: Vec<String> = text(&ours.stdout)
        .lines()
        .map(|l| {
            l.rsplit("v = ")
                .next()
                .unwrap()
                .trim_end_matches(" }")
                .to_string()
        })
        .collect();
    assert_eq!(values, ["1", "2", "6", "3", "7", "4"]);
    let err = text(&ours.stderr);
    let want = format!("/a: byte offset {second}: time goes backwards: this packet begins");
    assert!(err.contains(&want), "{err}");
    if let Some(bt) = babeltrace(&[&dir]) {
        assert!(text(&bt.stderr).contains("less than"), "babeltrace2 stops");
        assert!(text(&ours.stdout).starts_with(&text(&bt.stdout)));
    }
}
