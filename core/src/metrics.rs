//! Counters, gauges and latency percentiles of a pool.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::outcome::OutcomeKind;

/// The live state of a pool that is cheap to read often (three atomic loads), e.g. by
/// a sampler every few milliseconds. See [`Pool::gauge`](crate::Pool::gauge).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Gauge {
    /// Jobs started and not yet finished.
    pub in_flight: u64,
    /// The most jobs that were ever in flight at one instant.
    pub peak_in_flight: u64,
    /// Jobs accepted and waiting for a slot.
    pub queued: u64,
    /// Jobs that ended, in any outcome.
    pub finished: u64,
}

/// Latency percentiles of finished jobs (from start to end), with microsecond
/// resolution and three significant digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LatencySummary {
    /// Number of latencies recorded.
    pub count: u64,
    /// Median.
    pub p50: Duration,
    /// 90th percentile.
    pub p90: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Largest.
    pub max: Duration,
}

/// A snapshot of a pool's counters. Taken at any time with
/// [`Pool::metrics`](crate::Pool::metrics).
///
/// Once the pool is drained, `submitted == completed + failed + timed_out + panicked +
/// cancelled`. While it runs, `submitted` may be read a moment before or after the
/// other counters; each counter is exact on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Metrics {
    /// Jobs accepted.
    pub submitted: u64,
    /// Jobs waiting for a slot.
    pub queued: u64,
    /// Jobs started and not yet finished.
    pub running: u64,
    /// Jobs that completed with `Ok`.
    pub completed: u64,
    /// Jobs that completed with `Err`.
    pub failed: u64,
    /// Jobs dropped at their deadline.
    pub timed_out: u64,
    /// Jobs that panicked.
    pub panicked: u64,
    /// Jobs cancelled.
    pub cancelled: u64,
    /// The most jobs that were ever in flight at one instant.
    pub peak_in_flight: u64,
    /// Latency percentiles of the jobs that ran (cancelled jobs that never started are
    /// not included).
    pub latency: LatencySummary,
}

impl Metrics {
    /// Jobs that ended, in any outcome.
    pub fn finished(&self) -> u64 {
        self.completed + self.failed + self.timed_out + self.panicked + self.cancelled
    }
}

#[derive(Debug)]
pub(crate) struct Recorder {
    pub(crate) submitted: AtomicU64,
    pub(crate) in_flight: AtomicU64,
    pub(crate) peak_in_flight: AtomicU64,
    outcomes: [AtomicU64; 5],
    latency: Mutex<Histogram<u64>>,
}

impl Recorder {
    pub(crate) fn new() -> Self {
        let histogram = Histogram::new(3).expect("3 significant digits is a valid precision");
        Recorder {
            submitted: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            peak_in_flight: AtomicU64::new(0),
            outcomes: Default::default(),
            latency: Mutex::new(histogram),
        }
    }

    /// A job takes a slot. The caller guarantees the bound; this only counts.
    pub(crate) fn started(&self) {
        let now = self.in_flight.fetch_add(1, Relaxed) + 1;
        self.peak_in_flight.fetch_max(now, Relaxed);
    }

    /// A job that had started ends and frees its slot.
    pub(crate) fn finished_running(&self, kind: OutcomeKind, latency: Duration) {
        self.in_flight.fetch_sub(1, Relaxed);
        self.count(kind);
        let micros = u64::try_from(latency.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        // A poisoned lock only means another thread panicked while recording: the
        // histogram itself is still consistent.
        let mut histogram = self.latency.lock().unwrap_or_else(|e| e.into_inner());
        histogram.saturating_record(micros);
    }

    /// A job ends without having started (cancelled in the queue).
    pub(crate) fn count(&self, kind: OutcomeKind) {
        self.outcomes[kind as usize].fetch_add(1, Relaxed);
    }

    pub(crate) fn finished_total(&self) -> u64 {
        self.outcomes.iter().map(|c| c.load(Relaxed)).sum()
    }

    pub(crate) fn snapshot(&self, queued: u64) -> Metrics {
        let latency = {
            let h = self.latency.lock().unwrap_or_else(|e| e.into_inner());
            let at = |q: f64| Duration::from_micros(h.value_at_quantile(q));
            LatencySummary {
                count: h.len(),
                p50: at(0.5),
                p90: at(0.9),
                p99: at(0.99),
                max: Duration::from_micros(h.max()),
            }
        };
        let get = |kind: OutcomeKind| self.outcomes[kind as usize].load(Relaxed);
        Metrics {
            submitted: self.submitted.load(Relaxed),
            queued,
            running: self.in_flight.load(Relaxed),
            completed: get(OutcomeKind::Completed),
            failed: get(OutcomeKind::Failed),
            timed_out: get(OutcomeKind::TimedOut),
            panicked: get(OutcomeKind::Panicked),
            cancelled: get(OutcomeKind::Cancelled),
            peak_in_flight: self.peak_in_flight.load(Relaxed),
            latency,
        }
    }
}
