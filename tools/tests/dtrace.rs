//! `ust-dtrace`: provider files of our own (tests/c/dtrace/) through `-h` alone and `-h` +
//! `-G`, with C and C++ units and a shared library built against the generated header, run
//! traced (daemonless and under `ust trace`) and read back with babeltrace2 and `ust view`;
//! `-C` with a typedef from an included header; the SDT notes; bad provider files.

mod common;
mod programs;

use common::{babeltrace, text, ust};
use programs::{lib_dir, Scratch};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn ust_dtrace() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ust-dtrace"))
}

fn c_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c/dtrace")
}

fn include_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("include")
}

/// Runs `cmd` and asserts it succeeded.
fn ok(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("command runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}",
        out.status,
        text(&out.stderr)
    );
    out
}

/// `ust-dtrace ARGS`, which must succeed.
fn generate<I: AsRef<OsStr>>(args: impl IntoIterator<Item = I>) {
    ok(ust_dtrace().args(args));
}

/// A C (or, with `g++`, C++) compiler command with the warnings every test build uses.
fn compiler(name: &str, dir: &Path) -> Command {
    let mut cmd = Command::new(name);
    cmd.current_dir(dir)
        .args(["-O2", "-g", "-Wall", "-Wextra", "-Werror", "-I"])
        .arg(include_dir())
        .arg("-I.");
    cmd
}

/// Link options for a program or library of `dir`: this build's libust, and `dir` itself
/// (for libshared.so) on the run-time path.
fn link_args(dir: &Path) -> Vec<String> {
    let lib = lib_dir();
    vec![
        format!("-L{}", lib.display()),
        "-lust".into(),
        format!("-Wl,-rpath,{}:{}", lib.display(), dir.display()),
    ]
}

#[derive(Clone, Copy, PartialEq)]
enum Flavour {
    /// `-h` only: the header's weak definitions are all there is.
    HeaderOnly,
    /// `-h` and `-G`: the object is linked into the program and the library.
    WithObject,
    /// `-h` only, built with UST_DTRACE_NO_SDT.
    NoSdt,
    /// `-h` and `-G`, the units built with UST_DTRACE_DEFINED_BY_OBJECT: only the object
    /// defines the provider.
    DefinedByObject,
}

/// Builds the app program (app.c, other.c, cxx.cc and libshared.so) in `dir`.
fn build_app(dir: &Path, flavour: Flavour) -> PathBuf {
    let app_d = c_dir().join("app.d");
    generate([
        OsStr::new("-h"),
        OsStr::new("-s"),
        app_d.as_os_str(),
        OsStr::new("-o"),
        dir.join("app_probes.h").as_os_str(),
    ]);
    let mut objects = vec![];
    if matches!(flavour, Flavour::WithObject | Flavour::DefinedByObject) {
        let object = dir.join("app_probes.o");
        let mut cmd = ust_dtrace();
        cmd.args(["-64", "-xnolibs", "-G", "-s"])
            .arg(&app_d)
            .arg("-o")
            .arg(&object)
            .arg(format!("-I{}", include_dir().display()))
            .args(["app.o", "other.o"])
            .current_dir(dir);
        ok(&mut cmd);
        objects.push(object);
    }
    let defines: &[&str] = match flavour {
        Flavour::NoSdt => &["-DUST_DTRACE_NO_SDT"],
        Flavour::DefinedByObject => &["-DUST_DTRACE_DEFINED_BY_OBJECT"],
        _ => &[],
    };
    let c = c_dir();
    ok(compiler("cc", dir)
        .args(defines)
        .args(["-fPIC", "-shared", "-o", "libshared.so"])
        .arg(c.join("libshared.c"))
        .args(&objects)
        .args(link_args(dir)));
    ok(compiler("g++", dir)
        .args(defines)
        .args(["-c", "-o", "cxx.o"])
        .arg(c.join("cxx.cc")));
    ok(compiler("cc", dir)
        .args(defines)
        .args(["-o", "app"])
        .arg(c.join("app.c"))
        .arg(c.join("other.c"))
        .arg("cxx.o")
        .args(&objects)
        .args(["-L.", "-lshared", "-lstdc++"])
        .args(link_args(dir)));
    dir.join("app")
}

