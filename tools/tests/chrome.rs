//! `ust view --format chrome`: the Trace Event Format Perfetto's UI opens. The output is
//! parsed as JSON and checked: tracks per process and thread, instants with their fields as
//! args, begin/end slices that nest on every track; on a hand-made trace with thread
//! contexts, on a real program traced with UST, and on an LTTng kernel trace (per-CPU
//! `sched_switch` slices).

mod common;
mod programs;
use common::*;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// Parses `ust view --format chrome DIR`: its events and where their time 0 is.
fn chrome_doc(dir: &Path) -> (Vec<Value>, String) {
    let out = view(&["--format", "chrome", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(doc["displayTimeUnit"], "ns");
    let origin = doc["otherData"]["first_event_ns"].as_str().unwrap();
    let events = doc["traceEvents"].as_array().expect("traceEvents");
    (events.clone(), origin.to_string())
}

fn chrome(dir: &Path) -> Vec<Value> {
    chrome_doc(dir).0
}

/// Checks that on every track each `E` closes the innermost open `B` of the same name and
/// that times never go backwards on a track; returns the slices (track, name, begin, end)
/// and what is left open per track.
#[allow(clippy::type_complexity)]
fn slices(events: &[Value]) -> (Vec<((i64, i64), String, f64, f64)>, usize) {
    let mut open: HashMap<(i64, i64), Vec<(String, f64)>> = HashMap::new();
    let mut last: HashMap<(i64, i64), f64> = HashMap::new();
    let mut done = Vec::new();
    for e in events {
        let ph = e["ph"].as_str().unwrap();
        if ph == "M" {
            continue;
        }
        let track = (e["pid"].as_i64().unwrap(), e["tid"].as_i64().unwrap());
        let ts = e["ts"].as_f64().unwrap();
        let name = e["name"].as_str().unwrap().to_string();
        let prev = last.insert(track, ts).unwrap_or(f64::MIN);
        assert!(ts >= prev, "time goes backwards on {track:?}: {e}");
        match ph {
            "B" => open.entry(track).or_default().push((name, ts)),
            "E" => {
                let (began, at) = open
                    .get_mut(&track)
                    .and_then(Vec::pop)
                    .unwrap_or_else(|| panic!("E without B on {track:?}: {e}"));
                assert_eq!(began, name, "slices nest on {track:?}");
                done.push((track, name, at, ts));
            }
            "i" => assert_eq!(e["s"], "t", "thread-scoped instant"),
            other => panic!("unexpected phase {other}"),
        }
    }
    (done, open.values().map(Vec::len).sum())
}

fn names(events: &[Value], kind: &str) -> HashMap<(i64, i64), String> {
    events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == kind)
        .map(|e| {
            let track = (e["pid"].as_i64().unwrap(), e["tid"].as_i64().unwrap_or(0));
            (track, e["args"]["name"].as_str().unwrap().to_string())
        })
        .collect()
}

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
	event.header := struct { uint32_t id; ts_t timestamp; };
	event.context := struct { uint32_t _vpid; uint32_t _vtid; string _procname; }; };
event { name = "app:request_begin"; id = 0; stream_id = 0; fields := struct { uint64_t id; }; };
event { name = "app:request_end"; id = 1; stream_id = 0; fields := struct { uint64_t id; }; };
event { name = "app:step_start"; id = 2; stream_id = 0; fields := struct { uint64_t step; }; };
event { name = "app:step_end"; id = 3; stream_id = 0; fields := struct { uint64_t step; }; };
event { name = "lttng_ust_cyg_profile:func_entry"; id = 4; stream_id = 0;
	fields := struct { integer { size = 64; align = 8; signed = false; base = 16; } addr; uint64_t call_site; }; };
event { name = "lttng_ust_cyg_profile:func_exit"; id = 5; stream_id = 0;
	fields := struct { integer { size = 64; align = 8; signed = false; base = 16; } addr; uint64_t call_site; }; };
event { name = "app:tick"; id = 6; stream_id = 0; fields := struct { uint64_t n; string what; }; };
"#;

