//! `ust view` on hand-made traces: same text as babeltrace2, merging, and clear errors on
//! corrupt input (file + byte offset, readable events still printed, exit status 1).

mod common;
use common::*;
use std::path::Path;

fn assert_same_as_babeltrace(dirs: &[&Path]) {
    let Some(bt) = babeltrace(dirs) else { return };
    assert!(
        bt.status.success(),
        "babeltrace2 failed: {}",
        text(&bt.stderr)
    );
    let args: Vec<&str> = dirs.iter().map(|d| d.to_str().unwrap()).collect();
    let ours = view(&args);
    assert!(
        ours.status.success(),
        "ust view failed: {}",
        text(&ours.stderr)
    );
    let (theirs, ours) = (text(&bt.stdout), text(&ours.stdout));
    for (n, (a, b)) in theirs.lines().zip(ours.lines()).enumerate() {
        assert_eq!(a, b, "line {} differs", n + 1);
    }
    assert_eq!(
        theirs.lines().count(),
        ours.lines().count(),
        "line counts differ"
    );
    assert!(!ours.is_empty());
}

#[test]
fn handmade_trace_prints_exactly_like_babeltrace2() {
    let dir = scratch("handmade");
    write_trace(&dir);
    assert_same_as_babeltrace(&[&dir]);
    let out = view(&[dir.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("myprov:exotic: { cpu_id = 0 }, { vtid = 9 }, { be32 = -5, bits12 = 0b101000000101, oct12 = 07767, f = 1.5, kind = ( \"STR\" : container = 0 ), val = { \"text \\\"quoted\\\"\\n\" }, nested = { a = 200, b = \"inner\" } }"), "{stdout}");
    assert!(
        text(&out.stderr).contains("Tracer discarded 2 events"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn several_traces_merge_by_time_and_copies_are_read_once() {
    let base = scratch("merge");
    let (a, b) = (base.join("a"), base.join("b"));
    write_trace(&a);
    write_trace(&b);
    let other = METADATA
        .replace("3b46d89d-bb3f", "11111111-bb3f")
        .replace("\"myhost\"", "\"other\"");
    std::fs::write(b.join("metadata"), other).unwrap();
    assert_same_as_babeltrace(&[&a, &b]);
    assert_same_as_babeltrace(&[&base]);

    let copy = base.join("copy");
    write_trace(&copy);
    let once = view(&[a.to_str().unwrap()]);
    let twice = view(&[a.to_str().unwrap(), copy.to_str().unwrap()]);
    assert_eq!(
        text(&once.stdout),
        text(&twice.stdout),
        "a copy of a trace (same UUID) is read once"
    );
}

/// Runs `ust view` on a corrupted copy of the hand-made trace.
fn corrupt(name: &str, damage: impl Fn(&Path)) -> (String, String, Option<i32>) {
    let dir = scratch(name);
    write_trace(&dir);
    damage(&dir);
    let out = view(&[dir.to_str().unwrap()]);
    (text(&out.stdout), text(&out.stderr), out.status.code())
}

fn patch(path: &Path, at: usize, bytes: &[u8]) {
    let mut data = std::fs::read(path).unwrap();
    data[at..at + bytes.len()].copy_from_slice(bytes);
    std::fs::write(path, data).unwrap();
}

#[test]
fn bad_magic_names_file_and_offset_after_printing_what_came_before() {
    let (out, err, code) = corrupt("magic", |d| {
        patch(&d.join("channel0_0"), 1024, &[0xde, 0xad, 0xbe, 0xef])
    });
    assert_eq!(code, Some(1));
    assert!(
        err.contains("channel0_0: byte offset 1024: bad packet magic 0xEFBEADDE"),
        "{err}"
    );
    assert!(
        out.contains("hello \\\"world\\\""),
        "first packet printed: {out}"
    );
    assert!(out.contains("from cpu1"), "other stream printed: {out}");
    assert!(!out.contains("after a gap"));
}

#[test]
fn truncated_packet_is_reported_with_its_offset() {
    let (out, err, code) = corrupt("truncated", |d| {
        let f = d.join("channel0_0");
        let data = std::fs::read(&f).unwrap();
        std::fs::write(&f, &data[..1024 + 200]).unwrap();
    });
    assert_eq!(code, Some(1));
    assert!(err.contains("channel0_0: byte offset 1024: packet size 512 bytes goes past the end of the file (200 bytes left)"), "{err}");
    assert!(out.contains("myprov:late"), "{out}");
}

#[test]
fn packet_sizes_pointing_past_the_file_or_content_are_errors() {
    let (_, err, code) = corrupt("size", |d| {
        patch(&d.join("channel0_1"), 56, &u64::MAX.to_le_bytes())
    });
    assert_eq!(code, Some(1));
    assert!(
        err.contains("channel0_1: byte offset 0: packet size"),
        "{err}"
    );
    let (_, err, code) = corrupt("content", |d| {
        patch(&d.join("channel0_1"), 48, &(1u64 << 40).to_le_bytes())
    });
    assert_eq!(code, Some(1));
    assert!(
        err.contains("channel0_1: byte offset 0: packet content size"),
        "{err}"
    );
}

#[test]
fn metadata_syntax_error_names_file_offset_and_line() {
    let (out, err, code) = corrupt("syntax", |d| {
        std::fs::write(
            d.join("metadata"),
            METADATA.replace("major = 1;", "major = ;"),
        )
        .unwrap()
    });
    assert_eq!(code, Some(1));
    let offset = METADATA.find("major = 1;").unwrap() + "major = ".len();
    assert!(err.contains(&format!("metadata: byte offset {offset}: metadata line 10: syntax error: expected a value, found `;`")), "{err}");
    assert!(out.is_empty());
}

#[test]
fn unknown_event_id_and_missing_trace_are_errors() {
    let (out, err, code) = corrupt("event-id", |d| patch(&d.join("channel0_1"), 84, &[0x1e]));
    assert_eq!(code, Some(1));
    assert!(
        err.contains("channel0_1: byte offset 84: event id 30 is not declared in the metadata"),
        "{err}"
    );
    assert!(out.contains("myprov:late"));
    let missing = view(&["/nonexistent/trace"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("/nonexistent/trace: "));
    let empty = scratch("empty");
    let none = view(&[empty.to_str().unwrap()]);
    assert_eq!(none.status.code(), Some(1));
    assert!(text(&none.stderr).contains("no CTF trace found"));
}
