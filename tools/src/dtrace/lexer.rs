//! The tokens of a DTrace provider file (`.d`), as written or as the C preprocessor left it.
//!
//! Comments (`/* */`, `//`) and blank space vanish; `#pragma` lines (`#pragma D attributes …`)
//! are skipped; the preprocessor's line markers (`# 12 "types.h" 1`) move the position that
//! later tokens report, so errors point into the file the text came from, and tell whether a
//! token comes from the provider file itself or from a header it included. Any other
//! directive (`#include`, `#define`, …) is an error: it needs `-C`.

use crate::error::{Error, Pos, Result};
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A name or keyword.
    Ident,
    /// A number (a C preprocessing number: digits, letters, dots).
    Number,
    /// A string or character literal, quotes included.
    Literal,
    /// Any other single character: `{`, `(`, `*`, `;`, …
    Punct,
}

#[derive(Clone, Debug)]
pub struct Token {
    pub kind: Kind,
    pub text: String,
    pub pos: Pos,
    /// True when the token comes from the provider file itself, not from an included header.
    pub in_main: bool,
}

impl Token {
    pub fn is(&self, text: &str) -> bool {
        self.text == text && self.kind != Kind::Literal
    }
}

/// Splits `text`, the contents of `file` (or the preprocessor's output for it when
/// `preprocessed`), into tokens; also returns where the text ends.
pub fn tokens(text: &str, file: &str, preprocessed: bool) -> Result<(Vec<Token>, Pos)> {
    let main: Rc<str> = Rc::from(file);
    let mut lexer = Lexer {
        chars: text.chars().collect(),
        at: 0,
        file: main.clone(),
        main,
        line: 1,
        col: 1,
        line_start: true,
        preprocessed,
    };
    let mut out = Vec::new();
    while let Some(token) = lexer.next()? {
        out.push(token);
    }
    Ok((out, lexer.pos()))
}

struct Lexer {
    chars: Vec<char>,
    at: usize,
    file: Rc<str>,
    main: Rc<str>,
    line: u32,
    col: u32,
    /// Only blank space since the start of the line: a `#` here starts a directive.
    line_start: bool,
    preprocessed: bool,
}

impl Lexer {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek(0)?;
        self.at += 1;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
            self.line_start = true;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn pos(&self) -> Pos {
        Pos {
            file: self.file.clone(),
            line: self.line,
            col: self.col,
        }
    }

    fn next(&mut self) -> Result<Option<Token>> {
        loop {
            let Some(c) = self.peek(0) else {
                return Ok(None);
            };
            if c.is_whitespace() {
                self.bump();
            } else if c == '/' && self.peek(1) == Some('*') {
                self.block_comment()?;
            } else if c == '/' && self.peek(1) == Some('/') {
                while self.peek(0).is_some_and(|c| c != '\n') {
                    self.bump();
                }
            } else if c == '#' && self.line_start {
                self.directive()?;
            } else {
                self.line_start = false;
                return self.token().map(Some);
            }
        }
    }

    fn block_comment(&mut self) -> Result<()> {
        let start = self.pos();
        self.bump();
        self.bump();
        loop {
            match self.bump() {
                None => return Err(Error::at(&start, "unterminated comment")),
                Some('*') if self.peek(0) == Some('/') => {
                    self.bump();
                    return Ok(());
                }
                Some(_) => {}
            }
        }
    }

    /// Reads a `#` line (with its backslash continuations) and acts on it.
    fn directive(&mut self) -> Result<()> {
        let pos = self.pos();
        let mut line = String::new();
        while let Some(c) = self.peek(0) {
            if c == '\\' && self.peek(1) == Some('\n') {
                self.bump();
                self.bump();
                continue;
            }
            if c == '\n' {
                break;
            }
            line.push(c);
            self.bump();
        }
        self.bump();
        let body = line[1..].trim_start();
        let word: String = body
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if word.is_empty() && body.is_empty() || word == "pragma" || word == "ident" {
            return Ok(());
        }
        if word.starts_with(|c: char| c.is_ascii_digit()) || word == "line" {
            return self.line_marker(body.strip_prefix("line").unwrap_or(body), &pos);
        }
        if self.preprocessed {
            Err(Error::at(&pos, format!("unexpected directive '#{word}'")))
        } else {
            Err(Error::at(
                &pos,
                format!(
                    "'#{word}' is a C preprocessor directive: run ust-dtrace with -C to preprocess the file"
                ),
            ))
        }
    }

