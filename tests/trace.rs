//! Daemonless tracing end to end: real C programs compiled against
//! include/ and libust, run with `UST_TRACE=DIR`, their traces read back by
//! babeltrace2 and by the packet scanner of `common`, checking names,
//! values, counts, order, selection, buffer modes and error handling.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn build_example(name: &str, dir: &Path, extra: &[&str]) -> PathBuf {
    let exe = dir.join(name);
    let src = example(name);
    let mut args = vec!["-I", src.to_str().unwrap()];
    args.extend_from_slice(extra);
    compile(
        &[
            src.join(format!("{name}.c")),
            src.join(format!("{name}-tp.c")),
        ],
        &exe,
        &args,
    );
    exe
}

fn build_test_program(name: &str, dir: &Path) -> PathBuf {
    let exe = dir.join(name);
    let c = test_c("");
    compile(
        &[test_c(&format!("{name}.c")), test_c("probe-tp.c")],
        &exe,
        &["-I", c.to_str().unwrap()],
    );
    exe
}

/// The `n` field of a probe:mark/threads:tick payload.
fn field_u64(payload: &str, field: &str) -> u64 {
    let at = payload.find(&format!("{field} = ")).unwrap() + field.len() + 3;
    payload[at..]
        .split([',', ' '])
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn hello_records_every_event_with_its_values() {
    let dir = scratch("hello");
    let exe = build_example("hello", &dir, &[]);
    let trace = dir.join("trace");
    let out = run_traced(&exe, &["5", "tester"], &trace, &[]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hello, tester (5 events)\n"
    );
    assert!(
        out.stderr.is_empty(),
        "tracing prints nothing: {:?}",
        out.stderr
    );
    let (events, stderr) = babeltrace(&trace);
    assert!(stderr.is_empty(), "{stderr}");
    let payloads: Vec<_> = events
        .iter()
        .map(|e| (e.name.as_str(), e.payload.as_str()))
        .collect();
    let expected: Vec<String> = (0..5)
        .map(|i| format!("{{ count = {i}, who = \"tester\" }}"))
        .collect();
    assert_eq!(payloads.len(), 5);
    for (got, want) in payloads.iter().zip(&expected) {
        assert_eq!(got.0, "hello:greeting");
        assert_eq!(got.1, want);
    }
    let metadata = std::fs::read_to_string(trace.join("metadata")).unwrap();
    assert!(metadata.starts_with("/* CTF 1.8 */"));
    assert!(
        metadata.contains("loglevel = 6;"),
        "TRACE_INFO recorded as the CTF loglevel"
    );
    assert!(metadata.contains("absolute = true;"));
    let boot_id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap();
    assert!(metadata.contains(&format!("uuid = \"{}\";", boot_id.trim())));
}

#[test]
fn fields_example_prints_every_field_type_exactly() {
    let dir = scratch("fields");
    let exe = build_example("fields", &dir, &[]);
    let trace = dir.join("trace");
    run_traced(&exe, &[], &trace, &[]);
    let (events, _) = babeltrace(&trace);
    let got: Vec<String> = events
        .iter()
        .map(|e| format!("{}: {}", e.name, e.payload))
        .collect();
    let expected = [
        "fields:integers: { i8 = -128, u8 = 255, i16 = -32768, u16 = 65535, i32 = -2147483648, u32 = 4294967295, i64 = -9223372036854775808, u64 = 18446744073709551615, hex = 0xFFFFFFFF, port = 65535, addr = 0xFFFFFFFF }",
        "fields:integers: { i8 = 1, u8 = 2, i16 = 3, u16 = 4660, i32 = 5, u32 = 167772161, i64 = 7, u64 = 8, hex = 0xA000001, port = 13330, addr = 0x100000A }",
        "fields:floats: { f = 1.5, d = -0.25 }",
        "fields:text: { s = \"quote\\\" tab\\t newline\\n é\", maybe_null = \"(null)\" }",
        "fields:arrays: { values = [ [0] = -1, [1] = 0, [2] = 2147483647 ], mac = [ [0] = 0x0, [1] = 0x1B, [2] = 0x21, [3] = 0xAB, [4] = 0xCD, [5] = 0xEF ], tag = \"abcd\", _seq_length = 3, seq = [ [0] = 0, [1] = 27, [2] = 33 ], _seq_hex_length = 3, seq_hex = [ [0] = 0x0, [1] = 0x1B, [2] = 0x21 ], _seq_text_length = 3, seq_text = \"abc\" }",
        "fields:arrays: { values = [ [0] = -1, [1] = 0, [2] = 2147483647 ], mac = [ [0] = 0x0, [1] = 0x1B, [2] = 0x21, [3] = 0xAB, [4] = 0xCD, [5] = 0xEF ], tag = \"wxyz\", _seq_length = 0, seq = [ ], _seq_hex_length = 0, seq_hex = [ ], _seq_text_length = 0, seq_text = \"\" }",
        "fields:enums: { state = ( \"IDLE\" : container = 0 ) }",
        "fields:enums: { state = ( \"RUNNING\" : container = 1 ) }",
        "fields:enums: { state = ( \"RUNNING\" : container = 2 ) }",
        "fields:enums: { state = ( \"RUNNING\" : container = 3 ) }",
        "fields:enums: { state = ( \"STOPPED\" : container = 4 ) }",
        "fields:enums: { state = ( <unknown> : container = 5 ) }",
        "fields:request_begin: { id = 7, path = \"/index.html\" }",
        "fields:request_end: { id = 7, path = \"/index.html\" }",
        "fields:empty: { }",
    ];
    assert_eq!(got, expected);
}

#[test]
fn headers_compile_as_cplusplus_and_record_the_same_events() {
    let dir = scratch("cplusplus");
    let src = example("fields");
    let exe = dir.join("fields-cxx");
    compile_cxx(
        &[src.join("fields.c"), src.join("fields-tp.c")],
        &exe,
        &["-I", src.to_str().unwrap()],
    );
    let trace = dir.join("trace");
    run_traced(&exe, &[], &trace, &[]);
    let (events, _) = babeltrace(&trace);
    assert_eq!(events.len(), 15);
    assert_eq!(events[2].payload, "{ f = 1.5, d = -0.25 }");
}

#[test]
fn many_threads_lose_nothing_with_large_buffers() {
    let dir = scratch("threads-large");
    let exe = build_example("threads", &dir, &["-lpthread"]);
    let trace = dir.join("trace");
    let env = [("UST_SUBBUF_SIZE", "1M"), ("UST_NUM_SUBBUF", "16")];
    run_traced(&exe, &["4", "50000"], &trace, &env);
    let (events, stderr) = babeltrace(&trace);
    assert!(stderr.is_empty(), "{stderr}");
    assert_eq!(events.len(), 200_000);
    assert_eq!(discarded(&trace), 0);
    let mut next: BTreeMap<u64, u64> = BTreeMap::new();
    for e in &events {
        let (t, seq) = (
            field_u64(&e.payload, "thread"),
            field_u64(&e.payload, "seq"),
        );
        let want = next.entry(t).or_insert(0);
        assert_eq!(seq, *want, "thread {t}'s events in order, none missing");
        *want += 1;
    }
    assert_eq!(next.values().copied().collect::<Vec<_>>(), vec![50_000; 4]);
}

#[test]
fn small_buffers_account_for_every_event() {
    let dir = scratch("threads-small");
    let exe = build_example("threads", &dir, &["-lpthread"]);
    let trace = dir.join("trace");
    let env = [("UST_SUBBUF_SIZE", "4096"), ("UST_NUM_SUBBUF", "2")];
    run_traced(&exe, &["4", "100000"], &trace, &env);
    let (events, _) = babeltrace(&trace);
    let lost = discarded(&trace);
    assert!(lost > 0, "tiny buffers under 4 writers must drop events");
    assert_eq!(
        events.len() as u64 + lost,
        400_000,
        "written + discarded = emitted"
    );
    for stream in packets(&trace) {
        for w in stream.windows(2) {
            assert!(w[0].ts_begin <= w[0].ts_end && w[0].ts_end <= w[1].ts_begin);
            assert_eq!(w[1].seq, w[0].seq + 1, "discard mode never skips a packet");
            assert!(w[1].discarded >= w[0].discarded, "cumulative");
        }
    }
}

#[test]
fn overwrite_mode_keeps_the_newest_events() {
    let dir = scratch("overwrite");
    let exe = build_example("threads", &dir, &["-lpthread"]);
    let trace = dir.join("trace");
    let env = [
        ("UST_SUBBUF_SIZE", "4096"),
        ("UST_NUM_SUBBUF", "4"),
        ("UST_OVERWRITE", "1"),
    ];
    let mut cmd = Command::new("taskset");
    cmd.args(["-c", "0"])
        .arg(&exe)
        .args(["1", "200000"])
        .env("UST_TRACE", &trace);
    cmd.envs(env);
    run_ok(&mut cmd);
    let (events, _) = babeltrace(&trace);
    let seqs: Vec<u64> = events
        .iter()
        .map(|e| field_u64(&e.payload, "seq"))
        .collect();
    assert!(!seqs.is_empty() && seqs.len() < 200_000);
    assert_eq!(*seqs.last().unwrap(), 199_999, "the newest event is kept");
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "a contiguous newest range"
    );
}

