//! Record time, the common shapes: a filter that is only field-versus-constant tests joined
//! by `&&` or by `||` (a lone comparison is such a chain), evaluated as a short loop instead of
//! the general program.
//!
//! - An integer field at a fixed place compared with an integer constant (`b < 0`,
//!   `flags == 3`) is an [`IntTest`]: one 8-byte load, two shifts and a mask chosen when
//!   binding (width, byte order, sign), then one range check, which the runtime runs inline
//!   when it is the whole filter.
//! - A string field at a fixed place compared with a literal (`==`, `!=`, with its `*`) is a
//!   `TextTest`: the literal's first bytes compared as one word, the NUL found a word at a
//!   time.
//! - Every other test (floats, text arrays and sequences, fields after a string, context
//!   fields) runs as the program would run it.
//!
//! The answers are the program's, bit for bit: tests run in the same order, the first that
//! decides the chain stops it, and a test that cannot read its field (the payload is cut
//! short, a string lacks its NUL) makes the whole filter false. `tests/eval.rs` checks the two
//! against each other on random expressions and payloads.

use crate::ast::BinaryOp;
use crate::layout::{ContextValues, IntLayout};
use crate::payload::{nul_position, read_int, Event, Handle, Place, Read, Size};
use crate::program::{Pattern, Program, Test};

/// How a bound filter is evaluated on a payload.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Plan {
    /// Integer tests only.
    Ints(IntTests),
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
        let checks: Vec<Check> = tests.into_iter().map(Check::of).collect();
        let ints: Option<Vec<IntTest>> = checks
            .iter()
            .map(|c| match c {
                Check::Int(test) => Some(*test),
                _ => None,
            })
            .collect();
        match ints.as_deref() {
            Some([first, rest @ ..]) => Plan::Ints(IntTests {
                any,
                first: *first,
                rest: rest.into(),
            }),
            _ => Plan::Chain {
                any,
                checks: checks.into(),
            },
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
            Plan::Ints(tests) => Some(tests.passes(payload)),
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
            Check::Text(text) => text.test(event.payload),
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
    Text(TextTest),
    /// Any other test, run as the program runs it.
    Test(Test<Handle>),
}

impl Check {
    fn of(test: &Test<Handle>) -> Check {
        let special = match test {
            Test::Int(Handle::Payload(Place::Fixed(at), read, _), op, k) => {
                IntTest::new(*at, read, *op, *k).map(Check::Int)
            }
            Test::Text(Handle::Payload(Place::Fixed(at), Read::CString, _), equal, pattern) => {
                TextTest::new(*at, *equal, pattern).map(Check::Text)
            }
            _ => None,
        };
        special.unwrap_or_else(|| Check::Test(test.clone()))
    }
}

/// A filter made only of integer tests joined by `&&` (or, with `any`, `||`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IntTests {
    any: bool,
    first: IntTest,
    rest: Box<[IntTest]>,
}

impl IntTests {
    /// The test, when it is the only one.
    pub(crate) fn single(&self) -> Option<IntTest> {
        self.rest.is_empty().then_some(self.first)
    }

    /// Whether the event whose serialized payload is `payload` passes the filter.
    #[inline(always)]
    pub(crate) fn passes(&self, payload: &[u8]) -> bool {
        match self.first.test(payload) {
            None => false,
            Some(outcome) if outcome == self.any || self.rest.is_empty() => outcome,
            Some(_) => self.passes_rest(payload),
        }
    }

    /// `passes` once the first test did not decide.
    #[inline(never)]
    fn passes_rest(&self, payload: &[u8]) -> bool {
        let mut outcome = !self.any;
        for test in self.rest.iter() {
            match test.test(payload) {
                Some(next) if next == self.any => return next,
                Some(next) => outcome = next,
                None => return false,
            }
        }
        outcome
    }
}

/// One comparison of an integer field at a fixed place of the payload with a constant
/// (`b < 0`, `flags == 3`), the commonest filter, from [`Bound::int_test`](crate::Bound::int_test).
/// It passes when the field's value, as a 64-bit signed integer, is in `lo..=lo + span` (or,
/// with `outside`, is not).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IntTest {
    /// Where the 8 bytes holding the field end: at the field's end, or at 8.
    end: usize,
    /// The field's value, from the 8 bytes read as little-endian (byte-swapped first
    /// when `big_endian`): `((word << up) as i64 >> down) as u64 & mask`.
    up: u32,
    down: u32,
    mask: u64,
    big_endian: bool,
    lo: i64,
    span: u64,
    outside: bool,
    /// The field, for payloads shorter than `end`.
    at: usize,
    layout: IntLayout,
    bytes: usize,
}

impl IntTest {
    /// The test of `read` at `at` against `op k`, if `read` is an integer.
    fn new(at: usize, read: &Read, op: BinaryOp, k: i64) -> Option<IntTest> {
        let (layout, bytes, at) = match *read {
            Read::Int(layout, bytes) => (layout, bytes, at),
            Read::Element(layout, bytes, offset) => (layout, bytes, at.checked_add(offset)?),
            _ => return None,
        };
        if !(1..=8).contains(&bytes) {
            return None;
        }
        let field_end = at.checked_add(bytes)?;
        let end = field_end.max(8);
        let base = end - 8;
        let bits = |n: usize| 8 * n as u32;
        let (lo, span, outside) = range(op, k)?;
        Some(IntTest {
            end,
            up: if layout.big_endian {
                bits(at - base)
            } else {
                64 - bits(field_end - base)
            },
            down: 64 - bits(bytes),
            mask: if layout.signed || bytes == 8 {
                u64::MAX
            } else {
                (1 << bits(bytes)) - 1
            },
            big_endian: layout.big_endian,
            lo,
            span,
            outside,
            at,
            layout,
            bytes,
        })
    }

