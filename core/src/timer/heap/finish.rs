//! Whether, and how early, a shard wakes its nearest sleep to finish by yielding:
//! chosen by what it measures.
//!
//! Waking a thread from the OS takes time: tens of µs on an idle virtual machine, more
//! on some. Waking the nearest sleep that much early and yielding until its deadline
//! (the finishing idea of `FinishingTimer`) covers it, on a machine whose other cores
//! are free. On a busy one it backfires: a thread that yields stays runnable, and the
//! scheduler hands the core to another process for a slice of milliseconds, while a
//! thread asleep in the OS is woken and runs within µs. Measured on a 2-core machine
//! with other builds running, sleeps of 10 ms, 10 at a time: finishing by yielding,
//! the slowest tenth of sleeps ended more than 1 ms late; woken by the OS at the
//! deadline, 40 µs. So the shard measures both ways and keeps the better one.

use std::mem;
use std::time::Duration;

use super::HeapTimer;

/// How many timed sleeps make an epoch: the unit the two ways are compared in.
const EPOCH: u32 = 32;

/// After this many epochs in a row one way, one epoch the other way, to measure it
/// again (conditions change: a build ends, another starts).
const EXPLORE_EVERY: u32 = 16;

/// A sleep later than this counts as this late.
const LATE_CAP: Duration = Duration::from_millis(5);

/// The latest this many sleeps of an epoch do not count: a stall of the whole process
/// (preempted, stopped) hits either way and must not decide alone, while a way that
/// makes one sleep in ten late shows through.
const TRIMMED: usize = 2;

/// The finishing policy of one shard.
#[derive(Debug, Clone)]
pub(super) struct Finish {
    /// Moving average of how late the OS timer wakes the thread, in nanoseconds: the
    /// margin is twice it.
    os_late_ns: u64,
    /// Whether the nearest sleep finishes by yielding (else the OS timer is armed for
    /// its deadline itself).
    yielding: bool,
    /// How late the sleeps timed in the current epoch ended, in nanoseconds, summed.
    epoch_ns: u64,
    /// The latest of them, latest first.
    latest: [u64; TRIMMED],
    /// How many sleeps were timed in the current epoch.
    epoch_len: u32,
    /// The mean lateness of the last epoch each way (index 1: yielding), once tried.
    last: [Option<u64>; 2],
    /// Epochs in a row the current way.
    streak: u32,
}

impl Finish {
    /// Finishing by yielding, with the largest margin, until measured otherwise.
    pub(super) fn new() -> Self {
        Finish {
            os_late_ns: duration_ns(HeapTimer::MAX_MARGIN) / 2,
            yielding: true,
            epoch_ns: 0,
            latest: [0; TRIMMED],
            epoch_len: 0,
            last: [None, None],
            streak: 0,
        }
    }

    /// How early the OS timer wakes the nearest sleep before its deadline: zero when
    /// it does not finish by yielding.
    pub(super) fn margin(&self) -> Duration {
        if self.yielding {
            Duration::from_nanos(self.os_late_ns.saturating_mul(2)).min(HeapTimer::MAX_MARGIN)
        } else {
            Duration::ZERO
        }
    }

    /// Whether the nearest sleep finishes by yielding.
    pub(super) fn is_yielding(&self) -> bool {
        self.yielding
    }

    /// The OS timer woke the thread `late` after it was due.
    pub(super) fn woke(&mut self, late: Duration) {
        // Over about 16 wake-ups; a wake-up later than the largest margin counts as it.
        let late = duration_ns(late.min(HeapTimer::MAX_MARGIN));
        self.os_late_ns = self.os_late_ns - self.os_late_ns / 16 + late / 16;
    }