/// Runs `exe` with `UST_TRACE=trace` (or untraced); returns its stdout.
fn run(exe: &Path, trace: Option<&Path>) -> String {
    let mut cmd = Command::new(exe);
    cmd.env_remove("UST_TRACE");
    if let Some(trace) = trace {
        cmd.env("UST_TRACE", trace);
    }
    text(&ok(&mut cmd).stdout)
}

/// (event name, payload) of each event line of babeltrace2's or `ust view`'s text.
fn events(lines: &str) -> Vec<(String, String)> {
    lines
        .lines()
        .map(|line| {
            let (head, rest) = line.split_once(": { cpu_id = ").expect("an event line");
            let name = head.rsplit(' ').next().unwrap().to_string();
            let payload = rest.split_once("}, ").expect("a payload").1.to_string();
            (name, payload)
        })
        .collect()
}

/// The events of `trace` as babeltrace2 prints them (None when it is not installed); `ust
/// view` must print the same.
fn read_back(trace: &Path) -> Option<Vec<(String, String)>> {
    let view = ok(ust().arg("view").arg(trace));
    let out = babeltrace(&[trace])?;
    assert!(out.status.success(), "babeltrace2: {}", text(&out.stderr));
    assert_eq!(text(&view.stdout), text(&out.stdout), "ust view differs");
    Some(events(&text(&out.stdout)))
}

