//! Filters at record time: LTTng's filter expressions (the `ust-filter`
//! crate) bound to one event's payload layout, with the context fields a
//! program can offer (`$ctx.vpid`, `$ctx.vtid`, `$ctx.procname`,
//! `$ctx.cpu_id`), as the `RecordFilter` of a handle's target (see
//! `handle`). A recording with several filters (several `ust enable` rules
//! of one channel) keeps an event if any of them accepts it.
//!
//! Binding happens once, when the event is enabled; `accepts` runs on the
//! hot path: no allocation, no lock, no system call (the thread id comes
//! from the thread's record, the process name is read once).

use crate::grace;
use crate::schema::{EventSchema, FieldType, Int};
use once_cell::sync::OnceCell;
use ust_filter::{
    Bound, ContextField, ContextValues, EventLayout, FieldKind, FieldLayout, FieldValue, Filter,
    IntLayout, IntTest, ParseError, ValueKind, ValueTests,
};

/// The context fields, in the order `Context` gives their values.
fn context_fields() -> [ContextField; 4] {
    [
        ContextField::new("vpid", ValueKind::Int),
        ContextField::new("vtid", ValueKind::Int),
        ContextField::new("procname", ValueKind::Text),
        ContextField::new("cpu_id", ValueKind::Int),
    ]
}

/// Parses filter expressions (an error names the column).
pub fn parse(expr: &str) -> Result<Filter, ParseError> {
    Filter::parse(expr)
}

/// Binds `filters` (any of which keeps an event; none: every event) to
/// `schema`: `None` when every event passes. An event no filter can accept
/// (one naming a field the event lacks, say) still gets a filter, rejecting
/// everything: its call sites stay enabled and evaluate their arguments, as
/// LTTng-UST's do.
pub fn bind(filters: &[Filter], schema: &EventSchema) -> Option<RecordFilter> {
    if filters.is_empty() {
        return None;
    }
    let layout = layout(schema);
    let ctx = context_fields();
    let mut bound = Vec::new();
    for f in filters {
        let b = f.bind_payload(&layout, &ctx);
        match b.constant() {
            Some(true) => return None,
            Some(false) => {}
            None => bound.push(b),
        }
    }
    Some(match <[Bound; 1]>::try_from(bound) {
        Ok([one]) => RecordFilter::One(one),
        Err(several) => RecordFilter::AnyOf(several.into_boxed_slice()),
    })
}

/// Decides, from an event's serialized payload, whether a recording keeps it.
pub enum RecordFilter {
    /// One filter (the common case, evaluated without a loop).
    One(Bound),
    /// Keeps an event if any of these accepts it; none: no event.
    AnyOf(Box<[Bound]>),
}

impl RecordFilter {
    /// The filter as one integer test, when it is one comparison of an
    /// integer field with a constant (the commonest filter): `handle` then
    /// runs it inline.
    pub fn int_test(&self) -> Option<IntTest> {
        match self {
            RecordFilter::One(b) => b.int_test(),
            RecordFilter::AnyOf(_) => None,
        }
    }

    /// The filter as tests of integer field values (see `valuetest`), when
    /// it is one filter made only of such comparisons.
    pub fn value_tests(&self) -> Option<ValueTests> {
        match self {
            RecordFilter::One(b) => b.value_tests(),
            RecordFilter::AnyOf(_) => None,
        }
    }

    /// Whether the event whose payload is `payload` is kept.
    #[inline]
    pub fn accepts(&self, payload: &[u8]) -> bool {
        match self {
            RecordFilter::One(b) => b.matches(payload, &Context),
            RecordFilter::AnyOf(all) => all.iter().any(|b| b.matches(payload, &Context)),
        }
    }
}

/// The context values of the event being recorded, read when asked.
struct Context;

impl ContextValues for Context {
    fn value(&self, index: usize) -> Option<FieldValue<'_>> {
        match index {
            0 => Some(FieldValue::Int(i64::from(crate::channel::current_pid()))),
            1 => grace::current().map(|r| FieldValue::Int(i64::from(r.tid()))),
            2 => Some(FieldValue::Text(procname())),
            3 => Some(FieldValue::Int(i64::from(crate::clock::current_cpu()))),
            _ => None,
        }
    }
}

/// This process's name (`/proc/self/comm`), read once.
fn procname() -> &'static [u8] {
    static NAME: OnceCell<Vec<u8>> = OnceCell::new();
    NAME.get_or_init(|| {
        std::fs::read("/proc/self/comm")
            .map(|mut v| {
                v.retain(|&b| b != b'\n');
                v
            })
            .unwrap_or_default()
    })
}

fn int(i: &Int) -> IntLayout {
    IntLayout {
        bits: i.bits,
        signed: i.signed,
        big_endian: i.network,
    }
}

/// The payload layout of an event, as its serializer writes it (what a filter is bound to,
/// here and in the daemon's snapshot triggers).
pub fn layout(schema: &EventSchema) -> EventLayout {
    let fields = schema
        .fields
        .iter()
        .map(|f| {
            let kind = match &f.ty {
                FieldType::Integer(i) => FieldKind::Int(int(i)),
                FieldType::Enum { container, .. } => FieldKind::Enum(int(container)),
                FieldType::Float { bits } => FieldKind::Float { bits: *bits },
                FieldType::String => FieldKind::String,
                FieldType::Array { elem, len } => FieldKind::Array {
                    elem: int(elem),
                    len: *len,
                    text: elem.text,
                },
                FieldType::Sequence { elem, len_int } => FieldKind::Sequence {
                    len: int(len_int),
                    elem: int(elem),
                    text: elem.text,
                },
            };
            FieldLayout::new(f.name.clone(), kind)
        })
        .collect();
    EventLayout { fields }
}
