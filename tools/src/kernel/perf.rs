//! The perf_event_open(2) plumbing: one tracepoint event per CPU, stamped with
//! CLOCK_MONOTONIC (`use_clockid`), every tracepoint of a CPU sending its records to one ring
//! buffer (`PERF_EVENT_IOC_SET_OUTPUT`) mapped in this process, and the records read back
//! from that ring.
//!
//! Each record is a sample `{pid, tid, time, raw}` (`PERF_SAMPLE_TID | TIME | RAW`; the raw
//! part is the tracepoint record, whose `common_type` says which tracepoint it is) or a
//! `PERF_RECORD_LOST {id, lost}` when the ring was full. The events live as long as their
//! file descriptors: nothing is left running in the kernel if the process dies.
//!
//! The recorder's unsafe code that touches memory the kernel shares is all here: the system
//! call, the ioctls, the mapping, and the ring's head/tail protocol (`data_head` read with
//! acquire ordering, records handed out in place or copied when they wrap, then `data_tail`
//! released so the kernel may reuse the space).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU64, Ordering};

const PERF_TYPE_TRACEPOINT: u32 = 2;
const SAMPLE_TID: u64 = 1 << 1;
const SAMPLE_TIME: u64 = 1 << 2;
const SAMPLE_RAW: u64 = 1 << 10;
/// perf_event_attr flag bits (the bit-field after `read_format`).
const FLAG_DISABLED: u64 = 1 << 0;
const FLAG_WATERMARK: u64 = 1 << 14;
const FLAG_SAMPLE_ID_ALL: u64 = 1 << 18;
const FLAG_USE_CLOCKID: u64 = 1 << 25;
const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 8;
/// _IO('$', 0), _IO('$', 1), _IO('$', 5).
const IOC_ENABLE: libc::c_ulong = 0x2400;
const IOC_DISABLE: libc::c_ulong = 0x2401;
const IOC_SET_OUTPUT: libc::c_ulong = 0x2405;
/// Record types.
const RECORD_LOST: u32 = 2;
const RECORD_SAMPLE: u32 = 9;
/// Offsets in `struct perf_event_mmap_page` (data_head, data_tail, data_offset, data_size).
const DATA_HEAD: usize = 1024;
const DATA_TAIL: usize = 1032;
const DATA_OFFSET: usize = 1040;
const DATA_SIZE: usize = 1048;

/// `struct perf_event_attr` up to PERF_ATTR_SIZE_VER5 (112 bytes).
#[repr(C)]
#[derive(Default)]
struct Attr {
    kind: u32,
    size: u32,
    config: u64,
    sample_period: u64,
    sample_type: u64,
    read_format: u64,
    flags: u64,
    wakeup_watermark: u32,
    bp_type: u32,
    config1: u64,
    config2: u64,
    branch_sample_type: u64,
    sample_regs_user: u64,
    sample_stack_user: u32,
    clockid: i32,
    sample_regs_intr: u64,
    aux_watermark: u32,
    sample_max_stack: u16,
    reserved_2: u16,
}

