//! A filter bound to one event's fields: folded, flattened, and evaluated without allocating.
//!
//! Binding resolves every field path once (a path the event lacks makes the whole filter
//! false, as LTTng's link step does), learns each field's type, folds constants and type
//! errors, and emits postfix operations over a fixed stack of `MAX_STACK` values, with
//! short-circuit jumps for `&&` and `||`. Comparisons of one field with one constant become a
//! single operation. Evaluation runs each operation at most once: its time is bounded by the
//! expression's length and by the lengths of the strings it compares.
//!
//! `&&`/`||` follow LTTng's bytecode: an operand that is a field or a floating-point constant
//! is first cast to an integer (truncated); `a && b` is `a` when `a` is 0, else `b`;
//! `a || b` is 1 when `a` is not 0, else `b`. The filter accepts when the final value is a
//! non-zero integer.

use crate::ast::*;
use crate::parser::MAX_STACK;
use crate::text::Glob;
use crate::value::{compare_values, Fault, Result, Value};

/// The type of a field's values, as a resolver reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Any integer or enumeration (compared as 64-bit signed).
    Int,
    /// `float` or `double`.
    Float,
    /// A string, or a text array or sequence.
    Text,
}

/// One field's value for one event, as a loader hands it over.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldValue<'a> {
    /// An integer's 64 bits: sign-extended when signed, zero-extended when unsigned.
    Int(i64),
    Float(f64),
    /// Text up to its end or first NUL.
    Text(&'a [u8]),
}

impl<'a> From<FieldValue<'a>> for Value<'a> {
    fn from(v: FieldValue<'a>) -> Value<'a> {
        match v {
            FieldValue::Int(i) => Value::Int(i),
            FieldValue::Float(d) => Value::Float(d),
            FieldValue::Text(bytes) => Value::Str(bytes),
        }
    }
}

/// Gives field values to an evaluation. `value` is the general way; `int` may be
/// specialized for integer fields, which most comparisons read.
pub trait Fields<'v, L> {
    /// The value of the field behind `handle` for this event, or `None` when it has none
    /// (a sequence element past the end, a string without its NUL…): the filter is then false.
    fn value(&mut self, handle: &'v L) -> Option<FieldValue<'v>>;

    /// The value of an integer field (bound as `ValueKind::Int`).
    #[inline]
    fn int(&mut self, handle: &'v L) -> Option<i64> {
        match self.value(handle)? {
            FieldValue::Int(v) => Some(v),
            _ => None,
        }
    }
}

/// Fields given by a closure.
struct ByClosure<F>(F);

impl<'v, L: 'v, F: FnMut(&'v L) -> Option<FieldValue<'v>>> Fields<'v, L> for ByClosure<F> {
    #[inline]
    fn value(&mut self, handle: &'v L) -> Option<FieldValue<'v>> {
        (self.0)(handle)
    }
}

/// A constant of the expression, owned.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Constant {
    Int(i64),
    Float(f64),
    Str(Box<[u8]>),
    Glob(Box<[u8]>),
}

impl Constant {
    fn value(&self) -> Value<'_> {
        match self {
            Constant::Int(v) => Value::Int(*v),
            Constant::Float(d) => Value::Float(*d),
            Constant::Str(s) => Value::Lit(s),
            Constant::Glob(g) => Value::Glob(g),
        }
    }

    fn of(value: Value<'_>) -> Constant {
        match value {
            Value::Int(v) => Constant::Int(v),
            Value::Float(d) => Constant::Float(d),
            Value::Str(t) | Value::Lit(t) => Constant::Str(t.into()),
            Value::Glob(g) => Constant::Glob(g.into()),
        }
    }

    fn kind(&self) -> Kind {
        match self {
            Constant::Int(_) => Kind::Int,
            Constant::Float(_) => Kind::Float,
            Constant::Str(_) => Kind::Str,
            Constant::Glob(_) => Kind::Glob,
        }
    }
}

/// Static type of a sub-expression once fields are bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Float,
    Str,
    Glob,
}

impl From<ValueKind> for Kind {
    fn from(k: ValueKind) -> Kind {
        match k {
            ValueKind::Int => Kind::Int,
            ValueKind::Float => Kind::Float,
            ValueKind::Text => Kind::Str,
        }
    }
}

