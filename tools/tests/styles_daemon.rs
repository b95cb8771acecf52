//! The other instrumentation styles under the daemon: markers, tracef/tracelog, custom probes
//! and TRACE_EVENT (the c-examples built against this build's libust) run under `ust trace`,
//! their events described to the daemon at registration and recorded with every field.

mod common;
mod programs;
use common::{babeltrace, text, ust};
use programs::{compile, Scratch};
use std::path::{Path, PathBuf};

/// Builds c-examples/<name>/ (all its .c files).
fn example(name: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("c-examples")
        .join(name);
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "c"))
        .collect();
    sources.sort();
    compile(&sources, &src, &format!("styles-{name}"))
}

/// `ust trace -o DIR -- EXE ARGS…`, then the payload group of every event: "name: { … }".
fn traced_events(dir: &Path, exe: &Path, args: &[&str]) -> Option<Vec<String>> {
    let out = ust()
        .arg("trace")
        .arg("-o")
        .arg(dir)
        .arg("--")
        .arg(exe)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "ust trace: {}", text(&out.stderr));
    let out = babeltrace(&[dir])?;
    assert!(out.status.success(), "babeltrace2: {}", text(&out.stderr));
    Some(
        text(&out.stdout)
            .lines()
            .map(|l| {
                let head = l.split(": {").next().unwrap_or_default();
                let name = head.rsplit(' ').next().unwrap_or_default();
                format!("{name}: {}", &l[l.rfind("{ ").unwrap()..])
            })
            .collect(),
    )
}

#[test]
fn markers_and_tracef_are_recorded_through_the_daemon() {
    let scratch = Scratch::new("styles-daemon");
    let markers = example("markers");
    let Some(got) = traced_events(&scratch.join("markers"), &markers, &["2"]) else {
        return;
    };
    assert_eq!(
        got,
        [
            "ust:start: { orders = 2 }",
            "shop:order: { id = 0, item = \"apple\", qty = 1, price = 0.5 }",
            "shop:order: { id = 1, item = \"pear\", qty = 3, price = 1.5 }",
            "shop:sizes: { c = -1, s = -2, l = -3, ll = -4, z = 5, j = -6, t = -7 }",
            "shop:display: { mask = 0xBEEF, big = 0xABCDEF, ch = \"Z\", ptr = 0x1234, mode = 493 }",
            "ust:done: { }",
        ]
    );
    let tracef = example("tracef");
    let got = traced_events(&scratch.join("tracef"), &tracef, &["1"]).unwrap();
    let names: Vec<&str> = got.iter().map(|e| e.split(": ").next().unwrap()).collect();
    assert_eq!(
        names,
        [
            "lttng_ust_tracef:event",
            "lttng_ust_tracef:event",
            "lttng_ust_tracef:event",
            "lttng_ust_tracef:event",
            "lttng_ust_tracef:event",
            "lttng_ust_tracelog:TRACE_ERR",
            "lttng_ust_tracelog:LTTNG_UST_TRACEPOINT_LOGLEVEL_INFO",
            "lttng_ust_tracelog:TRACE_WARNING",
        ]
    );
    assert!(got[0].ends_with("{ _msg_length = 22, msg = \"iteration 0 of 1: even\" }"));
    assert!(got[7].ends_with("_msg_length = 24, msg = \"low memory: 1024 kB left\" }"));
}

#[test]
fn custom_probes_and_trace_event_are_recorded_through_the_daemon() {
    let scratch = Scratch::new("styles-daemon-2");
    let probes = example("probes");
    let Some(got) = traced_events(&scratch.join("probes"), &probes, &[]) else {
        return;
    };
    assert_eq!(got.len(), 204, "3 opens, 200 rounds, 1 check");
    assert_eq!(got[203], "conn:checked: { rounds = 200, violations = 0 }");
    let trace_event = example("trace-event");
    let got = traced_events(&scratch.join("te"), &trace_event, &[]).unwrap();
    assert_eq!(
        got[3],
        "sched_demo:mem_alloc: { ptr = 0x1000, size = 4096, load = 0.75, _label_length = 3, label = \"big\" }"
    );
    assert_eq!(got.len(), 5);
}
