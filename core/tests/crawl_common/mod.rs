//! Helpers shared by the crawl test files: test timers, crawl runners, the expected
//! result of a crawl computed without sleeping, and the invariants every report keeps.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tracepool::crawl::{CrawlConfig, CrawlEvent, CrawlReport, Crawler, Model};
pub(crate) use tracepool::sim::quiet_simulated_panics;
use tracepool::sim::{NodeId, SimCall, SimConfig, SimOutcome, SimWorkload};
use tracepool::timer::{Sleep, Timer};
use tracepool::{OutcomeKind, Trace};

/// The most plugins any simulated kind has (usernames and social profiles).
pub(crate) const MAX_PLUGINS_PER_KIND: u64 = 7;

/// A future that returns `Pending` (waking itself at once) `n` times, then `Ready`.
struct YieldN(usize);

impl Future for YieldN {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 == 0 {
            Poll::Ready(())
        } else {
            self.0 -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// Lets every simulated latency pass without wall-clock time, but only after yielding
/// `self.0` times, so the calls of a crawl really are concurrent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Yield(pub(crate) usize);

impl Timer for Yield {
    fn sleep(&self, _: Duration) -> Sleep {
        Box::pin(YieldN(self.0))
    }
}

/// A timer whose first `free` sleeps end after one yield and every later sleep never
/// ends: the crawl makes some progress, then stalls with calls in flight until it is
/// cancelled.
#[derive(Debug)]
pub(crate) struct Stall {
    free: AtomicUsize,
}

impl Stall {
    pub(crate) fn new(free: usize) -> Arc<Self> {
        Arc::new(Stall {
            free: AtomicUsize::new(free),
        })
    }
}

impl Timer for Stall {
    fn sleep(&self, _: Duration) -> Sleep {
        let free = self
            .free
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok();
        if free {
            Box::pin(YieldN(1))
        } else {
            Box::pin(futures::future::pending())
        }
    }
}

/// A timer that really waits, on async-io's reactor.
pub(crate) fn real_timer() -> Arc<dyn Timer> {
    #[cfg(feature = "async-io")]
    {
        Arc::new(tracepool::timer::AsyncIoTimer)
    }
    #[cfg(not(feature = "async-io"))]
    {
        #[derive(Debug)]
        struct Reactor;
        impl Timer for Reactor {
            fn sleep(&self, duration: Duration) -> Sleep {
                Box::pin(async move {
                    async_io::Timer::after(duration).await;
                })
            }
        }
        Arc::new(Reactor)
    }
}

pub(crate) fn sim(config: SimConfig) -> SimWorkload {
    quiet_simulated_panics();
    SimWorkload::new(config).expect("valid sim config")
}

pub(crate) fn config(model: Model, c: usize) -> CrawlConfig {
    CrawlConfig {
        model,
        max_concurrency: c,
        ..CrawlConfig::default()
    }
}

/// Crawls `sim` with `timer` on `futures::executor::block_on`.
pub(crate) fn crawl_with(
    sim: &SimWorkload,
    timer: Arc<dyn Timer>,
    config: CrawlConfig,
) -> CrawlReport {
    let crawler = Crawler::new(sim.registry(timer), config).expect("valid crawl config");
    futures::executor::block_on(crawler.run(sim.seeds(), |_| {}))
}

/// Crawls `sim` with the one-yield timer on `futures::executor::block_on`.
pub(crate) fn crawl(sim: &SimWorkload, model: Model, c: usize) -> CrawlReport {
    crawl_with(sim, Arc::new(Yield(1)), config(model, c))
}

/// An owned copy of a [`CrawlEvent`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Event {
    Started {
        trace: Trace,
        plugin: String,
    },
    Submitted {
        trace: Trace,
        plugin: String,
    },
    Finished {
        trace: Trace,
        plugin: String,
        outcome: OutcomeKind,
        found: usize,
    },
    Discovered {
        trace: Trace,
        parent: Option<Trace>,
        plugin: Option<String>,
        depth: u32,
    },
    Duplicate {
        trace: Trace,
        plugin: String,
    },
}

impl Event {
    pub(crate) fn from_crawl(event: &CrawlEvent<'_>) -> Event {
        match *event {
            CrawlEvent::JobStarted { trace, plugin } => Event::Started {
                trace: trace.clone(),
                plugin: plugin.to_owned(),
            },
            CrawlEvent::JobSubmitted { trace, plugin } => Event::Submitted {
                trace: trace.clone(),
                plugin: plugin.to_owned(),
            },
            CrawlEvent::JobFinished {
                trace,
                plugin,
                outcome,
                found,
                ..
            } => Event::Finished {
                trace: trace.clone(),
                plugin: plugin.to_owned(),
                outcome,
                found,
            },
            CrawlEvent::TraceDiscovered {
                trace,
                parent,
                plugin,
                depth,
            } => Event::Discovered {
                trace: trace.clone(),
                parent: parent.cloned(),
                plugin: plugin.map(str::to_owned),
                depth,
            },
            CrawlEvent::DuplicateSkipped { trace, plugin } => Event::Duplicate {
                trace: trace.clone(),
                plugin: plugin.to_owned(),
            },
        }
    }
}

/// Runs `crawler` from `seeds` on `futures::executor::block_on`, recording every event.
pub(crate) fn run_recording(crawler: &Crawler, seeds: Vec<Trace>) -> (CrawlReport, Vec<Event>) {
    let mut events = Vec::new();
    let report = futures::executor::block_on(
        crawler.run(seeds, |event| events.push(Event::from_crawl(event))),
    );
    (report, events)
}

pub(crate) fn traces(report: &CrawlReport) -> BTreeSet<Trace> {
    report.discovered.traces().map(|t| t.to_trace()).collect()
}

/// The number of times [`Steps`] sleeps of `duration` return `Pending`: four per
/// whole millisecond.
pub(crate) fn steps(duration: Duration) -> u128 {
    duration.as_millis().saturating_mul(4)
}

/// The number of times a [`Deadline`] of `timeout` returns `Pending`: four per whole
/// millisecond, and two more.
pub(crate) fn deadline_steps(timeout: Duration) -> u128 {
    steps(timeout).saturating_add(2)
}

/// Virtual time for the simulated latencies: a sleep returns `Pending` (waking itself
/// at once) [`steps`] times, then ends.
///
/// With a [`Deadline`] as the timeout's timer, a call of latency `l` under a timeout
/// of `t` ends before its deadline exactly when `l` has at most as many whole
/// milliseconds as `t` ([`times_out`]). The sleeps and the deadline are polled
/// together, and the counts differ by 2 modulo 4, so the outcome does not depend on
/// whether the deadline is polled once more or once less than the call (before its
/// first poll, or before the call in each round).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Steps;

impl Timer for Steps {
    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(YieldN(steps(duration).try_into().unwrap_or(usize::MAX)))
    }
}

