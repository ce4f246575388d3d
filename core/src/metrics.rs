//! Counters, gauges and latency percentiles of a pool.

use crate::pool::sync::{AtomicU64, Mutex, MutexGuard, Ordering::Relaxed};
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::outcome::{OutcomeKind, Outcomes};

/// The live state of a pool that is cheap to read often (a few atomic loads), e.g. by
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
/// Once the pool is drained, `submitted == outcomes.finished()` (completed + failed +
/// timed out + panicked + cancelled). While it runs, `submitted` may be read a moment before or after the
/// other counters; each counter is exact on its own, and counts a job's outcome by
/// the time that outcome can be observed (its [`JobHandle`](crate::JobHandle)
/// resolves, or the driver yields it). The latency percentiles are published in
/// batches: while the driver is busy, the latest latencies may be missing from them
/// (they are all there once it goes idle or its stream ends).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Metrics {
    /// Jobs accepted.
    pub submitted: u64,
    /// Jobs waiting for a slot.
    pub queued: u64,
    /// Jobs started and not yet finished.
    pub running: u64,
    /// Jobs that ended, per outcome.
    pub outcomes: Outcomes,
    /// The most jobs that were ever in flight at one instant.
    pub peak_in_flight: u64,
    /// Latency percentiles of the jobs that ran (cancelled jobs that never started are
    /// not included).
    pub latency: LatencySummary,
}

impl LatencySummary {
    /// The summary of a histogram of microseconds.
    pub(crate) fn from_histogram(h: &Histogram<u64>) -> Self {
        let at = |q: f64| Duration::from_micros(h.value_at_quantile(q));
        LatencySummary {
            count: h.len(),
            p50: at(0.5),
            p90: at(0.9),
            p99: at(0.99),
            max: Duration::from_micros(h.max()),
        }
    }
}

/// A histogram of latencies in microseconds, three significant digits.
pub(crate) fn latency_histogram() -> Histogram<u64> {
    Histogram::new(3).expect("3 significant digits is a valid precision")
}

/// Records `count` latencies of `micros` µs, growing the histogram as needed (its
/// `saturating_*` methods clamp to the current range instead of growing it).
pub(crate) fn record_latency(histogram: &mut Histogram<u64>, micros: u64, count: u64) {
    if histogram.record_n(micros, count).is_err() {
        // Only a value beyond what `u64` counts can index; clamp it.
        histogram.saturating_record_n(micros, count);
    }
}

