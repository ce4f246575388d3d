//! The ideal makespan of a crawl under each [`Model`]: a discrete-event simulation in
//! virtual time (nothing sleeps) of a [`SimWorkload`] crawl with zero scheduling
//! overhead.
//!
//! [`simulate`] gives the time a perfect implementation of a model would take, the
//! number of traces it would discover, the number of calls it would make and the
//! largest number of calls it would have in flight. A measured run is compared
//! against it to tell the cost of the model itself (batches, barriers, a bound on
//! concurrency) from the cost of its implementation.
//!
//! The crawl semantics are those of the real engine:
//!
//! - The seeds are discovered at depth 0 at time 0, in order (duplicates skipped).
//!   The frontier is a FIFO of traces.
//! - A trace at depth `d` is followed (its plugins are called) only when
//!   [`IdealLimits::max_depth`] is `None` or `d < max_depth`.
//! - A trace (seed or child) is recorded only while fewer than
//!   [`IdealLimits::max_traces`] are discovered; otherwise it is skipped.
//! - A call lasts `latency + cpu`. With a timeout shorter than that, it ends at the
//!   timeout with no children. A failed or panicking call ends after its duration
//!   with no children. A call that finds traces deduplicates them, in the order
//!   returned, against everything discovered so far; each new one gets its parent's
//!   depth plus one and joins the back of the frontier.
//!
//! How each model schedules the calls is described on [`simulate`].

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};
use std::time::Duration;

use super::Model;
use crate::sim::{NodeId, SimWorkload, ideal_makespan};

/// Limits of a simulated crawl. The default sets none.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tracepool::crawl::ideal::IdealLimits;
///
/// let limits = IdealLimits { timeout: Some(Duration::from_secs(30)), ..IdealLimits::default() };
/// assert_eq!(limits.max_depth, None);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct IdealLimits {
    /// Per-call timeout: a call lasting longer ends at exactly this duration, with no
    /// children.
    pub timeout: Option<Duration>,
    /// Traces at this depth or deeper (seeds are at depth 0) are discovered but not
    /// followed. `Some(0)` makes no call at all.
    pub max_depth: Option<u32>,
    /// At most this many traces are discovered (seeds included); later ones are
    /// skipped.
    pub max_traces: Option<usize>,
}

/// What a simulated crawl reaches.
///
/// # Examples
///
/// ```
/// use tracepool::crawl::Model;
/// use tracepool::crawl::ideal::{IdealLimits, simulate};
/// use tracepool::sim::{SimConfig, SimWorkload};
///
/// let sim = SimWorkload::new(SimConfig { traces: 100, ..SimConfig::default() })?;
/// let run = simulate(&sim, Model::Pool, 4, &IdealLimits::default());
/// assert!(run.calls > 0 && run.peak_in_flight <= 4);
/// # Ok::<(), tracepool::sim::SimConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct IdealRun {
    /// The time the last call ends (zero when no call is made).
    pub makespan: Duration,
    /// The number of traces discovered, seeds included.
    pub discovered: usize,
    /// The number of (trace, plugin) calls made.
    pub calls: u64,
    /// The largest number of calls in flight at once (see [`simulate`]).
    pub peak_in_flight: u64,
}

