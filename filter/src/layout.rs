//! How the runtime describes an event's serialized payload and the context fields it can
//! offer, so that a filter can be bound to them once, when the event is enabled.
//!
//! The payload is UST's: fields packed in declaration order with no alignment padding,
//! integers and floats little-endian (`big_endian` integers are `ctf_integer_network`:
//! their bytes are stored as given and read big-endian, as LTTng and babeltrace2 read them),
//! strings NUL-terminated, arrays as their elements, sequences as their length integer then
//! their elements. A struct is its members in order.

use crate::program::{FieldValue, ValueKind};

/// An integer as stored: 8, 16, 32 or 64 bits (any multiple of 8 up to 64 is read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntLayout {
    pub bits: u32,
    pub signed: bool,
    pub big_endian: bool,
}

impl IntLayout {
    /// A little-endian integer.
    pub const fn new(bits: u32, signed: bool) -> IntLayout {
        IntLayout {
            bits,
            signed,
            big_endian: false,
        }
    }

    /// Its size in bytes, if it is one the filter can read.
    pub(crate) fn bytes(self) -> Option<usize> {
        (self.bits % 8 == 0 && (8..=64).contains(&self.bits)).then_some(self.bits as usize / 8)
    }
}

/// What one payload field is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    Int(IntLayout),
    /// An enumeration: filters see its integer.
    Enum(IntLayout),
    /// `float` (32) or `double` (64), little-endian.
    Float {
        bits: u32,
    },
    /// NUL-terminated.
    String,
    /// `len` elements; `text`: 8-bit characters compared as one string.
    Array {
        elem: IntLayout,
        len: u32,
        text: bool,
    },
    /// A `len` integer, then that many elements; `text` as for arrays.
    Sequence {
        len: IntLayout,
        elem: IntLayout,
        text: bool,
    },
    /// Members in order, packed.
    Struct(Vec<FieldLayout>),
}

/// One payload field: its name as the provider declared it (no leading `_`) and its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldLayout {
    pub name: String,
    pub kind: FieldKind,
}

impl FieldLayout {
    pub fn new(name: impl Into<String>, kind: FieldKind) -> FieldLayout {
        FieldLayout {
            name: name.into(),
            kind,
        }
    }
}

/// An event's payload, field by field in the order they are serialized.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventLayout {
    pub fields: Vec<FieldLayout>,
}

/// A context field the runtime can give a value for: `$ctx.NAME` names it by `name`
/// (`vpid`, `vtid`, `procname`, `cpu_id`…); an application context is named with its
/// prefix, `$app.provider:name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextField {
    pub name: String,
    pub kind: ValueKind,
}

impl ContextField {
    pub fn new(name: impl Into<String>, kind: ValueKind) -> ContextField {
        ContextField {
            name: name.into(),
            kind,
        }
    }
}

/// The values of context fields for the event being filtered. `index` is the field's
/// position in the `ContextField` list the filter was bound with. `None` (no value now)
/// makes the filter false.
pub trait ContextValues {
    fn value(&self, index: usize) -> Option<FieldValue<'_>>;
}

/// No context at all.
impl ContextValues for () {
    fn value(&self, _index: usize) -> Option<FieldValue<'_>> {
        None
    }
}

/// Context values given in `ContextField` order.
impl ContextValues for [FieldValue<'_>] {
    fn value(&self, index: usize) -> Option<FieldValue<'_>> {
        self.get(index).copied()
    }
}
