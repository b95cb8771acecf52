//! The other instrumentation styles end to end: the examples of
//! c-examples/ (markers, tracef/tracelog, custom probes, TRACE_EVENT) built
//! against include/ and libust, run with `UST_TRACE=DIR`, and every field of
//! every event read back with babeltrace2 and checked.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The C files of c-examples/<name>/.
fn sources(name: &str) -> Vec<PathBuf> {
    let mut sources: Vec<PathBuf> = std::fs::read_dir(example(name))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "c"))
        .collect();
    sources.sort();
    sources
}

/// Builds c-examples/<name>/ (every .c file in it) into `dir`.
fn build(name: &str, dir: &Path, extra: &[&str]) -> PathBuf {
    let src = example(name);
    let sources = sources(name);
    let exe = dir.join(name);
    let mut args = vec!["-I", src.to_str().unwrap()];
    args.extend_from_slice(extra);
    compile(&sources, &exe, &args);
    exe
}

/// "name: payload" for every event of `trace`.
fn events(trace: &Path) -> Vec<String> {
    let (events, stderr) = babeltrace(trace);
    assert!(stderr.is_empty(), "babeltrace2: {stderr}");
    events
        .iter()
        .map(|e| format!("{}: {}", e.name, e.payload))
        .collect()
}

#[test]
fn markers_record_typed_fields_and_refuse_an_untyped_format() {
    let dir = scratch("styles-markers");
    let exe = build("markers", &dir, &[]);
    let trace = dir.join("trace");
    let out = run_traced(&exe, &["3"], &trace, &[]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "3 orders\n");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "ust: marker shop:untyped (format \"%d\"): no field name before %d; not recorded\n"
    );
    assert_eq!(
        events(&trace),
        [
            "ust:start: { orders = 3 }",
            "shop:order: { id = 0, item = \"apple\", qty = 1, price = 0.5 }",
            "shop:order: { id = 1, item = \"pear\", qty = 3, price = 1.5 }",
            "shop:order: { id = 2, item = \"(null)\", qty = 5, price = 2.5 }",
            "shop:sizes: { c = -1, s = -2, l = -3, ll = -4, z = 5, j = -6, t = -7 }",
            "shop:display: { mask = 0xBEEF, big = 0xABCDEF, ch = \"Z\", ptr = 0x1234, mode = 493 }",
            "ust:done: { }",
        ]
    );
    let metadata = std::fs::read_to_string(trace.join("metadata")).unwrap();
    for typed in [
        "integer { size = 32; align = 8; signed = 1; encoding = none; base = 10; } _id;",
        "string _item;",
        "integer { size = 32; align = 8; signed = 0; encoding = none; base = 10; } _qty;",
        "floating_point { exp_dig = 11; mant_dig = 53; align = 8; } _price;",
        "integer { size = 8; align = 8; signed = 1; encoding = none; base = 10; } _c;",
        "integer { size = 16; align = 8; signed = 1; encoding = none; base = 10; } _s;",
        "integer { size = 64; align = 8; signed = 0; encoding = none; base = 10; } _z;",
        "integer { size = 32; align = 8; signed = 0; encoding = none; base = 16; } _mask;",
        "integer { size = 64; align = 8; signed = 0; encoding = none; base = 16; } _ptr;",
    ] {
        assert!(metadata.contains(typed), "metadata lacks {typed}");
    }
}

#[test]
fn markers_are_not_recorded_when_not_selected_and_cost_no_output() {
    let dir = scratch("styles-markers-selected");
    let exe = build("markers", &dir, &[]);
    let trace = dir.join("trace");
    run_traced(&exe, &["2"], &trace, &[("UST_EVENTS", "ust:*")]);
    assert_eq!(
        events(&trace),
        ["ust:start: { orders = 2 }", "ust:done: { }"]
    );
    let untraced = run_ok(&mut Command::new(&exe));
    assert_eq!(String::from_utf8_lossy(&untraced.stdout), "3 orders\n");
}

