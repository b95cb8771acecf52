//! The Debian packages, built and used as a packager and a C developer would:
//! `dpkg-buildpackage -us -uc -b` on a copy of the working tree (tracked and
//! untracked files, not the ignored ones such as target/), `lintian` on the
//! result (no `E:` line), the split between libust1, libust-dev and ust-tools,
//! then, in a root made with `dpkg -x`, c-examples/hello compiled through
//! `pkg-config --cflags --libs ust` alone, run with `UST_TRACE=DIR` and read
//! back with babeltrace2, and finally the packages' own autopkgtest
//! (debian/tests/build-with-pkg-config) against that same root.
//!
//! Runs when the Debian tools are installed and is skipped, saying so, when
//! they are not; with `CI` set, missing tools fail it. The cargo build inside
//! the package build keeps its objects in <target>/debian-packages, so runs
//! after the first recompile only the workspace's own crates.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

/// The programs this test runs, each with the Debian package that ships it.
const TOOLS: &[(&str, &str)] = &[
    ("dpkg-buildpackage", "dpkg-dev"),
    ("dh", "debhelper"),
    ("help2man", "help2man"),
    ("lintian", "lintian"),
    ("pkg-config", "pkgconf"),
    ("babeltrace2", "babeltrace2"),
    ("cc", "gcc"),
    ("git", "git"),
];

#[test]
fn debian_packages_build_install_and_trace() {
    if !tools_present() {
        return;
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    // Developers share the tree and may run the suite at the same time: one
    // package build at a time, in one place, so that cargo reuses its objects.
    let _lock = lock(&tmp.join("debian-packages.lock"));
    let work = tmp.join("debian-packages");
    let _ = fs::remove_dir_all(&work);
    // dpkg-buildpackage writes the packages into the parent of the source tree.
    let src = work.join("ust");
    copy_working_tree(&repo, &src);

    let started = Instant::now();
    let mut build = Command::new("dpkg-buildpackage");
    // -d: the Rust toolchain of developer and CI machines comes from rustup,
    // which dpkg-checkbuilddeps cannot see; debian/control names the .debs.
    build.args(["-us", "-uc", "-b", "-d"]).current_dir(&src);
    // The unit tests that debian/rules runs are run by `cargo test` already.
    build.env("DEB_BUILD_OPTIONS", "nocheck");
    build.env(
        "CARGO_TARGET_DIR",
        tmp.parent().unwrap().join("debian-packages"),
    );
    without_cargo_test_env(&mut build);
    run_ok(&mut build);
    eprintln!(
        "debian_packages: dpkg-buildpackage took {:.0} s",
        started.elapsed().as_secs_f64()
    );

    let changes = only_file(&work, |name| name.ends_with(".changes"));
    lintian_clean(&changes);

    let deb = |package: &str| only_file(&work, |name| name.starts_with(&format!("{package}_")));
    let multiarch = stdout(Command::new("dpkg-architecture").arg("-qDEB_HOST_MULTIARCH"));
    let libdir = format!("usr/lib/{}", multiarch.trim());
    check_split(
        &deb("libust1"),
        &deb("libust-dev"),
        &deb("ust-tools"),
        &libdir,
    );

    let sysroot = work.join("root");
    for package in ["libust1", "libust-dev", "ust-tools"] {
        run_ok(
            Command::new("dpkg")
                .arg("-x")
                .arg(deb(package))
                .arg(&sysroot),
        );
    }
    check_layout(&repo, &sysroot, &libdir);
    check_ust_tools(&sysroot, &deb("ust-tools"), &work.join("ust-tools-control"));

    let lib = sysroot.join(&libdir);
    let pkg_config_env = |cmd: &mut Command| {
        cmd.env("PKG_CONFIG_SYSROOT_DIR", &sysroot)
            .env("PKG_CONFIG_LIBDIR", lib.join("pkgconfig"))
            .env_remove("PKG_CONFIG_PATH")
            .env("LD_LIBRARY_PATH", &lib);
    };
    hello_through_pkg_config(&repo, &work.join("hello"), &lib, &pkg_config_env);

    let autopkgtest_tmp = work.join("autopkgtest");
    fs::create_dir_all(&autopkgtest_tmp).unwrap();
    let mut autopkgtest = Command::new("debian/tests/build-with-pkg-config");
    autopkgtest
        .current_dir(&src)
        .env("AUTOPKGTEST_TMP", &autopkgtest_tmp);
    pkg_config_env(&mut autopkgtest);
    let out = stdout(&mut autopkgtest);
    assert!(
        out.lines().any(|l| l == "PASS"),
        "autopkgtest did not pass:\n{out}"
    );
}

/// Whether every program of TOOLS is on PATH. When one is not, says which
/// packages to install, and fails under CI.
fn tools_present() -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let missing: Vec<_> = TOOLS
        .iter()
        .filter(|(tool, _)| !std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
        .collect();
    if missing.is_empty() {
        return true;
    }
    let names: Vec<_> = missing.iter().map(|(tool, _)| *tool).collect();
    let packages: Vec<_> = missing.iter().map(|(_, package)| *package).collect();
    let message = format!(
        "missing {}: apt-get install {}",
        names.join(", "),
        packages.join(" ")
    );
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must build the Debian packages; {message}"
    );
    eprintln!("debian_packages: skipped, {message}");
    false
}

