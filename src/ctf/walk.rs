//! Walking the events of a packet without its metadata: the daemon's check
//! of what a program wrote into its buffers before any of it reaches the
//! trace, and its own count of the events it writes.
//!
//! A program may scribble on its buffers, and a root daemon writes them
//! into a trace other programs' events share. So every event is framed from
//! the event descriptions the daemon keeps (`PayloadLayout`, one per event
//! id of the channel), never from anything the program claims, and the
//! packet is refused (`Lie`) when an event runs past the packet, names an
//! unknown id, or has a timestamp outside the packet's range or earlier than
//! the event before it: readers such as babeltrace2 stop reading a whole
//! trace at a timestamp going backwards.

use crate::schema::{EventSchema, FieldType};

/// How to find where one event's payload ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PayloadLayout {
    /// A payload of fixed size, in bytes.
    Fixed(usize),
    /// Fields in order: fixed runs, strings and sequences.
    Parts(Vec<Part>),
}

/// One step of a variable payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Bytes(usize),
    /// A NUL-terminated string.
    String,
    /// A length of `len_bytes` (little-endian, or big-endian if
    /// `network`), then that many elements of `elem_bytes`.
    Sequence {
        len_bytes: usize,
        network: bool,
        elem_bytes: usize,
    },
}

impl PayloadLayout {
    /// The layout of an event's payload, as its serializer writes it
    /// (fields packed in order, no padding).
    pub fn of(schema: &EventSchema) -> PayloadLayout {
        let mut parts: Vec<Part> = Vec::new();
        let fixed = |parts: &mut Vec<Part>, n: usize| match parts.last_mut() {
            Some(Part::Bytes(m)) => *m += n,
            _ => parts.push(Part::Bytes(n)),
        };
        for f in &schema.fields {
            match &f.ty {
                FieldType::Integer(i) => fixed(&mut parts, i.bits as usize / 8),
                FieldType::Enum { container, .. } => fixed(&mut parts, container.bits as usize / 8),
                FieldType::Float { bits } => fixed(&mut parts, *bits as usize / 8),
                FieldType::Array { elem, len } => {
                    fixed(&mut parts, elem.bits as usize / 8 * *len as usize)
                }
                FieldType::String => parts.push(Part::String),
                FieldType::Sequence { elem, len_int } => parts.push(Part::Sequence {
                    len_bytes: len_int.bits as usize / 8,
                    network: len_int.network,
                    elem_bytes: elem.bits as usize / 8,
                }),
            }
        }
        match parts.as_slice() {
            [] => PayloadLayout::Fixed(0),
            [Part::Bytes(n)] => PayloadLayout::Fixed(*n),
            _ => PayloadLayout::Parts(parts),
        }
    }

    /// Bytes of the payload starting at `data[0]`, if it fits in `data`.
    fn len(&self, data: &[u8]) -> Option<usize> {
        match self {
            PayloadLayout::Fixed(n) => (*n <= data.len()).then_some(*n),
            PayloadLayout::Parts(parts) => {
                let mut at = 0usize;
                for part in parts {
                    let rest = data.get(at..)?;
                    at += match *part {
                        Part::Bytes(n) => (n <= rest.len()).then_some(n)?,
                        Part::String => rest.iter().position(|&b| b == 0)? + 1,
                        Part::Sequence {
                            len_bytes,
                            network,
                            elem_bytes,
                        } => {
                            let raw = rest.get(..len_bytes)?;
                            let count = uint(raw, network)?;
                            let body = usize::try_from(count).ok()?.checked_mul(elem_bytes)?;
                            let total = body.checked_add(len_bytes)?;
                            (total <= rest.len()).then_some(total)?
                        }
                    };
                }
                Some(at)
            }
        }
    }
}

