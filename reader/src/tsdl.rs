//! TSDL lexer and parser: metadata text in, a syntax tree out.
//!
//! Owns the grammar of the CTF 1.8 Trace Stream Description Language as LTTng, barectf and UST
//! write it (blocks, `typealias`, `typedef`, integer / floating point / string / enum / struct /
//! variant specifiers, arrays and sequences). It knows nothing about what the attributes mean:
//! `model` turns the tree into types. Every node keeps the byte offset it starts at, so errors
//! can point into the metadata file.

use std::fmt;

/// A syntax error at a byte offset of the metadata text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub offset: usize,
    pub msg: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.msg)
    }
}

type Result<T> = std::result::Result<T, SyntaxError>;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Int(i128),
    Str(String),
    Punct(&'static str),
    Eof,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Ident(s) => write!(f, "identifier `{s}`"),
            Tok::Int(v) => write!(f, "integer {v}"),
            Tok::Str(s) => write!(f, "string \"{s}\""),
            Tok::Punct(p) => write!(f, "`{p}`"),
            Tok::Eof => write!(f, "end of metadata"),
        }
    }
}

/// A type specifier, before any meaning is given to its attributes.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeSpec {
    Integer(Vec<Attr>),
    Float(Vec<Attr>),
    String(Vec<Attr>),
    /// A name given by `typealias`/`typedef` (possibly several words: `unsigned long`).
    Named(String),
    Struct {
        name: Option<String>,
        body: Option<Vec<Stmt>>,
        align: Option<u64>,
    },
    Variant {
        name: Option<String>,
        tag: Option<String>,
        body: Option<Vec<Stmt>>,
    },
    Enum {
        name: Option<String>,
        container: Option<Box<TypeSpec>>,
        body: Option<Vec<EnumEntry>>,
    },
}

/// `key = value;` inside a type specifier or a block.
#[derive(Debug, Clone, PartialEq)]
pub struct Attr {
    pub key: String,
    pub value: Value,
    pub offset: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i128),
    Str(String),
    /// A bare or dotted identifier: `le`, `true`, `clock.monotonic.value`.
    Ident(String),
}

/// One label of an enumeration: `"RUN" = 1 ... 3`.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumEntry {
    pub label: String,
    pub range: Option<(i128, i128)>,
    pub offset: usize,
}

/// Array or sequence dimension of a declarator.
#[derive(Debug, Clone, PartialEq)]
pub enum Dim {
    Fixed(u64),
    Field(String),
}

/// A statement of a block or a struct/variant body.
#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    Field {
        ty: TypeSpec,
        name: String,
        dims: Vec<Dim>,
        offset: usize,
    },
    TypeAlias {
        ty: TypeSpec,
        dims: Vec<Dim>,
        alias: String,
        offset: usize,
    },
    /// A named struct/variant/enum defined on its own: `struct foo { ... };`.
    TypeDecl(TypeSpec, usize),
    Attr(Attr),
    TypeAssign {
        key: String,
        ty: TypeSpec,
        offset: usize,
    },
    Block {
        kind: String,
        body: Vec<Stmt>,
        offset: usize,
    },
}

const BLOCKS: [&str; 6] = ["trace", "env", "clock", "stream", "event", "callsite"];
const PUNCT: [&str; 14] = [
    "...", ":=", "{", "}", "(", ")", "[", "]", "<", ">", ";", ",", "=", ":",
];

struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn err<T>(&self, offset: usize, msg: impl Into<String>) -> Result<T> {
        Err(SyntaxError {
            offset,
            msg: msg.into(),
        })
    }

    fn skip_space(&mut self) -> Result<()> {
        loop {
            while self.pos < self.src.len() && self.src[self.pos].is_ascii_whitespace() {
                self.pos += 1;
            }
            let rest = &self.src[self.pos..];
            if rest.starts_with(b"/*") {
                let start = self.pos;
                match find(&rest[2..], b"*/") {
                    Some(i) => self.pos += i + 4,
                    None => return self.err(start, "unterminated comment"),
                }
            } else if rest.starts_with(b"//") {
                self.pos += find(rest, b"\n").unwrap_or(rest.len());
            } else {
                return Ok(());
            }
        }
    }

    fn next(&mut self) -> Result<(Tok, usize)> {
        self.skip_space()?;
        let start = self.pos;
        let Some(&c) = self.src.get(self.pos) else {
            return Ok((Tok::Eof, start));
        };
        let tok = if c.is_ascii_alphabetic() || c == b'_' {
            self.ident()
        } else if c.is_ascii_digit() || (matches!(c, b'-' | b'+') && self.peek_digit()) {
            self.number()?
        } else if c == b'"' {
            self.string()?
        } else if c == b'\'' {
            self.char_lit()?
        } else if let Some(p) = PUNCT
            .iter()
            .find(|p| self.src[self.pos..].starts_with(p.as_bytes()))
        {
            self.pos += p.len();
            Tok::Punct(p)
        } else if c == b'.' {
            self.pos += 1;
            Tok::Punct(".")
        } else {
            return self.err(start, format!("unexpected character {:?}", c as char));
        };
        Ok((tok, start))
    }

    fn peek_digit(&self) -> bool {
        self.src.get(self.pos + 1).is_some_and(u8::is_ascii_digit)
    }

    fn ident(&mut self) -> Tok {
        let start = self.pos;
        while self.pos < self.src.len()
            && (self.src[self.pos].is_ascii_alphanumeric() || self.src[self.pos] == b'_')
        {
            self.pos += 1;
        }
        Tok::Ident(String::from_utf8_lossy(&self.src[start..self.pos]).into_owned())
    }

    fn number(&mut self) -> Result<Tok> {
        let start = self.pos;
        let neg = self.src[self.pos] == b'-';
        if matches!(self.src[self.pos], b'-' | b'+') {
            self.pos += 1;
        }
        let digits_start = self.pos;
        while self.pos < self.src.len() && self.src[self.pos].is_ascii_alphanumeric() {
            self.pos += 1;
        }
        let text = std::str::from_utf8(&self.src[digits_start..self.pos]).unwrap_or("");
        let text = text.trim_end_matches(['u', 'U', 'l', 'L']);
        let parsed = if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X"))
        {
            u64::from_str_radix(hex, 16)
        } else if text.len() > 1 && text.starts_with('0') {
            u64::from_str_radix(&text[1..], 8)
        } else {
            text.parse::<u64>()
        };
        match parsed {
            Ok(v) if neg => Ok(Tok::Int(-(v as i128))),
            Ok(v) => Ok(Tok::Int(v as i128)),
            Err(_) => self.err(start, format!("invalid integer literal `{text}`")),
        }
    }

    fn string(&mut self) -> Result<Tok> {
        let start = self.pos;
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            match self.src.get(self.pos) {
                None => return self.err(start, "unterminated string literal"),
                Some(b'"') => break,
                Some(b'\\') => {
                    out.push(self.escape(start)?);
                    continue;
                }
                Some(&c) => out.push(c),
            }
            self.pos += 1;
        }
        self.pos += 1;
        Ok(Tok::Str(String::from_utf8_lossy(&out).into_owned()))
    }

    fn char_lit(&mut self) -> Result<Tok> {
        let start = self.pos;
        self.pos += 1;
        let v = match self.src.get(self.pos) {
            Some(b'\\') => self.escape(start)?,
            Some(&c) => {
                self.pos += 1;
                c
            }
            None => return self.err(start, "unterminated character literal"),
        };
        if self.src.get(self.pos) != Some(&b'\'') {
            return self.err(start, "unterminated character literal");
        }
        self.pos += 1;
        Ok(Tok::Int(v as i128))
    }

    /// Decodes the escape sequence at `pos` (which points at the backslash).
    fn escape(&mut self, start: usize) -> Result<u8> {
        let Some(&c) = self.src.get(self.pos + 1) else {
            return self.err(start, "unterminated escape sequence");
        };
        self.pos += 2;
        Ok(match c {
            b'n' => b'\n',
            b't' => b'\t',
            b'r' => b'\r',
            b'a' => 7,
            b'b' => 8,
            b'f' => 12,
            b'v' => 11,
            b'0' => 0,
            other => other,
        })
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Parses a whole metadata text into its top-level statements.
pub fn parse(text: &str) -> Result<Vec<Stmt>> {
    let mut p = Parser::new(text)?;
    let stmts = p.stmts(false)?;
    Ok(stmts)
}

struct Parser<'a> {
    lex: Lexer<'a>,
    tok: Tok,
    at: usize,
    ahead: Option<(Tok, usize)>,
}