/// Opens tracepoint `id` on `cpu` for every task, disabled, sampling every hit; the ring
/// wakes a poller once `watermark` bytes are waiting.
pub fn open_tracepoint(id: u64, cpu: u32, watermark: u32) -> io::Result<OwnedFd> {
    let attr = Attr {
        kind: PERF_TYPE_TRACEPOINT,
        size: std::mem::size_of::<Attr>() as u32,
        config: id,
        sample_period: 1,
        sample_type: SAMPLE_TID | SAMPLE_TIME | SAMPLE_RAW,
        flags: FLAG_DISABLED | FLAG_WATERMARK | FLAG_SAMPLE_ID_ALL | FLAG_USE_CLOCKID,
        wakeup_watermark: watermark,
        clockid: libc::CLOCK_MONOTONIC,
        ..Attr::default()
    };
    // SAFETY: `attr` is a valid perf_event_attr of the size it declares; pid -1 with a CPU
    // means every task on that CPU; group -1: no group.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            &attr as *const Attr,
            -1 as libc::pid_t,
            cpu as libc::c_int,
            -1 as libc::c_int,
            PERF_FLAG_FD_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel returned a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

fn ioctl(fd: RawFd, request: libc::c_ulong, arg: libc::c_ulong) -> io::Result<()> {
    // SAFETY: the perf ioctls used here take an integer argument (or none).
    if unsafe { libc::ioctl(fd, request as _, arg) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Starts counting.
pub fn enable(fd: &OwnedFd) -> io::Result<()> {
    ioctl(fd.as_raw_fd(), IOC_ENABLE, 0)
}

/// Stops counting (records already written stay in the ring).
pub fn disable(fd: &OwnedFd) -> io::Result<()> {
    ioctl(fd.as_raw_fd(), IOC_DISABLE, 0)
}

/// Sends `fd`'s records to the ring mapped on `target` (same CPU).
pub fn redirect(fd: &OwnedFd, target: &OwnedFd) -> io::Result<()> {
    ioctl(
        fd.as_raw_fd(),
        IOC_SET_OUTPUT,
        target.as_raw_fd() as libc::c_ulong,
    )
}

/// One record read from a ring.
pub enum Record<'a> {
    /// A tracepoint hit: process and thread ids of the task current when it fired, its
    /// CLOCK_MONOTONIC time, and the raw tracepoint record.
    Sample {
        pid: u32,
        tid: u32,
        time: u64,
        raw: &'a [u8],
    },
    /// `lost` records dropped because the ring was full, reported at `time`.
    Lost { lost: u64, time: u64 },
    /// Anything else (not asked for; skipped).
    Other,
}

/// A CPU's ring buffer, mapped read-write (so that we own `data_tail`: the kernel never
/// overwrites records we have not consumed, it drops new ones and counts them).
pub struct Ring {
    base: *mut u8,
    len: usize,
    data_offset: usize,
    data_size: usize,
    /// A record that wraps around the end of the ring, copied out contiguous.
    wrapped: Vec<u8>,
}

// SAFETY: the mapping is owned by the Ring and only touched through &mut self.
unsafe impl Send for Ring {}

impl Ring {
    /// Maps the ring of `fd` with `data_pages` (a power of two) pages of data.
    pub fn map(fd: &OwnedFd, data_pages: usize) -> io::Result<Ring> {
        let page = page_size();
        let len = (data_pages + 1) * page;
        // SAFETY: a fresh shared mapping of the perf descriptor, of the size perf requires
        // (1 + 2^n pages); checked for MAP_FAILED below.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let mut ring = Ring {
            base: base.cast(),
            len,
            data_offset: page,
            data_size: data_pages * page,
            wrapped: Vec::new(),
        };
        // Kernels since 4.1 say where the data is; older ones use the page after the header.
        let (offset, size) = (ring.word(DATA_OFFSET), ring.word(DATA_SIZE));
        if size != 0 {
            let (offset, size) = (offset as usize, size as usize);
            if offset.checked_add(size).map_or(true, |end| end > len) || !size.is_power_of_two() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "perf ring: data area outside the mapping",
                ));
            }
            ring.data_offset = offset;
            ring.data_size = size;
        }
        Ok(ring)
    }

    /// The u64 of the control page at `offset`, as an atomic.
    fn atomic(&self, offset: usize) -> &AtomicU64 {
        // SAFETY: `offset` is one of the 8-aligned control-page words (< page size); the
        // control page is mapped for the Ring's lifetime and the kernel accesses these words
        // atomically too.
        unsafe { &*self.base.add(offset).cast::<AtomicU64>() }
    }

    fn word(&self, offset: usize) -> u64 {
        self.atomic(offset).load(Ordering::Relaxed)
    }

    /// Calls `f` on every record waiting, then frees their space for the kernel. Returns the
    /// number of bytes consumed.
    pub fn drain(&mut self, mut f: impl FnMut(Record<'_>)) -> u64 {
        let head = self.atomic(DATA_HEAD).load(Ordering::Acquire);
        let mut tail = self.atomic(DATA_TAIL).load(Ordering::Relaxed);
        let start = tail;
        let size_mask = self.data_size as u64 - 1;
        // SAFETY: the data area [data_offset, data_offset + data_size) is mapped for the
        // Ring's lifetime; the kernel does not write the bytes between tail and head, which
        // are the only ones read before `data_tail` is released below.
        let data =
            unsafe { std::slice::from_raw_parts(self.base.add(self.data_offset), self.data_size) };
        while head.wrapping_sub(tail) >= 8 {
            // Records are 8-aligned and the area a power of two: a header never wraps.
            let at = (tail & size_mask) as usize;
            let kind = u32::from_le_bytes(data[at..at + 4].try_into().expect("4 bytes"));
            let size = u16::from_le_bytes(data[at + 6..at + 8].try_into().expect("2 bytes"));
            let size = usize::from(size);
            if size < 8 || size as u64 > head.wrapping_sub(tail) {
                // A corrupt size: skip everything published; nothing sensible can follow.
                tail = head;
                break;
            }
            let bytes = if at + size <= data.len() {
                &data[at..at + size]
            } else {
                self.wrapped.clear();
                self.wrapped.extend_from_slice(&data[at..]);
                self.wrapped
                    .extend_from_slice(&data[..size - (data.len() - at)]);
                &self.wrapped[..]
            };
            f(parse(kind, &bytes[8..]));
            tail = tail.wrapping_add(size as u64);
        }
        self.atomic(DATA_TAIL).store(tail, Ordering::Release);
        tail.wrapping_sub(start)
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `map`.
        unsafe { libc::munmap(self.base.cast(), self.len) };
    }
}