fn uint(raw: &[u8], big_endian: bool) -> Option<u64> {
    let mut v: u64 = 0;
    if raw.len() > 8 {
        return None;
    }
    for i in 0..raw.len() {
        let b = if big_endian {
            raw[i]
        } else {
            raw[raw.len() - 1 - i]
        };
        v = (v << 8) | u64::from(b);
    }
    Some(v)
}

/// Why a packet cannot be part of a trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lie {
    /// An event header or payload runs past the packet's content.
    Truncated { at: usize },
    /// An event id the channel never declared.
    UnknownEvent { at: usize, id: u32 },
    /// An event earlier than the one before it, or outside the packet's time range.
    TimeGoesBack { at: usize },
    /// A packet's cumulative count of discarded events went down, or up
    /// faster than events can be dropped.
    DiscardedGoesBack,
}

impl std::fmt::Display for Lie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Lie::Truncated { at } => write!(f, "an event at byte {at} runs past its packet"),
            Lie::UnknownEvent { at, id } => write!(f, "an event at byte {at} has unknown id {id}"),
            Lie::TimeGoesBack { at } => {
                write!(
                    f,
                    "the time of the event at byte {at} goes backwards or out of its packet"
                )
            }
            Lie::DiscardedGoesBack => write!(f, "its count of discarded events is impossible"),
        }
    }
}

/// What a packet holds: its events, and the time of the last one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Walked {
    pub events: u64,
    pub last_ts: u64,
}

/// The bits of the compact header's timestamp.
const COMPACT_TS_BITS: u32 = 27;
/// The id announcing an extended header.
const EXTENDED: u32 = 31;

/// Frames every event of a packet's `data` with `layouts` (by event id),
/// checking that timestamps run from `ts_begin` to at most `ts_end` without
/// going back.
pub fn walk(
    data: &[u8],
    ts_begin: u64,
    ts_end: u64,
    layouts: &[PayloadLayout],
) -> Result<Walked, Lie> {
    walk_events(data, ts_begin, ts_end, layouts, |_, _| {})
}

/// As `walk`, calling `each(id, payload)` for every event framed.
pub fn walk_events(
    data: &[u8],
    ts_begin: u64,
    ts_end: u64,
    layouts: &[PayloadLayout],
    mut each: impl FnMut(u32, &[u8]),
) -> Result<Walked, Lie> {
    let mut at = 0usize;
    let mut ts = ts_begin;
    let mut events = 0u64;
    while at < data.len() {
        let word = data
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
            .ok_or(Lie::Truncated { at })?;
        let (id, next_ts, header) = if word & 31 == EXTENDED {
            let id = data
                .get(at + 1..at + 5)
                .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
                .ok_or(Lie::Truncated { at })?;
            let full = data
                .get(at + 5..at + 13)
                .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
                .ok_or(Lie::Truncated { at })?;
            (id, full, 13)
        } else {
            (word & 31, extend(ts, u64::from(word >> 5)), 4)
        };
        if next_ts < ts || next_ts > ts_end {
            return Err(Lie::TimeGoesBack { at });
        }
        ts = next_ts;
        let layout = layouts
            .get(id as usize)
            .ok_or(Lie::UnknownEvent { at, id })?;
        let payload = data.get(at + header..).ok_or(Lie::Truncated { at })?;
        let len = layout.len(payload).ok_or(Lie::Truncated { at })?;
        each(id, &payload[..len]);
        at += header + len;
        events += 1;
    }
    Ok(Walked {
        events,
        last_ts: ts,
    })
}

