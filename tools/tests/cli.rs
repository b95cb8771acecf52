//! The `ust view` command line: help, usage errors, and `--follow` on a growing trace.

mod common;
use common::*;
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

#[test]
fn help_explains_every_option_and_usage_errors_exit_2() {
    let help = text(&ust().args(["view", "--help"]).output().unwrap().stdout);
    for opt in [
        "--events",
        "--begin",
        "--end",
        "--pid",
        "--format",
        "--summary",
        "--follow",
    ] {
        assert!(help.contains(opt), "{opt} missing from --help:\n{help}");
    }
    assert_eq!(ust().arg("view").output().unwrap().status.code(), Some(2));
    assert_eq!(
        ust()
            .args(["view", "--format", "xml", "/tmp"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        ust()
            .args(["view", "--begin", "yesterday", "/tmp"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn follow_prints_packets_as_they_are_written() {
    let dir = scratch("follow");
    write_trace(&dir);
    let stream = dir.join("channel0_0");
    let full = std::fs::read(&stream).unwrap();
    std::fs::write(&stream, &full[..1024]).unwrap();
    let mut child = KillOnDrop(
        ust()
            .args(["view", "--follow", dir.to_str().unwrap()])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let (tx, rx) = mpsc::channel();
    let stdout = child.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let wait_for = |needle: &str| loop {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) if line.contains(needle) => return,
            Ok(_) => {}
            Err(_) => panic!("`{needle}` never printed"),
        }
    };
    wait_for("myprov:exotic");
    // The second packet arrives in two writes: half a packet must not be an error.
    // Appended as a tracer does (never rewritten: the reader maps the file).
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&stream)
        .unwrap();
    file.write_all(&full[1024..1024 + 100]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    file.write_all(&full[1024 + 100..]).unwrap();
    wait_for("after a gap");
}

/// Ends the followed `ust view` however the test ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
