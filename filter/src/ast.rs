//! The syntax tree of a filter expression, and the field paths it names.
//!
//! Nodes live in one vector and refer to each other by index, so a long expression is never
//! dropped or walked by deep recursion; `&&` and `||` chains are one node each (evaluation
//! order and short-circuits are LTTng's, see `program`).

use std::fmt;

/// Index of a node in its tree.
pub(crate) type NodeId = u32;

/// Where a field path starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The event's own fields: `count`, `req.path`, `values[2]`.
    Payload,
    /// A context field: `$ctx.vpid`.
    Context,
    /// An application context: `$app.provider:name`.
    AppContext,
}

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// A field or struct member by name.
    Name(String),
    /// An element of an array or sequence, `[N]`.
    Index(u64),
}

/// A field an expression reads, as written: `$ctx.vpid`, `values[1]`, `hdr.len`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldPath {
    pub scope: Scope,
    /// Never empty; starts with a `Segment::Name`.
    pub segments: Vec<Segment>,
}

impl FieldPath {
    /// The first name: the payload or context field the path starts at.
    pub fn root_name(&self) -> &str {
        match self.segments.first() {
            Some(Segment::Name(name)) => name,
            _ => "",
        }
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scope {
            Scope::Payload => {}
            Scope::Context => f.write_str("$ctx.")?,
            Scope::AppContext => f.write_str("$app.")?,
        }
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Name(name) if i == 0 => f.write_str(name)?,
                Segment::Name(name) => write!(f, ".{name}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// How a string literal compares, by where its unescaped stars are (LTTng's three kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LitKind {
    /// No unescaped `*`.
    Plain,
    /// One unescaped `*`, the last character: a prefix match, also in `<`, `>`, … (legacy).
    StarAtEnd,
    /// A full globbing pattern: only `==` and `!=` may use it.
    Glob,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnaryOp {
    Plus,
    Minus,
    Not,
    BitNot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinaryOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    pub(crate) fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
        )
    }

    pub(crate) fn is_bitwise(self) -> bool {
        matches!(
            self,
            BinaryOp::BitAnd | BinaryOp::BitOr | BinaryOp::BitXor | BinaryOp::Shl | BinaryOp::Shr
        )
    }

    pub(crate) fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::BitAnd => "&",
            BinaryOp::BitOr => "|",
            BinaryOp::BitXor => "^",
            BinaryOp::Shl => "<<",
            BinaryOp::Shr => ">>",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }
}

/// What a node is known to be before any event is seen (LTTng's IR data types): decides
/// which operand mixes are refused and which `&&`/`||` operands are first cast to an integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// An integer constant, or the result of a comparison, bitwise or logical operator.
    Numeric,
    /// A floating-point constant (or an operator applied to one).
    Float,
    /// A string literal.
    Str,
    /// A field: its type is known only against an event.
    Field,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NodeKind {
    /// An integer constant's 64 bits, used as a signed value.
    Int(i64),
    Float(f64),
    /// A string literal's text with `\\` and `\*` escapes kept, and its kind.
    Str(Vec<u8>, LitKind),
    Field(FieldPath),
    Unary(UnaryOp, NodeId),
    Binary(BinaryOp, NodeId, NodeId),
    /// `a && b && …`, evaluated left to right.
    All(Vec<NodeId>),
    /// `a || b || …`, evaluated left to right.
    Any(Vec<NodeId>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub kind: NodeKind,
    pub class: Class,
}

/// A parsed, checked expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ast {
    pub nodes: Vec<Node>,
    pub root: NodeId,
}

impl Ast {
    pub(crate) fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }
}

impl Ast {
    /// Writes node `id` fully parenthesized.
    pub(crate) fn write(&self, id: NodeId, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.node(id).kind {
            NodeKind::Int(v) => write!(f, "{}", *v as u64),
            NodeKind::Float(d) => write!(f, "{d:?}"),
            NodeKind::Str(text, _) => write!(f, "\"{}\"", String::from_utf8_lossy(text)),
            NodeKind::Field(path) => write!(f, "{path}"),
            NodeKind::Unary(op, operand) => {
                let symbol = match op {
                    UnaryOp::Plus => "+",
                    UnaryOp::Minus => "-",
                    UnaryOp::Not => "!",
                    UnaryOp::BitNot => "~",
                };
                write!(f, "({symbol}")?;
                self.write(*operand, f)?;
                f.write_str(")")
            }
            NodeKind::Binary(op, l, r) => {
                f.write_str("(")?;
                self.write(*l, f)?;
                write!(f, " {} ", op.symbol())?;
                self.write(*r, f)?;
                f.write_str(")")
            }
            NodeKind::All(operands) | NodeKind::Any(operands) => {
                let symbol = if matches!(self.node(id).kind, NodeKind::All(_)) {
                    " && "
                } else {
                    " || "
                };
                f.write_str("(")?;
                for (i, &operand) in operands.iter().enumerate() {
                    if i > 0 {
                        f.write_str(symbol)?;
                    }
                    self.write(operand, f)?;
                }
                f.write_str(")")
            }
        }
    }
}
