//! The DTrace provider language: `provider NAME { probe NAME(ARGS) [: (XLATED)]; … };`,
//! with `typedef`s, struct/union/enum declarations and D's `inline`/`translator`/`extern`
//! declarations beside them (skipped: they describe nothing a probe records).
//!
//! The provider file itself is read strictly: anything else is a syntax error, and a type
//! that is neither a C type nor declared before its use is an error. Headers it includes
//! (with `-C`) are read leniently: their typedefs are learned, every other declaration
//! (prototypes, inline functions, structs) is skipped, and a typedef this reader cannot
//! follow only becomes an error if a probe uses it.

use crate::ctype::{builtin, classify, is_qualifier, ArgKind, CType, Specifiers};
use crate::error::{Error, Pos, Result};
use crate::lexer::{Kind, Token};
use std::collections::HashMap;

/// UST tracepoints take at most this many arguments.
pub const MAX_ARGS: usize = 10;

/// One argument of a probe.
#[derive(Debug)]
pub struct Arg {
    /// The field name: the parameter's name in the provider file, or `argN`.
    pub field: String,
    pub kind: ArgKind,
}

#[derive(Debug)]
pub struct Probe {
    /// As written: `query__start`.
    pub name: String,
    pub pos: Pos,
    pub args: Vec<Arg>,
}

#[derive(Debug)]
pub struct Provider {
    pub name: String,
    pub pos: Pos,
    pub probes: Vec<Probe>,
}

/// The providers declared by `tokens`, checked (no duplicate probes or providers, no
/// argument that cannot be recorded); `end` is where the text ends, for "unexpected end".
pub fn parse(tokens: &[Token], end: Pos) -> Result<Vec<Provider>> {
    let mut parser = Parser {
        toks: tokens,
        at: 0,
        typedefs: HashMap::new(),
        end,
    };
    let mut providers: Vec<Provider> = Vec::new();
    while let Some(tok) = parser.peek() {
        if tok.is(";") || tok.is("__extension__") {
            parser.at += 1;
        } else if tok.is("provider") {
            let provider = parser.provider()?;
            if let Some(first) = providers.iter().find(|p| p.name == provider.name) {
                return Err(Error::at(
                    &provider.pos,
                    format!(
                        "provider '{}' is declared twice (first at {})",
                        provider.name, first.pos
                    ),
                ));
            }
            providers.push(provider);
        } else if tok.is("typedef") {
            parser.typedef()?;
        } else if !tok.in_main || DECLARATIONS.iter().any(|d| tok.is(d)) {
            parser.skip_declaration()?;
        } else {
            return Err(Error::at(
                &tok.pos,
                format!(
                    "expected 'provider', 'typedef' or a declaration, found '{}'",
                    tok.text
                ),
            ));
        }
    }
    Ok(providers)
}

/// Declarations the provider file may hold besides providers and typedefs.
const DECLARATIONS: &[&str] = &["struct", "union", "enum", "inline", "translator", "extern"];