/// The timeout's timer in virtual time: see [`Steps`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline;

impl Timer for Deadline {
    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(YieldN(
            deadline_steps(duration).try_into().unwrap_or(usize::MAX),
        ))
    }
}

/// Whether a call sleeping `latency` on [`Steps`] times out under `timeout` enforced
/// with [`Deadline`].
pub(crate) fn times_out(latency: Duration, timeout: Option<Duration>) -> bool {
    timeout.is_some_and(|t| latency.as_millis() > t.as_millis())
}

/// How a simulated call ends in a crawl whose latencies sleep on [`Steps`], under
/// `timeout` enforced with [`Deadline`].
pub(crate) fn expected_kind(call: &SimCall, timeout: Option<Duration>) -> OutcomeKind {
    if times_out(call.latency, timeout) {
        return OutcomeKind::TimedOut;
    }
    match call.outcome {
        SimOutcome::Found(_) => OutcomeKind::Completed,
        SimOutcome::Failed(_) => OutcomeKind::Failed,
        SimOutcome::Panicked => OutcomeKind::Panicked,
    }
}

/// What a complete crawl of a simulated graph must do, found by walking the graph with
/// [`SimWorkload::call`] (no sleeping, no engine).
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Expected {
    pub(crate) discovered: BTreeSet<Trace>,
    pub(crate) jobs: u64,
    pub(crate) completed: u64,
    pub(crate) failed: u64,
    pub(crate) panicked: u64,
    pub(crate) timed_out: u64,
    /// Traces returned by completed calls that were already known.
    pub(crate) duplicates: u64,
    /// Failed calls per error key, plus `panicked` and `timed_out`.
    pub(crate) errors_by_kind: BTreeMap<String, u64>,
    /// What each (trace, plugin name) call that does not time out ends in.
    pub(crate) calls: HashMap<(Trace, String), SimOutcome>,
}

