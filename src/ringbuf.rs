//! One per-CPU ring buffer in shared memory: lock-free reserve/commit.
//!
//! # Layout
//! A memfd holds a `Control` block, one `Slot` per sub-buffer, then
//! `num_subbuf` sub-buffers of `subbuf_size` bytes (both powers of two).
//! Sub-buffers hold only events; the consumer writes the CTF packet header
//! and context in front of each one when it copies it out.
//!
//! # Protocol
//! Writers reserve space by advancing `offset`, a position in an unbounded
//! byte space whose sub-buffer number is `offset / subbuf_size` and whose
//! slot is that number modulo `num_subbuf`. `offset` shares a 16-byte word
//! with `last_ts`, the timestamp of the latest reservation, and one 16-byte
//! compare-and-swap (`cmpxchg16b`) per event advances both:
//! - a reservation that starts a sub-buffer ("opens" it) stores the
//!   packet's `ts_begin` in the slot;
//! - a reservation that does not fit in the rest of the open sub-buffer
//!   "closes" it: it records where the data ends (`data_end`), the closing
//!   time (`ts_end`) and the discarded-event count, commits the unused tail
//!   as padding, and opens the next sub-buffer for itself;
//! - a reservation that fills a sub-buffer exactly closes it too.
//!
//! `offset % subbuf_size == 0` means no sub-buffer is open. The timer flush
//! (`flush`) closes an open sub-buffer without opening another.
//!
//! After writing, a writer adds its length to the slot's `commit` counter
//! (release). Each lap adds exactly `subbuf_size` bytes to a slot (events +
//! padding), so sub-buffer `n` is complete when its slot's counter reaches
//! `(n / num_subbuf + 1) * subbuf_size`; the consumer then copies it and
//! increments `consumed`. In discard mode a writer opens sub-buffer `n` only
//! if `n < consumed + num_subbuf`, else it drops the event and counts it in
//! `discarded`; in overwrite mode it always opens, and readers validate what
//! they copied against `offset` afterwards.
//!
//! A writer's timestamp is the clock reading, raised to `last_ts` if it is
//! older (a writer preempted between reading the clock and reserving), so
//! timestamps never decrease in reservation order, whatever the clock's
//! ordering or cross-CPU skew; and the compact/extended header choice
//! compares with the exact previous timestamp. Reservations are
//! correct across preemption, migration (a migrated writer just works on
//! another CPU's buffer with the same atomics) and signal handlers (a nested
//! writer simply makes the outer CAS retry, or commits inside the outer
//! event's sub-buffer before it).
//!
//! A blocking channel's writer that finds the buffer full waits on a futex
//! (the low word of `consumed`), counted in `waiters`, which the consumer
//! wakes when it releases a sub-buffer; it never blocks otherwise.
//!
//! Nothing on the reserve/commit path allocates, locks or makes a system call.

use crate::clock;
use crate::ctf::header::{self, EventHeader};
use crate::shm::Mapping;
use std::cell::UnsafeCell;
use std::io;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const MAGIC: u64 = 0x5553_5452_4255_4631; // "UST RBUF1"

/// Largest event id that fits the compact event header.
const COMPACT_MAX_ID: u32 = 30;

#[repr(C, align(64))]
struct Padded(AtomicU64);

/// `offset` (low half) and `last_ts` (high half), updated together.
#[repr(C, align(64))]
struct Position(UnsafeCell<u128>);

impl Position {
    fn half(&self, i: usize) -> &AtomicU64 {
        // SAFETY: the u128 is 16-byte aligned and lives as long as `self`;
        // each 8-byte half is only accessed atomically (loads here, the
        // 16-byte CAS in `advance`).
        unsafe { AtomicU64::from_ptr(self.0.get().cast::<u64>().add(i)) }
    }

    /// (offset, last_ts); the two halves may be torn, which `advance` detects.
    #[inline(always)]
    fn load(&self) -> (u64, u64) {
        (
            self.half(0).load(Ordering::Acquire),
            self.half(1).load(Ordering::Relaxed),
        )
    }

