//! Timestamps and the current CPU: the hot-path reads, and the mapping of
//! the event clock onto CLOCK_MONOTONIC.
//!
//! On x86-64 machines whose kernel itself keeps time with the TSC (invariant
//! `constant_tsc` + `nonstop_tsc`, clocksource `tsc`), events are stamped
//! with `rdtsc`, about half the cost of `clock_gettime` here and a third of
//! `rdtscp`; `rdtsc` does not order itself with earlier loads, so the ring
//! buffer raises a stamp that comes out older than the previous reservation
//! (see `ringbuf`). The trace's CTF clock then ticks at the TSC frequency,
//! and its offset and frequency are computed from pairs of (TSC,
//! CLOCK_MONOTONIC) readings taken at the start and at each metadata
//! refresh, so a tick maps onto the nanosecond timeline LTTng uses
//! (monotonic + the realtime offset) and traces of both tracers merge.
//!
//! Elsewhere (or with `UST_CLOCK=monotonic`) events are stamped with
//! `clock_gettime(CLOCK_MONOTONIC)` in nanoseconds, as LTTng does.
//!
//! The current CPU comes from the kernel's rseq area that glibc registers
//! for every thread (one load), or from `sched_getcpu` without it.
//!
//! Nothing here allocates, locks or makes a system call on the hot path
//! (`now`, `current_cpu`).

use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};

static USE_TSC: AtomicBool = AtomicBool::new(false);
/// glibc's `__rseq_offset` (thread pointer to `struct rseq`), 0 if unusable.
static RSEQ_OFFSET: AtomicIsize = AtomicIsize::new(0);

