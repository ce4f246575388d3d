//! The engine's bookkeeping: plugins and their ids by kind, the traces being
//! followed, the cooperative budget, the teardown of an ended crawl, and polling the
//! next call against a cancel.

use std::sync::atomic::Ordering::Relaxed;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::stream::{Stream, StreamExt};
use hashbrown::HashMap;
use hdrhistogram::Histogram;
use web_time::Instant;

use super::COOP_BUDGET;
use crate::crawl::store::TraceId;
use crate::crawl::{CancelState, PluginStats, Probe};
use crate::metrics::{latency_histogram, record_latency};
use crate::trace::{Trace, TraceKind};

/// A plugin of the crawl: its index is its id in the report.
pub(super) struct PluginRef<P> {
    pub(super) plugin: P,
    pub(super) stats: PluginStats,
    pub(super) latency: Latencies,
}

/// A plugin's latencies: a histogram, and the run of equal latencies recorded last,
/// counted, not recorded one by one (calls that end at once, in the same whole
/// microsecond, come in long runs).
pub(super) struct Latencies {
    histogram: Histogram<u64>,
    /// The value of the run (µs) and its length.
    run: (u64, u64),
}

impl Latencies {
    pub(super) fn new() -> Self {
        Latencies {
            histogram: latency_histogram(),
            run: (0, 0),
        }
    }

    /// Records one latency of `micros` µs.
    #[inline]
    pub(super) fn record(&mut self, micros: u64) {
        if self.run.0 == micros {
            self.run.1 += 1;
        } else {
            self.flush();
            self.run = (micros, 1);
        }
    }

    fn flush(&mut self) {
        let (micros, count) = std::mem::take(&mut self.run);
        if count > 0 {
            record_latency(&mut self.histogram, micros, count);
        }
    }

    /// Every latency recorded.
    pub(super) fn histogram(&mut self) -> &Histogram<u64> {
        self.flush();
        &self.histogram
    }
}

/// The plugin ids of each kind, known kinds by their index.
pub(super) struct ByKindIds {
    pub(super) known: Vec<Vec<u32>>,
    pub(super) other: HashMap<String, Vec<u32>, foldhash::fast::RandomState>,
}

impl ByKindIds {
    pub(super) fn of(&self, kind: &TraceKind) -> &[u32] {
        match kind.known_index() {
            Some(i) => &self.known[i],
            None => self.other.get(kind.as_str()).map_or(&[], Vec::as_slice),
        }
    }
}

/// A trace being followed: its calls are being scheduled or in flight. Its value is
/// materialised once for all of them (the seen set keeps it in its arena).
pub(super) struct Active {
    pub(super) node: TraceId,
    pub(super) depth: u32,
    pub(super) trace: Trace,
    /// The calls not ended yet, plus one while the scheduler may still add calls.
    pub(super) holders: u32,
}

/// The traces being followed, by slot.
#[derive(Default)]
pub(super) struct Slab {
    pub(super) entries: Vec<Option<Active>>,
    pub(super) free: Vec<u32>,
    /// The traces of released slots, whose values' buffers the next traces followed
    /// reuse: one allocation per slot, not one per trace followed.
    spare: Vec<Trace>,
}

impl Slab {
    /// A trace to overwrite for the next trace followed: a released one, if any.
    #[inline]
    pub(super) fn spare_trace(&mut self) -> Trace {
        self.spare
            .pop()
            .unwrap_or_else(|| Trace::new(TraceKind::Username, String::new()))
    }

    pub(super) fn insert(&mut self, active: Active) -> u32 {
        match self.free.pop() {
            Some(slot) => {
                self.entries[slot as usize] = Some(active);
                slot
            }
            None => {
                self.entries.push(Some(active));
                (self.entries.len() - 1) as u32
            }
        }
    }

    #[inline]
    pub(super) fn get(&self, slot: u32) -> &Active {
        self.entries[slot as usize]
            .as_ref()
            .expect("a slot in use is filled")
    }

    #[inline]
    pub(super) fn hold(&mut self, slot: u32) {
        if let Some(active) = &mut self.entries[slot as usize] {
            active.holders += 1;
        }
    }

