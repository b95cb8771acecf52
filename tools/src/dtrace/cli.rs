//! The command line of `ust-dtrace`: DTrace's own (`dtrace -h -s probes.d -o probes.h`,
//! `dtrace -G -s probes.d -o probes.o OBJECTS…`), read as getopt reads it (`-Cs file`,
//! `-xnolibs`, `-I dir` or `-Idir`), so the lines build systems already carry work unchanged.
//! Flags that mean nothing here (`-64`, `-x nolibs`, …) are accepted and ignored; DTrace's
//! tracing options are refused with a pointer to `ust trace`.

use std::path::PathBuf;

pub const USAGE: &str = "usage: ust-dtrace [-C] [-I DIR] [-D NAME[=VALUE]] [-U NAME] -h|-G -s FILE.d [-o OUTPUT] [OBJECT...]";

pub const HELP: &str = "\
ust-dtrace: DTrace's -h/-G for UST. Reads a DTrace provider file (.d) and writes
the C header (-h) or the object (-G) a build expects from `dtrace`, so that the
program's static probes record UST events (provider:probe, one field per argument)
and keep their SystemTap/bpftrace SDT notes. Use it as DTRACE=ust-dtrace.

Usage: ust-dtrace [OPTIONS] -h|-G -s FILE.d [-o OUTPUT] [OBJECT...]

Options:
  -h              write the C header (default output: FILE.h)
  -G              write the provider object (default output: FILE.o); OBJECT files
                  named after the options are accepted and left unchanged
  -s FILE.d       the provider file
  -o OUTPUT       the output file (written whole or not at all)
  -C              run the C preprocessor on FILE.d first ($CPP, or -x cpppath=PATH;
                  default cpp)
  -I DIR, -D NAME[=VALUE], -U NAME
                  passed to the preprocessor and, with -G, to the C compiler
  -x OPTION       DTrace compiler option: cpppath=PATH picks the preprocessor,
                  others (nolibs, ...) are ignored
  -32, -64, -e, -q, -v, -w, -Z, -L DIR, -X MODE, -k, -fpic, -fPIC
                  accepted for compatibility and ignored
  -V, --version   print the version
      --help      print this help

-G compiles with $CC (default cc), $CFLAGS and -fPIC, adding the -I/-D/-U options
and `pkg-config --cflags ust` when pkg-config knows UST; <ust/tracepoint.h> must be
found. The generated header explains how the definitions reach each program and
shared library, with or without the -G object. Programs link with libust.

Errors in FILE.d are reported as FILE:LINE:COLUMN; nothing is written then.
Exit status: 0 success, 1 error, 2 usage error.";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Header,
    Object,
}

#[derive(Debug)]
pub struct Options {
    pub mode: Mode,
    pub source: PathBuf,
    pub output: PathBuf,
    pub preprocess: bool,
    /// `-I…`, `-D…`, `-U…`, in order, each as one argument.
    pub cpp_args: Vec<String>,
    /// From `-x cpppath=PATH`.
    pub cpp_path: Option<String>,
}

#[derive(Debug)]
pub enum Command {
    Run(Options),
    Help,
    Version,
}

/// Options with an argument (`-o FILE` or `-oFILE`).
const WITH_VALUE: &str = "osIDUxXL";
/// DTrace options for tracing, which ust-dtrace does not do.
const TRACING: &str = "abcfilmnpAFHPS";

