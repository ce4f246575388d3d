//! The crawl state shared by the three models, and the models' schedulers.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::future::{Future, poll_fn};
use std::hash::{BuildHasher, RandomState};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::channel::mpsc;
use futures::future::FutureExt;
use futures::stream::{self, FuturesUnordered, StreamExt};
use hashbrown::HashTable;
use hdrhistogram::Histogram;
use web_time::Instant;

use super::{
    CancelState, CrawlConfig, CrawlEvent, CrawlReport, Discovery, InFlightGuard, Model,
    PluginStats, Probe,
};
use crate::metrics::{LatencySummary, latency_histogram, micros, record_latency};
use crate::outcome::{Outcome, OutcomeKind, Outcomes};
use crate::plugin::{ByKind, PluginError, SharedPlugin};
use crate::pool::{GuardedCall, PoolBuilder, TrySubmitError};
use crate::timer::SharedTimer;
use crate::trace::{Trace, TraceKind};

type CallResult = Result<Vec<Trace>, PluginError>;

/// One call, as the schedulers run it: the plugin's future, counted in flight from its
/// first poll to its end (or drop), which it reports to the engine.
///
/// When the plugin's future ends, it is dropped inside that last poll, so a panic in
/// its `Drop` is the call's panic, caught with the panics of its polls. A call dropped
/// before its end (cancelled, timed out, or torn down with the crawl's future) has its
/// outcome already; a panic in the plugin future's `Drop` is then caught by the job's
/// own `Drop`, so it cannot escape the pool's driver, a `FuturesUnordered` half-way
/// through dropping its futures, or the crawl's own future.
pub(crate) struct Job<C> {
    /// The plugin's future, until it ends.
    call: Option<C>,
    /// What the first poll needs; taken by it.
    start: Option<JobStart>,
    in_flight: Option<InFlightGuard>,
}

struct JobStart {
    probe: Arc<Probe>,
    started: mpsc::UnboundedSender<(u32, usize)>,
    node: u32,
    plugin: usize,
}

impl<C: Future<Output = CallResult> + Unpin> Future for Job<C> {
    type Output = CallResult;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<CallResult> {
        let this = self.get_mut();
        if let Some(start) = this.start.take() {
            this.in_flight = Some(start.probe.enter());
            // The engine outlives its calls' first polls; a failed send only means the
            // crawl is being torn down.
            let _ = start.started.unbounded_send((start.node, start.plugin));
        }
        let call = this.call.as_mut().expect("a call polled after its end");
        let result = std::task::ready!(Pin::new(call).poll(cx));
        drop(this.call.take());
        this.in_flight = None;
        Poll::Ready(result)
    }
}

impl<C> Drop for Job<C> {
    fn drop(&mut self) {
        if let Some(call) = self.call.take() {
            // The panic hook has reported it; the call's outcome stands.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(call)));
        }
    }
}

/// What the engine keeps of a [`Crawler`](super::Crawler) or a
/// [`LocalCrawler`](super::LocalCrawler) while it runs (their plugins are read once, at
/// the start).
pub(super) struct Parts<'c, T> {
    pub(super) config: CrawlConfig<T>,
    pub(super) cancel: &'c Arc<CancelState>,
    pub(super) probe: &'c Arc<Probe>,
}

type CallOutcome = Outcome<Vec<Trace>, PluginError>;

const NONE: u32 = u32::MAX;

struct Node {
    trace: Trace,
    parent: u32,
    plugin: u32,
    depth: u32,
}

#[derive(Clone)]
struct PluginRef<P> {
    plugin: P,
    id: usize,
}

struct PluginAcc {
    stats: PluginStats,
    latency: Histogram<u64>,
}

