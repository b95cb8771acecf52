//! Building and placing the C programs the `ust` command tests run:
//! per-test scratch directories, this build's libust, and `cc` against
//! include/ and that libust.
#![allow(dead_code)]

use crate::common::{scratch, text};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// A scratch directory for one test, removed when the test passes (kept to look at when it
/// fails).
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        Scratch(scratch(name))
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Where programs built for these tests go (cargo's scratch space for integration tests);
/// each file is written under a temporary name and renamed, so test binaries running at
/// the same time never see half a file.
pub fn build_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ust-cli-tests");
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    dir
}

/// The directory holding this build's libust.so (from beside the test binary, in deps/) and
/// its libust.so.1 link.
pub fn lib_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        let built = exe.parent().unwrap().join("libust.so");
        assert!(built.exists(), "libust.so not built: {}", built.display());
        let dir = build_dir().join("lib");
        let tmp = dir.join(format!(".libust.so.{}", std::process::id()));
        std::fs::copy(&built, &tmp).unwrap();
        std::fs::rename(&tmp, dir.join("libust.so")).unwrap();
        match std::os::unix::fs::symlink("libust.so", dir.join("libust.so.1")) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => panic!("{e}"),
            _ => dir,
        }
    })
    .clone()
}

/// Compiles C sources (with `include` as an extra include directory) against include/ and
/// libust into the build directory; returns the program's path.
pub fn compile(sources: &[PathBuf], include: &Path, name: &str) -> PathBuf {
    compile_with(sources, &[include], name)
}

/// `compile` with several extra include directories, searched in order.
pub fn compile_with(sources: &[PathBuf], includes: &[&Path], name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let lib = lib_dir();
    let exe = build_dir().join(name);
    let tmp = build_dir().join(format!(".{name}.{}", std::process::id()));
    let out = Command::new("cc")
        .args(["-O2", "-g", "-Wall", "-Wextra", "-Werror"])
        .args(includes.iter().flat_map(|d| [Path::new("-I"), d]))
        .arg("-I")
        .arg(root.join("include"))
        .args(sources)
        .arg("-o")
        .arg(&tmp)
        .arg(format!("-L{}", lib.display()))
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-lust")
        .output()
        .unwrap();
    assert!(out.status.success(), "cc: {}", text(&out.stderr));
    std::fs::rename(&tmp, &exe).unwrap();
    exe
}

/// tests/c/ctl_app, built once.
pub fn ctl_app() -> PathBuf {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c");
        compile(&[src.join("ctl_app.c")], &src, "ctl_app")
    })
    .clone()
}
