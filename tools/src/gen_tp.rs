//! `ust gen-tp TEMPLATE.tp`: the `lttng-gen-tp` workflow. A template holds the body of a
//! tracepoint provider header (TRACEPOINT_EVENT, TRACEPOINT_LOGLEVEL, ... declarations);
//! this writes the provider header around it (`NAME.h`), the unit that creates the probes
//! (`NAME.c`) and compiles that unit (`NAME.o`) with `$CC $CPPFLAGS $CFLAGS -I.`, exactly
//! as lttng-gen-tp does, with `#include <ust/...>` (or, with `--lttng-compat`, the very
//! files lttng-gen-tp 2.13 writes, `<lttng/...>` and LTTNG_UST_* names).

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Generate a tracepoint provider (.h, .c, .o) from a template, as lttng-gen-tp does.
///
/// Without -o, DIR/NAME.tp gives DIR/NAME.h, DIR/NAME.c and DIR/NAME.o. The template is the
/// body of a provider header: TRACEPOINT_EVENT, TRACEPOINT_EVENT_CLASS/_INSTANCE,
/// TRACEPOINT_LOGLEVEL, TRACEPOINT_ENUM (or their LTTNG_UST_ names with --lttng-compat);
/// lines starting with '#' are comments, except preprocessor directives (#include ...).
/// The provider is the first argument of the first declaration. The object is compiled with
/// $CC (default cc), $CPPFLAGS and $CFLAGS, plus -I. (the header is included as "./NAME.h").
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The templates (exactly one when -o is given).
    #[arg(required = true, value_name = "TEMPLATE.tp")]
    templates: Vec<PathBuf>,
    /// Write only this file, a .h, .c or .o (repeat the option for several).
    #[arg(short, long = "output", value_name = "FILE")]
    outputs: Vec<PathBuf>,
    /// Write what lttng-gen-tp 2.13 writes: <lttng/tracepoint.h> and the LTTNG_UST_*
    /// names, for templates written for LTTng-UST (build against UST with
    /// `pkg-config --cflags --libs ust-lttng-compat`).
    #[arg(long)]
    lttng_compat: bool,
    /// Print the compile command.
    #[arg(short, long)]
    verbose: bool,
}

/// Which tracer's names the generated files use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    Ust,
    LttngCompat,
}

impl Style {
    /// The macro prefix and include directory of the style.
    fn prefix(self) -> (&'static str, &'static str) {
        match self {
            Style::Ust => ("", "ust"),
            Style::LttngCompat => ("LTTNG_UST_", "lttng"),
        }
    }
}

/// A template read and checked.
#[derive(Debug)]
struct Template {
    /// The text that goes into the header ('#' comment lines blanked).
    text: String,
    provider: String,
    /// Other providers named in the template (a warning, as lttng-gen-tp gives).
    others: Vec<String>,
}

/// Preprocessor directives kept in the template (other '#' lines are comments).
const DIRECTIVES: &[&str] = &[
    "include", "define", "undef", "if", "ifdef", "ifndef", "elif", "else", "endif", "error",
    "pragma", "line",
];

fn is_directive(line: &str) -> bool {
    let Some(rest) = line.trim_start().strip_prefix('#') else {
        return false;
    };
    let word: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    DIRECTIVES.contains(&word.as_str())
}

/// The template without its '#' comment lines (each becomes an empty line).
fn blank_comment_lines(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| {
            if line.trim_start().starts_with('#') && !is_directive(line) {
                if line.ends_with('\n') {
                    "\n"
                } else {
                    ""
                }
            } else {
                line
            }
        })
        .collect()
}

