//! The crawl state shared by the three models, and the models' schedulers.

use std::collections::{BTreeMap, VecDeque};
use std::future::poll_fn;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::future::FutureExt;
use futures::stream::{self, FuturesUnordered, StreamExt};
use hashbrown::HashMap;
use web_time::Instant;

use super::discovered::Discovered;
use super::store::{FifoFrontier, Frontier, Insert, SeenSet};
use super::{CancelState, CrawlConfig, CrawlEvent, CrawlReport, Model, PluginStats, Probe, bump};
use crate::metrics::{LatencySummary, latency_histogram, micros};
use crate::outcome::{Outcome, OutcomeKind, Outcomes};
use crate::plugin::{ByKind, Found, PluginError, PluginErrorKind, SharedPlugin};
use crate::pool::{GuardedCall, PoolBuilder};
use crate::timer::SharedTimer;
use crate::trace::{Trace, TraceKind};

mod bookkeeping;
mod call;

use bookkeeping::{
    Active, ByKindIds, Coop, Latencies, Pending, PluginRef, Slab, Teardown, poll_next_call,
    within_clock_range,
};
use call::{Batch, Call, Job, JobStart, Tagged};

type CallResult = Result<Found, PluginError>;
type CallOutcome = Outcome<Found, PluginError>;

/// How many calls the engine handles in one poll of its future before it yields to the
/// executor (waking itself first), as tokio's cooperative budget does: calls that all
/// end at once (no latency) would otherwise run a whole crawl inside one poll, and
/// nothing else on the executor (a page's rendering, in the browser) would get a turn.
pub(crate) const COOP_BUDGET: u32 = 128;

/// The most bytes the buffer of a value kept for later calls holds (see
/// `Engine::keep_found`).
const SMALL_VALUE: usize = 256;

/// What the engine keeps of a [`Crawler`](super::Crawler) or a
/// [`LocalCrawler`](super::LocalCrawler) while it runs (their plugins are read once, at
/// the start).
pub(super) struct Parts<'c, T> {
    pub(super) config: CrawlConfig<T>,
    pub(super) cancel: &'c Arc<CancelState>,
    pub(super) probe: &'c Arc<Probe>,
    /// This run's own.
    pub(super) starts: &'c Starts,
}

struct Engine<'c, P, T, O, S = Discovered, F = FifoFrontier> {
    crawler: Parts<'c, T>,
    observer: O,
    plugins: Vec<PluginRef<P>>,
    plugin_names: Vec<String>,
    by_kind: ByKindIds,
    seen: S,
    frontier: F,
    active: Slab,
    report: Counts,
    /// Failed calls per error kind.
    errors: Vec<(PluginErrorKind, u64)>,
    /// The calls' timeout and its timer; `None` for no timeout.
    timeout: Option<(Duration, T)>,
    /// Calls that started since the last look: (slot, plugin).
    started: Vec<(u32, u32)>,
    /// The buffers of ended calls' traces, for the next calls answered at once.
    spare_found: Vec<Found>,
}

#[derive(Default)]
struct Counts {
    jobs: u64,
    outcomes: Outcomes,
    duplicates: u64,
    skipped: u64,
}

