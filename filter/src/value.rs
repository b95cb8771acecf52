//! The values an expression computes with, and what each operator does to them: LTTng-UST
//! 2.13's interpreter semantics.
//!
//! Every integer is a 64-bit signed value: unsigned fields keep their bits, so a `uint64_t`
//! of 2^63 or more compares as negative, exactly as in LTTng. Integer against floating
//! point compares as floating point. `&`, `|`, `^`, `<<`, `>>` and `~` work on the unsigned
//! bits (`>>` is a logical shift; a shift count outside 0..=63 is a fault). UST's `+ - * / %`
//! wrap on integers and use floating point when an operand is one; division by zero is a
//! fault. A fault — a type mismatch, a bad shift, a missing sequence element — makes the whole
//! expression false, even under `||`.

use crate::ast::{BinaryOp, UnaryOp};
use crate::text::{compare, glob_matches, Text};

/// One intermediate value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Value<'a> {
    Int(i64),
    Float(f64),
    /// A field's text.
    Str(&'a [u8]),
    /// A string literal's text, escapes kept (its `*` at the end matches any rest).
    Lit(&'a [u8]),
    /// A literal with a `*` elsewhere than at its end: only `==`/`!=` accept it.
    Glob(&'a [u8]),
}

/// Evaluation stopped: the whole expression is false.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fault;

pub(crate) type Result<T> = std::result::Result<T, Fault>;

impl<'a> Value<'a> {
    /// The filter's answer when this is the final value.
    pub(crate) fn accepts(self) -> bool {
        matches!(self, Value::Int(v) if v != 0)
    }

    /// LTTng's cast of a field or floating-point operand of `&&`/`||` to an integer.
    pub(crate) fn to_int(self) -> Result<Value<'a>> {
        match self {
            Value::Int(_) => Ok(self),
            Value::Float(d) => Ok(Value::Int(truncate(d))),
            Value::Str(_) | Value::Lit(_) | Value::Glob(_) => Err(Fault),
        }
    }

    /// The integer an `&&`/`||` operand must be.
    pub(crate) fn truth(self) -> Result<i64> {
        match self {
            Value::Int(v) => Ok(v),
            _ => Err(Fault),
        }
    }

    pub(crate) fn unary(self, op: UnaryOp) -> Result<Value<'a>> {
        Ok(match (op, self) {
            (UnaryOp::Plus, Value::Int(_) | Value::Float(_)) => self,
            (UnaryOp::Minus, Value::Int(v)) => Value::Int(v.wrapping_neg()),
            (UnaryOp::Minus, Value::Float(d)) => Value::Float(-d),
            (UnaryOp::Not, Value::Int(v)) => Value::Int(i64::from(v == 0)),
            (UnaryOp::Not, Value::Float(d)) => Value::Int(i64::from(d == 0.0)),
            (UnaryOp::BitNot, Value::Int(v)) => Value::Int(!v),
            _ => return Err(Fault),
        })
    }

    pub(crate) fn binary(self, op: BinaryOp, right: Value<'a>) -> Result<Value<'a>> {
        if op.is_comparison() {
            return compare_values(op, self, right).map(|b| Value::Int(i64::from(b)));
        }
        if op.is_bitwise() {
            let (Value::Int(l), Value::Int(r)) = (self, right) else {
                return Err(Fault);
            };
            return bitwise(op, l, r).map(Value::Int);
        }
        arithmetic(op, self, right)
    }
}

/// C's `(int64_t) d` on x86-64: out of range and NaN give `INT64_MIN`.
fn truncate(d: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    if (-LIMIT..LIMIT).contains(&d) {
        d as i64
    } else {
        i64::MIN
    }
}

/// A comparison's outcome, or a fault when the operand types do not compare.
pub(crate) fn compare_values(op: BinaryOp, left: Value<'_>, right: Value<'_>) -> Result<bool> {
    use std::cmp::Ordering;
    let ordering = match (left, right) {
        (Value::Int(l), Value::Int(r)) => l.cmp(&r),
        (Value::Int(l), Value::Float(r)) => return Ok(float_compare(op, l as f64, r)),
        (Value::Float(l), Value::Int(r)) => return Ok(float_compare(op, l, r as f64)),
        (Value::Float(l), Value::Float(r)) => return Ok(float_compare(op, l, r)),
        (Value::Glob(g), other) | (other, Value::Glob(g)) => {
            let (Value::Str(s) | Value::Lit(s)) = other else {
                return Err(Fault);
            };
            let equal = glob_matches(g, s);
            return match op {
                BinaryOp::Eq => Ok(equal),
                BinaryOp::Ne => Ok(!equal),
                _ => Err(Fault),
            };
        }
        (l, r) => compare(text(l)?, text(r)?).cmp(&0),
    };
    Ok(match op {
        BinaryOp::Eq => ordering == Ordering::Equal,
        BinaryOp::Ne => ordering != Ordering::Equal,
        BinaryOp::Lt => ordering == Ordering::Less,
        BinaryOp::Le => ordering != Ordering::Greater,
        BinaryOp::Gt => ordering == Ordering::Greater,
        _ => ordering != Ordering::Less,
    })
}

/// A string operand for `compare`.
fn text(v: Value<'_>) -> Result<Text<'_>> {
    match v {
        Value::Str(bytes) => Ok(Text {
            bytes,
            literal: false,
        }),
        Value::Lit(bytes) => Ok(Text {
            bytes,
            literal: true,
        }),
        _ => Err(Fault),
    }
}

fn float_compare(op: BinaryOp, l: f64, r: f64) -> bool {
    match op {
        BinaryOp::Eq => l == r,
        BinaryOp::Ne => l != r,
        BinaryOp::Lt => l < r,
        BinaryOp::Le => l <= r,
        BinaryOp::Gt => l > r,
        _ => l >= r,
    }
}

fn bitwise(op: BinaryOp, l: i64, r: i64) -> Result<i64> {
    let (lu, ru) = (l as u64, r as u64);
    Ok(match op {
        BinaryOp::BitAnd => (lu & ru) as i64,
        BinaryOp::BitOr => (lu | ru) as i64,
        BinaryOp::BitXor => (lu ^ ru) as i64,
        BinaryOp::Shl | BinaryOp::Shr if !(0..64).contains(&r) => return Err(Fault),
        BinaryOp::Shl => (lu << r) as i64,
        _ => (lu >> r) as i64,
    })
}

fn arithmetic<'a>(op: BinaryOp, left: Value<'a>, right: Value<'a>) -> Result<Value<'a>> {
    match (left, right) {
        (Value::Int(l), Value::Int(r)) => Ok(Value::Int(match op {
            BinaryOp::Add => l.wrapping_add(r),
            BinaryOp::Sub => l.wrapping_sub(r),
            BinaryOp::Mul => l.wrapping_mul(r),
            BinaryOp::Div if r == 0 => return Err(Fault),
            BinaryOp::Div => l.wrapping_div(r),
            BinaryOp::Rem if r == 0 => return Err(Fault),
            _ => l.wrapping_rem(r),
        })),
        (Value::Int(l), Value::Float(r)) => float_arithmetic(op, l as f64, r),
        (Value::Float(l), Value::Int(r)) => float_arithmetic(op, l, r as f64),
        (Value::Float(l), Value::Float(r)) => float_arithmetic(op, l, r),
        _ => Err(Fault),
    }
}

fn float_arithmetic<'a>(op: BinaryOp, l: f64, r: f64) -> Result<Value<'a>> {
    Ok(Value::Float(match op {
        BinaryOp::Add => l + r,
        BinaryOp::Sub => l - r,
        BinaryOp::Mul => l * r,
        BinaryOp::Div => l / r,
        _ => l % r,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsigned_bits_compare_signed() {
        let big = Value::Int(u64::MAX as i64);
        assert_eq!(big.binary(BinaryOp::Lt, Value::Int(0)), Ok(Value::Int(1)));
        assert_eq!(
            big.binary(BinaryOp::Lt, Value::Float(0.5)),
            Ok(Value::Int(1))
        );
    }

    #[test]
    fn shifts_are_logical_and_bounded() {
        let neg = Value::Int(-8);
        assert_eq!(
            neg.binary(BinaryOp::Shr, Value::Int(1)),
            Ok(Value::Int(((-8i64 as u64) >> 1) as i64))
        );
        assert_eq!(neg.binary(BinaryOp::Shl, Value::Int(64)), Err(Fault));
        assert_eq!(neg.binary(BinaryOp::Shr, Value::Int(-1)), Err(Fault));
    }

    #[test]
    fn casts_truncate_like_x86() {
        assert_eq!(Value::Float(0.9).to_int(), Ok(Value::Int(0)));
        assert_eq!(Value::Float(-1.9).to_int(), Ok(Value::Int(-1)));
        assert_eq!(Value::Float(1e300).to_int(), Ok(Value::Int(i64::MIN)));
        assert_eq!(Value::Float(f64::NAN).to_int(), Ok(Value::Int(i64::MIN)));
    }

    #[test]
    fn mismatches_fault() {
        let s = Value::Str(b"x");
        assert_eq!(s.binary(BinaryOp::Eq, Value::Int(1)), Err(Fault));
        assert_eq!(s.unary(UnaryOp::Minus), Err(Fault));
        assert_eq!(Value::Float(1.0).unary(UnaryOp::BitNot), Err(Fault));
        assert_eq!(
            Value::Int(1).binary(BinaryOp::Div, Value::Int(0)),
            Err(Fault)
        );
        assert_eq!(
            Value::Glob(b"a*b").binary(BinaryOp::Lt, s),
            Err(Fault),
            "ordering against a glob"
        );
    }
}