/// [`Expected`] of a crawl without a timeout.
pub(crate) fn expected(sim: &SimWorkload) -> Expected {
    expected_with_timeout(sim, None)
}

/// [`Expected`] of a crawl whose latencies sleep on [`Steps`], under `timeout`
/// enforced with [`Deadline`]: a call that times out finds nothing.
pub(crate) fn expected_with_timeout(sim: &SimWorkload, timeout: Option<Duration>) -> Expected {
    let mut out = Expected::default();
    let mut seen: BTreeSet<NodeId> = sim.seed_nodes().collect();
    let mut frontier: VecDeque<NodeId> = sim.seed_nodes().collect();
    while let Some(node) = frontier.pop_front() {
        let trace = sim.trace_of(node);
        let names = sim.plugin_names(trace.kind());
        for (plugin, name) in names.into_iter().enumerate() {
            let call = sim.call(node, plugin).expect("a plugin of the node's kind");
            out.jobs += 1;
            if times_out(call.latency, timeout) {
                out.timed_out += 1;
                *out.errors_by_kind
                    .entry("timed_out".to_owned())
                    .or_default() += 1;
                continue;
            }
            match &call.outcome {
                SimOutcome::Found(children) => {
                    out.completed += 1;
                    for &child in children {
                        if seen.insert(child) {
                            frontier.push_back(child);
                        } else {
                            out.duplicates += 1;
                        }
                    }
                }
                SimOutcome::Failed(error) => {
                    out.failed += 1;
                    *out.errors_by_kind.entry(error.kind().key()).or_default() += 1;
                }
                SimOutcome::Panicked => {
                    out.panicked += 1;
                    *out.errors_by_kind.entry("panicked".to_owned()).or_default() += 1;
                }
            }
            out.calls.insert((trace.clone(), name), call.outcome);
        }
    }
    out.discovered = seen.into_iter().map(|n| sim.trace_of(n)).collect();
    out
}

/// The invariants every report keeps, whatever the model, config or cancellation.
pub(crate) fn check_invariants(report: &CrawlReport) {
    let ctx = format!("{} at C = {}", report.model, report.max_concurrency);
    assert_eq!(report.lost, 0, "lost jobs, {ctx}");
    assert_eq!(
        report.jobs,
        report.outcomes.completed
            + report.outcomes.failed
            + report.outcomes.timed_out
            + report.outcomes.panicked
            + report.outcomes.cancelled,
        "jobs == completed + failed + timed_out + panicked + cancelled, {ctx}"
    );
    assert_eq!(report.outcomes.finished(), report.jobs, "{ctx}");
    if !report.was_cancelled {
        assert_eq!(
            report.outcomes.cancelled, 0,
            "cancelled calls in a crawl never cancelled, {ctx}"
        );
    }
    // Per-plugin counters add up to the totals.
    let sum = |f: fn(&tracepool::crawl::PluginStats) -> u64| -> u64 {
        report.plugins.values().map(f).sum()
    };
    assert_eq!(sum(|p| p.calls), report.jobs, "{ctx}");
    assert_eq!(
        sum(|p| p.outcomes.completed),
        report.outcomes.completed,
        "{ctx}"
    );
    assert_eq!(sum(|p| p.outcomes.failed), report.outcomes.failed, "{ctx}");
    assert_eq!(
        sum(|p| p.outcomes.timed_out),
        report.outcomes.timed_out,
        "{ctx}"
    );
    assert_eq!(
        sum(|p| p.outcomes.panicked),
        report.outcomes.panicked,
        "{ctx}"
    );
    assert_eq!(
        sum(|p| p.outcomes.cancelled),
        report.outcomes.cancelled,
        "{ctx}"
    );
    for (name, stats) in &report.plugins {
        assert_eq!(
            stats.calls,
            stats.outcomes.completed
                + stats.outcomes.failed
                + stats.outcomes.timed_out
                + stats.outcomes.panicked
                + stats.outcomes.cancelled,
            "plugin {name}, {ctx}"
        );
    }
    // Errors by kind: every failed, timed-out or panicked call once, under its plugin
    // error key, `timed_out` or `panicked`.
    let key = |k: &str| report.errors_by_kind.get(k).copied().unwrap_or(0);
    let errors: u64 = report.errors_by_kind.values().sum();
    assert_eq!(errors, report.outcomes.errors(), "errors by kind, {ctx}");
    assert_eq!(key("panicked"), report.outcomes.panicked, "{ctx}");
    assert_eq!(key("timed_out"), report.outcomes.timed_out, "{ctx}");
    if report.model == Model::Pool {
        assert!(
            report.peak_in_flight <= report.max_concurrency as u64,
            "pool peak {} above C, {ctx}",
            report.peak_in_flight
        );
    }
    check_discovery_graph(report);
}

