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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::State;
    use crate::types::{Base, Meaning, Struct};

    fn int(size: u32, signed: bool, base: Base) -> Int {
        Int {
            size,
            align: 8,
            signed,
            big_endian: false,
            base,
            text: false,
            clock: false,
            meaning: Meaning::None,
            reg: None,
        }
    }

    fn field(name: &str, ty: Type) -> Field {
        Field {
            name: name.to_string(),
            raw: format!("_{name}"),
            ty,
            visible: true,
        }
    }

    fn payload(fields: Vec<Field>) -> Field {
        field(
            "fields",
            Type::Struct(Struct {
                align: 8,
                fields,
                fixed_bits: None,
            }),
        )
    }

    #[test]
    fn prints_members_like_the_text_sink() {
        let text = Array {
            elem: Box::new(Type::Int(int(8, false, Base::Dec))),
            len: Len::Fixed(4),
            text: true,
        };
        let flat = Flat::of(&payload(vec![
            field("x", Type::Int(int(32, true, Base::Dec))),
            field("h", Type::Int(int(16, true, Base::Hex))),
            field(
                "d",
                Type::Float(Float {
                    size: 64,
                    align: 8,
                    big_endian: false,
                }),
            ),
            field("msg", Type::String),
            field("tag", Type::Array(text)),
        ]))
        .expect("flat");
        let mut buf = Vec::new();
        buf.extend_from_slice(&(-7i32).to_le_bytes());
        buf.extend_from_slice(&(-128i16).to_le_bytes());
        buf.extend_from_slice(&3.25f64.to_le_bytes());
        buf.extend_from_slice(b"a\"b\0ab\0z");
        let mut state = State::default();
        let mut d = Decoder {
            buf: &buf,
            pos: 0,
            end: buf.len() as u64 * 8,
            state: &mut state,
        };
        let mut out = Vec::new();
        flat.print(&mut d, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{ x = -7, h = 0xFF80, d = 3.25, msg = "a\"b", tag = "ab" }"#
        );
        assert_eq!(d.pos, buf.len() as u64 * 8);
    }

    #[test]
    fn other_shapes_take_the_general_path() {
        let mut hidden = field("x", Type::Int(int(8, false, Base::Dec)));
        hidden.visible = false;
        assert!(Flat::of(&payload(vec![hidden])).is_none());
        let mut len = int(8, false, Base::Dec);
        len.reg = Some(0);
        assert!(Flat::of(&payload(vec![field("n", Type::Int(len))])).is_none());
        assert!(
            Flat::of(&field("s", Type::String)).is_none(),
            "not a struct"
        );
        let empty = Flat::of(&payload(Vec::new())).expect("empty struct");
        let mut state = State::default();
        let mut d = Decoder {
            buf: &[],
            pos: 0,
            end: 0,
            state: &mut state,
        };
        let mut out = Vec::new();
        empty.print(&mut d, &mut out).unwrap();
        assert_eq!(out, b"{ }");
    }
}