/// The bound expression before flattening.
enum Tree<L> {
    Const(Constant),
    Load(L, Kind),
    Unary(UnaryOp, Box<Tree<L>>),
    Binary(BinaryOp, Box<Tree<L>>, Box<Tree<L>>),
    ToInt(Box<Tree<L>>),
    All(Vec<Tree<L>>),
    Any(Vec<Tree<L>>),
    /// Faults whenever it is evaluated.
    Fail,
}

impl<L> Tree<L> {
    fn kind(&self) -> Option<Kind> {
        match self {
            Tree::Const(c) => Some(c.kind()),
            Tree::Load(_, k) => Some(*k),
            Tree::Unary(UnaryOp::Plus | UnaryOp::Minus, t) => t.kind(),
            Tree::Binary(op, l, r) if !op.is_comparison() && !op.is_bitwise() => {
                match (l.kind()?, r.kind()?) {
                    (Kind::Int, Kind::Int) => Some(Kind::Int),
                    _ => Some(Kind::Float),
                }
            }
            Tree::All(ts) | Tree::Any(ts) => ts.last().and_then(Tree::kind),
            Tree::Fail => None,
            _ => Some(Kind::Int),
        }
    }
}

/// Whether `op` on operands of these kinds faults whatever their values.
fn unary_faults(op: UnaryOp, k: Kind) -> bool {
    match op {
        UnaryOp::BitNot => k != Kind::Int,
        _ => !matches!(k, Kind::Int | Kind::Float),
    }
}

fn binary_faults(op: BinaryOp, l: Kind, r: Kind) -> bool {
    let number = |k: Kind| matches!(k, Kind::Int | Kind::Float);
    if op.is_comparison() {
        return match (l, r) {
            (Kind::Str, Kind::Str) => false,
            (Kind::Str, Kind::Glob) | (Kind::Glob, Kind::Str) => {
                op != BinaryOp::Eq && op != BinaryOp::Ne
            }
            _ => !(number(l) && number(r)),
        };
    }
    if op.is_bitwise() {
        return l != Kind::Int || r != Kind::Int;
    }
    !(number(l) && number(r))
}

/// One postfix operation.
#[derive(Debug, Clone, PartialEq)]
enum Op<L> {
    Push(Constant),
    Load(L),
    Unary(UnaryOp),
    Binary(BinaryOp),
    ToInt,
    /// `&&` between operands: if the top is 0, jump to the end of the chain keeping it.
    AllStep(u32),
    /// `||` between operands: if the top is not 0, make it 1 and jump to the end of the chain.
    AnyStep(u32),
    /// Push the outcome (0 or 1) of a field compared with a constant.
    Compare(Test<L>),
    /// A comparison inside an `&&` chain (`any` false) or `||` chain (`any` true): when it
    /// decides the chain (false for `&&`, true for `||`), push that outcome and jump to the
    /// end of the chain; else go on with the next operand.
    Guard(Test<L>, bool, u32),
    Fail,
}

/// A field compared with a constant: `field OP constant`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Test<L> {
    /// An integer field and an integer constant.
    Int(L, BinaryOp, i64),
    /// A text field `==` (true) or `!=` (false) a string constant.
    Text(L, bool, Pattern),
    Any(L, BinaryOp, Constant),
}

/// What a text field must be to equal a string constant.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Pattern {
    /// These bytes (the constant without its escapes).
    Exact(Box<[u8]>),
    /// Starting with these bytes (a constant whose only star ends it).
    Prefix(Box<[u8]>),
    /// Matching this star-only glob.
    Glob(Glob),
}

impl Pattern {
    /// The pattern `==` applies for `constant`, if it is a string.
    fn of(constant: &Constant) -> Option<Pattern> {
        match constant {
            Constant::Glob(g) => Some(Pattern::Glob(Glob::new(g))),
            Constant::Str(s) => {
                let mut bytes = Vec::with_capacity(s.len());
                let mut escaped = false;
                for &c in s.iter() {
                    if c == b'\\' && !escaped {
                        escaped = true;
                        continue;
                    }
                    if c == b'*' && !escaped {
                        return Some(Pattern::Prefix(bytes.into()));
                    }
                    escaped = false;
                    bytes.push(c);
                }
                Some(Pattern::Exact(bytes.into()))
            }
            _ => None,
        }
    }

    #[inline]
    fn matches(&self, text: &[u8]) -> bool {
        match self {
            Pattern::Exact(bytes) => text == &bytes[..],
            Pattern::Prefix(bytes) => text.starts_with(bytes),
            Pattern::Glob(glob) => glob.matches(text),
        }
    }
}