    /// Replaces (offset, last_ts) if it still equals `old`.
    #[inline(always)]
    fn advance(&self, old: (u64, u64), new: (u64, u64)) -> bool {
        let pack = |(offset, ts): (u64, u64)| offset as u128 | (ts as u128) << 64;
        // SAFETY: `cas16` needs cmpxchg16b, which `RingBuffer::create`
        // checked; the word is 16-byte aligned and valid.
        unsafe { cas16(self.0.get(), pack(old), pack(new)) }
    }
}

/// A 16-byte compare-and-swap (`lock cmpxchg16b`). LLVM would otherwise
/// call libatomic for a 128-bit CAS; rbx, which the instruction needs,
/// cannot be an asm operand, so it is swapped in and out around it, and
/// every operand has a fixed register so none of them can be rbx.
///
/// # Safety
/// The CPU supports cmpxchg16b; `dst` is valid and 16-byte aligned.
#[inline(always)]
unsafe fn cas16(dst: *mut u128, old: u128, new: u128) -> bool {
    let ok: u64;
    // SAFETY: per this function's contract; rbx is restored before the
    // asm block ends and no operand lives in it.
    unsafe {
        std::arch::asm!(
            "xchg rsi, rbx",
            "lock cmpxchg16b xmmword ptr [rdi]",
            "sete al",
            "movzx eax, al",
            "mov rbx, rsi",
            in("rdi") dst,
            inout("rsi") new as u64 => _,
            inout("rax") old as u64 => ok,
            inout("rdx") (old >> 64) as u64 => _,
            in("rcx") (new >> 64) as u64,
            options(nostack),
        );
    }
    ok != 0
}

/// A futex operation on the low 32 bits of `word` (little-endian), shared
/// between processes (the buffer is a shared mapping: no FUTEX_PRIVATE).
fn futex(word: &AtomicU64, op: libc::c_int, val: u32, timeout: Option<Duration>) {
    let ts = timeout.map(|t| libc::timespec {
        tv_sec: t.as_secs() as libc::time_t,
        tv_nsec: t.subsec_nanos() as libc::c_long,
    });
    let ts_ptr = ts.as_ref().map_or(std::ptr::null(), std::ptr::from_ref);
    // SAFETY: the word is 8-byte aligned shared memory that outlives the
    // call; the kernel only reads its low 32 bits and the timespec.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr().cast::<u32>(),
            op,
            val,
            ts_ptr,
        )
    };
}

/// The buffer-wide state shared by writers and the consumer.
#[repr(C)]
struct Control {
    magic: u64,
    subbuf_size: u64,
    num_subbuf: u64,
    cpu: u64,
    /// (next byte to reserve, timestamp of the latest reservation).
    position: Position,
    /// Sub-buffers the consumer has released.
    consumed: Padded,
    /// Events dropped so far (cumulative).
    discarded: Padded,
    /// Writers waiting for the consumer to release a sub-buffer (blocking
    /// channels): the consumer wakes them through `consumed`'s low word.
    waiters: Padded,
}

/// Why a reservation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The event is larger than a sub-buffer.
    TooBig,
    /// Every sub-buffer is full (discard mode).
    Full,
}

/// Per-sub-buffer state.
#[repr(C, align(64))]
struct Slot {
    /// Bytes committed to this slot over all laps.
    commit: AtomicU64,
    ts_begin: AtomicU64,
    ts_end: AtomicU64,
    /// Bytes of events in the sub-buffer, set when it is closed.
    data_end: AtomicU64,
    /// `Control::discarded` when it was closed.
    discarded: AtomicU64,
}

/// A reservation: where to write, and what to commit.
pub struct Reserved {
    /// Where the payload goes (after the event header).
    pub payload: *mut u8,
    pub commit: *const AtomicU64,
    pub len: u64,
}

/// A complete sub-buffer as the consumer sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketInfo {
    pub seq: u64,
    pub ts_begin: u64,
    pub ts_end: u64,
    pub data_len: usize,
    pub discarded: u64,
}

/// Ring buffer geometry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    pub subbuf_size: u64,
    pub num_subbuf: u64,
    pub overwrite: bool,
}

/// One CPU's ring buffer, mapped in this process.
pub struct RingBuffer {
    map: Mapping,
    slots_off: usize,
    data_off: usize,
    shift: u32,
    geo: Geometry,
    cpu: u32,
}

fn round_up(x: usize, to: usize) -> usize {
    x.div_ceil(to) * to
}