    /// `# LINE "FILE" FLAGS`: the next line is LINE of FILE.
    fn line_marker(&mut self, body: &str, pos: &Pos) -> Result<()> {
        let body = body.trim_start();
        let digits: String = body.chars().take_while(char::is_ascii_digit).collect();
        let line = digits
            .parse::<u32>()
            .map_err(|_| Error::at(pos, "malformed line marker"))?;
        let rest = body[digits.len()..].trim_start();
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut name = String::new();
            let mut chars = quoted.chars();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => name.extend(chars.next()),
                    c => name.push(c),
                }
            }
            self.file = if *name == *self.main {
                self.main.clone()
            } else {
                Rc::from(name)
            };
        }
        self.line = line;
        Ok(())
    }

    fn token(&mut self) -> Result<Token> {
        let pos = self.pos();
        let c = self.peek(0).unwrap_or_default();
        let mut text = String::new();
        let kind = if c.is_ascii_alphabetic() || c == '_' {
            self.take_while(&mut text, |c| c.is_ascii_alphanumeric() || c == '_');
            Kind::Ident
        } else if c.is_ascii_digit() {
            self.take_while(&mut text, |c| {
                c.is_ascii_alphanumeric() || c == '_' || c == '.'
            });
            Kind::Number
        } else if c == '"' || c == '\'' {
            self.literal(&mut text, c, &pos)?;
            Kind::Literal
        } else {
            text.push(c);
            self.bump();
            Kind::Punct
        };
        Ok(Token {
            kind,
            text,
            in_main: Rc::ptr_eq(&pos.file, &self.main),
            pos,
        })
    }

    fn take_while(&mut self, text: &mut String, keep: impl Fn(char) -> bool) {
        while let Some(c) = self.peek(0).filter(|c| keep(*c)) {
            text.push(c);
            self.bump();
        }
    }

    fn literal(&mut self, text: &mut String, quote: char, start: &Pos) -> Result<()> {
        text.push(quote);
        self.bump();
        loop {
            match self.peek(0) {
                None | Some('\n') => return Err(Error::at(start, "unterminated literal")),
                Some(c) => {
                    text.push(c);
                    self.bump();
                    if c == '\\' {
                        text.extend(self.bump());
                    } else if c == quote {
                        return Ok(());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<String> {
        tokens(src, "t.d", false)
            .unwrap()
            .0
            .into_iter()
            .map(|t| t.text)
            .collect()
    }

    #[test]
    fn comments_pragmas_and_blanks_vanish() {
        let src = "/* a\n comment */ provider p { // note\n#pragma D attributes x/y/z provider p\n probe a__b(int); };";
        assert_eq!(
            texts(src),
            ["provider", "p", "{", "probe", "a__b", "(", "int", ")", ";", "}", ";"]
        );
    }

    #[test]
    fn positions_count_lines_and_columns() {
        let (toks, end) = tokens("provider p {\n\tprobe x();\n};", "t.d", false).unwrap();
        assert_eq!(end.to_string(), "t.d:3:3");
        let probe = &toks[3];
        assert_eq!((probe.pos.line, probe.pos.col), (2, 2));
        assert!(probe.in_main);
    }

    #[test]
    fn line_markers_move_positions_and_tell_headers_apart() {
        let src = "# 1 \"t.d\"\n# 1 \"types.h\" 1\ntypedef int x;\n# 7 \"t.d\" 2\nprovider";
        let (toks, _) = tokens(src, "t.d", true).unwrap();
        assert_eq!(&*toks[0].pos.file, "types.h");
        assert!(!toks[0].in_main);
        let last = toks.last().unwrap();
        assert_eq!(
            (last.pos.to_string(), last.in_main),
            ("t.d:7:1".into(), true)
        );
    }

    #[test]
    fn directives_need_the_preprocessor() {
        let err = tokens("provider p {};\n  #include \"x.h\"\n", "t.d", false).unwrap_err();
        assert_eq!(err.pos.unwrap().to_string(), "t.d:2:3");
        assert!(err.msg.contains("-C"), "{}", err.msg);
    }

    #[test]
    fn unterminated_comment_is_reported_where_it_starts() {
        let err = tokens("provider p {\n /* oops\n", "t.d", false).unwrap_err();
        assert_eq!(err.to_string(), "t.d:2:2: error: unterminated comment");
    }
}
