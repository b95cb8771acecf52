//! Tracepoint record layouts, read from tracefs `events/<system>/<event>/format` files, and
//! field access by name on a record's raw bytes.
//!
//! The layout of a tracepoint record is not a kernel ABI: fields move and change type between
//! kernel versions (on 6.18, `sched_process_fork`'s comms became `__data_loc` strings). So no
//! offset is ever assumed: every field is looked up by name in the running kernel's format
//! file, and every read is bounds-checked against the record it reads.

use std::fmt;

/// How a field's bytes are stored in the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A scalar of `size` bytes.
    Scalar,
    /// A fixed array (`char comm[16]`, `unsigned long args[6]`) of `size` bytes in all.
    Array,
    /// `__data_loc`: a u32 holding (length << 16 | offset from the record start).
    DataLoc,
    /// `__rel_loc`: as `DataLoc`, the offset counted from the end of the field.
    RelLoc,
}

/// One field of a tracepoint record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    /// The C declaration without the name (`pid_t`, `const char *`, `__data_loc char[]`).
    pub ctype: String,
    pub at: Slot,
}

/// Where a field's bytes are in a record, and how to read them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    pub offset: usize,
    pub size: usize,
    pub signed: bool,
    pub kind: Kind,
}

/// A parsed format file.
#[derive(Clone, Debug)]
pub struct Format {
    /// The tracepoint id (`common_type` of its records, `config` for perf_event_open).
    pub id: u64,
    pub fields: Vec<Field>,
}

/// A format file that does not parse.
#[derive(Debug)]
pub struct BadFormat(pub String);

impl fmt::Display for BadFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Format {
    /// Parses the text of a format file.
    pub fn parse(text: &str) -> Result<Format, BadFormat> {
        let mut id = None;
        let mut fields = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if let Some(v) = line.strip_prefix("ID:") {
                id = v.trim().parse::<u64>().ok();
            } else if line.starts_with("field:") {
                fields.push(parse_field(line)?);
            }
        }
        let id = id.ok_or_else(|| BadFormat("no ID line".into()))?;
        Ok(Format { id, fields })
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The fields after the common ones (`common_*`).
    pub fn own_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields
            .iter()
            .filter(|f| !f.name.starts_with("common_"))
    }
}

/// `field:TYPE NAME;\toffset:N;\tsize:N;\tsigned:N;`
fn parse_field(line: &str) -> Result<Field, BadFormat> {
    let bad = || BadFormat(format!("cannot read the field line {line:?}"));
    let mut parts = line.split(';').map(str::trim);
    let decl = parts
        .next()
        .and_then(|d| d.strip_prefix("field:"))
        .ok_or_else(bad)?;
    let mut number = |key: &str| -> Result<usize, BadFormat> {
        let part = parts.next().ok_or_else(bad)?;
        part.strip_prefix(key)
            .and_then(|v| v.trim().parse::<usize>().ok())
            .ok_or_else(bad)
    };
    let offset = number("offset:")?;
    let size = number("size:")?;
    let signed = number("signed:")? != 0;
    let decl = decl.trim();
    let split = decl.rfind([' ', '*']).ok_or_else(bad)?;
    let (ctype, name) = (decl[..=split].trim(), decl[split + 1..].trim());
    let (name, array) = match name.find('[') {
        Some(i) => (&name[..i], true),
        None => (name, false),
    };
    let kind = if ctype.starts_with("__data_loc") {
        Kind::DataLoc
    } else if ctype.starts_with("__rel_loc") {
        Kind::RelLoc
    } else if array {
        Kind::Array
    } else {
        Kind::Scalar
    };
    if name.is_empty() || size == 0 {
        return Err(bad());
    }
    Ok(Field {
        name: name.to_string(),
        ctype: ctype.to_string(),
        at: Slot {
            offset,
            size,
            signed,
            kind,
        },
    })
}

impl Slot {
    /// The scalar's value, sign-extended when the field is signed; None when the record is
    /// too short or the field is not a 1, 2, 4 or 8-byte scalar.
    pub fn int(&self, raw: &[u8]) -> Option<i64> {
        if self.kind != Kind::Scalar {
            return None;
        }
        let bytes = raw.get(self.offset..self.offset + self.size)?;
        Some(match (self.size, self.signed) {
            (1, true) => i64::from(bytes[0] as i8),
            (1, false) => i64::from(bytes[0]),
            (2, true) => i64::from(i16::from_le_bytes(bytes.try_into().ok()?)),
            (2, false) => i64::from(u16::from_le_bytes(bytes.try_into().ok()?)),
            (4, true) => i64::from(i32::from_le_bytes(bytes.try_into().ok()?)),
            (4, false) => i64::from(u32::from_le_bytes(bytes.try_into().ok()?)),
            (8, _) => i64::from_le_bytes(bytes.try_into().ok()?),
            _ => return None,
        })
    }

