//! Printf-style markers (`trace_mark`, `ust_marker`, include/ust/marker.h):
//! when a module's markers register, each format is parsed once (`format`)
//! into typed fields and a list of argument operations for the C recorder,
//! and the module's markers become one provider of events
//! "channel:name" plus one call site each (see `dynevent`). A marker whose
//! format cannot be typed, or that reuses a name with another format, is
//! refused with a message and stays disabled.

pub mod format;

use crate::abi;
use crate::dynevent::{CallSites, EventSpec, FieldSpec, Provider};
use format::Op;
use once_cell::sync::Lazy;
use std::collections::HashMap;
use std::ffi::{c_char, CStr, CString};
use std::sync::{Mutex, MutexGuard};

/// `struct ust_marker` (include/ust/marker.h).
#[repr(C)]
pub struct Marker {
    pub struct_size: u32,
    pub nr_ops: u32,
    pub channel: *const c_char,
    pub name: *const c_char,
    pub format: *const c_char,
    pub ops: *const u8,
    pub fixed_size: u32,
    pub nr_strings: u32,
    pub tp: abi::Tracepoint,
}

/// Upper bound on the markers of one module (a corrupt count is refused).
const MAX_MARKERS: usize = 1 << 20;

/// What one module's registration owns until it unregisters.
struct Module {
    /// The module's marker array: the key `ust_markers_unregister` passes.
    key: usize,
    /// Names of the events this module holds a reference to.
    events: Vec<String>,
    _ops: Vec<Box<[u8]>>,
    _names: Vec<CString>,
    call_sites: Option<CallSites>,
    provider: Option<Provider>,
}

#[derive(Default)]
struct Markers {
    modules: Vec<Module>,
    /// Event name → (its format, how many modules use it).
    formats: HashMap<String, (String, usize)>,
}

static MARKERS: Lazy<Mutex<Markers>> = Lazy::new(Mutex::default);

fn lock() -> MutexGuard<'static, Markers> {
    MARKERS.lock().unwrap_or_else(|e| e.into_inner())
}

/// A marker's channel, name and format, read from the call site.
struct Site {
    marker: *mut Marker,
    event: String,
    format: String,
}

