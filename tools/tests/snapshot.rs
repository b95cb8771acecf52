//! Flight-recorder sessions (`ust create --snapshot`) on real programs: `ust snapshot` writes
//! the newest events of every program and CPU as a complete trace babeltrace2 and `ust view`
//! read, while recording goes on; `--max-size` bounds it; snapshots taken at once are
//! serialized; a program killed mid-snapshot, and a disk that fills up, still leave readable
//! snapshots; `--on-event` has the daemon take one when an event is recorded.

mod cli_daemon;
mod common;
mod outputs_support;
mod programs;
use cli_daemon::{failed, wait_registered, Daemon, LineApp};
use outputs_support::*;
use programs::{ctl_app, Scratch};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A started flight recorder `fr` of ctl_app's events, 4 sub-buffers of 4 KiB per CPU,
/// writing snapshots in `dir/fr`.
fn recorder(dir: &Path) -> (Daemon, PathBuf) {
    let d = Daemon::start(dir);
    let out = dir.join("fr");
    d.ok(&[
        "create",
        "fr",
        "--snapshot",
        "-o",
        out.to_str().unwrap(),
        "--subbuf-size",
        "4k",
        "--num-subbuf",
        "4",
    ]);
    d.ok(&["enable", "fr", "ctl_app:*"]);
    d.ok(&["start", "fr"]);
    (d, out)
}

/// Takes a snapshot (`ust snapshot fr EXTRA…`); returns its directory.
fn snapshot(d: &Daemon, extra: &[&str]) -> PathBuf {
    let mut args = vec!["snapshot", "fr"];
    args.extend_from_slice(extra);
    named_dir(&d.ok(&args))
}

/// The events of each program, by pid.
fn by_program(events: &[Event]) -> BTreeMap<u32, Vec<Event>> {
    let mut m: BTreeMap<u32, Vec<Event>> = BTreeMap::new();
    for e in events {
        m.entry(e.vpid).or_default().push(e.clone());
    }
    m
}

/// The events are the last ones a program recording `n` of each kind recorded, in order,
/// none missing in between: positions k, k+1, …, 2n−1.
fn newest_in_order(events: &[Event], n: u64) {
    let positions: Vec<u64> = events.iter().map(Event::position).collect();
    assert_eq!(
        positions.last(),
        Some(&(2 * n - 1)),
        "the newest event is there"
    );
    assert!(
        positions.windows(2).all(|w| w[1] == w[0] + 1),
        "a run of the newest events, in order: {positions:?}"
    );
    assert!(
        (positions.len() as u64) < 2 * n,
        "the buffers hold fewer events than recorded"
    );
}

#[test]
fn snapshots_hold_the_newest_events_of_every_program_while_recording_goes_on() {
    let dir = Scratch::new("snap-newest");
    let (d, out) = recorder(&dir);
    let n = 5000;
    let a = Paused::start(&d, n, Some(0));
    let b = Paused::start(&d, n, Some(1));
    let first = snapshot(&d, &[]);
    assert_eq!(first.parent(), Some(out.as_path()));
    let name = first.file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with("snapshot-1-") && name.len() == "snapshot-1-YYYYMMDD-HHMMSS".len(),
        "{name}"
    );
    let (events, _) = read(&[&first]);
    let programs = by_program(&events);
    assert_eq!(programs.keys().copied().collect::<Vec<_>>(), {
        let mut pids = vec![a.pid(), b.pid()];
        pids.sort();
        pids
    });
    for (pid, cpu) in [(a.pid(), 0), (b.pid(), 1)] {
        let mine = &programs[&pid];
        newest_in_order(mine, n);
        assert!(mine.iter().all(|e| e.cpu == cpu), "pinned to CPU {cpu}");
    }
    assert_eq!(view_count(&first), events.len(), "ust view reads it too");

    // Recording goes on, and the next snapshot holds what came since.
    let mut c = LineApp::start(&ctl_app(), &d.socket);
    wait_registered(&d, c.child.id());
    c.say("later");
    let second = snapshot(&d, &[]);
    assert!(second
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("snapshot-2-"));
    let (events, _) = read(&[&second]);
    let programs = by_program(&events);
    let said = &programs[&c.child.id()];
    assert_eq!(said.last().unwrap().n, 0);
    assert_eq!(said[0].text.as_deref(), Some("later"));
    newest_in_order(&programs[&a.pid()], n);
    newest_in_order(&programs[&b.pid()], n);
    c.finish();
    let status = d.ok(&["status", "fr"]);
    assert!(status.contains("snapshots:  2, the last in"), "{status}");
    assert_eq!(entries(&out).len(), 2, "nothing else in the output");
}

