//! `ust view --filter EXPR`: LTTng's filter expressions applied when reading, on any trace
//! `ust view` reads.
//!
//! The expression is bound once per event class (its fields resolved with the reader's
//! `lookup`, a field the class lacks making it false for all that class's events, as when
//! recording), then evaluated on the values each event carries. The language and its
//! semantics are the `ust-filter` crate's, the same the runtime applies when recording.

use ust_filter::{FieldPath, FieldValue, Filter, ParseError, Program, Scope, Segment, ValueKind};
use ust_reader::lookup::{self, FieldRef, Lookup, Step, Value, ValueType};
use ust_reader::Event;

/// The expression, and its binding to each event class met so far.
pub struct ExprFilter {
    filter: Filter,
    /// [stream][event class] → the bound expression (None until first met).
    bound: Vec<Vec<Option<ClassFilter>>>,
    lookup: Lookup,
    /// Per field path of the expression (in `Filter::paths` order): found in some event class.
    found: Vec<bool>,
    /// Whether any event class was met.
    met: bool,
}

/// The expression bound to one event class: field handles index `fields`.
struct ClassFilter {
    program: Program<usize>,
    fields: Vec<FieldRef>,
}

impl ExprFilter {
    pub fn new(source: &str) -> Result<ExprFilter, ParseError> {
        let filter = Filter::parse(source)?;
        let paths = filter.paths().count();
        Ok(ExprFilter {
            filter,
            bound: Vec::new(),
            lookup: Lookup::new(),
            found: vec![false; paths],
            met: false,
        })
    }

    /// The fields the expression names that no event read so far has: a typo, or a context
    /// the trace does not record. The expression was false for every event because of them.
    pub fn never_found(&self) -> Vec<String> {
        if !self.met {
            return Vec::new();
        }
        let mut missing: Vec<String> = self
            .filter
            .paths()
            .zip(&self.found)
            .filter(|(_, &found)| !found)
            .map(|(path, _)| path.to_string())
            .collect();
        missing.dedup();
        missing
    }

    /// Whether `event` passes the expression. An event whose fields cannot be decoded does
    /// not (the reader reports the decoding error when it prints the event).
    pub fn accepts(&mut self, event: &Event<'_>) -> bool {
        if self.bound.len() <= event.stream {
            self.bound.resize_with(event.stream + 1, Vec::new);
        }
        let classes = &mut self.bound[event.stream];
        let class = event.cursor.event.class;
        if classes.len() <= class {
            classes.resize_with(class + 1, || None);
        }
        let (filter, found) = (&self.filter, &mut self.found);
        let bound = classes[class].get_or_insert_with(|| bind(filter, event, found));
        self.met = true;
        if let Some(answer) = bound.program.constant() {
            return answer;
        }
        if self.lookup.read(event, &bound.fields).is_err() {
            return false;
        }
        let lookup = &self.lookup;
        bound.program.matches(|&index| {
            Some(match lookup.value(index)? {
                Value::Int(v) => FieldValue::Int(v),
                Value::Float(d) => FieldValue::Float(d),
                Value::Text(t) => FieldValue::Text(t),
            })
        })
    }
}

/// Binds `filter` to the class of `event`; marks in `found` the paths this class has.
fn bind(filter: &Filter, event: &Event<'_>, found: &mut [bool]) -> ClassFilter {
    let meta = event.meta();
    let class = event.class();
    let stream_class = event.cursor.packet.stream_class;
    for (path, found) in filter.paths().zip(found.iter_mut()) {
        let field = resolve(
            path,
            |steps| lookup::payload_field(class, steps),
            |name| lookup::context_field(meta, stream_class, class, name),
        );
        *found |= field.is_some();
    }
    let mut fields = Vec::new();
    let program = filter.bind(|path| {
        let field = resolve(
            path,
            |steps| lookup::payload_field(class, steps),
            |name| lookup::context_field(meta, stream_class, class, name),
        )?;
        let kind = match field.kind {
            ValueType::Int => ValueKind::Int,
            ValueType::Float => ValueKind::Float,
            ValueType::Text => ValueKind::Text,
        };
        fields.push(field);
        Some((fields.len() - 1, kind))
    });
    ClassFilter { program, fields }
}

/// Resolves a payload path with `payload`, a `$ctx.NAME` with `context`. `$app.` contexts
/// are LTTng-UST's application contexts, which traces do not name that way: never found.
fn resolve(
    path: &FieldPath,
    payload: impl FnOnce(&[Step<'_>]) -> Option<FieldRef>,
    context: impl FnOnce(&str) -> Option<FieldRef>,
) -> Option<FieldRef> {
    match (path.scope, path.segments.as_slice()) {
        (Scope::Payload, segments) => {
            let steps: Vec<Step<'_>> = segments
                .iter()
                .map(|s| match s {
                    Segment::Name(name) => Step::Name(name),
                    Segment::Index(index) => Step::Index(*index),
                })
                .collect();
            payload(&steps)
        }
        (Scope::Context, [Segment::Name(name)]) => context(name),
        _ => None,
    }
}