pub(super) async fn run<P, T, O>(
    registry: &ByKind<P>,
    crawler: Parts<'_, T>,
    seeds: impl Iterator<Item = Trace>,
    observer: O,
) -> CrawlReport
where
    P: SharedPlugin,
    T: SharedTimer,
    O: FnMut(&CrawlEvent<'_>),
{
    let started = Instant::now();
    crawler.probe.reset();
    let _teardown = Teardown {
        probe: crawler.probe,
        cancel: crawler.cancel,
    };
    let model = crawler.config.model;
    let mut engine: Engine<'_, P, T, O> = Engine::new(registry, crawler, observer);
    for seed in seeds {
        engine.discover(&seed, None);
    }
    match model {
        Model::Pool => engine.run_pool().await,
        Model::Previous => engine.run_previous().await,
        Model::Unbounded => engine.run_unbounded().await,
    }
    engine.into_report(started.elapsed())
}

impl<'c, P, T, O, S, F> Engine<'c, P, T, O, S, F>
where
    P: SharedPlugin,
    T: SharedTimer,
    O: FnMut(&CrawlEvent<'_>),
    S: SeenSet + Default,
    F: Frontier + Default,
{
    fn new(registry: &ByKind<P>, crawler: Parts<'c, T>, observer: O) -> Self {
        let mut by_kind = ByKindIds {
            known: vec![Vec::new(); TraceKind::KNOWN.len()],
            other: HashMap::default(),
        };
        let mut plugin_names = Vec::new();
        let mut plugins = Vec::new();
        // In order already: the registry keeps its kinds sorted.
        for kind in registry.kinds() {
            let ids = match kind.known_index() {
                Some(i) => &mut by_kind.known[i],
                None => by_kind.other.entry(kind.as_str().to_owned()).or_default(),
            };
            for plugin in registry.plugins_for(kind) {
                ids.push(plugins.len() as u32);
                plugin_names.push(plugin.name().to_owned());
                plugins.push(PluginRef {
                    plugin: plugin.clone(),
                    stats: PluginStats::default(),
                    latency: Latencies::new(),
                });
            }
        }
        let config = &crawler.config;
        let timeout = config
            .timeout
            .filter(|&limit| within_clock_range(limit))
            .zip(config.timer.clone());
        Engine {
            timeout,
            crawler,
            observer,
            plugins,
            plugin_names,
            by_kind,
            seen: S::default(),
            frontier: F::default(),
            active: Slab::default(),
            report: Counts::default(),
            errors: Vec::new(),
            started: Vec::new(),
            spare_found: Vec::new(),
        }
    }

    fn timeout(&self) -> Option<(Duration, T)> {
        self.timeout.clone()
    }

    fn cancelled(&self) -> bool {
        self.crawler.cancel.cancelled.load(Relaxed)
    }

    /// The ids of the plugins that follow a trace of `kind` at `depth`: those of its
    /// kind, none past `max_depth`.
    #[inline]
    fn followed_plugins(&self, kind: &TraceKind, depth: u32) -> &[u32] {
        if self
            .crawler
            .config
            .max_depth
            .is_some_and(|max| depth >= max)
        {
            return &[];
        }
        self.by_kind.of(kind)
    }

    /// Records `trace` if it is new (and the limit allows), and schedules it for
    /// following if its depth allows. `origin` is the slot of the trace it was found
    /// from, and the plugin that found it.
    fn discover(&mut self, trace: &Trace, origin: Option<(u32, u32)>) {
        let parent = origin.map(|(slot, plugin)| (self.active.get(slot).node, plugin as usize));
        let full = self
            .crawler
            .config
            .max_traces
            .is_some_and(|max| self.seen.len() >= max);
        let inserted = if !full {
            self.seen.insert_if_absent(trace, parent)
        } else if self.seen.contains(trace) {
            Insert::Present
        } else {
            Insert::Full
        };
        let node = match inserted {
            Insert::New(node) => node,
            Insert::Present => {
                if let Some((_, plugin)) = origin {
                    self.report.duplicates += 1;
                    (self.observer)(&CrawlEvent::DuplicateSkipped {
                        trace,
                        plugin: &self.plugin_names[plugin as usize],
                    });
                }
                return;
            }
            Insert::Full => {
                self.report.skipped += 1;
                return;
            }
        };
        bump(&self.crawler.probe.discovered);
        let from = origin.map(|(slot, _)| self.active.get(slot));
        let depth = from.map_or(0, |from| from.depth.saturating_add(1));
        (self.observer)(&CrawlEvent::TraceDiscovered {
            trace,
            parent: from.map(|from| &from.trace),
            plugin: origin.map(|(_, plugin)| self.plugin_names[plugin as usize].as_str()),
            depth,
        });
        // The previous model batches every trace, even one it will not follow: a dead
        // end takes a place in its batch, as it did in the original tool.
        if self.crawler.config.model == Model::Previous
            || !self.followed_plugins(trace.kind(), depth).is_empty()
        {
            self.frontier.push(node);
        }
    }

    /// Takes the next trace of the frontier to follow: its slot, held once by the
    /// caller.
    fn activate(&mut self) -> Option<u32> {
        let node = self.frontier.pop()?;
        let mut trace = self.active.spare_trace();
        self.seen.trace_into(node, &mut trace);
        let depth = self.seen.depth(node);
        let plugins = ByKindIds::range(self.followed_plugins(trace.kind(), depth));
        let active = Active {
            node,
            depth,
            trace,
            plugins,
            holders: 1,
        };
        Some(self.active.insert(active))
    }

    /// The ids of the plugins that follow the trace in `slot`.
    fn plugins_of(&self, slot: u32) -> Range<u32> {
        self.active.get(slot).plugins.clone()
    }

    /// Makes the call of `plugin` on the trace in `slot`, counted in flight while it
    /// runs, and holds the slot for it.
    fn make_job(&mut self, slot: u32, plugin: u32) -> Job<'c, P::Call> {
        let trace = &self.active.get(slot).trace;
        let follow = &self.plugins[plugin as usize].plugin;
        // An answer given at once needs no future; its traces are written into the
        // buffers of an ended call's.
        let mut found = self.spare_found.pop().unwrap_or_default();
        let call = catch_unwind(AssertUnwindSafe(|| {
            match follow.follow_now(trace, &mut found) {
                Some(Ok(())) => Call::Ready(Some(Ok(std::mem::take(&mut found)))),
                Some(Err(error)) => Call::Ready(Some(Err(error))),
                None => Call::Running(follow.follow(trace)),
            }
        }))
        .unwrap_or_else(|payload| Call::Panicked(Some(payload)));
        // Answered: `found` went with the answer. Not answered, or failed: the buffers
        // are kept if nothing was written into them.
        if found.is_empty() {
            self.keep_found(found);
        }
        self.active.hold(slot);
        Job {
            call,
            start: Some(JobStart {
                probe: self.crawler.probe,
                starts: self.crawler.starts,
                slot,
                plugin,
            }),
            in_flight: None,
        }
    }

    /// Reports the calls that started since the last look, before anything else is
    /// said about them.
    fn report_started(&mut self) {
        self.crawler.starts.take(&mut self.started);
        for &(slot, plugin) in &self.started {
            (self.observer)(&CrawlEvent::JobStarted {
                trace: &self.active.get(slot).trace,
                plugin: &self.plugin_names[plugin as usize],
            });
        }
        self.started.clear();
    }

    fn submitted(&mut self, slot: u32, plugin: u32) {
        self.report.jobs += 1;
        self.plugins[plugin as usize].stats.calls += 1;
        bump(&self.crawler.probe.submitted);
        (self.observer)(&CrawlEvent::JobSubmitted {
            trace: &self.active.get(slot).trace,
            plugin: &self.plugin_names[plugin as usize],
        });
    }

    fn finished(&mut self, slot: u32, plugin: u32, outcome: CallOutcome, latency: Duration) {
        // A call reports its start before it ends: it is in the list now.
        self.report_started();
        let kind = outcome.kind();
        let acc = &mut self.plugins[plugin as usize];
        self.report.outcomes.record(kind);
        acc.stats.outcomes.record(kind);
        if kind != OutcomeKind::Cancelled {
            // The crawl's histogram is the sum of the plugins', made at the end.
            acc.latency.record(micros(latency));
        }
        if let Outcome::Failed(error) = &outcome {
            let error = error.kind();
            match self.errors.iter_mut().find(|(kind, _)| *kind == error) {
                Some((_, count)) => *count += 1,
                None => self.errors.push((error, 1)),
            }
        }
        bump(&self.crawler.probe.finished);
        let found = match &outcome {
            Outcome::Completed(traces) => traces.len(),
            _ => 0,
        };
        (self.observer)(&CrawlEvent::JobFinished {
            trace: &self.active.get(slot).trace,
            plugin: &self.plugin_names[plugin as usize],
            outcome: kind,
            latency,
            found,
        });
        if let Outcome::Completed(found) = outcome {
            let mut small = true;
            for trace in found.iter() {
                small &= trace.value_capacity() <= SMALL_VALUE;
                self.discover(trace, Some((slot, plugin)));
            }
            if small {
                self.keep_found(found);
            }
        }
        self.active.release(slot);
    }

    /// Keeps the buffers of `found` for a later call, unless they are many or large:
    /// at most 4,096 kept, each of at most 64 traces. The callers keep none whose
    /// values' buffers may hold more than [`SMALL_VALUE`] bytes: a buffer grows only
    /// when a value is written into it, and they check the values written (or keep
    /// only a `found` nothing was written into). That is at most some 72 MiB
    /// whatever the plugins return, and far less for most (a few hundred KiB for the
    /// simulated workload at `C` = 1,000).
    #[inline]
    fn keep_found(&mut self, mut found: Found) {
        const MOST_KEPT: usize = 4096;
        const MOST_TRACES: usize = 64;
        let capacity = found.capacity();
        if capacity > 0 && capacity <= MOST_TRACES && self.spare_found.len() < MOST_KEPT {
            found.clear();
            self.spare_found.push(found);
        }
    }

    /// The next (slot, plugin) to schedule, in frontier order. The cursor holds the
    /// slot of the trace whose calls are being scheduled.
    fn next_call(&mut self, cursor: &mut Option<(u32, usize)>) -> Option<(u32, u32)> {
        loop {
            if let Some((slot, position)) = cursor {
                if let Some(plugin) = self.plugins_of(*slot).nth(*position) {
                    *position += 1;
                    return Some((*slot, plugin));
                }
                self.active.release(*slot);
                *cursor = None;
            }
            *cursor = Some((self.activate()?, 0));
        }
    }

    async fn run_pool(&mut self) {
        let config = &self.crawler.config;
        let c = config.max_concurrency;
        let mut builder = PoolBuilder::<T>::default()
            .max_concurrency(c)
            .queue_capacity(c);
        if let Some((limit, timer)) = self.timeout() {
            builder = builder.timeout(limit).with_timer(timer);
        }
        let (pool, mut driver) = builder
            .build::<Job<'c, P::Call>>()
            .expect("a validated crawl config makes a valid pool");
        // Calls end in about their order of submission, at most 2 C in the pool.
        let mut pending = Pending::new(c.saturating_mul(4));
        let mut batch = Batch {
            jobs: VecDeque::new(),
            calls: VecDeque::new(),
        };
        let mut cursor = None;
        let mut coop = Coop::new();
        let cancel = self.crawler.cancel;
        loop {
            // Fill the pool's queue; what does not fit waits in the frontier. The calls
            // are made and reported submitted one by one, then offered at once (one
            // lock for them all). A cancelled crawl makes no more calls; those reported
            // submitted are offered all the same.
            //
            // A full queue (C jobs waiting) would refuse a call: no more are made than
            // it has room for. A queued call is pending, so the loop below waits for it.
            let room = (c as u64).saturating_sub(pool.queued());
            while (batch.jobs.len() as u64) < room && !self.cancelled() {
                let Some((slot, plugin)) = self.next_call(&mut cursor) else {
                    break;
                };
                batch.jobs.push_back(self.make_job(slot, plugin));
                batch.calls.push_back((slot, plugin));
                self.submitted(slot, plugin);
            }
            // Only this loop closes the pool, after it.
            let Ok((first, accepted)) = pool.try_submit_from(&mut batch.jobs) else {
                unreachable!("crawl pool closed early")
            };
            for (i, call) in batch.calls.drain(..accepted).enumerate() {
                pending.insert(first.after(i), call);
            }
            if pending.is_empty() {
                break;
            }
            let next = poll_fn(|cx| poll_next_call(&mut driver, &mut coop, cancel, cx)).await;
            let Some(Some(mut done)) = next else { break };
            // This outcome, then the others of the driver's round, within the budget:
            // the calls that follow them are then offered to the pool together.
            loop {
                let (slot, plugin) = pending
                    .remove(done.id)
                    .expect("every completion is of a submitted job");
                self.finished(slot, plugin, done.outcome, done.latency);
                if self.cancelled() || !coop.spend() {
                    break;
                }
                let Some(next) = driver.take_ready() else {
                    break;
                };
                done = next;
            }
        }
        if self.cancelled() {
            pool.abort();
        } else {
            pool.close();
        }
        while let Some(done) = driver.next().await {
            if let Some((slot, plugin)) = pending.remove(done.id) {
                self.finished(slot, plugin, done.outcome, done.latency);
            }
        }
    }

    async fn run_previous(&mut self) {
        let c = self.crawler.config.max_concurrency;
        let cancel = Arc::clone(self.crawler.cancel);
        let mut coop = Coop::new();
        while !self.frontier.is_empty() && !self.cancelled() {
            let mut batch = Vec::new();
            while batch.len() < c {
                match self.activate() {
                    Some(slot) => batch.push(slot),
                    None => break,
                }
            }
            // Every call of the batch is scheduled now; each trace runs its calls
            // under its own limit of C, and the batch waits for all of them.
            let mut results: Vec<Vec<Option<(CallOutcome, Duration)>>> = Vec::new();
            let mut plugin_ids: Vec<Vec<u32>> = Vec::new();
            let mut streams = Vec::new();
            for (index, &slot) in batch.iter().enumerate() {
                let mut plugins: Vec<u32> = self.plugins_of(slot).collect();
                let mut calls = Vec::with_capacity(plugins.len());
                for (position, &plugin) in plugins.iter().enumerate() {
                    // A cancel from the observer stops the batch's scheduling too.
                    if self.cancelled() {
                        break;
                    }
                    let call = GuardedCall::new(self.make_job(slot, plugin), self.timeout());
                    calls.push(
                        call.map(move |(outcome, latency)| (index, position, outcome, latency)),
                    );
                    self.submitted(slot, plugin);
                }
                plugins.truncate(calls.len());
                results.push((0..plugins.len()).map(|_| None).collect());
                plugin_ids.push(plugins);
                streams.push(Box::pin(stream::iter(calls).buffer_unordered(c)));
            }
            let mut batch_calls = stream::select_all(streams);
            loop {
                let next =
                    poll_fn(|cx| poll_next_call(&mut batch_calls, &mut coop, &cancel, cx)).await;
                match next {
                    Some(Some((index, position, outcome, latency))) => {
                        results[index][position] = Some((outcome, latency));
                    }
                    Some(None) | None => break,
                }
            }
            drop(batch_calls);
            // The batch barrier: only now are results deduplicated and followed.
            for (index, calls) in results.into_iter().enumerate() {
                let slot = batch[index];
                for (position, result) in calls.into_iter().enumerate() {
                    let (outcome, latency) = result.unwrap_or((Outcome::Cancelled, Duration::ZERO));
                    self.finished(slot, plugin_ids[index][position], outcome, latency);
                }
                self.active.release(slot);
            }
        }
    }

    async fn run_unbounded(&mut self) {
        let cancel = Arc::clone(self.crawler.cancel);
        let mut running = FuturesUnordered::new();
        let mut coop = Coop::new();
        loop {
            while !self.cancelled() {
                let Some(slot) = self.activate() else { break };
                for plugin in self.plugins_of(slot) {
                    // A cancelled crawl schedules nothing more.
                    if self.cancelled() {
                        break;
                    }
                    let call = Box::pin(GuardedCall::new(
                        self.make_job(slot, plugin),
                        self.timeout(),
                    ));
                    running.push(Tagged { slot, plugin, call });
                    self.submitted(slot, plugin);
                }
                self.active.release(slot);
            }
            if running.is_empty() {
                break;
            }
            let next = poll_fn(|cx| poll_next_call(&mut running, &mut coop, &cancel, cx)).await;
            match next {
                Some(Some((slot, plugin, outcome, latency))) => {
                    self.finished(slot, plugin, outcome, latency);
                }
                Some(None) | None => break,
            }
        }
        let unfinished: Vec<(u32, u32)> = running.iter().map(|t| (t.slot, t.plugin)).collect();
        drop(running);
        for (slot, plugin) in unfinished {
            self.finished(slot, plugin, Outcome::Cancelled, Duration::ZERO);
        }
    }
}

impl<P, T, O> Engine<'_, P, T, O, Discovered, FifoFrontier> {
    fn into_report(mut self, wall: Duration) -> CrawlReport {
        let config = &self.crawler.config;
        let counts = &self.report;
        let mut latency = latency_histogram();
        // Inserted one by one: collecting would sort the pairs first, with a copy of the
        // slice sort's code (in the browser bundle) for these few entries.
        let mut plugins = BTreeMap::new();
        for (name, acc) in self.plugin_names.iter().zip(&mut self.plugins) {
            let mut stats = acc.stats;
            let histogram = acc.latency.histogram();
            stats.latency = LatencySummary::from_histogram(histogram);
            // Both auto-resize: adding cannot fail.
            let _ = latency.add(histogram);
            plugins.insert(name.clone(), stats);
        }
        let mut errors_by_kind = BTreeMap::new();
        for &(kind, count) in &self.errors {
            *errors_by_kind.entry(kind.key()).or_default() += count;
        }
        for (key, count) in [
            ("timed_out", counts.outcomes.timed_out),
            ("panicked", counts.outcomes.panicked),
        ] {
            if count > 0 {
                *errors_by_kind.entry(key.to_owned()).or_default() += count;
            }
        }
        CrawlReport {
            model: config.model,
            max_concurrency: config.max_concurrency,
            wall,
            jobs: counts.jobs,
            outcomes: counts.outcomes,
            lost: counts.jobs.saturating_sub(counts.outcomes.finished()),
            duplicates: counts.duplicates,
            skipped: counts.skipped,
            discovered: self.seen,
            plugin_names: self.plugin_names,
            plugins,
            errors_by_kind,
            peak_in_flight: self.crawler.probe.peak_in_flight.load(Relaxed),
            latency: LatencySummary::from_histogram(&latency),
            was_cancelled: self.crawler.cancel.cancelled.load(Relaxed),
        }
    }
}

