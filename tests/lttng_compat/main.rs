//! LTTng-UST source and trace compatibility.
//!
//! What this proves: a program instrumented for LTTng-UST, left unmodified, builds against UST
//! through the compatibility include directory (`-I include/lttng-compat -I include -lust`),
//! links only `libust.so.1` (no `liblttng-ust`), and writes a trace that babeltrace2 prints
//! exactly as it prints the trace real LTTng-UST 2.13 + lttng-tools record for the same run
//! (see `side`: same events in the same order, with the same names, log levels, EMF model URIs
//! and payloads).
//!
//! The programs of `tests/c/lttng_compat/`:
//! * `app_v213.c` + `tp_v213.[ch]`: the LTTng-UST 2.13 namespaced API (`LTTNG_UST_TRACEPOINT_EVENT`,
//!   `lttng_ust_field_*`, `lttng_ust_tracepoint`, `LTTNG_UST_TRACEPOINT_DEFINE`, …) with every
//!   field macro, including the `_hex`/`_network` arrays and sequences and all `_nowrite` ones;
//! * `app_qemu.c` + `tp_qemu_*.h` + `tp_qemu_all.c`: the ≤ 2.12 API as QEMU's `ust` backend
//!   generates it (`TRACEPOINT_EVENT`, `ctf_*`, `tracepoint`, `TP_ARGS(void)`, two providers in
//!   one probe object) plus event classes/instances, `TRACEPOINT_LOGLEVEL` and `TRACEPOINT_ENUM`;
//! * `app_linked.c`: providers in a static library and in an `--as-needed` shared library;
//! * `app_macro_provider.c`: the provider named by `TRACEPOINT_PROVIDER` everywhere (ROS 2);
//! * `app_levels.c`: log levels and EMF model URIs, built as C and as C++;
//! * `app_headers.c`: a program that gets its C library declarations from `<lttng/tracepoint.h>`.
//!
//! `examples` builds LTTng-UST's own shipped examples the same way, and `headers` checks the
//! compatibility directory against the headers `liblttng-ust-dev` installs.
//!
//! Empty strings and zero-length text are emitted first in their event class, because
//! babeltrace2 2.0.4 may print a previous event's value for them (see `app_v213.c`).
//!
//! The side-by-side tests are skipped (and pass) only when the `lttng` command is not
//! installed. If no session daemon answers, they start one with
//! `lttng-sessiond --daemonize --no-kernel`.

mod examples;
mod headers;
mod side;

use side::*;
use std::ffi::OsString;
use std::path::Path;

/// Compiles `files` of `tests/c/lttng_compat/` as `lang` and links them into program `name`.
fn program(build: &Build, lang: Lang, name: &str, files: &[&str]) -> Run {
    let dir = sources();
    let objects: Vec<OsString> = files
        .iter()
        .map(|file| build.object(lang, &dir.join(file), &dir).into())
        .collect();
    let exe = build.link(lang, name, false, &objects);
    if build.tracer == Tracer::Ust {
        check_links_only_ust(&exe);
    }
    Run::new(exe)
}

#[test]
fn lttng_213_style_program_traces_like_lttng() {
    side_by_side(&Case {
        name: "app_v213",
        patterns: &["compat213:*"],
        buffers: Buffers::Default,
        build: &|b| program(b, Lang::C, "app_v213", &["app_v213.c", "tp_v213.c"]),
    });
}

#[test]
fn qemu_style_program_traces_like_lttng() {
    side_by_side(&Case {
        name: "app_qemu",
        patterns: &["qemu_block:*", "qemu_net:*"],
        buffers: Buffers::Default,
        build: &|b| program(b, Lang::C, "app_qemu", &["app_qemu.c", "tp_qemu_all.c"]),
    });
}

/// Items 1 and 2 of the compatibility work: a provider archived alone in a static library and
/// one in a shared library linked `--as-needed` are both kept by the linker, because the
/// program's `TRACEPOINT_DEFINE` unit refers to each provider.
#[test]
fn providers_in_static_and_as_needed_shared_libraries_are_linked_in() {
    let compared = side_by_side(&Case {
        name: "app_linked",
        patterns: &["linked_static:*", "linked_shared:*"],
        buffers: Buffers::Default,
        build: &linked_program,
    });
    let Some(compared) = compared else { return };
    let names: Vec<&str> = compared.events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        ["linked_static:hit", "linked_shared:hit"].repeat(3),
        "both providers record every round"
    );
}