#[test]
fn loglevel_and_globs_select_events() {
    let dir = scratch("select");
    let exe = build_example("fields", &dir, &[]);
    let names = |env: &[(&str, &str)], sub: &str| {
        let trace = dir.join(sub);
        run_traced(&exe, &[], &trace, env);
        let (events, _) = babeltrace(&trace);
        events.into_iter().map(|e| e.name).collect::<Vec<_>>()
    };
    assert_eq!(
        names(&[("UST_LOGLEVEL", "TRACE_INFO")], "info"),
        ["fields:request_begin", "fields:request_end"]
    );
    assert_eq!(
        names(&[("UST_LOGLEVEL", "warning")], "warning"),
        ["fields:request_end"]
    );
    assert_eq!(
        names(&[("UST_EVENTS", "fields:req*,fields:floats")], "glob"),
        [
            "fields:floats",
            "fields:request_begin",
            "fields:request_end"
        ]
    );
    assert_eq!(
        names(&[("UST_EVENTS", "nomatch:*")], "none"),
        Vec::<String>::new()
    );
}

#[test]
fn bad_settings_print_one_message_and_run_untraced() {
    let dir = scratch("bad-settings");
    let exe = build_example("hello", &dir, &[]);
    for (i, (var, value)) in [
        ("UST_SUBBUF_SIZE", "1000"),
        ("UST_SUBBUF_SIZE", "big"),
        ("UST_NUM_SUBBUF", "3"),
        ("UST_OVERWRITE", "maybe"),
        ("UST_LOGLEVEL", "LOUD"),
        ("UST_EVENTS", ",,"),
        ("UST_CLOCK", "sundial"),
    ]
    .into_iter()
    .enumerate()
    {
        let trace = dir.join(format!("trace{i}"));
        let out = run_traced(&exe, &[], &trace, &[(var, value)]);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "hello, world (3 events)\n"
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains(var) && stderr.contains("tracing disabled"),
            "{stderr}"
        );
        assert!(!has_trace(&trace));
    }
}