impl<L> Test<L> {
    /// Whether the field passes: integer tests inline, the others out of line.
    #[inline(always)]
    pub(crate) fn passes<'v>(&'v self, fields: &mut impl Fields<'v, L>) -> Result<bool> {
        match self {
            Test::Int(handle, op, k) => {
                let v = fields.int(handle).ok_or(Fault)?;
                Ok(int_compare(*op, v, *k))
            }
            other => other.passes_other(fields),
        }
    }

    #[inline(never)]
    fn passes_other<'v>(&'v self, fields: &mut impl Fields<'v, L>) -> Result<bool> {
        match self {
            Test::Text(handle, equal, pattern) => match fields.value(handle) {
                Some(FieldValue::Text(text)) => Ok(pattern.matches(text) == *equal),
                _ => Err(Fault),
            },
            Test::Any(handle, op, c) => compare_values(*op, load(fields, handle)?, c.value()),
            Test::Int(..) => self.passes(fields),
        }
    }
}

/// A filter bound to one event's fields, with field handles of type `L`.
#[derive(Debug, Clone, PartialEq)]
pub struct Program<L> {
    ops: Vec<Op<L>>,
    /// Known when binding decided the outcome for every event.
    constant: Option<bool>,
    /// Most values on the stack at once.
    depth: usize,
    /// `Some(any)` when the operations are only field tests joined by `||` (`any`) or `&&`:
    /// evaluated then as a plain loop over the tests.
    tests_only: Option<bool>,
}

impl<L> Program<L> {
    /// `Some(answer)` when the filter gives the same answer for every event: a field it names
    /// is missing, it only compares constants, or it always faults.
    pub fn constant(&self) -> Option<bool> {
        self.constant
    }

    /// `Some((any, tests))` when the filter is only field-versus-constant tests joined by
    /// `||` (`any`) or `&&`, evaluated in order until one decides; a fault in a test reached
    /// makes the whole filter false.
    pub(crate) fn tests(&self) -> Option<(bool, Vec<&Test<L>>)> {
        let any = self.tests_only?;
        let tests = self.ops.iter().map(|op| match op {
            Op::Guard(test, ..) | Op::Compare(test) => Some(test),
            _ => None,
        });
        Some((any, tests.collect::<Option<Vec<_>>>()?))
    }

    /// Evaluates the filter; `load` gives a field's value for this event, or `None` when it
    /// has none (a sequence element past the end, a string without its NUL…), which makes
    /// the whole filter false.
    pub fn matches<'v>(&'v self, load: impl FnMut(&'v L) -> Option<FieldValue<'v>>) -> bool {
        self.eval(&mut ByClosure(load))
    }

    /// Evaluates the filter with `fields` giving the field values.
    #[inline]
    pub fn eval<'v>(&'v self, fields: &mut impl Fields<'v, L>) -> bool {
        if let Some(answer) = self.constant {
            return answer;
        }
        if let Some(any) = self.tests_only {
            return self.run_tests(any, fields).unwrap_or(false);
        }
        // The smallest stack that fits: initializing it is part of every evaluation.
        let outcome = match self.depth {
            0..=1 => self.run::<1>(fields),
            2..=4 => self.run::<4>(fields),
            _ => self.run::<MAX_STACK>(fields),
        };
        outcome.unwrap_or(false)
    }

    /// Tests until one decides the chain (`any`: one passes; else: one fails), or the last.
    #[inline]
    fn run_tests<'v>(&'v self, any: bool, fields: &mut impl Fields<'v, L>) -> Result<bool> {
        let mut outcome = any;
        for op in &self.ops {
            let (Op::Guard(test, ..) | Op::Compare(test)) = op else {
                return Err(Fault);
            };
            outcome = test.passes(fields)?;
            if outcome == any {
                break;
            }
        }
        Ok(outcome)
    }

    #[inline(never)]
    fn run<'v, const N: usize>(&'v self, fields: &mut impl Fields<'v, L>) -> Result<bool> {
        let mut stack = Stack {
            values: [Value::Int(0); N],
            len: 0,
        };
        let mut pc = 0;
        while let Some(op) = self.ops.get(pc) {
            pc += 1;
            match op {
                Op::Push(c) => stack.push(c.value())?,
                Op::Load(handle) => stack.push(load(fields, handle)?)?,
                Op::Compare(test) => stack.push(Value::Int(i64::from(test.passes(fields)?)))?,
                Op::Guard(test, any, end) => {
                    if test.passes(fields)? == *any {
                        stack.push(Value::Int(i64::from(*any)))?;
                        pc = *end as usize;
                    }
                }
                Op::Unary(u) => {
                    let top = stack.top()?;
                    *top = top.unary(*u)?;
                }
                Op::Binary(b) => {
                    let right = stack.pop()?;
                    let top = stack.top()?;
                    *top = top.binary(*b, right)?;
                }
                Op::ToInt => {
                    let top = stack.top()?;
                    *top = top.to_int()?;
                }
                Op::AllStep(end) => {
                    if stack.top()?.truth()? == 0 {
                        pc = *end as usize;
                    } else {
                        stack.pop()?;
                    }
                }
                Op::AnyStep(end) => {
                    let top = stack.top()?;
                    if top.truth()? != 0 {
                        *top = Value::Int(1);
                        pc = *end as usize;
                    } else {
                        stack.pop()?;
                    }
                }
                Op::Fail => return Err(Fault),
            }
        }
        Ok(stack.pop()?.accepts())
    }
}

