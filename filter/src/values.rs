//! Record time, before serializing: a filter that is only comparisons of integer fields with
//! constants, joined by `&&` or by `||`, stated on the fields' values rather than on payload
//! bytes. UST's generated C serializer has those values in hand (they are the tracepoint's
//! arguments), so it can run such a filter before it asks for room, and a rejected event
//! then costs a few instructions and no copy.
//!
//! Each test is a range, as in `fastpath`: `v OP k` holds when `v - lo`, as an unsigned
//! 64-bit number, is at most `span` (or, with `outside`, when it is not). The answers are the
//! payload filter's for the payload the serializer would write from the same values: tests
//! run in the same order and the first that decides the chain stops it. `tests/eval.rs`
//! checks the two against each other on random expressions and values.

use crate::fastpath::range;
use crate::payload::{Handle, Read};
use crate::program::{Program, Test};

/// One comparison of a top-level integer field's value, as a 64-bit signed integer (the
/// field's C value converted to `int64_t`), with a constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueTest {
    /// The field's index in the layout the filter was bound to.
    pub field: usize,
    pub lo: i64,
    pub span: u64,
    pub outside: bool,
}

impl ValueTest {
    /// Whether the field's value `v` passes.
    #[inline]
    pub fn holds(&self, v: i64) -> bool {
        (v.wrapping_sub(self.lo) as u64 <= self.span) != self.outside
    }
}

/// A filter as value tests joined by `||` (`any`) or `&&`; see [`Bound::value_tests`](crate::Bound::value_tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueTests {
    pub any: bool,
    pub tests: Vec<ValueTest>,
}

impl ValueTests {
    /// The tests of `program`, when it is such a chain on little-endian top-level integer
    /// fields (big-endian fields are given to the serializer in network order: their C value
    /// is not the number the filter compares).
    pub(crate) fn of(program: &Program<Handle>) -> Option<ValueTests> {
        let (any, tests) = program.tests()?;
        let tests = tests
            .into_iter()
            .map(|test| match test {
                Test::Int(Handle::Payload(_, Read::Int(layout, _), Some(field)), op, k)
                    if !layout.big_endian =>
                {
                    let (lo, span, outside) = range(*op, *k)?;
                    Some(ValueTest {
                        field: *field,
                        lo,
                        span,
                        outside,
                    })
                }
                _ => None,
            })
            .collect::<Option<Vec<_>>>()?;
        Some(ValueTests { any, tests })
    }

    /// Whether an event whose fields have `values` (indexed as the layout's fields; others
    /// than the tested ones are ignored) passes; a test of a field `values` lacks fails the
    /// whole filter.
    pub fn passes(&self, values: &[i64]) -> bool {
        for test in &self.tests {
            let Some(&v) = values.get(test.field) else {
                return false;
            };
            if test.holds(v) == self.any {
                return self.any;
            }
        }
        !self.any
    }
}
