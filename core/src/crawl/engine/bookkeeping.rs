//! The engine's bookkeeping: plugins and their ids by kind, the traces being
//! followed, the cooperative budget, the teardown of an ended crawl, and polling the
//! next call against a cancel.

use std::collections::VecDeque;
use std::ops::Range;
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
use crate::outcome::JobId;
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

/// The plugin ids of each kind, known kinds by their index. A kind's ids are
/// consecutive: the engine numbers a kind's plugins one after the other.
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

    /// The ids of `ids` (a kind's, consecutive) as a range.
    pub(super) fn range(ids: &[u32]) -> Range<u32> {
        let first = ids.first().copied().unwrap_or(0);
        debug_assert!(ids.iter().zip(first..).all(|(&id, want)| id == want));
        first..first + ids.len() as u32
    }
}

/// A trace being followed: its calls are being scheduled or in flight. Its value is
/// materialised once for all of them (the seen set keeps it in its arena).
pub(super) struct Active {
    pub(super) node: TraceId,
    pub(super) depth: u32,
    pub(super) trace: Trace,
    /// The ids of the plugins that follow it.
    pub(super) plugins: Range<u32>,
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

/// The trace's slot and the plugin of each call in the pool, by job id, from its
/// submission to its end.
///
/// Ids increase in submission order and calls end in about that order: the calls are
/// kept in a window of ids starting at the oldest call not ended (an index, no hash).
/// A call still running when the window would grow past its bound (a slow call among
/// many fast ones) moves to a map, so that the window stays within its bound.
pub(super) struct Pending {
    /// The id of the window's first entry.
    base: u64,
    /// The calls by id from `base`; `None` for an id ended, or never submitted.
    window: VecDeque<Option<(u32, u32)>>,
    /// The calls that left the window while running.
    behind: HashMap<u64, (u32, u32), foldhash::fast::FixedState>,
    /// The longest the window grows.
    bound: usize,
    len: usize,
}

impl Pending {
    /// The most ids the window skips to keep an id past its end; an id further away
    /// goes to the map.
    const GAP: usize = 64;

    /// A window of at most `bound` ids (at least 1).
    pub(super) fn new(bound: usize) -> Self {
        Pending {
            base: 0,
            window: VecDeque::new(),
            behind: HashMap::default(),
            bound: bound.max(1),
            len: 0,
        }
    }

    /// Keeps the call of `(slot, plugin)` under `id`, an id above every id kept so far.
    #[inline]
    pub(super) fn insert(&mut self, id: JobId, call: (u32, u32)) {
        let id = id.get();
        if self.window.is_empty() {
            self.base = id;
        }
        self.len += 1;
        let Some(at) = id
            .checked_sub(self.base)
            .and_then(|at| usize::try_from(at).ok())
            .filter(|&at| at <= self.window.len() + Self::GAP)
        else {
            // An id out of order, or far past the window: the map keeps it.
            self.behind.insert(id, call);
            return;
        };
        if at == self.window.len() {
            // The usual case: the next id.
            self.window.push_back(Some(call));
        } else if at > self.window.len() {
            self.window.resize(at, None);
            self.window.push_back(Some(call));
        } else {
            self.window[at] = Some(call);
        }
        while self.window.len() > self.bound {
            if let Some(Some(running)) = self.window.pop_front() {
                self.behind.insert(self.base, running);
            }
            self.base += 1;
        }
        self.trim();
    }

    /// Takes the call kept under `id`, if any.
    #[inline]
    pub(super) fn remove(&mut self, id: JobId) -> Option<(u32, u32)> {
        let id = id.get();
        let in_window = id
            .checked_sub(self.base)
            .and_then(|at| usize::try_from(at).ok())
            .and_then(|at| self.window.get_mut(at));
        let call = match in_window {
            Some(entry) => {
                let call = entry.take();
                self.trim();
                call
            }
            None => self.behind.remove(&id),
        };
        self.len -= usize::from(call.is_some());
        call
    }

    /// Drops the ended ids at the front of the window.
    #[inline]
    fn trim(&mut self) {
        while let Some(None) = self.window.front() {
            self.window.pop_front();
            self.base += 1;
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
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

    /// Spends one unit of the budget if any is left, never yielding: for a call taken
    /// without a poll.
    #[inline]
    pub(super) fn spend(&mut self) -> bool {
        let left = self.0 > 0;
        self.0 -= u32::from(left);
        left
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

    /// Keeps calls and ends them in the order `ends` gives (indices into the ids),
    /// checking each answer against a plain map.
    fn check_pending(bound: usize, ids: &[u64], ends: &[usize]) {
        let mut pending = Pending::new(bound);
        let mut expected = std::collections::HashMap::new();
        for (i, &id) in ids.iter().enumerate() {
            let call = (i as u32, (id % 7) as u32);
            pending.insert(JobId(id), call);
            expected.insert(id, call);
            assert!(pending.window.len() <= pending.bound);
        }
        for &e in ends {
            let id = ids[e];
            assert_eq!(pending.remove(JobId(id)), expected.remove(&id), "id {id}");
            assert_eq!(pending.remove(JobId(id)), None, "id {id} twice");
            assert_eq!(pending.is_empty(), expected.is_empty());
        }
        assert!(pending.is_empty());
        assert!(pending.window.is_empty() && pending.behind.is_empty());
    }

    #[test]
    fn pending_calls_are_found_in_any_order_of_ends() {
        let dense: Vec<u64> = (0..100).collect();
        let in_order: Vec<usize> = (0..100).collect();
        let reversed: Vec<usize> = (0..100).rev().collect();
        // The first call ends last: the window moves it to the map.
        let slow_first: Vec<usize> = (1..100).chain([0]).collect();
        let shuffled: Vec<usize> = (0..100).map(|i| (i * 37) % 100).collect();
        for bound in [1, 8, 1_000, usize::MAX] {
            for ends in [&in_order, &reversed, &slow_first, &shuffled] {
                check_pending(bound, &dense, ends);
            }
        }
        // Ids with gaps, one far past the window, one out of order.
        let gappy = [3, 4, 9, 10, 11, 5_000, 5_001, 2, 1 << 40];
        let ends: Vec<usize> = (0..gappy.len()).rev().chain([]).collect();
        check_pending(4, &gappy, &ends);
        check_pending(4, &gappy, &[0, 1, 2, 3, 4, 5, 6, 7, 8]);
        check_pending(usize::MAX, &gappy, &ends);
        assert_eq!(Pending::new(4).remove(JobId(7)), None);
    }

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