/// The C text without comments, directives and whitespace (for finding declarations).
fn bare_code(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        let line = line.split("//").next().unwrap_or("");
        out.extend(line.chars().filter(|c| !c.is_whitespace()));
    }
    while let Some(start) = out.find("/*") {
        let end = out[start..].find("*/").map_or(out.len(), |e| start + e + 2);
        out.replace_range(start..end, "");
    }
    out
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The first argument of every TRACEPOINT_* / LTTNG_UST_TRACEPOINT_* declaration.
fn providers(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("TRACEPOINT_") {
        let after = &rest[at..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        rest = &after[name_len..];
        let Some(args) = rest.strip_prefix('(') else {
            continue;
        };
        let first = args.split([',', ')']).next().unwrap_or("");
        if is_identifier(first) {
            found.push(first.to_string());
        }
    }
    found
}

fn parse_template(text: &str) -> Result<Template, String> {
    let all = providers(&bare_code(text));
    let Some(provider) = all.first().cloned() else {
        return Err("no TRACEPOINT_EVENT (or LTTNG_UST_TRACEPOINT_EVENT) declaration".into());
    };
    let mut others: Vec<String> = Vec::new();
    for p in &all {
        if *p != provider && !others.contains(p) {
            others.push(p.clone());
        }
    }
    Ok(Template {
        text: blank_comment_lines(text),
        provider,
        others,
    })
}

/// lttng-gen-tp's include guard: the header's name, upper case, non-alphanumerics as '_'.
fn include_guard(header: &str) -> String {
    header
        .to_uppercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn header_text(t: &Template, header: &str, style: Style) -> String {
    let (p, dir) = style.prefix();
    let guard = include_guard(header);
    format!(
        "\n#undef {p}TRACEPOINT_PROVIDER\n#define {p}TRACEPOINT_PROVIDER {provider}\n\n\
         #undef {p}TRACEPOINT_INCLUDE\n#define {p}TRACEPOINT_INCLUDE \"./{header}\"\n\n\
         #if !defined({guard}) || defined({p}TRACEPOINT_HEADER_MULTI_READ)\n\
         #define {guard}\n\n#include <{dir}/tracepoint.h>\n\n{text}\n\
         #endif /* {guard} */\n\n#include <{dir}/tracepoint-event.h>\n",
        provider = t.provider,
        text = t.text,
    )
}

fn c_text(header: &str, style: Style) -> String {
    let (p, _) = style.prefix();
    format!(
        "\n#define {p}TRACEPOINT_CREATE_PROBES\n/*\n * The header containing our \
         {p}TRACEPOINT_EVENTs.\n */\n#define {p}TRACEPOINT_DEFINE\n#include \"{header}\"\n"
    )
}

/// The files to write for one template.
#[derive(Debug, Default, PartialEq, Eq)]
struct Outputs {
    header: Option<String>,
    c: Option<String>,
    object: Option<String>,
}

/// What to write: the -o files, or NAME.h, NAME.c and NAME.o beside NAME.tp.
fn outputs_for(template: &str, requested: &[String]) -> Result<Outputs, String> {
    if requested.is_empty() {
        let stem = template.strip_suffix(".tp").unwrap_or(template);
        return Ok(Outputs {
            header: Some(format!("{stem}.h")),
            c: Some(format!("{stem}.c")),
            object: Some(format!("{stem}.o")),
        });
    }
    let mut out = Outputs::default();
    for name in requested {
        let slot = match name.rsplit_once('.').map(|x| x.1) {
            Some("h") => &mut out.header,
            Some("c") => &mut out.c,
            Some("o") => &mut out.object,
            _ => return Err(format!("{name}: the output must end in .h, .c or .o")),
        };
        *slot = Some(name.clone());
    }
    Ok(out)
}

/// Writes `text` to `path`, refusing to follow a symbolic link there.
fn write_file(path: &str, text: &str) -> Result<(), String> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| format!("cannot write {path}: {e}"))?;
    file.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {path}: {e}"))
}

/// Words of an environment variable (lttng-gen-tp splits CC, CPPFLAGS, CFLAGS on spaces).
fn env_words(name: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// Compiles `c_file` into `object` as lttng-gen-tp does.
fn compile(c_file: &str, object: &str, verbose: bool) -> Result<(), String> {
    if !Path::new(c_file).exists() {
        return Err(format!(
            "{c_file} does not exist: generate it too (-o {c_file}) to build {object}"
        ));
    }
    let mut cc = env_words("CC");
    if cc.is_empty() {
        cc.push("cc".into());
    }
    let mut args: Vec<String> = cc.split_off(1);
    args.push("-c".into());
    args.extend(env_words("CPPFLAGS"));
    args.extend(env_words("CFLAGS"));
    args.extend(["-I.".into(), "-o".into(), object.into(), c_file.into()]);
    if verbose {
        println!("Compile command: {} {}", cc[0], args.join(" "));
    }
    let status = Command::new(&cc[0])
        .args(&args)
        .status()
        .map_err(|e| format!("cannot run the C compiler {}: {e}", cc[0]))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("compiling {c_file} failed ({status})"))
    }
}

/// Generates the requested files of one template.
fn generate(template: &Path, requested: &[String], args: &Args) -> Result<(), String> {
    let name = template.to_string_lossy().into_owned();
    if !name.ends_with(".tp") {
        return Err(format!("{name}: a template's name must end in .tp"));
    }
    let style = if args.lttng_compat {
        Style::LttngCompat
    } else {
        Style::Ust
    };
    let text = std::fs::read_to_string(template).map_err(|e| format!("cannot read {name}: {e}"))?;
    let parsed = parse_template(&text).map_err(|e| format!("{name}: {e}"))?;
    if !parsed.others.is_empty() {
        eprintln!(
            "ust gen-tp: warning: {name} names other providers than {} ({}); the header declares {}",
            parsed.provider,
            parsed.others.join(", "),
            parsed.provider
        );
    }
    if style == Style::Ust && text.contains("LTTNG_UST_") {
        eprintln!(
            "ust gen-tp: note: {name} uses LTTng-UST 2.13 names (LTTNG_UST_...), which \
             <ust/tracepoint.h> does not define: generate with --lttng-compat"
        );
    }
    let out = outputs_for(&name, requested)?;
    if let Some(h) = &out.header {
        write_file(h, &header_text(&parsed, h, style))?;
    }
    if let Some(c) = &out.c {
        let header = c
            .strip_suffix(".c")
            .map(|s| format!("{s}.h"))
            .unwrap_or(c.clone());
        write_file(c, &c_text(&header, style))?;
    }
    if let Some(o) = &out.object {
        let c = format!("{}.c", o.strip_suffix(".o").unwrap_or(o));
        compile(&c, o, args.verbose)?;
    }
    Ok(())
}