struct Engine<'c, P, T, O> {
    crawler: Parts<'c, T>,
    observer: O,
    by_kind: HashMap<TraceKind, Vec<PluginRef<P>>>,
    plugin_names: Vec<String>,
    plugins: Vec<PluginAcc>,
    nodes: Vec<Node>,
    index: HashTable<u32>,
    hasher: RandomState,
    frontier: VecDeque<u32>,
    report: Counts,
    errors_by_kind: BTreeMap<String, u64>,
    latency: Histogram<u64>,
    /// The calls' timeout and its timer; `None` for no timeout.
    timeout: Option<(Duration, T)>,
    /// Calls report their first poll here, from whatever thread runs them.
    started_tx: mpsc::UnboundedSender<(u32, usize)>,
    started_rx: mpsc::UnboundedReceiver<(u32, usize)>,
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
    reset(crawler.probe);
    let _teardown = Teardown {
        probe: crawler.probe,
        cancel: crawler.cancel,
    };
    let model = crawler.config.model;
    let mut engine = Engine::new(registry, crawler, observer);
    for seed in seeds {
        engine.discover(seed, None);
    }
    match model {
        Model::Pool => engine.run_pool().await,
        Model::Previous => engine.run_previous().await,
        Model::Unbounded => engine.run_unbounded().await,
    }
    engine.into_report(started.elapsed())
}

/// Leaves the crawler as an ended crawl leaves it, whether the run returns its report
/// or its future is dropped mid-crawl (its calls are dropped with it).
struct Teardown<'c> {
    probe: &'c Probe,
    cancel: &'c CancelState,
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
fn within_clock_range(limit: Duration) -> bool {
    Instant::now()
        .checked_add(limit.saturating_mul(2))
        .is_some()
}

fn reset(probe: &Probe) {
    for counter in [
        &probe.in_flight,
        &probe.peak_in_flight,
        &probe.submitted,
        &probe.finished,
        &probe.discovered,
    ] {
        counter.store(0, Relaxed);
    }
}

/// Runs a call with the crawl's semantics outside the pool, under the pool's own
/// guard: panics in its poll and drop caught, the timeout counted from its start
/// (its first poll); resolves to the outcome and the latency from the start.
fn guarded<J, T>(job: J, timeout: Option<(Duration, T)>) -> GuardedCall<J, T>
where
    J: Future<Output = CallResult> + Unpin,
    T: SharedTimer,
{
    GuardedCall::new(job, timeout)
}

/// A call tagged with its trace and plugin, for the models that poll calls directly.
struct Tagged<G> {
    node: u32,
    plugin: usize,
    call: Pin<Box<G>>,
}

impl<G: Future<Output = (CallOutcome, Duration)>> Future for Tagged<G> {
    type Output = (u32, usize, CallOutcome, Duration);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (node, plugin) = (self.node, self.plugin);
        self.call
            .as_mut()
            .poll(cx)
            .map(|(outcome, latency)| (node, plugin, outcome, latency))
    }
}

fn poll_cancelled(state: &CancelState, cx: &mut Context<'_>) -> bool {
    if state.cancelled.load(Relaxed) {
        return true;
    }
    state.waker.register(cx.waker());
    state.cancelled.load(Relaxed)
}