/// The discovery graph is a forest rooted at the seeds: parents come first, depths
/// grow by one along edges, the plugin that found a trace takes its parent's kind.
pub(crate) fn check_discovery_graph(report: &CrawlReport) {
    let mut seen = BTreeSet::new();
    let mut seeds_done = false;
    for (index, node) in report.discovered.iter().enumerate() {
        assert!(seen.insert(node.trace), "{} recorded twice", node.trace);
        match (node.parent, node.plugin) {
            (None, None) => {
                assert!(!seeds_done, "seed {} after a found trace", node.trace);
                assert_eq!(node.depth, 0);
            }
            (Some(parent), Some(plugin)) => {
                seeds_done = true;
                assert!(parent < index, "parent of {} comes after it", node.trace);
                let parent = report.discovered.get(parent).expect("a parent is recorded");
                assert_eq!(node.depth, parent.depth + 1, "depth of {}", node.trace);
                let name = &report.plugin_names[plugin];
                assert!(
                    report.plugins.contains_key(name),
                    "unknown plugin {name} found {}",
                    node.trace
                );
            }
            _ => panic!("{} has a parent without a plugin or back", node.trace),
        }
    }
}

/// Checks a complete (uncancelled, unlimited) crawl of `sim` against the no-sleep
/// walk: same traces, same calls, same outcomes, each counted once.
pub(crate) fn check_complete(sim: &SimWorkload, report: &CrawlReport, exp: &Expected) {
    let ctx = format!("{} at C = {}", report.model, report.max_concurrency);
    check_invariants(report);
    assert!(!report.was_cancelled, "{ctx}");
    assert_eq!(traces(report), exp.discovered, "{ctx}");
    if exp.timed_out == 0 {
        assert_eq!(report.discovered.len(), sim.reachable_count(), "{ctx}");
    }
    assert_eq!(report.jobs, exp.jobs, "jobs, {ctx}");
    assert_eq!(report.outcomes.completed, exp.completed, "completed, {ctx}");
    assert_eq!(report.outcomes.failed, exp.failed, "failed, {ctx}");
    assert_eq!(report.outcomes.panicked, exp.panicked, "panicked, {ctx}");
    assert_eq!(report.outcomes.timed_out, exp.timed_out, "timed out, {ctx}");
    assert_eq!(report.outcomes.cancelled, 0, "{ctx}");
    assert_eq!(report.duplicates, exp.duplicates, "duplicates, {ctx}");
    assert_eq!(report.skipped, 0, "{ctx}");
    assert_eq!(report.errors_by_kind, exp.errors_by_kind, "{ctx}");
    // Every recorded edge is one the graph has: no result credited to the wrong call.
    for node in &report.discovered {
        let (Some(parent), Some(plugin)) = (node.parent, node.plugin) else {
            continue;
        };
        let parent = report
            .discovered
            .get(parent)
            .expect("a parent is recorded")
            .trace
            .to_trace();
        let name = report.plugin_names[plugin].clone();
        match exp.calls.get(&(parent.clone(), name.clone())) {
            Some(SimOutcome::Found(children)) => assert!(
                children.iter().any(|&c| node.trace == sim.trace_of(c)),
                "{name} on {parent} never returns {}, {ctx}",
                node.trace
            ),
            other => panic!(
                "{name} on {parent} found {} but ends in {other:?}",
                node.trace
            ),
        }
    }
}

/// The number of cases of each property test: `PROPTEST_CASES` when it is set (a long
/// run, as `scripts/soak` makes), else `default` (the test command's short run).
///
/// # Panics
///
/// When `PROPTEST_CASES` is set to anything but a whole number from 1 up.
pub(crate) fn proptest_cases(default: u32) -> u32 {
    match std::env::var("PROPTEST_CASES") {
        Err(std::env::VarError::NotPresent) => default,
        Ok(value) => match value.trim().parse::<u32>() {
            Ok(cases) if cases >= 1 => cases,
            _ => {
                panic!("PROPTEST_CASES must be a whole number from 1 to 4294967295, not `{value}`")
            }
        },
        Err(error) => panic!("PROPTEST_CASES: {error}"),
    }
}
