//! Reading the C descriptors of `abi` into owned `schema` values.
//!
//! Descriptors come from compiled applications: each struct is read only
//! up to the size it declares, every count is bounded, and anything
//! malformed is refused with a message instead of being trusted.

use crate::abi::{self, flag, kind};
use crate::schema::{EnumLabel, EventSchema, Field, FieldType, Int, DEFAULT_LOGLEVEL};
use std::ffi::{c_char, CStr};

/// Upper bounds that keep a corrupt descriptor from running away.
const MAX_EVENTS: u32 = 65_536;
const MAX_FIELDS: u32 = 1_024;
const MAX_ENUM_LABELS: u32 = 65_536;

/// Reads a C string, or refuses a NULL.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string.
unsafe fn string(p: *const c_char, what: &str) -> Result<String, String> {
    if p.is_null() {
        return Err(format!("{what} is NULL"));
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    Ok(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// Checks that a struct declares at least the size this library reads.
fn check_size(declared: u32, needed: usize, what: &str) -> Result<(), String> {
    if (declared as usize) < needed {
        return Err(format!("{what}: struct size {declared} < {needed}"));
    }
    Ok(())
}

/// The events of a provider descriptor.
///
/// # Safety
/// `p` points to a provider descriptor built by <ust/tracepoint-event.h>.
pub unsafe fn read_provider(p: *const abi::ProviderDesc) -> Result<Vec<EventSchema>, String> {
    // SAFETY: the caller passes a valid descriptor.
    let p = unsafe { &*p };
    check_size(
        p.struct_size,
        std::mem::size_of::<abi::ProviderDesc>(),
        "provider",
    )?;
    if p.abi_major != abi::ABI_MAJOR {
        return Err(format!(
            "provider built for ABI {}, this is {}",
            p.abi_major,
            abi::ABI_MAJOR
        ));
    }
    if p.nr_events > MAX_EVENTS {
        return Err(format!("provider declares {} events", p.nr_events));
    }
    (0..p.nr_events as usize)
        .map(|i| {
            // SAFETY: `events` holds `nr_events` pointers per the ABI.
            let ev = unsafe { *p.events.add(i) };
            // SAFETY: each pointer is an event descriptor of the provider.
            unsafe { read_event(ev) }
        })
        .collect()
}

/// A copy of an event descriptor of any ABI 1.x version; `model_emf_uri` is
/// NULL for programs built for ABI 1.0, whose descriptors end before it.
///
/// # Safety
/// `e` points to an event descriptor of `struct_size` bytes.
unsafe fn event_desc(e: *const abi::EventDesc) -> Result<abi::EventDesc, String> {
    // SAFETY: every version starts with `struct_size`.
    let size = unsafe { (*e).struct_size };
    check_size(
        size,
        std::mem::offset_of!(abi::EventDesc, model_emf_uri),
        "event",
    )?;
    let has_uri = size as usize >= std::mem::size_of::<abi::EventDesc>();
    // SAFETY: members are read in place through the raw pointer (no reference
    // to the whole struct), each within the `size` bytes checked above.
    unsafe {
        Ok(abi::EventDesc {
            struct_size: size,
            nr_fields: (*e).nr_fields,
            name: (*e).name,
            fields: (*e).fields,
            loglevel: (*e).loglevel,
            signature: (*e).signature,
            model_emf_uri: if has_uri {
                (*e).model_emf_uri
            } else {
                std::ptr::null()
            },
        })
    }
}

/// # Safety
/// `e` points to an event descriptor.
unsafe fn read_event(e: *const abi::EventDesc) -> Result<EventSchema, String> {
    if e.is_null() {
        return Err("NULL event descriptor".into());
    }
    // SAFETY: non-NULL event descriptor per the caller's contract.
    let e = unsafe { event_desc(e) }?;
    // SAFETY: descriptor strings are NUL-terminated.
    let name = unsafe { string(e.name, "event name") }?;
    if e.nr_fields > MAX_FIELDS {
        return Err(format!("{name}: {} fields", e.nr_fields));
    }
    let loglevel = if e.loglevel.is_null() {
        DEFAULT_LOGLEVEL
    } else {
        // SAFETY: a non-NULL loglevel points to the provider's static int.
        unsafe { *e.loglevel }
    };
    // SAFETY: descriptor strings are NUL-terminated.
    let signature = unsafe { string(e.signature, "signature") }?;
    let model_emf_uri = if e.model_emf_uri.is_null() {
        None
    } else {
        // SAFETY: a non-NULL URI is the provider's NUL-terminated string.
        Some(unsafe { string(e.model_emf_uri, "model EMF URI") }?)
    };
    let mut fields = Vec::new();
    for i in 0..e.nr_fields as usize {
        // SAFETY: `fields` has `nr_fields` entries; the first one's declared
        // size is the array stride.
        let f = unsafe { field_at(e.fields, i) }?;
        // SAFETY: `f` points into the field array.
        if let Some(field) = unsafe { read_field(f) }.map_err(|m| format!("{name}: {m}"))? {
            fields.push(field);
        }
    }
    Ok(EventSchema {
        name,
        loglevel: loglevel.clamp(0, 14),
        signature,
        fields,
        model_emf_uri,
    })
}

/// # Safety
/// `fields` points to an array of at least `i + 1` field descriptors.
unsafe fn field_at(
    fields: *const abi::FieldDesc,
    i: usize,
) -> Result<*const abi::FieldDesc, String> {
    if fields.is_null() {
        return Err("NULL field array".into());
    }
    // SAFETY: the array's first element exists when `nr_fields > 0`.
    let stride = unsafe { (*fields).struct_size } as usize;
    check_size(
        stride as u32,
        std::mem::size_of::<abi::FieldDesc>(),
        "field",
    )?;
    // SAFETY: element `i` exists and elements are `stride` bytes apart.
    Ok(unsafe { fields.cast::<u8>().add(i * stride).cast() })
}

fn int_of(bits: u32, flags: u16) -> Result<Int, String> {
    if ![8, 16, 32, 64].contains(&bits) {
        return Err(format!("integer of {bits} bits"));
    }
    Ok(Int {
        bits,
        signed: flags & flag::SIGNED != 0,
        hex: flags & flag::HEX != 0,
        network: flags & flag::NETWORK != 0 && bits > 8,
        text: flags & flag::TEXT != 0 && bits == 8,
    })
}

/// One field, or `None` for a `_nowrite` field (not in the trace).
///
/// # Safety
/// `f` points to a field descriptor.
unsafe fn read_field(f: *const abi::FieldDesc) -> Result<Option<Field>, String> {
    // SAFETY: per the caller's contract.
    let f = unsafe { &*f };
    if f.flags & flag::NOWRITE != 0 {
        return Ok(None);
    }
    // SAFETY: descriptor strings are NUL-terminated.
    let name = unsafe { string(f.name, "field name") }?;
    let ty = match f.kind {
        kind::INTEGER => FieldType::Integer(int_of(f.elem_bits, f.flags)?),
        kind::FLOAT if f.elem_bits == 32 || f.elem_bits == 64 => {
            FieldType::Float { bits: f.elem_bits }
        }
        kind::STRING => FieldType::String,
        kind::ARRAY => FieldType::Array {
            elem: int_of(f.elem_bits, f.flags)?,
            len: f.length,
        },
        kind::SEQUENCE => {
            let len_flags = if f.flags & flag::LEN_SIGNED != 0 {
                flag::SIGNED
            } else {
                0
            };
            FieldType::Sequence {
                elem: int_of(f.elem_bits, f.flags)?,
                len_int: int_of(f.len_bits, len_flags)?,
            }
        }
        kind::ENUM => FieldType::Enum {
            container: int_of(f.elem_bits, f.flags & flag::SIGNED)?,
            // SAFETY: an enum field points to its enum descriptor.
            labels: unsafe { read_enum(f.enum_desc) }?,
        },
        other => {
            return Err(format!(
                "field {name}: unknown kind {other} / {} bits",
                f.elem_bits
            ))
        }
    };
    Ok(Some(Field { name, ty }))
}

/// # Safety
/// `d` is NULL or points to an enum descriptor.
unsafe fn read_enum(d: *const abi::EnumDesc) -> Result<Vec<EnumLabel>, String> {
    if d.is_null() {
        return Err("enum field without enum descriptor".into());
    }
    // SAFETY: non-NULL enum descriptor.
    let d = unsafe { &*d };
    check_size(d.struct_size, std::mem::size_of::<abi::EnumDesc>(), "enum")?;
    if d.nr_entries > MAX_ENUM_LABELS || (d.nr_entries > 0 && d.entries.is_null()) {
        return Err("bad enum entry table".into());
    }
    let mut labels: Vec<EnumLabel> = Vec::new();
    for i in 0..d.nr_entries as usize {
        // SAFETY: `entries` holds `nr_entries` entries; the first one's size is the stride.
        let e = unsafe {
            let stride = (*d.entries).struct_size as usize;
            check_size(
                stride as u32,
                std::mem::size_of::<abi::EnumEntry>(),
                "enum entry",
            )?;
            &*d.entries
                .cast::<u8>()
                .add(i * stride)
                .cast::<abi::EnumEntry>()
        };
        // SAFETY: labels are NUL-terminated strings.
        let label = unsafe { string(e.label, "enum label") }?;
        let (start, end) = if e.is_auto != 0 {
            let next = labels.last().map_or(0, |l| l.end.wrapping_add(1));
            (next, next)
        } else {
            (e.start, e.end)
        };
        labels.push(EnumLabel { label, start, end });
    }
    Ok(labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An event descriptor with no field, declaring `struct_size`, whose URI is set.
    fn event(struct_size: u32, uri: &std::ffi::CStr) -> abi::EventDesc {
        abi::EventDesc {
            struct_size,
            nr_fields: 0,
            name: c"p:e".as_ptr(),
            fields: std::ptr::null(),
            loglevel: std::ptr::null(),
            signature: c"()".as_ptr(),
            model_emf_uri: uri.as_ptr(),
        }
    }

    #[test]
    fn model_emf_uri_is_read_only_from_descriptors_that_hold_it() {
        let uri = c"urn:example:model";
        let full = event(std::mem::size_of::<abi::EventDesc>() as u32, uri);
        // SAFETY: a valid descriptor.
        let read = unsafe { read_event(&full) }.unwrap();
        assert_eq!(read.model_emf_uri.as_deref(), Some("urn:example:model"));
        let base = std::mem::offset_of!(abi::EventDesc, model_emf_uri) as u32;
        let old = event(base, uri);
        // SAFETY: a valid descriptor of ABI 1.0's size.
        let read = unsafe { read_event(&old) }.unwrap();
        assert_eq!((read.name.as_str(), read.model_emf_uri), ("p:e", None));
        let short = event(base - 8, uri);
        // SAFETY: the size check refuses it before reading past `struct_size`.
        assert!(unsafe { read_event(&short) }.is_err());
    }
}
