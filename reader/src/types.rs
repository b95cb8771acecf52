//! The decoded shape of a trace: field types, clocks, stream and event classes.
//!
//! Plain data built once by `model` from the metadata and then only read by the decoder and
//! the printers. Field types carry everything decoding needs precomputed: alignment in bits,
//! the register a length or tag is stored in, the special meaning of a header field, and
//! whether babeltrace2 would show the field.

use std::collections::HashMap;

/// Special role of an integer field, as babeltrace2 assigns by name and scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meaning {
    None,
    Magic,
    StreamClassId,
    StreamInstanceId,
    PacketBegin,
    PacketEnd,
    ContentSize,
    PacketSize,
    SeqNum,
    Discarded,
    EventId,
}

impl Meaning {
    /// True when babeltrace2 keeps the field out of what it prints.
    pub fn hides(self) -> bool {
        self != Meaning::None
    }
}

/// Display base of an integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    Bin,
    Oct,
    Dec,
    Hex,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Int {
    /// Width in bits, 1..=64.
    pub size: u32,
    /// Alignment in bits, a power of two.
    pub align: u32,
    pub signed: bool,
    pub big_endian: bool,
    pub base: Base,
    /// `encoding = UTF8|ASCII`: arrays and sequences of such bytes print as strings.
    pub text: bool,
    /// Mapped to the stream's default clock (`map = clock.X.value`).
    pub clock: bool,
    pub meaning: Meaning,
    /// Register receiving the value when a sequence length or a variant tag refers to it.
    pub reg: Option<u16>,
}