/// The full timestamp whose low 27 bits are `low`, at or after `prev`.
fn extend(prev: u64, low: u64) -> u64 {
    let mask = (1u64 << COMPACT_TS_BITS) - 1;
    let candidate = (prev & !mask) | low;
    if candidate < prev {
        candidate.wrapping_add(1 << COMPACT_TS_BITS)
    } else {
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctf::header::{write_event_header, EventHeader};
    use crate::schema::{Field, Int};

    fn int(bits: u32) -> Int {
        Int {
            bits,
            signed: false,
            hex: false,
            network: false,
            text: false,
        }
    }

    fn event(at: &mut Vec<u8>, hdr: EventHeader, id: u32, ts: u64, payload: &[u8]) {
        let start = at.len();
        at.resize(start + hdr.size(), 0);
        // SAFETY: `at` was just grown by the header's size at `start`.
        unsafe { write_event_header(at.as_mut_ptr().add(start), hdr, id, ts) };
        at.extend_from_slice(payload);
    }

    fn layouts() -> Vec<PayloadLayout> {
        let schema = |fields: Vec<FieldType>| EventSchema {
            name: "p:e".into(),
            loglevel: 13,
            signature: String::new(),
            fields: fields
                .into_iter()
                .map(|ty| Field {
                    name: "f".into(),
                    ty,
                })
                .collect(),
            model_emf_uri: None,
        };
        vec![
            PayloadLayout::of(&schema(vec![
                FieldType::Integer(int(32)),
                FieldType::Integer(int(64)),
            ])),
            PayloadLayout::of(&schema(vec![
                FieldType::String,
                FieldType::Sequence {
                    elem: int(16),
                    len_int: int(32),
                },
            ])),
        ]
    }

    #[test]
    fn fixed_and_variable_payloads_are_framed_and_counted() {
        let l = layouts();
        assert_eq!(l[0], PayloadLayout::Fixed(12));
        let mut data = Vec::new();
        event(&mut data, EventHeader::Compact, 0, 100, &[0; 12]);
        let mut var = b"hi\0".to_vec();
        var.extend_from_slice(&2u32.to_le_bytes());
        var.extend_from_slice(&[1, 0, 2, 0]);
        event(&mut data, EventHeader::Compact, 1, 150, &var);
        event(&mut data, EventHeader::Extended, 0, 1 << 30, &[0; 12]);
        let w = walk(&data, 90, 1 << 31, &l).unwrap();
        assert_eq!(
            w,
            Walked {
                events: 3,
                last_ts: 1 << 30
            }
        );
        let mut seen = Vec::new();
        walk_events(&data, 90, 1 << 31, &l, |id, payload| {
            seen.push((id, payload.to_vec()))
        })
        .unwrap();
        assert_eq!(seen, [(0, vec![0; 12]), (1, var), (0, vec![0; 12])]);
    }

    #[test]
    fn lies_are_caught() {
        let l = layouts();
        let mut data = Vec::new();
        event(&mut data, EventHeader::Compact, 0, 100, &[0; 12]);
        assert_eq!(
            walk(&data[..10], 90, 200, &l),
            Err(Lie::Truncated { at: 0 })
        );
        assert_eq!(walk(&data, 150, 200, &l), Err(Lie::TimeGoesBack { at: 0 }));
        assert_eq!(walk(&data, 90, 99, &l), Err(Lie::TimeGoesBack { at: 0 }));
        let mut unknown = Vec::new();
        event(&mut unknown, EventHeader::Compact, 7, 100, &[]);
        assert_eq!(
            walk(&unknown, 90, 200, &l),
            Err(Lie::UnknownEvent { at: 0, id: 7 })
        );
        let mut huge = Vec::new();
        let mut seq = b"\0".to_vec();
        seq.extend_from_slice(&u32::MAX.to_le_bytes());
        event(&mut huge, EventHeader::Compact, 1, 100, &seq);
        assert_eq!(walk(&huge, 90, 200, &l), Err(Lie::Truncated { at: 0 }));
    }

    #[test]
    fn compact_timestamps_wrap_forward() {
        let prev = (5 << 27) + 100;
        assert_eq!(extend(prev, 200), (5 << 27) + 200);
        assert_eq!(extend(prev, 50), (6 << 27) + 50);
    }

    #[test]
    fn random_bytes_never_panic() {
        let l = layouts();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            let len = (seed % 64) as usize;
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect();
            let _ = walk(&data, 0, u64::MAX, &l);
        }
    }
}