/// Holds an exclusive lock on `path` (created if needed) until dropped.
fn lock(path: &Path) -> fs::File {
    let file = fs::File::create(path).unwrap();
    // SAFETY: flock on a file descriptor this function owns; no memory is shared.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
    assert_eq!(
        rc,
        0,
        "flock {}: {}",
        path.display(),
        std::io::Error::last_os_error()
    );
    file
}

/// Copies the files git sees in `from` (tracked, and untracked but not
/// ignored) to `to`, so that uncommitted work is packaged and build output
/// is not.
fn copy_working_tree(from: &Path, to: &Path) {
    let list = run_ok(
        Command::new("git")
            .args([
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ])
            .current_dir(from),
    )
    .stdout;
    for rel in list.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        let rel = Path::new(OsStr::from_bytes(rel));
        let source = from.join(rel);
        // A tracked file deleted in the working tree is not part of it.
        let Ok(meta) = fs::symlink_metadata(&source) else {
            continue;
        };
        let dest = to.join(rel);
        fs::create_dir_all(dest.parent().unwrap()).unwrap();
        if meta.file_type().is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&source).unwrap(), &dest).unwrap();
        } else if meta.is_file() {
            fs::copy(&source, &dest).unwrap();
        }
    }
}

/// Keeps the variables `cargo test` sets for its test binaries (CARGO_*,
/// the loader path to target/) out of a nested build.
fn without_cargo_test_env(cmd: &mut Command) {
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("CARGO_") && key != "CARGO_TARGET_DIR"
            || ["CARGO", "RUSTFLAGS", "RUSTDOCFLAGS", "LD_LIBRARY_PATH"].contains(&&*key)
            || ["MAKEFLAGS", "MFLAGS", "MAKELEVEL"].contains(&&*key)
        {
            cmd.env_remove(&*key);
        }
    }
}