    /// A timed sleep (the nearest one, finishing the current way) ended `late` after
    /// its deadline. At the end of an epoch, the way whose last epoch was better (by
    /// the mean lateness of all but its latest sleeps) is kept, the other tried again
    /// now and then.
    pub(super) fn ended(&mut self, late: Duration) {
        let late = duration_ns(late.min(LATE_CAP));
        self.epoch_ns += late;
        // Keep the latest ones, to leave them out.
        let mut carried = late;
        for slot in &mut self.latest {
            if carried > *slot {
                mem::swap(&mut carried, slot);
            }
        }
        self.epoch_len += 1;
        if self.epoch_len < EPOCH {
            return;
        }
        let trimmed: u64 = self.latest.iter().sum();
        let mean = (self.epoch_ns - trimmed) / (u64::from(EPOCH) - TRIMMED as u64);
        self.epoch_ns = 0;
        self.latest = [0; TRIMMED];
        self.epoch_len = 0;
        self.last[usize::from(self.yielding)] = Some(mean);
        self.streak += 1;
        let switch = match self.last[usize::from(!self.yielding)] {
            None => true,
            Some(other) => other < mean || self.streak >= EXPLORE_EVERY,
        };
        if switch {
            self.yielding = !self.yielding;
            self.streak = 0;
        }
    }
}

fn duration_ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    /// Ends one epoch with every timed sleep `late`.
    fn epoch(finish: &mut Finish, late: Duration) {
        for _ in 0..EPOCH {
            finish.ended(late);
        }
    }

    #[test]
    fn the_margin_follows_the_os_lateness_within_its_bound() {
        let mut finish = Finish::new();
        assert_eq!(finish.margin(), HeapTimer::MAX_MARGIN);
        for _ in 0..200 {
            finish.woke(us(20));
        }
        let margin = finish.margin();
        assert!(margin >= us(39) && margin <= us(41), "{margin:?}");
        for _ in 0..200 {
            finish.woke(Duration::from_secs(1));
        }
        assert_eq!(finish.margin(), HeapTimer::MAX_MARGIN);
    }

    #[test]
    fn it_keeps_the_better_way_and_tries_the_other_now_and_then() {
        let mut finish = Finish::new();
        // Yielding first, then the OS timer alone is tried.
        assert!(finish.is_yielding());
        epoch(&mut finish, us(2));
        assert!(!finish.is_yielding());
        assert_eq!(finish.margin(), Duration::ZERO);
        // Waking at the deadline is worse (a quiet machine): back to yielding, which
        // stays until it is time to try the other way again.
        epoch(&mut finish, us(30));
        assert!(finish.is_yielding());
        for _ in 0..EXPLORE_EVERY - 1 {
            epoch(&mut finish, us(2));
            assert!(finish.is_yielding());
        }
        epoch(&mut finish, us(2));
        assert!(!finish.is_yielding(), "tried again");
        epoch(&mut finish, us(30));
        assert!(finish.is_yielding());
        // The machine gets busy: yielding now ends sleeps late, the OS timer is kept.
        epoch(&mut finish, us(900));
        assert!(!finish.is_yielding());
        epoch(&mut finish, us(60));
        assert!(!finish.is_yielding());
        for _ in 0..EXPLORE_EVERY - 1 {
            epoch(&mut finish, us(60));
        }
        assert!(finish.is_yielding(), "tried again");
        epoch(&mut finish, us(1_000));
        assert!(!finish.is_yielding());
    }

    #[test]
    fn one_stall_does_not_decide_alone() {
        let mut finish = Finish::new();
        epoch(&mut finish, us(2));
        epoch(&mut finish, us(30));
        assert!(finish.is_yielding());
        // Two sleeps of an epoch end a second late (the process was stopped): left
        // out, they do not make yielding look worse.
        finish.ended(Duration::from_secs(1));
        for _ in 2..EPOCH {
            finish.ended(us(2));
        }
        finish.ended(Duration::from_millis(3));
        assert!(finish.is_yielding());
        // One in ten late by a millisecond (a busy machine) does.
        for n in 0..EPOCH {
            finish.ended(if n % 10 == 0 {
                Duration::from_millis(1)
            } else {
                us(2)
            });
        }
        assert!(!finish.is_yielding());
    }
}