#[test]
fn unwritable_trace_directory_is_reported_and_the_program_runs() {
    let dir = scratch("unwritable");
    let exe = build_example("hello", &dir, &[]);
    let file = dir.join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let out = run_traced(&exe, &[], &file.join("trace"), &[]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hello, world (3 events)\n"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("UST_TRACE="));
}

#[test]
fn without_ust_trace_nothing_happens() {
    let dir = scratch("untraced");
    let exe = build_test_program("untraced", &dir);
    let nobody = dir.join("no-daemon.sock");
    let out = run_ok(
        Command::new(&exe)
            .current_dir(&dir)
            .env_remove("UST_TRACE")
            .env("UST_DAEMON_SOCKET", &nobody),
    );
    // The one thread UST adds is the listener looking for a daemon.
    assert_eq!(String::from_utf8_lossy(&out.stdout), "threads=2\n");
    assert!(out.stderr.is_empty());
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        files,
        vec![std::ffi::OsString::from("untraced")],
        "no files written"
    );
    let traced = run_traced(&exe, &[], &dir.join("trace"), &[]);
    assert_eq!(
        String::from_utf8_lossy(&traced.stdout),
        "threads=2\n",
        "one consumer thread"
    );
}

#[test]
fn a_second_run_replaces_the_previous_trace() {
    let dir = scratch("rerun");
    let exe = build_example("hello", &dir, &[]);
    let trace = dir.join("trace");
    run_traced(&exe, &["4"], &trace, &[]);
    run_traced(&exe, &["2"], &trace, &[]);
    assert_eq!(babeltrace(&trace).0.len(), 2);
}

