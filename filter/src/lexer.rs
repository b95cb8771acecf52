//! Tokens of LTTng's filter language, as lttng-tools' `filter-lexer.l` cuts them.
//!
//! Owns the spelling of every token: identifiers (letters, digits, `_` and `:`), `$ctx`-style
//! global identifiers, integer constants (decimal, `0x` hex, `0` octal, C suffixes `u`/`l`),
//! floating-point constants (decimal and hex, suffixes `f`/`l`), string literals in `"…"`,
//! `L"…"`, `'…'` (the backslash only escapes `\` and `*`, as LTTng accepts no other escape),
//! C comments, and the operators. A lexing error names the byte where it starts.

use crate::error::ParseError;

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// An integer constant, its 64 bits (LTTng reads it unsigned, then uses it as signed).
    Int(u64),
    Float(f64),
    /// A string literal's text between the quotes, escapes kept (`\*` stays two bytes).
    Str(Vec<u8>),
    Ident(String),
    /// `$name`, without the `$`.
    Global(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Dot,
    Arrow,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Shl,
    Shr,
    Lt,
    Le,
    Gt,
    Ge,
    EqEq,
    Ne,
    AndAnd,
    OrOr,
    Not,
    Tilde,
    Amp,
    Caret,
    Pipe,
    End,
}

impl Tok {
    /// How an error message names the token.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Int(_) | Tok::Float(_) => "a number".into(),
            Tok::Str(_) => "a string".into(),
            Tok::Ident(name) => format!("'{name}'"),
            Tok::Global(name) => format!("'${name}'"),
            Tok::End => "the end of the expression".into(),
            op => format!("'{}'", op.symbol()),
        }
    }

    /// The spelling of an operator or punctuation token.
    pub(crate) fn symbol(&self) -> &'static str {
        match self {
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::Dot => ".",
            Tok::Arrow => "->",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::Percent => "%",
            Tok::Shl => "<<",
            Tok::Shr => ">>",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::EqEq => "==",
            Tok::Ne => "!=",
            Tok::AndAnd => "&&",
            Tok::OrOr => "||",
            Tok::Not => "!",
            Tok::Tilde => "~",
            Tok::Amp => "&",
            Tok::Caret => "^",
            Tok::Pipe => "|",
            _ => "",
        }
    }
}

/// A token and the byte offset where it starts in the expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub at: usize,
}

/// Cuts `source` into tokens, ending with `Tok::End` at `source.len()`.
pub(crate) fn tokens(source: &str) -> Result<Vec<Token>, ParseError> {
    let mut lexer = Lexer {
        src: source,
        bytes: source.as_bytes(),
        pos: 0,
    };
    let mut out = Vec::new();
    loop {
        let token = lexer.next()?;
        let end = token.tok == Tok::End;
        out.push(token);
        if end {
            return Ok(out);
        }
    }
}

struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b':'
}

