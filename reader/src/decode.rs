//! Binary field decoding: walks a field type over the bytes of one packet.
//!
//! Owns CTF's layout rules (alignment relative to the packet start, bit-packed integers in
//! either byte order, NUL-terminated strings, arrays, sequences, variants) and the per-stream
//! state decoding updates: the default clock, length/tag registers and special header values.
//! What happens to each value is the `Sink`'s business: the pretty printer, the JSON writer,
//! or nothing at all (`Skip`, used to find where an event ends). Every read is bounds-checked
//! against the packet's content size; no input makes it panic or loop without progress.

use super::types::*;

/// Receives decoded values in field order. Every method defaults to doing nothing.
pub trait Sink {
    fn int(&mut self, _ty: &Int, _v: u64) {}
    fn float(&mut self, _v: f64) {}
    fn string(&mut self, _bytes: &[u8]) {}
    fn enumeration(&mut self, _ty: &Enum, _v: u64) {}
    fn begin_struct(&mut self) {}
    fn field(&mut self, _name: &str) {}
    fn end_struct(&mut self) {}
    fn begin_array(&mut self) {}
    fn element(&mut self, _index: u64) {}
    fn end_array(&mut self) {}
    fn begin_variant(&mut self) {}
    fn end_variant(&mut self) {}
}

/// The sink that keeps nothing.
pub struct Skip;
impl Sink for Skip {}

/// Why a packet could not be decoded, at a bit position inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub bit: u64,
    pub msg: String,
}

impl DecodeError {
    /// A boxed error: keeps `Result`s of the hot decoding functions register-sized.
    #[cold]
    pub fn boxed(bit: u64, msg: impl Into<String>) -> Box<DecodeError> {
        Box::new(DecodeError {
            bit,
            msg: msg.into(),
        })
    }
}

pub type Result<T> = std::result::Result<T, Box<DecodeError>>;

/// Values with a special meaning seen while decoding headers and contexts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Specials {
    pub magic: Option<u64>,
    pub stream_class: Option<u64>,
    pub stream_instance: Option<u64>,
    pub begin: Option<u64>,
    pub end: Option<u64>,
    pub content_size: Option<u64>,
    pub packet_size: Option<u64>,
    pub seq_num: Option<u64>,
    pub discarded: Option<u64>,
    pub event_id: Option<u64>,
}

/// Per-stream decoding state that outlives one packet.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// The stream's default clock value, in cycles.
    pub clock: u64,
    pub regs: Vec<i128>,
    pub specials: Specials,
}

/// A cursor over one packet's bytes.
pub struct Decoder<'a> {
    pub buf: &'a [u8],
    /// Current position, in bits from the packet start.
    pub pos: u64,
    /// Decoding never reads at or past this bit.
    pub end: u64,
    pub state: &'a mut State,
}

impl<'a> Decoder<'a> {
    #[cold]
    #[inline(never)]
    fn fail<T>(&self, msg: impl Into<String>) -> Result<T> {
        Err(DecodeError::boxed(self.pos, msg))
    }

    #[inline]
    pub fn align(&mut self, align: u32) -> Result<()> {
        // Alignments are powers of two (checked when the metadata is read).
        let mask = u64::from(align.max(1)) - 1;
        let aligned = (self.pos + mask) & !mask;
        if aligned > self.end {
            return self.fail("field alignment goes past the end of the packet content");
        }
        self.pos = aligned;
        Ok(())
    }

    #[inline]
    fn need(&self, bits: u64) -> Result<()> {
        if self.end.saturating_sub(self.pos) < bits {
            return self.fail(format!(
                "{bits}-bit field goes past the end of the packet content"
            ));
        }
        Ok(())
    }

    /// Reads `size` raw bits (1..=64) at the current, already aligned position.
    #[inline]
    fn bits(&mut self, size: u32, big_endian: bool) -> Result<u64> {
        self.need(u64::from(size))?;
        let byte = (self.pos / 8) as usize;
        let shift = (self.pos % 8) as u32;
        let v = if shift == 0 && size % 8 == 0 {
            aligned_bits(self.buf, byte, size, big_endian)
        } else {
            unaligned_bits(self.buf, byte, shift, size, big_endian)
        };
        self.pos += u64::from(size);
        Ok(v)
    }

    /// Reads an integer (sign-extended into the u64 when signed) and applies its side effects.
    pub fn int(&mut self, ty: &Int) -> Result<u64> {
        self.align(ty.align)?;
        let raw = self.bits(ty.size, ty.big_endian)?;
        let v = if ty.signed && ty.size < 64 {
            let s = 64 - ty.size;
            (((raw << s) as i64) >> s) as u64
        } else {
            raw
        };
        if ty.clock && ty.meaning != Meaning::PacketEnd {
            self.update_clock(raw, ty.size);
        }
        if let Some(r) = ty.reg {
            if let Some(slot) = self.state.regs.get_mut(usize::from(r)) {
                *slot = if ty.signed {
                    i128::from(v as i64)
                } else {
                    i128::from(v)
                };
            }
        }
        if ty.meaning != Meaning::None {
            self.special(ty.meaning, v);
        }
        Ok(v)
    }