#[test]
fn tracef_and_tracelog_record_the_formatted_message() {
    let dir = scratch("styles-tracef");
    let exe = build("tracef", &dir, &[]);
    let trace = dir.join("trace");
    let out = run_traced(&exe, &["2"], &trace, &[]);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = example("tracef").join("tracef.c");
    let file = file.to_str().unwrap();
    let long: String = (0..699).map(|i| (b'a' + (i % 26) as u8) as char).collect();
    let got = events(&trace);
    let expected = [
        "lttng_ust_tracef:event: { _msg_length = 22, msg = \"iteration 0 of 2: even\" }".to_string(),
        "lttng_ust_tracef:event: { _msg_length = 21, msg = \"iteration 1 of 2: odd\" }".into(),
        "lttng_ust_tracef:event: { _msg_length = 55, msg = \"ints -5 -300 -7 -9 42 4000000000 beef BEEF 10 fffffffff\" }".into(),
        "lttng_ust_tracef:event: { _msg_length = 33, msg = \"chars ok (null) 0x1000 (nil) 100%\" }".into(),
        "lttng_ust_tracef:event: { _msg_length = 29, msg = \"floats 3.14 0.001    42|ab  |\" }".into(),
        format!("lttng_ust_tracef:event: {{ _msg_length = 704, msg = \"long {long}\" }}"),
        format!("lttng_ust_tracelog:TRACE_ERR: {{ line = 46, file = \"{file}\", func = \"main\", _msg_length = 20, msg = \"disk sda is 97% full\" }}"),
        format!("lttng_ust_tracelog:LTTNG_UST_TRACEPOINT_LOGLEVEL_INFO: {{ line = 47, file = \"{file}\", func = \"main\", _msg_length = 22, msg = \"started with 2 workers\" }}"),
        format!("lttng_ust_tracelog:TRACE_WARNING: {{ line = 24, file = \"{file}\", func = \"log_warning\", _msg_length = 24, msg = \"low memory: 1024 kB left\" }}"),
    ];
    assert_eq!(got, expected);
}

#[test]
fn tracelog_levels_select_events_like_any_loglevel() {
    let dir = scratch("styles-tracelog-level");
    let exe = build("tracef", &dir, &[]);
    let trace = dir.join("trace");
    run_traced(&exe, &["2"], &trace, &[("UST_LOGLEVEL", "TRACE_WARNING")]);
    let names: Vec<String> = events(&trace)
        .iter()
        .map(|e| e.split(':').take(2).collect::<Vec<_>>().join(":"))
        .collect();
    assert_eq!(
        names,
        [
            "lttng_ust_tracelog:TRACE_ERR",
            "lttng_ust_tracelog:TRACE_WARNING"
        ]
    );
}

#[test]
fn custom_probes_run_with_their_data_and_never_after_unregistration() {
    let dir = scratch("styles-probes");
    let exe = build("probes", &dir, &["-lpthread"]);
    let trace = dir.join("trace");
    let out = run_traced(&exe, &[], &trace, &[]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "done\n");
    let got = events(&trace);
    let (rounds, rest): (Vec<&String>, Vec<&String>) =
        got.iter().partition(|e| e.starts_with("conn:round: "));
    assert_eq!(
        rest,
        [
            "conn:open: { probe = \"audit\", fd = 4, peer = \"10.0.0.1\" }",
            "conn:open: { probe = \"debug\", fd = 4, peer = \"10.0.0.1\" }",
            "conn:open: { probe = \"audit\", fd = 5, peer = \"10.0.0.2\" }",
            "conn:checked: { rounds = 200, violations = 0 }",
        ]
    );
    let expected: Vec<String> = (0..200)
        .map(|r| format!("conn:round: {{ round = {r}, calls = \"at least 100\" }}"))
        .collect();
    assert_eq!(rounds, expected.iter().collect::<Vec<_>>());
}

#[test]
fn custom_probes_nest_refuse_self_unregistration_and_survive_threads_and_fork() {
    let dir = scratch("styles-probe-rules");
    let exe = dir.join("probe_rules");
    compile(&[test_c("styles/probe_rules.c")], &exe, &["-lpthread"]);
    let trace = dir.join("trace");
    run_traced(&exe, &[], &trace, &[]);
    assert_eq!(
        events(&trace),
        [
            "rules:nested: { tag = \"in\", v = 7, depth = 1 }",
            "rules:from_probe: { v = 1, unregister = -35, register = 0 }",
            "rules:from_probe: { v = 2, unregister = -35, register = -17 }",
            "rules:late: { tag = \"late\", v = 2 }",
            "rules:threads: { calls = 100 }",
            "rules:fork_child: { exit = 0 }",
        ]
    );
}

