//! Flat structs printed in one pass: babeltrace2's text for a struct whose members are all
//! shown plain integers, floats, strings and fixed-size text arrays (what most payloads and
//! contexts are), decoded and formatted from a list built once per event class, without
//! walking the type through a `Sink`. Anything else (enums, other arrays, sequences,
//! variants, nested structs, hidden or special members) is left to the general path.

use super::decode::{self, Decoder};
use super::fmt::{push_escaped, push_g, push_int};
use super::types::{Array, Field, Float, Int, Len, Type};

enum Member {
    Int(Int),
    Float(Float),
    String,
    /// A text array of this many bytes, aligned to `align` bits.
    Text {
        len: u64,
        align: u32,
    },
}

/// A struct's members with their labels (`" name = "` for the first, `", name = "` after).
pub struct Flat {
    align: u32,
    members: Vec<(Vec<u8>, Member)>,
}

impl Flat {
    /// The flat form of `field`, if every member qualifies.
    pub fn of(field: &Field) -> Option<Flat> {
        let Type::Struct(s) = &field.ty else {
            return None;
        };
        let mut members = Vec::with_capacity(s.fields.len());
        for f in &s.fields {
            let member = match &f.ty {
                _ if !f.visible => return None,
                Type::Int(int) if int.is_plain() => Member::Int(int.clone()),
                Type::Float(float) => Member::Float(float.clone()),
                Type::String => Member::String,
                Type::Array(Array {
                    len: Len::Fixed(len),
                    text: true,
                    elem,
                }) => Member::Text {
                    len: *len,
                    align: elem.align(),
                },
                _ => return None,
            };
            let mut label = if members.is_empty() {
                b" ".to_vec()
            } else {
                b", ".to_vec()
            };
            label.extend_from_slice(f.name.as_bytes());
            label.extend_from_slice(b" = ");
            members.push((label, member));
        }
        Some(Flat {
            align: s.align,
            members,
        })
    }

    /// Decodes the struct at `d` and appends `{ name = value, … }` to `out`.
    pub fn print(&self, d: &mut Decoder<'_>, out: &mut Vec<u8>) -> decode::Result<()> {
        d.align(self.align)?;
        out.push(b'{');
        for (label, member) in &self.members {
            out.extend_from_slice(label);
            match member {
                Member::Int(int) => {
                    let v = d.int(int)?;
                    push_int(out, int, v);
                }
                Member::Float(float) => push_g(out, d.float(float)?),
                Member::String => push_escaped(out, d.string()?),
                Member::Text { len, align } => {
                    d.align(*align)?;
                    push_escaped(out, d.text(*len)?);
                }
            }
        }
        out.extend_from_slice(b" }");
        Ok(())
    }
}