    /// Element `i` of an array of u64 (`unsigned long args[6]`).
    pub fn u64_at(&self, raw: &[u8], i: usize) -> Option<u64> {
        let at = self.offset + i * 8;
        if self.kind != Kind::Array || (i + 1) * 8 > self.size {
            return None;
        }
        Some(u64::from_le_bytes(raw.get(at..at + 8)?.try_into().ok()?))
    }

    /// The text of a char array or of a `__data_loc`/`__rel_loc` string, up to its first NUL.
    pub fn text<'a>(&self, raw: &'a [u8]) -> Option<&'a [u8]> {
        let bytes = match self.kind {
            Kind::Array => raw.get(self.offset..self.offset + self.size)?,
            Kind::DataLoc | Kind::RelLoc => {
                let loc =
                    u32::from_le_bytes(raw.get(self.offset..self.offset + 4)?.try_into().ok()?);
                let mut start = (loc & 0xffff) as usize;
                if self.kind == Kind::RelLoc {
                    start += self.offset + self.size;
                }
                raw.get(start..start + (loc >> 16) as usize)?
            }
            Kind::Scalar => return None,
        };
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        Some(&bytes[..end])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORK: &str = "name: sched_process_fork
ID: 316
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:__data_loc char[] parent_comm;\toffset:8;\tsize:4;\tsigned:0;
\tfield:pid_t parent_pid;\toffset:12;\tsize:4;\tsigned:1;
\tfield:char child_comm[16];\toffset:16;\tsize:16;\tsigned:0;
\tfield:const char * filename;\toffset:32;\tsize:8;\tsigned:0;

print fmt: \"comm=%s pid=%d\", __get_str(parent_comm), REC->parent_pid
";

    fn record() -> Vec<u8> {
        let mut r = vec![0u8; 40];
        r[0..2].copy_from_slice(&316u16.to_le_bytes());
        r[8..12].copy_from_slice(&((5u32 << 16) | 40).to_le_bytes());
        r[12..16].copy_from_slice(&(-7i32).to_le_bytes());
        r[16..20].copy_from_slice(b"kid\0");
        r[32..40].copy_from_slice(&0xdead_beefu64.to_le_bytes());
        r.extend_from_slice(b"bash\0");
        r
    }

    #[test]
    fn fields_are_found_by_name_with_their_kind() {
        let f = Format::parse(FORK).unwrap();
        assert_eq!(f.id, 316);
        assert_eq!(f.own_fields().count(), 4);
        let loc = f.field("parent_comm").unwrap().at;
        assert_eq!((loc.kind, loc.offset, loc.size), (Kind::DataLoc, 8, 4));
        let comm = f.field("child_comm").unwrap();
        assert_eq!((comm.at.kind, comm.at.size), (Kind::Array, 16));
        assert_eq!(comm.ctype, "char");
        let ptr = f.field("filename").unwrap();
        assert_eq!(ptr.at.kind, Kind::Scalar);
        assert_eq!(ptr.ctype, "const char *");
    }

    #[test]
    fn values_decode_from_a_record() {
        let f = Format::parse(FORK).unwrap();
        let r = record();
        assert_eq!(f.field("common_type").unwrap().at.int(&r), Some(316));
        assert_eq!(f.field("parent_pid").unwrap().at.int(&r), Some(-7));
        assert_eq!(
            f.field("parent_comm").unwrap().at.text(&r),
            Some(&b"bash"[..])
        );
        assert_eq!(
            f.field("child_comm").unwrap().at.text(&r),
            Some(&b"kid"[..])
        );
        assert_eq!(f.field("filename").unwrap().at.int(&r), Some(0xdead_beef));
    }

    #[test]
    fn short_records_and_bad_locations_read_as_none() {
        let f = Format::parse(FORK).unwrap();
        let r = record();
        assert_eq!(f.field("filename").unwrap().at.int(&r[..36]), None);
        let mut bad = r.clone();
        bad[8..12].copy_from_slice(&((200u32 << 16) | 40).to_le_bytes());
        assert_eq!(f.field("parent_comm").unwrap().at.text(&bad), None);
    }

    #[test]
    fn rel_loc_counts_from_the_field_end() {
        let text = "ID: 9\n\tfield:__rel_loc char[] name;\toffset:8;\tsize:4;\tsigned:0;\n";
        let f = Format::parse(text).unwrap();
        let mut r = vec![0u8; 12];
        r[8..12].copy_from_slice(&(3u32 << 16).to_le_bytes());
        r.extend_from_slice(b"ab\0");
        assert_eq!(f.field("name").unwrap().at.text(&r), Some(&b"ab"[..]));
    }

    #[test]
    fn garbage_is_refused() {
        assert!(Format::parse("name: x\n").is_err());
        assert!(Format::parse("ID: 3\n\tfield:int x;\toffset:zz;\tsize:4;\tsigned:1;\n").is_err());
    }
}