fn is_ident_char(c: u8) -> bool {
    is_ident_start(c) || c.is_ascii_digit()
}

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> u8 {
        self.bytes.get(self.pos + ahead).copied().unwrap_or(0)
    }

    fn fail<T>(&self, at: usize, message: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError::at(self.src, at, message))
    }

    fn next(&mut self) -> Result<Token, ParseError> {
        self.skip_blanks_and_comments()?;
        let at = self.pos;
        let c = self.peek(0);
        let tok = match c {
            _ if at >= self.bytes.len() => Tok::End,
            b'"' | b'\'' => self.string(c)?,
            b'L' if matches!(self.peek(1), b'"' | b'\'') => {
                self.pos += 1;
                self.string(self.peek(0))?
            }
            b'$' => {
                self.pos += 1;
                if !is_ident_start(self.peek(0)) {
                    return self.fail(at, "expected a name after '$' (as in $ctx.vpid)");
                }
                Tok::Global(self.ident())
            }
            _ if is_ident_start(c) => Tok::Ident(self.ident()),
            _ if c.is_ascii_digit() || (c == b'.' && self.peek(1).is_ascii_digit()) => {
                self.number()?
            }
            _ => self.operator()?,
        };
        Ok(Token { tok, at })
    }

    fn skip_blanks_and_comments(&mut self) -> Result<(), ParseError> {
        loop {
            match (self.peek(0), self.peek(1)) {
                (b' ' | b'\t' | b'\n', _) => self.pos += 1,
                (b'/', b'*') => {
                    let start = self.pos;
                    match self.src[self.pos + 2..].find("*/") {
                        Some(end) => self.pos += 2 + end + 2,
                        None => return self.fail(start, "comment '/*' is never closed"),
                    }
                }
                (b'/', b'/') => match self.src[self.pos..].find('\n') {
                    Some(end) => self.pos += end + 1,
                    None => self.pos = self.bytes.len(),
                },
                _ => return Ok(()),
            }
        }
    }

    fn ident(&mut self) -> String {
        let start = self.pos;
        while is_ident_char(self.peek(0)) {
            self.pos += 1;
        }
        self.src[start..self.pos].to_string()
    }

    /// A literal in `quote`s. Newlines inside are dropped, as LTTng's lexer does.
    fn string(&mut self, quote: u8) -> Result<Tok, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut text = Vec::new();
        loop {
            let Some(&c) = self.bytes.get(self.pos) else {
                return self.fail(start, "string is never closed");
            };
            self.pos += 1;
            match c {
                _ if c == quote => return Ok(Tok::Str(text)),
                b'\n' => {}
                0 => return self.fail(self.pos - 1, "NUL character in a string"),
                b'\\' => {
                    let escaped = self.peek(0);
                    if escaped != b'\\' && escaped != b'*' {
                        return self.fail(
                            self.pos - 1,
                            "unsupported escape in a string: only '\\\\' and '\\*' are allowed",
                        );
                    }
                    text.extend_from_slice(&[b'\\', escaped]);
                    self.pos += 1;
                }
                _ => text.push(c),
            }
        }
    }

    fn number(&mut self) -> Result<Tok, ParseError> {
        let start = self.pos;
        let hex = self.peek(0) == b'0' && matches!(self.peek(1), b'x' | b'X');
        if hex {
            self.pos += 2;
        }
        let digits_start = self.pos;
        let is_digit = |c: u8| {
            if hex {
                c.is_ascii_hexdigit()
            } else {
                c.is_ascii_digit()
            }
        };
        while is_digit(self.peek(0)) {
            self.pos += 1;
        }
        let int_digits = self.pos - digits_start;
        let float = self.peek(0) == b'.'
            || (hex && matches!(self.peek(0), b'p' | b'P'))
            || (!hex && matches!(self.peek(0), b'e' | b'E'));
        let tok = if float {
            self.float(start, hex)?
        } else {
            if hex && int_digits == 0 {
                return self.fail(start, "hexadecimal constant has no digits after '0x'");
            }
            let digits = &self.src[digits_start..self.pos];
            let value = self.integer(start, digits, hex)?;
            self.integer_suffix();
            Tok::Int(value)
        };
        if is_ident_char(self.peek(0)) || self.peek(0) == b'.' {
            let end = self.pos + 1;
            return self.fail(
                start,
                format!(
                    "invalid number '{}'",
                    &self.src[start..end.min(self.src.len())]
                ),
            );
        }
        Ok(tok)
    }

    fn integer(&self, start: usize, digits: &str, hex: bool) -> Result<u64, ParseError> {
        let (radix, digits) = if hex {
            (16, digits)
        } else if digits.len() > 1 && digits.starts_with('0') {
            if let Some(bad) = digits.bytes().position(|c| c > b'7') {
                let at = start + bad;
                return self.fail(at, format!("invalid digit in octal constant '{digits}'"));
            }
            (8, &digits[1..])
        } else {
            (10, digits)
        };
        u64::from_str_radix(digits, radix).or_else(|_| {
            let text = &self.src[start..self.pos];
            self.fail(
                start,
                format!("integer constant {text} does not fit in 64 bits"),
            )
        })
    }

    /// Skips C's `u`, `l`, `ll` suffixes in any order and case.
    fn integer_suffix(&mut self) {
        let mut seen_u = false;
        let mut seen_l = false;
        loop {
            match self.peek(0) {
                b'u' | b'U' if !seen_u => seen_u = true,
                b'l' | b'L' if !seen_l => {
                    seen_l = true;
                    if self.peek(1) == self.peek(0) {
                        self.pos += 1;
                    }
                }
                _ => return,
            }
            self.pos += 1;
        }
    }

    /// A floating-point constant from `start`; the integer digits are already consumed.
    fn float(&mut self, start: usize, hex: bool) -> Result<Tok, ParseError> {
        let is_digit = |c: u8| {
            if hex {
                c.is_ascii_hexdigit()
            } else {
                c.is_ascii_digit()
            }
        };
        if self.peek(0) == b'.' {
            self.pos += 1;
            while is_digit(self.peek(0)) {
                self.pos += 1;
            }
        }
        let mantissa_end = self.pos;
        let exponent_mark = if hex { b'p' } else { b'e' };
        let mut exponent = 0i32;
        if self.peek(0).eq_ignore_ascii_case(&exponent_mark) {
            let mark = self.pos;
            self.pos += 1;
            if matches!(self.peek(0), b'+' | b'-') {
                self.pos += 1;
            }
            let digits = self.pos;
            while self.peek(0).is_ascii_digit() {
                self.pos += 1;
            }
            if digits == self.pos {
                return self.fail(mark, "exponent has no digits");
            }
            if hex {
                let text = &self.src[mark + 1..self.pos];
                let huge = if text.starts_with('-') {
                    -100_000
                } else {
                    100_000
                };
                exponent = text.parse::<i32>().unwrap_or(huge).clamp(-100_000, 100_000);
            }
        } else if hex {
            return self.fail(
                start,
                "hexadecimal floating-point constant needs a 'p' exponent",
            );
        }
        let text = &self.src[start..self.pos];
        if matches!(self.peek(0), b'f' | b'F' | b'l' | b'L') {
            self.pos += 1;
        }
        let value = if hex {
            hex_float(&self.src[start + 2..mantissa_end], exponent)
        } else {
            text.parse::<f64>().ok()
        };
        match value {
            Some(v) => Ok(Tok::Float(v)),
            None => self.fail(start, format!("invalid floating-point constant '{text}'")),
        }
    }

    fn operator(&mut self) -> Result<Tok, ParseError> {
        let two = [self.peek(0), self.peek(1)];
        let tok2 = match &two {
            b"->" => Some(Tok::Arrow),
            b"<<" => Some(Tok::Shl),
            b">>" => Some(Tok::Shr),
            b"<=" => Some(Tok::Le),
            b">=" => Some(Tok::Ge),
            b"==" => Some(Tok::EqEq),
            b"!=" => Some(Tok::Ne),
            b"&&" => Some(Tok::AndAnd),
            b"||" => Some(Tok::OrOr),
            _ => None,
        };
        if let Some(tok) = tok2 {
            self.pos += 2;
            return Ok(tok);
        }
        let tok = match two[0] {
            b'(' => Tok::LParen,
            b')' => Tok::RParen,
            b'[' => Tok::LBracket,
            b']' => Tok::RBracket,
            b'.' => Tok::Dot,
            b'+' => Tok::Plus,
            b'-' => Tok::Minus,
            b'*' => Tok::Star,
            b'/' => Tok::Slash,
            b'%' => Tok::Percent,
            b'<' => Tok::Lt,
            b'>' => Tok::Gt,
            b'!' => Tok::Not,
            b'~' => Tok::Tilde,
            b'&' => Tok::Amp,
            b'^' => Tok::Caret,
            b'|' => Tok::Pipe,
            b'=' => return self.fail(self.pos, "unexpected '=': compare with '=='"),
            _ => {
                let c = self.src[self.pos..].chars().next().unwrap_or('?');
                return self.fail(
                    self.pos,
                    format!("unexpected character '{}'", c.escape_debug()),
                );
            }
        };
        self.pos += 1;
        Ok(tok)
    }
}