#[test]
fn events_from_signal_handlers_are_recorded() {
    let dir = scratch("signals");
    let exe = build_test_program("signals", &dir);
    let trace = dir.join("trace");
    let env = [("UST_SUBBUF_SIZE", "4M"), ("UST_NUM_SUBBUF", "16")];
    let out = run_traced(&exe, &[], &trace, &env);
    let text = String::from_utf8(out.stdout).unwrap();
    let main: u64 = text
        .split("main=")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let handler: u64 = text
        .split("handler=")
        .nth(1)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let (events, _) = babeltrace(&trace);
    let count = |who: &str| {
        events
            .iter()
            .filter(|e| e.payload.contains(&format!("\"{who}\"")))
            .count() as u64
    };
    assert_eq!(discarded(&trace), 0);
    assert_eq!(count("main"), main);
    assert_eq!(count("handler"), handler);
    assert!(handler >= 200);
}

#[test]
fn forked_child_is_not_recorded_and_runs_normally() {
    let dir = scratch("fork");
    let exe = build_test_program("forking", &dir);
    let trace = dir.join("trace");
    let out = run_traced(&exe, &[], &trace, &[]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "child exited 0\n");
    let (events, _) = babeltrace(&trace);
    let got: Vec<_> = events.iter().map(|e| e.payload.clone()).collect();
    let want: Vec<_> = (0..4)
        .map(|n| format!("{{ who = \"parent\", n = {n} }}"))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn dlopen_dlclose_cycles_register_and_unregister() {
    let dir = scratch("dlopen");
    let c = test_c("");
    let plugin = dir.join("libplugin.so");
    compile(
        &[test_c("plugin.c")],
        &plugin,
        &["-shared", "-fPIC", "-I", c.to_str().unwrap()],
    );
    let exe = dir.join("dlopen_cycle");
    compile(&[test_c("dlopen_cycle.c")], &exe, &["-nolibust"]);
    let trace = dir.join("trace");
    let out = run_traced(&exe, &[plugin.to_str().unwrap()], &trace, &[]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "dlopen_cycle: 3 rounds\n"
    );
    let (events, _) = babeltrace(&trace);
    let got: Vec<_> = events.iter().map(|e| e.payload.clone()).collect();
    let want: Vec<_> = (0..3)
        .flat_map(|r| (0..10).map(move |i| format!("{{ round = {r}, i = {i} }}")))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn dynamic_linkage_traces_only_with_the_provider_and_runs_without_libust() {
    let dir = scratch("dynamic");
    let src = example("dynamic");
    let inc = ["-I", src.to_str().unwrap()];
    let provider = dir.join("libdynamic-tp.so");
    compile(
        &[src.join("dynamic-tp.c")],
        &provider,
        &[&["-shared", "-fPIC"][..], &inc].concat(),
    );
    let exe = dir.join("dynamic");
    compile(
        &[src.join("dynamic.c")],
        &exe,
        &[&["-nolibust"][..], &inc].concat(),
    );
    let needed = run_ok(Command::new("readelf").arg("-d").arg(&exe));
    assert!(
        !String::from_utf8_lossy(&needed.stdout).contains("libust"),
        "no DT_NEEDED on libust"
    );

    let without_lib = dir.join("t-nolib");
    // cargo test puts target/<profile> on LD_LIBRARY_PATH: take it away.
    let out = run_ok(
        Command::new(&exe)
            .env("UST_TRACE", &without_lib)
            .env_remove("LD_LIBRARY_PATH"),
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "dynamic: 3 items\n");
    assert!(!has_trace(&without_lib), "libust not found: untraced");

    let no_provider = dir.join("t-noprovider");
    let out = run_ok(
        Command::new(&exe)
            .env("UST_TRACE", &no_provider)
            .env("LD_LIBRARY_PATH", lib_dir()),
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "dynamic: 3 items\n");
    assert!(
        babeltrace(&no_provider).0.is_empty(),
        "no provider: no events"
    );

    let traced = dir.join("t-preload");
    run_ok(
        Command::new(&exe)
            .env("UST_TRACE", &traced)
            .env("LD_PRELOAD", &provider),
    );
    let (events, _) = babeltrace(&traced);
    let got: Vec<_> = events.iter().map(|e| e.payload.clone()).collect();
    assert_eq!(got.len(), 6);
    assert_eq!(got[0], "{ item = 0, phase = \"start\" }");
    assert_eq!(got[5], "{ item = 2, phase = \"done\" }");
}

#[test]
fn libust_exports_only_ust_symbols_and_has_its_soname() {
    let lib = lib_dir().join("libust.so");
    let out = run_ok(Command::new("nm").args(["-D", "--defined-only"]).arg(&lib));
    let symbols: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2).map(str::to_string))
        .collect();
    assert!(!symbols.is_empty());
    for s in &symbols {
        assert!(s.starts_with("ust_"), "unexpected exported symbol {s}");
    }
    let dynamic = run_ok(Command::new("readelf").arg("-d").arg(&lib));
    assert!(String::from_utf8_lossy(&dynamic.stdout).contains("Library soname: [libust.so.1]"));
}

