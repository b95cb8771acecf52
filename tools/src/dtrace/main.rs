//! `ust-dtrace`: a `dtrace -h`/`-G` compatible generator targeting UST.
//!
//! Programs that ship DTrace probes declare them in a provider file (`provider db { probe
//! query__start(const char *); };`) and their builds run `dtrace -h` (a header of
//! `DB_QUERY_START(…)` macros) and sometimes `dtrace -G` (an object to link). Run as
//! `DTRACE=ust-dtrace`, this writes both so that every probe records the UST event
//! `provider:probe`. The path: `cli` (the command line) → `cpp` (with `-C`) → `lexer` →
//! `parser` (with `ctype` for argument types) → `header` (the C text) → `files` (written
//! whole) or `object` (compiled, for `-G`).

mod cli;
mod cpp;
mod ctype;
mod error;
mod files;
mod header;
mod lexer;
mod object;
mod parser;

use cli::{Command, Mode, Options};
use error::{Error, Result};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: std::result::Result<Vec<String>, _> = std::env::args_os()
        .skip(1)
        .map(|a| a.into_string())
        .collect();
    let Ok(args) = args else {
        eprintln!("ust-dtrace: arguments must be valid UTF-8");
        return ExitCode::from(2);
    };
    match cli::parse(args) {
        Err(msg) => {
            eprintln!("ust-dtrace: {msg}\n{}", cli::USAGE);
            ExitCode::from(2)
        }
        Ok(Command::Help) => {
            println!("{}", cli::HELP);
            ExitCode::SUCCESS
        }
        Ok(Command::Version) => {
            println!("ust-dtrace {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Ok(Command::Run(options)) => match run(&options) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
    }
}

/// Reads the provider file and writes the header or the object.
fn run(options: &Options) -> Result<()> {
    let source = &options.source;
    let name = source.to_string_lossy();
    let text = if options.preprocess {
        cpp::preprocess(source, options.cpp_path.as_deref(), &options.cpp_args)?
    } else {
        std::fs::read_to_string(source)
            .map_err(|e| Error::plain(format!("cannot read {name}: {e}")))?
    };
    let (tokens, end) = lexer::tokens(&text, &name, options.preprocess)?;
    let providers = parser::parse(&tokens, end)?;
    if providers.is_empty() {
        return Err(Error::plain(format!("{name} declares no provider")));
    }
    header::check_macro_names(&providers)?;
    let file_name = source.file_name().unwrap_or_default().to_string_lossy();
    let text = header::generate(&providers, &file_name);
    match options.mode {
        Mode::Header => files::write_whole(&options.output, text.as_bytes()),
        Mode::Object => object::build(&text, &file_name, &options.output, &options.cpp_args),
    }
}
