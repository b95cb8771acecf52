//! tracef and tracelog record what LTTng-UST 2.13 records: the same C
//! program, built once against LTTng-UST and once against UST's
//! compatibility headers (`-I include/lttng-compat`), traced by each, gives
//! babeltrace2 the same events: names, log levels and every payload field.
//! Programs: tests/c/styles/tracef_compat.c (every spelling and the
//! formatter's paths) and LTTng-UST's own demo-tracef/demo-tracelog
//! examples. Skipped only when the `lttng` command is not installed.

mod common;
mod side_by_side;

use common::*;
use side_by_side::*;
use std::path::{Path, PathBuf};

const PATTERNS: &[&str] = &["lttng_ust_tracef:*", "lttng_ust_tracelog:*"];
const LTTNG_EXAMPLES: &str = "/usr/share/doc/liblttng-ust-dev/examples";

/// Builds `source` against LTTng-UST and against UST, records both, compares.
fn check_same_as_lttng(source: &Path, work: &Path) {
    let stem = source.file_stem().unwrap().to_string_lossy().into_owned();
    let lttng_exe = work.join(format!("{stem}-lttng"));
    compile(
        &[source.to_path_buf()],
        &lttng_exe,
        &["-nolibust", "-llttng-ust", "-ldl"],
    );
    let compat = root().join("include/lttng-compat");
    let ust_exe = work.join(format!("{stem}-ust"));
    compile(
        &[source.to_path_buf()],
        &ust_exe,
        &["-I", compat.to_str().unwrap()],
    );
    let lttng = record_with_lttng(&lttng_exe, PATTERNS, work);
    let ust = record_with_ust(&ust_exe, work);
    assert_same(&stem, &lttng, &ust);
}

#[test]
fn tracef_and_tracelog_record_every_field_as_lttng_does() {
    if !lttng_ready() {
        return;
    }
    let work = scratch("tracef-lttng");
    check_same_as_lttng(&test_c("styles/tracef_compat.c"), &work);
}

#[test]
fn lttng_demo_tracef_and_tracelog_examples_record_the_same_payloads() {
    if !lttng_ready() {
        return;
    }
    let work = scratch("tracef-lttng-demos");
    for demo in [
        "demo-tracef/demo-tracef.c",
        "demo-tracef/demo-vtracef.c",
        "demo-tracelog/demo-tracelog.c",
        "demo-tracelog/demo-vtracelog.c",
    ] {
        let source = PathBuf::from(LTTNG_EXAMPLES).join(demo);
        assert!(
            source.exists(),
            "{} missing: liblttng-ust-dev installs it",
            source.display()
        );
        check_same_as_lttng(&source, &work);
    }
}