#[inline]
fn load<'v, L>(fields: &mut impl Fields<'v, L>, handle: &'v L) -> Result<Value<'v>> {
    fields.value(handle).map(Value::from).ok_or(Fault)
}

#[inline]
fn int_compare(op: BinaryOp, v: i64, k: i64) -> bool {
    match op {
        BinaryOp::Eq => v == k,
        BinaryOp::Ne => v != k,
        BinaryOp::Lt => v < k,
        BinaryOp::Le => v <= k,
        BinaryOp::Gt => v > k,
        _ => v >= k,
    }
}

/// The evaluation stack: fixed size, on the caller's stack.
struct Stack<'v, const N: usize> {
    values: [Value<'v>; N],
    len: usize,
}

impl<'v, const N: usize> Stack<'v, N> {
    #[inline]
    fn push(&mut self, v: Value<'v>) -> Result<()> {
        *self.values.get_mut(self.len).ok_or(Fault)? = v;
        self.len += 1;
        Ok(())
    }

    #[inline]
    fn pop(&mut self) -> Result<Value<'v>> {
        self.len = self.len.checked_sub(1).ok_or(Fault)?;
        Ok(self.values[self.len])
    }

    #[inline]
    fn top(&mut self) -> Result<&mut Value<'v>> {
        let last = self.len.checked_sub(1).ok_or(Fault)?;
        Ok(&mut self.values[last])
    }
}

/// Binds `ast` with `resolve`, which maps a field path to a handle and the field's type.
pub(crate) fn bind<L>(
    ast: &Ast,
    mut resolve: impl FnMut(&FieldPath) -> Option<(L, ValueKind)>,
) -> Program<L> {
    let mut missing = false;
    let tree = lower(ast, ast.root, &mut resolve, &mut missing);
    let tree = match tree {
        _ if missing => Tree::Const(Constant::Int(0)),
        t if matches!(t.kind(), Some(Kind::Float | Kind::Str | Kind::Glob)) => Tree::Fail,
        t => t,
    };
    let constant = match &tree {
        Tree::Const(c) => Some(c.value().accepts()),
        Tree::Fail => Some(false),
        _ => None,
    };
    let mut ops = Vec::new();
    if constant.is_none() {
        emit(tree, &mut ops);
    }
    let depth = stack_depth(&ops);
    let tests_only = tests_only(&ops);
    Program {
        ops,
        constant,
        depth,
        tests_only,
    }
}

/// `Some(any)` when `ops` are guards of one `&&` (`any` false) or `||` chain jumping to its
/// end, then one comparison; a lone comparison counts as an `&&` chain.
fn tests_only<L>(ops: &[Op<L>]) -> Option<bool> {
    let (Op::Compare(_), guards) = ops.split_last()? else {
        return None;
    };
    let any = match guards.first() {
        Some(Op::Guard(_, any, _)) => *any,
        Some(_) => return None,
        None => false,
    };
    let end = ops.len() as u32;
    guards
        .iter()
        .all(|op| matches!(op, Op::Guard(_, a, e) if *a == any && *e == end))
        .then_some(any)
}

