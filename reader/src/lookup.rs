//! Field values of one event, looked up by name: what `ust view --filter` reads.
//!
//! Resolution happens once per event class: a path of names and `[N]` indexes is matched
//! against the class's types (payload), or a context name against the event context, the
//! stream event context, the packet context and, for a process's own trace, the `vpid` and
//! `procname` of the environment. Sequence lengths and variant tags are not fields one can
//! name (LTTng does not let filters read them either). Then `Lookup::read` decodes the event
//! parts that hold wanted values, once each, keeping only those values, in buffers reused
//! from event to event.

use super::decode::{Sink, State};
use super::error::ReadError;
use super::merge::Event;
use super::stream::Part;
use super::types::{Enum, EnvValue, EventClass, Field, Int, Len, Metadata, Type};
use std::ops::Range;

/// One step of a path: a member by name, or an array or sequence element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    Name(&'a str),
    Index(u64),
}

/// What a field's values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// Integers and enumerations.
    Int,
    Float,
    /// Strings, text arrays and text sequences.
    Text,
}

/// One value of one event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// The integer's 64 bits: sign-extended when signed.
    Int(i64),
    Float(f64),
    /// Up to the first NUL.
    Text(&'a [u8]),
}

/// A resolved field of an event class.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldRef {
    source: Source,
    pub kind: ValueType,
}

#[derive(Debug, Clone, PartialEq)]
enum Source {
    /// In a part of the event: member ordinals (among shown members) and element indexes.
    Part(Part, Vec<u64>),
    /// The same for every event of the trace.
    Env(EnvValue),
}

