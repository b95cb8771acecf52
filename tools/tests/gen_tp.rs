//! `ust gen-tp`: the lttng-gen-tp workflow. The generated files are compared byte for byte
//! with lttng-gen-tp's (--lttng-compat); LTTng-UST's own gen-tp example is built with its
//! Makefile, `ust gen-tp` standing in for lttng-gen-tp, and records the same events as the
//! LTTng-UST build of it; a template in UST's names builds and records typed events; bad
//! input gets one clear message. The LTTng parts are skipped when LTTng is not installed.

mod common;
mod programs;

use common::{scratch, text};
use programs::lib_dir;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const EXAMPLE: &str = "/usr/share/doc/liblttng-ust-dev/examples/gen-tp";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn gen_tp(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ust"));
    cmd.arg("gen-tp").args(args).current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("ust runs")
}

fn ok(out: Output, what: &str) -> Output {
    assert!(
        out.status.success(),
        "{what}: {}\n{}{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

/// A fresh copy of LTTng-UST's gen-tp example, or None when it is not installed.
fn example_copy(name: &str) -> Option<PathBuf> {
    if !Path::new(EXAMPLE).join("sample_tracepoint.tp").exists() {
        eprintln!("skipped: {EXAMPLE} is not installed (liblttng-ust-dev)");
        return None;
    }
    let dir = scratch(name);
    for f in ["Makefile", "sample.c", "sample_tracepoint.tp"] {
        std::fs::copy(Path::new(EXAMPLE).join(f), dir.join(f)).unwrap();
    }
    Some(dir)
}

fn lttng_installed() -> bool {
    let found = Command::new("lttng-gen-tp").arg("--help").output().is_ok()
        && Command::new("lttng").arg("--version").output().is_ok();
    if !found {
        eprintln!("skipped: LTTng's tools are not installed");
    }
    found
}

/// `-I` flags for building against UST's compatibility headers.
fn compat_cppflags() -> String {
    format!(
        "-I{} -I{}",
        root().join("include/lttng-compat").display(),
        root().join("include").display()
    )
}

#[test]
fn lttng_compat_output_is_what_lttng_gen_tp_writes() {
    if !lttng_installed() {
        return;
    }
    let (Some(theirs), Some(ours)) = (example_copy("gentp-theirs"), example_copy("gentp-ours"))
    else {
        return;
    };
    for outputs in [&[][..], &["-o", "renamed.h", "-o", "renamed.c"][..]] {
        let mut args: Vec<&str> = outputs.to_vec();
        args.push("sample_tracepoint.tp");
        ok(
            Command::new("lttng-gen-tp")
                .args(&args)
                .current_dir(&theirs)
                .output()
                .unwrap(),
            "lttng-gen-tp",
        );
        let mut ours_args = vec!["--lttng-compat"];
        ours_args.extend(&args);
        let env = [("CPPFLAGS", compat_cppflags())];
        ok(gen_tp(&ours, &ours_args, &env), "ust gen-tp");
    }
    for f in [
        "sample_tracepoint.h",
        "sample_tracepoint.c",
        "renamed.h",
        "renamed.c",
    ] {
        let a = std::fs::read_to_string(theirs.join(f)).unwrap();
        let b = std::fs::read_to_string(ours.join(f)).unwrap();
        assert_eq!(a, b, "{f} differs from lttng-gen-tp's");
    }
    assert!(ours.join("sample_tracepoint.o").exists());
}

/// Builds the example with its own Makefile; `tool` is the lttng-gen-tp it runs.
fn make_example(dir: &Path, tool_dir: &Path, cppflags: &str, libs: &str) -> PathBuf {
    ok(
        Command::new("make")
            .arg("-s")
            .arg("PYTHON=")
            .arg(format!("LTTNG_GEN_TP_PATH={}/", tool_dir.display()))
            .arg(format!("CPPFLAGS={cppflags}"))
            .arg(format!("LIBS={libs}"))
            .current_dir(dir)
            .output()
            .unwrap(),
        "make",
    );
    dir.join("sample")
}

/// `{ payload }` groups of babeltrace2's lines with the event name and log level.
fn events(trace: &Path) -> Vec<String> {
    let out = ok(
        Command::new("babeltrace2")
            .args(["--fields=loglevel", "--no-delta"])
            .arg(trace)
            .output()
            .unwrap(),
        "babeltrace2",
    );
    text(&out.stdout)
        .lines()
        .map(|l| {
            let rest = &l[l.find("] ").unwrap() + 2..];
            let level_and_name = &rest[..rest.find(": ").unwrap()];
            let payload = &rest[rest.rfind("{ ").unwrap()..];
            format!("{level_and_name}: {payload}")
        })
        .collect()
}

fn lttng(args: &[&str]) {
    ok(Command::new("lttng").args(args).output().unwrap(), "lttng");
}

/// Records `exe` in an LTTng session (starting a session daemon when none answers).
fn record_with_lttng(exe: &Path, trace: &Path) -> Vec<String> {
    if !Command::new("lttng")
        .arg("list")
        .output()
        .unwrap()
        .status
        .success()
    {
        ok(
            Command::new("lttng-sessiond")
                .args(["--daemonize", "--no-kernel"])
                .output()
                .unwrap(),
            "lttng-sessiond",
        );
    }
    let session = format!("ust_gentp_{}", std::process::id());
    lttng(&["create", &session, &format!("--output={}", trace.display())]);
    lttng(&["enable-event", "-u", "sample_tracepoint:*", "-s", &session]);
    lttng(&["start", &session]);
    let run = Command::new(exe).output().unwrap();
    lttng(&["stop", &session]);
    lttng(&["destroy", &session]);
    ok(run, "LTTng build of the example");
    events(trace)
}

#[test]
fn lttng_gen_tp_example_builds_with_its_makefile_and_records_like_lttng() {
    if !lttng_installed() {
        return;
    }
    let (Some(theirs), Some(ours)) = (
        example_copy("gentp-make-lttng"),
        example_copy("gentp-make-ust"),
    ) else {
        return;
    };
    let wrapper_dir = scratch("gentp-wrapper");
    let wrapper = wrapper_dir.join("lttng-gen-tp");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexec {} gen-tp --lttng-compat \"$@\"\n",
            env!("CARGO_BIN_EXE_ust")
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let lib = lib_dir();
    let ust_exe = make_example(
        &ours,
        &wrapper_dir,
        &compat_cppflags(),
        &format!("-L{0} -Wl,-rpath,{0} -lust", lib.display()),
    );
    let lttng_bin = Path::new("/usr/bin");
    let lttng_exe = make_example(&theirs, lttng_bin, "", "-ldl -llttng-ust");
    let ldd = ok(Command::new("ldd").arg(&ust_exe).output().unwrap(), "ldd");
    assert!(
        !text(&ldd.stdout).contains("lttng"),
        "the UST build links LTTng"
    );

    let ust_trace = ours.join("trace");
    ok(
        Command::new(&ust_exe)
            .env("UST_TRACE", &ust_trace)
            .output()
            .unwrap(),
        "UST build of the example",
    );
    let ust_events = events(&ust_trace);
    let lttng_events = record_with_lttng(&lttng_exe, &theirs.join("trace"));
    assert_eq!(lttng_events.len(), 100_000);
    assert_eq!(
        lttng_events[0],
        "TRACE_WARNING (4) sample_tracepoint:message: { message = \"Hello World\\n\" }"
    );
    assert_eq!(ust_events, lttng_events);
}

const UST_TEMPLATE: &str = "\
# shop.tp: the events of the shop (a '#' line is a comment)
#include <stdint.h>
TRACEPOINT_EVENT(shop, order,
\tTP_ARGS(uint32_t, id, const char *, item),
\tTP_FIELDS(
\t\tctf_integer(uint32_t, id, id)   // the order number
\t\tctf_string(item, item)
\t)
)
TRACEPOINT_LOGLEVEL(shop, order, TRACE_NOTICE)
/* an event without fields */
TRACEPOINT_EVENT(shop, closed, TP_ARGS(), TP_FIELDS())
";

const UST_MAIN: &str = "\
#include \"shop.h\"
int main(void)
{
\ttracepoint(shop, order, 7, \"apple\");
\ttracepoint(shop, order, 8, \"pear\");
\ttracepoint(shop, closed);
\treturn 0;
}
";

#[test]
fn ust_template_builds_and_records_its_events() {
    let dir = scratch("gentp-ust");
    std::fs::write(dir.join("shop.tp"), UST_TEMPLATE).unwrap();
    std::fs::write(dir.join("main.c"), UST_MAIN).unwrap();
    let include = format!("-I{}", root().join("include").display());
    let env = [
        ("CPPFLAGS", include.clone()),
        ("CFLAGS", "-O2 -Wall -Wextra -Werror".to_string()),
    ];
    let out = ok(gen_tp(&dir, &["-v", "shop.tp"], &env), "ust gen-tp");
    assert_eq!(
        text(&out.stdout),
        format!(
            "Compile command: cc -c {include} -O2 -Wall -Wextra -Werror -I. -o shop.o shop.c\n"
        )
    );
    let header = std::fs::read_to_string(dir.join("shop.h")).unwrap();
    assert!(header.contains("#include <ust/tracepoint.h>"));
    assert!(header.contains("#define TRACEPOINT_PROVIDER shop\n"));
    assert!(!header.contains("a '#' line is a comment"));
    let lib = lib_dir();
    ok(
        Command::new("cc")
            .args(["-Wall", "-Wextra", "-Werror", &include, "-I."])
            .args(["main.c", "shop.o", "-o", "shop"])
            .arg(format!("-L{}", lib.display()))
            .arg(format!("-Wl,-rpath,{}", lib.display()))
            .arg("-lust")
            .current_dir(&dir)
            .output()
            .unwrap(),
        "cc",
    );
    ok(
        Command::new(dir.join("shop"))
            .env("UST_TRACE", dir.join("trace"))
            .output()
            .unwrap(),
        "shop",
    );
    assert_eq!(
        events(&dir.join("trace")),
        [
            "TRACE_NOTICE (5) shop:order: { id = 7, item = \"apple\" }",
            "TRACE_NOTICE (5) shop:order: { id = 8, item = \"pear\" }",
            "TRACE_DEBUG_LINE (13) shop:closed: { }",
        ]
    );
}

#[test]
fn bad_input_gets_one_clear_message() {
    let dir = scratch("gentp-errors");
    std::fs::write(dir.join("empty.tp"), "/* no events */\n").unwrap();
    std::fs::write(dir.join("shop.tp"), UST_TEMPLATE).unwrap();
    std::fs::write(
        dir.join("broken.tp"),
        "TRACEPOINT_EVENT(broken, x, TP_ARGS(int), TP_FIELDS())\n",
    )
    .unwrap();
    std::fs::write(dir.join("notes.txt"), "").unwrap();
    let cases: &[(&[&str], i32, &str)] = &[
        (&["notes.txt"], 1, "ust gen-tp: notes.txt: a template's name must end in .tp\n"),
        (
            &["empty.tp"],
            1,
            "ust gen-tp: empty.tp: no TRACEPOINT_EVENT (or LTTNG_UST_TRACEPOINT_EVENT) declaration\n",
        ),
        (
            &["-o", "shop.cpp", "shop.tp"],
            1,
            "ust gen-tp: shop.cpp: the output must end in .h, .c or .o\n",
        ),
        (&["-o", "x.h", "shop.tp", "empty.tp"], 2, "ust gen-tp: -o takes one template, 2 given\n"),
        (
            &["-o", "other.o", "shop.tp"],
            1,
            "ust gen-tp: other.c does not exist: generate it too (-o other.c) to build other.o\n",
        ),
        (&["missing.tp"], 1, "ust gen-tp: cannot read missing.tp: No such file or directory (os error 2)\n"),
    ];
    for (args, code, message) in cases {
        let out = gen_tp(&dir, args, &[]);
        assert_eq!(out.status.code(), Some(*code), "{args:?}");
        assert_eq!(text(&out.stderr), *message, "{args:?}");
    }
    let out = gen_tp(&dir, &["broken.tp"], &[("CC", "cc".to_string())]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).ends_with("ust gen-tp: compiling broken.c failed (exit status: 1)\n"),
        "{}",
        text(&out.stderr)
    );
    std::os::unix::fs::symlink("/nonexistent/target.h", dir.join("link.h")).unwrap();
    let out = gen_tp(&dir, &["-o", "link.h", "shop.tp"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("ust gen-tp: cannot write link.h: "));
    assert!(!Path::new("/nonexistent/target.h").exists());
}
