//! LTTng-UST's own shipped examples (`/usr/share/doc/liblttng-ust-dev/examples/`), built
//! unchanged the way their Makefiles and CMake project build them, once for LTTng-UST and once
//! for UST, and traced side by side.
//!
//! For UST, only what a user would change on the command line changes: the compatibility
//! headers come first on the include path (`CPPFLAGS`), `-lust` replaces `-llttng-ust` (the
//! Makefiles' `LIBS`, CMake's `LTTNGUST_LIBRARIES`), and warnings are errors. Everything links
//! with `-Wl,--as-needed`, as Debian's packages do. The `demo` Makefile names `-llttng-ust` in
//! its rules rather than in a variable, so its commands are repeated here with `-lust`.

use crate::side::*;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

const EXAMPLES: &str = "/usr/share/doc/liblttng-ust-dev/examples";

/// `hello-static-lib`: the provider in a static library, a million events.
#[test]
fn hello_static_lib_example_records_like_lttng() {
    let compared = side_by_side(&Case {
        name: "hello-static-lib",
        patterns: &["ust_tests_hello:*"],
        buffers: Buffers::Large,
        build: &|b| {
            let dir = make_example(b, "hello-static-lib", &[]);
            example_program(b, &dir, "hello")
        },
    });
    if let Some(compared) = compared {
        assert_eq!(compared.count, 1_000_000);
    }
}

/// `easy-ust`: a provider object linked into the program.
#[test]
fn easy_ust_example_records_like_lttng() {
    let compared = side_by_side(&Case {
        name: "easy-ust",
        patterns: &["sample_component:*"],
        buffers: Buffers::Default,
        build: &|b| {
            let dir = make_example(b, "easy-ust", &[]);
            example_program(b, &dir, "sample")
        },
    });
    if let Some(compared) = compared {
        assert_eq!(compared.count, 100_000);
        assert_eq!(compared.events[0].loglevel, "TRACE_WARNING (4)");
    }
}

/// `gen-tp`: the provider generated from a `.tp` file by LTTng's own `lttng-gen-tp`, which
/// compiles it with the `CPPFLAGS` given to make.
#[test]
fn gen_tp_example_records_like_lttng() {
    let compared = side_by_side(&Case {
        name: "gen-tp",
        patterns: &["sample_tracepoint:*"],
        buffers: Buffers::Default,
        build: &|b| {
            let dir = make_example(
                b,
                "gen-tp",
                &["PYTHON=python3", "LTTNG_GEN_TP_PATH=/usr/bin/"],
            );
            example_program(b, &dir, "sample")
        },
    });
    if let Some(compared) = compared {
        assert_eq!(compared.count, 100_000);
    }
}

/// `demo`: providers in shared objects preloaded (`demo-trace`) into a program that does not
/// link the tracer (`TRACEPOINT_PROBE_DYNAMIC_LINKAGE`), with EMF model URIs.
#[test]
fn demo_example_records_like_lttng() {
    let compared = side_by_side(&Case {
        name: "demo",
        patterns: &["ust_tests_demo:*", "ust_tests_demo2:*", "ust_tests_demo3:*"],
        buffers: Buffers::Default,
        build: &build_demo,
    });
    if let Some(compared) = compared {
        assert_eq!(compared.count, 8);
        assert_eq!(
            compared.events[0].emf_uri,
            "http://example.com/path_to_model?q=ust_tests_demo:starting"
        );
    }
}

fn build_demo(build: &Build) -> Run {
    let dir = copy_example(build, "demo");
    match build.tracer {
        Tracer::Lttng => make(build, &dir, &[]),
        Tracer::Ust => {
            let in_example = Build {
                tracer: Tracer::Ust,
                dir: dir.clone(),
            };
            let object = |name: &str| -> OsString {
                in_example
                    .object(Lang::C, &dir.join(name), &dir)
                    .into_os_string()
            };
            for (library, sources) in [
                (
                    "lttng-ust-provider-ust-tests-demo.so",
                    &["tp.c", "tp2.c"][..],
                ),
                ("lttng-ust-provider-ust-tests-demo3.so", &["tp3.c"][..]),
            ] {
                let mut inputs = vec![OsString::from("-Wl,--no-as-needed")];
                inputs.extend(sources.iter().map(|source| object(source)));
                check_links_only_ust(&in_example.link(Lang::C, library, true, &inputs));
            }
            let demo = object("demo.c");
            run_ok(
                Command::new("cc")
                    .arg("-o")
                    .arg(dir.join("demo"))
                    .arg(demo)
                    .arg("-ldl"),
            );
        }
    }
    Run::new("sh").arg(dir.join("demo-trace"))
}