    #[inline]
    fn update_clock(&mut self, value: u64, size: u32) {
        if size >= 64 {
            self.state.clock = value;
            return;
        }
        let mask = (1u64 << size) - 1;
        let cur = self.state.clock;
        let mut high = cur & !mask;
        if value < cur & mask {
            high = high.wrapping_add(1u64 << size);
        }
        self.state.clock = high | value;
    }

    fn special(&mut self, meaning: Meaning, v: u64) {
        let s = &mut self.state.specials;
        match meaning {
            Meaning::Magic => s.magic = Some(v),
            Meaning::StreamClassId => s.stream_class = Some(v),
            Meaning::StreamInstanceId => s.stream_instance = Some(v),
            Meaning::PacketBegin => s.begin = Some(v),
            Meaning::PacketEnd => s.end = Some(v),
            Meaning::ContentSize => s.content_size = Some(v),
            Meaning::PacketSize => s.packet_size = Some(v),
            Meaning::SeqNum => s.seq_num = Some(v),
            Meaning::Discarded => s.discarded = Some(v),
            Meaning::EventId => s.event_id = Some(v),
            Meaning::None => {}
        }
    }

    /// Reads a 32- or 64-bit float.
    pub fn float(&mut self, f: &Float) -> Result<f64> {
        self.align(f.align)?;
        let raw = self.bits(f.size, f.big_endian)?;
        Ok(if f.size == 32 {
            f64::from(f32::from_bits(raw as u32))
        } else {
            f64::from_bits(raw)
        })
    }

    /// Decodes one value of type `ty`, handing it to `sink`.
    pub fn value<S: Sink>(&mut self, ty: &Type, sink: &mut S) -> Result<()> {
        match ty {
            Type::Int(i) => {
                let v = self.int(i)?;
                sink.int(i, v);
            }
            Type::Enum(e) => {
                let v = self.int(&e.int)?;
                sink.enumeration(e, v);
            }
            Type::Float(f) => {
                let v = self.float(f)?;
                sink.float(v);
            }
            Type::String => {
                let bytes = self.string()?;
                sink.string(bytes);
            }
            Type::Struct(s) => self.structure(s, sink)?,
            Type::Array(a) => self.array(a, sink)?,
            Type::Variant(v) => self.variant(v, sink)?,
        }
        Ok(())
    }

    /// Decodes an event header through its quick form; false (position unchanged) when the
    /// id selects an option other than the compact one, for the general path to decode.
    #[inline]
    pub fn quick_header(&mut self, q: &QuickHeader) -> Result<bool> {
        let start = self.pos;
        self.align(q.align)?;
        self.align(q.id.align)?;
        let id = self.bits(q.id.size, q.id.big_endian)?;
        if id > q.compact_max {
            self.pos = start;
            return Ok(false);
        }
        if let Some(slot) =
            q.id.reg
                .and_then(|r| self.state.regs.get_mut(usize::from(r)))
        {
            *slot = i128::from(id);
        }
        if q.id.meaning != Meaning::None {
            self.special(q.id.meaning, id);
        }
        self.align(q.option_align.max(q.timestamp.align))?;
        let ts = self.bits(q.timestamp.size, q.timestamp.big_endian)?;
        self.update_clock(ts, q.timestamp.size);
        Ok(true)
    }

    /// Moves past a value of type `ty`; reads only what has side effects (clock, registers,
    /// special meanings) or decides the layout.
    pub fn skip(&mut self, ty: &Type) -> Result<()> {
        match ty {
            Type::Int(i) if i.is_plain() => self.skip_bits(i.align, i.size),
            Type::Int(i) => self.int(i).map(|_| ()),
            Type::Enum(e) => self.int(&e.int).map(|_| ()),
            Type::Float(f) => self.skip_bits(f.align, f.size),
            Type::String => self.string().map(|_| ()),
            Type::Struct(s) => match s.fixed_bits {
                Some(bits) => self.skip_bits(s.align, bits),
                None => {
                    self.align(s.align)?;
                    s.fields.iter().try_for_each(|f| self.skip(&f.ty))
                }
            },
            Type::Variant(v) => {
                let option = self.option(v)?;
                self.skip(&option.ty)
            }
            Type::Array(a) => self.skip_array(a),
        }
    }