/// # Safety
/// `m` points to a marker defined by include/ust/marker.h.
unsafe fn read_site(m: *mut Marker) -> Result<Site, String> {
    // SAFETY: per the caller's contract.
    let site = unsafe { &*m };
    if (site.struct_size as usize) < std::mem::size_of::<Marker>() {
        return Err(format!("marker struct of {} bytes", site.struct_size));
    }
    let text = |p: *const c_char, what: &str| {
        if p.is_null() {
            return Err(format!("marker without {what}"));
        }
        // SAFETY: the header stores string literals.
        Ok(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    };
    Ok(Site {
        marker: m,
        event: format!(
            "{}:{}",
            text(site.channel, "channel")?,
            text(site.name, "name")?
        ),
        format: text(site.format, "format")?,
    })
}

/// The event of one accepted format, and its recorder operations.
struct Typed {
    spec: EventSpec,
    ops: Box<[u8]>,
    fixed_size: u32,
    nr_strings: u32,
}

fn type_format(event: &str, format: &str) -> Result<Typed, String> {
    let args = format::parse(format)?;
    let fields: Vec<FieldSpec> = args.iter().map(|a| a.field.clone()).collect();
    Ok(Typed {
        spec: EventSpec {
            name: event.to_string(),
            signature: format!("marker:{format}"),
            loglevel: None,
            fields,
        },
        ops: args.iter().map(|a| a.op as u8).collect(),
        fixed_size: args.iter().map(|a| a.op.fixed_size()).sum(),
        nr_strings: args.iter().filter(|a| a.op == Op::String).count() as u32,
    })
}

impl Markers {
    /// Accepts `site` unless its name is taken by another format.
    fn check_name(&self, module_events: &[EventSpec], site: &Site) -> Result<(), String> {
        let known = self
            .formats
            .get(&site.event)
            .map(|(f, _)| f.as_str())
            .or_else(|| {
                module_events
                    .iter()
                    .find(|e| e.name == site.event)
                    .map(|e| &e.signature["marker:".len()..])
            });
        match known {
            Some(f) if f != site.format => Err(format!(
                "format \"{}\" differs from the format \"{f}\" of another marker of that name",
                site.format
            )),
            _ => Ok(()),
        }
    }

    fn register(&mut self, key: usize, sites: Vec<Site>) {
        let mut events: Vec<EventSpec> = Vec::new();
        let mut ops = Vec::new();
        let mut names = Vec::new();
        let mut tracepoints = Vec::new();
        for site in sites {
            let typed = self
                .check_name(&events, &site)
                .and_then(|()| type_format(&site.event, &site.format));
            let typed = match typed {
                Ok(t) => t,
                Err(msg) => {
                    eprintln!(
                        "ust: marker {} (format \"{}\"): {msg}; not recorded",
                        site.event, site.format
                    );
                    continue;
                }
            };
            let name = CString::new(site.event.as_str()).unwrap_or_default();
            let signature = CString::new(typed.spec.signature.as_str()).unwrap_or_default();
            // SAFETY: the marker is valid (read_site) and not yet
            // registered, so no call site reads these members yet; the
            // buffers they point to live in the module's entry.
            unsafe {
                let m = &mut *site.marker;
                m.ops = typed.ops.as_ptr();
                m.nr_ops = typed.ops.len() as u32;
                m.fixed_size = typed.fixed_size;
                m.nr_strings = typed.nr_strings;
                m.tp.name = name.as_ptr();
                m.tp.signature = signature.as_ptr();
                tracepoints.push(std::ptr::addr_of_mut!(m.tp));
            }
            ops.push(typed.ops);
            names.push(name);
            names.push(signature);
            if !events.iter().any(|e| e.name == site.event) {
                events.push(typed.spec);
            }
        }
        let mut module = Module {
            key,
            events: Vec::new(),
            _ops: ops,
            _names: names,
            call_sites: None,
            provider: None,
        };
        if !events.is_empty() {
            match Provider::register("markers", &events) {
                Ok(p) => module.provider = Some(p),
                Err(msg) => eprintln!("ust: markers: {msg}"),
            }
        }
        if module.provider.is_some() {
            // SAFETY: the tracepoints are members of the module's markers,
            // which stay loaded until its destructor unregisters them.
            module.call_sites = Some(unsafe { CallSites::register(tracepoints) });
            for e in &events {
                let entry = self
                    .formats
                    .entry(e.name.clone())
                    .or_insert_with(|| (e.signature["marker:".len()..].to_string(), 0));
                entry.1 += 1;
                module.events.push(e.name.clone());
            }
        }
        self.modules.push(module);
    }

    fn unregister(&mut self, key: usize) {
        let Some(at) = self.modules.iter().position(|m| m.key == key) else {
            return;
        };
        let mut module = self.modules.swap_remove(at);
        module.call_sites = None;
        module.provider = None;
        for name in &module.events {
            if let Some(entry) = self.formats.get_mut(name) {
                entry.1 -= 1;
                if entry.1 == 0 {
                    self.formats.remove(name);
                }
            }
        }
    }
}

/// Registers the `count` markers of one module.
///
/// # Safety
/// `markers` points to `count` pointers to markers defined by
/// include/ust/marker.h, valid until `unregister` is called with `markers`.
pub unsafe fn register(markers: *const *mut Marker, count: usize) -> Result<(), String> {
    if count > MAX_MARKERS {
        return Err(format!("{count} markers in one module"));
    }
    // SAFETY: per this function's contract.
    let list = unsafe { std::slice::from_raw_parts(markers, count) };
    let mut sites = Vec::new();
    for &m in list.iter().filter(|m| !m.is_null()) {
        // SAFETY: each non-NULL pointer is a marker of the module.
        match unsafe { read_site(m) } {
            Ok(site) => sites.push(site),
            Err(msg) => eprintln!("ust: {msg}; not recorded"),
        }
    }
    lock().register(markers as usize, sites);
    Ok(())
}

/// Unregisters the markers registered with the array `markers`.
pub fn unregister(markers: *const *mut Marker) {
    lock().unregister(markers as usize);
}
