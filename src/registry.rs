//! The registry: which providers (event descriptions) and which
//! tracepoints (call sites) are loaded, and which events are enabled.
//!
//! An event is recorded when its provider is registered, it is selected by
//! the session's configuration, and a call site with the same name and
//! signature exists: then the call site's `handle` is set. Everything here
//! runs from constructors, destructors and `dlopen`/`dlclose`, under one
//! lock, never on the hot path.

use crate::abi;
use crate::agent;
use crate::channel::Handle;
use crate::config;
use crate::descriptor;
use crate::schema::EventSchema;
use crate::session::Session;
use once_cell::sync::{Lazy, OnceCell};
use std::ffi::CStr;
use std::sync::atomic::Ordering;
use std::sync::Mutex;

/// An event description, kept for the life of the process.
struct EventEntry {
    schema: EventSchema,
    /// How many registered providers currently describe it.
    live: u32,
    /// Set once the event has been enabled (with its id); never freed.
    handle: Option<&'static Handle>,
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
    next_id: u32,
}

// SAFETY: the raw pointers are descriptors and tracepoints of loaded
// modules; they are only used under the registry lock, and removed by the
// module's destructor before it is unloaded.
unsafe impl Send for Registry {}

static REGISTRY: Lazy<Mutex<Registry>> = Lazy::new(|| Mutex::new(Registry::default()));
static MODE: OnceCell<Mode> = OnceCell::new();

/// How this process is traced, decided on first use.
enum Mode {
    /// `UST_TRACE=DIR`: the process writes its own trace.
    Daemonless(&'static Session),
    /// No `UST_TRACE`: a daemon may enable events (see `agent`).
    Daemon,
    /// A bad `UST_*` setting: not traced.
    Off,
}

fn mode() -> &'static Mode {
    MODE.get_or_init(|| match config::from_env() {
        Ok(None) => Mode::Daemon,
        Ok(Some(c)) => match Session::start(c) {
            Ok(s) => Mode::Daemonless(s),
            Err(msg) => off(&msg),
        },
        Err(msg) => off(&msg),
    })
}

fn off(msg: &str) -> Mode {
    eprintln!("ust: {msg}; tracing disabled");
    Mode::Off
}

fn daemonless_session() -> Option<&'static Session> {
    match mode() {
        Mode::Daemonless(s) => Some(s),
        _ => None,
    }
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
    /// Points every matching call site at `handle` (or NULL).
    fn connect(&self, schema: &EventSchema, handle: Option<&'static Handle>) {
        let ptr = handle.map_or(std::ptr::null_mut(), |h| {
            std::ptr::from_ref(&h.public).cast_mut()
        });
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
            } else if handle.is_some() {
                eprintln!(
                    "ust: a call site of {} was built from another version of its provider header; it is not recorded",
                    schema.name
                );
            }
        }
    }

    /// Enables entry `i` if the session selects it and it has no handle yet.
    fn enable(&mut self, i: usize, session: &'static Session) {
        let entry = &self.events[i];
        if entry.handle.is_some()
            || !session
                .config
                .selects(&entry.schema.name, entry.schema.loglevel)
        {
            return;
        }
        let id = self.next_id;
        self.next_id += 1;
        session.add_event(id, &entry.schema);
        self.events[i].handle = Some(Box::leak(Box::new(Handle::new(id, session.channel))));
    }

    fn add_provider(&mut self, desc: *const abi::ProviderDesc, schemas: Vec<EventSchema>) {
        let session = daemonless_session();
        let mut indices = Vec::new();
        for schema in schemas {
            let i = match self.events.iter().position(|e| e.schema == schema) {
                Some(i) => i,
                None => {
                    self.events.push(EventEntry {
                        schema,
                        live: 0,
                        handle: None,
                    });
                    self.events.len() - 1
                }
            };
            self.events[i].live += 1;
            if let Some(s) = session {
                self.enable(i, s);
            }
            let entry = &self.events[i];
            self.connect(&entry.schema, entry.handle);
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
                self.connect(&self.events[i].schema, None);
            }
        }
    }

    fn add_module(&mut self, tracepoints: Vec<*mut abi::Tracepoint>) {
        self.modules.push(Module { tracepoints });
        for e in self
            .events
            .iter()
            .filter(|e| e.live > 0 && e.handle.is_some())
        {
            self.connect(&e.schema, e.handle);
        }
    }
}

/// Registers a provider's events.
///
/// # Safety
/// `desc` points to a provider descriptor that stays valid until
/// `unregister_provider` is called with it.
pub unsafe fn register_provider(desc: *const abi::ProviderDesc) -> Result<(), String> {
    // SAFETY: per the caller's contract.
    let schemas = unsafe { descriptor::read_provider(desc) }?;
    let announce = matches!(mode(), Mode::Daemon).then(|| schemas.clone());
    lock().add_provider(desc, schemas);
    if let Some(schemas) = announce {
        agent::provider_registered(schemas);
    }
    Ok(())
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
    mode();
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

/// Writes out the daemonless session's trace at process exit.
pub fn shutdown() {
    if let Some(Mode::Daemonless(session)) = MODE.get() {
        session.finish();
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

/// Records event `name` with `handle` (or stops recording it with `None`);
/// `false` if no registered provider describes it.
pub fn set_handle(name: &str, handle: Option<&'static Handle>) -> bool {
    let mut reg = lock();
    let found: Vec<usize> = (0..reg.events.len())
        .filter(|&i| reg.events[i].live > 0 && reg.events[i].schema.name == name)
        .collect();
    for &i in &found {
        reg.events[i].handle = handle;
        reg.connect(&reg.events[i].schema, handle);
    }
    !found.is_empty()
}

/// Stops recording every event (the daemon went away or released us).
pub fn clear_handles() {
    let mut reg = lock();
    for i in 0..reg.events.len() {
        if reg.events[i].handle.take().is_some() {
            reg.connect(&reg.events[i].schema, None);
        }
    }
}