    fn skip_array(&mut self, a: &Array) -> Result<()> {
        let (Len::Fixed(n), Type::Int(elem)) = (a.len, a.elem.as_ref()) else {
            return self.array(a, &mut Skip);
        };
        if !elem.is_plain() || elem.size % elem.align != 0 {
            return self.array(a, &mut Skip);
        }
        self.skip_bits(elem.align, n.saturating_mul(u64::from(elem.size)))
    }

    #[inline]
    fn skip_bits(&mut self, align: u32, size: impl Into<u64>) -> Result<()> {
        let size = size.into();
        self.align(align)?;
        self.need(size)?;
        self.pos += size;
        Ok(())
    }

    /// Reads `len` bytes of an (aligned) text array or sequence: the text is what comes
    /// before the first NUL, if any.
    pub fn text(&mut self, len: u64) -> Result<&'a [u8]> {
        let bits = len.saturating_mul(8);
        self.need(bits)?;
        let start = (self.pos / 8) as usize;
        let buf: &'a [u8] = self.buf;
        let all = &buf[start..start + len as usize];
        self.pos += bits;
        Ok(all.iter().position(|&c| c == 0).map_or(all, |n| &all[..n]))
    }

    /// Reads a NUL-terminated string (without its NUL).
    pub fn string(&mut self) -> Result<&'a [u8]> {
        self.align(8)?;
        let start = (self.pos / 8) as usize;
        let limit = ((self.end / 8) as usize).min(self.buf.len());
        let buf: &'a [u8] = self.buf;
        let Some(len) = buf
            .get(start..limit)
            .and_then(|b| b.iter().position(|&c| c == 0))
        else {
            return self.fail("string has no terminating NUL before the end of the packet content");
        };
        self.pos += (len as u64 + 1) * 8;
        Ok(&buf[start..start + len])
    }

    /// Decodes a struct's members; hidden members are decoded into `Skip`.
    pub fn structure<S: Sink>(&mut self, s: &Struct, sink: &mut S) -> Result<()> {
        self.align(s.align)?;
        sink.begin_struct();
        for f in &s.fields {
            if f.visible {
                sink.field(&f.name);
                self.value(&f.ty, sink)?;
            } else {
                self.skip(&f.ty)?;
            }
        }
        sink.end_struct();
        Ok(())
    }

    fn array<S: Sink>(&mut self, a: &Array, sink: &mut S) -> Result<()> {
        let len = match a.len {
            Len::Fixed(n) => n,
            Len::Reg(r) => {
                let v = self.state.regs.get(usize::from(r)).copied().unwrap_or(0);
                u64::try_from(v).or_else(|_| self.fail(format!("negative sequence length {v}")))?
            }
        };
        self.align(a.elem.align())?;
        if a.text {
            let text = self.text(len)?;
            sink.string(text);
            return Ok(());
        }
        if len > self.end.saturating_sub(self.pos) && len > 0 {
            return self.fail(format!(
                "array length {len} goes past the end of the packet content"
            ));
        }
        sink.begin_array();
        for i in 0..len {
            sink.element(i);
            self.value(&a.elem, sink)?;
        }
        sink.end_array();
        Ok(())
    }

    fn option<'v>(&self, v: &'v Variant) -> Result<&'v Field> {
        let tag = self
            .state
            .regs
            .get(usize::from(v.tag))
            .copied()
            .unwrap_or(0);
        match v.option_for(tag) {
            Some(option) => Ok(option),
            None => self.fail(format!("variant tag value {tag} selects no option")),
        }
    }

    fn variant<S: Sink>(&mut self, v: &Variant, sink: &mut S) -> Result<()> {
        let option = self.option(v)?;
        sink.begin_variant();
        if option.visible {
            self.value(&option.ty, sink)?;
        } else {
            self.skip(&option.ty)?;
        }
        sink.end_variant();
        Ok(())
    }
}

/// `size` (8, 16, …, 64) bits starting at byte `byte`; one 8-byte load when the buffer
/// has 8 bytes there, which it has everywhere but in a packet's last 7 bytes.
#[inline]
fn aligned_bits(buf: &[u8], byte: usize, size: u32, big_endian: bool) -> u64 {
    let word: [u8; 8] = match buf.get(byte..byte + 8) {
        Some(b) => b.try_into().unwrap_or_default(),
        None => {
            let mut w = [0u8; 8];
            let n = (size / 8) as usize;
            w[..n].copy_from_slice(&buf[byte..byte + n]);
            w
        }
    };
    if big_endian {
        u64::from_be_bytes(word) >> (64 - size)
    } else if size == 64 {
        u64::from_le_bytes(word)
    } else {
        u64::from_le_bytes(word) & ((1u64 << size) - 1)
    }
}

