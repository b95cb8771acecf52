//! C types as far as a probe argument cares: which C spelling the generated header uses for
//! it, and how UST records it (string, integer, pointer, …).
//!
//! The C compiler that builds the program decides sizes and signedness (`long` is 32 bits
//! with `-m32`), so integers keep their C spelling here; standard names (`uint32_t`,
//! `size_t`, `pid_t`, …) are kept as such even when a header included with `-C` defines
//! them, because the header's definition holds for the machine that ran the preprocessor only.

/// A C type, resolved through typedefs.
#[derive(Clone, Debug, PartialEq)]
pub enum CType {
    Void,
    /// An integer type as C code spells it (`unsigned long`, `uint32_t`); `plain_char` for
    /// `char` itself, whose pointers are strings.
    Integer {
        spelling: String,
        plain_char: bool,
    },
    Bool,
    Float(&'static str),
    /// A struct, union or enum (the keyword), by value.
    Tagged(&'static str),
    Pointer(Box<CType>),
    /// A function type (not a pointer to one).
    Function,
    /// A type ust-dtrace cannot record, and why.
    Unsupported(String),
}

impl CType {
    pub fn pointer(self) -> CType {
        CType::Pointer(Box::new(self))
    }

    fn integer(spelling: &str) -> CType {
        CType::Integer {
            spelling: spelling.into(),
            plain_char: false,
        }
    }
}

/// How UST records a probe argument.
#[derive(Clone, Debug, PartialEq)]
pub enum ArgKind {
    /// `char *`, `const char *`: a string (NULL is recorded as "(null)").
    String,
    /// An integer of this C type, in decimal.
    Integer(String),
    /// `_Bool`/`bool`: an 8-bit 0 or 1.
    Bool,
    /// `float` or `double`.
    Float(&'static str),
    /// Any other pointer: its address, in hexadecimal.
    Pointer,
}

/// How a probe argument of type `t` is recorded, or why it cannot be.
pub fn classify(t: &CType) -> Result<ArgKind, String> {
    match t {
        CType::Integer { spelling, .. } => Ok(ArgKind::Integer(spelling.clone())),
        CType::Bool => Ok(ArgKind::Bool),
        CType::Float(name) => Ok(ArgKind::Float(name)),
        CType::Pointer(to)
            if matches!(
                **to,
                CType::Integer {
                    plain_char: true,
                    ..
                }
            ) =>
        {
            Ok(ArgKind::String)
        }
        CType::Pointer(_) => Ok(ArgKind::Pointer),
        CType::Tagged("enum") => Ok(ArgKind::Integer("int".into())),
        CType::Tagged(keyword) => Err(format!(
            "a {keyword} passed by value cannot be recorded (pass a pointer to it)"
        )),
        CType::Void => Err("an argument cannot be void".into()),
        CType::Function => Err("a function cannot be an argument (pass a pointer to it)".into()),
        CType::Unsupported(why) => Err(why.clone()),
    }
}

/// Names every C compiler knows from the standard headers (the generated header includes
/// `<stdint.h>`, `<stddef.h>` and `<sys/types.h>`), plus D's `string` and C's `bool`.
pub fn builtin(name: &str) -> Option<CType> {
    const INTEGERS: &[&str] = &[
        "int8_t",
        "int16_t",
        "int32_t",
        "int64_t",
        "uint8_t",
        "uint16_t",
        "uint32_t",
        "uint64_t",
        "intptr_t",
        "uintptr_t",
        "intmax_t",
        "uintmax_t",
        "size_t",
        "ssize_t",
        "ptrdiff_t",
        "off_t",
        "pid_t",
        "uid_t",
        "gid_t",
        "mode_t",
        "dev_t",
        "ino_t",
        "time_t",
    ];
    match name {
        "bool" => Some(CType::Bool),
        "string" => Some(char_type().pointer()),
        _ if INTEGERS.contains(&name) => Some(CType::integer(name)),
        _ => None,
    }
}

fn char_type() -> CType {
    CType::Integer {
        spelling: "char".into(),
        plain_char: true,
    }
}

/// Qualifiers and storage words that do not change what is recorded.
pub fn is_qualifier(word: &str) -> bool {
    matches!(
        word,
        "const"
            | "volatile"
            | "restrict"
            | "register"
            | "__const"
            | "__const__"
            | "__volatile"
            | "__volatile__"
            | "__restrict"
            | "__restrict__"
            | "__extension__"
    )
}

#[derive(Clone, Copy, PartialEq)]
enum Word {
    Void,
    Char,
    Int,
    Float,
    Double,
    Bool,
}

/// The type specifiers of one declaration, gathered word by word (`unsigned`, `long`,
/// `long`, `int`), then turned into a type.
#[derive(Default)]
pub struct Specifiers {
    signed: Option<bool>,
    short: bool,
    longs: u8,
    word: Option<Word>,
    named: Option<CType>,
}

impl Specifiers {
    /// Whether any type specifier was given: a name after one declares something, a name
    /// before any is a type name.
    pub fn any(&self) -> bool {
        self.signed.is_some()
            || self.short
            || self.longs > 0
            || self.word.is_some()
            || self.named.is_some()
    }

    /// Takes `word` if it is a type keyword (`unsigned`, `int`, …); false otherwise.
    pub fn keyword(&mut self, word: &str) -> Result<bool, String> {
        let base = match word {
            "signed" | "__signed" | "__signed__" => return self.sign(true).map(|()| true),
            "unsigned" => return self.sign(false).map(|()| true),
            "short" => {
                self.short = true;
                return Ok(true);
            }
            "long" => {
                self.longs += 1;
                return Ok(true);
            }
            "void" => Word::Void,
            "char" => Word::Char,
            "int" => Word::Int,
            "float" => Word::Float,
            "double" => Word::Double,
            "_Bool" => Word::Bool,
            _ => return Ok(false),
        };
        if self.word.is_some() || self.named.is_some() {
            return Err(format!("'{word}' after another type"));
        }
        self.word = Some(base);
        Ok(true)
    }

    fn sign(&mut self, signed: bool) -> Result<(), String> {
        if self.signed.is_some_and(|s| s != signed) {
            return Err("both signed and unsigned".into());
        }
        self.signed = Some(signed);
        Ok(())
    }

    /// A type given by name: a typedef, a builtin name or a struct/union/enum.
    pub fn named(&mut self, t: CType) -> Result<(), String> {
        if self.any() {
            return Err("two types in one declaration".into());
        }
        self.named = Some(t);
        Ok(())
    }

    pub fn finish(self) -> Result<CType, String> {
        let modified = self.signed.is_some() || self.short || self.longs > 0;
        if let Some(named) = self.named {
            return Ok(named);
        }
        let invalid = || Err("invalid combination of type specifiers".to_string());
        let word = match self.word {
            None if !modified => return Err("expected a type".into()),
            None => Word::Int,
            Some(word) => word,
        };
        match word {
            Word::Void if !modified => Ok(CType::Void),
            Word::Bool if !modified => Ok(CType::Bool),
            Word::Float if !modified => Ok(CType::Float("float")),
            Word::Double if self.signed.is_none() && !self.short && self.longs == 0 => {
                Ok(CType::Float("double"))
            }
            Word::Double if self.signed.is_none() && !self.short && self.longs == 1 => {
                Ok(CType::Unsupported(
                    "long double cannot be recorded (UST records 32- and 64-bit floats)".into(),
                ))
            }
            Word::Char if !self.short && self.longs == 0 => Ok(match self.signed {
                None => char_type(),
                Some(true) => CType::integer("signed char"),
                Some(false) => CType::integer("unsigned char"),
            }),
            Word::Int if !(self.short && self.longs > 0) && self.longs <= 2 => {
                let size = match (self.short, self.longs) {
                    (true, _) => "short",
                    (false, 1) => "long",
                    (false, 2) => "long long",
                    _ => "int",
                };
                Ok(match self.signed {
                    Some(false) => CType::integer(&format!("unsigned {size}")),
                    _ => CType::integer(size),
                })
            }
            _ => invalid(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(words: &[&str]) -> Result<CType, String> {
        let mut s = Specifiers::default();
        for w in words {
            assert!(s.keyword(w)?, "{w}");
        }
        s.finish()
    }

    fn spelled(words: &[&str]) -> String {
        match spec(words).unwrap() {
            CType::Integer { spelling, .. } => spelling,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn integer_spellings_are_canonical() {
        assert_eq!(spelled(&["unsigned"]), "unsigned int");
        assert_eq!(spelled(&["long", "unsigned", "int"]), "unsigned long");
        assert_eq!(spelled(&["long", "long"]), "long long");
        assert_eq!(spelled(&["signed", "short", "int"]), "short");
        assert_eq!(spelled(&["unsigned", "char"]), "unsigned char");
        assert_eq!(spelled(&["char"]), "char");
    }

    #[test]
    fn impossible_combinations_are_refused() {
        assert!(spec(&["short", "long"]).is_err());
        assert!(spec(&["long", "long", "long"]).is_err());
        assert!(spec(&["unsigned", "float"]).is_err());
        assert!(spec(&["signed", "unsigned"]).is_err());
        assert!(spec(&["int", "char"]).is_err());
        assert!(spec(&[]).is_err());
    }

    #[test]
    fn arguments_are_classified() {
        let chr = spec(&["char"]).unwrap();
        assert_eq!(classify(&chr.clone().pointer()), Ok(ArgKind::String));
        assert_eq!(classify(&chr.pointer().pointer()), Ok(ArgKind::Pointer));
        let uchar = spec(&["unsigned", "char"]).unwrap();
        assert_eq!(classify(&uchar.pointer()), Ok(ArgKind::Pointer));
        assert_eq!(classify(&CType::Void.pointer()), Ok(ArgKind::Pointer));
        assert_eq!(classify(&builtin("string").unwrap()), Ok(ArgKind::String));
        assert_eq!(
            classify(&builtin("uint64_t").unwrap()),
            Ok(ArgKind::Integer("uint64_t".into()))
        );
        assert_eq!(
            classify(&spec(&["double"]).unwrap()),
            Ok(ArgKind::Float("double"))
        );
        assert!(classify(&CType::Tagged("struct")).is_err());
        assert!(classify(&CType::Void).is_err());
        assert!(classify(&spec(&["long", "double"]).unwrap()).is_err());
    }
}