/// (time, pid, tid, process name, event id, payload value)
type Ev = (u64, u32, u32, &'static str, u32, u64);

fn write(dir: &Path, events: &[Ev]) {
    std::fs::write(dir.join("metadata"), METADATA).unwrap();
    let mut b = Bits::default();
    b.u32(0xC1FC_1FC1);
    b.u32(0);
    b.u64(events[0].0);
    b.u64(events[events.len() - 1].0);
    let sizes = b.bytes.len();
    b.u64(0);
    b.u64(0);
    for &(ts, pid, tid, procname, id, v) in events {
        b.u32(id);
        b.u64(ts);
        b.u32(pid);
        b.u32(tid);
        b.string(procname.as_bytes());
        b.u64(v);
        if id == 4 || id == 5 {
            b.u64(0x4000);
        }
        if id == 6 {
            b.string(b"tock");
        }
    }
    let bits = (b.bytes.len() as u64 * 8).to_le_bytes();
    b.bytes[sizes..sizes + 8].copy_from_slice(&bits);
    b.bytes[sizes + 8..sizes + 16].copy_from_slice(&bits);
    std::fs::write(dir.join("stream_0"), b.bytes).unwrap();
}

#[test]
fn hand_made_spans_become_nested_slices_on_thread_tracks() {
    let dir = scratch("chrome-spans");
    let (a, b) = ("server", "worker");
    write(
        &dir,
        &[
            (1000, 100, 10, a, 0, 1),      // request 1 begins on thread 10
            (2000, 100, 10, a, 2, 1),      //   step 1
            (2500, 100, 11, a, 0, 2),      // request 2 on thread 11
            (3000, 100, 10, a, 6, 7),      //   tick (an instant with args)
            (4000, 100, 10, a, 4, 0x1000), //   func 0x1000
            (5000, 100, 10, a, 5, 0x1000),
            (6000, 100, 10, a, 3, 1),      //   step 1 ends
            (7000, 100, 10, a, 1, 1),      // request 1 ends
            (7500, 100, 11, a, 1, 2),      // request 2 ends
            (8000, 100, 11, a, 3, 9),      // an end without a beginning: an instant
            (9000, 200, 20, b, 4, 0x2000), // func 0x2000 calls func 0x3000,
            (9100, 200, 20, b, 4, 0x3000), // whose exit was not recorded
            (9200, 200, 20, b, 5, 0x2000),
            (9300, 200, 20, b, 0, 3), // left open
        ],
    );
    let (events, origin) = chrome_doc(&dir);
    assert_eq!(origin, "1700000000000001000", "time 0 is the first event");
    let (done, open) = slices(&events);
    assert_eq!(open, 1, "request 3 is still open");
    let summary: Vec<(i64, String, f64, f64)> = done
        .iter()
        .map(|(track, name, b, e)| (track.1, name.clone(), *b, *e))
        .collect();
    let want = [
        (10, "func 0x1000", 3.0, 4.0),
        (10, "app:step", 1.0, 5.0),
        (10, "app:request", 0.0, 6.0),
        (11, "app:request", 1.5, 6.5),
        (20, "func 0x3000", 8.1, 8.2),
        (20, "func 0x2000", 8.0, 8.2),
    ];
    assert_eq!(summary.len(), want.len(), "{summary:?}");
    for (got, want) in summary.iter().zip(want) {
        assert_eq!((got.0, got.1.as_str()), (want.0, want.1));
        assert!((got.2 - want.2).abs() < 0.0005 && (got.3 - want.3).abs() < 0.0005);
    }
    let tick = events.iter().find(|e| e["name"] == "app:tick").unwrap();
    assert_eq!(tick["ph"], "i");
    assert_eq!(tick["cat"], "app");
    assert_eq!(
        (tick["pid"].as_i64(), tick["tid"].as_i64()),
        (Some(100), Some(10))
    );
    assert_eq!(tick["args"]["n"], 7);
    assert_eq!(tick["args"]["what"], "tock");
    let stray = events.iter().find(|e| e["name"] == "app:step_end").unwrap();
    assert_eq!(
        stray["ph"], "i",
        "an end with nothing to close stays an instant"
    );
    let begin = events
        .iter()
        .find(|e| e["ph"] == "B" && e["name"] == "app:request")
        .unwrap();
    assert_eq!(begin["args"]["id"], 1);
    let processes = names(&events, "process_name");
    assert_eq!(processes[&(100, 0)], "server");
    assert_eq!(processes[&(200, 0)], "worker");
    let threads = names(&events, "thread_name");
    assert_eq!(threads.len(), 3);
    assert_eq!(threads[&(100, 11)], "server 11");
}

#[test]
fn a_traced_program_opens_as_a_timeline() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c");
    let exe = programs::compile(&[src.join("spans.c")], &src, "spans");
    let dir = scratch("chrome-program");
    let trace = dir.join("trace");
    let run = std::process::Command::new(&exe)
        .arg("25")
        .env("UST_TRACE", &trace)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", text(&run.stderr));
    let events = chrome(&trace);
    let (done, open) = slices(&events);
    assert_eq!(open, 0);
    let count = |name: &str| done.iter().filter(|s| s.1 == name).count();
    assert_eq!(count("spans:request"), 25);
    assert_eq!(count("spans:step"), 75);
    let notes: Vec<&Value> = events
        .iter()
        .filter(|e| e["name"] == "spans:note")
        .collect();
    assert_eq!(notes.len(), 75);
    assert!(notes.iter().all(|e| e["args"]["text"] == "working"));
    let pid = notes[0]["pid"].as_i64().unwrap();
    assert!(done.iter().all(|s| s.0 .0 == pid), "one process");
    let processes = names(&events, "process_name");
    assert_eq!(processes[&(pid, 0)], "spans");
}

#[test]
fn lttng_kernel_sched_switch_becomes_per_cpu_running_slices() {
    let trace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/ctf-traces/babeltrace/succeed/lttng-tracefile-rotation");
    let trace = match std::env::var_os("UST_CTF_TRACES") {
        Some(d) => Path::new(&d).join("babeltrace/succeed/lttng-tracefile-rotation"),
        None => trace,
    };
    if !trace.is_dir() {
        eprintln!("skipped: no LTTng kernel trace at {}", trace.display());
        return;
    }
    let events = chrome(&trace);
    let (done, open) = slices(&events);
    let json = view(&["--format", "json", trace.to_str().unwrap()]);
    let to_a_thread = text(&json.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["event"] == "sched_switch" && e["fields"]["next_tid"] != 0)
        .count();
    assert!(to_a_thread > 1000);
    assert_eq!(
        done.len() + open,
        to_a_thread,
        "each switch to a thread (not idle) begins a slice"
    );
    assert!(events
        .iter()
        .filter(|e| e["ph"] == "B")
        .all(|e| e["cat"] == "sched_switch"));
    let threads = names(&events, "thread_name");
    for s in &done {
        assert!(threads[&s.0].starts_with("CPU "), "{:?}", s.0);
        assert!(s.1.ends_with(')'), "named after the thread: {}", s.1);
    }
    assert!(events
        .iter()
        .any(|e| e["name"] == "sched_wakeup" && e["ph"] == "i"));
}