/// Reads the arguments (without the program name).
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut args = args.into_iter();
    let mut mode = None;
    let mut source = None;
    let mut output = None;
    let mut preprocess = false;
    let mut cpp_args = Vec::new();
    let mut cpp_path = None;
    let mut objects = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--help" => return Ok(Command::Help),
            "--version" => return Ok(Command::Version),
            "-32" | "-64" | "-fpic" | "-fPIC" | "--no-pyparsing" | "--types" => continue,
            "--" => {
                objects.extend(args.by_ref());
                break;
            }
            _ => {}
        }
        let Some(flags) = arg.strip_prefix('-').filter(|f| !f.is_empty()) else {
            objects.push(arg);
            continue;
        };
        for (i, flag) in flags.char_indices() {
            if WITH_VALUE.contains(flag) {
                let rest = &flags[i + flag.len_utf8()..];
                let value = if rest.is_empty() {
                    args.next()
                        .ok_or_else(|| format!("option -{flag} needs a value"))?
                } else {
                    rest.to_string()
                };
                match flag {
                    'o' => output = Some(PathBuf::from(value)),
                    's' if source.is_some() => return Err("only one -s file is supported".into()),
                    's' => source = Some(PathBuf::from(value)),
                    'I' | 'D' | 'U' => cpp_args.push(format!("-{flag}{value}")),
                    'x' => {
                        if let Some(path) = value.strip_prefix("cpppath=") {
                            cpp_path = Some(path.to_string());
                        }
                    }
                    _ => {}
                }
                break;
            }
            match flag {
                'h' | 'G' => {
                    let wanted = if flag == 'h' { Mode::Header } else { Mode::Object };
                    if mode.is_some_and(|m| m != wanted) {
                        return Err("-h and -G cannot be used together".into());
                    }
                    mode = Some(wanted);
                }
                'C' => preprocess = true,
                'V' => return Ok(Command::Version),
                'e' | 'q' | 'v' | 'w' | 'Z' | 'k' => {}
                _ if TRACING.contains(flag) => {
                    return Err(format!(
                        "-{flag} is a DTrace tracing option: ust-dtrace only writes headers (-h) and objects (-G); to trace a program, run `ust trace -- PROGRAM`"
                    ))
                }
                _ => return Err(format!("unknown option -{flag}")),
            }
        }
    }
    let mode = mode.ok_or("one of -h (header) or -G (object) is needed")?;
    let source: PathBuf = source.ok_or("no provider file: give it with -s FILE.d")?;
    if mode == Mode::Header {
        if let Some(object) = objects.first() {
            return Err(format!(
                "unexpected argument '{object}' (object files only go with -G)"
            ));
        }
    }
    let output = output.unwrap_or_else(|| {
        let stem = source.file_stem().unwrap_or(source.as_os_str());
        PathBuf::from(stem).with_extension(if mode == Mode::Header { "h" } else { "o" })
    });
    Ok(Command::Run(Options {
        mode,
        source,
        output,
        preprocess,
        cpp_args,
        cpp_path,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(line: &str) -> Result<Options, String> {
        match parse(line.split_whitespace().map(String::from))? {
            Command::Run(options) => Ok(options),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn build_system_lines_are_understood() {
        let o = run("-C -h -s src/probes.d -o probes.h.tmp").unwrap();
        assert_eq!((o.mode, o.preprocess), (Mode::Header, true));
        assert_eq!(o.source, PathBuf::from("src/probes.d"));
        assert_eq!(o.output, PathBuf::from("probes.h.tmp"));

        let o = run("-64 -xnolibs -G -s probes.d -o probes.o a.o b.o").unwrap();
        assert_eq!(
            (o.mode, o.output),
            (Mode::Object, PathBuf::from("probes.o"))
        );

        let o = run("-Cs p.d -h -I. -I inc -DX=1 -U Y -x cpppath=/usr/bin/cpp").unwrap();
        assert_eq!(o.cpp_args, ["-I.", "-Iinc", "-DX=1", "-UY"]);
        assert_eq!(o.cpp_path.as_deref(), Some("/usr/bin/cpp"));
        assert_eq!(o.output, PathBuf::from("p.h"));

        assert_eq!(run("-G -s dir/x.d").unwrap().output, PathBuf::from("x.o"));
    }

    #[test]
    fn bad_lines_are_refused_with_a_reason() {
        for (line, why) in [
            ("-s p.d", "-h (header) or -G"),
            ("-h", "no provider file"),
            ("-h -G -s p.d", "cannot be used together"),
            ("-h -s p.d -s q.d", "only one -s"),
            ("-h -s", "-s needs a value"),
            ("-n syscall:::entry -h -s p.d", "tracing option"),
            ("-h -s p.d -y", "unknown option -y"),
            ("-h -s p.d extra.o", "only go with -G"),
        ] {
            let err = run(line).unwrap_err();
            assert!(err.contains(why), "{line}: {err}");
        }
    }

    #[test]
    fn help_and_version() {
        assert!(matches!(parse(["--help".to_string()]), Ok(Command::Help)));
        assert!(matches!(parse(["-V".to_string()]), Ok(Command::Version)));
    }
}