/// The value of hex digits `mantissa` (with an optional `.`) times 2^`exponent`.
fn hex_float(mantissa: &str, exponent: i32) -> Option<f64> {
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut value = 0f64;
    for c in int.chars().chain(frac.chars()) {
        value = value * 16.0 + f64::from(c.to_digit(16)?);
    }
    let scale = exponent.saturating_sub(4 * frac.len() as i32);
    Some(value * 2f64.powi(scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        tokens(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn integers_in_every_base_with_suffixes() {
        assert_eq!(toks("42 0x2A 052 0 7u 8UL 9llu 10LLU"), {
            let mut v: Vec<Tok> = [42, 42, 42, 0, 7, 8, 9, 10].map(Tok::Int).to_vec();
            v.push(Tok::End);
            v
        });
        assert_eq!(toks("18446744073709551615")[0], Tok::Int(u64::MAX));
    }

    #[test]
    fn floats_decimal_and_hex() {
        let f = |s: &str| match toks(s)[0] {
            Tok::Float(v) => v,
            ref t => panic!("{s}: {t:?}"),
        };
        assert_eq!(f("1.5"), 1.5);
        assert_eq!(f(".5"), 0.5);
        assert_eq!(f("5."), 5.0);
        assert_eq!(f("1e3"), 1000.0);
        assert_eq!(f("2.5E-1f"), 0.25);
        assert_eq!(f("0x2p0"), 2.0);
        assert_eq!(f("0x1.8p1"), 3.0);
        assert_eq!(f("0x.8p0L"), 0.5);
    }

    #[test]
    fn strings_keep_star_escapes_and_drop_newlines() {
        assert_eq!(toks(r#""a\*b\\c""#)[0], Tok::Str(br"a\*b\\c".to_vec()));
        assert_eq!(toks("'ab\ncd'")[0], Tok::Str(b"abcd".to_vec()));
        assert_eq!(toks("L\"x\"")[0], Tok::Str(b"x".to_vec()));
    }

    #[test]
    fn identifiers_take_colons_and_globals_take_a_dollar() {
        assert_eq!(
            toks("$app.prov:ctx a_b2"),
            vec![
                Tok::Global("app".into()),
                Tok::Dot,
                Tok::Ident("prov:ctx".into()),
                Tok::Ident("a_b2".into()),
                Tok::End
            ]
        );
    }

    #[test]
    fn comments_are_blanks() {
        assert_eq!(toks("a /* x */ < // y\n 1").len(), 4);
    }

    #[test]
    fn bad_tokens_name_their_column() {
        let err = |s: &str| tokens(s).unwrap_err().to_string();
        assert_eq!(
            err("a == 08"),
            "column 7: invalid digit in octal constant '08'"
        );
        assert_eq!(
            err("s == \"ab\\n\""),
            "column 9: unsupported escape in a string: only '\\\\' and '\\*' are allowed"
        );
        assert_eq!(err("s == \"abc"), "column 6: string is never closed");
        assert_eq!(err("a = 1"), "column 3: unexpected '=': compare with '=='");
        assert_eq!(err("a @ 1"), "column 3: unexpected character '@'");
        assert_eq!(err("'é' @"), "column 5: unexpected character '@'");
        assert_eq!(err("é"), "column 1: unexpected character 'é'");
        assert_eq!(err("1 /* x"), "column 3: comment '/*' is never closed");
        assert_eq!(
            err("99999999999999999999"),
            "column 1: integer constant 99999999999999999999 does not fit in 64 bits"
        );
        assert_eq!(err("12ab"), "column 1: invalid number '12a'");
        assert_eq!(
            err("0x"),
            "column 1: hexadecimal constant has no digits after '0x'"
        );
        assert_eq!(
            err("0x1.8"),
            "column 1: hexadecimal floating-point constant needs a 'p' exponent"
        );
        assert_eq!(
            err("$ 1"),
            "column 1: expected a name after '$' (as in $ctx.vpid)"
        );
    }
}
