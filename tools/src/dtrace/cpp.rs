//! `-C`: the provider file through the C preprocessor, as DTrace does it, with the `-I`,
//! `-D` and `-U` options passed on. The preprocessor's line markers are kept: they let
//! errors point into the provider file and the headers it includes.

use crate::error::{Error, Result};
use std::path::Path;
use std::process::{Command, Stdio};

/// The preprocessed text of `source`. The preprocessor is `cpp_path` (from `-x cpppath=`),
/// else `$CPP` (split at blanks, like `gcc -E`), else `cpp`; its diagnostics go to stderr.
pub fn preprocess(source: &Path, cpp_path: Option<&str>, args: &[String]) -> Result<String> {
    let command = match cpp_path {
        Some(path) => vec![path.to_string()],
        None => std::env::var("CPP")
            .ok()
            .map(|cpp| cpp.split_whitespace().map(String::from).collect::<Vec<_>>())
            .filter(|words| !words.is_empty())
            .unwrap_or_else(|| vec!["cpp".into()]),
    };
    let output = Command::new(&command[0])
        .args(&command[1..])
        .args(args)
        .arg(source)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| {
            Error::plain(format!(
                "cannot run the C preprocessor '{}': {e}",
                command[0]
            ))
        })?;
    if !output.status.success() {
        return Err(Error::plain(format!(
            "the C preprocessor failed on {} ({})",
            source.display(),
            output.status
        )));
    }
    String::from_utf8(output.stdout).map_err(|_| {
        Error::plain(format!(
            "the preprocessed {} is not UTF-8 text",
            source.display()
        ))
    })
}