/// Nesting limit: deeper metadata is rejected instead of exhausting the stack.
const MAX_DEPTH: usize = 64;

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Result<Self> {
        let mut lex = Lexer {
            src: text.as_bytes(),
            pos: 0,
        };
        let (tok, at) = lex.next()?;
        Ok(Parser {
            lex,
            tok,
            at,
            ahead: None,
        })
    }

    fn bump(&mut self) -> Result<Tok> {
        let (tok, at) = match self.ahead.take() {
            Some(t) => t,
            None => self.lex.next()?,
        };
        self.at = at;
        Ok(std::mem::replace(&mut self.tok, tok))
    }

    fn peek2(&mut self) -> Result<&Tok> {
        if self.ahead.is_none() {
            self.ahead = Some(self.lex.next()?);
        }
        Ok(self.ahead.as_ref().map(|a| &a.0).unwrap_or(&Tok::Eof))
    }

    fn err<T>(&self, msg: impl Into<String>) -> Result<T> {
        Err(SyntaxError {
            offset: self.at,
            msg: msg.into(),
        })
    }

    fn unexpected<T>(&self, wanted: &str) -> Result<T> {
        self.err(format!(
            "syntax error: expected {wanted}, found {}",
            self.tok
        ))
    }

    fn is(&self, p: &str) -> bool {
        matches!(self.tok, Tok::Punct(q) if q == p)
    }

    fn is_ident(&self, word: &str) -> bool {
        matches!(&self.tok, Tok::Ident(s) if s == word)
    }

    fn eat(&mut self, p: &str) -> Result<bool> {
        if self.is(p) {
            self.bump()?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn expect(&mut self, p: &str) -> Result<()> {
        if self.eat(p)? {
            Ok(())
        } else {
            self.unexpected(&format!("`{p}`"))
        }
    }

    fn ident(&mut self) -> Result<String> {
        match &self.tok {
            Tok::Ident(_) => match self.bump()? {
                Tok::Ident(s) => Ok(s),
                _ => unreachable!("checked above"),
            },
            _ => self.unexpected("an identifier"),
        }
    }

    /// Consumes the current token if `accept` takes it, else reports `wanted`.
    fn take<T>(&mut self, wanted: &str, accept: impl Fn(&Tok) -> Option<T>) -> Result<T> {
        match accept(&self.tok) {
            Some(v) => {
                self.bump()?;
                Ok(v)
            }
            None => self.unexpected(wanted),
        }
    }

    fn depth_check(&self, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return self.err(format!("metadata nests deeper than {MAX_DEPTH} levels"));
        }
        Ok(())
    }

    /// Statements up to `}` (when `nested`) or the end of the text.
    fn stmts(&mut self, nested: bool) -> Result<Vec<Stmt>> {
        self.stmts_at(nested, 0)
    }

    fn stmts_at(&mut self, nested: bool, depth: usize) -> Result<Vec<Stmt>> {
        self.depth_check(depth)?;
        let mut out = Vec::new();
        loop {
            if self.eat(";")? {
                continue;
            }
            match &self.tok {
                Tok::Eof if !nested => return Ok(out),
                Tok::Eof => return self.unexpected("`}`"),
                Tok::Punct("}") if nested => return Ok(out),
                _ => out.push(self.stmt(depth)?),
            }
        }
    }

    fn stmt(&mut self, depth: usize) -> Result<Stmt> {
        let offset = self.at;
        if let Tok::Ident(word) = &self.tok {
            let word = word.clone();
            if BLOCKS.contains(&word.as_str()) && matches!(self.peek2()?, Tok::Punct("{")) {
                self.bump()?;
                self.bump()?;
                let body = self.stmts_at(true, depth + 1)?;
                self.expect("}")?;
                self.expect(";")?;
                return Ok(Stmt::Block {
                    kind: word,
                    body,
                    offset,
                });
            }
            if word == "typealias" {
                return self.typealias(depth, offset);
            }
            if word == "typedef" {
                self.bump()?;
                let ty = self.type_spec(depth)?;
                let (name, dims) = self.declarator()?;
                self.expect(";")?;
                return Ok(Stmt::TypeAlias {
                    ty,
                    dims,
                    alias: name,
                    offset,
                });
            }
            if !is_type_keyword(&word) {
                return self.attr_or_field(depth, offset);
            }
        }
        let ty = self.type_spec(depth)?;
        if self.eat(";")? {
            return Ok(Stmt::TypeDecl(ty, offset));
        }
        let (name, dims) = self.declarator()?;
        self.expect(";")?;
        Ok(Stmt::Field {
            ty,
            name,
            dims,
            offset,
        })
    }

    fn typealias(&mut self, depth: usize, offset: usize) -> Result<Stmt> {
        self.bump()?;
        let ty = self.type_spec(depth)?;
        self.expect(":=")?;
        let mut words = vec![self.ident()?];
        while let Tok::Ident(_) = self.tok {
            words.push(self.ident()?);
        }
        let dims = self.dims()?;
        self.expect(";")?;
        Ok(Stmt::TypeAlias {
            ty,
            dims,
            alias: words.join(" "),
            offset,
        })
    }

    /// `a.b = value;`, `a.b := type;` or a field whose type is a name: `unsigned long x[2];`.
    fn attr_or_field(&mut self, depth: usize, offset: usize) -> Result<Stmt> {
        let mut words = vec![self.ident()?];
        loop {
            if self.eat(".")? {
                let last = words.pop().unwrap_or_default();
                words.push(format!("{last}.{}", self.ident()?));
            } else if let Tok::Ident(_) = self.tok {
                words.push(self.ident()?);
            } else {
                break;
            }
        }
        if words.len() == 1 && self.eat("=")? {
            let value = self.value()?;
            self.expect(";")?;
            return Ok(Stmt::Attr(Attr {
                key: words.remove(0),
                value,
                offset,
            }));
        }
        if words.len() == 1 && self.eat(":=")? {
            let ty = self.type_spec(depth)?;
            self.expect(";")?;
            return Ok(Stmt::TypeAssign {
                key: words.remove(0),
                ty,
                offset,
            });
        }
        if words.len() < 2 {
            return self.unexpected("`=`, `:=` or a field name");
        }
        let name = words.pop().unwrap_or_default();
        let dims = self.dims()?;
        if self.is(":") {
            return self.err(format!(
                "bit-field declarator `{name} : N` is not supported"
            ));
        }
        self.expect(";")?;
        Ok(Stmt::Field {
            ty: TypeSpec::Named(words.join(" ")),
            name,
            dims,
            offset,
        })
    }

    fn value(&mut self) -> Result<Value> {
        let value = self.take("a value", |t| match t {
            Tok::Int(v) => Some(Value::Int(*v)),
            Tok::Str(s) => Some(Value::Str(s.clone())),
            Tok::Ident(s) => Some(Value::Ident(s.clone())),
            _ => None,
        })?;
        match value {
            Value::Ident(mut s) => {
                while self.eat(".")? {
                    s.push('.');
                    s.push_str(&self.ident()?);
                }
                Ok(Value::Ident(s))
            }
            other => Ok(other),
        }
    }

    fn declarator(&mut self) -> Result<(String, Vec<Dim>)> {
        let name = self.ident()?;
        if self.is(":") {
            return self.err(format!(
                "bit-field declarator `{name} : N` is not supported"
            ));
        }
        Ok((name, self.dims()?))
    }

    fn dims(&mut self) -> Result<Vec<Dim>> {
        let mut dims = Vec::new();
        while self.eat("[")? {
            let dim = self.take("an array length", |t| match t {
                Tok::Int(v) if *v >= 0 && *v <= u64::MAX as i128 => Some(Dim::Fixed(*v as u64)),
                Tok::Ident(s) => Some(Dim::Field(s.clone())),
                _ => None,
            })?;
            let dim = match dim {
                Dim::Field(mut s) => {
                    while self.eat(".")? {
                        s.push('.');
                        s.push_str(&self.ident()?);
                    }
                    Dim::Field(s)
                }
                fixed => fixed,
            };
            self.expect("]")?;
            dims.push(dim);
        }
        Ok(dims)
    }

    fn type_spec(&mut self, depth: usize) -> Result<TypeSpec> {
        self.depth_check(depth)?;
        let word = match &self.tok {
            Tok::Ident(w) => w.clone(),
            _ => return self.unexpected("a type"),
        };
        match word.as_str() {
            "integer" => {
                self.bump()?;
                Ok(TypeSpec::Integer(self.attrs()?))
            }
            "floating_point" => {
                self.bump()?;
                Ok(TypeSpec::Float(self.attrs()?))
            }
            "string" => {
                self.bump()?;
                let attrs = if self.is("{") {
                    self.attrs()?
                } else {
                    Vec::new()
                };
                Ok(TypeSpec::String(attrs))
            }
            "struct" => self.struct_spec(depth),
            "variant" => self.variant_spec(depth),
            "enum" => self.enum_spec(depth),
            _ => {
                let mut words = vec![self.ident()?];
                while matches!(self.tok, Tok::Ident(_))
                    && !matches!(self.peek2()?, Tok::Punct(";" | "[" | ":" | ","))
                {
                    words.push(self.ident()?);
                }
                Ok(TypeSpec::Named(words.join(" ")))
            }
        }
    }

    /// `{ key = value; ... }` of integer, floating_point and string specifiers.
    fn attrs(&mut self) -> Result<Vec<Attr>> {
        self.expect("{")?;
        let mut out = Vec::new();
        while !self.eat("}")? {
            if self.eat(";")? {
                continue;
            }
            let offset = self.at;
            let key = self.ident()?;
            self.expect("=")?;
            let value = self.value()?;
            self.expect(";")?;
            out.push(Attr { key, value, offset });
        }
        Ok(out)
    }

    fn opt_name(&mut self) -> Result<Option<String>> {
        match self.tok {
            Tok::Ident(_) => Ok(Some(self.ident()?)),
            _ => Ok(None),
        }
    }

    fn struct_spec(&mut self, depth: usize) -> Result<TypeSpec> {
        self.bump()?;
        let name = self.opt_name()?;
        let body = if self.eat("{")? {
            let body = self.stmts_at(true, depth + 1)?;
            self.expect("}")?;
            Some(body)
        } else {
            None
        };
        let mut align = None;
        if self.is_ident("align") {
            self.bump()?;
            self.expect("(")?;
            align = Some(self.take("a positive alignment", |t| match t {
                Tok::Int(v) if *v > 0 && *v <= u32::MAX as i128 => Some(*v as u64),
                _ => None,
            })?);
            self.expect(")")?;
        }
        if name.is_none() && body.is_none() {
            return self.unexpected("a struct name or body");
        }
        Ok(TypeSpec::Struct { name, body, align })
    }

    fn variant_spec(&mut self, depth: usize) -> Result<TypeSpec> {
        self.bump()?;
        let name = self.opt_name()?;
        let tag = if self.eat("<")? {
            let mut tag = self.ident()?;
            while self.eat(".")? {
                tag.push('.');
                tag.push_str(&self.ident()?);
            }
            self.expect(">")?;
            Some(tag)
        } else {
            None
        };
        let body = if self.eat("{")? {
            let body = self.stmts_at(true, depth + 1)?;
            self.expect("}")?;
            Some(body)
        } else {
            None
        };
        if name.is_none() && body.is_none() {
            return self.unexpected("a variant name or body");
        }
        Ok(TypeSpec::Variant { name, tag, body })
    }

    fn enum_spec(&mut self, depth: usize) -> Result<TypeSpec> {
        self.bump()?;
        let name = self.opt_name()?;
        let container = if self.eat(":")? {
            Some(Box::new(self.type_spec(depth + 1)?))
        } else {
            None
        };
        let body = if self.eat("{")? {
            Some(self.enum_entries()?)
        } else {
            None
        };
        if name.is_none() && body.is_none() {
            return self.unexpected("an enum name or body");
        }
        Ok(TypeSpec::Enum {
            name,
            container,
            body,
        })
    }

    fn enum_entries(&mut self) -> Result<Vec<EnumEntry>> {
        let mut out = Vec::new();
        while !self.eat("}")? {
            let offset = self.at;
            let label = self.take("an enum label", |t| match t {
                Tok::Ident(s) | Tok::Str(s) => Some(s.clone()),
                _ => None,
            })?;
            let mut range = None;
            if self.eat("=")? {
                let lo = self.int()?;
                let hi = if self.eat("...")? { self.int()? } else { lo };
                range = Some((lo, hi));
            }
            out.push(EnumEntry {
                label,
                range,
                offset,
            });
            if !self.eat(",")? && !self.is("}") {
                return self.unexpected("`,` or `}`");
            }
        }
        Ok(out)
    }

    fn int(&mut self) -> Result<i128> {
        self.take("an integer", |t| match t {
            Tok::Int(v) => Some(*v),
            _ => None,
        })
    }
}

