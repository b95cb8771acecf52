//! Record time: a filter bound to one event's payload layout, evaluated on its bytes.
//!
//! Binding flattens the layout into its serialized items and gives every field the filter
//! reads a precomputed way to find it: a fixed offset while every item before it has a fixed
//! size, else a walk from the first variable-size item (a string's NUL, a sequence's length).
//! Every read is checked against the payload's length and every size computation against
//! overflow, so scribbled-on bytes make the filter false, never a read out of bounds.

use crate::ast::{FieldPath, Scope, Segment};
use crate::fastpath::{IntTest, Plan};
use crate::layout::{ContextField, ContextValues, EventLayout, FieldKind, FieldLayout, IntLayout};
use crate::program::{FieldValue, Fields, Program, ValueKind};
use crate::values::ValueTests;
use crate::Filter;

/// A filter bound to an event layout and a list of context fields; see [`Filter::bind_payload`].
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    plan: Plan,
    program: Program<Handle>,
    sizes: Vec<Size>,
}

impl Bound {
    /// `Some(answer)` when the answer is the same for every event (e.g. `false` when a field
    /// the filter names is not in the event): the runtime may then skip calling `matches`.
    pub fn constant(&self) -> Option<bool> {
        self.program.constant()
    }

    /// Whether the event whose serialized payload is `payload` passes the filter. Never
    /// allocates, never panics, whatever the bytes.
    #[inline]
    pub fn matches<C: ContextValues + ?Sized>(&self, payload: &[u8], context: &C) -> bool {
        match &self.plan {
            Plan::Ints(tests) => tests.passes(payload),
            _ => self.matches_other(payload, context),
        }
    }

    /// The filter as one integer test, when it is one comparison of an integer field at a
    /// fixed place with a constant (the commonest filter, `b < 0`): `test.passes(payload)`
    /// then answers as `matches` does, in a few instructions inline.
    pub fn int_test(&self) -> Option<IntTest> {
        match &self.plan {
            Plan::Ints(tests) => tests.single(),
            _ => None,
        }
    }

    /// The filter as tests of integer field values, when it is only comparisons of
    /// little-endian top-level integer fields with constants joined by `&&` or by `||`: a
    /// runtime that has the field values before it serializes them may run these instead
    /// of `matches`, with the same answers.
    pub fn value_tests(&self) -> Option<ValueTests> {
        match self.program.constant() {
            Some(_) => None,
            None => ValueTests::of(&self.program),
        }
    }

    /// `matches` for every plan but the one integer test.
    #[inline(never)]
    fn matches_other<C: ContextValues + ?Sized>(&self, payload: &[u8], context: &C) -> bool {
        match self.plan.matches(payload, &self.sizes, context) {
            Some(answer) => answer,
            None => self.interpret(payload, context),
        }
    }

    /// As `matches`, always with the general program, never a shortcut for a common shape
    /// (see `fastpath`): the reference the shortcuts are checked and measured against.
    pub fn interpret<C: ContextValues + ?Sized>(&self, payload: &[u8], context: &C) -> bool {
        self.program.eval(&mut Event {
            sizes: &self.sizes,
            payload,
            context,
        })
    }
}

/// The fields of one event: its payload bytes and its context values.
pub(crate) struct Event<'v, C: ?Sized> {
    pub sizes: &'v [Size],
    pub payload: &'v [u8],
    pub context: &'v C,
}

impl<'v, C: ContextValues + ?Sized> Fields<'v, Handle> for Event<'v, C> {
    #[inline]
    fn value(&mut self, handle: &'v Handle) -> Option<FieldValue<'v>> {
        match handle {
            Handle::Context(index) => self.context.value(*index),
            Handle::Payload(place, read, _) => {
                let at = self.locate(place)?;
                read_value(read, self.payload, at)
            }
        }
    }

    #[inline(always)]
    fn int(&mut self, handle: &'v Handle) -> Option<i64> {
        match handle {
            Handle::Payload(Place::Fixed(at), Read::Int(layout, bytes), _) => {
                read_int(self.payload, *at, *layout, *bytes)
            }
            _ => self.other_int(handle),
        }
    }
}

impl<'v, C: ContextValues + ?Sized> Event<'v, C> {
    /// An integer not at a fixed place: after a variable-size field, or a context.
    #[inline(never)]
    fn other_int(&mut self, handle: &'v Handle) -> Option<i64> {
        match self.value(handle)? {
            FieldValue::Int(v) => Some(v),
            _ => None,
        }
    }
}