impl Int {
    /// Nothing but its bits: not a clock, length, tag or special field.
    pub fn is_plain(&self) -> bool {
        !self.clock && self.reg.is_none() && self.meaning == Meaning::None
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Float {
    /// 32 or 64.
    pub size: u32,
    pub align: u32,
    pub big_endian: bool,
}

/// One label of an enumeration and the value range it covers (inclusive).
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    pub label: String,
    pub lo: i128,
    pub hi: i128,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Enum {
    pub int: Int,
    /// In metadata order; one label may cover several ranges.
    pub mappings: Vec<Mapping>,
}

impl Enum {
    /// Distinct labels covering `v`, in the order babeltrace2 lists them.
    pub fn labels(&self, v: i128, out: &mut Vec<usize>) {
        out.clear();
        for (i, m) in self.mappings.iter().enumerate() {
            if m.lo <= v && v <= m.hi {
                let first = self
                    .mappings
                    .iter()
                    .position(|o| o.label == m.label)
                    .unwrap_or(i);
                if !out.contains(&first) {
                    out.push(first);
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Name as printed: one leading `_` stripped.
    pub name: String,
    /// Name as written in the metadata.
    pub raw: String,
    pub ty: Type,
    /// Whether babeltrace2 would show this field.
    pub visible: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Struct {
    pub align: u32,
    pub fields: Vec<Field>,
    /// Size in bits when it does not depend on the data (plain integers, floats, fixed
    /// arrays and such structs only): then skipping it costs one addition.
    pub fixed_bits: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Len {
    Fixed(u64),
    Reg(u16),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    pub elem: Box<Type>,
    pub len: Len,
    /// Elements are byte-aligned 8-bit text integers: shown as one string.
    pub text: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub tag: u16,
    pub options: Vec<Field>,
    /// Tag value ranges selecting an option index.
    pub select: Vec<(i128, i128, usize)>,
}

impl Variant {
    pub fn option_for(&self, tag: i128) -> Option<&Field> {
        self.select
            .iter()
            .find(|(lo, hi, _)| *lo <= tag && tag <= *hi)
            .and_then(|&(_, _, i)| self.options.get(i))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    Int(Int),
    Float(Float),
    String,
    Enum(Enum),
    Struct(Struct),
    Array(Array),
    Variant(Variant),
}

impl Type {
    /// True when decoding a value of this type can change the stream's clock.
    pub fn sets_clock(&self) -> bool {
        match self {
            Type::Int(i) => i.clock,
            Type::Enum(e) => e.int.clock,
            Type::Float(_) | Type::String => false,
            Type::Struct(s) => s.fields.iter().any(|f| f.ty.sets_clock()),
            Type::Array(a) => a.elem.sets_clock(),
            Type::Variant(v) => v.options.iter().any(|f| f.ty.sets_clock()),
        }
    }

    /// Alignment in bits before the field starts (variants align per option).
    #[inline]
    pub fn align(&self) -> u32 {
        match self {
            Type::Int(i) => i.align,
            Type::Enum(e) => e.int.align,
            Type::Float(f) => f.align,
            Type::String => 8,
            Type::Struct(s) => s.align,
            Type::Array(a) => a.elem.align(),
            Type::Variant(_) => 1,
        }
    }
}

/// A clock class.
#[derive(Debug, Clone, PartialEq)]
pub struct Clock {
    pub name: String,
    pub freq: u64,
    /// Seconds part of the offset, after folding whole seconds out of `offset_cycles`.
    pub offset_s: i64,
    /// Cycles part of the offset, in `0..freq`.
    pub offset_cycles: u64,
    pub absolute: bool,
    pub uuid: Option<[u8; 16]>,
}

impl Clock {
    /// Nanoseconds from the clock's origin for a clock value, computed as babeltrace2 does;
    /// None when that does not fit an `i64` (babeltrace2 refuses such times).
    #[inline]
    pub fn ns_from_origin(&self, value: u64) -> Option<i64> {
        let base = self.offset_ns()?;
        let value_ns = self.cycles_to_ns(value);
        if value_ns >= i64::MAX as u64 {
            return None;
        }
        base.checked_add(value_ns as i64)
    }

    /// The offset in nanoseconds; None when the seconds leave no room in an `i64`.
    #[inline]
    fn offset_ns(&self) -> Option<i64> {
        const NS: i64 = 1_000_000_000;
        // babeltrace2 leaves a second of room for the cycles part.
        if self.offset_s < i64::MIN / NS || self.offset_s >= i64::MAX / NS - 1 {
            return None;
        }
        Some(self.offset_s * NS + self.cycles_to_ns(self.offset_cycles) as i64)
    }

    #[inline]
    fn cycles_to_ns(&self, cycles: u64) -> u64 {
        if self.freq == 1_000_000_000 {
            return cycles;
        }
        let ns = 1e9 * cycles as f64 / self.freq as f64;
        if ns >= u64::MAX as f64 {
            u64::MAX
        } else {
            ns as u64
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventClass {
    pub id: u64,
    pub name: String,
    pub loglevel: Option<i64>,
    pub context: Option<Field>,
    pub payload: Option<Field>,
    /// Nothing after the header (stream context, context, payload) changes the stream's
    /// clock: the event can be framed after it is printed (`StreamCursor::decode_once`).
    pub plain_rest: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StreamClass {
    pub id: u64,
    pub packet_context: Option<Field>,
    pub event_header: Option<Field>,
    pub event_context: Option<Field>,
    pub events: Vec<EventClass>,
    /// Event id → index in `events`.
    pub by_id: HashMap<u64, usize>,
    /// The same for small ids, without hashing: `dense[id]`.
    pub dense: Vec<Option<u32>>,
    /// The event header's common case, when it has LTTng's shape.
    pub quick_header: Option<QuickHeader>,
}

/// The compact case of an LTTng-shaped event header, decoded without walking its type:
/// `struct { enum : integer {…} id; variant <id> { struct { timestamp } compact; …; } v; }`
/// where id values `0..=compact_max` select an option holding only a clock-mapped integer.
/// Other id values (the extended header) take the general path.
#[derive(Debug, Clone, PartialEq)]
pub struct QuickHeader {
    pub align: u32,
    pub id: Int,
    pub compact_max: u64,
    /// Alignment of the compact option's struct.
    pub option_align: u32,
    pub timestamp: Int,
}

impl QuickHeader {
    /// The quick form of `header`, if it has the shape above.
    pub fn of(header: &Field) -> Option<QuickHeader> {
        let Type::Struct(s) = &header.ty else {
            return None;
        };
        let [tag, variant] = s.fields.as_slice() else {
            return None;
        };
        let (Type::Enum(id), Type::Variant(v)) = (&tag.ty, &variant.ty) else {
            return None;
        };
        if id.int.clock || id.int.signed || id.int.reg != Some(v.tag) {
            return None;
        }
        let first = v
            .select
            .iter()
            .position(|&(lo, hi, _)| lo <= 0 && 0 <= hi)?;
        let (_, hi, option) = v.select[first];
        let shadowed = v.select[..first]
            .iter()
            .any(|&(lo, h, _)| lo <= hi && h >= 0);
        let Type::Struct(compact) = &v.options.get(option)?.ty else {
            return None;
        };
        let [ts] = compact.fields.as_slice() else {
            return None;
        };
        let Type::Int(timestamp) = &ts.ty else {
            return None;
        };
        let plain_clock = timestamp.clock && timestamp.reg.is_none();
        if shadowed || !plain_clock || timestamp.meaning != Meaning::None || timestamp.signed {
            return None;
        }
        Some(QuickHeader {
            align: s.align,
            id: id.int.clone(),
            compact_max: u64::try_from(hi.min(i128::from(u64::MAX))).ok()?,
            option_align: compact.align,
            timestamp: timestamp.clone(),
        })
    }
}

impl StreamClass {
    /// Index in `events` of the event class with this id.
    pub fn class_index(&self, id: u64) -> Option<usize> {
        match self.dense.get(id as usize) {
            Some(slot) => slot.map(|i| i as usize),
            None => self.by_id.get(&id).copied(),
        }
    }

    /// Declares event class `events[index]` under `id`.
    pub fn index_event(&mut self, id: u64, index: usize) {
        self.by_id.insert(id, index);
        if id < 1 << 16 {
            if self.dense.len() <= id as usize {
                self.dense.resize(id as usize + 1, None);
            }
            self.dense[id as usize] = Some(index as u32);
        }
    }
}

/// An `env` value: babeltrace2 keeps strings and integers only.
#[derive(Debug, Clone, PartialEq)]
pub enum EnvValue {
    Int(i64),
    Str(String),
}

/// Everything the metadata of one trace says.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    pub uuid: Option<[u8; 16]>,
    pub big_endian: bool,
    pub packet_header: Option<Field>,
    pub clock: Option<Clock>,
    pub streams: Vec<StreamClass>,
    pub env: Vec<(String, EnvValue)>,
    /// Number of registers a decoder of this trace needs.
    pub registers: usize,
    /// What was ignored in the metadata (unknown attributes and scopes), as babeltrace2 warns.
    pub warnings: Vec<Warning>,
}

/// Something in the metadata that was ignored, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Byte offset: in the TSDL text as `model` builds it, in the file once `metadata::parse`
    /// has placed it (which also sets `line`).
    pub offset: u64,
    pub line: usize,
    pub msg: String,
}

impl Metadata {
    pub fn env(&self, key: &str) -> Option<&EnvValue> {
        self.env.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn env_str(&self, key: &str) -> Option<&str> {
        match self.env(key) {
            Some(EnvValue::Str(s)) => Some(s),
            _ => None,
        }
    }

    pub fn env_int(&self, key: &str) -> Option<i64> {
        match self.env(key) {
            Some(EnvValue::Int(v)) => Some(*v),
            _ => None,
        }
    }

    pub fn stream_class(&self, id: u64) -> Option<&StreamClass> {
        self.streams.iter().find(|s| s.id == id)
    }
}