/// A latency in whole microseconds, at least 1 (a histogram's lowest value).
pub(crate) fn micros(latency: Duration) -> u64 {
    u64::try_from(latency.as_micros())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// The counters readers see. The driver is their only writer while it lives (it
/// publishes its [`LocalRecorder`] with plain stores); after it is gone, spawned jobs
/// still finishing account for themselves with atomic read-modify-writes.
#[derive(Debug)]
pub(crate) struct Recorder {
    in_flight: AtomicU64,
    peak_in_flight: AtomicU64,
    outcomes: [AtomicU64; 5],
    latency: Mutex<Histogram<u64>>,
}

impl Recorder {
    pub(crate) fn new() -> Self {
        let histogram = latency_histogram();
        Recorder {
            in_flight: AtomicU64::new(0),
            peak_in_flight: AtomicU64::new(0),
            outcomes: Default::default(),
            latency: Mutex::new(histogram),
        }
    }

    fn histogram(&self) -> MutexGuard<'_, Histogram<u64>> {
        // A poisoned lock only means a thread panicked while recording: the histogram
        // itself is still consistent.
        self.latency.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A started job ends after the driver is gone.
    pub(crate) fn finished_orphan(&self, kind: OutcomeKind, latency: Duration) {
        self.in_flight.fetch_sub(1, Relaxed);
        self.outcomes[kind as usize].fetch_add(1, Relaxed);
        record_latency(&mut self.histogram(), micros(latency), 1);
    }

    pub(crate) fn in_flight(&self) -> u64 {
        self.in_flight.load(Relaxed)
    }

    pub(crate) fn peak_in_flight(&self) -> u64 {
        self.peak_in_flight.load(Relaxed)
    }

    pub(crate) fn finished_total(&self) -> u64 {
        self.outcomes.iter().map(|c| c.load(Relaxed)).sum()
    }

    pub(crate) fn snapshot(&self, submitted: u64, queued: u64) -> Metrics {
        let latency = LatencySummary::from_histogram(&self.histogram());
        let get = |kind: OutcomeKind| self.outcomes[kind as usize].load(Relaxed);
        Metrics {
            submitted,
            queued,
            running: self.in_flight(),
            outcomes: Outcomes {
                completed: get(OutcomeKind::Completed),
                failed: get(OutcomeKind::Failed),
                timed_out: get(OutcomeKind::TimedOut),
                panicked: get(OutcomeKind::Panicked),
                cancelled: get(OutcomeKind::Cancelled),
            },
            peak_in_flight: self.peak_in_flight(),
            latency,
        }
    }
}

/// How many runs of latencies the driver buffers before it takes the histogram's lock.
const LATENCY_BATCH: usize = 256;

/// Latencies below this many microseconds (jobs that end at once) are counted per
/// value, without a buffer entry each.
const SMALL_MICROS: usize = 64;

/// The driver's own counters: it is their single writer, so it updates them without
/// atomics and publishes them to the [`Recorder`] with plain stores: a start at once,
/// ends once per batch ([`publish`](Self::publish)) rather than at every change.
#[derive(Debug)]
pub(crate) struct LocalRecorder {
    in_flight: u64,
    peak_in_flight: u64,
    outcomes: [u64; 5],
    /// Whether a job ended since the last [`publish`](Self::publish) (starts are
    /// published at once).
    dirty: bool,
    /// Buffered latencies as (microseconds, how many in a row): runs of equal values
    /// take one entry.
    latencies: Vec<(u64, u64)>,
    /// Buffered counts of small latencies, by whole microseconds (0 counts as 1,
    /// the histogram's lowest value).
    small: [u64; SMALL_MICROS],
    /// Bit `i` set: `small[i]` is not zero.
    small_used: u64,
}

impl Default for LocalRecorder {
    fn default() -> Self {
        LocalRecorder {
            in_flight: 0,
            peak_in_flight: 0,
            outcomes: [0; 5],
            dirty: false,
            latencies: Vec::new(),
            small: [0; SMALL_MICROS],
            small_used: 0,
        }
    }
}

impl LocalRecorder {
    /// A job takes a slot, and readers of `shared` see it in flight at once (with
    /// every outcome counted before it). The caller guarantees the bound; this only
    /// counts.
    #[inline]
    pub(crate) fn started(&mut self, shared: &Recorder) {
        self.in_flight += 1;
        self.peak_in_flight = self.peak_in_flight.max(self.in_flight);
        if self.dirty {
            // Jobs ended since the last publication: publish them with this start,
            // so that no job is seen neither in flight nor finished.
            self.publish(shared);
        } else {
            shared.in_flight.store(self.in_flight, Relaxed);
            shared.peak_in_flight.store(self.peak_in_flight, Relaxed);
        }
    }

    /// A job ends: `latency` is `Some` for a job that had started (and frees its
    /// slot), `None` for one cancelled in the queue.
    #[inline]
    pub(crate) fn finished(
        &mut self,
        shared: &Recorder,
        kind: OutcomeKind,
        latency: Option<Duration>,
    ) {
        match latency {
            Some(latency) => {
                self.ended(kind);
                self.latencies(shared, latency, 1);
            }
            None => {
                self.dirty = true;
                self.outcomes[kind as usize] += 1;
            }
        }
    }

    /// A started job ends and frees its slot; its latency is recorded apart (see
    /// [`latencies`](Self::latencies)).
    #[inline]
    pub(crate) fn ended(&mut self, kind: OutcomeKind) {
        self.dirty = true;
        self.outcomes[kind as usize] += 1;
        self.in_flight -= 1;
    }

    /// Records `count` latencies equal to `latency`.
    #[inline]
    pub(crate) fn latencies(&mut self, shared: &Recorder, latency: Duration, count: u64) {
        if count == 0 {
            return;
        }
        if latency.as_secs() == 0 {
            let micros = (latency.subsec_micros() as usize).max(1);
            if micros < SMALL_MICROS {
                self.small[micros] += count;
                self.small_used |= 1 << micros;
                return;
            }
        }
        let micros = micros(latency);
        match self.latencies.last_mut() {
            Some((last, n)) if *last == micros => *n += count,
            _ => self.latencies.push((micros, count)),
        }
        if self.latencies.len() >= LATENCY_BATCH {
            self.flush(shared);
        }
    }

    /// Makes the counters visible to readers of the [`Recorder`].
    pub(crate) fn publish(&mut self, shared: &Recorder) {
        if !self.dirty {
            return;
        }
        self.dirty = false;
        shared.in_flight.store(self.in_flight, Relaxed);
        shared.peak_in_flight.store(self.peak_in_flight, Relaxed);
        for (shared, local) in shared.outcomes.iter().zip(self.outcomes) {
            shared.store(local, Relaxed);
        }
    }

    /// Publishes the counters and moves the buffered latencies into the shared
    /// histogram.
    pub(crate) fn flush(&mut self, shared: &Recorder) {
        self.publish(shared);
        if self.latencies.is_empty() && self.small_used == 0 {
            return;
        }
        let mut histogram = shared.histogram();
        while self.small_used != 0 {
            let micros = self.small_used.trailing_zeros() as usize;
            self.small_used &= self.small_used - 1;
            record_latency(&mut histogram, micros as u64, self.small[micros]);
            self.small[micros] = 0;
        }
        for (micros, count) in self.latencies.drain(..) {
            record_latency(&mut histogram, micros, count);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_grows_for_long_latencies() {
        let recorder = Recorder::new();
        let mut local = LocalRecorder::default();
        for latency in [
            Duration::from_micros(3),
            Duration::ZERO,
            Duration::from_secs(10),
        ] {
            local.started(&recorder);
            local.finished(&recorder, OutcomeKind::Completed, Some(latency));
        }
        local.flush(&recorder);
        let latency = recorder.snapshot(3, 0).latency;
        assert_eq!(latency.count, 3);
        let max = latency.max.as_secs_f64();
        assert!((9.99..=10.01).contains(&max), "max {max} s, expected 10 s");
        assert!(latency.p50 <= Duration::from_micros(4));
    }

    /// Small latencies, counted per microsecond without a buffer entry each, reach
    /// the histogram with their values, in runs or one by one, with the large ones.
    #[test]
    fn small_latencies_are_counted_by_value() {
        let recorder = Recorder::new();
        let mut local = LocalRecorder::default();
        for _ in 0..1_000 {
            local.started(&recorder);
        }
        local.latencies(&recorder, Duration::from_nanos(300), 500);
        for micros in [2, 2, 63, 64, 1_000] {
            local.latencies(&recorder, Duration::from_micros(micros), 1);
        }
        local.latencies(&recorder, Duration::ZERO, 495);
        for _ in 0..1_000 {
            local.ended(OutcomeKind::Completed);
        }
        local.flush(&recorder);
        let m = recorder.snapshot(1_000, 0);
        assert_eq!(
            (m.outcomes.completed, m.running, m.latency.count),
            (1_000, 0, 1_000)
        );
        assert_eq!(m.latency.p50, Duration::from_micros(1));
        assert_eq!(m.latency.max, Duration::from_micros(1_000));
        let histogram = recorder.histogram();
        assert_eq!(histogram.count_at(2), 2);
        assert_eq!(histogram.count_at(63), 1);
        assert_eq!(histogram.count_at(64), 1);
        assert_eq!(histogram.count_at(1), 995);
    }
}