/// The payload field at `path` in events of `class`.
pub fn payload_field(class: &EventClass, path: &[Step<'_>]) -> Option<FieldRef> {
    part_field(Part::Payload, class.payload.as_ref()?, path)
}

/// The context field `name` of events of `class` in streams of class `stream_class`.
pub fn context_field(
    meta: &Metadata,
    stream_class: usize,
    class: &EventClass,
    name: &str,
) -> Option<FieldRef> {
    let sc = meta.streams.get(stream_class)?;
    let path = [Step::Name(name)];
    let parts = [
        (Part::Context, class.context.as_ref()),
        (Part::StreamContext, sc.event_context.as_ref()),
        (Part::PacketContext, sc.packet_context.as_ref()),
    ];
    parts
        .into_iter()
        .find_map(|(part, root)| part_field(part, root?, &path))
        .or_else(|| env_field(meta, name))
}

fn env_field(meta: &Metadata, name: &str) -> Option<FieldRef> {
    if name != "vpid" && name != "procname" {
        return None;
    }
    let value = meta.env(name)?.clone();
    let kind = match value {
        EnvValue::Int(_) => ValueType::Int,
        EnvValue::Str(_) => ValueType::Text,
    };
    Some(FieldRef {
        source: Source::Env(value),
        kind,
    })
}

fn part_field(part: Part, root: &Field, path: &[Step<'_>]) -> Option<FieldRef> {
    if !root.visible {
        return None;
    }
    let mut ty = &root.ty;
    let mut positions = Vec::with_capacity(path.len());
    for step in path {
        ty = match (ty, *step) {
            (Type::Struct(s), Step::Name(name)) => {
                let (ordinal, field) = s
                    .fields
                    .iter()
                    .filter(|f| f.visible)
                    .enumerate()
                    .find(|(_, f)| f.name == name)?;
                positions.push(ordinal as u64);
                &field.ty
            }
            (Type::Array(a), Step::Index(index)) if !a.text => {
                if matches!(a.len, Len::Fixed(n) if index >= n) {
                    return None;
                }
                positions.push(index);
                &a.elem
            }
            _ => return None,
        };
    }
    let kind = match ty {
        Type::Int(i) if i.reg.is_none() => ValueType::Int,
        Type::Enum(e) if e.int.reg.is_none() => ValueType::Int,
        Type::Float(_) => ValueType::Float,
        Type::String => ValueType::Text,
        Type::Array(a) if a.text => ValueType::Text,
        _ => return None,
    };
    Some(FieldRef {
        source: Source::Part(part, positions),
        kind,
    })
}

/// A value kept from the decoded parts.
#[derive(Debug, Clone, PartialEq)]
enum Kept {
    Missing,
    Int(i64),
    Float(f64),
    /// A range of `Lookup::text`.
    Text(Range<usize>),
}

/// The wanted values of the current event; buffers are reused from event to event.
#[derive(Debug, Default)]
pub struct Lookup {
    kept: Vec<Kept>,
    text: Vec<u8>,
    scratch: State,
    path: Vec<u64>,
}

impl Lookup {
    pub fn new() -> Lookup {
        Lookup::default()
    }

    /// Decodes from `event` the values of `fields` (each part at most once). A value the
    /// event does not have (a sequence element past its end) is then `None`.
    pub fn read(&mut self, event: &Event<'_>, fields: &[FieldRef]) -> Result<(), ReadError> {
        self.kept.clear();
        self.kept.resize(fields.len(), Kept::Missing);
        self.text.clear();
        let parts = [
            Part::Payload,
            Part::Context,
            Part::StreamContext,
            Part::PacketContext,
        ];
        for part in parts {
            if !fields
                .iter()
                .any(|f| matches!(&f.source, Source::Part(p, _) if *p == part))
            {
                continue;
            }
            self.path.clear();
            let mut sink = Keeper {
                part,
                fields,
                kept: &mut self.kept,
                text: &mut self.text,
                path: &mut self.path,
            };
            event.decode(part, &mut self.scratch, &mut sink)?;
        }
        for (kept, field) in self.kept.iter_mut().zip(fields) {
            if let Source::Env(value) = &field.source {
                *kept = match value {
                    EnvValue::Int(v) => Kept::Int(*v),
                    EnvValue::Str(s) => {
                        let start = self.text.len();
                        self.text.extend_from_slice(s.as_bytes());
                        Kept::Text(start..self.text.len())
                    }
                };
            }
        }
        Ok(())
    }

    /// The value of `fields[index]` read last, if the event had it.
    pub fn value(&self, index: usize) -> Option<Value<'_>> {
        match self.kept.get(index)? {
            Kept::Missing => None,
            Kept::Int(v) => Some(Value::Int(*v)),
            Kept::Float(d) => Some(Value::Float(*d)),
            Kept::Text(range) => Some(Value::Text(self.text.get(range.clone())?)),
        }
    }
}

/// The sink keeping the values whose path is wanted, while decoding one part.
struct Keeper<'l> {
    part: Part,
    fields: &'l [FieldRef],
    kept: &'l mut Vec<Kept>,
    text: &'l mut Vec<u8>,
    /// Position of the value being decoded: member ordinals and element indexes.
    path: &'l mut Vec<u64>,
}

impl Keeper<'_> {
    fn keep(&mut self, value: impl Fn(&mut Vec<u8>) -> Kept) {
        for (i, field) in self.fields.iter().enumerate() {
            if matches!(&field.source, Source::Part(p, at) if *p == self.part && at == self.path) {
                self.kept[i] = value(self.text);
            }
        }
    }
}

impl Sink for Keeper<'_> {
    fn int(&mut self, _ty: &Int, v: u64) {
        self.keep(|_| Kept::Int(v as i64));
    }

    fn enumeration(&mut self, _ty: &Enum, v: u64) {
        self.keep(|_| Kept::Int(v as i64));
    }

    fn float(&mut self, v: f64) {
        self.keep(|_| Kept::Float(v));
    }

    fn string(&mut self, bytes: &[u8]) {
        self.keep(|text| {
            let start = text.len();
            text.extend_from_slice(bytes);
            Kept::Text(start..text.len())
        });
    }

    fn begin_struct(&mut self) {
        self.path.push(u64::MAX);
    }

    fn field(&mut self, _name: &str) {
        if let Some(ordinal) = self.path.last_mut() {
            *ordinal = ordinal.wrapping_add(1);
        }
    }

    fn end_struct(&mut self) {
        self.path.pop();
    }

    fn begin_array(&mut self) {
        self.path.push(0);
    }

    fn element(&mut self, index: u64) {
        if let Some(last) = self.path.last_mut() {
            *last = index;
        }
    }

    fn end_array(&mut self) {
        self.path.pop();
    }
}