/// `app_linked`: `tp_linked_static.o` in `libtp_linked_static.a`, `tp_linked_shared.o` in
/// `libtp_linked_shared.so`, and the program linked with `-Wl,--as-needed`.
fn linked_program(build: &Build) -> Run {
    let (include, dir) = (sources(), build.dir.display().to_string());
    let archived = build.object(Lang::C, &include.join("tp_linked_static.c"), &include);
    let archive = build.archive("libtp_linked_static.a", &[archived]);
    let shared = build.object(Lang::C, &include.join("tp_linked_shared.c"), &include);
    build.link(Lang::C, "libtp_linked_shared.so", true, &[shared.into()]);
    let main = build.object(Lang::C, &include.join("app_linked.c"), &include);
    let exe = build.link(
        Lang::C,
        "app_linked",
        false,
        &[
            main.into(),
            archive.into(),
            "-Wl,--as-needed".into(),
            format!("-L{dir}").into(),
            "-ltp_linked_shared".into(),
        ],
    );
    assert!(
        needed(&exe).contains(&"libtp_linked_shared.so".to_string()),
        "--as-needed dropped the provider library: {:?}",
        needed(&exe)
    );
    Run::new(exe).env("LD_LIBRARY_PATH", &build.dir)
}

/// The same library layout with UST's own API (`<ust/tracepoint.h>`), and the provider named
/// by `TRACEPOINT_PROVIDER` in every statement and firing macro: UST only (LTTng-UST's
/// `TRACEPOINT_LOGLEVEL`, `tracepoint_enabled` and `do_tracepoint` paste it unexpanded).
#[test]
fn ust_api_providers_in_static_and_as_needed_shared_libraries_are_linked_in() {
    let work = work_dir("ust_linked");
    let build = Build::new(&work, Tracer::Ust);
    let include = sources();
    let archived = build.object(Lang::C, &include.join("ust_tp_archived.c"), &include);
    let archive = build.archive("libust_tp_archived.a", &[archived]);
    let shared = build.object(Lang::C, &include.join("ust_tp_needed.c"), &include);
    let library = build.link(Lang::C, "libust_tp_needed.so", true, &[shared.into()]);
    assert!(exported(&library).contains(&"__ust_tracepoint_provider_ust_needed".to_string()));
    let main = build.object(Lang::C, &include.join("ust_linked.c"), &include);
    let exe = build.link(
        Lang::C,
        "ust_linked",
        false,
        &[
            main.into(),
            archive.into(),
            "-Wl,--as-needed".into(),
            format!("-L{}", build.dir.display()).into(),
            "-lust_tp_needed".into(),
        ],
    );
    assert!(needed(&exe).contains(&"libust_tp_needed.so".to_string()));
    let events = ust_events(&Run::new(exe).env("LD_LIBRARY_PATH", &build.dir), &work);
    let seen: Vec<String> = events
        .iter()
        .map(|e| format!("{} {} [{}] {}", e.loglevel, e.name, e.emf_uri, e.payload))
        .collect();
    let mut expected = Vec::new();
    for round in 0..3 {
        let needed = "TRACE_NOTICE (5) ust_needed:hit [urn:example:ust_needed:hit]";
        expected.push(format!(
            "TRACE_DEBUG_LINE (13) ust_archived:hit [] {{ round = {round} }}"
        ));
        expected.push(format!("{needed} {{ round = {round} }}"));
        expected.push(format!("{needed} {{ round = {} }}", round + 10));
    }
    assert_eq!(seen, expected);
    let _ = std::fs::remove_dir_all(&work);
}

/// `TRACEPOINT_PROVIDER_HIDDEN_DEFINITION` keeps the provider's symbol out of the dynamic
/// symbol table (for a provider used only inside its own module).
#[test]
fn hidden_provider_definition_is_not_exported() {
    let work = work_dir("hidden_provider");
    let library = work.join("libhidden.so");
    let mut cc = std::process::Command::new("cc");
    cc.args(["-shared", "-fPIC", "-Wall", "-Wextra", "-Werror"])
        .arg("-DTRACEPOINT_PROVIDER_HIDDEN_DEFINITION")
        .arg(format!("-I{}", sources().display()))
        .args(ust_cppflags())
        .arg(sources().join("ust_tp_needed.c"))
        .arg("-o")
        .arg(&library);
    run_ok(&mut cc);
    let symbols = exported(&library);
    assert!(
        !symbols.iter().any(|s| s.contains("tracepoint_provider")),
        "{symbols:?}"
    );
    assert!(symbols.iter().any(|s| s == "ust_provider_register"));
    let _ = std::fs::remove_dir_all(&work);
}

/// The names of the dynamic symbols `library` defines or needs (`nm -D`).
fn exported(library: &Path) -> Vec<String> {
    let table = run_ok(std::process::Command::new("nm").arg("-D").arg(library));
    table
        .lines()
        .filter_map(|line| line.split_whitespace().last().map(str::to_string))
        .collect()
}