impl<C: ?Sized> Event<'_, C> {
    /// Byte offset of an item in the payload.
    #[inline]
    fn locate(&self, place: &Place) -> Option<usize> {
        match *place {
            Place::Fixed(offset) => Some(offset),
            Place::Walk { from, start, to } => {
                let mut at = start;
                for size in self.sizes.get(from as usize..to as usize)? {
                    at = at.checked_add(size.measure(self.payload, at)?)?;
                }
                Some(at)
            }
        }
    }
}

/// How to find a field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Handle {
    /// Where the field's item starts, how to read it, and which top-level field of the
    /// layout it is (`None` for a struct member).
    Payload(Place, Read, Option<usize>),
    Context(usize),
}

/// Where an item starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Place {
    Fixed(usize),
    /// Item `from` starts at `start`; add the sizes of items `from..to`.
    Walk {
        from: u32,
        start: usize,
        to: u32,
    },
}

/// How to read a value where an item starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Read {
    Int(IntLayout, usize),
    Float(usize),
    CString,
    Text(usize),
    SeqText(IntLayout, usize),
    /// An element at this byte offset inside an array.
    Element(IntLayout, usize, usize),
    /// Element `index` of a sequence.
    SeqElement {
        len: IntLayout,
        len_bytes: usize,
        elem: IntLayout,
        elem_bytes: usize,
        index: u64,
    },
}

/// How many bytes an item takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Size {
    Fixed(usize),
    CString,
    Sequence {
        len: IntLayout,
        len_bytes: usize,
        elem_bytes: usize,
    },
    /// A type the filter cannot read: fields after it cannot be found.
    Unknown,
}

impl Size {
    fn measure(self, payload: &[u8], at: usize) -> Option<usize> {
        match self {
            Size::Fixed(n) => Some(n),
            Size::CString => Some(nul_position(payload.get(at..)?)? + 1),
            Size::Sequence {
                len,
                len_bytes,
                elem_bytes,
            } => {
                let count = read_unsigned(payload, at, len, len_bytes)?;
                let body = usize::try_from(count).ok()?.checked_mul(elem_bytes)?;
                body.checked_add(len_bytes)
            }
            Size::Unknown => None,
        }
    }
}

/// One serialized item of a flattened layout.
struct Item<'a> {
    /// Member names from the top-level field down.
    names: Vec<&'a str>,
    /// Its index in the layout's fields, when it is a top-level field.
    top: Option<usize>,
    kind: &'a FieldKind,
    size: Size,
}

fn size_of(kind: &FieldKind) -> Size {
    let fixed = |bytes: Option<usize>| bytes.map_or(Size::Unknown, Size::Fixed);
    match kind {
        FieldKind::Int(i) | FieldKind::Enum(i) => fixed(i.bytes()),
        FieldKind::Float { bits: 32 } => Size::Fixed(4),
        FieldKind::Float { bits: 64 } => Size::Fixed(8),
        FieldKind::Float { .. } => Size::Unknown,
        FieldKind::String => Size::CString,
        FieldKind::Array { elem, len, .. } => {
            fixed(elem.bytes().and_then(|b| b.checked_mul(*len as usize)))
        }
        FieldKind::Sequence { len, elem, .. } => match (len.bytes(), elem.bytes()) {
            (Some(len_bytes), Some(elem_bytes)) => Size::Sequence {
                len: *len,
                len_bytes,
                elem_bytes,
            },
            _ => Size::Unknown,
        },
        FieldKind::Struct(_) => Size::Unknown,
    }
}

fn flatten<'a>(fields: &'a [FieldLayout], prefix: &[&'a str], out: &mut Vec<Item<'a>>) {
    for (index, field) in fields.iter().enumerate() {
        let mut names = prefix.to_vec();
        names.push(&field.name);
        match &field.kind {
            FieldKind::Struct(members) => flatten(members, &names, out),
            kind => out.push(Item {
                names,
                top: prefix.is_empty().then_some(index),
                kind,
                size: size_of(kind),
            }),
        }
    }
}

