//! Text building blocks shared by the printers: integers, C's `%g`, babeltrace2's string
//! escapes, and `HH:MM:SS.nnnnnnnnn` timestamps with a per-second cache.

use super::time::{Calendar, Tm};
use super::types::{Base, Int};

/// Appends `bytes`; short runs byte by byte, which beats a `memcpy` call at these sizes.
#[inline]
pub fn push_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    if bytes.len() <= 16 {
        out.reserve(16);
        for &b in bytes {
            out.push(b);
        }
    } else {
        out.extend_from_slice(bytes);
    }
}

const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

pub fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    if v < 10 {
        out.push(b'0' + v as u8);
        return;
    }
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    while v >= 100 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if v >= 10 {
        let pair = v as usize * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + v as u8;
    }
    push_bytes(out, &buf[i..]);
}

pub fn push_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    push_u64(out, v.unsigned_abs());
}

/// Zero-padded decimal of at least `width` digits (at most 20).
pub fn push_padded(out: &mut Vec<u8>, v: u64, width: usize) {
    match (width, v) {
        (2, 0..=99) => push_pair(out, v),
        (9, 0..=999_999_999) => push_nine(out, v),
        _ => push_padded_slow(out, v, width),
    }
}

/// Two digits of `v` < 100.
#[inline]
fn push_pair(out: &mut Vec<u8>, v: u64) {
    let i = v as usize * 2;
    out.extend_from_slice(&PAIRS[i..i + 2]);
}

/// Nine digits of `v` < 10⁹ (the nanoseconds of a timestamp), two at a time.
#[inline]
fn push_nine(out: &mut Vec<u8>, v: u64) {
    let mut buf = [0u8; 9];
    let (high, low) = ((v / 10_000) as usize, (v % 10_000) as usize);
    buf[0] = b'0' + (high / 10_000) as u8;
    let h = high % 10_000;
    buf[1..3].copy_from_slice(&PAIRS[h / 100 * 2..h / 100 * 2 + 2]);
    buf[3..5].copy_from_slice(&PAIRS[h % 100 * 2..h % 100 * 2 + 2]);
    buf[5..7].copy_from_slice(&PAIRS[low / 100 * 2..low / 100 * 2 + 2]);
    buf[7..9].copy_from_slice(&PAIRS[low % 100 * 2..low % 100 * 2 + 2]);
    out.extend_from_slice(&buf);
}