/// `cmake-multiple-shared-libraries`: the provider in a shared library of its own, used by two
/// other shared libraries, built by CMake (whose FindLTTngUST module reads
/// `<lttng/ust-version.h>`).
#[test]
fn cmake_multiple_shared_libraries_example_records_like_lttng() {
    let compared = side_by_side(&Case {
        name: "cmake-multiple-shared-libraries",
        patterns: &["gydle_om:*"],
        buffers: Buffers::Default,
        build: &build_cmake_example,
    });
    if let Some(compared) = compared {
        let names: Vec<&str> = compared.events.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["gydle_om:align_query", "gydle_om:test_alignment"]);
    }
}

fn build_cmake_example(build: &Build) -> Run {
    let source = copy_example(build, "cmake-multiple-shared-libraries");
    let binary = source.join("build");
    let mut configure = Command::new("cmake");
    configure
        .arg("-S")
        .arg(&source)
        .arg("-B")
        .arg(&binary)
        .arg("-DCMAKE_SHARED_LINKER_FLAGS=-Wl,--as-needed")
        .arg("-DCMAKE_EXE_LINKER_FLAGS=-Wl,--as-needed");
    if build.tracer == Tracer::Ust {
        let compat = repo_root().join("include/lttng-compat");
        configure
            .arg(format!("-DLTTNGUST_INCLUDE_DIRS={}", compat.display()))
            .arg(format!(
                "-DLTTNGUST_LIBRARIES={}",
                ust_lib_dir().join("libust.so").display()
            ))
            .arg(format!(
                "-DCMAKE_CXX_FLAGS=-I{} -Wall -Wextra -Werror",
                repo_root().join("include").display()
            ));
    }
    run_ok(&mut configure);
    run_ok(Command::new("cmake").arg("--build").arg(&binary));
    if build.tracer == Tracer::Ust {
        for library in ["libaligner-lib.so", "libtester-lib.so"] {
            let needed = needed(&binary.join(library));
            assert!(
                needed.iter().any(|lib| lib == "libtracepoint-provider.so"),
                "--as-needed dropped the provider library from {library}: {needed:?}"
            );
        }
        check_links_only_ust(&binary.join("libtracepoint-provider.so"));
    }
    Run::new(binary.join("tester"))
}

/// Copies example `name` into the build directory (its build writes into its source tree).
fn copy_example(build: &Build, name: &str) -> PathBuf {
    run_ok(
        Command::new("cp")
            .arg("-R")
            .arg(Path::new(EXAMPLES).join(name))
            .arg(&build.dir),
    );
    build.dir.join(name)
}

/// Copies example `name` and runs its Makefile for the build's tracer; returns its directory.
fn make_example(build: &Build, name: &str, variables: &[&str]) -> PathBuf {
    let dir = copy_example(build, name);
    make(build, &dir, variables);
    dir
}

/// `make` in `dir` with `variables`, Debian's `--as-needed`, and for UST the compatibility
/// headers, strict warnings and libust in place of liblttng-ust.
fn make(build: &Build, dir: &Path, variables: &[&str]) {
    let mut make = Command::new("make");
    make.arg("-C")
        .arg(dir)
        .args(variables)
        .arg("LDFLAGS=-Wl,--as-needed");
    if build.tracer == Tracer::Ust {
        make.arg(format!("CPPFLAGS={}", build.cppflags().join(" ")))
            .arg(format!("CFLAGS=-O2 {}", build.warnings().join(" ")))
            .arg(format!("LIBS={}", build.tracer_libs().join(" ")));
    }
    run_ok(&mut make);
}

/// How to run the example's `program`, checked to link only libust in a UST build.
fn example_program(build: &Build, dir: &Path, program: &str) -> Run {
    let exe = dir.join(program);
    if build.tracer == Tracer::Ust {
        check_links_only_ust(&exe);
    }
    Run::new(exe)
}