fn is_type_keyword(word: &str) -> bool {
    matches!(
        word,
        "integer" | "floating_point" | "string" | "struct" | "variant" | "enum"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lttng_shapes() {
        let text = r#"/* CTF 1.8 */
typealias integer { size = 64; align = 8; signed = false; } := unsigned long;
trace { major = 1; byte_order = le; packet.header := struct { uint32_t magic; uint8_t uuid[16]; }; };
struct ctx { unsigned long x; } align(8);
event { name = "a:b"; fields := struct {
    enum : integer { size = 8; } { "A" = 0, B = 1 ... 3, C, } _e;
    integer { size = 32; } __l; string _s[ __l ];
    variant <_e> { string A; integer { size = 8; } B; } _v;
}; };"#;
        let stmts = parse(text).expect("parses");
        assert_eq!(stmts.len(), 4);
        match &stmts[1] {
            Stmt::Block { kind, body, .. } => {
                assert_eq!(kind, "trace");
                assert!(matches!(&body[2], Stmt::TypeAssign { key, .. } if key == "packet.header"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn reports_offset_of_error() {
        let err = parse("trace { major = ; };").unwrap_err();
        assert_eq!(err.offset, 16);
        assert!(err.msg.contains("expected a value"), "{}", err.msg);
    }

    #[test]
    fn rejects_unterminated_comment_and_deep_nesting() {
        assert!(parse("/* never closed").is_err());
        let deep = "struct { ".repeat(100);
        assert!(parse(&format!("event {{ fields := {deep}")).is_err());
    }
}