/// How many starts [`Starts`] keeps without a lock between two looks.
const FAST_STARTS: usize = 128;

/// The calls of one run that started and that its engine has not reported yet, as
/// (slot, plugin).
///
/// Each run has its own (two runs of one crawler at once report their own calls'
/// starts only). The run's calls write it at their first poll and its engine reads
/// it, all inside the run's future, so one thread at a time: the first
/// [`FAST_STARTS`] since the last look are kept with plain loads and stores, and only
/// more than that take a lock. A lock per call cost about 4 % of a call answered at
/// once.
pub(crate) struct Starts {
    /// (slot << 32) | plugin, the first `len` in order.
    fast: [AtomicU64; FAST_STARTS],
    len: AtomicUsize,
    /// Starts past the first [`FAST_STARTS`], later than those, in order.
    more: Mutex<Vec<(u32, u32)>>,
    /// Whether `more` may hold a start: when not, the engine does not lock it.
    overflowed: AtomicBool,
}

impl Default for Starts {
    fn default() -> Self {
        Starts {
            fast: std::array::from_fn(|_| AtomicU64::new(0)),
            len: AtomicUsize::new(0),
            more: Mutex::new(Vec::new()),
            overflowed: AtomicBool::new(false),
        }
    }
}

impl Starts {
    /// Notes that the call of `plugin` on the trace in `slot` started.
    #[inline]
    pub(super) fn push(&self, slot: u32, plugin: u32) {
        let len = self.len.load(Relaxed);
        if let Some(place) = self.fast.get(len) {
            place.store((u64::from(slot) << 32) | u64::from(plugin), Relaxed);
            self.len.store(len + 1, Relaxed);
        } else {
            self.more
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((slot, plugin));
            self.overflowed.store(true, Relaxed);
        }
    }