struct Parser<'a> {
    toks: &'a [Token],
    at: usize,
    typedefs: HashMap<String, CType>,
    end: Pos,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a Token> {
        self.toks.get(self.at)
    }

    fn peek_is(&self, ahead: usize, text: &str) -> bool {
        self.toks.get(self.at + ahead).is_some_and(|t| t.is(text))
    }

    fn next(&mut self, wanted: &str) -> Result<&'a Token> {
        let tok = self.toks.get(self.at).ok_or_else(|| {
            Error::at(
                &self.end,
                format!("unexpected end of file: expected {wanted}"),
            )
        })?;
        self.at += 1;
        Ok(tok)
    }

    fn expect(&mut self, text: &str, context: &str) -> Result<&'a Token> {
        let tok = self.next(&format!("'{text}' {context}"))?;
        if tok.is(text) {
            Ok(tok)
        } else {
            Err(Error::at(
                &tok.pos,
                format!("expected '{text}' {context}, found '{}'", tok.text),
            ))
        }
    }

    fn ident(&mut self, what: &str) -> Result<&'a Token> {
        let tok = self.next(what)?;
        if tok.kind == Kind::Ident {
            Ok(tok)
        } else {
            Err(Error::at(
                &tok.pos,
                format!("expected {what}, found '{}'", tok.text),
            ))
        }
    }

    /// `provider NAME { probe …; … } [;]`
    fn provider(&mut self) -> Result<Provider> {
        self.at += 1;
        let name = self.ident("a provider name")?;
        let context = format!("in provider '{}'", name.text);
        self.expect("{", &format!("after 'provider {}'", name.text))?;
        let mut probes: Vec<Probe> = Vec::new();
        loop {
            let tok = self.next(&format!("'probe' or '}}' {context}"))?;
            if tok.is("}") {
                break;
            } else if tok.is(";") {
                continue;
            } else if !tok.is("probe") {
                return Err(Error::at(
                    &tok.pos,
                    format!("expected 'probe' or '}}' {context}, found '{}'", tok.text),
                ));
            }
            let probe = self.probe()?;
            if let Some(first) = probes.iter().find(|p| p.name == probe.name) {
                return Err(Error::at(
                    &probe.pos,
                    format!(
                        "probe '{}' is declared twice {context} (first at {})",
                        probe.name, first.pos
                    ),
                ));
            }
            probes.push(probe);
        }
        if self.peek_is(0, ";") {
            self.at += 1;
        }
        Ok(Provider {
            name: name.text.clone(),
            pos: name.pos.clone(),
            probes,
        })
    }

    /// `NAME ( ARGS ) [: ( TRANSLATED ARGS )] ;` after `probe`: the translated arguments
    /// are for D scripts; the C code passes the native ones.
    fn probe(&mut self) -> Result<Probe> {
        let name = self.ident("a probe name")?;
        let open = self.expect("(", &format!("after 'probe {}'", name.text))?;
        let args = self.args(&name.text)?;
        if args.len() > MAX_ARGS {
            return Err(Error::at(
                &open.pos,
                format!(
                    "probe '{}' has {} arguments; a UST event takes at most {MAX_ARGS}",
                    name.text,
                    args.len()
                ),
            ));
        }
        if self.peek_is(0, ":") {
            self.at += 1;
            let open = self.expect("(", "before the translated arguments")?;
            self.skip_group(open)?;
        }
        self.expect(";", &format!("after probe '{}'", name.text))?;
        Ok(Probe {
            name: name.text.clone(),
            pos: name.pos.clone(),
            args,
        })
    }

    /// The arguments after `(`, through `)`: `()`, `(void)` or `TYPE [NAME], …`.
    fn args(&mut self, probe: &str) -> Result<Vec<Arg>> {
        if self.peek_is(0, ")") || self.peek_is(0, "void") && self.peek_is(1, ")") {
            self.at += if self.peek_is(0, ")") { 1 } else { 2 };
            return Ok(Vec::new());
        }
        let mut args: Vec<Arg> = Vec::new();
        loop {
            let start = self.peek().map_or(self.end.clone(), |t| t.pos.clone());
            let base = self.specifiers(true)?;
            let (name, ty) = self.declarator(base)?;
            let n = args.len();
            let kind = classify(&ty).map_err(|why| {
                Error::at(&start, format!("argument {n} of probe '{probe}': {why}"))
            })?;
            let field = name.map_or_else(|| format!("arg{n}"), |t| t.text.clone());
            if args.iter().any(|a| a.field == field) {
                return Err(Error::at(
                    &start,
                    format!("probe '{probe}' has two arguments named '{field}'"),
                ));
            }
            args.push(Arg { field, kind });
            let tok = self.next("',' or ')'")?;
            if tok.is(")") {
                return Ok(args);
            }
            if !tok.is(",") {
                return Err(Error::at(
                    &tok.pos,
                    format!(
                        "expected ',' or ')' in the arguments of probe '{probe}', found '{}'",
                        tok.text
                    ),
                ));
            }
        }
    }

    /// `typedef TYPE DECLARATOR [, DECLARATOR …] ;` — learned for later declarations. In the
    /// provider file a type it cannot follow is an error; in a header it is noted (an error
    /// only if a probe uses it), and a typedef this reader cannot parse is skipped.
    fn typedef(&mut self) -> Result<()> {
        let strict = self.peek().is_some_and(|t| t.in_main);
        let start = self.at;
        match self.typedef_names(strict) {
            Err(_) if !strict => {
                self.at = start;
                self.skip_declaration()
            }
            result => result,
        }
    }

    fn typedef_names(&mut self, strict: bool) -> Result<()> {
        self.at += 1;
        let base = self.specifiers(strict)?;
        loop {
            let (name, ty) = self.declarator(base.clone())?;
            let Some(name) = name else {
                let tok = self.next("a typedef name")?;
                return Err(Error::at(
                    &tok.pos,
                    format!("expected a typedef name, found '{}'", tok.text),
                ));
            };
            if builtin(&name.text).is_none() {
                self.typedefs.insert(name.text.clone(), ty);
            }
            let tok = self.next("';' after a typedef")?;
            if tok.is(";") {
                return Ok(());
            }
            if !tok.is(",") {
                return Err(Error::at(
                    &tok.pos,
                    format!(
                        "expected ';' after typedef '{}', found '{}'",
                        name.text, tok.text
                    ),
                ));
            }
        }
    }

    /// The type words of a declaration (`const unsigned long`, `struct foo`, `Oid`), up to
    /// the declarator. A name not known as a type is an error when `strict`, else a type
    /// that cannot be recorded.
    fn specifiers(&mut self, strict: bool) -> Result<CType> {
        let mut spec = Specifiers::default();
        let mut unsupported = None;
        let start = self.peek().map_or(self.end.clone(), |t| t.pos.clone());
        while let Some(tok) = self.peek().filter(|t| t.kind == Kind::Ident) {
            let word = tok.text.as_str();
            if is_qualifier(word) {
                self.at += 1;
            } else if word == "__attribute__" || word == "__attribute" {
                if self.skip_attribute()? {
                    unsupported = Some("its mode attribute sets its size");
                }
            } else if spec.keyword(word).map_err(|why| Error::at(&tok.pos, why))? {
                self.at += 1;
            } else if let Some(keyword) =
                ["struct", "union", "enum"].into_iter().find(|k| *k == word)
            {
                self.at += 1;
                self.tagged()?;
                spec.named(CType::Tagged(keyword))
                    .map_err(|why| Error::at(&tok.pos, why))?;
            } else if spec.any() {
                break;
            } else {
                self.at += 1;
                let ty = match builtin(word).or_else(|| self.typedefs.get(word).cloned()) {
                    Some(ty) => ty,
                    None if strict => {
                        return Err(Error::at(
                            &tok.pos,
                            format!(
                                "unknown type '{word}' (declare it with typedef first, or run with -C to take it from a header)"
                            ),
                        ))
                    }
                    None => CType::Unsupported(format!("its type '{word}' is unknown here")),
                };
                spec.named(ty).map_err(|why| Error::at(&tok.pos, why))?;
            }
        }
        let ty = spec.finish().map_err(|why| match self.peek() {
            Some(tok) if why == "expected a type" => {
                Error::at(&tok.pos, format!("expected a type, found '{}'", tok.text))
            }
            _ => Error::at(&start, why),
        })?;
        Ok(match unsupported {
            Some(why) => CType::Unsupported(why.into()),
            None => ty,
        })
    }

    /// After `struct`/`union`/`enum`: an optional tag and an optional `{ … }` body.
    fn tagged(&mut self) -> Result<()> {
        if self.peek().is_some_and(|t| t.kind == Kind::Ident) {
            self.at += 1;
        }
        if let Some(open) = self.peek().filter(|t| t.is("{")) {
            self.at += 1;
            self.skip_group(open)?;
        }
        Ok(())
    }

    /// Pointers, the declared name (if any), arrays (which decay to pointers) and function
    /// declarators: `* const name`, `(*fn)(int)`, `buf[16]`.
    fn declarator(&mut self, base: CType) -> Result<(Option<&'a Token>, CType)> {
        let mut ty = base;
        let mut name = None;
        while let Some(tok) = self.peek() {
            if tok.is("*") {
                ty = ty.pointer();
                self.at += 1;
            } else if tok.kind == Kind::Ident && is_qualifier(&tok.text) {
                self.at += 1;
            } else {
                break;
            }
        }
        if self.peek_is(0, "(") && self.peek_is(1, "*") {
            let open = self.next("'('")?;
            while self.peek_is(0, "*") || self.peek().is_some_and(|t| is_qualifier(&t.text)) {
                self.at += 1;
            }
            name = self.peek().filter(|t| t.kind == Kind::Ident);
            self.at += usize::from(name.is_some());
            let close = self.next("')'")?;
            if !close.is(")") {
                return Err(Error::at(
                    &open.pos,
                    "malformed function pointer declarator",
                ));
            }
            let params = self.expect("(", "after a function pointer declarator")?;
            self.skip_group(params)?;
            ty = CType::Function.pointer();
        } else if let Some(tok) = self.peek().filter(|t| t.kind == Kind::Ident) {
            if tok.text.starts_with("__attribute") || tok.text == "__asm__" {
                self.skip_attribute()?;
            } else {
                name = Some(tok);
                self.at += 1;
            }
        }
        while let Some(open) = self.peek().filter(|t| t.is("[") || t.is("(")) {
            self.at += 1;
            self.skip_group(open)?;
            ty = if open.is("[") {
                ty.pointer()
            } else {
                CType::Function
            };
        }
        while self
            .peek()
            .is_some_and(|t| t.text.starts_with("__attribute") || t.text == "__asm__")
        {
            if self.skip_attribute()? {
                ty = CType::Unsupported("its mode attribute sets its size".into());
            }
        }
        Ok((name, ty))
    }

    /// Skips `__attribute__((…))` or `__asm__("…")`; true if it held a `mode` attribute.
    fn skip_attribute(&mut self) -> Result<bool> {
        self.at += 1;
        let start = self.at;
        let open = self.expect("(", "after an attribute")?;
        self.skip_group(open)?;
        Ok(self.toks[start..self.at]
            .iter()
            .any(|t| t.is("mode") || t.is("__mode__")))
    }

    /// Skips to the bracket closing `open` (already consumed), nested brackets included.
    fn skip_group(&mut self, open: &Token) -> Result<()> {
        let mut depth = 1;
        while depth > 0 {
            let tok = self
                .toks
                .get(self.at)
                .ok_or_else(|| Error::at(&open.pos, format!("'{}' is never closed", open.text)))?;
            self.at += 1;
            if tok.kind == Kind::Punct {
                match tok.text.as_str() {
                    "(" | "[" | "{" => depth += 1,
                    ")" | "]" | "}" => depth -= 1,
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Skips one C declaration: through its `;`, or through the body of a function definition.
    fn skip_declaration(&mut self) -> Result<()> {
        let mut after_paren = false;
        loop {
            let tok = self.next("';' ending a declaration")?;
            match tok.text.as_str() {
                ";" if tok.kind == Kind::Punct => return Ok(()),
                "{" if tok.kind == Kind::Punct => {
                    self.skip_group(tok)?;
                    if after_paren {
                        return Ok(());
                    }
                }
                "(" | "[" if tok.kind == Kind::Punct => {
                    self.skip_group(tok)?;
                    after_paren = tok.is("(");
                    continue;
                }
                _ => {}
            }
            after_paren = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::tokens;

    fn parse_text(src: &str, preprocessed: bool) -> Result<Vec<Provider>> {
        let (toks, _) = tokens(src, "t.d", preprocessed)?;
        let end = Pos {
            file: "t.d".into(),
            line: 99,
            col: 1,
        };
        parse(&toks, end)
    }

    fn kinds(p: &Probe) -> Vec<(String, ArgKind)> {
        p.args
            .iter()
            .map(|a| (a.field.clone(), a.kind.clone()))
            .collect()
    }

    fn int(s: &str) -> ArgKind {
        ArgKind::Integer(s.into())
    }

    #[test]
    fn a_provider_with_every_argument_shape() {
        let src = r#"
            typedef unsigned int Oid;
            typedef struct conn conn_t;
            provider db {
                probe query__start(const char *query, Oid, unsigned long long rows);
                probe nothing();
                probe nothing_either(void);
                probe ptrs(conn_t *, void *, char **, const unsigned char *, struct x *);
                probe nums(short, long, signed char, char, int8_t, uint64_t, size_t, bool);
                probe xl(int a) : (string a);
            };
            #pragma D attributes Evolving/Evolving/Common provider db provider
        "#;
        let providers = parse_text(src, false).unwrap();
        let db = &providers[0];
        assert_eq!(db.name, "db");
        let names: Vec<&str> = db.probes.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "query__start",
                "nothing",
                "nothing_either",
                "ptrs",
                "nums",
                "xl"
            ]
        );
        assert_eq!(
            kinds(&db.probes[0]),
            [
                ("query".into(), ArgKind::String),
                ("arg1".into(), int("unsigned int")),
                ("rows".into(), int("unsigned long long")),
            ]
        );
        assert!(db.probes[1].args.is_empty() && db.probes[2].args.is_empty());
        assert!(kinds(&db.probes[3])
            .iter()
            .all(|(_, k)| *k == ArgKind::Pointer));
        let nums: Vec<ArgKind> = kinds(&db.probes[4]).into_iter().map(|(_, k)| k).collect();
        assert_eq!(
            nums,
            [
                int("short"),
                int("long"),
                int("signed char"),
                int("char"),
                int("int8_t"),
                int("uint64_t"),
                int("size_t"),
                ArgKind::Bool,
            ]
        );
        assert_eq!(kinds(&db.probes[5]), [("a".into(), int("int"))]);
    }

    #[test]
    fn headers_are_skimmed_for_typedefs() {
        let src = "# 1 \"t.d\"\n# 1 \"h.h\" 1\n\
            typedef signed long int __int64_t;\n\
            typedef __int64_t int64_t;\n\
            typedef struct { int __val[2]; } __fsid_t;\n\
            typedef int (*cmp_t)(const void *, const void *);\n\
            typedef __builtin_va_list va;\n\
            typedef __typeof__(sizeof 0) weird_t;\n\
            typedef int register_t __attribute__ ((__mode__ (__word__)));\n\
            extern int printf(const char *, ...);\n\
            static __inline unsigned f(unsigned x) { return x; }\n\
            struct s { int a; };\n\
            # 3 \"t.d\" 2\n\
            typedef __int64_t my_t;\n\
            provider p { probe a(my_t, int64_t, cmp_t, __fsid_t *); };\n";
        let providers = parse_text(src, true).unwrap();
        assert_eq!(
            kinds(&providers[0].probes[0]),
            [
                ("arg0".into(), int("long")),
                ("arg1".into(), int("int64_t")),
                ("arg2".into(), ArgKind::Pointer),
                ("arg3".into(), ArgKind::Pointer),
            ]
        );
        let err = parse_text(&src.replace("__fsid_t *", "va"), true).unwrap_err();
        assert!(
            err.msg.contains("'__builtin_va_list' is unknown"),
            "{}",
            err.msg
        );
        let err = parse_text(&src.replace("__fsid_t *", "register_t"), true).unwrap_err();
        assert!(err.msg.contains("mode attribute"), "{}", err.msg);
    }

    #[test]
    fn errors_point_at_the_culprit() {
        let cases = [
            (
                "provider p {\n  probe a(Foo);\n};",
                "t.d:2:11",
                "unknown type 'Foo'",
            ),
            (
                "provider p {\n  probe a(int)\n};",
                "t.d:3:1",
                "expected ';' after probe 'a'",
            ),
            (
                "provider p {\n probe a();\n probe a(int);\n};",
                "t.d:3:8",
                "probe 'a' is declared twice in provider 'p' (first at t.d:2:8)",
            ),
            (
                "provider p { probe a(struct s); };",
                "t.d:1:22",
                "struct passed by value",
            ),
            (
                "provider p { prob a(); };",
                "t.d:1:14",
                "expected 'probe' or '}'",
            ),
            (
                "provder p { probe a(); };",
                "t.d:1:1",
                "expected 'provider'",
            ),
            (
                "provider p { probe a(int x, int x); };",
                "t.d:1:29",
                "two arguments named 'x'",
            ),
            (
                "provider p { probe a(int",
                "t.d:99:1",
                "unexpected end of file",
            ),
            (
                "provider p { probe a(int,int,int,int,int,int,int,int,int,int,int); };",
                "t.d:1:21",
                "at most 10",
            ),
            (
                "provider p {}; provider p {};",
                "t.d:1:25",
                "provider 'p' is declared twice",
            ),
            (
                "provider p { probe a(long double); };",
                "t.d:1:22",
                "long double",
            ),
        ];
        for (src, at, msg) in cases {
            let err = parse_text(src, false).unwrap_err();
            assert_eq!(err.pos.as_ref().unwrap().to_string(), at, "{src}: {err}");
            assert!(err.msg.contains(msg), "{src}: {err}");
        }
    }
}
