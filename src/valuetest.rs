//! The value tests a handle offers the generated C serializer
//! (`struct ust_event_test`, ABI 1.2): a target's filter, when it is only
//! comparisons of integer fields with constants, stated on the fields'
//! values so that the serializer can reject an event before it reserves
//! room or copies anything.
//!
//! A serializer may load a handle's test at any moment and read it after
//! the handle moved on, so tests are never freed. They are interned: equal
//! tests are one object (so a pointer names what was tested), and a process
//! keeps at most `MAX_TESTS` of them; past that, filters run in libust only,
//! as they do for serializers built before ABI 1.2. Their table's lock is
//! taken while the registry's is held (targets are made when the registry
//! updates an event), so a child of fork() finds it free whenever it finds
//! the registry's free.

use crate::abi::{EventTest, ValueTest, EVENT_TEST_MAX};
use crate::eventfilter::RecordFilter;
use std::sync::Mutex;
use ust_filter::ValueTests;

/// Most distinct tests a process keeps (208 bytes each, never freed).
const MAX_TESTS: usize = 1024;

/// Every test handed out so far.
static TESTS: Mutex<Vec<&'static EventTest>> = Mutex::new(Vec::new());

/// `filter` as the test a serializer runs, when it can be stated on field
/// values and the process has room for one more test.
pub fn of(filter: &RecordFilter) -> Option<&'static EventTest> {
    intern(encode(&filter.value_tests()?)?)
}

/// The C struct of `tests`, when there are 1 to `EVENT_TEST_MAX` of them.
fn encode(tests: &ValueTests) -> Option<EventTest> {
    if tests.tests.is_empty() || tests.tests.len() > EVENT_TEST_MAX {
        return None;
    }
    let mut out = EventTest {
        struct_size: std::mem::size_of::<EventTest>() as u32,
        nr_tests: tests.tests.len() as u32,
        any: u32::from(tests.any),
        reserved: 0,
        tests: [ValueTest::default(); EVENT_TEST_MAX],
    };
    for (slot, test) in out.tests.iter_mut().zip(&tests.tests) {
        *slot = ValueTest {
            field: u32::try_from(test.field).ok()?,
            outside: u32::from(test.outside),
            lo: test.lo,
            span: test.span,
        };
    }
    Some(out)
}

/// The one object equal to `test`, made (and kept forever) when it is new.
fn intern(test: EventTest) -> Option<&'static EventTest> {
    let mut all = TESTS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(same) = all.iter().find(|t| ***t == test) {
        return Some(same);
    }
    if all.len() >= MAX_TESTS {
        return None;
    }
    let made: &'static EventTest = Box::leak(Box::new(test));
    all.push(made);
    Some(made)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eventfilter;
    use crate::schema::{EventSchema, Field, FieldType, Int};

    fn schema() -> EventSchema {
        let int = |name: &str, bits, signed| Field {
            name: name.into(),
            ty: FieldType::Integer(Int {
                bits,
                signed,
                hex: false,
                network: false,
                text: false,
            }),
        };
        EventSchema {
            name: "p:e".into(),
            loglevel: 13,
            signature: String::new(),
            fields: vec![
                int("a", 64, true),
                Field {
                    name: "s".into(),
                    ty: FieldType::String,
                },
                int("b", 32, false),
            ],
            model_emf_uri: None,
        }
    }

    fn test_of(expr: &str) -> Option<&'static EventTest> {
        let filter = eventfilter::parse(expr).expect("an expression");
        of(&eventfilter::bind(&[filter], &schema()).expect("a filter"))
    }

    #[test]
    fn integer_chains_become_tests_of_field_values() {
        let t = test_of("b >= 10 || a == -1").expect("a test");
        assert_eq!((t.nr_tests, t.any), (2, 1));
        assert_eq!(
            (t.tests[0].field, t.tests[0].lo, t.tests[0].outside),
            (2, 10, 0)
        );
        assert_eq!(
            (t.tests[1].field, t.tests[1].lo, t.tests[1].span),
            (0, -1, 0)
        );
        assert!(test_of("s == \"x*\"").is_none());
        assert!(test_of("a == 1 && $ctx.vtid == 2").is_none());
        let nine = ["a != 1"; 9].join(" && ");
        assert!(test_of(&nine).is_none(), "more tests than the struct holds");
    }

    #[test]
    fn equal_tests_are_one_object() {
        let first = test_of("a < 5").expect("a test");
        assert!(std::ptr::eq(first, test_of("a <= 4").expect("a test")));
        assert!(!std::ptr::eq(first, test_of("a < 6").expect("a test")));
    }
}