/// Item 3: `tracepoint(TRACEPOINT_PROVIDER, event, …)` and every provider-header statement
/// with the provider named by a macro, as ROS 2's tracetools writes them.
#[test]
fn provider_named_by_a_macro_traces_like_lttng() {
    let compared = side_by_side(&Case {
        name: "app_macro_provider",
        patterns: &["ros2_like:*"],
        buffers: Buffers::Default,
        build: &|b| {
            program(
                b,
                Lang::C,
                "app_macro_provider",
                &["app_macro_provider.c", "tp_macro_provider.c"],
            )
        },
    });
    let Some(compared) = compared else { return };
    assert_eq!(compared.count, 8);
    assert_eq!(compared.events[0].loglevel, "TRACE_INFO (6)");
}

/// Items 4 and 6: log levels and EMF model URIs of a provider built as C.
#[test]
fn log_levels_and_emf_uris_of_a_c_provider_trace_like_lttng() {
    check_levels("app_levels_c", Lang::C);
}

/// Items 4 and 6: the same provider built as C++ keeps its log levels and URIs.
#[test]
fn log_levels_and_emf_uris_of_a_cxx_provider_trace_like_lttng() {
    check_levels("app_levels_cxx", Lang::Cxx);
}

fn check_levels(name: &str, lang: Lang) {
    let compared = side_by_side(&Case {
        name,
        patterns: &["levels:*"],
        buffers: Buffers::Default,
        build: &|b| program(b, lang, name, &["app_levels.c", "tp_levels.c"]),
    });
    let Some(compared) = compared else { return };
    let first: Vec<(&str, &str, &str)> = compared.events[..5]
        .iter()
        .map(|e| (e.name.as_str(), e.loglevel.as_str(), e.emf_uri.as_str()))
        .collect();
    assert_eq!(
        first,
        [
            ("levels:warned", "TRACE_WARNING (4)", ""),
            (
                "levels:modelled",
                "TRACE_CRIT (2)",
                "http://example.com/models/levels?event=modelled"
            ),
            (
                "levels:uri_only",
                "TRACE_DEBUG_LINE (13)",
                "urn:example:levels:uri_only"
            ),
            ("levels:debug_reading", "TRACE_DEBUG_FUNCTION (12)", ""),
            ("levels:plain_reading", "TRACE_DEBUG_LINE (13)", ""),
        ]
    );
    assert_eq!(compared.count, 10);
}

/// Item 5: a program using `stderr`, `getpid`, `bool`, `dlopen`, `strdup`, `assert`, … with
/// only the provider header (hence `<lttng/tracepoint.h>`) included.
#[test]
fn c_library_declarations_come_with_the_tracepoint_header() {
    let compared = side_by_side(&Case {
        name: "app_headers",
        patterns: &["headers:*"],
        buffers: Buffers::Default,
        build: &|b| program(b, Lang::C, "app_headers", &["app_headers.c"]),
    });
    let Some(compared) = compared else { return };
    assert_eq!(
        compared.events[0].payload,
        "{ flag = 1, has_pid = 1, has_self = 1, text = \"through <lttng/tracepoint.h>\" }"
    );
}

#[test]
fn payload_is_the_last_group_of_a_line() {
    let line = "[01:35:04.930088141] (+0.000000271) TRACE_NOTICE (5) qemu_block:io: \
                { cpu_id = 0 }, { vpid = 7 }, { dev = \"a } {\\\" b\", n = [ [0] = 1 ] }";
    let event = parse_line(line).expect("line parses");
    assert_eq!(event.name, "qemu_block:io");
    assert_eq!(event.loglevel, "TRACE_NOTICE (5)");
    assert_eq!(event.emf_uri, "");
    assert_eq!(event.payload, "{ dev = \"a } {\\\" b\", n = [ [0] = 1 ] }");
    let bare = parse_line("[t] (+?.?????????) p:e: { cpu_id = 1 }, { }").expect("parses");
    assert_eq!((bare.loglevel.as_str(), bare.payload.as_str()), ("", "{ }"));
}

#[test]
fn emf_uri_follows_the_log_level() {
    let line = "[07:35:32.592195303] (+0.000975876) TRACE_CRIT (2):http://example.com/m?q=p:e \
                p:e: { cpu_id = 1 }, { value = 123 }";
    let event = parse_line(line).expect("line parses");
    assert_eq!(
        (event.name.as_str(), event.loglevel.as_str()),
        ("p:e", "TRACE_CRIT (2)")
    );
    assert_eq!(event.emf_uri, "http://example.com/m?q=p:e");
}

#[test]
fn blocking_channels_keep_every_event_like_lttng() {
    let compared = side_by_side(&Case {
        name: "blocking",
        patterns: &["blocking:*"],
        buffers: Buffers::SmallBlocking,
        build: &|build: &Build| {
            program(build, Lang::C, "app_blocking", &["app_blocking.c"]).arg("20000")
        },
    });
    if let Some(c) = compared {
        assert_eq!(c.count, 20_000, "every event, none discarded");
    }
}
