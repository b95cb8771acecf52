//! Parsing a marker's printf-style format ("count %d who %s") into typed
//! fields: each conversion names its field with the last word written
//! before it. Run once per marker, at registration.

use crate::abi::{flag, kind};
use crate::dynevent::FieldSpec;
use std::ffi::{c_long, c_uint};

/// How much of an argument's 64-bit slot the C recorder stores, and how
/// (`enum ust_marker_op`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Op {
    Int8 = 1,
    Int16 = 2,
    Int32 = 3,
    Int64 = 4,
    Double = 5,
    String = 6,
    Pointer = 7,
}

impl Op {
    /// Payload bytes of a non-string argument.
    pub fn fixed_size(self) -> u32 {
        match self {
            Op::Int8 => 1,
            Op::Int16 => 2,
            Op::Int32 => 4,
            Op::Int64 | Op::Double | Op::Pointer => 8,
            Op::String => 0,
        }
    }
}

/// One conversion of a format: the field it records and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arg {
    pub field: FieldSpec,
    pub op: Op,
}

/// The size in bits of the integer a length modifier gives.
fn int_bits(modifier: &str) -> Result<u32, String> {
    let bits = |bytes: usize| 8 * bytes as u32;
    Ok(match modifier {
        "hh" => 8,
        "h" => 16,
        "" => bits(std::mem::size_of::<c_uint>()),
        "l" => bits(std::mem::size_of::<c_long>()),
        "ll" | "j" => 64,
        "z" | "t" => bits(std::mem::size_of::<usize>()),
        other => return Err(format!("length modifier '{other}' on an integer")),
    })
}

fn int_op(bits: u32) -> Op {
    match bits {
        8 => Op::Int8,
        16 => Op::Int16,
        32 => Op::Int32,
        _ => Op::Int64,
    }
}

fn spec(name: &str, kind: u16, flags: u16, elem_bits: u32, length: u32) -> FieldSpec {
    FieldSpec {
        name: name.to_string(),
        kind,
        flags,
        elem_bits,
        length,
        len_bits: 0,
    }
}

/// The field and operation of conversion `conv` with length `modifier`.
fn typed(name: &str, modifier: &str, conv: u8) -> Result<Arg, String> {
    let arg = |field, op| Ok(Arg { field, op });
    match conv {
        b'd' | b'i' | b'u' | b'o' | b'x' | b'X' => {
            let bits = int_bits(modifier)?;
            let flags = match conv {
                b'd' | b'i' => flag::SIGNED,
                b'x' | b'X' => flag::HEX,
                _ => 0,
            };
            arg(spec(name, kind::INTEGER, flags, bits, 0), int_op(bits))
        }
        b'c' if modifier.is_empty() => arg(spec(name, kind::ARRAY, flag::TEXT, 8, 1), Op::Int8),
        b's' if modifier.is_empty() => arg(spec(name, kind::STRING, 0, 8, 0), Op::String),
        b'p' if modifier.is_empty() => {
            arg(spec(name, kind::INTEGER, flag::HEX, 64, 0), Op::Pointer)
        }
        b'f' | b'F' | b'e' | b'E' | b'g' | b'G' | b'a' | b'A'
            if modifier.is_empty() || modifier == "l" =>
        {
            arg(spec(name, kind::FLOAT, 0, 64, 0), Op::Double)
        }
        b'n' => Err("%n cannot be recorded".into()),
        b'%' => Err("%% is not a field".into()),
        b'c' | b's' | b'p' | b'f' | b'F' | b'e' | b'E' | b'g' | b'G' | b'a' | b'A' => {
            Err(format!("length modifier '{modifier}' on %{}", conv as char))
        }
        other => Err(format!("unknown conversion %{}", other as char)),
    }
}

/// The last identifier of `text` (a word not starting with a digit).
fn last_word(text: &[u8]) -> Option<&str> {
    let is_word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    text.split(|b| !is_word(b))
        .rfind(|w| !w.is_empty() && !w[0].is_ascii_digit())
        .and_then(|w| std::str::from_utf8(w).ok())
}

/// One conversion starting at `fmt[at]` (just after '%'): its length
/// modifier, conversion character and the index just past it.
fn conversion(fmt: &[u8], mut at: usize) -> Result<(String, u8, usize), String> {
    while at < fmt.len() && b"-+ #0'".contains(&fmt[at]) {
        at += 1;
    }
    let digits = |at: &mut usize| {
        while *at < fmt.len() && fmt[*at].is_ascii_digit() {
            *at += 1;
        }
    };
    digits(&mut at);
    if fmt.get(at) == Some(&b'.') {
        at += 1;
        digits(&mut at);
    }
    if fmt.get(at) == Some(&b'*') {
        return Err("a '*' width or precision cannot be typed".into());
    }
    let start = at;
    while at < fmt.len() && b"hlLqjzt".contains(&fmt[at]) {
        at += 1;
    }
    let modifier = String::from_utf8_lossy(&fmt[start..at]).into_owned();
    match fmt.get(at) {
        Some(&c) => Ok((modifier, c, at + 1)),
        None => Err("the format ends inside a conversion".into()),
    }
}