/// Simulates a crawl of `workload` under `model` with concurrency setting
/// `max_concurrency` (`C`; 0 is treated as 1) and `limits`, in virtual time.
///
/// Runs in time roughly linear in the number of calls (a binary heap of the calls in
/// flight gives a logarithmic factor) and uses a few bytes per trace: a bit for
/// "seen", four bytes per frontier entry, and four bytes of depth only when
/// [`IdealLimits::max_depth`] is set.
///
/// # Models
///
/// - [`Model::Pool`]: `C` slots. The jobs are the (trace, plugin) pairs in frontier
///   order, a trace's plugins in index order. Whenever a slot is free and a job is
///   waiting, the job starts at the current time. `peak_in_flight` is at most `C`.
/// - [`Model::Unbounded`]: every call starts the moment its trace is discovered (the
///   end of the call that found it; time 0 for the seeds). Each trace is discovered
///   at the earliest time any schedule could discover it, so without `max_depth` and
///   `max_traces` its makespan is a lower bound for the other two models.
/// - [`Model::Previous`]: while the frontier is not empty, its first `C` traces form
///   a batch starting at the end `T` of the previous batch. Each trace runs its calls
///   list-scheduled in plugin order on `C` slots of its own (so `min(P, C)` at once);
///   the batch ends when its slowest trace ends (`T` for a batch without calls).
///   Only then are the children deduplicated and appended, trace by trace in batch
///   order, plugin by plugin in index order. `peak_in_flight` is the largest sum,
///   over a batch's traces, of `min(P, C)` (`P` = 0 for a trace not followed): the
///   number of calls in flight as a batch starts.
///
/// # Ties
///
/// Calls are numbered as they start. Calls ending at the same time complete in
/// start order; all completions at an instant are processed (children deduplicated
/// and queued) before any call starts at that instant, and a call starting at an
/// instant and lasting zero completes at that same instant after them. For `Pool`
/// and `Unbounded`, `peak_in_flight` is sampled after the starts of each instant:
/// a call counts from its start until its end, calls ending at an instant no longer
/// count when calls start at it, and a zero-length call counts at its instant.
///
/// # Examples
///
/// ```
/// use tracepool::crawl::Model;
/// use tracepool::crawl::ideal::{IdealLimits, simulate};
/// use tracepool::sim::{SimConfig, SimWorkload};
///
/// let sim = SimWorkload::new(SimConfig { traces: 2_000, failure_prob: 0.0, ..SimConfig::default() })?;
/// let none = IdealLimits::default();
/// let pool = simulate(&sim, Model::Pool, 10, &none);
/// let previous = simulate(&sim, Model::Previous, 10, &none);
/// let unbounded = simulate(&sim, Model::Unbounded, 10, &none);
///
/// // Every model crawls the whole graph with the same calls...
/// assert_eq!(pool.discovered, 2_000);
/// assert_eq!(previous.discovered, 2_000);
/// assert_eq!(pool.calls, unbounded.calls);
/// // ...the pool never exceeds C, and nothing beats starting every call at once.
/// assert!(pool.peak_in_flight <= 10);
/// assert!(unbounded.makespan <= pool.makespan);
/// assert!(unbounded.makespan <= previous.makespan);
/// # Ok::<(), tracepool::sim::SimConfigError>(())
/// ```
pub fn simulate(
    workload: &SimWorkload,
    model: Model,
    max_concurrency: usize,
    limits: &IdealLimits,
) -> IdealRun {
    let slots = max_concurrency.max(1);
    let mut crawl = Crawl::new(workload, limits);
    match model {
        Model::Pool => crawl.run_slots(slots),
        Model::Unbounded => crawl.run_slots(usize::MAX),
        Model::Previous => crawl.run_batches(slots),
    }
}

/// Dedup, depth and limits shared by every model.
struct Crawl<'a> {
    workload: &'a SimWorkload,
    limits: &'a IdealLimits,
    /// One bit per node: discovered.
    seen: Vec<u64>,
    /// Depth per node, kept only when `max_depth` is set.
    depth: Option<Vec<u32>>,
    discovered: usize,
    calls: u64,
}

/// One call in flight (Pool and Unbounded), ordered by (end, start order). Its traces
/// are listed when it ends (they are a pure function of the node and the plugin):
/// nothing is allocated per call.
struct InFlight {
    end: Duration,
    seq: u64,
    node: NodeId,
    plugin: u32,
    /// Whether it returns traces (it succeeds within the timeout).
    finds: bool,
}

impl PartialEq for InFlight {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for InFlight {}

impl PartialOrd for InFlight {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for InFlight {
    /// Reversed, so that `BinaryHeap` pops the earliest end, then the earliest start.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.end, other.seq).cmp(&(self.end, self.seq))
    }
}

impl<'a> Crawl<'a> {
    fn new(workload: &'a SimWorkload, limits: &'a IdealLimits) -> Self {
        let n = workload.trace_count();
        Crawl {
            workload,
            limits,
            seen: vec![0; n.div_ceil(64)],
            depth: limits.max_depth.map(|_| vec![0; n]),
            discovered: 0,
            calls: 0,
        }
    }

    /// Records `node` at `depth` unless it is known, or the trace limit is reached;
    /// true when recorded.
    fn discover(&mut self, node: NodeId, depth: u32) -> bool {
        let i = node.index();
        let Some(word) = self.seen.get_mut(i / 64) else {
            return false;
        };
        let bit = 1u64 << (i % 64);
        if *word & bit != 0 || self.limits.max_traces.is_some_and(|m| self.discovered >= m) {
            return false;
        }
        *word |= bit;
        self.discovered += 1;
        if let Some(depths) = &mut self.depth {
            depths[i] = depth;
        }
        true
    }

    fn depth_of(&self, node: NodeId) -> u32 {
        self.depth.as_ref().map_or(0, |d| d[node.index()])
    }

    /// The number of plugins called on `node`: none when it is too deep.
    fn followed_plugins(&self, node: NodeId) -> usize {
        match self.limits.max_depth {
            Some(max) if self.depth_of(node) >= max => 0,
            _ => self.workload.plugin_count(node),
        }
    }

