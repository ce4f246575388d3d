//! How accurately the injected timer sleeps.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Thread-safe totals of requested versus actual sleep times.
///
/// The simulated plugins record every sleep here; a run reports the mean overshoot
/// as its `timer_overshoot_us`. Share it with an `Arc`.
#[derive(Debug, Default)]
pub struct SleepStats {
    count: AtomicU64,
    requested_ns: AtomicU64,
    overshoot_ns: AtomicU64,
    early: AtomicU64,
}

impl SleepStats {
    /// Empty totals.
    pub fn new() -> Self {
        SleepStats::default()
    }

    /// Records one sleep of `requested` that actually took `actual`.
    ///
    /// A wake-up before `requested` counts as an early wake-up and adds no overshoot.
    /// The totals saturate at `u64::MAX` nanoseconds (about 584 years).
    pub fn record(&self, requested: Duration, actual: Duration) {
        self.count.fetch_add(1, Ordering::Relaxed);
        add_saturating(&self.requested_ns, saturating_nanos(requested));
        match actual.checked_sub(requested) {
            Some(over) => add_saturating(&self.overshoot_ns, saturating_nanos(over)),
            None => {
                self.early.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The totals so far.
    pub fn snapshot(&self) -> SleepSummary {
        SleepSummary {
            count: self.count.load(Ordering::Relaxed),
            requested: Duration::from_nanos(self.requested_ns.load(Ordering::Relaxed)),
            overshoot: Duration::from_nanos(self.overshoot_ns.load(Ordering::Relaxed)),
            early_wakeups: self.early.load(Ordering::Relaxed),
        }
    }

    /// Mean overshoot per sleep in microseconds (0 when nothing was recorded).
    pub fn mean_overshoot_us(&self) -> f64 {
        self.snapshot().mean_overshoot_us()
    }

    /// Clears the totals.
    pub fn reset(&self) {
        self.count.store(0, Ordering::Relaxed);
        self.requested_ns.store(0, Ordering::Relaxed);
        self.overshoot_ns.store(0, Ordering::Relaxed);
        self.early.store(0, Ordering::Relaxed);
    }
}

fn add_saturating(total: &AtomicU64, n: u64) {
    // The closure always returns `Some`: the update cannot fail.
    let _ = total.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
        Some(old.saturating_add(n))
    });
}

fn saturating_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// A snapshot of [`SleepStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SleepSummary {
    /// Number of sleeps recorded.
    pub count: u64,
    /// Sum of the requested durations.
    pub requested: Duration,
    /// Sum of how much later than requested the sleeps ended.
    pub overshoot: Duration,
    /// Number of sleeps that ended before the requested duration.
    pub early_wakeups: u64,
}

impl SleepSummary {
    /// Mean overshoot per sleep in microseconds (0 when `count` is 0).
    pub fn mean_overshoot_us(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.overshoot.as_secs_f64() * 1e6 / self.count as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overshoot_is_averaged() {
        let stats = SleepStats::new();
        stats.record(Duration::from_millis(10), Duration::from_micros(10_300));
        stats.record(Duration::from_millis(10), Duration::from_micros(10_100));
        stats.record(Duration::from_millis(10), Duration::from_micros(9_000));
        let s = stats.snapshot();
        assert_eq!(s.count, 3);
        assert_eq!(s.early_wakeups, 1);
        assert_eq!(s.requested, Duration::from_millis(30));
        assert!((s.mean_overshoot_us() - 400.0 / 3.0).abs() < 1e-9);
        stats.reset();
        assert_eq!(stats.mean_overshoot_us(), 0.0);
    }
}
