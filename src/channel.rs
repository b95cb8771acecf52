//! A channel: one ring buffer per possible CPU, and the two functions that
//! every enabled event handle points to (`reserve`, `commit`): the whole
//! enabled path between the generated C serializer and `ringbuf`.
//!
//! Nothing here allocates, locks or makes a system call on that path
//! (the current CPU comes from the rseq area, see `clock`).

use crate::abi;
use crate::ringbuf::{Geometry, RingBuffer};
use std::io;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;

/// This process's pid, kept current across `fork()` by an atfork handler.
static PID: AtomicU32 = AtomicU32::new(0);

/// The process's pid (no system call).
pub fn current_pid() -> u32 {
    PID.load(Ordering::Relaxed)
}

extern "C" fn after_fork_in_child() {
    // SAFETY: getpid is async-signal-safe and has no preconditions.
    PID.store(unsafe { libc::getpid() } as u32, Ordering::Relaxed);
    crate::agent::after_fork_in_child();
}

fn track_pid() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        PID.store(std::process::id(), Ordering::Relaxed);
        // SAFETY: registers a plain extern "C" function.
        unsafe { libc::pthread_atfork(None, None, Some(after_fork_in_child)) };
    });
}

/// The per-CPU buffers of one channel, written by one process: a child
/// created by `fork()` inherits the mapping but never writes to it.
pub struct Channel {
    buffers: Box<[RingBuffer]>,
    owner: u32,
}

impl Channel {
    /// Creates `ncpu` buffers of the given geometry.
    pub fn create(ncpu: u32, geo: Geometry) -> io::Result<Channel> {
        let buffers = (0..ncpu)
            .map(|cpu| RingBuffer::create(cpu, geo))
            .collect::<io::Result<Vec<_>>>()?;
        track_pid();
        Ok(Channel {
            buffers: buffers.into_boxed_slice(),
            owner: current_pid(),
        })
    }

    /// A channel of buffers mapped from another process (see `RingBuffer::open`).
    pub fn from_buffers(buffers: Vec<RingBuffer>) -> Channel {
        Channel {
            buffers: buffers.into_boxed_slice(),
            owner: 0,
        }
    }

    /// Whether this process (not a forked child) writes to the channel.
    pub fn owned_here(&self) -> bool {
        self.owner == current_pid()
    }

    /// All buffers, by CPU.
    pub fn buffers(&self) -> &[RingBuffer] {
        &self.buffers
    }

    #[inline(always)]
    fn buffer_for(&self, cpu: u32) -> &RingBuffer {
        let i = cpu as usize;
        self.buffers
            .get(i)
            .unwrap_or_else(|| &self.buffers[i % self.buffers.len()])
    }
}

/// An enabled event: the public handle followed by libust's private part.
/// Allocated once per event and never freed, because call sites may still
/// hold it after the event is disabled.
#[repr(C)]
pub struct Handle {
    pub public: abi::EventHandle,
    pub channel: &'static Channel,
}

impl Handle {
    /// A handle for event `event_id` recording into `channel`.
    pub fn new(event_id: u32, channel: &'static Channel) -> Handle {
        Handle {
            public: abi::EventHandle {
                struct_size: std::mem::size_of::<abi::EventHandle>() as u32,
                event_id,
                reserve,
                commit,
            },
            channel,
        }
    }
}

/// `ust_event_handle.reserve`: room for the event header and `len` payload
/// bytes in the current CPU's buffer, or NULL when the event is dropped.
///
/// # Safety
/// `h` must be a handle made by `Handle::new`, `r` a writable reservation.
unsafe extern "C" fn reserve(
    h: *const abi::EventHandle,
    len: usize,
    r: *mut abi::Reservation,
) -> *mut u8 {
    // SAFETY: every `ust_event_handle` libust hands out is the first field
    // of a `Handle` (repr(C)), leaked and therefore alive.
    let h = unsafe { &*h.cast::<Handle>() };
    if !h.channel.owned_here() {
        return std::ptr::null_mut();
    }
    let cpu = crate::clock::current_cpu();
    match h.channel.buffer_for(cpu).reserve(h.public.event_id, len) {
        Some(res) => {
            // SAFETY: the caller passes a writable reservation.
            unsafe {
                (*r).commit = res.commit;
                (*r).len = res.len;
            }
            res.payload
        }
        None => std::ptr::null_mut(),
    }
}

/// `ust_event_handle.commit`: publishes the event reserved in `r`.
///
/// # Safety
/// `r` must have been filled by a successful `reserve`.
unsafe extern "C" fn commit(r: *mut abi::Reservation) {
    // SAFETY: `reserve` stored a pointer to a slot counter of a leaked
    // channel's buffer, alive for the rest of the process.
    unsafe { (*(*r).commit).fetch_add((*r).len, Ordering::Release) };
}