/// What app records, in order; `argv` is the address the program printed.
fn app_events(argv: &str) -> Vec<(String, String)> {
    let argv = u64::from_str_radix(argv.trim_start_matches("0x"), 16).unwrap();
    [
        ("query__start", r#"{ query = "select 1", db = 42 }"#.to_string()),
        ("query__start", r#"{ query = "(null)", db = 7 }"#.into()),
        (
            "query__done",
            r#"{ arg0 = "select 1", arg1 = -1, arg2 = -5000000000 }"#.into(),
        ),
        (
            "ints",
            "{ arg0 = -128, arg1 = 255, arg2 = -32768, arg3 = 65535, arg4 = -2147483648, \
             arg5 = 4294967295, arg6 = -9223372036854775808, arg7 = 18446744073709551615 }"
                .into(),
        ),
        (
            "fixed",
            "{ arg0 = -8, arg1 = 65000, arg2 = -123456, arg3 = 18446744073709551615, arg4 = 12345 }"
                .into(),
        ),
        (
            "ptrs",
            format!("{{ addr = 0x1234, session = 0xDEAD0, argv = 0x{argv:X} }}"),
        ),
        ("flag", "{ on = 1, ratio = 0.5 }".into()),
        ("tick", "{ }".into()),
        ("query__start", r#"{ query = "from other.c", db = 3 }"#.into()),
        ("query__start", r#"{ query = "from cxx.cc", db = 4 }"#.into()),
        ("flag", "{ on = 1, ratio = 0.25 }".into()),
        ("lib__call", r#"{ who = "libshared", n = 5 }"#.into()),
        ("query__start", r#"{ query = "from libshared", db = 5 }"#.into()),
        ("query__start", r#"{ query = "guarded", db = 8 }"#.into()),
        ("query__start", r#"{ query = "unguarded", db = 9 }"#.into()),
    ]
    .into_iter()
    .map(|(name, payload)| (format!("app:{name}"), payload))
    .collect()
}

/// The `argv0=` address app printed.
fn printed_argv(stdout: &str) -> &str {
    stdout
        .split_whitespace()
        .find_map(|w| w.strip_prefix("argv0="))
        .expect("argv0= printed")
}

/// How many copies of the app provider's descriptor `file` holds (one per unit defining it;
/// C++ mangles the name of its copy, `_ZL19__ust_provider__app`).
fn provider_copies(file: &Path) -> usize {
    let out = ok(Command::new("nm").arg(file));
    text(&out.stdout)
        .lines()
        .filter(|l| l.ends_with("__ust_provider__app"))
        .count()
}

/// Builds and runs app untraced (no argument evaluated) and traced (every event, in order,
/// each event declared once although two modules define the provider); returns the program.
fn check_app(dir: &Path, flavour: Flavour) -> PathBuf {
    let exe = build_app(dir, flavour);
    assert!(run(&exe, None).starts_with("evaluated=0 "));
    let trace = dir.join("trace");
    let stdout = run(&exe, Some(&trace));
    assert!(stdout.starts_with("evaluated=2 "), "{stdout}");
    let metadata = std::fs::read_to_string(trace.join("metadata")).unwrap();
    for event in ["query__start", "lib__call", "tick"] {
        let declared = format!("name = \"app:{event}\";");
        assert_eq!(metadata.matches(&declared).count(), 1, "{declared}");
    }
    if let Some(events) = read_back(&trace) {
        assert_eq!(events, app_events(printed_argv(&stdout)));
    }
    exe
}

#[test]
fn header_only_build_records_every_argument_kind() {
    let dir = Scratch::new("dtrace-header-only");
    let exe = check_app(&dir, Flavour::HeaderOnly);
    assert_eq!(
        provider_copies(&exe),
        3,
        "app.c, other.c and cxx.cc each hold one"
    );
}

#[test]
fn build_with_the_g_object_records_the_same() {
    let dir = Scratch::new("dtrace-with-object");
    check_app(&dir, Flavour::WithObject);
}

#[test]
fn units_may_leave_the_definitions_to_the_g_object() {
    let dir = Scratch::new("dtrace-defined-by-object");
    let exe = check_app(&dir, Flavour::DefinedByObject);
    assert_eq!(provider_copies(&exe), 1);
    assert_eq!(provider_copies(&dir.join("libshared.so")), 1);
}

/// The stapsdt notes of `file` as `provider:name` with whether each has a semaphore.
fn sdt_notes(file: &Path) -> Vec<(String, bool)> {
    let out = ok(Command::new("readelf").arg("-n").arg(file));
    let listing = text(&out.stdout);
    let mut notes = Vec::new();
    let mut provider = String::new();
    let mut name = String::new();
    for line in listing.lines().map(str::trim) {
        if let Some(p) = line.strip_prefix("Provider: ") {
            provider = p.into();
        } else if let Some(n) = line.strip_prefix("Name: ") {
            name = n.into();
        } else if let Some(rest) = line.split_once("Semaphore: ").map(|(_, s)| s) {
            let semaphore = u64::from_str_radix(rest.trim_start_matches("0x"), 16).unwrap();
            notes.push((format!("{provider}:{name}"), semaphore != 0));
        }
    }
    notes
}

#[test]
fn probe_sites_carry_sdt_notes_unless_opted_out() {
    let dir = Scratch::new("dtrace-sdt");
    let exe = build_app(&dir, Flavour::HeaderOnly);
    let notes = sdt_notes(&exe);
    for probe in [
        "query__start",
        "query__done",
        "ints",
        "fixed",
        "ptrs",
        "flag",
        "tick",
    ] {
        let name = format!("app:{probe}");
        assert!(
            notes.iter().any(|(n, semaphore)| *n == name && *semaphore),
            "{name} in {notes:?}"
        );
    }
    assert!(sdt_notes(&dir.join("libshared.so"))
        .iter()
        .any(|(n, _)| n == "app:lib__call"));
    bpftrace_sees(&exe);

    let plain = Scratch::new("dtrace-no-sdt");
    let exe = build_app(&plain, Flavour::NoSdt);
    assert_eq!(sdt_notes(&exe), []);
    let trace = plain.join("trace");
    let stdout = run(&exe, Some(&trace));
    if let Some(events) = read_back(&trace) {
        assert_eq!(events, app_events(printed_argv(&stdout)));
    }
}

/// Where bpftrace is installed and may run: `bpftrace -l 'usdt:EXE:*'` lists the probes, and
/// a bpftrace script attached to one of them sees every call with its arguments, guarded
/// ones included (bpftrace sets the probe's semaphore, which `_ENABLED()` reads), while UST
/// does not trace the program. Bounded by `timeout`: a bpftrace that cannot finish is skipped.
fn bpftrace_sees(exe: &Path) {
    let pattern = format!("usdt:{}:*", exe.display());
    let Ok(out) = Command::new("bpftrace").args(["-l", &pattern]).output() else {
        eprintln!("skipped: bpftrace is not installed");
        return;
    };
    if !out.status.success() {
        eprintln!("skipped: bpftrace -l failed: {}", text(&out.stderr));
        return;
    }
    let listing = text(&out.stdout);
    for probe in ["app:query__start", "app:tick", "app:ints"] {
        assert!(listing.contains(probe), "{probe} in {listing}");
    }
    let script = format!(
        "usdt:{}:app:query__start {{ printf(\"bpf %s %d\\n\", str(arg0), arg1); }}",
        exe.display()
    );
    let out = Command::new("timeout")
        .args(["120", "bpftrace", "-e", &script, "-c"])
        .arg(exe)
        .env_remove("UST_TRACE")
        .output()
        .unwrap();
    let seen = text(&out.stdout);
    if !out.status.success() || !seen.contains("Attaching") {
        eprintln!(
            "skipped: bpftrace cannot attach here: {}",
            text(&out.stderr)
        );
        return;
    }
    for call in [
        "bpf select 1 42",
        "bpf from cxx.cc 4",
        "bpf guarded 8",
        "bpf unguarded 9",
    ] {
        assert!(seen.lines().any(|l| l == call), "{call} in {seen}");
    }
    assert!(seen.contains("evaluated=2 "), "{seen}");
}

#[test]
fn ust_trace_records_the_probes_through_the_daemon() {
    let dir = Scratch::new("dtrace-ust-trace");
    let exe = build_app(&dir, Flavour::HeaderOnly);
    let trace = dir.join("trace");
    let out = ok(ust().arg("trace").arg("-o").arg(&trace).arg("--").arg(&exe));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("evaluated=2 "), "{stdout}");
    let summary = text(&out.stderr);
    for (event, count) in [
        ("app:query__start", "7"),
        ("app:flag", "2"),
        ("app:lib__call", "1"),
    ] {
        assert!(
            summary.lines().any(|l| {
                let mut words = l.split_whitespace();
                words.next() == Some(event) && words.next() == Some(count)
            }),
            "{event} {count} in {summary}"
        );
    }
    if let Some(events) = read_back(&trace) {
        assert_eq!(events, app_events(printed_argv(&stdout)));
    }
}

#[test]
fn preprocessed_provider_takes_types_from_headers_and_macros() {
    let dir = Scratch::new("dtrace-cpp");
    let c = c_dir();
    generate([
        OsStr::new("-h"),
        OsStr::new("-s"),
        c.join("app.d").as_os_str(),
        OsStr::new("-o"),
        dir.join("app_probes.h").as_os_str(),
    ]);
    let mut cmd = ust_dtrace();
    cmd.arg("-Cs")
        .arg(c.join("cpp.d"))
        .arg("-h")
        .arg("-I")
        .arg(c.join("include"))
        .args(["-DWITH_RETRY", "-DWITHOUT_THIS", "-U", "WITHOUT_THIS", "-o"])
        .arg(dir.join("net_probes.h"));
    ok(&mut cmd);
    ok(compiler("cc", &dir)
        .args(["-o", "net"])
        .arg(c.join("net.c"))
        .args(link_args(&dir)));
    let trace = dir.join("trace");
    assert_eq!(run(&dir.join("net"), Some(&trace)), "net done\n");
    let Some(events) = read_back(&trace) else {
        return;
    };
    let expected = [
        (
            "net:connect",
            r#"{ port = 4464, bytes = -5000000000, offset = -2, host = "example.org" }"#,
        ),
        ("net:retry", "{ attempt = 3 }"),
        ("app:tick", "{ }"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(n, p)| (n.to_string(), p.to_string()))
        .collect();
    assert_eq!(events, expected);
}

#[test]
fn preprocessor_directives_without_c_are_an_error() {
    let dir = Scratch::new("dtrace-no-cpp");
    let output = dir.join("net_probes.h");
    let out = ust_dtrace()
        .arg("-h")
        .arg("-s")
        .arg(c_dir().join("cpp.d"))
        .arg("-o")
        .arg(&output)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("cpp.d:6:1: error: '#include'"), "{err}");
    assert!(err.contains("run ust-dtrace with -C"), "{err}");
    assert!(!output.exists());
}

/// Runs ust-dtrace on `source` (written as bad.d) with `-h` or `-G`; returns stderr,
/// checking the exit status and that no output file was left.
fn refused(dir: &Path, source: &str, mode: &str) -> String {
    let d = dir.join("bad.d");
    std::fs::write(&d, source).unwrap();
    let output = dir.join(if mode == "-h" { "bad.h" } else { "bad.o" });
    let out = ust_dtrace()
        .args([mode, "-s"])
        .arg(&d)
        .arg("-o")
        .arg(&output)
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{source}: {err}");
    assert!(!output.exists(), "{source}: output left behind");
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "bad.d")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    err
}

#[test]
fn bad_provider_files_are_refused_with_their_place() {
    let dir = Scratch::new("dtrace-bad");
    let d = dir.join("bad.d").display().to_string();
    let cases = [
        (
            "provider db {\n\tprobe query__start(const char *q)\n};\n",
            "3:1: error: expected ';' after probe 'query__start', found '}'",
        ),
        (
            "provider db {\n\tprobe start(Oid id);\n};\n",
            "2:14: error: unknown type 'Oid'",
        ),
        (
            "provider db {\n\tprobe start(int);\n\tprobe stop();\n\tprobe start(long);\n};\n",
            "4:8: error: probe 'start' is declared twice in provider 'db' (first at BAD:2:8)",
        ),
        (
            "provider db {\n\tprobe start(struct conn c);\n};\n",
            "2:14: error: argument 0 of probe 'start': a struct passed by value",
        ),
        (
            "provider db {\n\tprobe a__b();\n\tprobe a_b();\n};\n",
            "3:8: error: probe db:a_b and probe db:a__b (at BAD:2:8) would both be DB_A_B",
        ),
        ("/* only a comment */\n", "bad.d declares no provider"),
    ];
    for (source, wanted) in cases {
        for mode in ["-h", "-G"] {
            let err = refused(&dir, source, mode);
            let wanted = wanted.replace("BAD", &d);
            assert!(err.contains(&wanted), "{source}: {err}");
            if wanted.contains("error:") {
                assert!(err.starts_with(&format!("{d}:")), "{err}");
            }
        }
    }
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let out = ust_dtrace().args(["-s", "x.d"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("-h (header) or -G"));
    let out = ust_dtrace()
        .args(["-c", "ls", "-h", "-s", "x.d"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("ust trace"));
    let out = ok(ust_dtrace().arg("--help"));
    assert!(text(&out.stdout).contains("-G"));
    let missing = ust_dtrace()
        .args(["-h", "-s", "/nonexistent/x.d"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("cannot read /nonexistent/x.d"));
}

#[test]
fn generated_header_compiles_in_strict_c_and_cxx_dialects() {
    let dir = Scratch::new("dtrace-dialects");
    generate([
        OsStr::new("-h"),
        OsStr::new("-s"),
        c_dir().join("app.d").as_os_str(),
        OsStr::new("-o"),
        dir.join("app_probes.h").as_os_str(),
    ]);
    std::fs::write(
        dir.join("unit.c"),
        "#include \"app_probes.h\"\nint fire(int n);\nint fire(int n)\n{\n\tAPP_QUERY_START(\"x\", n);\n\tAPP_TICK();\n\treturn APP_TICK_ENABLED();\n}\n",
    )
    .unwrap();
    for (compiler_name, std, lang) in [
        ("cc", "-std=c99", "c"),
        ("cc", "-std=c11", "c"),
        ("g++", "-std=c++11", "c++"),
        ("g++", "-std=c++20", "c++"),
    ] {
        for opt in ["-O0", "-O2"] {
            ok(compiler(compiler_name, &dir)
                .args([
                    std,
                    opt,
                    "-Wshadow",
                    "-Wundef",
                    "-Wmissing-declarations",
                    "-x",
                    lang,
                ])
                .args(["-c", "unit.c", "-o", "unit.o"]));
        }
    }
}
