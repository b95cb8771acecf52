//! Randomized robustness test of the reader: mutated metadata and mutated packets must give
//! events or clean errors — never a panic, never a hang. Deterministic (fixed seed), bounded
//! (a fixed number of cases), in-process so a panic fails the test.

mod common;
use common::*;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;
use ust_reader::{metadata, open_all, time, Chrome, Json, Merger, Pretty, Summary};

/// xorshift64*: small, fast, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: [&str; 14] = [
    "{",
    "}",
    ";",
    "[",
    "]",
    "<",
    ">",
    ":=",
    "=",
    "...",
    "struct",
    "variant",
    "0xFFFFFFFFFFFFFFFF",
    "-1",
];

fn mutate_text(rng: &mut Rng, text: &str) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len());
        match rng.below(5) {
            0 => bytes[at] = rng.next() as u8,
            1 => {
                let end = (at + rng.below(40)).min(bytes.len());
                bytes.drain(at..end);
            }
            2 => {
                let tok = TOKENS[rng.below(TOKENS.len())];
                bytes.splice(at..at, tok.bytes());
            }
            3 => bytes.truncate(at),
            _ => {
                // Replace a number with an extreme one.
                if let Some(d) = bytes[at..].iter().position(|b| b.is_ascii_digit()) {
                    let p = at + d;
                    bytes.splice(p..p + 1, b"99999999999".iter().copied());
                }
            }
        }
        if bytes.is_empty() {
            break;
        }
    }
    bytes
}

fn mutate_stream(rng: &mut Rng, data: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(6) {
        if data.is_empty() {
            return;
        }
        // Half of the damage lands in packet headers and contexts (first 100 bytes).
        let at = if rng.below(2) == 0 {
            rng.below(data.len().min(100))
        } else {
            rng.below(data.len())
        };
        match rng.below(4) {
            0 => data[at] ^= 1 << rng.below(8),
            1 => data[at] = rng.next() as u8,
            2 => {
                let v = rng.next().to_le_bytes();
                let end = (at + 8).min(data.len());
                data[at..end].copy_from_slice(&v[..end - at]);
            }
            _ => data.truncate(at),
        }
    }
}

/// Reads everything a trace directory gives, in every output mode (text last, decoding
/// each event once as `ust view` does).
fn read_all(dir: &Path) {
    let Ok(traces) = open_all(&[dir.to_path_buf()]) else {
        return;
    };
    let mut merger = Merger::new(traces, true, false);
    merger.decode_once();
    let (mut pretty, mut json, mut summary) =
        (Pretty::new(time::utc), Json::new(time::utc), Summary::new());
    let mut chrome = Chrome::new(0);
    let mut out = Vec::new();
    while let Some(ev) = merger.next_event() {
        let _ = json.event(&ev, &mut out);
        let _ = chrome.event(&ev, &mut out);
        let _ = pretty.event(&ev, &mut out);
        let _ = ev.vpid();
        summary.add_event(&ev);
        out.clear();
    }
    let _ = merger.take_errors();
    for loss in merger.take_losses() {
        summary.add_loss(&loss);
    }
    summary.render(time::utc);
}

/// Runs `work` on a thread; a run that does not finish within a very generous bound is
/// reported as a hang.
fn without_hang(name: &str, work: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        work();
        let _ = tx.send(());
    });
    match rx.recv_timeout(Duration::from_secs(300)) {
        Ok(()) => handle.join().expect("no panic"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{name}: panicked (see above)"),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{name}: no result after 300 s: the reader hangs")
        }
    }
}

#[test]
fn mutated_metadata_never_panics_or_hangs() {
    without_hang("metadata", || {
        let mut rng = Rng(0x5eed_0001);
        let (mut ok, mut errors) = (0, 0);
        for _ in 0..3000 {
            let bytes = mutate_text(&mut rng, METADATA);
            match metadata::parse(Path::new("metadata"), &bytes) {
                Ok(_) => ok += 1,
                Err(e) => {
                    assert!(
                        e.offset.is_some_and(|o| o as usize <= bytes.len()),
                        "offset inside the file: {e}"
                    );
                    errors += 1;
                }
            }
        }
        assert!(
            ok > 0 && errors > 0,
            "the mutations exercise both outcomes ({ok} ok, {errors} errors)"
        );
    });
}

#[test]
fn mutated_packets_never_panic_or_hang() {
    without_hang("packets", || {
        let dir = scratch("fuzz");
        write_trace(&dir);
        let originals: Vec<_> = ["channel0_0", "channel0_1"]
            .iter()
            .map(|f| (dir.join(f), std::fs::read(dir.join(f)).unwrap()))
            .collect();
        let mut rng = Rng(0x5eed_0002);
        for _ in 0..2000 {
            for (path, data) in &originals {
                let mut data = data.clone();
                if rng.below(3) > 0 {
                    mutate_stream(&mut rng, &mut data);
                }
                std::fs::write(path, data).unwrap();
            }
            read_all(&dir);
        }
        // Mutated metadata over intact streams: types that no longer match the bytes.
        for (path, data) in &originals {
            std::fs::write(path, data).unwrap();
        }
        for _ in 0..300 {
            std::fs::write(dir.join("metadata"), mutate_text(&mut rng, METADATA)).unwrap();
            read_all(&dir);
        }
    });
}