#[test]
fn trace_event_records_one_field_per_entry_member() {
    let dir = scratch("styles-trace-event");
    let exe = build("trace-event", &dir, &[]);
    let trace = dir.join("trace");
    let out = run_traced(&exe, &[], &trace, &[]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "recording\n");
    assert_eq!(
        events(&trace),
        [
            "sched_demo:switch_task: { prev = 0, tag = \"swt\", next = \"idle\", _cpus_length = 3, cpus = [ [0] = 0, [1] = 1, [2] = 3 ], flags = 0xC }",
            "sched_demo:switch_task: { prev = 1, tag = \"swt\", next = \"worker\", _cpus_length = 2, cpus = [ [0] = 0, [1] = 1 ], flags = 0x8 }",
            "sched_demo:switch_task: { prev = -1, tag = \"swt\", next = \"(null)\", _cpus_length = 0, cpus = [ ], flags = 0x0 }",
            "sched_demo:mem_alloc: { ptr = 0x1000, size = 4096, load = 0.75, _label_length = 3, label = \"big\" }",
            "sched_demo:mem_free: { ptr = 0x1000, size = 64, load = -1.5, _label_length = 3, label = \"sml\" }",
        ]
    );
    let untraced = run_ok(&mut Command::new(&exe));
    assert!(
        untraced.stdout.is_empty(),
        "trace_switch_task_enabled() is 0 untraced"
    );
}

#[test]
fn every_style_compiles_as_cplusplus_and_records_the_same_events() {
    let dir = scratch("styles-cplusplus");
    for (name, args) in [
        ("markers", &["3"][..]),
        ("tracef", &["2"][..]),
        ("probes", &[][..]),
        ("trace-event", &[][..]),
    ] {
        let c_exe = build(name, &dir, &["-lpthread"]);
        let cxx_exe = dir.join(format!("{name}-cxx"));
        let include = example(name);
        compile_cxx(
            &sources(name),
            &cxx_exe,
            &["-I", include.to_str().unwrap(), "-lpthread"],
        );
        let traces = [
            dir.join(format!("{name}-c-trace")),
            dir.join(format!("{name}-cxx-trace")),
        ];
        run_traced(&c_exe, args, &traces[0], &[]);
        run_traced(&cxx_exe, args, &traces[1], &[]);
        assert_eq!(events(&traces[0]), events(&traces[1]), "{name}");
    }
}

#[test]
fn markers_take_20_arguments_skip_wrong_calls_refuse_clashes_and_follow_dlclose() {
    let dir = scratch("styles-marker-edges");
    let lib = dir.join("libmarker_plugin.so");
    compile(
        &[test_c("styles/marker_lib.c")],
        &lib,
        &["-shared", "-fPIC"],
    );
    let exe = dir.join("marker_edges");
    compile(
        &[test_c("styles/marker_edges.c")],
        &exe,
        &["-Wno-format", "-ldl"],
    );
    let trace = dir.join("trace");
    let out = run_traced(&exe, &[lib.to_str().unwrap()], &trace, &[]);
    // Whichever of the two clashing markers registers first wins.
    let refusal = |lost: &str, kept: &str| {
        format!(
            "ust: marker edges:clash (format \"{lost}\"): format \"{lost}\" differs from the format \"{kept}\" of another marker of that name; not recorded\n"
        )
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    let clash = if stderr == refusal("x %s", "x %d") {
        "edges:clash: { x = 1 }"
    } else {
        assert_eq!(stderr, refusal("x %d", "x %s"));
        "edges:clash: { x = \"two\" }"
    };
    let fields: Vec<String> = ('a'..='t')
        .zip(1..)
        .map(|(c, v)| format!("{c} = {v}"))
        .collect();
    assert_eq!(
        events(&trace),
        [
            format!("edges:many: {{ {} }}", fields.join(", ")),
            clash.to_string(),
            "plugin:work: { n = 1 }".to_string(),
            "plugin:work: { n = 2 }".to_string(),
        ]
    );
}