    #[inline]
    pub(super) fn release(&mut self, slot: u32) {
        let entry = &mut self.entries[slot as usize];
        if let Some(active) = entry {
            active.holders -= 1;
            if active.holders == 0 {
                if let Some(active) = entry.take() {
                    self.spare.push(active.trace);
                }
                self.free.push(slot);
            }
        }
    }
}

/// Spends a budget of [`COOP_BUDGET`] handled calls per poll: see there.
pub(super) struct Coop(u32);

impl Coop {
    pub(super) fn new() -> Self {
        Coop(COOP_BUDGET)
    }

    /// `Pending` (the task woken) once the budget is spent; it is then refilled.
    #[inline]
    pub(super) fn poll_proceed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 == 0 {
            self.0 = COOP_BUDGET;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.0 -= 1;
        Poll::Ready(())
    }

    /// The task is about to return `Pending` anyway: the next poll gets a full budget.
    #[inline]
    pub(super) fn refill(&mut self) {
        self.0 = COOP_BUDGET;
    }
}

/// Leaves the crawler as an ended crawl leaves it, whether the run returns its report
/// or its future is dropped mid-crawl (its calls are dropped with it).
pub(super) struct Teardown<'c> {
    pub(super) probe: &'c Probe,
    pub(super) cancel: &'c CancelState,
}

impl Drop for Teardown<'_> {
    fn drop(&mut self) {
        let probe = self.probe;
        // Calls dropped with the crawl's future ended there: none is queued any more.
        probe.finished.store(probe.submitted.load(Relaxed), Relaxed);
        // The task that ran the crawl is not to be woken, nor kept alive, by a cancel.
        drop(self.cancel.waker.take());
    }
}

/// Whether every call of a crawl starting now can have a deadline `limit` after its
/// start. A timeout past the clock's range is no timeout: no timer is asked for such a
/// sleep (a timer computing `now + limit` would overflow). The doubled limit covers
/// the calls starting later: a crawl does not run for half the clock's range.
pub(super) fn within_clock_range(limit: Duration) -> bool {
    Instant::now()
        .checked_add(limit.saturating_mul(2))
        .is_some()
}

/// The next finished call of `calls`, within the budget of `coop`: `None` once the
/// crawl is cancelled, `Some(None)` once `calls` has ended. A cancel counts before a
/// finished call; the task registers for cancels only when it is about to sleep.
pub(super) fn poll_next_call<S: Stream + Unpin>(
    calls: &mut S,
    coop: &mut Coop,
    cancel: &CancelState,
    cx: &mut Context<'_>,
) -> Poll<Option<Option<S::Item>>> {
    std::task::ready!(coop.poll_proceed(cx));
    if cancel.cancelled.load(Relaxed) {
        return Poll::Ready(None);
    }
    let next = calls.poll_next_unpin(cx);
    if next.is_pending() {
        coop.refill();
        if poll_cancelled(cancel, cx) {
            return Poll::Ready(None);
        }
    }
    next.map(Some)
}

pub(super) fn poll_cancelled(state: &CancelState, cx: &mut Context<'_>) -> bool {
    if state.cancelled.load(Relaxed) {
        return true;
    }
    state.waker.register(cx.waker());
    state.cancelled.load(Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_counted_in_runs_are_the_latencies_recorded_one_by_one() {
        let values = [1, 1, 1, 7, 7, 1, 250, 250, 250, 250, 3, 1_000_000, 1];
        let mut runs = Latencies::new();
        let mut one_by_one = latency_histogram();
        for (i, &micros) in values.iter().enumerate() {
            runs.record(micros);
            record_latency(&mut one_by_one, micros, 1);
            // Read at any point, then recorded into further.
            if i % 4 == 0 {
                assert_eq!(*runs.histogram(), one_by_one);
            }
        }
        assert_eq!(runs.histogram().len(), values.len() as u64);
        assert_eq!(*runs.histogram(), one_by_one);
        assert_eq!(*Latencies::new().histogram(), latency_histogram());
    }
}