/// `size` bits starting `shift` bits into byte `byte`, for bit-packed fields.
#[inline]
fn unaligned_bits(buf: &[u8], byte: usize, shift: u32, size: u32, big_endian: bool) -> u64 {
    match buf.get(byte..byte + 8) {
        Some(b) if shift + size <= 64 => {
            let word: [u8; 8] = b.try_into().unwrap_or_default();
            let mask = u64::MAX >> (64 - size);
            if big_endian {
                (u64::from_be_bytes(word) >> (64 - shift - size)) & mask
            } else {
                (u64::from_le_bytes(word) >> shift) & mask
            }
        }
        _ => straddling_bits(buf, byte, shift, size, big_endian),
    }
}

/// `unaligned_bits` byte by byte: near a packet's end, or for a field spanning 9 bytes.
fn straddling_bits(buf: &[u8], byte: usize, shift: u32, size: u32, big_endian: bool) -> u64 {
    let nbytes = ((shift + size) as usize).div_ceil(8);
    let chunk = &buf[byte..byte + nbytes];
    let mask = if size == 64 {
        u64::MAX
    } else {
        (1u64 << size) - 1
    };
    if big_endian {
        let mut acc = 0u128;
        for &b in chunk {
            acc = (acc << 8) | u128::from(b);
        }
        let drop = nbytes as u32 * 8 - shift - size;
        ((acc >> drop) as u64) & mask
    } else {
        let mut acc = 0u128;
        for &b in chunk.iter().rev() {
            acc = (acc << 8) | u128::from(b);
        }
        ((acc >> shift) as u64) & mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(size: u32, signed: bool, be: bool) -> Int {
        Int {
            size,
            align: 1,
            signed,
            big_endian: be,
            base: Base::Dec,
            text: false,
            clock: false,
            meaning: Meaning::None,
            reg: None,
        }
    }

    #[test]
    fn word_loads_agree_with_byte_by_byte_reads() {
        let buf: Vec<u8> = (0..24u32).map(|i| (i * 37 + 11) as u8).collect();
        for byte in 0..8 {
            for shift in 0..8 {
                for size in 1..=64 - shift {
                    for be in [false, true] {
                        assert_eq!(
                            unaligned_bits(&buf, byte, shift, size, be),
                            straddling_bits(&buf, byte, shift, size, be),
                            "byte {byte} shift {shift} size {size} be {be}"
                        );
                    }
                }
            }
            for size in [8, 16, 24, 32, 40, 48, 56, 64] {
                for be in [false, true] {
                    assert_eq!(
                        aligned_bits(&buf, byte, size, be),
                        straddling_bits(&buf, byte, 0, size, be)
                    );
                    assert_eq!(
                        aligned_bits(&buf[..byte + 8], byte, size, be),
                        aligned_bits(&buf[..byte + (size / 8) as usize], byte, size, be)
                    );
                }
            }
        }
    }

    #[test]
    fn bit_packed_little_endian_fields() {
        // 3 bits = 5 then 5 bits = -3 (0b11101), packed from the low bits up: 0b11101_101.
        let buf = [0b1110_1101u8];
        let mut st = State::default();
        let mut d = Decoder {
            buf: &buf,
            pos: 0,
            end: 8,
            state: &mut st,
        };
        assert_eq!(d.int(&int(3, false, false)).unwrap(), 5);
        assert_eq!(d.int(&int(5, true, false)).unwrap() as i64, -3);
    }

    #[test]
    fn bit_packed_big_endian_fields() {
        let buf = [0b101_11101u8];
        let mut st = State::default();
        let mut d = Decoder {
            buf: &buf,
            pos: 0,
            end: 8,
            state: &mut st,
        };
        assert_eq!(d.int(&int(3, false, true)).unwrap(), 5);
        assert_eq!(d.int(&int(5, true, true)).unwrap() as i64, -3);
    }

    #[test]
    fn short_timestamps_wrap_once() {
        let mut st = State {
            clock: 0x1_0000_0f00,
            ..State::default()
        };
        let mut ts = int(27, false, false);
        ts.clock = true;
        let buf = 0x10u32.to_le_bytes();
        let mut d = Decoder {
            buf: &buf,
            pos: 0,
            end: 32,
            state: &mut st,
        };
        d.int(&ts).unwrap();
        assert_eq!(st.clock, 0x1_0800_0010);
    }

    #[test]
    fn reads_never_pass_the_content_end() {
        let buf = [1u8, 2, 3, 4];
        let mut st = State::default();
        let mut d = Decoder {
            buf: &buf,
            pos: 0,
            end: 24,
            state: &mut st,
        };
        assert!(d.int(&int(32, false, false)).is_err());
        let mut d = Decoder {
            buf: &buf,
            pos: 0,
            end: 32,
            state: &mut st,
        };
        assert!(d.value(&Type::String, &mut Skip).is_err());
    }
}