/// Events in a trace, counted by babeltrace2 (its counter sink decodes every event).
fn counted_events(trace: &Path) -> u64 {
    let out = run_ok(
        Command::new("babeltrace2")
            .args(["-c", "sink.utils.counter", "-p", "step=+0"])
            .arg(trace),
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| l.contains("Event message"))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .expect("babeltrace2's counter output")
}

#[test]
fn a_blocking_channel_keeps_every_event_of_a_fast_writer_with_tiny_buffers() {
    let dir = scratch("blocking");
    let exe = dir.join("app_blocking");
    let src = test_c("lttng_compat");
    compile(
        &[src.join("app_blocking.c")],
        &exe,
        &[
            "-I",
            src.to_str().unwrap(),
            "-I",
            root().join("include/lttng-compat").to_str().unwrap(),
        ],
    );
    let tiny = [("UST_SUBBUF_SIZE", "4k"), ("UST_NUM_SUBBUF", "2")];
    let n = 1_000_000u64;
    let blocking = dir.join("blocking");
    let mut env = tiny.to_vec();
    env.push(("UST_BLOCKING_TIMEOUT", "inf"));
    run_traced(&exe, &[&n.to_string()], &blocking, &env);
    assert_eq!(discarded(&blocking), 0);
    assert_eq!(counted_events(&blocking), n);
    // The same run without blocking loses events (and counts them).
    let dropping = dir.join("dropping");
    run_traced(&exe, &[&n.to_string()], &dropping, &tiny);
    let kept = counted_events(&dropping);
    assert!(kept < n && kept + discarded(&dropping) == n, "{kept} kept");
}
