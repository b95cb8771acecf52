//! Rotation of a session's trace on real programs: `ust rotate` and `ust enable-rotation`
//! cut the trace into chunks, `OUTPUT/archives/BEGIN-END-N/`, each a complete trace that
//! babeltrace2 and `ust view` read, together holding every recorded event exactly once
//! (events recorded − discarded); a closed chunk may be deleted while recording goes on;
//! `ust status` lists them; a program killed mid-rotation leaves readable chunks.

mod cli_daemon;
mod common;
mod outputs_support;
mod programs;
use cli_daemon::{failed, wait_registered, Daemon, LineApp};
use outputs_support::*;
use programs::{ctl_app, Scratch};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A started session `r` of ctl_app's events in `dir/t`, with `buffers` options.
fn session(dir: &Path, buffers: &[&str]) -> (Daemon, PathBuf) {
    let d = Daemon::start(dir);
    let out = dir.join("t");
    let mut args = vec!["create", "r", "-o", out.to_str().unwrap()];
    args.extend_from_slice(buffers);
    d.ok(&args);
    d.ok(&["enable", "r", "ctl_app:*"]);
    d.ok(&["start", "r"]);
    (d, out)
}

/// The archived chunks of `out`, oldest first (by chunk number).
fn archives(out: &Path) -> Vec<PathBuf> {
    let dir = out.join("archives");
    let mut v: Vec<(u64, PathBuf)> = entries(&dir)
        .into_iter()
        .map(|name| {
            assert!(!name.starts_with('.'), "a half-made archive: {name}");
            let id = name.rsplit('-').next().unwrap().parse().unwrap();
            (id, dir.join(name))
        })
        .collect();
    v.sort();
    v.into_iter().map(|(_, p)| p).collect()
}

/// Reads every chunk (each alone, with babeltrace2 and `ust view`); checks that no event is
/// in two of them; returns them all.
fn every_event_once(chunks: &[PathBuf]) -> Vec<Event> {
    let mut all = Vec::new();
    let mut seen = HashSet::new();
    for c in chunks {
        let (events, _) = read(&[c]);
        assert_eq!(
            view_count(c),
            events.len(),
            "ust view reads {}",
            c.display()
        );
        for e in &events {
            assert!(seen.insert(e.clone()), "{e:?} is in two chunks");
        }
        all.extend(events);
    }
    all
}

/// How many chunks `ust status` says were archived.
fn archived(status: &str) -> u64 {
    if status.contains("archived:") {
        number(status, "archived:")
    } else {
        0
    }
}

/// The name of an archive: `BEGIN-END-N`, times as `YYYYmmddTHHMMSS±HHMM`.
fn lttng_name(path: &Path) -> bool {
    let name = path.file_name().unwrap().to_str().unwrap();
    let stamp = |s: &str| {
        s.len() == 20
            && s.as_bytes()[8] == b'T'
            && matches!(s.as_bytes()[15], b'+' | b'-')
            && s.bytes().filter(u8::is_ascii_digit).count() == 18
    };
    name.len() > 42
        && stamp(&name[..20])
        && stamp(&name[21..41])
        && name[42..].parse::<u64>().is_ok()
}

#[test]
fn rotations_cut_the_trace_into_chunks_holding_every_event_once() {
    let dir = Scratch::new("rot-manual");
    let (d, out) = session(&dir, &["--subbuf-size", "16k", "--num-subbuf", "8"]);
    let n: u64 = 200_000;
    let mut program = Command::new(ctl_app())
        .args(["events", &n.to_string()])
        .env("UST_DAEMON_SOCKET", &d.socket)
        .env("UST_REGISTER_TIMEOUT", "10000")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut rotated = Vec::new();
    while program.try_wait().unwrap().is_none() && rotated.len() < 6 {
        rotated.push(d.ok(&["rotate", "r"]));
    }
    assert!(program.wait().unwrap().success());
    let mut app = LineApp::start(&ctl_app(), &d.socket);
    wait_registered(&d, app.child.id());
    app.say("last words");
    app.finish();
    let stopped = d.ok(&["stop", "r"]);
    let status = d.ok(&["status", "r"]);
    assert_eq!(archived(&status) as usize, rotated.len(), "{status}");
    for line in &rotated {
        assert!(
            status.contains(&format!(
                "    archives/{}",
                named_dir(line).file_name().unwrap().to_str().unwrap()
            )),
            "{status}"
        );
    }
    d.ok(&["destroy", "r"]);
    let chunks = archives(&out);
    assert_eq!(
        chunks.len(),
        rotated.len() + 1,
        "destroy archives the last chunk"
    );
    assert!(chunks.iter().all(|c| lttng_name(c)), "{chunks:?}");
    assert_eq!(
        entries(&out),
        ["archives"],
        "nothing left outside the archives"
    );
    // What each `ust rotate` said it archived is what the chunk holds.
    for (line, chunk) in rotated.iter().zip(&chunks) {
        assert_eq!(named_dir(line), *chunk);
        let said = line.rsplit(": ").next().unwrap();
        assert_eq!(number(said, ""), read(&[chunk]).0.len() as u64, "{line}");
    }
    let all = every_event_once(&chunks);
    let discarded = number(&stopped, "events, ");
    assert_eq!(all.len() as u64, 2 * n + 2 - discarded, "{stopped}");
    assert_eq!(all.len() as u64, number(&stopped, "stopped: "));
    assert!(all.iter().any(|e| e.text.as_deref() == Some("last words")));
    // Read together, the chunks are one trace (one UUID): babeltrace2 merges them.
    let (together, _) = read(&[&out]);
    assert_eq!(together.len(), all.len());
}

