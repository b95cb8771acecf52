//! The registry: which providers (event descriptions) and which
//! tracepoints (call sites) are loaded, and one `Handle` per event.
//!
//! It knows no session. Whoever traces the process (the daemonless session
//! or the agent, see `runtime`) registers once as the `Interest`, and the
//! registry asks it where each event is recorded: when a provider registers
//! (so a library loaded later records what is enabled now) and on
//! `refresh`, which the interest calls after it changed. A call site points
//! at its event's handle while the event is recorded anywhere, and at
//! nothing otherwise, so a disabled tracepoint stays one load and one branch.
//!
//! Everything here runs from constructors, destructors, `dlopen`/`dlclose`
//! and the interest's own threads, under one lock, never on the hot path.
//! Lock order: the registry's lock, then the interest's.

use crate::abi;
use crate::descriptor;
use crate::grace;
use crate::handle::{Handle, Targets};
use crate::schema::EventSchema;
use once_cell::sync::{Lazy, OnceCell};
use std::ffi::CStr;
use std::sync::atomic::Ordering;
use std::sync::Mutex;

/// Where events are recorded: asked by the registry, never the other way round.
pub trait Interest: Send + Sync {
    /// The recordings of `schema` now; `None` when it is not recorded.
    /// Called under the registry's lock: must not call back into it.
    fn targets(&self, schema: &EventSchema) -> Option<Box<Targets>>;
}

/// An event description, kept for the life of the process.
struct EventEntry {
    schema: EventSchema,
    /// How many registered providers currently describe it.
    live: u32,
    handle: &'static Handle,
}

/// The tracepoints of one module (executable or library).
struct Module {
    tracepoints: Vec<*mut abi::Tracepoint>,
}

struct Provider {
    desc: *const abi::ProviderDesc,
    events: Vec<usize>,
}

#[derive(Default)]
struct Registry {
    events: Vec<EventEntry>,
    modules: Vec<Module>,
    providers: Vec<Provider>,
}

// SAFETY: the raw pointers are descriptors and tracepoints of loaded
// modules; they are only used under the registry lock, and removed by the
// module's destructor before it is unloaded.
unsafe impl Send for Registry {}

static REGISTRY: Lazy<Mutex<Registry>> = Lazy::new(|| Mutex::new(Registry::default()));
static INTEREST: OnceCell<&'static dyn Interest> = OnceCell::new();

/// Makes `interest` the one that decides what is recorded (once per process).
pub fn set_interest(interest: &'static dyn Interest) {
    let _ = INTEREST.set(interest);
}

fn lock() -> std::sync::MutexGuard<'static, Registry> {
    pin_library();
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Keeps libust loaded until exit once anything registered: it may have
/// been loaded along with a dlopen()ed provider, and its buffers, handles
/// and consumer thread must outlive that library's dlclose().
fn pin_library() {
    static PINNED: OnceCell<()> = OnceCell::new();
    PINNED.get_or_init(|| {
        // SAFETY: dladdr fills `info` for an address of this library; the
        // file name it returns is passed straight back to dlopen, which
        // only bumps the reference count (RTLD_NOLOAD) and sets NODELETE.
        unsafe {
            let mut info: libc::Dl_info = std::mem::zeroed();
            let here = pin_library as *const libc::c_void;
            if libc::dladdr(here, &mut info) != 0 && !info.dli_fname.is_null() {
                libc::dlopen(
                    info.dli_fname,
                    libc::RTLD_NOW | libc::RTLD_NOLOAD | libc::RTLD_NODELETE,
                );
            }
        }
    });
}

/// Reads a tracepoint's name and signature.
///
/// # Safety
/// `tp` points to a tracepoint defined by <ust/tracepoint.h>.
unsafe fn tracepoint_key(tp: *const abi::Tracepoint) -> Option<(&'static CStr, &'static CStr)> {
    // SAFETY: per the caller's contract; the strings are static literals of its module.
    unsafe {
        let tp = &*tp;
        if (tp.struct_size as usize) < std::mem::size_of::<abi::Tracepoint>()
            || tp.name.is_null()
            || tp.signature.is_null()
        {
            return None;
        }
        Some((CStr::from_ptr(tp.name), CStr::from_ptr(tp.signature)))
    }
}

impl Registry {
    /// Points every call site of `entry`'s event at its handle if the event
    /// is recorded, at nothing otherwise.
    fn connect(&self, entry: &EventEntry) {
        let live = entry.live > 0 && entry.handle.is_live();
        let ptr = if live {
            std::ptr::from_ref(&entry.handle.public).cast_mut()
        } else {
            std::ptr::null_mut()
        };
        let schema = &entry.schema;
        for &tp in self.modules.iter().flat_map(|m| &m.tracepoints) {
            // SAFETY: registered tracepoints stay valid until unregistered.
            let Some((name, sig)) = (unsafe { tracepoint_key(tp) }) else {
                continue;
            };
            if name.to_bytes() != schema.name.as_bytes() {
                continue;
            }
            if sig.to_bytes() == schema.signature.as_bytes() {
                // SAFETY: as above; `handle` is atomic.
                unsafe { (*tp).handle.store(ptr, Ordering::Release) };
            } else if live {
                eprintln!(
                    "ust: a call site of {} was built from another version of its provider header; it is not recorded",
                    schema.name
                );
            }
        }
    }