    /// Moves the calls that started since the last look into `into` (empty), in the
    /// order they started.
    #[inline]
    fn take(&self, into: &mut Vec<(u32, u32)>) {
        let len = self.len.load(Relaxed);
        into.extend(self.fast[..len].iter().map(|start| {
            let start = start.load(Relaxed);
            ((start >> 32) as u32, start as u32)
        }));
        self.len.store(0, Relaxed);
        if self.overflowed.load(Relaxed) {
            into.append(&mut self.more.lock().unwrap_or_else(PoisonError::into_inner));
            self.overflowed.store(false, Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{FAST_STARTS, Starts};

    #[test]
    fn starts_come_out_in_order_past_the_unlocked_ones_and_once() {
        let starts = Starts::default();
        let mut seen = Vec::new();
        starts.take(&mut seen);
        assert!(seen.is_empty());
        let many = FAST_STARTS as u32 * 2 + 3;
        let calls: Vec<(u32, u32)> = (0..many).map(|i| (u32::MAX - i, i % 7)).collect();
        for &(slot, plugin) in &calls {
            starts.push(slot, plugin);
        }
        starts.take(&mut seen);
        assert_eq!(seen, calls);
        // Both kinds of place are empty after a look, and used again from the start.
        seen.clear();
        starts.push(1, u32::MAX);
        starts.push(2, 0);
        starts.take(&mut seen);
        assert_eq!(seen, [(1, u32::MAX), (2, 0)]);
        seen.clear();
        starts.take(&mut seen);
        assert!(seen.is_empty());
    }
}