#[test]
fn automatic_rotation_by_size_and_by_age() {
    let dir = Scratch::new("rot-auto");
    let (d, out) = session(&dir, &["--subbuf-size", "16k", "--num-subbuf", "64"]);
    d.ok(&["enable-rotation", "r", "--size", "64k"]);
    let status = d.ok(&["status", "r"]);
    assert!(
        status.contains("rotation:   once a chunk holds 65536 B (64.0 KiB)"),
        "{status}"
    );
    // Ten programs one after the other, 44 KiB of events each.
    for _ in 0..10 {
        record(&d, 2000);
    }
    let status = wait_status(&d, "r", |s| s.contains("archived:"));
    let stopped = d.ok(&["stop", "r"]);
    assert!(archived(&d.ok(&["status", "r"])) >= 2, "{status}");
    // Every chunk closed by size holds at least that many bytes.
    for c in archives(&out) {
        let bytes = size(&c);
        assert!(bytes >= 64 * 1024, "{}: {bytes} bytes", c.display());
    }
    d.ok(&["disable-rotation", "r"]);
    assert!(!d.ok(&["status", "r"]).contains("rotation:"));
    d.ok(&["destroy", "r"]);
    let all = every_event_once(&archives(&out));
    assert_eq!(all.len() as u64, number(&stopped, "stopped: "));

    // By age: a chunk every 200 ms while a program says a word now and then.
    let age = dir.join("age");
    std::fs::create_dir(&age).unwrap();
    let (d, out) = session(&age, &[]);
    d.ok(&["enable-rotation", "r", "--timer", "200ms"]);
    let mut app = LineApp::start(&ctl_app(), &d.socket);
    wait_registered(&d, app.child.id());
    let mut said = 0;
    loop {
        app.say(&format!("w{said}"));
        said += 1;
        if archived(&d.ok(&["status", "r"])) >= 3 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    app.finish();
    d.ok(&["stop", "r"]);
    d.ok(&["destroy", "r"]);
    let words: Vec<String> = every_event_once(&archives(&out))
        .into_iter()
        .filter_map(|e| e.text)
        .collect();
    assert_eq!(
        words,
        (0..said).map(|i| format!("w{i}")).collect::<Vec<_>>()
    );
}

#[test]
fn a_closed_chunk_may_go_while_recording_goes_on() {
    let dir = Scratch::new("rot-delete");
    let (d, out) = session(&dir, &[]);
    let mut app = LineApp::start(&ctl_app(), &d.socket);
    wait_registered(&d, app.child.id());
    app.say("first");
    let gone = named_dir(&d.ok(&["rotate", "r"]));
    std::fs::remove_dir_all(&gone).unwrap();
    app.say("second");
    let moved = named_dir(&d.ok(&["rotate", "r"]));
    let elsewhere = dir.join("shipped");
    std::fs::rename(&moved, &elsewhere).unwrap();
    app.say("third");
    app.finish();
    d.ok(&["stop", "r"]);
    // Rotating a stopped session closes its chunk; the next start opens another.
    let stopped_chunk = named_dir(&d.ok(&["rotate", "r"]));
    let err = failed(&d.ctl(&["rotate", "r"]), 1);
    assert!(
        err.contains("nothing was recorded since the last rotation"),
        "{err}"
    );
    d.ok(&["start", "r"]);
    record(&d, 10);
    d.ok(&["destroy", "r"]);
    let texts =
        |dir: &Path| -> Vec<String> { read(&[dir]).0.into_iter().filter_map(|e| e.text).collect() };
    assert_eq!(texts(&elsewhere), ["second"]);
    assert_eq!(texts(&stopped_chunk), ["third"]);
    let last = archives(&out).pop().unwrap();
    assert_eq!(read(&[&last]).0.len(), 20);
    assert_eq!(archives(&out).len(), 2);
}

#[test]
fn a_program_killed_during_a_rotation_leaves_readable_chunks() {
    let dir = Scratch::new("rot-killed");
    let (d, out) = session(&dir, &["--subbuf-size", "64k", "--num-subbuf", "16"]);
    let n = 100_000;
    let mut victim = Paused::start(&d, n, None);
    let rotating = {
        let socket = d.socket.clone();
        std::thread::spawn(move || {
            common::ust()
                .args(["rotate", "r", "--socket"])
                .arg(socket)
                .output()
                .unwrap()
        })
    };
    victim.child.kill().unwrap();
    victim.child.wait().unwrap();
    let o = rotating.join().unwrap();
    assert!(o.status.success(), "{}", common::text(&o.stderr));
    let stopped = d.ok(&["stop", "r"]);
    d.ok(&["destroy", "r"]);
    let all = every_event_once(&archives(&out));
    assert_eq!(
        all.len() as u64,
        2 * n - number(&stopped, "events, "),
        "{stopped}"
    );
}

#[test]
fn rotations_are_refused_with_a_reason() {
    let dir = Scratch::new("rot-refused");
    let d = Daemon::start(&dir);
    let t = dir.join("t");
    d.ok(&["create", "r", "-o", t.to_str().unwrap()]);
    let err = failed(&d.ctl(&["rotate", "r"]), 1);
    assert!(err.contains("never started"), "{err}");
    let err = failed(&d.ctl(&["rotate", "nope"]), 1);
    assert!(err.contains("no session named \"nope\""), "{err}");
    let usage = d.ctl(&["enable-rotation", "r"]);
    assert_eq!(usage.status.code(), Some(2), "--size or --timer is needed");
    let usage = d.ctl(&["enable-rotation", "r", "--timer", "5 minutes"]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(common::text(&usage.stderr).contains("the unit is one of us, ms, s, m, h"));
}
