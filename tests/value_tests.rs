//! The serializer `<ust/tracepoint.h>` generates runs a handle's value tests
//! (ABI 1.2) as libust means them: tests/c/value_tests.c drives it with
//! handles it makes itself, compiled as C and as C++, and checks what is
//! reserved, with which call, and what is never read.

mod common;

use common::*;
use std::process::Command;

#[test]
fn the_serializer_runs_value_tests_before_reserving() {
    let dir = scratch("value-tests");
    let (c_exe, cxx_exe) = (dir.join("value_tests"), dir.join("value_tests-cxx"));
    let sources = [test_c("value_tests.c")];
    let include = test_c("");
    let extra = ["-nolibust", "-I", include.to_str().unwrap()];
    compile(&sources, &c_exe, &extra);
    compile_cxx(&sources, &cxx_exe, &extra);
    for exe in [c_exe, cxx_exe] {
        let out = run_ok(&mut Command::new(&exe));
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(said.starts_with("ok "), "{}: {said}", exe.display());
    }
}