pub fn run(args: Args) -> ExitCode {
    let requested: Vec<String> = args
        .outputs
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if !requested.is_empty() && args.templates.len() > 1 {
        eprintln!(
            "ust gen-tp: -o takes one template, {} given",
            args.templates.len()
        );
        return ExitCode::from(2);
    }
    let mut failed = false;
    for template in &args.templates {
        if let Err(msg) = generate(template, &requested, &args) {
            eprintln!("ust gen-tp: {msg}");
            failed = true;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# a comment line\nTRACEPOINT_EVENT(\n\tshop, // the provider\n\torder,\n\
                          \tTP_ARGS(int, id),\n\tTP_FIELDS(ctf_integer(int, id, id))\n)\n\
                          /* TRACEPOINT_EVENT(old, gone, TP_ARGS(), TP_FIELDS()) */\n\
                          #include <stdint.h>\nTRACEPOINT_LOGLEVEL(shop, order, TRACE_INFO)\n";

    #[test]
    fn the_provider_is_the_first_argument_of_the_first_declaration() {
        let t = parse_template(SAMPLE).unwrap();
        assert_eq!(t.provider, "shop");
        assert!(
            t.others.is_empty(),
            "commented-out declarations do not count"
        );
        let t = parse_template(
            "LTTNG_UST_TRACEPOINT_EVENT(a, x, LTTNG_UST_TP_ARGS(), LTTNG_UST_TP_FIELDS())\n\
             LTTNG_UST_TRACEPOINT_EVENT(b, y, LTTNG_UST_TP_ARGS(), LTTNG_UST_TP_FIELDS())\n",
        )
        .unwrap();
        assert_eq!(
            (t.provider.as_str(), t.others.as_slice()),
            ("a", &["b".to_string()][..])
        );
        assert_eq!(
            parse_template("/* nothing */\n").unwrap_err(),
            "no TRACEPOINT_EVENT (or LTTNG_UST_TRACEPOINT_EVENT) declaration"
        );
    }

    #[test]
    fn hash_comment_lines_are_blanked_and_directives_kept() {
        let t = parse_template(SAMPLE).unwrap();
        assert!(t.text.starts_with("\nTRACEPOINT_EVENT(\n"));
        assert!(t.text.contains("#include <stdint.h>\n"));
        assert_eq!(t.text.lines().count(), SAMPLE.lines().count());
    }

    #[test]
    fn header_and_unit_follow_lttng_gen_tp() {
        let t = parse_template(SAMPLE).unwrap();
        let h = header_text(&t, "out/shop-tp.h", Style::Ust);
        assert!(h.starts_with("\n#undef TRACEPOINT_PROVIDER\n#define TRACEPOINT_PROVIDER shop\n"));
        assert!(h.contains("#define TRACEPOINT_INCLUDE \"./out/shop-tp.h\"\n"));
        assert!(
            h.contains("#if !defined(OUT_SHOP_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)\n")
        );
        assert!(h.contains("#include <ust/tracepoint.h>\n"));
        assert!(h.ends_with("#endif /* OUT_SHOP_TP_H */\n\n#include <ust/tracepoint-event.h>\n"));
        let c = c_text("shop-tp.h", Style::LttngCompat);
        assert_eq!(
            c,
            "\n#define LTTNG_UST_TRACEPOINT_CREATE_PROBES\n/*\n * The header containing our \
             LTTNG_UST_TRACEPOINT_EVENTs.\n */\n#define LTTNG_UST_TRACEPOINT_DEFINE\n\
             #include \"shop-tp.h\"\n"
        );
    }

    #[test]
    fn outputs_are_named_after_the_template_or_chosen() {
        let all = outputs_for("dir/x.tp", &[]).unwrap();
        assert_eq!(all.header.as_deref(), Some("dir/x.h"));
        assert_eq!(all.c.as_deref(), Some("dir/x.c"));
        assert_eq!(all.object.as_deref(), Some("dir/x.o"));
        let some = outputs_for("x.tp", &["y.o".into()]).unwrap();
        assert_eq!(
            some,
            Outputs {
                object: Some("y.o".into()),
                ..Outputs::default()
            }
        );
        assert_eq!(
            outputs_for("x.tp", &["y.cpp".into()]).unwrap_err(),
            "y.cpp: the output must end in .h, .c or .o"
        );
    }
}