/// Most values `ops` hold on the stack at once (a jump leaves what falling through would).
fn stack_depth<L>(ops: &[Op<L>]) -> usize {
    let (mut now, mut most) = (0usize, 0usize);
    for op in ops {
        match op {
            Op::Push(_) | Op::Load(_) | Op::Compare(_) => now += 1,
            Op::Guard(..) => most = most.max(now + 1),
            Op::Binary(_) | Op::AllStep(_) | Op::AnyStep(_) => now = now.saturating_sub(1),
            Op::Unary(_) | Op::ToInt | Op::Fail => {}
        }
        most = most.max(now);
    }
    most
}

/// The folded tree of node `id`. Sets `missing` when a field cannot be resolved.
fn lower<L>(
    ast: &Ast,
    id: NodeId,
    resolve: &mut impl FnMut(&FieldPath) -> Option<(L, ValueKind)>,
    missing: &mut bool,
) -> Tree<L> {
    let node = ast.node(id);
    match &node.kind {
        NodeKind::Int(v) => Tree::Const(Constant::Int(*v)),
        NodeKind::Float(d) => Tree::Const(Constant::Float(*d)),
        NodeKind::Str(text, LitKind::Glob) => Tree::Const(Constant::Glob(text.clone().into())),
        NodeKind::Str(text, _) => Tree::Const(Constant::Str(text.clone().into())),
        NodeKind::Field(path) => match resolve(path) {
            Some((handle, kind)) => Tree::Load(handle, kind.into()),
            None => {
                *missing = true;
                Tree::Fail
            }
        },
        NodeKind::Unary(op, operand) => fold_unary(*op, lower(ast, *operand, resolve, missing)),
        NodeKind::Binary(op, l, r) => {
            let left = lower(ast, *l, resolve, missing);
            let right = lower(ast, *r, resolve, missing);
            fold_binary(*op, left, right)
        }
        NodeKind::All(operands) | NodeKind::Any(operands) => {
            let any = matches!(node.kind, NodeKind::Any(_));
            let trees = operands.iter().map(|&operand| {
                let tree = lower(ast, operand, resolve, missing);
                match ast.node(operand).class {
                    Class::Field | Class::Float => fold_to_int(tree),
                    _ => tree,
                }
            });
            fold_chain(any, trees)
        }
    }
}

fn fold_unary<L>(op: UnaryOp, operand: Tree<L>) -> Tree<L> {
    match operand {
        Tree::Fail => Tree::Fail,
        Tree::Const(c) => match c.value().unary(op) {
            Ok(v) => Tree::Const(Constant::of(v)),
            Err(Fault) => Tree::Fail,
        },
        t if t.kind().is_some_and(|k| unary_faults(op, k)) => Tree::Fail,
        t => Tree::Unary(op, Box::new(t)),
    }
}

fn fold_binary<L>(op: BinaryOp, left: Tree<L>, right: Tree<L>) -> Tree<L> {
    match (left, right) {
        (Tree::Fail, _) | (_, Tree::Fail) => Tree::Fail,
        (Tree::Const(a), Tree::Const(b)) => match a.value().binary(op, b.value()) {
            Ok(v) => Tree::Const(Constant::of(v)),
            Err(Fault) => Tree::Fail,
        },
        (l, r) => match (l.kind(), r.kind()) {
            (Some(lk), Some(rk)) if binary_faults(op, lk, rk) => Tree::Fail,
            _ => Tree::Binary(op, Box::new(l), Box::new(r)),
        },
    }
}

fn fold_to_int<L>(operand: Tree<L>) -> Tree<L> {
    match operand {
        Tree::Fail => Tree::Fail,
        Tree::Const(c) => match c.value().to_int() {
            Ok(v) => Tree::Const(Constant::of(v)),
            Err(Fault) => Tree::Fail,
        },
        t if t.kind() == Some(Kind::Int) => t,
        t if matches!(t.kind(), Some(Kind::Str | Kind::Glob)) => Tree::Fail,
        t => Tree::ToInt(Box::new(t)),
    }
}

/// An `&&` (or, with `any`, `||`) chain with its constant operands folded away.
fn fold_chain<L>(any: bool, operands: impl Iterator<Item = Tree<L>>) -> Tree<L> {
    let mut kept: Vec<Tree<L>> = Vec::new();
    for tree in operands {
        match tree {
            Tree::Const(Constant::Int(v)) => {
                let decides = if any { v != 0 } else { v == 0 };
                if decides {
                    kept.push(Tree::Const(Constant::Int(if any { 1 } else { 0 })));
                    break;
                }
                kept.push(Tree::Const(Constant::Int(v)));
            }
            Tree::Fail => {
                kept.push(Tree::Fail);
                break;
            }
            t => kept.push(t),
        }
    }
    // A constant that does not decide passes through: drop it unless it is the last one.
    let last = kept.len().saturating_sub(1);
    let mut index = 0;
    kept.retain(|t| {
        let keep = index == last || !matches!(t, Tree::Const(_));
        index += 1;
        keep
    });
    if kept.len() == 1 {
        return kept.pop().unwrap_or(Tree::Fail);
    }
    if any {
        Tree::Any(kept)
    } else {
        Tree::All(kept)
    }
}

