//! Events described at run time (markers, tracef, tracelog): owned C
//! descriptors built from a list of field specifications and registered
//! through the same public ABI as a compiled provider
//! (`ust_provider_register`, `ust_tracepoints_register`), so nothing here
//! depends on the registry's internals. Dropping a registration
//! unregisters it.

use crate::abi::{self, kind};
use crate::ffi;
use std::ffi::{c_char, CString};

/// One payload field, as a `struct ust_field_desc` says it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldSpec {
    pub name: String,
    /// `abi::kind::*`.
    pub kind: u16,
    /// `abi::flag::*`.
    pub flags: u16,
    pub elem_bits: u32,
    /// Arrays: number of elements.
    pub length: u32,
    /// Sequences: size of the length integer.
    pub len_bits: u32,
}

/// One event: "provider:event", the call-site signature it matches, its
/// log level (`None`: the default) and its fields in recording order.
#[derive(Clone, Debug)]
pub struct EventSpec {
    pub name: String,
    pub signature: String,
    pub loglevel: Option<i32>,
    pub fields: Vec<FieldSpec>,
}

/// A C string for a descriptor; an interior NUL (never produced by the
/// callers, which build names from C strings and identifiers) ends it.
fn c_string(s: &str) -> CString {
    let bytes: Vec<u8> = s.bytes().take_while(|&b| b != 0).collect();
    CString::new(bytes).unwrap_or_default()
}

/// The descriptors of one provider and everything they point to. Heap
/// blocks never move, so the pointers stay valid as long as this lives.
pub struct Provider {
    _strings: Vec<CString>,
    _fields: Vec<Box<[abi::FieldDesc]>>,
    _loglevels: Box<[i32]>,
    _events: Box<[abi::EventDesc]>,
    _event_ptrs: Box<[*const abi::EventDesc]>,
    desc: Box<abi::ProviderDesc>,
}

// SAFETY: the raw pointers point into this struct's own heap blocks, which
// are only read (by the registry, under its lock) and freed with it.
unsafe impl Send for Provider {}

impl Provider {
    /// Builds the descriptors of `events` under the provider name `name`
    /// and registers them.
    pub fn register(name: &str, events: &[EventSpec]) -> Result<Provider, String> {
        let mut strings = Vec::new();
        let mut intern = |s: &str| {
            let c = c_string(s);
            let p = c.as_ptr();
            strings.push(c);
            p
        };
        let provider_name = intern(name);
        let loglevels: Box<[i32]> = events.iter().map(|e| e.loglevel.unwrap_or(0)).collect();
        let fields: Vec<Box<[abi::FieldDesc]>> = events
            .iter()
            .map(|ev| {
                ev.fields
                    .iter()
                    .map(|f| field_desc(f, intern(&f.name)))
                    .chain([end_marker()])
                    .collect()
            })
            .collect();
        let events_out: Box<[abi::EventDesc]> = events
            .iter()
            .zip(&fields)
            .zip(loglevels.iter())
            .map(|((ev, descs), level)| abi::EventDesc {
                struct_size: std::mem::size_of::<abi::EventDesc>() as u32,
                nr_fields: ev.fields.len() as u32,
                name: intern(&ev.name),
                fields: descs.as_ptr(),
                loglevel: if ev.loglevel.is_some() {
                    level
                } else {
                    std::ptr::null()
                },
                signature: intern(&ev.signature),
                model_emf_uri: std::ptr::null(),
            })
            .collect();
        let event_ptrs: Box<[*const abi::EventDesc]> =
            events_out.iter().map(std::ptr::from_ref).collect();
        let desc = Box::new(abi::ProviderDesc {
            struct_size: std::mem::size_of::<abi::ProviderDesc>() as u32,
            nr_events: event_ptrs.len() as u32,
            name: provider_name,
            events: event_ptrs.as_ptr(),
            abi_major: abi::ABI_MAJOR,
            abi_minor: abi::ABI_MINOR,
        });
        // SAFETY: `desc` and everything it points to live in the returned
        // value, which unregisters the provider before freeing them.
        if unsafe { ffi::ust_provider_register(&*desc) } != 0 {
            return Err(format!("provider {name} was refused"));
        }
        Ok(Provider {
            _strings: strings,
            _fields: fields,
            _loglevels: loglevels,
            _events: events_out,
            _event_ptrs: event_ptrs,
            desc,
        })
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        ffi::ust_provider_unregister(&*self.desc);
    }
}

fn field_desc(f: &FieldSpec, name: *const c_char) -> abi::FieldDesc {
    abi::FieldDesc {
        struct_size: std::mem::size_of::<abi::FieldDesc>() as u32,
        kind: f.kind,
        flags: f.flags,
        name,
        elem_bits: f.elem_bits,
        length: f.length,
        len_bits: f.len_bits,
        reserved: 0,
        enum_desc: std::ptr::null(),
    }
}

fn end_marker() -> abi::FieldDesc {
    abi::FieldDesc {
        struct_size: std::mem::size_of::<abi::FieldDesc>() as u32,
        kind: kind::END,
        flags: 0,
        name: std::ptr::null(),
        elem_bits: 0,
        length: 0,
        len_bits: 0,
        reserved: 0,
        enum_desc: std::ptr::null(),
    }
}

/// Call sites registered as one module; unregistered on drop.
pub struct CallSites {
    list: Box<[*mut abi::Tracepoint]>,
}

// SAFETY: the tracepoints belong to a loaded module that unregisters them
// (dropping this) before it is unloaded; they are only touched through the
// registry's functions.
unsafe impl Send for CallSites {}

impl CallSites {
    /// Registers `list` (non-empty, each tracepoint with its name and
    /// signature set).
    ///
    /// # Safety
    /// Every pointer is a valid tracepoint that outlives the returned value.
    pub unsafe fn register(list: Vec<*mut abi::Tracepoint>) -> CallSites {
        debug_assert!(
            !list.is_empty(),
            "unregistration finds a module by its first call site"
        );
        let list = list.into_boxed_slice();
        // SAFETY: per this function's contract; the array lives in `self`.
        unsafe { ffi::ust_tracepoints_register(list.as_ptr(), list.len()) };
        CallSites { list }
    }
}

impl Drop for CallSites {
    fn drop(&mut self) {
        // SAFETY: the same array that was registered.
        unsafe { ffi::ust_tracepoints_unregister(self.list.as_ptr()) };
    }
}