/// Decodes a record body (after the 8-byte header) of the sample layout asked for.
fn parse(kind: u32, body: &[u8]) -> Record<'_> {
    let u32_at = |i: usize| {
        body.get(i..i + 4)
            .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
    };
    let u64_at = |i: usize| {
        body.get(i..i + 8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
    };
    match kind {
        RECORD_SAMPLE => {
            let (Some(pid), Some(tid), Some(time), Some(size)) =
                (u32_at(0), u32_at(4), u64_at(8), u32_at(16))
            else {
                return Record::Other;
            };
            match body.get(20..20 + size as usize) {
                Some(raw) => Record::Sample {
                    pid,
                    tid,
                    time,
                    raw,
                },
                None => Record::Other,
            }
        }
        // {id, lost} then sample_id {pid, tid, time}.
        RECORD_LOST => match (u64_at(8), u64_at(24)) {
            (Some(lost), Some(time)) => Record::Lost { lost, time },
            _ => Record::Other,
        },
        _ => Record::Other,
    }
}

pub fn page_size() -> usize {
    // SAFETY: sysconf only returns a value.
    (unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).max(4096) as usize
}

/// Waits until one of `fds` is readable (its ring reached the watermark) or `timeout_ms`.
pub fn poll(fds: &[RawFd], timeout_ms: i32) {
    let mut polled: Vec<libc::pollfd> = fds
        .iter()
        .map(|&fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    // SAFETY: `polled` is a valid array of pollfd of the length passed.
    unsafe {
        libc::poll(
            polled.as_mut_ptr(),
            polled.len() as libc::nfds_t,
            timeout_ms,
        )
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attr_is_version_5_sized() {
        assert_eq!(std::mem::size_of::<Attr>(), 112);
    }

    #[test]
    fn records_decode() {
        let mut body = Vec::new();
        body.extend_from_slice(&7u32.to_le_bytes());
        body.extend_from_slice(&8u32.to_le_bytes());
        body.extend_from_slice(&99u64.to_le_bytes());
        body.extend_from_slice(&4u32.to_le_bytes());
        body.extend_from_slice(&[1, 2, 3, 4]);
        match parse(RECORD_SAMPLE, &body) {
            Record::Sample {
                pid,
                tid,
                time,
                raw,
            } => assert_eq!((pid, tid, time, raw), (7, 8, 99, &[1u8, 2, 3, 4][..])),
            _ => panic!("not a sample"),
        }
        body.truncate(22);
        assert!(matches!(parse(RECORD_SAMPLE, &body), Record::Other));
        let mut lost = Vec::new();
        for v in [5u64, 12, 0, 777] {
            lost.extend_from_slice(&v.to_le_bytes());
        }
        assert!(matches!(
            parse(RECORD_LOST, &lost),
            Record::Lost {
                lost: 12,
                time: 777
            }
        ));
    }
}
