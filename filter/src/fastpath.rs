//! Record time, the common shapes: a filter that is only field-versus-constant tests joined
//! by `&&` or by `||` (a lone comparison is such a chain), evaluated as a short loop instead of
//! the general program. An integer field at a fixed offset compared with an integer constant
//! (`b < 0`, `flags == 3`) becomes a range check on the bytes, read with their width,
//! byte order and sign decided when binding; every other test (strings, floats, fields after
//! a string, context fields) runs as the program would run it.
//!
//! The answers are the program's, bit for bit: tests run in the same order, the first that
//! decides the chain stops it, and a test that cannot read its field (the payload is cut
//! short) makes the whole filter false. `tests/eval.rs` checks the two against each other on
//! random expressions and payloads.

use crate::ast::BinaryOp;
use crate::layout::ContextValues;
use crate::payload::{Event, Handle, Place, Read, Size};
use crate::program::{Program, Test};

/// How a bound filter is evaluated on a payload.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Plan {
    /// One integer test.
    Int(IntTest),
    /// Tests joined by `&&` (`any` false) or `||` (`any` true).
    Chain { any: bool, checks: Box<[Check]> },
    /// The general program.
    Program,
}

impl Plan {
    /// The plan for `program`, bound to payload fields.
    pub(crate) fn of(program: &Program<Handle>) -> Plan {
        let Some((any, tests)) = program.tests() else {
            return Plan::Program;
        };
        let checks: Box<[Check]> = tests.into_iter().map(Check::of).collect();
        match &*checks {
            [Check::Int(one)] => Plan::Int(*one),
            _ => Plan::Chain { any, checks },
        }
    }

    /// The filter's answer for the event whose payload is `payload`; `None` for `Program`.
    #[inline(always)]
    pub(crate) fn matches<C: ContextValues + ?Sized>(
        &self,
        payload: &[u8],
        sizes: &[Size],
        context: &C,
    ) -> Option<bool> {
        match self {
            Plan::Int(test) => Some(test.passes(payload)),
            Plan::Chain { any, checks } => {
                let mut event = Event {
                    sizes,
                    payload,
                    context,
                };
                Some(chain(*any, checks, &mut event))
            }
            Plan::Program => None,
        }
    }
}

/// Runs `checks` until one decides the chain: one passing (`any`) or failing (else).
#[inline]
fn chain<'v, C: ContextValues + ?Sized>(
    any: bool,
    checks: &'v [Check],
    event: &mut Event<'v, C>,
) -> bool {
    for check in checks {
        let passes = match check {
            Check::Int(int) => int.test(event.payload),
            Check::Test(test) => test.passes(event).ok(),
        };
        match passes {
            None => return false,
            Some(outcome) if outcome == any => return any,
            Some(_) => {}
        }
    }
    !any
}

/// One test of a chain.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Check {
    Int(IntTest),
    /// Any other test, run as the program runs it.
    Test(Test<Handle>),
}

impl Check {
    fn of(test: &Test<Handle>) -> Check {
        match test {
            Test::Int(Handle::Payload(Place::Fixed(at), read), op, k) => {
                IntTest::new(*at, read, *op, *k)
                    .map_or_else(|| Check::Test(test.clone()), Check::Int)
            }
            other => Check::Test(other.clone()),
        }
    }
}

/// One comparison of an integer field at a fixed place of the payload with a constant
/// (`b < 0`, `flags == 3`), the commonest filter, ready to run inline: see
/// [`Bound::int_test`](crate::Bound::int_test). It passes when the field's value, as a
/// 64-bit signed integer, is in `lo..=lo + span` (or, with `outside`, is not).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IntTest {
    at: usize,
    /// 1, 2, 4 or 8.
    bytes: usize,
    big_endian: bool,
    /// Sign extension: the value is `((raw << extend) as i64) >> extend`.
    extend: u32,
    lo: i64,
    span: u64,
    outside: bool,
}