    /// Whether the event whose serialized payload is `payload` passes, when the payload
    /// holds the 8 bytes this test reads at once (the field and what precedes it, up to 8
    /// bytes): every event but those of fewer than 8 bytes. `None`: ask
    /// [`Bound::matches`](crate::Bound::matches).
    #[inline(always)]
    pub fn passes(&self, payload: &[u8]) -> Option<bool> {
        let word = payload.get(..self.end)?.last_chunk::<8>()?;
        Some(self.holds(self.extract(word)))
    }

    /// Whether the field passes; `None` when the payload is too short to hold it.
    #[inline(always)]
    fn test(&self, payload: &[u8]) -> Option<bool> {
        match payload.get(..self.end).and_then(|p| p.last_chunk::<8>()) {
            Some(word) => Some(self.holds(self.extract(word))),
            None => Some(self.holds(read_int(payload, self.at, self.layout, self.bytes)?)),
        }
    }

    /// Whether `v` passes the comparison.
    #[inline(always)]
    fn holds(&self, v: i64) -> bool {
        (v.wrapping_sub(self.lo) as u64 <= self.span) != self.outside
    }

    /// The field's value, from the 8 bytes that end at `end`.
    #[inline(always)]
    fn extract(&self, word: &[u8; 8]) -> i64 {
        let word = u64::from_le_bytes(*word);
        let word = if self.big_endian {
            word.swap_bytes()
        } else {
            word
        };
        ((((word << self.up) as i64) >> self.down) as u64 & self.mask) as i64
    }
}

/// The comparison `v OP k` as a range: `(lo, span, outside)`, true when `lo <= v <= lo + span`
/// differs from `outside`.
pub(crate) fn range(op: BinaryOp, k: i64) -> Option<(i64, u64, bool)> {
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

/// A NUL-terminated string at a fixed place compared with a literal: `==` (`equal`) or `!=`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TextTest {
    at: usize,
    equal: bool,
    pattern: Pattern,
    /// The first (up to) 8 bytes of an exact or prefix pattern, little-endian, and the mask
    /// of those bytes.
    head: u64,
    head_mask: u64,
}

impl TextTest {
    /// The test, unless the pattern holds a NUL (no text can then equal it).
    fn new(at: usize, equal: bool, pattern: &Pattern) -> Option<TextTest> {
        let bytes: &[u8] = match pattern {
            Pattern::Exact(bytes) | Pattern::Prefix(bytes) => bytes,
            Pattern::Glob(_) => &[],
        };
        if bytes.contains(&0) {
            return None;
        }
        let head = &bytes[..bytes.len().min(8)];
        let mut word = [0u8; 8];
        word[..head.len()].copy_from_slice(head);
        Some(TextTest {
            at,
            equal,
            pattern: pattern.clone(),
            head: u64::from_le_bytes(word),
            head_mask: u64::MAX
                .checked_shr(64 - 8 * head.len() as u32)
                .unwrap_or(0),
        })
    }

    /// Whether the string passes; `None` when the payload holds no string there.
    #[inline]
    fn test(&self, payload: &[u8]) -> Option<bool> {
        let text = payload.get(self.at..)?;
        let matched = match &self.pattern {
            Pattern::Exact(bytes) => {
                let n = bytes.len();
                if self.starts_with(text, bytes) && text.get(n) == Some(&0) {
                    true
                } else {
                    nul_position(text)?;
                    false
                }
            }
            Pattern::Prefix(bytes) => {
                if self.starts_with(text, bytes) {
                    nul_position(&text[bytes.len()..])?;
                    true
                } else {
                    nul_position(text)?;
                    false
                }
            }
            Pattern::Glob(glob) => glob.matches(&text[..nul_position(text)?]),
        };
        Some(matched == self.equal)
    }

    /// Whether `text` starts with `bytes` (the pattern's, whose first 8 are `head`).
    #[inline(always)]
    fn starts_with(&self, text: &[u8], bytes: &[u8]) -> bool {
        match text.first_chunk::<8>() {
            Some(word) if bytes.len() <= 8 => {
                (u64::from_le_bytes(*word) ^ self.head) & self.head_mask == 0
            }
            _ => text.starts_with(bytes),
        }
    }
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

    #[test]
    fn integers_read_from_any_place_width_order_and_sign() {
        let payload: Vec<u8> = (0..24u8).map(|i| i.wrapping_mul(37) ^ 0x95).collect();
        for bits in [8, 16, 24, 32, 40, 48, 56, 64] {
            for signed in [false, true] {
                for big_endian in [false, true] {
                    let layout = IntLayout {
                        bits,
                        signed,
                        big_endian,
                    };
                    let bytes = bits as usize / 8;
                    for at in 0..=payload.len() {
                        let test = IntTest::new(at, &Read::Int(layout, bytes), BinaryOp::Eq, 0)
                            .expect("an integer");
                        for cut in at..=payload.len() {
                            let exact = read_int(&payload[..cut], at, layout, bytes);
                            let word = payload[..cut]
                                .get(..test.end)
                                .and_then(|p| p.last_chunk::<8>());
                            if let (Some(word), Some(exact)) = (word, exact) {
                                assert_eq!(
                                    test.extract(word),
                                    exact,
                                    "{layout:?} at {at}, payload cut at {cut}"
                                );
                            }
                            assert_eq!(word.is_some(), cut >= (at + bytes).max(8));
                        }
                    }
                }
            }
        }
    }
}