/// A timestamp in clock ticks.
#[inline(always)]
pub fn now() -> u64 {
    if USE_TSC.load(Ordering::Relaxed) {
        rdtsc()
    } else {
        monotonic_ns()
    }
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn rdtsc() -> u64 {
    // SAFETY: rdtsc is only selected after `detect` saw an invariant TSC;
    // it reads the counter and touches no memory.
    unsafe { core::arch::x86_64::_rdtsc() }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn rdtsc() -> u64 {
    monotonic_ns()
}

/// The CPU this thread runs on now.
#[inline(always)]
pub fn current_cpu() -> u32 {
    let offset = RSEQ_OFFSET.load(Ordering::Relaxed);
    if offset != 0 {
        let cpu = rseq_cpu(offset);
        if cpu < 0x8000_0000 {
            return cpu;
        }
    }
    // SAFETY: sched_getcpu takes no arguments and only returns a value.
    unsafe { libc::sched_getcpu() }.max(0) as u32
}

/// `struct rseq.cpu_id` of this thread: `offset` bytes past the thread pointer.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn rseq_cpu(offset: isize) -> u32 {
    let tp: *const u8;
    // SAFETY: on x86-64 glibc, %fs:0 holds the thread pointer itself; the
    // asm only reads it.
    unsafe {
        std::arch::asm!("mov {}, fs:0", out(reg) tp, options(nostack, readonly, preserves_flags))
    };
    // SAFETY: `init_rseq` saw glibc register rseq (size > 0), so the thread's
    // `struct rseq` lives at tp + offset; the kernel updates `cpu_id` (at +4)
    // on migration, hence the volatile read.
    unsafe { tp.offset(offset + 4).cast::<u32>().read_volatile() }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn rseq_cpu(_offset: isize) -> u32 {
    u32::MAX
}

/// Looks up glibc's rseq registration (glibc ≥ 2.35 exports its offset).
fn init_rseq() {
    // SAFETY: dlsym on the global scope with NUL-terminated names; the
    // symbols, when present, are glibc's `const ptrdiff_t __rseq_offset`
    // and `const unsigned int __rseq_size`.
    unsafe {
        let off = libc::dlsym(libc::RTLD_DEFAULT, c"__rseq_offset".as_ptr()).cast::<isize>();
        let size = libc::dlsym(libc::RTLD_DEFAULT, c"__rseq_size".as_ptr()).cast::<u32>();
        if cfg!(target_arch = "x86_64")
            && !off.is_null()
            && !size.is_null()
            && *size > 0
            && *off != 0
        {
            RSEQ_OFFSET.store(*off, Ordering::Relaxed);
        }
    }
}

/// CLOCK_MONOTONIC in nanoseconds (vDSO: no system call).
pub fn monotonic_ns() -> u64 {
    read_clock(libc::CLOCK_MONOTONIC)
}

fn read_clock(id: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    unsafe { libc::clock_gettime(id, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Which clock the process stamps events with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The invariant TSC, read with `rdtsc`.
    Tsc,
    /// `clock_gettime(CLOCK_MONOTONIC)`, nanoseconds.
    Monotonic,
}

/// Chooses the clock once per process; `forced` overrides detection.
pub fn select(forced: Option<Source>) -> Source {
    init_rseq();
    let source = forced.unwrap_or_else(detect);
    USE_TSC.store(source == Source::Tsc, Ordering::Relaxed);
    source
}

/// The TSC is usable when the kernel itself trusts it for timekeeping.
fn detect() -> Source {
    if !cfg!(target_arch = "x86_64") {
        return Source::Monotonic;
    }
    let clocksource =
        std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
            .unwrap_or_default();
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let flags = cpuinfo
        .lines()
        .find(|l| l.starts_with("flags"))
        .unwrap_or_default();
    let has = |f: &str| flags.split_whitespace().any(|w| w == f);
    if clocksource.trim() == "tsc" && has("constant_tsc") && has("nonstop_tsc") {
        Source::Tsc
    } else {
        Source::Monotonic
    }
}

/// One simultaneous reading of the event clock and CLOCK_MONOTONIC.
#[derive(Clone, Copy, Debug)]
pub struct Pair {
    pub ticks: u64,
    pub mono_ns: u64,
}

/// Reads (ticks, monotonic) with the smallest uncertainty of a few tries:
/// the monotonic value is the midpoint of two reads around the tick read.
pub fn sample_pair() -> Pair {
    let mut best = (
        u64::MAX,
        Pair {
            ticks: 0,
            mono_ns: 0,
        },
    );
    for _ in 0..10 {
        let a = monotonic_ns();
        let ticks = now();
        let b = monotonic_ns();
        if b - a < best.0 {
            best = (
                b - a,
                Pair {
                    ticks,
                    mono_ns: a + (b - a) / 2,
                },
            );
        }
    }
    best.1
}

/// CLOCK_REALTIME − CLOCK_MONOTONIC in ns, measured as LTTng does: the
/// fastest of 10 samples, realtime read between two monotonic reads.
pub fn realtime_offset_ns() -> i128 {
    let mut best = (u64::MAX, 0i128);
    for _ in 0..10 {
        let a = monotonic_ns();
        let real = read_clock(libc::CLOCK_REALTIME);
        let b = monotonic_ns();
        if b - a < best.0 {
            best = (b - a, real as i128 - (a + (b - a) / 2) as i128);
        }
    }
    best.1
}

/// The CTF `clock` block's numbers: a tick value `v` is the instant
/// `offset_s + (offset + v) / freq` seconds after the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CtfClock {
    pub freq: u64,
    pub offset_s: i64,
    pub offset: u64,
}

/// Maps ticks onto monotonic + `realtime_offset`, exactly at `start` and at
/// `later` (the frequency is the slope between them). The monotonic source
/// ticks at 1 GHz; with fewer than 10 ms between the two readings, the TSC
/// frequency is a short calibration's (`nominal_tsc_freq`).
pub fn ctf_clock(source: Source, start: Pair, later: Pair, realtime_offset: i128) -> CtfClock {
    let freq = match source {
        Source::Monotonic => 1_000_000_000,
        Source::Tsc => tsc_freq(start, later),
    };
    let epoch_ns = start.mono_ns as i128 + realtime_offset;
    let total_ticks = epoch_ns * freq as i128 / 1_000_000_000 - start.ticks as i128;
    CtfClock {
        freq,
        offset_s: total_ticks.div_euclid(freq as i128) as i64,
        offset: total_ticks.rem_euclid(freq as i128) as u64,
    }
}

fn tsc_freq(start: Pair, later: Pair) -> u64 {
    let dt = later.mono_ns.saturating_sub(start.mono_ns);
    if dt < 10_000_000 {
        return nominal_tsc_freq();
    }
    let dticks = later.ticks.saturating_sub(start.ticks) as u128;
    (dticks * 1_000_000_000 / dt as u128) as u64
}

/// A first estimate of the TSC frequency: 2 ms of calibration, taken once.
fn nominal_tsc_freq() -> u64 {
    static NOMINAL: once_cell::sync::OnceCell<u64> = once_cell::sync::OnceCell::new();
    *NOMINAL.get_or_init(|| {
        let a = sample_pair();
        let deadline = a.mono_ns + 2_000_000;
        while monotonic_ns() < deadline {
            std::hint::spin_loop();
        }
        let b = sample_pair();
        let dticks = b.ticks.saturating_sub(a.ticks) as u128;
        let dt = (b.mono_ns - a.mono_ns).max(1) as u128;
        ((dticks * 1_000_000_000 / dt) as u64).max(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotonic_clock_maps_ticks_to_epoch_ns() {
        let start = Pair {
            ticks: 5_000,
            mono_ns: 5_000,
        };
        let c = ctf_clock(Source::Monotonic, start, start, 1_700_000_000_123_456_789);
        assert_eq!(c.freq, 1_000_000_000);
        let ns = c.offset_s as i128 * 1_000_000_000 + c.offset as i128 + 5_000;
        assert_eq!(ns, 1_700_000_000_123_456_789 + 5_000);
    }

    #[test]
    fn tsc_clock_is_exact_at_both_ends() {
        let start = Pair {
            ticks: 1_000_000_000,
            mono_ns: 2_000_000_000,
        };
        let later = Pair {
            ticks: 4_000_000_000,
            mono_ns: 3_000_000_000,
        };
        let c = ctf_clock(Source::Tsc, start, later, 1_000_000_000_000_000_000);
        assert_eq!(c.freq, 3_000_000_000);
        let at = |ticks: u64| {
            (c.offset_s as i128 * c.freq as i128 + c.offset as i128 + ticks as i128) * 1_000_000_000
                / c.freq as i128
        };
        assert_eq!(at(start.ticks), 1_000_000_000_000_000_000 + 2_000_000_000);
        assert_eq!(at(later.ticks), 1_000_000_000_000_000_000 + 3_000_000_000);
    }
}