/// Appends the postfix operations of `tree` to `ops`.
fn emit<L>(tree: Tree<L>, ops: &mut Vec<Op<L>>) {
    match tree {
        Tree::Const(c) => ops.push(Op::Push(c)),
        Tree::Load(handle, _) => ops.push(Op::Load(handle)),
        Tree::Unary(op, t) => {
            emit(*t, ops);
            ops.push(Op::Unary(op));
        }
        Tree::Binary(op, l, r) => emit_binary(op, *l, *r, ops),
        Tree::ToInt(t) => {
            emit(*t, ops);
            ops.push(Op::ToInt);
        }
        Tree::All(ts) | Tree::Any(ts) if ts.is_empty() => ops.push(Op::Fail),
        Tree::All(ts) => emit_chain(false, ts, ops),
        Tree::Any(ts) => emit_chain(true, ts, ops),
        Tree::Fail => ops.push(Op::Fail),
    }
}

fn emit_binary<L>(op: BinaryOp, left: Tree<L>, right: Tree<L>, ops: &mut Vec<Op<L>>) {
    match test(op, left, right) {
        Ok(test) => ops.push(Op::Compare(test)),
        Err((left, right)) => {
            emit(left, ops);
            emit(right, ops);
            ops.push(Op::Binary(op));
        }
    }
}

/// The single test `left OP right` is when it compares a field with a constant; else the
/// operands back.
fn test<L>(
    op: BinaryOp,
    left: Tree<L>,
    right: Tree<L>,
) -> std::result::Result<Test<L>, (Tree<L>, Tree<L>)> {
    if !op.is_comparison() {
        return Err((left, right));
    }
    let (handle, kind, constant, op) = match (left, right) {
        (Tree::Load(handle, kind), Tree::Const(c)) => (handle, kind, c, op),
        (Tree::Const(c), Tree::Load(handle, kind)) => (handle, kind, c, mirror(op)),
        other => return Err(other),
    };
    let equality = op == BinaryOp::Eq || op == BinaryOp::Ne;
    Ok(match (kind, constant) {
        (Kind::Int, Constant::Int(k)) => Test::Int(handle, op, k),
        (Kind::Str, c) if equality => match Pattern::of(&c) {
            Some(pattern) => Test::Text(handle, op == BinaryOp::Eq, pattern),
            None => Test::Any(handle, op, c),
        },
        (_, c) => Test::Any(handle, op, c),
    })
}

/// `b OP a` written as `a MIRROR b`.
fn mirror(op: BinaryOp) -> BinaryOp {
    match op {
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::Le => BinaryOp::Ge,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::Ge => BinaryOp::Le,
        other => other,
    }
}

fn emit_chain<L>(any: bool, trees: Vec<Tree<L>>, ops: &mut Vec<Op<L>>) {
    let count = trees.len();
    let mut jumps = Vec::with_capacity(count);
    for (i, tree) in trees.into_iter().enumerate() {
        if i + 1 == count {
            emit(tree, ops);
            break;
        }
        let step = match chain_test(tree) {
            Ok(test) => Op::Guard(test, any, 0),
            Err(tree) => {
                emit(tree, ops);
                if any {
                    Op::AnyStep(0)
                } else {
                    Op::AllStep(0)
                }
            }
        };
        jumps.push(ops.len());
        ops.push(step);
    }
    let end = ops.len() as u32;
    for at in jumps {
        if let Op::Guard(_, _, target) | Op::AnyStep(target) | Op::AllStep(target) = &mut ops[at] {
            *target = end;
        }
    }
}

/// The test a chain operand is when it compares a field with a constant; else the operand.
fn chain_test<L>(tree: Tree<L>) -> std::result::Result<Test<L>, Tree<L>> {
    match tree {
        Tree::Binary(op, l, r) => {
            test(op, *l, *r).map_err(|(l, r)| Tree::Binary(op, Box::new(l), Box::new(r)))
        }
        other => Err(other),
    }
}