    /// Asks the interest where entry `i` is recorded and publishes it.
    fn update(&mut self, i: usize) {
        let entry = &self.events[i];
        let targets = match INTEREST.get() {
            Some(interest) if entry.live > 0 => interest.targets(&entry.schema),
            _ => None,
        };
        if let Some(old) = entry.handle.publish(targets) {
            grace::retire(old);
        }
        self.connect(&self.events[i]);
    }

    fn add_provider(&mut self, desc: *const abi::ProviderDesc, schemas: Vec<EventSchema>) {
        let mut indices = Vec::new();
        for schema in schemas {
            let i = match self.events.iter().position(|e| e.schema == schema) {
                Some(i) => i,
                None => {
                    self.events.push(EventEntry {
                        schema,
                        live: 0,
                        handle: Box::leak(Box::default()),
                    });
                    self.events.len() - 1
                }
            };
            self.events[i].live += 1;
            if self.events[i].live == 1 {
                self.update(i);
            } else {
                self.connect(&self.events[i]);
            }
            indices.push(i);
        }
        self.providers.push(Provider {
            desc,
            events: indices,
        });
    }

    fn remove_provider(&mut self, desc: *const abi::ProviderDesc) {
        let Some(at) = self.providers.iter().position(|p| p.desc == desc) else {
            return;
        };
        let provider = self.providers.swap_remove(at);
        for i in provider.events {
            self.events[i].live -= 1;
            if self.events[i].live == 0 {
                self.update(i);
            }
        }
    }

    fn add_module(&mut self, tracepoints: Vec<*mut abi::Tracepoint>) {
        self.modules.push(Module { tracepoints });
        for e in self.events.iter().filter(|e| e.live > 0) {
            self.connect(e);
        }
    }
}

/// Registers a provider's events; returns their descriptions.
///
/// # Safety
/// `desc` points to a provider descriptor that stays valid until
/// `unregister_provider` is called with it.
pub unsafe fn register_provider(
    desc: *const abi::ProviderDesc,
) -> Result<Vec<EventSchema>, String> {
    // SAFETY: per the caller's contract.
    let schemas = unsafe { descriptor::read_provider(desc) }?;
    lock().add_provider(desc, schemas.clone());
    Ok(schemas)
}

/// Unregisters a provider: its events stop being recorded.
pub fn unregister_provider(desc: *const abi::ProviderDesc) {
    lock().remove_provider(desc);
}

/// Registers `count` tracepoints of one module.
///
/// # Safety
/// `tps` points to `count` tracepoint pointers that stay valid until
/// `unregister_tracepoints` is called with the same `tps`.
pub unsafe fn register_tracepoints(tps: *const *mut abi::Tracepoint, count: usize) {
    // SAFETY: per the caller's contract.
    let list = unsafe { std::slice::from_raw_parts(tps, count) };
    let list: Vec<_> = list.iter().copied().filter(|tp| !tp.is_null()).collect();
    lock().add_module(list);
}

/// Unregisters the module whose tracepoint array starts at `tps`.
///
/// # Safety
/// `tps` was passed to `register_tracepoints` (or is NULL: no-op).
pub unsafe fn unregister_tracepoints(tps: *const *mut abi::Tracepoint) {
    if tps.is_null() {
        return;
    }
    // SAFETY: the array still exists; we only read its first pointer.
    let first = unsafe { *tps };
    let mut reg = lock();
    let at = reg
        .modules
        .iter()
        .position(|m| m.tracepoints.first() == Some(&first));
    if let Some(at) = at {
        for &tp in &reg.modules[at].tracepoints {
            // SAFETY: the module is still loaded (its destructor calls us).
            unsafe { (*tp).handle.store(std::ptr::null_mut(), Ordering::Release) };
        }
        reg.modules.swap_remove(at);
    }
}

/// The events of the registered providers (what a daemon may enable).
pub fn live_schemas() -> Vec<EventSchema> {
    lock()
        .events
        .iter()
        .filter(|e| e.live > 0)
        .map(|e| e.schema.clone())
        .collect()
}

/// Asks the interest again about the events named `names` (their
/// recordings changed), then frees what no thread uses any more.
pub fn refresh_events(names: &[&str]) {
    {
        let mut reg = lock();
        for i in 0..reg.events.len() {
            if names.contains(&reg.events[i].schema.name.as_str()) {
                reg.update(i);
            }
        }
    }
    grace::collect();
}

/// Asks the interest again about every event (it changed), then frees
/// what no thread uses any more. Returns how many retired objects still
/// wait for a grace period.
pub fn refresh() -> usize {
    {
        let mut reg = lock();
        for i in 0..reg.events.len() {
            reg.update(i);
        }
    }
    grace::collect()
}