impl Filter {
    /// Binds this filter to an event whose payload has `layout`, with `context` the context
    /// fields the runtime can give values for. A field the filter names that the event lacks
    /// (or cannot be read: an array without index, an index past a fixed array's end, a text
    /// array indexed) makes the bound filter false for every event, as in LTTng.
    pub fn bind_payload(&self, layout: &EventLayout, context: &[ContextField]) -> Bound {
        let mut items = Vec::new();
        flatten(&layout.fields, &[], &mut items);
        let places = places(&items);
        let program = self.bind(|path| match path.scope {
            Scope::Payload => payload_handle(path, &items, &places),
            Scope::Context | Scope::AppContext => context_handle(path, context),
        });
        Bound {
            plan: Plan::of(&program),
            program,
            sizes: items.iter().map(|item| item.size).collect(),
        }
    }
}

/// Where each item starts: a fixed offset up to the first variable-size item, then walks.
fn places(items: &[Item<'_>]) -> Vec<Place> {
    let mut out = Vec::with_capacity(items.len());
    let mut fixed = Some(0usize);
    let mut anchor: Option<(u32, usize)> = None;
    for (i, item) in items.iter().enumerate() {
        out.push(match (fixed, anchor) {
            (Some(offset), _) => Place::Fixed(offset),
            (None, Some((from, start))) => Place::Walk {
                from,
                start,
                to: i as u32,
            },
            (None, None) => Place::Fixed(usize::MAX),
        });
        match (fixed, item.size) {
            (Some(offset), Size::Fixed(n)) => fixed = offset.checked_add(n),
            (Some(offset), _) => {
                anchor = Some((i as u32, offset));
                fixed = None;
            }
            (None, _) => {}
        }
    }
    out
}

fn payload_handle(
    path: &FieldPath,
    items: &[Item<'_>],
    places: &[Place],
) -> Option<(Handle, ValueKind)> {
    let names: Vec<&str> = path
        .segments
        .iter()
        .map_while(|s| match s {
            Segment::Name(n) => Some(n.as_str()),
            Segment::Index(_) => None,
        })
        .collect();
    let rest = &path.segments[names.len()..];
    let position = items.iter().position(|item| item.names == names)?;
    let (item, place) = (&items[position], places[position]);
    if let Place::Walk { from, .. } = place {
        if items[from as usize..position]
            .iter()
            .any(|i| i.size == Size::Unknown)
        {
            return None;
        }
    }
    let (read, kind) = match (item.kind, rest) {
        (FieldKind::Int(i) | FieldKind::Enum(i), []) => (Read::Int(*i, i.bytes()?), ValueKind::Int),
        (FieldKind::Float { bits: 32 }, []) => (Read::Float(4), ValueKind::Float),
        (FieldKind::Float { bits: 64 }, []) => (Read::Float(8), ValueKind::Float),
        (FieldKind::String, []) => (Read::CString, ValueKind::Text),
        (
            FieldKind::Array {
                len, text: true, ..
            },
            [],
        ) => (Read::Text(*len as usize), ValueKind::Text),
        (
            FieldKind::Sequence {
                len, text: true, ..
            },
            [],
        ) => (Read::SeqText(*len, len.bytes()?), ValueKind::Text),
        (
            FieldKind::Array {
                elem,
                len,
                text: false,
            },
            [Segment::Index(index)],
        ) if *index < u64::from(*len) => {
            let bytes = elem.bytes()?;
            (
                Read::Element(*elem, bytes, bytes * *index as usize),
                ValueKind::Int,
            )
        }
        (
            FieldKind::Sequence {
                len,
                elem,
                text: false,
            },
            [Segment::Index(index)],
        ) => (
            Read::SeqElement {
                len: *len,
                len_bytes: len.bytes()?,
                elem: *elem,
                elem_bytes: elem.bytes()?,
                index: *index,
            },
            ValueKind::Int,
        ),
        _ => return None,
    };
    Some((Handle::Payload(place, read, item.top), kind))
}

fn context_handle(path: &FieldPath, context: &[ContextField]) -> Option<(Handle, ValueKind)> {
    let [Segment::Name(name)] = path.segments.as_slice() else {
        return None;
    };
    let index = context.iter().position(|field| match path.scope {
        Scope::AppContext => field.name.strip_prefix("$app.") == Some(name.as_str()),
        _ => field.name == *name,
    })?;
    Some((Handle::Context(index), context[index].kind))
}

/// The value of `read` for the item starting at `at`.
fn read_value<'p>(read: &Read, payload: &'p [u8], at: usize) -> Option<FieldValue<'p>> {
    Some(match *read {
        Read::Int(layout, bytes) => FieldValue::Int(read_int(payload, at, layout, bytes)?),
        Read::Float(4) => {
            let raw = read_unsigned(payload, at, IntLayout::new(32, false), 4)?;
            FieldValue::Float(f64::from(f32::from_bits(raw as u32)))
        }
        Read::Float(_) => {
            let raw = read_unsigned(payload, at, IntLayout::new(64, false), 8)?;
            FieldValue::Float(f64::from_bits(raw))
        }
        Read::CString => {
            let rest = payload.get(at..)?;
            FieldValue::Text(&rest[..nul_position(rest)?])
        }
        Read::Text(len) => FieldValue::Text(until_nul(payload.get(at..at.checked_add(len)?)?)),
        Read::SeqText(len, len_bytes) => {
            let count = usize::try_from(read_unsigned(payload, at, len, len_bytes)?).ok()?;
            let start = at.checked_add(len_bytes)?;
            FieldValue::Text(until_nul(payload.get(start..start.checked_add(count)?)?))
        }
        Read::Element(elem, bytes, offset) => {
            FieldValue::Int(read_int(payload, at.checked_add(offset)?, elem, bytes)?)
        }
        Read::SeqElement {
            len,
            len_bytes,
            elem,
            elem_bytes,
            index,
        } => {
            let count = read_unsigned(payload, at, len, len_bytes)?;
            if index >= count {
                return None;
            }
            let offset = usize::try_from(index).ok()?.checked_mul(elem_bytes)?;
            let start = at.checked_add(len_bytes)?.checked_add(offset)?;
            FieldValue::Int(read_int(payload, start, elem, elem_bytes)?)
        }
    })
}

