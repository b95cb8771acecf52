//! The compatibility directory against what `liblttng-ust-dev` installs: every `<lttng/…>`
//! header exists in `include/lttng-compat`, either working (compiles as C and as C++ with
//! -Wall -Wextra -Werror) or stopping the build with an `#error` that names it, never falling
//! through to LTTng-UST's header of the same name. And a field macro UST does not know fails
//! the build with one message naming it.

use crate::side::{repo_root, sources, ust_cppflags, work_dir};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Working headers that include a UST header another part of UST provides.
const NEEDS_UST_HEADER: [(&str, &str); 2] = [
    ("tracef.h", "ust/tracef.h"),
    ("tracelog.h", "ust/tracelog.h"),
];

#[test]
fn every_installed_lttng_header_exists_and_works_or_says_why_not() {
    let Some(installed) = installed_lttng_headers() else {
        eprintln!("SKIPPED: liblttng-ust-dev is not installed");
        return;
    };
    assert!(
        installed.len() >= 30,
        "too few headers found: {installed:?}"
    );
    let compat = repo_root().join("include/lttng-compat/lttng");
    let work = work_dir("headers");
    for name in &installed {
        let header = compat.join(name);
        let text = fs::read_to_string(&header)
            .unwrap_or_else(|e| panic!("<lttng/{name}> missing from {}: {e}", compat.display()));
        if text.contains("\n#error ") {
            check_refuses(name, &work);
        } else if let Some((_, needed)) = NEEDS_UST_HEADER.iter().find(|(n, _)| n == name) {
            check_needs(name, needed, &text, &work);
        } else {
            check_compiles(name, &work);
        }
    }
    let _ = fs::remove_dir_all(&work);
}

/// The header names (`tracepoint.h`, `urcu/pointer.h`, …) `liblttng-ust-dev` installs under
/// an `include/…/lttng/` directory; `None` when the package is not installed.
fn installed_lttng_headers() -> Option<Vec<String>> {
    let listing = Command::new("dpkg")
        .args(["-L", "liblttng-ust-dev"])
        .output()
        .ok()
        .filter(|out| out.status.success())?;
    let names = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .filter(|path| path.starts_with("/usr/include/") && path.ends_with(".h"))
        .filter_map(|path| Some(path.split_once("/lttng/")?.1.to_string()))
        .collect();
    Some(names)
}

/// `#include <lttng/NAME>` compiled against UST's headers (C, or C++ with `cxx`).
fn include_only(name: &str, cxx: bool, work: &Path) -> Output {
    let source = work.join(format!("{}.c", name.replace('/', "_")));
    fs::write(&source, format!("#include <lttng/{name}>\n")).expect("write source");
    let mut cc = Command::new(if cxx { "c++" } else { "cc" });
    if cxx {
        cc.args(["-x", "c++"]);
    }
    cc.args(["-fsyntax-only", "-Wall", "-Wextra", "-Werror"])
        .args(ust_cppflags())
        .arg(&source);
    cc.output().expect("run the compiler")
}

fn check_refuses(name: &str, work: &Path) {
    let out = include_only(name, false, work);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "<lttng/{name}> compiled");
    let message = format!("UST does not provide <lttng/{name}>");
    assert!(
        stderr.contains(&message) && !stderr.contains("/usr/include"),
        "<lttng/{name}> does not stop with {message:?} alone:\n{stderr}"
    );
}

fn check_compiles(name: &str, work: &Path) {
    for cxx in [false, true] {
        let out = include_only(name, cxx, work);
        assert!(
            out.status.success(),
            "<lttng/{name}> does not compile (C++: {cxx}):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A header that includes `<ust/…>` from elsewhere in UST: it compiles once that header
/// exists; until then it must at least include it.
fn check_needs(name: &str, needed: &str, text: &str, work: &Path) {
    if repo_root().join("include").join(needed).exists() {
        check_compiles(name, work);
    } else {
        assert!(
            text.contains(&format!("#include <{needed}>")),
            "<lttng/{name}> does not include <{needed}>"
        );
        eprintln!("note: <{needed}> is not in this tree yet; <lttng/{name}> not compiled");
    }
}

/// Item 8: a field macro UST does not know (a newer LTTng-UST's blob field) fails the build
/// with one error that names it, in C and in C++.
#[test]
fn unknown_field_macro_is_named_in_one_error() {
    let work = work_dir("bad_field");
    for cxx in [false, true] {
        let out = compile_bad_field(cxx, &work);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "bad_field.c compiled (C++: {cxx})");
        assert!(
            stderr.contains(
                "TP_FIELDS of blob:packet: not a field macro UST knows, at: \
                 lttng_ust_field_blob(payload, data, len)"
            ),
            "the message does not name the macro (C++: {cxx}):\n{stderr}"
        );
        let errors = stderr.lines().filter(|l| l.contains("error:")).count();
        assert_eq!(errors, 1, "more than one error (C++: {cxx}):\n{stderr}");
    }
    let _ = fs::remove_dir_all(&work);
}

fn compile_bad_field(cxx: bool, work: &Path) -> Output {
    let object: PathBuf = work.join("bad_field.o");
    let mut cc = Command::new(if cxx { "c++" } else { "cc" });
    if cxx {
        cc.args(["-x", "c++"]);
    }
    cc.args(["-c", "-Wall", "-Wextra", "-Werror"])
        .arg(format!("-I{}", sources().display()))
        .args(ust_cppflags())
        .arg(sources().join("bad_field.c"))
        .arg("-o")
        .arg(object);
    cc.output().expect("run the compiler")
}
