//! `ust view` against traces changed or crafted by someone else: a stream file truncated
//! while it is being read, and metadata whose type aliases expand exponentially. Each must
//! end in a clear error naming the file, never a signal or gigabytes of memory.

mod common;
use common::*;
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;

/// A one-stream trace of `packets` packets of `per_packet` events (`ust_test:n`, one u32).
fn large_trace(dir: &std::path::Path, packets: u32, per_packet: u32) {
    let meta = r#"/* CTF 1.8 */
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
    std::fs::write(dir.join("metadata"), meta).unwrap();
    let mut data = Vec::new();
    let mut n = 0u32;
    for p in 0..packets {
        let mut b = Bits::default();
        let t0 = u64::from(p) * 1_000_000;
        b.u32(0xC1FC_1FC1);
        b.u32(0);
        b.u64(t0);
        b.u64(t0 + 999_999);
        let size = 40 + 16 * per_packet as usize;
        b.u64(size as u64 * 8);
        b.u64(size as u64 * 8);
        for e in 0..per_packet {
            b.u32(0);
            b.u64(t0 + u64::from(e));
            b.u32(n);
            n += 1;
        }
        assert_eq!(b.bytes.len(), size);
        data.extend(b.bytes);
    }
    std::fs::write(dir.join("stream_0"), data).unwrap();
}

#[test]
fn a_stream_file_truncated_while_being_read_is_an_error_not_sigbus() {
    let dir = scratch("hostile-truncate");
    large_trace(&dir, 400, 4000);
    let stream = dir.join("stream_0");
    assert!(std::fs::metadata(&stream).unwrap().len() > 20 << 20);
    let mut child = ust()
        .arg("view")
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ust runs");
    let mut stdout = child.stdout.take().unwrap();
    // Once the first lines arrive the reader is at work; it cannot get far ahead of a pipe
    // nobody drains (a few hundred kilobytes of text, a few packets).
    let mut first = vec![0u8; 4096];
    stdout.read_exact(&mut first).unwrap();
    assert!(first.starts_with(b"["), "{}", text(&first));
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&stream)
        .unwrap();
    f.set_len(1 << 20).unwrap();
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.signal(),
        None,
        "killed by a signal: {:?}",
        out.status
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("stream_0"), "{err}");
    assert!(
        err.contains("truncated") || err.contains("goes past the end of the file"),
        "{err}"
    );
    let printed = text(&first).lines().count() + text(&rest).lines().count();
    assert!(
        printed < 400 * 4000 / 2,
        "stopped where the file was cut: {printed} lines"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn metadata_expansion_bomb_is_refused_with_a_clear_error() {
    let dir = scratch("hostile-bomb");
    let mut tsdl = String::from(
        "/* CTF 1.8 */\ntypealias integer { size = 8; align = 8; signed = false; } := t0;\n",
    );
    for level in 1..=8 {
        let fields: String = "abcdefgh"
            .chars()
            .map(|f| format!("t{} {f}; ", level - 1))
            .collect();
        tsdl += &format!("typealias struct {{ {fields}}} := t{level};\n");
    }
    tsdl += "trace { major = 1; minor = 8; byte_order = le; };\n";
    tsdl += "event { name = \"x\"; fields := struct { t8 x; }; };\n";
    assert!(tsdl.len() < 1200);
    std::fs::write(dir.join("metadata"), &tsdl).unwrap();
    std::fs::write(dir.join("stream"), [0u8; 64]).unwrap();
    let out = view(&[dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("metadata") && err.contains("expands to more than 131072 field types"),
        "{err}"
    );
}
