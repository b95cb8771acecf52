//! ns per evaluation of a bound filter on a serialized UST payload: one comparison, a
//! string glob, a 5-clause expression (and, for scale, a filter bound to nothing).
//! `cargo bench -p ust-filter`: prints one line per case.

use std::hint::black_box;
use std::time::Instant;
use ust_filter::*;

fn layout() -> EventLayout {
    let i = |bits, signed| FieldKind::Int(IntLayout::new(bits, signed));
    EventLayout {
        fields: vec![
            FieldLayout::new("a", i(32, true)),
            FieldLayout::new("b", i(32, true)),
            FieldLayout::new("c", i(32, true)),
            FieldLayout::new("name", FieldKind::String),
            FieldLayout::new("duration_ns", i(64, false)),
        ],
    }
}

fn payload() -> Vec<u8> {
    let mut p = Vec::new();
    for v in [7i32, 42, -3] {
        p.extend_from_slice(&v.to_le_bytes());
    }
    p.extend_from_slice(b"db_orders_query\0");
    p.extend_from_slice(&12_000_000u64.to_le_bytes());
    p
}

/// ns per `matches`: the fastest of many short batches, so that time the machine spent on
/// other work (a shared, loaded host) is not counted.
fn measure(name: &str, expr: &str, expect: bool) {
    let context = [
        ContextField::new("vpid", ValueKind::Int),
        ContextField::new("procname", ValueKind::Text),
    ];
    let values = [FieldValue::Int(4242), FieldValue::Text(b"service")];
    let bound = Filter::parse(expr)
        .unwrap()
        .bind_payload(&layout(), &context);
    let payload = payload();
    assert_eq!(bound.matches(&payload, &values[..]), expect, "{expr}");
    const BATCH: u32 = 20_000;
    let mut best = f64::MAX;
    for _ in 0..300 {
        let start = Instant::now();
        for _ in 0..BATCH {
            black_box(one_event(&bound, black_box(&payload), black_box(&values)));
        }
        best = best.min(start.elapsed().as_nanos() as f64 / f64::from(BATCH));
    }
    println!("{name:<28} {best:6.2} ns   {expr}");
}

/// One evaluation, as the runtime makes it: a call with the payload and the context.
#[inline(never)]
fn one_event(bound: &Bound, payload: &[u8], context: &[FieldValue<'_>]) -> bool {
    bound.matches(payload, context)
}

fn main() {
    println!("filter evaluation on a serialized payload (best of 300 batches):");
    measure("one comparison", "a > 5", true);
    measure("one comparison, rejecting", "a > 50", false);
    measure("string glob", r#"name == "db_*query""#, true);
    measure("string prefix", r#"name == "db_*""#, true);
    measure(
        "5 clauses",
        r#"a > 5 && b == 42 && c < 0 && name == "db_*" && $ctx.vpid == 4242"#,
        true,
    );
    measure("field after a string", "duration_ns > 10000000", true);
    measure("missing field (constant)", "nope == 1", false);
}