#[test]
fn a_size_bound_keeps_the_newest_packets_that_fit() {
    let dir = Scratch::new("snap-bound");
    let (d, _) = recorder(&dir);
    let n = 5000;
    let a = Paused::start(&d, n, Some(1));
    let whole = snapshot(&d, &[]);
    let bound = 9 * 1024;
    let bounded = snapshot(&d, &["--max-size", "9k"]);
    assert!(size(&bounded) <= bound, "{} bytes", size(&bounded));
    assert!(size(&bounded) < size(&whole));
    let (events, _) = read(&[&bounded]);
    newest_in_order(&by_program(&events)[&a.pid()], n);
    let (all, _) = read(&[&whole]);
    assert!(events.len() < all.len() && all.ends_with(&events));
    let err = failed(&d.ctl(&["snapshot", "fr", "--max-size", "100"]), 1);
    assert!(err.contains("leaves no room"), "{err}");
}

#[test]
fn snapshots_asked_at_once_are_written_one_after_the_other() {
    let dir = Scratch::new("snap-concurrent");
    let (d, out) = recorder(&dir);
    let _a = Paused::start(&d, 3000, None);
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let socket = d.socket.clone();
            std::thread::spawn(move || {
                common::ust()
                    .args(["snapshot", "fr", "--socket"])
                    .arg(socket)
                    .output()
                    .unwrap()
            })
        })
        .collect();
    let mut dirs = Vec::new();
    for r in runs {
        let o = r.join().unwrap();
        assert!(o.status.success(), "{}", common::text(&o.stderr));
        dirs.push(named_dir(&common::text(&o.stdout)));
    }
    dirs.sort();
    let numbers: Vec<String> = dirs
        .iter()
        .map(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .split('-')
                .nth(1)
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(numbers, ["1", "2", "3", "4"]);
    // The program is quiet: each snapshot, written whole on its own, holds the same events.
    let (first, _) = read(&[&dirs[0]]);
    for other in &dirs[1..] {
        assert_eq!(read(&[other]).0, first);
    }
    assert_eq!(entries(&out).len(), 4, "no half-written directory left");
}

#[test]
fn a_program_killed_during_a_snapshot_leaves_it_readable_and_its_last_events_kept() {
    let dir = Scratch::new("snap-killed");
    let d = Daemon::start(&dir);
    let out = dir.join("fr");
    d.ok(&[
        "create",
        "fr",
        "--snapshot",
        "-o",
        out.to_str().unwrap(),
        "--subbuf-size",
        "128k",
        "--num-subbuf",
        "16",
    ]);
    d.ok(&["enable", "fr", "ctl_app:*"]);
    d.ok(&["start", "fr"]);
    let n = 100_000;
    let mut victim = Paused::start(&d, n, Some(0));
    let pid = victim.pid();
    let taking = {
        let socket = d.socket.clone();
        std::thread::spawn(move || {
            common::ust()
                .args(["snapshot", "fr", "--socket"])
                .arg(socket)
                .output()
                .unwrap()
        })
    };
    victim.child.kill().unwrap();
    victim.child.wait().unwrap();
    let o = taking.join().unwrap();
    assert!(o.status.success(), "{}", common::text(&o.stderr));
    let during = named_dir(&common::text(&o.stdout));
    let (events, _) = read(&[&during]);
    assert!(events.iter().all(|e| e.vpid == pid));
    // The program is gone; its buffers are not: its newest events are in the next snapshot.
    let after = snapshot_of(&d);
    let (events, _) = read(&[&after]);
    newest_in_order(&by_program(&events)[&pid], n);
    // And after the session stopped, too.
    d.ok(&["stop", "fr"]);
    let stopped = snapshot_of(&d);
    assert_eq!(read(&[&stopped]).0, events);
}

fn snapshot_of(d: &Daemon) -> PathBuf {
    named_dir(&d.ok(&["snapshot", "fr"]))
}