/// Index of the first NUL in `bytes`, eight bytes at a time.
#[inline]
pub(crate) fn nul_position(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut chunks = bytes.chunks_exact(8);
    for (i, chunk) in chunks.by_ref().enumerate() {
        let word = u64::from_le_bytes(chunk.try_into().ok()?);
        let zero_bytes = word.wrapping_sub(ONES) & !word & HIGHS;
        if zero_bytes != 0 {
            return Some(i * 8 + zero_bytes.trailing_zeros() as usize / 8);
        }
    }
    let tail = chunks.remainder();
    let done = bytes.len() - tail.len();
    tail.iter().position(|&c| c == 0).map(|n| done + n)
}

fn until_nul(bytes: &[u8]) -> &[u8] {
    nul_position(bytes).map_or(bytes, |n| &bytes[..n])
}

/// The `bytes`-byte integer at `at`, zero-extended.
#[inline]
fn read_unsigned(payload: &[u8], at: usize, layout: IntLayout, bytes: usize) -> Option<u64> {
    let raw = payload.get(at..at.checked_add(bytes)?)?;
    let le = match bytes {
        1 => u64::from(raw[0]),
        2 => u64::from(u16::from_le_bytes(raw.try_into().ok()?)),
        4 => u64::from(u32::from_le_bytes(raw.try_into().ok()?)),
        8 => u64::from_le_bytes(raw.try_into().ok()?),
        _ => raw.iter().rev().fold(0, |acc, &b| acc << 8 | u64::from(b)),
    };
    Some(if layout.big_endian {
        le.swap_bytes() >> (64 - 8 * bytes as u32)
    } else {
        le
    })
}

/// The integer at `at` as LTTng loads it: sign-extended when signed.
#[inline]
pub(crate) fn read_int(payload: &[u8], at: usize, layout: IntLayout, bytes: usize) -> Option<i64> {
    let raw = read_unsigned(payload, at, layout, bytes)?;
    let unused = 64 - 8 * bytes as u32;
    Some(if layout.signed && unused > 0 {
        ((raw << unused) as i64) >> unused
    } else {
        raw as i64
    })
}

#[cfg(test)]
mod tests {
    use super::nul_position;

    #[test]
    fn nul_search_finds_the_first_nul_anywhere() {
        for len in 0..40 {
            for nul in 0..=len {
                let mut bytes: Vec<u8> = (0..len).map(|i| 0x80 | (i as u8 + 1)).collect();
                if nul < len {
                    bytes[nul] = 0;
                    if nul + 3 < len {
                        bytes[nul + 3] = 0;
                    }
                }
                let expected = (nul < len).then_some(nul);
                assert_eq!(nul_position(&bytes), expected, "len {len} nul {nul}");
            }
        }
        assert_eq!(nul_position(&[1, 0x80, 0, 1, 1, 1, 1, 1, 1]), Some(2));
    }
}
