//! The rhythm of a consumer thread, shared by the daemonless session and
//! the daemon: how long to wait between passes (short while data flows,
//! backing off when idle, cut short by the doorbell a blocked writer rings,
//! but never more often than `MIN_GAP`, however often it rings), when to
//! close the sub-buffers of quiet buffers, and when to rewrite the metadata
//! (its clock calibration improves with time: at 100 ms, then at doubling
//! intervals).

use crate::doorbell::Doorbell;
use std::time::{Duration, Instant};

/// The shortest time between two passes (a doorbell rung in a loop costs
/// at most this much work).
const MIN_GAP: Duration = Duration::from_micros(100);

/// A buffer with no new event for this long gets its sub-buffer closed.
pub const QUIET_FLUSH: Duration = Duration::from_millis(200);
/// First metadata refresh.
const FIRST_REFRESH: Duration = Duration::from_millis(100);

/// One consumer thread's schedule.
pub struct Pacer {
    idle: Duration,
    min: Duration,
    max: Duration,
    began: Instant,
    last_pass: Instant,
    last_quiet: Instant,
    next_refresh: Instant,
}

impl Pacer {
    /// Sleeps `min` after a pass that found data, doubling up to `max` otherwise.
    pub fn new(min: Duration, max: Duration) -> Pacer {
        let now = Instant::now();
        Pacer {
            idle: min,
            min,
            max,
            began: now,
            last_pass: now,
            last_quiet: now,
            next_refresh: now + FIRST_REFRESH,
        }
    }

    /// Waits until the next pass is due or `bell` rings.
    pub fn wait(&mut self, bell: &Doorbell) {
        bell.wait(self.idle);
        let gap = self.last_pass.elapsed();
        if gap < MIN_GAP {
            std::thread::sleep(MIN_GAP - gap);
        }
        self.last_pass = Instant::now();
    }

    /// Records what the pass wrote, to choose the next sleep.
    pub fn drained(&mut self, wrote: u64) {
        self.idle = if wrote > 0 {
            self.min
        } else {
            (self.idle * 2).min(self.max)
        };
    }

    /// Sleeps `idle` before the next pass (nothing to consume for now).
    pub fn rest(&mut self, idle: Duration) {
        self.idle = idle;
    }

    /// Whether quiet buffers are due for a flush (then restarts the period).
    pub fn quiet_flush_due(&mut self) -> bool {
        let due = self.last_quiet.elapsed() >= QUIET_FLUSH;
        if due {
            self.last_quiet = Instant::now();
        }
        due
    }

    /// Whether the metadata is due for a rewrite (then schedules the next).
    pub fn refresh_due(&mut self) -> bool {
        let now = Instant::now();
        let due = now >= self.next_refresh;
        if due {
            self.next_refresh = now + self.began.elapsed();
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_when_idle_and_speeds_up_on_data() {
        let mut p = Pacer::new(Duration::from_millis(1), Duration::from_millis(8));
        for _ in 0..10 {
            p.drained(0);
        }
        assert_eq!(p.idle, Duration::from_millis(8));
        p.drained(3);
        assert_eq!(p.idle, Duration::from_millis(1));
    }

    #[test]
    fn first_refresh_comes_after_100_ms() {
        let mut p = Pacer::new(Duration::from_millis(1), Duration::from_millis(8));
        assert!(!p.refresh_due());
        p.next_refresh = Instant::now();
        assert!(p.refresh_due());
        assert!(!p.refresh_due(), "next one scheduled later");
    }
}