    /// Makes one call: its duration (capped by the timeout), and whether it returns
    /// traces (listed by [`each_child`](SimWorkload::each_child)).
    fn call(&mut self, node: NodeId, plugin: usize) -> (Duration, bool) {
        self.calls += 1;
        let Some((duration, ok)) = self.workload.call_summary(node, plugin) else {
            return (Duration::ZERO, false);
        };
        match self.limits.timeout {
            Some(timeout) if duration > timeout => (timeout, false),
            _ => (duration, ok),
        }
    }

    /// The seeds, deduplicated, that are followed, in order.
    fn seeds(&mut self, all: bool) -> VecDeque<NodeId> {
        let mut frontier = VecDeque::new();
        for seed in self.workload.seed_nodes() {
            if self.discover(seed, 0) && (all || self.followed_plugins(seed) > 0) {
                frontier.push_back(seed);
            }
        }
        frontier
    }

    /// Pool on `slots` slots; Unbounded is the same with unlimited slots.
    fn run_slots(&mut self, slots: usize) -> IdealRun {
        // Traces with plugins still to start, and the next plugin of the first one.
        let mut ready = self.seeds(false);
        let mut next_plugin = 0;
        let mut heap: BinaryHeap<InFlight> = BinaryHeap::new();
        let mut now = Duration::ZERO;
        let mut seq = 0u64;
        let mut peak = 0u64;
        loop {
            while heap.len() < slots {
                let Some(&node) = ready.front() else { break };
                let plugin = next_plugin;
                next_plugin += 1;
                if next_plugin >= self.followed_plugins(node) {
                    ready.pop_front();
                    next_plugin = 0;
                }
                let (duration, finds) = self.call(node, plugin);
                heap.push(InFlight {
                    end: now.saturating_add(duration),
                    seq,
                    node,
                    plugin: plugin as u32,
                    finds,
                });
                seq += 1;
            }
            peak = peak.max(heap.len() as u64);
            let Some(first) = heap.pop() else { break };
            now = first.end;
            self.complete(first, &mut ready);
            while heap.peek().is_some_and(|c| c.end == now) {
                if let Some(done) = heap.pop() {
                    self.complete(done, &mut ready);
                }
            }
        }
        IdealRun {
            makespan: now,
            discovered: self.discovered,
            calls: self.calls,
            peak_in_flight: peak,
        }
    }

    /// Deduplicates a finished call's children; queues those to follow.
    fn complete(&mut self, done: InFlight, ready: &mut VecDeque<NodeId>) {
        if !done.finds {
            return;
        }
        let depth = self.depth_of(done.node).saturating_add(1);
        let workload = self.workload;
        workload.each_child(done.node, done.plugin as usize, |child| {
            if self.discover(child, depth) && self.followed_plugins(child) > 0 {
                ready.push_back(child);
            }
        });
    }

    /// Previous: batches of `c` traces, each with `c` private slots, barriers between.
    fn run_batches(&mut self, c: usize) -> IdealRun {
        let mut frontier = self.seeds(true);
        let mut start = Duration::ZERO;
        let mut peak = 0u64;
        let mut durations = Vec::new();
        // The batch's calls that return traces, in (trace, plugin) order, with the
        // depth of their traces: the traces are listed at the barrier.
        let mut found: Vec<(NodeId, u32, u32)> = Vec::new();
        while !frontier.is_empty() {
            let mut end = start;
            let mut in_flight = 0u64;
            for _ in 0..c.min(frontier.len()) {
                let Some(node) = frontier.pop_front() else {
                    break;
                };
                let plugins = self.followed_plugins(node);
                in_flight += plugins.min(c) as u64;
                let depth = self.depth_of(node).saturating_add(1);
                durations.clear();
                for plugin in 0..plugins {
                    let (duration, finds) = self.call(node, plugin);
                    durations.push(duration);
                    if finds {
                        found.push((node, plugin as u32, depth));
                    }
                }
                let span = if plugins <= c {
                    durations.iter().copied().max().unwrap_or_default()
                } else {
                    ideal_makespan(durations.iter().copied(), c)
                };
                end = end.max(start.saturating_add(span));
            }
            peak = peak.max(in_flight);
            start = end;
            let workload = self.workload;
            for (node, plugin, depth) in found.drain(..) {
                workload.each_child(node, plugin as usize, |child| {
                    if self.discover(child, depth) {
                        frontier.push_back(child);
                    }
                });
            }
        }
        IdealRun {
            makespan: start,
            discovered: self.discovered,
            calls: self.calls,
            peak_in_flight: peak,
        }
    }
}
