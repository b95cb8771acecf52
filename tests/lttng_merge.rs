//! A UST trace and an LTTng-UST trace recorded at the same time merge on
//! one timeline: `babeltrace2 UST_TRACE LTTNG_TRACE` accepts both clocks
//! (UST's is absolute, with the boot id as uuid) and interleaves the two
//! programs' events, which ticked concurrently every 3 ms, in time order.
//! Skipped (passing) when the lttng command is not installed.

mod common;

use common::*;
use std::process::Command;

#[test]
fn ust_and_lttng_traces_interleave_on_one_timeline() {
    if !lttng_ready() {
        return;
    }
    let dir = scratch("lttng-merge");
    let c = test_c("");
    let with_lttng = dir.join("ticker-lttng");
    run_ok(
        Command::new("cc")
            .args(["-O2", "-I"])
            .arg(&c)
            .arg(test_c("ticker.c"))
            .arg("-o")
            .arg(&with_lttng)
            .args(["-llttng-ust", "-ldl"]),
    );
    let with_ust = dir.join("ticker-ust");
    let compat = root().join("include").join("lttng-compat");
    compile(
        &[test_c("ticker.c")],
        &with_ust,
        &["-I", c.to_str().unwrap(), "-I", compat.to_str().unwrap()],
    );

    let session = format!("ust-merge-{}", std::process::id());
    let lttng_out = dir.join("lttng");
    lttng(&[
        "create",
        &session,
        &format!("--output={}", lttng_out.display()),
    ]);
    lttng(&["enable-event", "-u", "ticker:*", "-s", &session]);
    lttng(&["start", &session]);
    let ust_trace = dir.join("ust");
    let mut ust = Command::new(&with_ust)
        .arg("ust")
        .env("UST_TRACE", &ust_trace)
        .spawn()
        .unwrap();
    let lt = run_ok(Command::new(&with_lttng).arg("lttng"));
    assert!(ust.wait().unwrap().success());
    lttng(&["stop", &session]);
    lttng(&["destroy", &session]);
    assert!(lt.status.success());

    let out = run_ok(
        Command::new("babeltrace2")
            .arg(&ust_trace)
            .arg(lttng_ust_trace(&lttng_out)),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let tags: Vec<&str> = text
        .lines()
        .map(|l| {
            if l.contains("tracer = \"ust\"") {
                "ust"
            } else {
                "lttng"
            }
        })
        .collect();
    assert_eq!(tags.iter().filter(|t| **t == "ust").count(), 30, "{text}");
    assert_eq!(tags.len(), 60, "{text}");
    let switches = tags.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(
        switches >= 20,
        "events of both tracers interleave by time ({switches} switches):\n{text}"
    );
}
