//! The LTTng kernel event classes the recorder writes: their names, their fields with
//! lttng-modules' types (byte-aligned little-endian integers, `char[16]` text arrays,
//! strings, sequences), the TSDL `event` block of each, and the payload encoder that writes
//! values in that layout.

use std::fmt::Write;

/// A field type, as lttng-modules declares it on x86-64 and arm64.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// An integer of `bits` (8, 16, 32, 64); `hex` prints it in base 16.
    Int { bits: u8, signed: bool, hex: bool },
    /// `char[16]` text (a task's comm).
    Comm,
    /// A NUL-terminated string.
    Str,
    /// A fixed array of 64-bit unsigned hexadecimal integers (`unsigned long args[6]`).
    HexArray(u8),
    /// A sequence of signed 32-bit integers preceded by its u8 length (`vtids`).
    TidSequence,
}

pub const I32: Ty = Ty::Int {
    bits: 32,
    signed: true,
    hex: false,
};
pub const U32: Ty = Ty::Int {
    bits: 32,
    signed: false,
    hex: false,
};
pub const I64: Ty = Ty::Int {
    bits: 64,
    signed: true,
    hex: false,
};
pub const HEX64: Ty = Ty::Int {
    bits: 64,
    signed: false,
    hex: true,
};

/// One event class: LTTng's name and fields (without the leading `_`).
#[derive(Clone, Debug)]
pub struct EventClass {
    pub name: String,
    pub fields: Vec<(String, Ty)>,
}

impl EventClass {
    pub fn new(name: impl Into<String>, fields: &[(&str, Ty)]) -> EventClass {
        EventClass {
            name: name.into(),
            fields: fields.iter().map(|(n, t)| (n.to_string(), *t)).collect(),
        }
    }

    /// The TSDL `event` block, with `id` in stream 0.
    pub fn tsdl(&self, id: u16) -> String {
        let mut s = format!(
            "event {{\n\tname = \"{}\";\n\tid = {id};\n\tstream_id = 0;\n\tfields := struct {{\n",
            self.name
        );
        for (name, ty) in &self.fields {
            field_tsdl(&mut s, name, *ty);
        }
        s.push_str("\t};\n};\n\n");
        s
    }
}

fn integer(bits: u8, signed: bool, hex: bool, encoding: &str) -> String {
    format!(
        "integer {{ size = {bits}; align = 8; signed = {}; encoding = {encoding}; base = {}; }}",
        u8::from(signed),
        if hex { 16 } else { 10 }
    )
}

fn field_tsdl(s: &mut String, name: &str, ty: Ty) {
    let _ = match ty {
        Ty::Int { bits, signed, hex } => {
            writeln!(s, "\t\t{} _{name};", integer(bits, signed, hex, "none"))
        }
        Ty::Comm => writeln!(s, "\t\t{} _{name}[16];", integer(8, false, false, "UTF8")),
        Ty::Str => writeln!(s, "\t\tstring _{name};"),
        Ty::HexArray(n) => writeln!(s, "\t\t{} _{name}[{n}];", integer(64, false, true, "none")),
        Ty::TidSequence => writeln!(
            s,
            "\t\t{} __{name}_length;\n\t\t{} _{name}[ __{name}_length ];",
            integer(8, false, false, "none"),
            integer(32, true, false, "none")
        ),
    };
}

/// An event payload being written, in the layout the classes declare (byte-packed,
/// little-endian).
#[derive(Default)]
pub struct Payload(pub Vec<u8>);

impl Payload {
    pub fn clear(&mut self) {
        self.0.clear();
    }

    pub fn i32(&mut self, v: i64) -> &mut Self {
        self.0.extend_from_slice(&(v as i32).to_le_bytes());
        self
    }

    pub fn u32(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&(v as u32).to_le_bytes());
        self
    }

    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    /// An integer of `bits` bits, truncated.
    pub fn int(&mut self, bits: u8, v: u64) -> &mut Self {
        let bytes = v.to_le_bytes();
        self.0.extend_from_slice(&bytes[..usize::from(bits / 8)]);
        self
    }

    /// `char[16]`: the text cut to 15 bytes, NUL-padded.
    pub fn comm(&mut self, text: &[u8]) -> &mut Self {
        let mut buf = [0u8; 16];
        let n = text.len().min(15);
        buf[..n].copy_from_slice(&text[..n]);
        self.0.extend_from_slice(&buf);
        self
    }

    /// A string: the bytes up to any NUL, then one NUL.
    pub fn string(&mut self, text: &[u8]) -> &mut Self {
        let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
        self.0.extend_from_slice(&text[..end]);
        self.0.push(0);
        self
    }

    /// A `TidSequence` of one element.
    pub fn one_tid(&mut self, tid: i64) -> &mut Self {
        self.0.push(1);
        self.i32(tid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsdl_matches_lttng_modules_declarations() {
        let c = EventClass::new(
            "sched_process_fork",
            &[
                ("parent_comm", Ty::Comm),
                ("parent_ns_inum", U32),
                ("vtids", Ty::TidSequence),
            ],
        );
        let t = c.tsdl(7);
        assert!(
            t.contains("\tname = \"sched_process_fork\";\n\tid = 7;\n"),
            "{t}"
        );
        assert!(t.contains(
            "\t\tinteger { size = 8; align = 8; signed = 0; encoding = UTF8; base = 10; } _parent_comm[16];\n"
        ));
        assert!(t.contains(
            "\t\tinteger { size = 32; align = 8; signed = 0; encoding = none; base = 10; } _parent_ns_inum;\n"
        ));
        assert!(t.contains(
            "\t\tinteger { size = 8; align = 8; signed = 0; encoding = none; base = 10; } __vtids_length;\n\
             \t\tinteger { size = 32; align = 8; signed = 1; encoding = none; base = 10; } _vtids[ __vtids_length ];\n"
        ));
    }

    #[test]
    fn payloads_are_byte_packed() {
        let mut p = Payload::default();
        p.comm(b"a-very-long-command-name")
            .i32(-1)
            .string(b"x\0y")
            .one_tid(9)
            .int(16, 0x1_2345);
        let mut want = b"a-very-long-com\0".to_vec();
        want.extend_from_slice(&[0xff; 4]);
        want.extend_from_slice(b"x\0");
        want.extend_from_slice(&[1, 9, 0, 0, 0, 0x45, 0x23]);
        assert_eq!(p.0, want);
    }
}