/// Parses `fmt` into one typed argument per conversion, in order.
pub fn parse(fmt: &str) -> Result<Vec<Arg>, String> {
    let bytes = fmt.as_bytes();
    let mut args: Vec<Arg> = Vec::new();
    let mut text_start = 0;
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] != b'%' {
            at += 1;
            continue;
        }
        let (modifier, conv, next) = conversion(bytes, at + 1)?;
        let spelled = String::from_utf8_lossy(&bytes[at..next]).into_owned();
        if conv == b'%' {
            return Err("%% is not a field".into());
        }
        let name = last_word(&bytes[text_start..at])
            .ok_or_else(|| format!("no field name before {spelled}"))?;
        if args.iter().any(|a| a.field.name == name) {
            return Err(format!("field name '{name}' used twice"));
        }
        args.push(typed(name, &modifier, conv).map_err(|e| format!("{spelled}: {e}"))?);
        at = next;
        text_start = next;
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(fmt: &str) -> Vec<(String, u16, u16, u32, Op)> {
        parse(fmt)
            .unwrap()
            .into_iter()
            .map(|a| {
                (
                    a.field.name,
                    a.field.kind,
                    a.field.flags,
                    a.field.elem_bits,
                    a.op,
                )
            })
            .collect()
    }

    #[test]
    fn names_and_types_of_each_conversion() {
        let s = |n: &str, k, f, b, o| (n.to_string(), k, f, b, o);
        assert_eq!(
            summary("count %d who %s"),
            vec![
                s("count", kind::INTEGER, flag::SIGNED, 32, Op::Int32),
                s("who", kind::STRING, 0, 8, Op::String),
            ]
        );
        assert_eq!(
            summary("a %hhd b %hu c %lx d %llu e %zd f %jd g %td h %o"),
            vec![
                s("a", kind::INTEGER, flag::SIGNED, 8, Op::Int8),
                s("b", kind::INTEGER, 0, 16, Op::Int16),
                s("c", kind::INTEGER, flag::HEX, 64, Op::Int64),
                s("d", kind::INTEGER, 0, 64, Op::Int64),
                s("e", kind::INTEGER, flag::SIGNED, 64, Op::Int64),
                s("f", kind::INTEGER, flag::SIGNED, 64, Op::Int64),
                s("g", kind::INTEGER, flag::SIGNED, 64, Op::Int64),
                s("h", kind::INTEGER, 0, 32, Op::Int32),
            ]
        );
        assert_eq!(
            summary("ch %c ptr %p x %f y %lf z %g"),
            vec![
                s("ch", kind::ARRAY, flag::TEXT, 8, Op::Int8),
                s("ptr", kind::INTEGER, flag::HEX, 64, Op::Pointer),
                s("x", kind::FLOAT, 0, 64, Op::Double),
                s("y", kind::FLOAT, 0, 64, Op::Double),
                s("z", kind::FLOAT, 0, 64, Op::Double),
            ]
        );
    }

    #[test]
    fn words_punctuation_flags_and_widths_are_allowed() {
        let names: Vec<String> = parse("reg 0x%08x, value=%-5d; label: %.3s end")
            .unwrap()
            .into_iter()
            .map(|a| a.field.name)
            .collect();
        assert_eq!(names, ["reg", "value", "label"]);
        assert!(parse("").unwrap().is_empty());
        assert!(parse(" ").unwrap().is_empty());
    }

    #[test]
    fn untypable_formats_are_refused_with_a_reason() {
        let err = |f: &str| parse(f).unwrap_err();
        assert_eq!(err("%d"), "no field name before %d");
        assert_eq!(err("a %d 42 %d"), "no field name before %d");
        assert_eq!(err("a %d a %u"), "field name 'a' used twice");
        assert_eq!(err("n %n"), "%n: %n cannot be recorded");
        assert_eq!(err("w %*d"), "a '*' width or precision cannot be typed");
        assert_eq!(err("p %.*s"), "a '*' width or precision cannot be typed");
        assert_eq!(err("x %Lf"), "%Lf: length modifier 'L' on %f");
        assert_eq!(err("s %ls"), "%ls: length modifier 'l' on %s");
        assert_eq!(err("q %y"), "%y: unknown conversion %y");
        assert_eq!(err("pct 100%%"), "%% is not a field");
        assert_eq!(err("end %"), "the format ends inside a conversion");
    }
}
