//! The filter test program (tests/c/filter) built against LTTng-UST and against UST, and
//! the expressions the filter tests run on its traces.
#![allow(dead_code)]

use crate::common::text;
use crate::programs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Expressions both tracers accept; each must keep the same events.
pub const EXPRESSIONS: &[&str] = &[
    // Integers: signed, unsigned (compared as 64-bit signed), network order.
    "n < 3",
    "n == 1 == 1",
    "((n)) == (1)",
    "n == +1 || n == - -1",
    "!!n == 0",
    "u8 == 255",
    "i8 == -42",
    "i8 < u8",
    "u64 > 0",
    "u64 == -1",
    "u64 < 0",
    "u64 < 0.5",
    "u64 == 18446744073709551615",
    "u64 == 0xffffffffffffffff",
    "i64 == -9223372036854775808",
    "u16 >= 65280 && u32 != 0",
    "i32 <= -100000",
    "net == 255",
    "snet == -1",
    "n < 017 && n > 014",
    "n < 2u && n >= 0x1UL",
    // Bitwise operators, tighter than comparisons; logical shifts.
    "x & 0x10 == 0x10",
    "x | 0xff == 0xff",
    "x ^ 0xff00 == 0",
    "i64 >> 63",
    "(i64 >> 1) < 0",
    "n << 63 < 0",
    "~u8 == -256",
    "-u8 == -255",
    "!u8",
    "n << 64",
    "n >> -1",
    // Enumerations compare as their integers.
    "color == 5",
    "5 == color",
    "color < 0",
    "level == 200",
    "level > 100",
    "color",
    "level",
    // Floating point, against integers as floating point; && and || truncate floats.
    "f > 1",
    "d == 42.25",
    "d > 1 && d < 3",
    "d && n > 0",
    "n > 2 && (0 || d)",
    "-1.5 < d && d < 0",
    "d == 1e300",
    ".5 == d",
    "5. < d && d < 42.1",
    "1e3 < d && d < 1e11",
    "d == 0.5f",
    "n < 0x2p0",
    "f == d",
    "f == 0.1",
    "d",
    // Strings: C's signed strcmp, a trailing star as a prefix, full globs, escapes.
    r#"s == "abc""#,
    r#""abc" == s"#,
    r#"s == 'abc'"#,
    r#"s == L"abc""#,
    r#"s == """#,
    r#"s != "abc""#,
    r#"s == "ab*""#,
    r#"s != "ab*""#,
    r#"s == "*c""#,
    r#"s != "*c""#,
    r#"s == "a**""#,
    r#"s == "x*z""#,
    r#"s == "*y*""#,
    r#"s < "abc""#,
    r#"s >= "b""#,
    r#"s > "hello*""#,
    r#""a*" < s"#,
    r#"s == "hello\*""#,
    r#"s == "*\\*""#,
    r#"s == "back\\slash""#,
    r#"s == "café""#,
    r#"(s == "abc") == 1"#,
    // Text arrays and sequences compare as strings; fields against fields.
    r#"tag == "abcd""#,
    r#"tag == "ab""#,
    r#"tag < "b""#,
    r#"st == "ab""#,
    r#"st == """#,
    "s == tag",
    "st != s",
    // Array and sequence elements.
    "arr[1] == 2",
    "arr[0x1] == 2 || arr[2] == 42",
    "arr[0] < 0",
    "seq[0] == 5",
    "narr[0] == 704643072",
    // What makes the whole filter false: missing fields, type mismatches, even under ||.
    "missing == 1 || n < 3",
    "n < 3 || missing == 1",
    "s == 1",
    "s",
    "arr == 1",
    "arr[3] == 2 || n < 3",
    "tag[0] == 97",
    "a.b == 1",
    "a->b == 1",
    "$app.x:y == 1 || n < 3",
    "arr[1][2] == 1",
    "$ctx.procname",
    // Constants.
    "1",
    "0",
    "n",
    "1 || n",
    "0 || n < 2",
    r#""abc" == "abc""#,
    r#""a*b" == "cd""#,
    // Context fields both traces hold.
    "$ctx.vpid > 0 && n < 3",
    r#"$ctx.procname == "filter_app" && n < 3"#,
    r#"$ctx.procname == "filter*" && n > 110"#,
    "$ctx.cpu_id >= 0 && n < 3",
    // Blanks and comments.
    "n < 2 /* comment */",
    "n\t<\n2 // to the end",
];

fn sh(cmd: &mut Command) -> bool {
    cmd.output().map(|o| o.status.success()).unwrap_or(false)
}

pub fn lttng(args: &[&str]) -> bool {
    sh(Command::new("lttng").args(args))
}

/// The program built against LTTng-UST and against UST, both named `filter_app` (the
/// `procname` context); None (with the reason) when LTTng cannot record here.
pub fn apps() -> Option<(PathBuf, PathBuf)> {
    static APPS: std::sync::OnceLock<Option<(PathBuf, PathBuf)>> = std::sync::OnceLock::new();
    APPS.get_or_init(build_apps).clone()
}

/// Builds both programs (once per test process: tests run in parallel).
fn build_apps() -> Option<(PathBuf, PathBuf)> {
    if !sh(Command::new("lttng").arg("version")) {
        eprintln!("skipped: `lttng` is not installed");
        return None;
    }
    if !lttng(&["list"]) && !sh(Command::new("lttng-sessiond").args(["--daemonize", "--no-kernel"]))
    {
        eprintln!("skipped: no LTTng session daemon and none could be started");
        return None;
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = manifest.join("tests/c/filter");
    let sources = [src.join("filter_app.c"), src.join("filter_tp.c")];
    let lttng_dir = programs::build_dir().join("filter-lttng");
    std::fs::create_dir_all(&lttng_dir).unwrap();
    let lttng_app = lttng_dir.join("filter_app");
    let built = sh(Command::new("cc")
        .args(["-O2", "-Wall", "-Wextra", "-Werror", "-I"])
        .arg(&src)
        .args(&sources)
        .arg("-o")
        .arg(&lttng_app)
        .args(["-llttng-ust", "-ldl"]));
    if !built {
        eprintln!("skipped: cannot build against LTTng-UST (liblttng-ust-dev missing?)");
        return None;
    }
    Some((lttng_app, ust_app()))
}

/// The program built against UST only (no LTTng needed), once per test process.
pub fn ust_app() -> PathBuf {
    static APP: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    APP.get_or_init(build_ust_app).clone()
}

fn build_ust_app() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = manifest.join("tests/c/filter");
    let ust_dir = programs::build_dir().join("filter-ust");
    std::fs::create_dir_all(&ust_dir).unwrap();
    let ust_app = ust_dir.join("filter_app");
    let lib = programs::lib_dir();
    let out = Command::new("cc")
        .args(["-O2", "-Wall", "-Wextra", "-Werror", "-I"])
        .arg(manifest.join("../include/lttng-compat"))
        .arg("-I")
        .arg(manifest.join("../include"))
        .arg("-I")
        .arg(&src)
        .arg(src.join("filter_app.c"))
        .arg(src.join("filter_tp.c"))
        .arg("-o")
        .arg(&ust_app)
        .arg(format!("-L{}", lib.display()))
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .args(["-lust", "-ldl"])
        .output()
        .unwrap();
    assert!(out.status.success(), "cc: {}", text(&out.stderr));
    ust_app
}
