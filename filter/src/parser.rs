//! The grammar of lttng-tools' `filter-parser.y`, and the checks its IR passes make.
//!
//! Precedence, loosest first: `||`, `&&`, `==` `!=`, `<` `<=` `>` `>=`, `|`, `^`, `&`,
//! `<<` `>>`, then UST's `+` `-` and `*` `/` `%` (C's order among themselves), then the unary
//! `+` `-` `!` `~`. Unlike C, `&`, `^` and `|` bind tighter than comparisons. Operands are
//! constants, string literals, parenthesized expressions and field paths: a name or
//! `$ctx.NAME` / `$app.NAME`, then `.name`, `->name` and constant `[N]` steps.
//!
//! Refused here, as LTTng refuses them when the filter is enabled: a string or floating-point
//! constant as the whole filter, a unary operator on a string, a string compared with a
//! number, `&&`/`||`/bitwise operators on strings, bitwise operators on floating-point
//! constants, two globbing patterns compared, a globbing pattern with anything but `==`/`!=`,
//! a non-constant array index, and `$` names other than `$ctx`/`$app`. Beyond LTTng: integer
//! constants must fit in 64 bits, and nesting and intermediate values are bounded.

use crate::ast::*;
use crate::error::ParseError;
use crate::lexer::{tokens, Tok, Token};

/// Longest expression accepted, in bytes.
pub const MAX_SOURCE_LEN: usize = 65536;
/// Deepest nesting of operators and parentheses accepted.
pub const MAX_DEPTH: usize = 64;
/// Most intermediate values evaluation may hold at once (LTTng-UST's stack holds 10).
pub const MAX_STACK: usize = 16;

/// Parses and checks `source`.
pub(crate) fn parse(source: &str) -> Result<Ast, ParseError> {
    if source.len() > MAX_SOURCE_LEN {
        return Err(ParseError {
            column: 1,
            message: format!("expression is longer than {MAX_SOURCE_LEN} bytes"),
        });
    }
    let tokens = tokens(source)?;
    let mut parser = Parser {
        src: source,
        tokens,
        pos: 0,
        nodes: Vec::new(),
        shape: Vec::new(),
        nesting: 0,
    };
    if parser.peek() == &Tok::End {
        return parser.fail_here("empty filter expression");
    }
    let root = parser.expression()?;
    if parser.peek() != &Tok::End {
        let found = parser.peek().describe();
        return parser.fail_here(format!("expected an operator before {found}"));
    }
    let root_at = parser.shape[root as usize].at;
    match parser.nodes[root as usize].class {
        Class::Str => parser.fail(
            root_at,
            "a string alone is not a filter: compare it, as in name == \"text\"",
        ),
        Class::Float => parser.fail(root_at, "a floating-point constant alone is not a filter"),
        _ => Ok(Ast {
            nodes: parser.nodes,
            root,
        }),
    }
}

/// Size facts of a node, checked against the limits as the tree grows.
#[derive(Clone, Copy)]
struct Shape {
    /// Byte offset of the node's first token (its operator, for binary nodes).
    at: usize,
    depth: usize,
    /// Stack slots its evaluation needs.
    stack: usize,
}

struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    nodes: Vec<Node>,
    shape: Vec<Shape>,
    /// Current recursion depth of parenthesized and unary sub-expressions.
    nesting: usize,
}