fn push_padded_slow(out: &mut Vec<u8>, mut v: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    while v > 0 {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    push_bytes(out, &buf[i.min(buf.len() - width.min(20))..]);
}

/// An integer as babeltrace2 prints it: in its display base, negative hex/octal masked to
/// the field's width rounded up to whole digits.
pub fn push_int(out: &mut Vec<u8>, ty: &Int, v: u64) {
    match ty.base {
        Base::Dec if ty.signed => push_i64(out, v as i64),
        Base::Dec => push_u64(out, v),
        Base::Hex => {
            let width = (ty.size + 3) & !3;
            out.extend_from_slice(format!("0x{:X}", mask(v, ty.signed, width)).as_bytes());
        }
        Base::Oct => {
            let width = ty.size.div_ceil(3) * 3;
            out.extend_from_slice(format!("0{:o}", mask(v, ty.signed, width)).as_bytes());
        }
        Base::Bin => {
            out.extend_from_slice(b"0b");
            for bit in (0..ty.size).rev() {
                out.push(if v >> bit & 1 == 1 { b'1' } else { b'0' });
            }
        }
    }
}

fn mask(v: u64, signed: bool, width: u32) -> u64 {
    if signed && width < 64 {
        v & ((1u64 << width) - 1)
    } else {
        v
    }
}

/// C's `printf("%g", v)`: 6 significant digits, trailing zeros dropped.
pub fn push_g(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        out.extend_from_slice(if v.is_sign_negative() {
            b"-nan"
        } else {
            b"nan"
        });
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(if v < 0.0 { b"-inf" } else { b"inf" });
        return;
    }
    if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() { b"-0" } else { b"0" });
        return;
    }
    let sci = format!("{v:.5e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        out.extend_from_slice(trim_zeros(mantissa).as_bytes());
        out.extend_from_slice(
            format!("e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs()).as_bytes(),
        );
    } else {
        let fixed = format!("{:.*}", (5 - exp) as usize, v);
        out.extend_from_slice(trim_zeros(&fixed).as_bytes());
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// A quoted string with babeltrace2's escapes (control bytes, quotes, `\`, `?`); bytes of
/// 0x80 and above are copied as they are.
pub fn push_escaped(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    let clean = s.iter().position(|&c| needs_escape(c)).unwrap_or(s.len());
    push_bytes(out, &s[..clean]);
    for &c in &s[clean..] {
        match c {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\'' => out.extend_from_slice(b"\\'"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'?' => out.extend_from_slice(b"\\?"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x1b => out.extend_from_slice(b"\\e"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x0b => out.extend_from_slice(b"\\v"),
            c if c < 0x20 || c == 0x7f => out.extend_from_slice(format!("\\x{c:02x}").as_bytes()),
            c => out.push(c),
        }
    }
    out.push(b'"');
}

fn needs_escape(c: u8) -> bool {
    c < 0x20 || c == 0x7f || matches!(c, b'\\' | b'\'' | b'"' | b'?')
}

/// Formats nanoseconds from the epoch as `[YYYY-MM-DD ]HH:MM:SS.nnnnnnnnn`, converting each
/// second with the calendar only once.
pub struct Clock {
    calendar: Calendar,
    /// The second and `date` flag `text` was formatted for, and `[date ]HH:MM:SS`.
    text_for: Option<(i64, bool)>,
    text: Vec<u8>,
}

impl Clock {
    pub fn new(calendar: Calendar) -> Clock {
        Clock {
            calendar,
            text_for: None,
            text: Vec::new(),
        }
    }

    /// babeltrace2's wall-clock time: time of day (with `date`, the date first); before the
    /// epoch or when the calendar fails, `SECONDS.NANOS` instead.
    pub fn push(&mut self, out: &mut Vec<u8>, ns: i64, date: bool) {
        let secs = ns.div_euclid(1_000_000_000);
        if self.text_for != Some((secs, date)) {
            let Some(tm) = (self.calendar)(secs).filter(|_| ns >= 0) else {
                push_seconds(out, ns);
                return;
            };
            self.text.clear();
            push_tm(&mut self.text, &tm, date);
            self.text_for = Some((secs, date));
        }
        push_bytes(out, &self.text);
        out.push(b'.');
        push_padded(out, ns.rem_euclid(1_000_000_000) as u64, 9);
    }
}

/// `[YYYY-MM-DD ]HH:MM:SS`.
fn push_tm(out: &mut Vec<u8>, tm: &Tm, date: bool) {
    if date {
        push_i64(out, tm.year);
        out.push(b'-');
        push_padded(out, u64::from(tm.month), 2);
        out.push(b'-');
        push_padded(out, u64::from(tm.day), 2);
        out.push(b' ');
    }
    push_padded(out, u64::from(tm.hour), 2);
    out.push(b':');
    push_padded(out, u64::from(tm.min), 2);
    out.push(b':');
    push_padded(out, u64::from(tm.sec), 2);
}

/// `[-]SECONDS.NANOS`, as babeltrace2 prints times it cannot show as a time of day.
pub fn push_seconds(out: &mut Vec<u8>, ns: i64) {
    let abs = ns.unsigned_abs();
    if ns < 0 {
        out.push(b'-');
    }
    push_u64(out, abs / 1_000_000_000);
    out.push(b'.');
    push_padded(out, abs % 1_000_000_000, 9);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(v: f64) -> String {
        let mut out = Vec::new();
        push_g(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn percent_g_matches_c() {
        assert_eq!(g(3.25), "3.25");
        assert_eq!(g(-0.1), "-0.1");
        assert_eq!(g(1e300), "1e+300");
        assert_eq!(g(1.0 / 3.0), "0.333333");
        assert_eq!(g(1e-310), "1e-310");
        assert_eq!(g(123456.0), "123456");
        assert_eq!(g(1234567.0), "1.23457e+06");
        assert_eq!(g(0.0001), "0.0001");
        assert_eq!(g(0.00001234), "1.234e-05");
        assert_eq!(g(f64::NAN.copysign(-1.0)), "-nan");
    }

    #[test]
    fn padded_digits() {
        let mut out = Vec::new();
        for (v, width) in [(7, 2), (42, 2), (123, 2), (0, 9), (5, 9), (123_456_789, 9)] {
            push_padded(&mut out, v, width);
            out.push(b' ');
        }
        push_padded(&mut out, 1_000_000_000, 9);
        assert_eq!(out, b"07 42 123 000000000 000000005 123456789 1000000000");
    }

    #[test]
    fn escapes_like_babeltrace() {
        let mut out = Vec::new();
        push_escaped(&mut out, b"a\"\\\t\x1b\x7f?'\x01\xc3\xa9");
        assert_eq!(out, b"\"a\\\"\\\\\\t\\e\\x7f\\?\\'\\x01\xc3\xa9\"");
    }

    #[test]
    fn hex_of_negative_is_masked_to_width() {
        let ty = Int {
            size: 16,
            align: 8,
            signed: true,
            big_endian: false,
            base: Base::Hex,
            text: false,
            clock: false,
            meaning: super::super::types::Meaning::None,
            reg: None,
        };
        let mut out = Vec::new();
        push_int(&mut out, &ty, (-128i64) as u64);
        assert_eq!(out, b"0xFF80");
    }
}
