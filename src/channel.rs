//! A channel: one ring buffer per possible CPU, written by one process.
//!
//! `Channel::reserve` is the step of the enabled path between an event
//! handle (see `handle`) and `ringbuf`: it picks the current CPU's buffer.
//! Nothing here allocates, locks or makes a system call on that path (the
//! current CPU comes from the rseq area, see `clock`), except that a writer
//! of a blocking channel finding its buffer full rings the consumer's
//! doorbell and waits for room (`reserve_waiting`).

use crate::doorbell::Doorbell;
use crate::ringbuf::{Geometry, Refused, Reserved, RingBuffer};
use std::io;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// This process's pid, kept current across `fork()` (see `after_fork_in_child`).
static PID: AtomicU32 = AtomicU32::new(0);

/// The process's pid (no system call), once a channel was created.
pub fn current_pid() -> u32 {
    PID.load(Ordering::Relaxed)
}

/// In the child after fork(): the pid changed.
pub fn after_fork_in_child() {
    // SAFETY: getpid is async-signal-safe and has no preconditions.
    PID.store(unsafe { libc::getpid() } as u32, Ordering::Relaxed);
}

/// The per-CPU buffers of one channel, written by one process: a child
/// created by `fork()` inherits the mapping but never writes to it.
pub struct Channel {
    buffers: Box<[RingBuffer]>,
    owner: u32,
    /// How long a writer may wait for room, in µs: 0 never, -1 forever.
    blocking_timeout_us: i64,
    /// Rung by a writer about to wait, so the consumer drains at once.
    doorbell: Option<Doorbell>,
}

impl Channel {
    /// Creates `ncpu` buffers of the given geometry.
    pub fn create(ncpu: u32, geo: Geometry) -> io::Result<Channel> {
        let buffers = (0..ncpu)
            .map(|cpu| RingBuffer::create(cpu, geo))
            .collect::<io::Result<Vec<_>>>()?;
        PID.store(std::process::id(), Ordering::Relaxed);
        Ok(Channel {
            buffers: buffers.into_boxed_slice(),
            owner: current_pid(),
            blocking_timeout_us: 0,
            doorbell: None,
        })
    }

    /// A channel of buffers mapped from another process (see `RingBuffer::open`).
    pub fn from_buffers(buffers: Vec<RingBuffer>) -> Channel {
        Channel {
            buffers: buffers.into_boxed_slice(),
            owner: 0,
            blocking_timeout_us: 0,
            doorbell: None,
        }
    }

    /// Makes writers wait up to `us` µs for room (-1: forever, 0: never),
    /// ringing `doorbell` (the consumer's) first.
    pub fn set_blocking(&mut self, us: i64, doorbell: Option<Doorbell>) {
        self.blocking_timeout_us = us;
        self.doorbell = doorbell;
    }

    /// Gives up the buffers' memfds, to hand to a consumer.
    pub fn take_fds(&mut self) -> Vec<std::os::fd::OwnedFd> {
        self.buffers
            .iter_mut()
            .filter_map(RingBuffer::take_fd)
            .collect()
    }

    /// Allocates every buffer page now.
    pub fn prefault(&self) {
        self.buffers.iter().for_each(RingBuffer::prefault);
    }

    /// Whether this process (not a forked child) writes to the channel.
    pub fn owned_here(&self) -> bool {
        self.owner == current_pid()
    }

    /// All buffers, by CPU.
    pub fn buffers(&self) -> &[RingBuffer] {
        &self.buffers
    }

    /// Room for event `event_id` with `len` payload bytes in the current
    /// CPU's buffer; `None` when the event is dropped (and counted). A
    /// blocking channel waits for room when `may_wait` (the caller is not
    /// inside another event, as a signal handler may be).
    #[inline(always)]
    pub fn reserve(&self, event_id: u32, len: usize, may_wait: bool) -> Option<Reserved> {
        if !self.owned_here() {
            return None;
        }
        let rb = self.buffer_here();
        match rb.try_reserve(event_id, len) {
            Ok(r) => Some(r),
            Err(Refused::Full) if may_wait && self.blocking_timeout_us != 0 => {
                self.reserve_waiting(event_id, len)
            }
            Err(_) => {
                rb.count_discarded();
                None
            }
        }
    }

    /// The blocking slow path: rings the consumer and waits for room until
    /// the channel's timeout, then drops the event (counted).
    #[cold]
    #[inline(never)]
    fn reserve_waiting(&self, event_id: u32, len: usize) -> Option<Reserved> {
        let deadline = u64::try_from(self.blocking_timeout_us)
            .ok()
            .map(|us| Instant::now() + Duration::from_micros(us));
        loop {
            if let Some(bell) = &self.doorbell {
                bell.ring();
            }
            let left = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()),
                None => Duration::MAX,
            };
            let rb = self.buffer_here();
            if left.is_zero() {
                rb.count_discarded();
                return None;
            }
            rb.wait_for_room(left);
            match self.buffer_here().try_reserve(event_id, len) {
                Ok(r) => return Some(r),
                Err(Refused::TooBig) => {
                    self.buffer_here().count_discarded();
                    return None;
                }
                Err(Refused::Full) => {}
            }
        }
    }

    /// Counts one event dropped before it reached the buffer.
    pub fn discard_one(&self) {
        if self.owned_here() {
            self.buffer_here().count_discarded();
        }
    }

    #[inline(always)]
    fn buffer_here(&self) -> &RingBuffer {
        let cpu = crate::clock::current_cpu() as usize;
        self.buffers
            .get(cpu)
            .unwrap_or_else(|| &self.buffers[cpu % self.buffers.len()])
    }
}