/// The binary operator a token is, with its level: higher binds tighter.
fn binary_operator(tok: &Tok) -> Option<(u8, Option<BinaryOp>)> {
    Some(match tok {
        Tok::OrOr => (0, None),
        Tok::AndAnd => (1, None),
        Tok::EqEq => (2, Some(BinaryOp::Eq)),
        Tok::Ne => (2, Some(BinaryOp::Ne)),
        Tok::Lt => (3, Some(BinaryOp::Lt)),
        Tok::Le => (3, Some(BinaryOp::Le)),
        Tok::Gt => (3, Some(BinaryOp::Gt)),
        Tok::Ge => (3, Some(BinaryOp::Ge)),
        Tok::Pipe => (4, Some(BinaryOp::BitOr)),
        Tok::Caret => (5, Some(BinaryOp::BitXor)),
        Tok::Amp => (6, Some(BinaryOp::BitAnd)),
        Tok::Shl => (7, Some(BinaryOp::Shl)),
        Tok::Shr => (7, Some(BinaryOp::Shr)),
        Tok::Plus => (8, Some(BinaryOp::Add)),
        Tok::Minus => (8, Some(BinaryOp::Sub)),
        Tok::Star => (9, Some(BinaryOp::Mul)),
        Tok::Slash => (9, Some(BinaryOp::Div)),
        Tok::Percent => (9, Some(BinaryOp::Rem)),
        _ => return None,
    })
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.tokens[self.pos].tok
    }

    fn at(&self) -> usize {
        self.tokens[self.pos].at
    }

    fn bump(&mut self) -> Token {
        let token = self.tokens[self.pos].clone();
        if token.tok != Tok::End {
            self.pos += 1;
        }
        token
    }

    fn fail<T>(&self, at: usize, message: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError::at(self.src, at, message))
    }

    fn fail_here<T>(&self, message: impl Into<String>) -> Result<T, ParseError> {
        self.fail(self.at(), message)
    }

    fn add(&mut self, kind: NodeKind, class: Class, shape: Shape) -> Result<NodeId, ParseError> {
        if shape.depth > MAX_DEPTH {
            return self.fail(
                shape.at,
                format!("expression is nested more than {MAX_DEPTH} levels deep"),
            );
        }
        if shape.stack > MAX_STACK {
            return self.fail(
                shape.at,
                format!(
                    "expression needs more than {MAX_STACK} intermediate values: \
                     remove parentheses or split it"
                ),
            );
        }
        self.nodes.push(Node { kind, class });
        self.shape.push(shape);
        Ok((self.nodes.len() - 1) as NodeId)
    }

    fn class(&self, id: NodeId) -> Class {
        self.nodes[id as usize].class
    }

    fn shape(&self, id: NodeId) -> Shape {
        self.shape[id as usize]
    }

    fn expression(&mut self) -> Result<NodeId, ParseError> {
        self.binary(0)
    }

    /// Operators of level `min` or tighter, by precedence climbing; `&&` and `||` chains
    /// become one node.
    fn binary(&mut self, min: u8) -> Result<NodeId, ParseError> {
        let mut left = self.unary()?;
        while let Some((level, op)) = binary_operator(self.peek()) {
            if level < min {
                break;
            }
            let operator = self.bump();
            let right = self.operand_after(&operator, |p| p.binary(level + 1))?;
            left = match op {
                Some(op) => self.binary_node(op, operator.at, left, right)?,
                None => self.logical(operator.tok, level, vec![left, right])?,
            };
        }
        Ok(left)
    }

    /// The rest of an `&&` or `||` chain whose first `operands` are parsed.
    fn logical(
        &mut self,
        op: Tok,
        level: u8,
        mut operands: Vec<NodeId>,
    ) -> Result<NodeId, ParseError> {
        while self.peek() == &op {
            let operator = self.bump();
            operands.push(self.operand_after(&operator, |p| p.binary(level + 1))?);
        }
        let symbol = op.symbol();
        let mut depth = 0;
        let mut stack = 0;
        for &operand in &operands {
            if self.class(operand) == Class::Str {
                let at = self.shape(operand).at;
                return self.fail(at, format!("'{symbol}' cannot take a string operand"));
            }
            depth = depth.max(self.shape(operand).depth);
            stack = stack.max(self.shape(operand).stack);
        }
        let shape = Shape {
            at: self.shape(operands[0]).at,
            depth: depth + 1,
            stack,
        };
        let kind = if op == Tok::OrOr {
            NodeKind::Any(operands)
        } else {
            NodeKind::All(operands)
        };
        self.add(kind, Class::Numeric, shape)
    }

    /// Parses an operand with `parse`, or explains that `operator` lacks one.
    fn operand_after(
        &mut self,
        operator: &Token,
        parse: impl FnOnce(&mut Self) -> Result<NodeId, ParseError>,
    ) -> Result<NodeId, ParseError> {
        if can_start_operand(self.peek()) {
            return parse(self);
        }
        let symbol = operator.tok.symbol();
        match self.peek() {
            Tok::End => self.fail_here(format!("expected an operand after '{symbol}'")),
            found => {
                let found = found.describe();
                self.fail_here(format!(
                    "expected an operand after '{symbol}', found {found}"
                ))
            }
        }
    }

    fn binary_node(
        &mut self,
        op: BinaryOp,
        at: usize,
        left: NodeId,
        right: NodeId,
    ) -> Result<NodeId, ParseError> {
        let class = self.binary_class(op, at, left, right)?;
        let (l, r) = (self.shape(left), self.shape(right));
        let shape = Shape {
            at,
            depth: l.depth.max(r.depth) + 1,
            stack: l.stack.max(r.stack + 1),
        };
        self.add(NodeKind::Binary(op, left, right), class, shape)
    }

    /// LTTng's refusals for a binary operator, and the class of its result.
    fn binary_class(
        &self,
        op: BinaryOp,
        at: usize,
        left: NodeId,
        right: NodeId,
    ) -> Result<Class, ParseError> {
        let (lc, rc) = (self.class(left), self.class(right));
        let symbol = op.symbol();
        let number = |c: Class| c == Class::Numeric || c == Class::Float;
        if op.is_comparison() {
            if (lc == Class::Str && number(rc)) || (number(lc) && rc == Class::Str) {
                return self.fail(
                    at,
                    format!("'{symbol}' cannot compare a string with a number"),
                );
            }
            self.check_globs(op, at, left, right)?;
            return Ok(Class::Numeric);
        }
        if lc == Class::Str || rc == Class::Str {
            return self.fail(at, format!("'{symbol}' cannot take a string operand"));
        }
        if op.is_bitwise() {
            if lc == Class::Float || rc == Class::Float {
                return self.fail(
                    at,
                    format!("'{symbol}' cannot take a floating-point operand"),
                );
            }
            return Ok(Class::Numeric);
        }
        Ok(if lc == Class::Float || rc == Class::Float {
            Class::Float
        } else if lc == Class::Field || rc == Class::Field {
            Class::Field
        } else {
            Class::Numeric
        })
    }

    fn literal_kind(&self, id: NodeId) -> Option<LitKind> {
        match &self.nodes[id as usize].kind {
            NodeKind::Str(_, kind) => Some(*kind),
            _ => None,
        }
    }

    fn check_globs(
        &self,
        op: BinaryOp,
        at: usize,
        left: NodeId,
        right: NodeId,
    ) -> Result<(), ParseError> {
        let (l, r) = (self.literal_kind(left), self.literal_kind(right));
        let glob = |k: Option<LitKind>| k == Some(LitKind::Glob);
        if let (Some(lk), Some(rk)) = (l, r) {
            if (lk == LitKind::Glob && rk != LitKind::Plain)
                || (rk == LitKind::Glob && lk != LitKind::Plain)
            {
                return self.fail(at, "cannot compare two globbing patterns");
            }
        }
        if (glob(l) || glob(r)) && op != BinaryOp::Eq && op != BinaryOp::Ne {
            return self.fail(
                at,
                "only '==' and '!=' can compare with a globbing pattern ('*' inside a string)",
            );
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<NodeId, ParseError> {
        let op = match self.peek() {
            Tok::Plus => UnaryOp::Plus,
            Tok::Minus => UnaryOp::Minus,
            Tok::Not => UnaryOp::Not,
            Tok::Tilde => UnaryOp::BitNot,
            _ => return self.primary(),
        };
        let operator = self.bump();
        let operand = self.nested(|p| p.operand_after(&operator, |p| p.unary()))?;
        let class = self.class(operand);
        if class == Class::Str {
            let symbol = operator.tok.symbol();
            return self.fail(
                operator.at,
                format!("unary '{symbol}' cannot take a string"),
            );
        }
        let inner = self.shape(operand);
        let shape = Shape {
            at: operator.at,
            depth: inner.depth + 1,
            stack: inner.stack,
        };
        self.add(NodeKind::Unary(op, operand), class, shape)
    }

    /// Runs `parse` one nesting level deeper.
    fn nested<T>(
        &mut self,
        parse: impl FnOnce(&mut Self) -> Result<T, ParseError>,
    ) -> Result<T, ParseError> {
        if self.nesting >= MAX_DEPTH {
            return self.fail_here(format!(
                "expression is nested more than {MAX_DEPTH} levels deep"
            ));
        }
        self.nesting += 1;
        let result = parse(self);
        self.nesting -= 1;
        result
    }

    fn leaf(&mut self, kind: NodeKind, class: Class, at: usize) -> Result<NodeId, ParseError> {
        let shape = Shape {
            at,
            depth: 1,
            stack: 1,
        };
        self.add(kind, class, shape)
    }

    fn primary(&mut self) -> Result<NodeId, ParseError> {
        let token = self.bump();
        match token.tok {
            Tok::Int(v) => self.leaf(NodeKind::Int(v as i64), Class::Numeric, token.at),
            Tok::Float(v) => self.leaf(NodeKind::Float(v), Class::Float, token.at),
            Tok::Str(text) => {
                let kind = literal_kind(&text);
                let text = if kind == LitKind::Glob {
                    collapse_stars(&text)
                } else {
                    text
                };
                self.leaf(NodeKind::Str(text, kind), Class::Str, token.at)
            }
            Tok::LParen => {
                let inner = self.nested(|p| p.operand_after(&token, |p| p.expression()))?;
                if self.peek() != &Tok::RParen {
                    let column = ParseError::at(self.src, token.at, "").column;
                    let found = self.peek().describe();
                    return self.fail_here(format!(
                        "expected ')' to close the '(' of column {column}, found {found}"
                    ));
                }
                self.bump();
                Ok(inner)
            }
            Tok::Ident(name) => self.field(Scope::Payload, name, token.at),
            Tok::Global(name) => self.global(name, token.at),
            other => {
                let found = other.describe();
                self.fail(token.at, format!("expected an operand, found {found}"))
            }
        }
    }

    /// `$ctx.NAME…` or `$app.NAME…`.
    fn global(&mut self, name: String, at: usize) -> Result<NodeId, ParseError> {
        let scope = match name.as_str() {
            "ctx" => Scope::Context,
            "app" => Scope::AppContext,
            _ => return self.fail(at, format!("unknown '${name}': use $ctx.NAME or $app.NAME")),
        };
        if self.peek() != &Tok::Dot {
            return self.fail_here(format!(
                "expected '.NAME' after '${name}' (as in $ctx.vpid)"
            ));
        }
        self.bump();
        match self.bump() {
            Token {
                tok: Tok::Ident(first),
                ..
            } => self.field(scope, first, at),
            other => self.fail(
                other.at,
                format!(
                    "expected a name after '${name}.', found {}",
                    other.tok.describe()
                ),
            ),
        }
    }

    /// A field path whose first name is `first`: then `[N]`, `.name`, `->name` steps.
    fn field(&mut self, scope: Scope, first: String, at: usize) -> Result<NodeId, ParseError> {
        let mut segments = vec![Segment::Name(first)];
        loop {
            match self.peek() {
                Tok::LBracket => {
                    self.bump();
                    segments.push(Segment::Index(self.index()?));
                }
                Tok::Dot | Tok::Arrow => {
                    let step = self.bump();
                    match self.bump() {
                        Token {
                            tok: Tok::Ident(name),
                            ..
                        } => segments.push(Segment::Name(name)),
                        other => {
                            return self.fail(
                                other.at,
                                format!(
                                    "expected a field name after '{}', found {}",
                                    step.tok.symbol(),
                                    other.tok.describe()
                                ),
                            )
                        }
                    }
                }
                _ => break,
            }
        }
        self.leaf(
            NodeKind::Field(FieldPath { scope, segments }),
            Class::Field,
            at,
        )
    }

    /// The constant inside `[…]` (the `[` is consumed).
    fn index(&mut self) -> Result<u64, ParseError> {
        let at = self.at();
        let value = match self.bump().tok {
            Tok::Int(v) => v,
            _ => return self.fail(at, "an array index must be an integer constant, as in [0]"),
        };
        if self.peek() != &Tok::RBracket {
            let found = self.peek().describe();
            return self.fail_here(format!("expected ']' after the index, found {found}"));
        }
        self.bump();
        Ok(value)
    }
}

fn can_start_operand(tok: &Tok) -> bool {
    matches!(
        tok,
        Tok::Int(_)
            | Tok::Float(_)
            | Tok::Str(_)
            | Tok::Ident(_)
            | Tok::Global(_)
            | Tok::LParen
            | Tok::Plus
            | Tok::Minus
            | Tok::Not
            | Tok::Tilde
    )
}

/// LTTng's classification: by the first unescaped `*` only.
fn literal_kind(text: &[u8]) -> LitKind {
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'*' if i + 1 == text.len() => return LitKind::StarAtEnd,
            b'*' => return LitKind::Glob,
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    LitKind::Plain
}

/// The pattern with each run of unescaped stars made one star (same matches, less work).
fn collapse_stars(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let c = text[i];
        if c == b'\\' {
            out.extend_from_slice(&text[i..(i + 2).min(text.len())]);
            i += 2;
            continue;
        }
        if !(c == b'*' && out.last() == Some(&b'*') && !escaped_star_at_end(&out)) {
            out.push(c);
        }
        i += 1;
    }
    out
}

/// Whether the `*` ending `out` is an escaped one (`\*`).
fn escaped_star_at_end(out: &[u8]) -> bool {
    let backslashes = out[..out.len() - 1]
        .iter()
        .rev()
        .take_while(|&&c| c == b'\\')
        .count();
    backslashes % 2 == 1
}