impl IntTest {
    /// The check of `read` at `at` against `op k`, if it is a plain integer of 1, 2, 4 or 8 bytes.
    fn new(at: usize, read: &Read, op: BinaryOp, k: i64) -> Option<IntTest> {
        let (layout, bytes, at) = match *read {
            Read::Int(layout, bytes) => (layout, bytes, at),
            Read::Element(layout, bytes, offset) => (layout, bytes, at.checked_add(offset)?),
            _ => return None,
        };
        if !matches!(bytes, 1 | 2 | 4 | 8) {
            return None;
        }
        let (lo, span, outside) = range(op, k)?;
        Some(IntTest {
            at,
            bytes,
            big_endian: layout.big_endian,
            extend: if layout.signed {
                64 - 8 * bytes as u32
            } else {
                0
            },
            lo,
            span,
            outside,
        })
    }

    /// Whether the event whose serialized payload is `payload` passes (false when the
    /// payload is too short to hold the field, as for any filter).
    #[inline(always)]
    pub fn passes(&self, payload: &[u8]) -> bool {
        self.test(payload).unwrap_or(false)
    }

    /// Whether the field passes; `None` when the payload is too short to hold it.
    #[inline(always)]
    fn test(&self, payload: &[u8]) -> Option<bool> {
        let v = self.value(payload)?;
        Some((v.wrapping_sub(self.lo) as u64 <= self.span) != self.outside)
    }

    /// The field's value as LTTng loads it.
    #[inline(always)]
    fn value(&self, payload: &[u8]) -> Option<i64> {
        let rest = payload.get(self.at..)?;
        let raw = match self.bytes {
            1 => u64::from(*rest.first()?),
            2 => u64::from(u16::from_le_bytes(*rest.first_chunk()?)),
            4 => u64::from(u32::from_le_bytes(*rest.first_chunk()?)),
            _ => u64::from_le_bytes(*rest.first_chunk()?),
        };
        let raw = if self.big_endian {
            raw.swap_bytes() >> (64 - 8 * self.bytes as u32)
        } else {
            raw
        };
        Some(((raw << self.extend) as i64) >> self.extend)
    }
}

/// The comparison `v OP k` as a range: `(lo, span, outside)`, true when `lo <= v <= lo + span`
/// differs from `outside`.
fn range(op: BinaryOp, k: i64) -> Option<(i64, u64, bool)> {
    const NONE: (i64, u64, bool) = (i64::MIN, u64::MAX, true);
    let up_to = |hi: i64| (i64::MIN, hi.wrapping_sub(i64::MIN) as u64, false);
    let from = |lo: i64| (lo, i64::MAX.wrapping_sub(lo) as u64, false);
    Some(match op {
        BinaryOp::Eq => (k, 0, false),
        BinaryOp::Ne => (k, 0, true),
        BinaryOp::Lt => k.checked_sub(1).map_or(NONE, up_to),
        BinaryOp::Le => up_to(k),
        BinaryOp::Gt => k.checked_add(1).map_or(NONE, from),
        BinaryOp::Ge => from(k),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_agree_with_the_comparisons() {
        let edges = [
            i64::MIN,
            i64::MIN + 1,
            -2,
            -1,
            0,
            1,
            2,
            i64::MAX - 1,
            i64::MAX,
        ];
        let ops = [
            BinaryOp::Eq,
            BinaryOp::Ne,
            BinaryOp::Lt,
            BinaryOp::Le,
            BinaryOp::Gt,
            BinaryOp::Ge,
        ];
        for op in ops {
            for k in edges {
                let (lo, span, outside) = range(op, k).expect("a comparison");
                for v in edges {
                    let expected = match op {
                        BinaryOp::Eq => v == k,
                        BinaryOp::Ne => v != k,
                        BinaryOp::Lt => v < k,
                        BinaryOp::Le => v <= k,
                        BinaryOp::Gt => v > k,
                        _ => v >= k,
                    };
                    let got = (v.wrapping_sub(lo) as u64 <= span) != outside;
                    assert_eq!(got, expected, "{v} {} {k}", op.symbol());
                }
            }
        }
    }
}