/// A tmpfs of `size` mounted at `dir` (unmounted when dropped).
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(dir: &Path, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(dir).unwrap();
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipped: mounting a small disk needs root");
            return None;
        }
        let ok = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir)
            .status()
            .unwrap();
        assert!(ok.success(), "mount tmpfs");
        Some(SmallDisk(dir.to_path_buf()))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_disk_full_during_a_snapshot_leaves_whole_packets_that_babeltrace2_reads() {
    let dir = Scratch::new("snap-disk-full");
    let Some(disk) = SmallDisk::mount(&dir.join("small"), "64k") else {
        return;
    };
    let d = Daemon::start(&dir);
    let out = dir.join("fr");
    d.ok(&[
        "create",
        "fr",
        "--snapshot",
        "-o",
        out.to_str().unwrap(),
        "--subbuf-size",
        "16k",
        "--num-subbuf",
        "16",
    ]);
    d.ok(&["enable", "fr", "ctl_app:*"]);
    d.ok(&["start", "fr"]);
    let n = 20_000;
    let a = Paused::start(&d, n, Some(1));
    let written = d.ok(&["snapshot", "fr", "-o", disk.0.to_str().unwrap()]);
    assert!(
        written.contains("problem: No space left on device")
            && written.contains("events not written"),
        "{written}"
    );
    let snap = named_dir(written.lines().next().unwrap());
    let (events, _) = read(&[&snap]);
    assert_eq!(events.len() as u64, number(&written, ": "), "{written}");
    let mine = &by_program(&events)[&a.pid()];
    assert!(mine
        .windows(2)
        .all(|w| w[1].position() == w[0].position() + 1));
    assert_eq!(
        entries(&disk.0).len(),
        1,
        "one snapshot, nothing half-written"
    );
    // The recorder goes on; a snapshot where there is room is whole.
    let whole = snapshot_of(&d);
    newest_in_order(&by_program(&read(&[&whole]).0)[&a.pid()], n);
}

#[test]
fn an_event_takes_a_snapshot_that_holds_it_and_the_other_programs() {
    let dir = Scratch::new("snap-trigger");
    let (d, out) = recorder(&dir);
    let quiet = Paused::start(&d, 50, None);
    d.ok(&[
        "snapshot",
        "fr",
        "--on-event",
        "ctl_app:info",
        "--filter",
        "text == \"boom*\"",
        "--min-interval",
        "1h",
    ]);
    let mut app = LineApp::start(&ctl_app(), &d.socket);
    wait_registered(&d, app.child.id());
    for i in 0..30 {
        app.say(&format!("fine{i}"));
    }
    app.say("boom");
    let status = wait_status(&d, "fr", |s| s.contains("snapshots:  1"));
    assert!(
        status.contains("trigger:    on ctl_app:info where text == \"boom*\""),
        "{status}"
    );
    let last = status
        .split("the last in ")
        .nth(1)
        .unwrap()
        .lines()
        .next()
        .unwrap();
    let (events, _) = read(&[Path::new(last)]);
    let programs = by_program(&events);
    let said = &programs[&app.child.id()];
    let boom = said
        .iter()
        .position(|e| e.text.as_deref() == Some("boom"))
        .expect("the triggering event is in the snapshot");
    assert!(said[..boom]
        .iter()
        .any(|e| e.text.as_deref() == Some("fine29")));
    assert_eq!(programs[&quiet.pid()].last().unwrap().position(), 99);
    // Within the interval, another match takes no snapshot.
    app.say("boom again");
    let status = wait_status(&d, "fr", |s| s.contains("1 matches too soon"));
    assert!(status.contains("snapshots:  1,"), "{status}");
    // Once the trigger is gone, nothing more happens; a new one with no interval fires at once.
    d.ok(&["snapshot", "fr", "--remove-trigger"]);
    assert!(!d.ok(&["status", "fr"]).contains("trigger:"));
    d.ok(&[
        "snapshot",
        "fr",
        "--on-event",
        "ctl_app:debug",
        "--min-interval",
        "0s",
    ]);
    app.say("any");
    wait_status(&d, "fr", |s| s.contains("snapshots:  2"));
    app.finish();
    assert_eq!(entries(&out).len(), 2);
}

#[test]
fn snapshots_are_refused_with_a_reason() {
    let dir = Scratch::new("snap-refused");
    let d = Daemon::start(&dir);
    let t = dir.join("t");
    d.ok(&["create", "plain", "-o", t.to_str().unwrap()]);
    let err = failed(&d.ctl(&["snapshot", "plain"]), 1);
    assert!(
        err.contains("not a flight recorder (create the session with --snapshot)"),
        "{err}"
    );
    let fr = dir.join("fr");
    d.ok(&["create", "fr", "--snapshot", "-o", fr.to_str().unwrap()]);
    let err = failed(&d.ctl(&["snapshot", "fr"]), 1);
    assert!(err.contains("never started"), "{err}");
    let err = failed(&d.ctl(&["rotate", "fr"]), 1);
    assert!(err.contains("use `ust snapshot`"), "{err}");
    let err = failed(
        &d.ctl(&["snapshot", "fr", "--on-event", "a:*", "--filter", "x =="]),
        1,
    );
    assert!(err.contains("--filter"), "{err}");
    let usage = d.ctl(&["snapshot", "fr", "--filter", "x == 1"]);
    assert_eq!(usage.status.code(), Some(2), "--filter needs --on-event");
    let usage = d.ctl(&["create", "x", "--snapshot", "--relay", "net://127.0.0.1"]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(common::text(&usage.stderr).contains("cannot be used with"));
}