impl<'c, P, T, O> Engine<'c, P, T, O>
where
    P: SharedPlugin,
    T: SharedTimer,
    O: FnMut(&CrawlEvent<'_>),
{
    fn new(registry: &ByKind<P>, crawler: Parts<'c, T>, observer: O) -> Self {
        let mut by_kind: HashMap<TraceKind, Vec<PluginRef<P>>> = HashMap::new();
        let mut plugin_names = Vec::new();
        let mut plugins = Vec::new();
        let mut kinds: Vec<&TraceKind> = registry.kinds().collect();
        kinds.sort();
        for kind in kinds {
            for plugin in registry.plugins_for(kind) {
                let id = plugin_names.len();
                plugin_names.push(plugin.name().to_owned());
                plugins.push(PluginAcc {
                    stats: PluginStats::default(),
                    latency: latency_histogram(),
                });
                by_kind.entry(kind.clone()).or_default().push(PluginRef {
                    plugin: plugin.clone(),
                    id,
                });
            }
        }
        let (started_tx, started_rx) = mpsc::unbounded();
        let config = &crawler.config;
        let timeout = config
            .timeout
            .filter(|&limit| within_clock_range(limit))
            .zip(config.timer.clone());
        Engine {
            timeout,
            started_tx,
            started_rx,
            crawler,
            observer,
            by_kind,
            plugin_names,
            plugins,
            nodes: Vec::new(),
            index: HashTable::new(),
            hasher: RandomState::new(),
            frontier: VecDeque::new(),
            report: Counts::default(),
            errors_by_kind: BTreeMap::new(),
            latency: latency_histogram(),
        }
    }

    fn timeout(&self) -> Option<(Duration, T)> {
        self.timeout.clone()
    }

    fn cancelled(&self) -> bool {
        self.crawler.cancel.cancelled.load(Relaxed)
    }

    /// The plugins that follow `node`: those of its kind, none past `max_depth`.
    fn followed_plugins(&self, node: u32) -> &[PluginRef<P>] {
        let node = &self.nodes[node as usize];
        if self
            .crawler
            .config
            .max_depth
            .is_some_and(|max| node.depth >= max)
        {
            return &[];
        }
        self.by_kind
            .get(node.trace.kind())
            .map_or(&[], Vec::as_slice)
    }

    /// Records `trace` if it is new (and the limit allows), and schedules it for
    /// following if its depth allows.
    fn discover(&mut self, trace: Trace, parent: Option<(u32, usize)>) {
        let hash = self.hasher.hash_one(&trace);
        let nodes = &self.nodes;
        if self
            .index
            .find(hash, |&i| nodes[i as usize].trace == trace)
            .is_some()
        {
            if let Some((_, plugin)) = parent {
                self.report.duplicates += 1;
                (self.observer)(&CrawlEvent::DuplicateSkipped {
                    trace: &trace,
                    plugin: &self.plugin_names[plugin],
                });
            }
            return;
        }
        if self
            .crawler
            .config
            .max_traces
            .is_some_and(|max| self.nodes.len() >= max)
        {
            self.report.skipped += 1;
            return;
        }
        let depth = parent.map_or(0, |(p, _)| self.nodes[p as usize].depth + 1);
        let index = u32::try_from(self.nodes.len()).expect("fewer than 2^32 traces");
        self.nodes.push(Node {
            trace,
            parent: parent.map_or(NONE, |(p, _)| p),
            plugin: parent.map_or(NONE, |(_, id)| id as u32),
            depth,
        });
        let (nodes, hasher) = (&self.nodes, &self.hasher);
        self.index
            .insert_unique(hash, index, |&i| hasher.hash_one(&nodes[i as usize].trace));
        self.crawler.probe.discovered.fetch_add(1, Relaxed);
        let node = &self.nodes[index as usize];
        (self.observer)(&CrawlEvent::TraceDiscovered {
            trace: &node.trace,
            parent: parent.map(|(p, _)| &self.nodes[p as usize].trace),
            plugin: parent.map(|(_, id)| self.plugin_names[id].as_str()),
            depth,
        });
        // The previous model batches every trace, even one it will not follow: a dead
        // end takes a place in its batch, as it did in the original tool.
        if self.crawler.config.model == Model::Previous || !self.followed_plugins(index).is_empty()
        {
            self.frontier.push_back(index);
        }
    }

    /// Makes the call of `plugin` on `node`, counted in flight while it runs.
    fn make_job(&self, node: u32, plugin: &PluginRef<P>) -> Job<P::Call> {
        Job {
            call: Some(plugin.plugin.follow(&self.nodes[node as usize].trace)),
            start: Some(JobStart {
                probe: Arc::clone(self.crawler.probe),
                started: self.started_tx.clone(),
                node,
                plugin: plugin.id,
            }),
            in_flight: None,
        }
    }

    /// Reports the calls that started since the last look, before anything else is
    /// said about them.
    fn report_started(&mut self) {
        while let Ok((node, plugin)) = self.started_rx.try_recv() {
            (self.observer)(&CrawlEvent::JobStarted {
                trace: &self.nodes[node as usize].trace,
                plugin: &self.plugin_names[plugin],
            });
        }
    }

    fn submitted(&mut self, node: u32, plugin: usize) {
        self.report.jobs += 1;
        self.plugins[plugin].stats.calls += 1;
        self.crawler.probe.submitted.fetch_add(1, Relaxed);
        (self.observer)(&CrawlEvent::JobSubmitted {
            trace: &self.nodes[node as usize].trace,
            plugin: &self.plugin_names[plugin],
        });
    }

    fn finished(&mut self, node: u32, plugin: usize, outcome: CallOutcome, latency: Duration) {
        // A call's start message was sent before it ended: it is in the channel now.
        self.report_started();
        let kind = outcome.kind();
        let acc = &mut self.plugins[plugin];
        self.report.outcomes.record(kind);
        acc.stats.outcomes.record(kind);
        if kind != OutcomeKind::Cancelled {
            record_latency(&mut acc.latency, micros(latency), 1);
            record_latency(&mut self.latency, micros(latency), 1);
        }
        let error_key = match &outcome {
            Outcome::Failed(error) => Some(error.kind().key()),
            Outcome::TimedOut => Some("timed_out".to_owned()),
            Outcome::Panicked(_) => Some("panicked".to_owned()),
            _ => None,
        };
        if let Some(key) = error_key {
            *self.errors_by_kind.entry(key).or_default() += 1;
        }
        self.crawler.probe.finished.fetch_add(1, Relaxed);
        let found = match &outcome {
            Outcome::Completed(traces) => traces.len(),
            _ => 0,
        };
        (self.observer)(&CrawlEvent::JobFinished {
            trace: &self.nodes[node as usize].trace,
            plugin: &self.plugin_names[plugin],
            outcome: kind,
            latency,
            found,
        });
        if let Outcome::Completed(traces) = outcome {
            for trace in traces {
                self.discover(trace, Some((node, plugin)));
            }
        }
    }

    /// The next (trace, plugin position) to schedule, in frontier order.
    fn next_call(&mut self, cursor: &mut Option<(u32, usize)>) -> Option<(u32, PluginRef<P>)> {
        loop {
            if let Some((node, position)) = cursor {
                if let Some(plugin) = self.followed_plugins(*node).get(*position) {
                    let found = (*node, plugin.clone());
                    *position += 1;
                    return Some(found);
                }
            }
            *cursor = Some((self.frontier.pop_front()?, 0));
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
            .build::<Job<P::Call>>()
            .expect("a validated crawl config makes a valid pool");
        let mut pending = HashMap::new();
        let mut held: Option<(Job<P::Call>, u32, usize)> = None;
        let mut cursor = None;
        let cancel = self.crawler.cancel;
        loop {
            // Fill the pool's queue; what does not fit waits in the frontier. A
            // cancelled crawl schedules nothing more.
            while !self.cancelled() {
                let (job, node, plugin) = match held.take() {
                    Some(held) => held,
                    None => match self.next_call(&mut cursor) {
                        Some((node, plugin)) => (self.make_job(node, &plugin), node, plugin.id),
                        None => break,
                    },
                };
                match pool.try_submit(job) {
                    Ok(id) => {
                        pending.insert(id, (node, plugin));
                        self.submitted(node, plugin);
                    }
                    Err(TrySubmitError::Full(job)) => {
                        held = Some((job, node, plugin));
                        break;
                    }
                    // Only this loop closes the pool, after it.
                    Err(TrySubmitError::Closed(_)) => unreachable!("crawl pool closed early"),
                }
            }
            if pending.is_empty() {
                break;
            }
            let next = poll_fn(|cx| {
                if poll_cancelled(cancel, cx) {
                    return Poll::Ready(None);
                }
                driver.poll_next_unpin(cx).map(Some)
            })
            .await;
            let Some(Some(done)) = next else { break };
            let (node, plugin) = pending
                .remove(&done.id)
                .expect("every completion is of a submitted job");
            self.finished(node, plugin, done.outcome, done.latency);
        }
        if self.cancelled() {
            pool.abort();
        } else {
            pool.close();
        }
        while let Some(done) = driver.next().await {
            if let Some((node, plugin)) = pending.remove(&done.id) {
                self.finished(node, plugin, done.outcome, done.latency);
            }
        }
    }

    async fn run_previous(&mut self) {
        let c = self.crawler.config.max_concurrency;
        let cancel = Arc::clone(self.crawler.cancel);
        while !self.frontier.is_empty() && !self.cancelled() {
            let batch: Vec<u32> = self.frontier.drain(..c.min(self.frontier.len())).collect();
            // Every call of the batch is scheduled now; each trace runs its calls
            // under its own limit of C, and the batch waits for all of them.
            let mut results: Vec<Vec<Option<(CallOutcome, Duration)>>> = Vec::new();
            let mut plugin_ids: Vec<Vec<usize>> = Vec::new();
            let mut streams = Vec::new();
            for (slot, &node) in batch.iter().enumerate() {
                let mut plugins: Vec<PluginRef<P>> = self.followed_plugins(node).to_vec();
                let mut calls = Vec::with_capacity(plugins.len());
                for (position, plugin) in plugins.iter().enumerate() {
                    // A cancel from the observer stops the batch's scheduling too.
                    if self.cancelled() {
                        break;
                    }
                    let call = guarded(self.make_job(node, plugin), self.timeout());
                    calls.push(
                        call.map(move |(outcome, latency)| (slot, position, outcome, latency)),
                    );
                    self.submitted(node, plugin.id);
                }
                plugins.truncate(calls.len());
                results.push((0..plugins.len()).map(|_| None).collect());
                plugin_ids.push(plugins.iter().map(|p| p.id).collect());
                streams.push(Box::pin(stream::iter(calls).buffer_unordered(c)));
            }
            let mut batch_calls = stream::select_all(streams);
            loop {
                let next = poll_fn(|cx| {
                    if poll_cancelled(&cancel, cx) {
                        return Poll::Ready(None);
                    }
                    batch_calls.poll_next_unpin(cx).map(Some)
                })
                .await;
                match next {
                    Some(Some((slot, position, outcome, latency))) => {
                        results[slot][position] = Some((outcome, latency));
                    }
                    Some(None) | None => break,
                }
            }
            drop(batch_calls);
            // The batch barrier: only now are results deduplicated and followed.
            for (slot, calls) in results.into_iter().enumerate() {
                for (position, result) in calls.into_iter().enumerate() {
                    let (outcome, latency) = result.unwrap_or((Outcome::Cancelled, Duration::ZERO));
                    self.finished(batch[slot], plugin_ids[slot][position], outcome, latency);
                }
            }
        }
    }

    async fn run_unbounded(&mut self) {
        let cancel = Arc::clone(self.crawler.cancel);
        let mut running = FuturesUnordered::new();
        loop {
            while let Some(node) = self.frontier.pop_front() {
                let plugins: Vec<PluginRef<P>> = self.followed_plugins(node).to_vec();
                for plugin in &plugins {
                    // A cancelled crawl schedules nothing more.
                    if self.cancelled() {
                        break;
                    }
                    let call = Box::pin(guarded(self.make_job(node, plugin), self.timeout()));
                    running.push(Tagged {
                        node,
                        plugin: plugin.id,
                        call,
                    });
                    self.submitted(node, plugin.id);
                }
            }
            if running.is_empty() {
                break;
            }
            let next = poll_fn(|cx| {
                if poll_cancelled(&cancel, cx) {
                    return Poll::Ready(None);
                }
                running.poll_next_unpin(cx).map(Some)
            })
            .await;
            match next {
                Some(Some((node, plugin, outcome, latency))) => {
                    self.finished(node, plugin, outcome, latency);
                }
                Some(None) | None => break,
            }
        }
        let unfinished: Vec<(u32, usize)> = running.iter().map(|t| (t.node, t.plugin)).collect();
        drop(running);
        for (node, plugin) in unfinished {
            self.finished(node, plugin, Outcome::Cancelled, Duration::ZERO);
        }
    }

    fn into_report(self, wall: Duration) -> CrawlReport {
        let config = &self.crawler.config;
        let counts = &self.report;
        let plugins = self
            .plugin_names
            .iter()
            .zip(&self.plugins)
            .map(|(name, acc)| {
                let mut stats = acc.stats;
                stats.latency = LatencySummary::from_histogram(&acc.latency);
                (name.clone(), stats)
            })
            .collect();
        let discovered = self
            .nodes
            .into_iter()
            .map(|node| Discovery {
                trace: node.trace,
                parent: (node.parent != NONE).then_some(node.parent as usize),
                plugin: (node.plugin != NONE).then_some(node.plugin as usize),
                depth: node.depth,
            })
            .collect();
        CrawlReport {
            model: config.model,
            max_concurrency: config.max_concurrency,
            wall,
            jobs: counts.jobs,
            outcomes: counts.outcomes,
            lost: counts.jobs.saturating_sub(counts.outcomes.finished()),
            duplicates: counts.duplicates,
            skipped: counts.skipped,
            discovered,
            plugin_names: self.plugin_names,
            plugins,
            errors_by_kind: self.errors_by_kind,
            peak_in_flight: self.crawler.probe.peak_in_flight.load(Relaxed),
            latency: LatencySummary::from_histogram(&self.latency),
            was_cancelled: self.crawler.cancel.cancelled.load(Relaxed),
        }
    }
}