impl RingBuffer {
    /// Creates a zeroed buffer for `cpu`. Sizes must be powers of two.
    pub fn create(cpu: u32, geo: Geometry) -> io::Result<RingBuffer> {
        if !std::arch::is_x86_feature_detected!("cmpxchg16b") {
            return Err(io::Error::other("this CPU lacks cmpxchg16b"));
        }
        assert!(geo.subbuf_size.is_power_of_two() && geo.num_subbuf.is_power_of_two());
        let (slots_off, data_off, len) = Self::layout(geo);
        let map = Mapping::create(&format!("ust-ringbuf-cpu{cpu}"), len)?;
        let rb = RingBuffer {
            map,
            slots_off,
            data_off,
            shift: geo.subbuf_size.trailing_zeros(),
            geo,
            cpu,
        };
        let ctl = rb.ctl_raw();
        // SAFETY: the mapping is fresh, at least `size_of::<Control>()` bytes,
        // page-aligned, and not yet shared with anyone.
        unsafe {
            (*ctl).magic = MAGIC;
            (*ctl).subbuf_size = geo.subbuf_size;
            (*ctl).num_subbuf = geo.num_subbuf;
            (*ctl).cpu = cpu as u64;
        }
        Ok(rb)
    }

    /// Maps a buffer created by another process (its memfd `fd`) for
    /// consuming. Only the size and seals are trusted, never the contents:
    /// the geometry is the one the consumer asked for, and every offset read
    /// from the shared pages is masked into the data area.
    pub fn open(fd: OwnedFd, cpu: u32, geo: Geometry) -> io::Result<RingBuffer> {
        if !geo.subbuf_size.is_power_of_two() || !geo.num_subbuf.is_power_of_two() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad geometry"));
        }
        let (slots_off, data_off, len) = Self::layout(geo);
        let map = Mapping::open_sealed(fd, len)?;
        Ok(RingBuffer {
            map,
            slots_off,
            data_off,
            shift: geo.subbuf_size.trailing_zeros(),
            geo,
            cpu,
        })
    }

    /// The control, slot and data offsets and the total size of a buffer.
    fn layout(geo: Geometry) -> (usize, usize, usize) {
        let slots_off = round_up(std::mem::size_of::<Control>(), 64);
        let data_off = round_up(slots_off + geo.num_subbuf as usize * 64, 4096);
        (
            slots_off,
            data_off,
            data_off + (geo.subbuf_size * geo.num_subbuf) as usize,
        )
    }

    /// Gives up the memfd holding the buffer, to hand to a consumer.
    pub fn take_fd(&mut self) -> Option<OwnedFd> {
        self.map.take_fd()
    }

    /// Allocates the buffer's pages now (see `Mapping::prefault`).
    pub fn prefault(&self) {
        self.map.prefault();
    }

    fn ctl_raw(&self) -> *mut Control {
        self.map.ptr().cast()
    }

    fn ctl(&self) -> &Control {
        // SAFETY: the mapping starts with an initialised `Control` (created
        // above), lives as long as `self`, and its mutable fields are atomics.
        unsafe { &*self.ctl_raw() }
    }

    fn slot(&self, subbuf: u64) -> &Slot {
        let index = (subbuf & (self.geo.num_subbuf - 1)) as usize;
        // SAFETY: `index < num_subbuf`, and `create` laid out `num_subbuf`
        // 64-byte slots at `slots_off`; all their fields are atomics.
        unsafe {
            &*self
                .map
                .ptr()
                .add(self.slots_off + index * 64)
                .cast::<Slot>()
        }
    }

    fn data_at(&self, pos: u64) -> *mut u8 {
        let ring = self.geo.subbuf_size * self.geo.num_subbuf;
        // SAFETY: `pos % ring` is inside the data area that `create` sized.
        unsafe {
            self.map
                .ptr()
                .add(self.data_off + (pos & (ring - 1)) as usize)
        }
    }

    /// The CPU this buffer belongs to.
    pub fn cpu(&self) -> u32 {
        self.cpu
    }

    /// Geometry.
    pub fn geometry(&self) -> Geometry {
        self.geo
    }

    /// Events dropped so far.
    pub fn discarded(&self) -> u64 {
        self.ctl().discarded.0.load(Ordering::Relaxed)
    }

    /// Counts one dropped event.
    pub fn count_discarded(&self) {
        self.ctl().discarded.0.fetch_add(1, Ordering::Relaxed);
    }

    /// Reserves room for an event `event_id` with `payload` bytes, writes its
    /// header and returns where the payload goes; `None` when the event is
    /// dropped (counted in `discarded`).
    #[inline(always)]
    pub fn reserve(&self, event_id: u32, payload: usize) -> Option<Reserved> {
        self.try_reserve(event_id, payload)
            .map_err(|_| self.count_discarded())
            .ok()
    }

    /// As `reserve`, but a refusal is not counted: the caller decides
    /// (a blocking writer waits and tries again).
    #[inline(always)]
    pub fn try_reserve(&self, event_id: u32, payload: usize) -> Result<Reserved, Refused> {
        let ctl = self.ctl();
        let size = self.geo.subbuf_size;
        let mask = size - 1;
        loop {
            let (old, prev) = ctl.position.load();
            let ts = clock::now().max(prev);
            let hdr = if event_id > COMPACT_MAX_ID || ts.wrapping_sub(prev) >> 27 != 0 {
                EventHeader::Extended
            } else {
                EventHeader::Compact
            };
            let len = (hdr.size() + payload) as u64;
            if len > size {
                return Err(Refused::TooBig);
            }
            let pos = old & mask;
            let switching = pos != 0 && pos + len > size;
            let begin = if switching { (old | mask) + 1 } else { old };
            let end = begin + len;
            let opens = begin & mask == 0;
            if opens && !self.geo.overwrite {
                let consumed = ctl.consumed.0.load(Ordering::Acquire);
                if begin >> self.shift >= consumed + self.geo.num_subbuf {
                    return Err(Refused::Full);
                }
            }
            if !ctl.position.advance((old, prev), (end, ts)) {
                continue;
            }
            if switching {
                self.close(old, ts);
            }
            let slot = self.slot(begin >> self.shift);
            if opens {
                slot.ts_begin.store(ts, Ordering::Relaxed);
            }
            if end & mask == 0 {
                self.record_close(begin >> self.shift, size, ts);
            }
            let at = self.data_at(begin);
            // SAFETY: [begin, end) was reserved above by our successful CAS,
            // lies within one sub-buffer (len <= size, no straddling), and no
            // other writer or the consumer touches it until we commit.
            let payload = unsafe { header::write_event_header(at, hdr, event_id, ts) };
            return Ok(Reserved {
                payload,
                commit: &slot.commit,
                len,
            });
        }
    }

    /// Records the closing of sub-buffer `subbuf` with `data_end` bytes used.
    fn record_close(&self, subbuf: u64, data_end: u64, ts: u64) {
        let slot = self.slot(subbuf);
        slot.data_end.store(data_end, Ordering::Relaxed);
        slot.ts_end.store(ts, Ordering::Relaxed);
        slot.discarded.store(
            self.ctl().discarded.0.load(Ordering::Relaxed),
            Ordering::Relaxed,
        );
    }

    /// Closes the sub-buffer holding position `old` (not at a boundary):
    /// records it and commits its unused tail.
    fn close(&self, old: u64, ts: u64) {
        let size = self.geo.subbuf_size;
        let pos = old & (size - 1);
        self.record_close(old >> self.shift, pos, ts);
        self.slot(old >> self.shift)
            .commit
            .fetch_add(size - pos, Ordering::Release);
    }

    /// Closes the open sub-buffer, if any, so the consumer can take it.
    pub fn flush(&self) {
        let ctl = self.ctl();
        let mask = self.geo.subbuf_size - 1;
        loop {
            let (old, prev) = ctl.position.load();
            if old & mask == 0 {
                return;
            }
            let ts = clock::now().max(prev);
            let next = (old | mask).wrapping_add(1);
            if ctl.position.advance((old, prev), (next, ts)) {
                self.close(old, ts);
                return;
            }
        }
    }

    /// The write position (for quiet-buffer detection).
    pub fn offset(&self) -> u64 {
        self.ctl().position.load().0
    }

    /// Sub-buffers released by the consumer so far.
    pub fn consumed(&self) -> u64 {
        self.ctl().consumed.0.load(Ordering::Relaxed)
    }

    /// Whether sub-buffer `n` has been fully committed (this lap).
    pub fn is_complete(&self, n: u64) -> bool {
        let lap = n / self.geo.num_subbuf;
        self.slot(n).commit.load(Ordering::Acquire) == (lap + 1) * self.geo.subbuf_size
    }

    /// The description of sub-buffer `n` if it is complete. `None` when it
    /// is not, or when its control data is inconsistent.
    pub fn packet_info(&self, n: u64) -> Option<PacketInfo> {
        if !self.is_complete(n) {
            return None;
        }
        let slot = self.slot(n);
        let data_len = slot.data_end.load(Ordering::Relaxed);
        if data_len == 0 || data_len > self.geo.subbuf_size {
            return None;
        }
        Some(PacketInfo {
            seq: n,
            ts_begin: slot.ts_begin.load(Ordering::Relaxed),
            ts_end: slot.ts_end.load(Ordering::Relaxed),
            data_len: data_len as usize,
            discarded: slot.discarded.load(Ordering::Relaxed),
        })
    }

    /// If sub-buffer `n` is complete, appends its events to `out` and
    /// returns its description.
    pub fn copy_subbuf(&self, n: u64, out: &mut Vec<u8>) -> Option<PacketInfo> {
        let info = self.packet_info(n)?;
        let start = out.len();
        out.resize(start + info.data_len, 0);
        // SAFETY: the source is `data_len <= subbuf_size` bytes of sub-buffer
        // `n` inside the data area; the destination was just sized for them.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.data_at(n << self.shift),
                out[start..].as_mut_ptr(),
                info.data_len,
            )
        };
        Some(info)
    }

    /// Gives sub-buffer `n` back to writers (discard mode), waking those
    /// that wait for room.
    pub fn release(&self, n: u64) {
        let ctl = self.ctl();
        ctl.consumed.0.store(n + 1, Ordering::Release);
        if ctl.waiters.0.load(Ordering::Acquire) != 0 {
            futex(&ctl.consumed.0, libc::FUTEX_WAKE, i32::MAX as u32, None);
        }
    }

    /// Waits (a writer of a blocking channel, the buffer full) until the
    /// consumer releases a sub-buffer, or `limit` passes (at most 10 ms at a
    /// time, so a lost wake-up costs little).
    #[cold]
    pub fn wait_for_room(&self, limit: Duration) {
        let ctl = self.ctl();
        let seen = ctl.consumed.0.load(Ordering::Acquire);
        ctl.waiters.0.fetch_add(1, Ordering::AcqRel);
        if ctl.consumed.0.load(Ordering::Acquire) == seen {
            let wait = limit.min(Duration::from_millis(10));
            futex(&ctl.consumed.0, libc::FUTEX_WAIT, seen as u32, Some(wait));
        }
        ctl.waiters.0.fetch_sub(1, Ordering::AcqRel);
    }

    /// Overwrite mode: whether sub-buffer `n`, copied earlier, may have been
    /// overwritten since (a writer reserved in its slot's next lap).
    pub fn overwritten_since_copy(&self, n: u64) -> bool {
        std::sync::atomic::fence(Ordering::Acquire);
        self.offset() > (n + self.geo.num_subbuf) << self.shift
    }

    /// The sub-buffers closed so far (numbers below this one).
    pub fn closed_subbufs(&self) -> u64 {
        self.offset() >> self.shift
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    /// A buffer of `num_subbuf` 4 KiB sub-buffers for CPU 0.
    fn buffer(num_subbuf: u64, overwrite: bool) -> RingBuffer {
        let geo = Geometry {
            subbuf_size: 4096,
            num_subbuf,
            overwrite,
        };
        RingBuffer::create(0, geo).unwrap()
    }

    fn write_one(rb: &RingBuffer, value: u64) -> bool {
        match rb.reserve(1, 8) {
            Some(r) => {
                // SAFETY: `reserve` returned room for 8 payload bytes.
                unsafe { r.payload.cast::<u64>().write_unaligned(value) };
                // SAFETY: `commit` points at a slot counter of `rb`.
                unsafe { (*r.commit).fetch_add(r.len, Ordering::Release) };
                true
            }
            None => false,
        }
    }

    /// Decodes the u64 payloads of a sub-buffer written by `write_one`.
    fn payloads(data: &[u8]) -> Vec<u64> {
        let mut out = Vec::new();
        let mut at = 0;
        while at < data.len() {
            let hlen = if data[at] & 0x1f == 31 { 13 } else { 4 };
            at += hlen;
            out.push(u64::from_le_bytes(data[at..at + 8].try_into().unwrap()));
            at += 8;
        }
        out
    }

    /// Drains every complete sub-buffer, returning the payloads in order.
    fn drain(rb: &RingBuffer, next: &mut u64, out: &mut Vec<u64>) {
        let mut buf = Vec::new();
        while let Some(info) = rb.copy_subbuf(*next, &mut buf) {
            assert_eq!(info.seq, *next);
            assert!(info.ts_begin <= info.ts_end);
            out.extend(payloads(&buf));
            buf.clear();
            rb.release(*next);
            *next += 1;
        }
    }

    #[test]
    fn written_plus_discarded_equals_emitted_under_contention() {
        let rb = Arc::new(buffer(4, false));
        let done = Arc::new(AtomicBool::new(false));
        let threads = 4;
        let per_thread = 50_000u64;
        let writers: Vec<_> = (0..threads)
            .map(|t| {
                let rb = rb.clone();
                std::thread::spawn(move || {
                    (0..per_thread)
                        .filter(|i| write_one(&rb, t * per_thread + i))
                        .count() as u64
                })
            })
            .collect();
        let consumer = {
            let (rb, done) = (rb.clone(), done.clone());
            std::thread::spawn(move || {
                let (mut next, mut seen) = (0, Vec::new());
                while !done.load(Ordering::Acquire) {
                    drain(&rb, &mut next, &mut seen);
                    std::thread::yield_now();
                }
                rb.flush();
                drain(&rb, &mut next, &mut seen);
                seen
            })
        };
        let written: u64 = writers.into_iter().map(|w| w.join().unwrap()).sum();
        done.store(true, Ordering::Release);
        let seen = consumer.join().unwrap();
        assert_eq!(
            seen.len() as u64,
            written,
            "every written event is read once"
        );
        assert_eq!(written + rb.discarded(), threads * per_thread);
        let mut per_writer_last = vec![None; threads as usize];
        for v in seen {
            let w = (v / per_thread) as usize;
            assert!(
                per_writer_last[w] < Some(v),
                "each writer's events stay in order"
            );
            per_writer_last[w] = Some(v);
        }
    }

    #[test]
    fn overwrite_mode_keeps_the_newest_events() {
        let rb = buffer(4, true);
        for v in 0..10_000 {
            assert!(write_one(&rb, v));
        }
        rb.flush();
        let closed = rb.closed_subbufs();
        let mut seen = Vec::new();
        for n in closed.saturating_sub(4)..closed {
            let mut buf = Vec::new();
            rb.copy_subbuf(n, &mut buf).expect("complete sub-buffer");
            assert!(!rb.overwritten_since_copy(n));
            seen.extend(payloads(&buf));
        }
        assert_eq!(*seen.last().unwrap(), 9_999);
        assert!(
            seen.windows(2).all(|w| w[1] == w[0] + 1),
            "a contiguous newest range"
        );
        assert_eq!(rb.discarded(), 0);
    }

    #[test]
    fn flush_publishes_a_partial_subbuffer() {
        let rb = buffer(2, false);
        assert!(write_one(&rb, 7));
        let mut buf = Vec::new();
        assert!(
            rb.copy_subbuf(0, &mut buf).is_none(),
            "open sub-buffer is not readable"
        );
        rb.flush();
        let info = rb.copy_subbuf(0, &mut buf).unwrap();
        assert_eq!(payloads(&buf), vec![7]);
        assert_eq!(info.data_len, buf.len());
    }

    #[test]
    fn full_buffer_discards_until_the_consumer_releases() {
        let rb = buffer(2, false);
        let written = (0..2_000).filter(|v| write_one(&rb, *v)).count() as u64;
        assert!(written < 2_000 && rb.discarded() == 2_000 - written);
        let mut buf = Vec::new();
        rb.copy_subbuf(0, &mut buf).unwrap();
        rb.release(0);
        assert!(write_one(&rb, 1), "room again after release");
    }

    #[test]
    fn oversized_event_is_discarded() {
        let rb = buffer(2, false);
        assert!(rb.reserve(1, 5000).is_none());
        assert_eq!(rb.discarded(), 1);
    }
}
