//! `-G`: the provider object. The generated header, included by a one-line C file and
//! compiled with the C compiler, gives an object holding the providers' definitions (the
//! same weak definitions every unit that includes the header carries, see `header`), for
//! the builds that link the object `dtrace -G` makes.

use crate::error::{Error, Result};
use crate::files::{commit, sibling_temp, ScratchDir};
use std::path::Path;
use std::process::{Command, Stdio};

/// Compiles `header` (generated from `source_name`) into the object `output`; `cpp_args`
/// are the `-I`/`-D`/`-U` options of the command line.
pub fn build(header: &str, source_name: &str, output: &Path, cpp_args: &[String]) -> Result<()> {
    let scratch = ScratchDir::new()?;
    let write = |name: &str, text: &str| {
        std::fs::write(scratch.path().join(name), text)
            .map_err(|e| Error::plain(format!("cannot write the provider source: {e}")))
    };
    write("provider.h", header)?;
    write(
        "provider.c",
        &format!(
            "/* The provider object of {source_name}, built by ust-dtrace -G: its definitions. */\n#undef UST_DTRACE_DEFINED_BY_OBJECT\n#include \"provider.h\"\n"
        ),
    )?;
    let temp = sibling_temp(output);
    let compiler = words_of("CC").unwrap_or_else(|| vec!["cc".into()]);
    let status = Command::new(&compiler[0])
        .args(&compiler[1..])
        .args(words_of("CFLAGS").unwrap_or_default())
        .args(cpp_args)
        .args(pkg_config_cflags())
        .args(["-fPIC", "-c"])
        .arg(scratch.path().join("provider.c"))
        .arg("-o")
        .arg(&temp)
        .stdin(Stdio::null())
        .status()
        .map_err(|e| Error::plain(format!("cannot run the C compiler '{}': {e}", compiler[0])))?;
    if !status.success() {
        let _ = std::fs::remove_file(&temp);
        return Err(Error::plain(format!(
            "compiling the provider object failed ({} {status}); <ust/tracepoint.h> must be found: pass -I DIR, or set CFLAGS",
            compiler[0]
        )));
    }
    commit(&temp, output)
}

/// The blank-separated words of environment variable `var`, if set and not blank.
fn words_of(var: &str) -> Option<Vec<String>> {
    let value = std::env::var(var).ok()?;
    let words: Vec<String> = value.split_whitespace().map(String::from).collect();
    (!words.is_empty()).then_some(words)
}

/// `pkg-config --cflags ust`, or nothing when pkg-config or UST's entry is missing.
fn pkg_config_cflags() -> Vec<String> {
    let output = Command::new("pkg-config")
        .args(["--cflags", "ust"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output();
    match output {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(String::from)
            .collect(),
        _ => Vec::new(),
    }
}