/// Runs lintian on the .changes (which lists every .deb) and fails on any
/// error; warnings are printed (the kept ones are overridden, with their
/// reason, in debian/*.lintian-overrides).
fn lintian_clean(changes: &Path) {
    let started = Instant::now();
    let out = Command::new("lintian")
        .args(["--info", "--display-experimental"])
        .arg(changes)
        .output()
        .expect("cannot run lintian");
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!(
        "debian_packages: lintian took {:.0} s, said:\n{text}",
        started.elapsed().as_secs_f64()
    );
    let errors: Vec<_> = text.lines().filter(|l| l.starts_with("E: ")).collect();
    assert!(errors.is_empty(), "lintian errors:\n{}", errors.join("\n"));
    assert!(
        out.status.success(),
        "lintian failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Checks which package ships what: libust1 only the shared library,
/// libust-dev the development files, ust-tools the command.
fn check_split(libust1: &Path, libust_dev: &Path, ust_tools: &Path, libdir: &str) {
    let contents = |deb: &Path| -> Vec<String> {
        stdout(Command::new("dpkg-deb").arg("--contents").arg(deb))
            .lines()
            .filter(|l| !l.starts_with('d'))
            .map(|l| {
                l.split_whitespace()
                    .nth(5)
                    .unwrap()
                    .trim_start_matches("./")
                    .to_owned()
            })
            .filter(|p| !p.starts_with("usr/share/doc/") && !p.starts_with("usr/share/lintian/"))
            .collect()
    };
    let mut lib = contents(libust1);
    lib.sort();
    assert_eq!(
        lib,
        [
            format!("{libdir}/libust.so.1"),
            format!("{libdir}/libust.so.1.0.0")
        ]
    );

    let dev = contents(libust_dev);
    for file in [
        format!("{libdir}/libust.so"),
        format!("{libdir}/pkgconfig/ust.pc"),
        format!("{libdir}/pkgconfig/ust-lttng-compat.pc"),
        "usr/include/ust/tracepoint.h".to_owned(),
        "usr/include/ust/lttng-compat/lttng/tracepoint.h".to_owned(),
    ] {
        assert!(dev.contains(&file), "libust-dev lacks {file}: {dev:?}");
    }
    assert!(
        dev.iter()
            .all(|f| f.starts_with("usr/include/ust/") || f.starts_with(libdir)),
        "libust-dev ships files outside usr/include/ust and {libdir}: {dev:?}"
    );

    let tools = contents(ust_tools);
    for file in [
        "usr/bin/ust",
        "usr/bin/ust-dtrace",
        "usr/share/man/man1/ust.1.gz",
        "usr/share/man/man1/ust-dtrace.1.gz",
        "lib/systemd/system/ust-daemon.service",
    ] {
        assert!(
            tools.contains(&file.to_owned()),
            "ust-tools lacks {file}: {tools:?}"
        );
    }
}

/// Checks the installed layout: the soname links, every header of include/
/// (the LTTng compatibility ones away from /usr/include/lttng, where
/// liblttng-ust-dev puts its own) and what pkg-config answers.
fn check_layout(repo: &Path, sysroot: &Path, libdir: &str) {
    let lib = sysroot.join(libdir);
    assert!(fs::symlink_metadata(lib.join("libust.so.1.0.0"))
        .unwrap()
        .is_file());
    assert_eq!(
        fs::read_link(lib.join("libust.so.1")).unwrap(),
        Path::new("libust.so.1.0.0")
    );
    assert!(
        lib.join("libust.so").exists(),
        "libust.so does not lead to the library"
    );
    let dynamic = stdout(
        Command::new("readelf")
            .arg("-d")
            .arg(lib.join("libust.so.1.0.0")),
    );
    assert!(
        dynamic.contains("Library soname: [libust.so.1]"),
        "{dynamic}"
    );
    // Hardening: full RELRO (relocations read-only, bound at load time).
    assert!(
        dynamic.contains("BIND_NOW"),
        "libust.so.1 not linked with -z now:\n{dynamic}"
    );
    let segments = stdout(
        Command::new("readelf")
            .arg("-lW")
            .arg(lib.join("libust.so.1.0.0")),
    );
    assert!(
        segments.contains("GNU_RELRO"),
        "libust.so.1 not linked with -z relro:\n{segments}"
    );

    for (from, to) in [
        ("include/ust", "usr/include/ust"),
        ("include/lttng-compat", "usr/include/ust/lttng-compat"),
    ] {
        for header in files_under(&repo.join(from)) {
            let rel = header.strip_prefix(repo.join(from)).unwrap();
            assert!(
                sysroot.join(to).join(rel).is_file(),
                "{} not installed in /{to}",
                rel.display()
            );
        }
    }
    assert!(
        !sysroot.join("usr/include/lttng").exists(),
        "/usr/include/lttng would clash with liblttng-ust-dev"
    );

    let pkg_config = |args: &[&str]| {
        stdout(
            Command::new("pkg-config")
                .args(args)
                .env("PKG_CONFIG_SYSROOT_DIR", sysroot)
                .env("PKG_CONFIG_LIBDIR", lib.join("pkgconfig"))
                .env_remove("PKG_CONFIG_PATH"),
        )
    };
    let include = sysroot.join("usr/include");
    let compat = include.join("ust/lttng-compat");
    assert_eq!(
        pkg_config(&["--cflags", "--libs", "ust"])
            .split_whitespace()
            .collect::<Vec<_>>(),
        [
            format!("-I{}", include.display()),
            format!("-L{}", lib.display()),
            "-lust".into(),
            "-ldl".into()
        ]
    );
    let compat_cflags = pkg_config(&["--cflags", "ust-lttng-compat"]);
    assert_eq!(
        compat_cflags.split_whitespace().collect::<Vec<_>>(),
        [
            format!("-I{}", compat.display()),
            format!("-I{}", include.display())
        ],
        "the compatibility directory must come first"
    );
    let version = pkg_config(&["--modversion", "ust"]);
    assert_eq!(version.trim(), env!("CARGO_PKG_VERSION"));
}

/// Checks the ust command runs from the extracted root, that the daemon's
/// unit is the system-wide one, and that the postinst creates the tracing group.
fn check_ust_tools(sysroot: &Path, ust_tools: &Path, control_dir: &Path) {
    let help = stdout(Command::new(sysroot.join("usr/bin/ust")).arg("--help"));
    assert!(help.contains("Usage: ust"), "{help}");
    let help = stdout(Command::new(sysroot.join("usr/bin/ust-dtrace")).arg("--help"));
    assert!(help.contains("Usage: ust-dtrace"), "{help}");
    let unit = fs::read_to_string(sysroot.join("lib/systemd/system/ust-daemon.service")).unwrap();
    assert!(
        unit.lines()
            .any(|l| l == "ExecStart=/usr/bin/ust daemon --system $UST_DAEMON_OPTS"),
        "{unit}"
    );

    run_ok(
        Command::new("dpkg-deb")
            .arg("--control")
            .arg(ust_tools)
            .arg(control_dir),
    );
    let postinst = fs::read_to_string(control_dir.join("postinst")).unwrap();
    assert!(
        postinst.contains("addgroup --quiet --system tracing"),
        "{postinst}"
    );
    assert!(
        !postinst
            .lines()
            .any(|l| l.trim_start().starts_with("deb-systemd-invoke start")),
        "the daemon must not be started on install:\n{postinst}"
    );
}

/// c-examples/hello built with nothing but `cc -I. hello.c hello-tp.c
/// $(pkg-config --cflags --libs ust)`, run with UST_TRACE=DIR, read back
/// with babeltrace2.
fn hello_through_pkg_config(
    repo: &Path,
    dir: &Path,
    lib: &Path,
    pkg_config_env: &dyn Fn(&mut Command),
) {
    fs::create_dir_all(dir).unwrap();
    for file in ["hello.c", "hello-tp.c", "hello-tp.h"] {
        fs::copy(repo.join("c-examples/hello").join(file), dir.join(file)).unwrap();
    }
    let mut flags = Command::new("pkg-config");
    flags.args(["--cflags", "--libs", "ust"]);
    pkg_config_env(&mut flags);
    let flags = stdout(&mut flags);

    let mut cc = Command::new("cc");
    cc.args([
        "-Wall",
        "-Werror",
        "-I.",
        "-o",
        "hello",
        "hello.c",
        "hello-tp.c",
    ])
    .args(flags.split_whitespace())
    .current_dir(dir);
    run_ok(&mut cc);
    let dynamic = stdout(Command::new("readelf").arg("-d").arg(dir.join("hello")));
    assert!(
        dynamic.contains("Shared library: [libust.so.1]"),
        "{dynamic}"
    );

    let trace = dir.join("trace");
    let mut hello = Command::new(dir.join("hello"));
    hello.env("UST_TRACE", &trace).env("LD_LIBRARY_PATH", lib);
    let printed = stdout(&mut hello);
    assert_eq!(printed, "hello, world (3 events)\n");

    let text = stdout(Command::new("babeltrace2").arg(&trace));
    let events: Vec<_> = text
        .lines()
        .filter(|l| l.contains(" hello:greeting: "))
        .collect();
    assert_eq!(events.len(), 3, "expected 3 hello:greeting events:\n{text}");
    for (count, event) in events.iter().enumerate() {
        let fields = format!("{{ count = {count}, who = \"world\" }}");
        assert!(
            event.ends_with(&fields),
            "event {count} lacks {fields}: {event}"
        );
    }
}

/// Every regular file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// The one file of `dir` whose name satisfies `pred`.
fn only_file(dir: &Path, pred: impl Fn(&str) -> bool) -> PathBuf {
    let found: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && pred(&p.file_name().unwrap().to_string_lossy()))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one match in {}: {found:?}",
        dir.display()
    );
    found.into_iter().next().unwrap()
}

/// Runs a command, panicking with its output if it fails.
fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        tail(&out.stdout),
        tail(&out.stderr)
    );
    out
}

/// The standard output of a command that must succeed.
fn stdout(cmd: &mut Command) -> String {
    String::from_utf8(run_ok(cmd).stdout).unwrap()
}

/// The last 150 lines of a command's output: a failed package build says
/// why at its end.
fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<_> = text.lines().collect();
    lines[lines.len().saturating_sub(150)..].join("\n")
}
