//! The crawl engine: seed traces in, every (trace, plugin) call scheduled under one of
//! three [`Model`]s, discovered traces deduplicated on (kind, value).
//!
//! A crawl starts from seed traces and runs every plugin registered for each trace's
//! kind; the traces a call returns are deduplicated against everything found so far
//! and the new ones are followed in turn, until nothing new turns up (or a limit, or a
//! cancellation, stops it). Every (trace, plugin) pair is one job.
//!
//! Under [`Model::Pool`] the jobs run on a bounded [`Pool`](crate::Pool): a job's new
//! traces are scheduled as soon as it ends (with those of the jobs that ended in the
//! same round of the pool), and no job ever waits for another inside the pool (the
//! engine submits from outside, never waiting, as
//! [`Pool::try_submit`](crate::Pool::try_submit) does: the calls it has made since it
//! last looked, under one lock of the queue), so the crawl cannot deadlock at any
//! `C ≥ 1`. [`Model::Previous`] and [`Model::Unbounded`] reproduce the models the pool
//! replaced, with the same crawl semantics: same dedup, limits,
//! timeouts and panic capture, so the three discover the same traces.
//!
//! A [`Crawler`] runs [`Plugin`](crate::Plugin)s (a [`Registry`]) with a sendable
//! [`Timer`]: its future is `Send` (given a `Send` observer), so it can be spawned on a
//! multi-thread runtime. A [`LocalCrawler`] runs [`LocalPlugin`](crate::plugin::LocalPlugin)s
//! (a [`LocalRegistry`]) with a [`LocalTimer`]: for the browser and single-threaded
//! executors, where calls and sleeps need not be `Send`. Both share one engine; the
//! [`timer`](crate::timer) module says why they are two types.
//!
//! # Where a crawl keeps its state
//!
//! The engine keeps what it knows behind two small traits: a [`SeenSet`] answers
//! "insert this trace if it is absent" and records where each trace came from, and a
//! [`Frontier`] yields the next trace to follow. The in-memory [`Discovered`] (every
//! value in one arena, some 21 to 27 bytes of bookkeeping per trace besides its
//! value) and [`FifoFrontier`] (four bytes per waiting trace) are the defaults, and
//! the only implementations a crawler uses for now. A crawl of hundreds of millions of traces outgrows one
//! process's memory; a persistent or distributed implementation, shared by several
//! processes crawling one graph, would have to guarantee:
//!
//! - **Idempotent dedup.** `insert_if_absent` is atomic per (kind, value): of any
//!   number of concurrent or repeated inserts of one trace, across every process,
//!   exactly one gets [`Insert::New`] and the others [`Insert::Present`]. A retried
//!   insert (after a lost reply) must not record the trace twice, nor lose it: the
//!   set keys on the trace itself, never on a process-local id.
//! - **At-least-once delivery.** Every trace inserted as new is handed out by the
//!   frontier to some process, and a trace handed out is only forgotten once every
//!   call on it has reached an outcome. A process that dies mid-trace leaves its
//!   traces to be handed out again (a lease that expires, say). The same trace may
//!   then be followed twice: calls must be safe to repeat, and the report counts the
//!   repetition as calls, never as new traces (dedup is on the seen set, not on
//!   delivery).
//! - **Ids that outlive a process.** [`TraceId`]s returned by the set stay valid for
//!   the whole crawl, so that a discovery graph assembled from several processes
//!   points at the right parents.
//! - **Where `C` applies.** `C` ([`CrawlConfig::max_concurrency`]) bounds the calls of
//!   one crawler, in one process: `N` processes sharing a crawl have up to `N × C`
//!   calls in flight. A bound on the whole crawl (the calls one remote service sees)
//!   needs a shared limit, such as a distributed semaphore, or `C` divided among the
//!   processes; neither the seen set nor the frontier provides it.
//! - **Limits and completion.** `max_traces` must count on the shared set (one
//!   insert-if-absent-and-below-the-limit), not per process. A crawl ends when the
//!   frontier is empty *and* no process holds a trace in flight: an empty frontier
//!   alone is not the end, since a running call may still find traces.
//!
//! # Examples
//!
//! ```
//! use std::sync::Arc;
//! use tracepool::crawl::{CrawlConfig, Crawler, Model};
//! use tracepool::sim::{SimConfig, SimWorkload};
//! use tracepool::timer::{Sleep, Timer};
//!
//! // A timer that never waits: the simulated latencies pass instantly.
//! #[derive(Debug)]
//! struct NoWait;
//! impl Timer for NoWait {
//!     fn sleep(&self, _: std::time::Duration) -> Sleep {
//!         Box::pin(async {})
//!     }
//! }
//!
//! let sim = SimWorkload::new(SimConfig { traces: 300, failure_prob: 0.0, ..SimConfig::default() })?;
//! let crawler = Crawler::new(
//!     sim.registry(Arc::new(NoWait)),
//!     CrawlConfig { model: Model::Pool, max_concurrency: 4, ..CrawlConfig::default() },
//! )?;
//! let report = futures::executor::block_on(crawler.run(sim.seeds(), |_event| {}));
//! assert_eq!(report.discovered.len(), 300);
//! assert!(report.peak_in_flight <= 4);
//! assert_eq!(report.lost, 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod discovered;
mod engine;
pub mod ideal;
mod model;
mod store;

use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use futures::task::AtomicWaker;

use crate::metrics::LatencySummary;
use crate::plugin::{LocalRegistry, Registry};
use crate::timer::{LocalTimer, Timer};
use crate::trace::Trace;
use crate::{OutcomeKind, Outcomes};

pub use discovered::{Discovered, Discovery, Iter};
pub use model::{Model, UnknownModelError};
pub use store::{FifoFrontier, Frontier, Insert, SeenSet, TraceId};

/// The concurrency setting `C` of [`CrawlConfig::default`]: 10, the default of the
/// original tool's `DEEPER_MAX_CONCURRENCY`.
pub const DEFAULT_MAX_CONCURRENCY: usize = 10;

/// How a crawl runs. [`CrawlConfig::default`]: the pool model, `C = 10`, no timeout, no
/// limits.
///
/// `T` is how the timer enforcing `timeout` is held: `Arc<dyn Timer>` for a
/// [`Crawler`], `Rc<dyn LocalTimer>` for a [`LocalCrawler`] ([`LocalCrawlConfig`]).
/// The default applies where the type is named, not to inference: a config built
/// apart, in a `let`, with `timer: Some(Arc::new(MyTimer))` is a
/// `CrawlConfig<Arc<MyTimer>>`, so name it (`let config: CrawlConfig = ...`).
#[derive(Clone)]
pub struct CrawlConfig<T = Arc<dyn Timer>> {
    /// The scheduling model.
    pub model: Model,
    /// The concurrency setting `C` (at least 1). What it bounds depends on the model:
    /// calls in flight for `pool`, traces per batch and calls per trace for
    /// `previous`, nothing for `unbounded`.
    pub max_concurrency: usize,
    /// A call still running this long after it started is dropped and counted as
    /// timed out (every model). Needs [`timer`](Self::timer). A timeout so long that
    /// a deadline would fall past the clock's range (`Duration::MAX`, say) is no
    /// timeout: the timer is never asked for such a sleep.
    pub timeout: Option<Duration>,
    /// The timer enforcing `timeout`.
    pub timer: Option<T>,
    /// Traces at this depth (seeds are at depth 0) are recorded but not followed.
    pub max_depth: Option<u32>,
    /// At most this many traces are recorded (at least 1); later new traces are
    /// counted as skipped.
    pub max_traces: Option<usize>,
}

/// The configuration of a [`LocalCrawler`]: its timer is a [`LocalTimer`].
pub type LocalCrawlConfig = CrawlConfig<Rc<dyn LocalTimer>>;

impl<T> Default for CrawlConfig<T> {
    fn default() -> Self {
        CrawlConfig {
            model: Model::Pool,
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            timeout: None,
            timer: None,
            max_depth: None,
            max_traces: None,
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for CrawlConfig<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CrawlConfig")
            .field("model", &self.model)
            .field("max_concurrency", &self.max_concurrency)
            .field("timeout", &self.timeout)
            .field("timer", &self.timer)
            .field("max_depth", &self.max_depth)
            .field("max_traces", &self.max_traces)
            .finish()
    }
}

/// An invalid [`CrawlConfig`], naming the field and the accepted range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrawlConfigError {
    field: &'static str,
    accepted: &'static str,
}

impl CrawlConfigError {
    /// The field at fault.
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// What the field accepts.
    pub fn accepted(&self) -> &'static str {
        self.accepted
    }
}

impl fmt::Display for CrawlConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} must be {}", self.field, self.accepted)
    }
}

impl std::error::Error for CrawlConfigError {}

impl<T> CrawlConfig<T> {
    /// Checks every field.
    ///
    /// # Errors
    ///
    /// The first field out of its range.
    pub fn validate(&self) -> Result<(), CrawlConfigError> {
        let err = |field, accepted| Err(CrawlConfigError { field, accepted });
        if self.max_concurrency == 0 {
            return err("max_concurrency", "at least 1");
        }
        if self.timeout.is_some_and(|t| t.is_zero()) {
            return err("timeout", "longer than zero");
        }
        if self.timeout.is_some() && self.timer.is_none() {
            return err("timer", "set when a timeout is set");
        }
        if self.max_traces == Some(0) {
            return err("max_traces", "at least 1");
        }
        Ok(())
    }
}

/// Something that happened during a crawl, passed to the observer of
/// [`Crawler::run`] as it happens: for progress bars, logs and live charts.
#[derive(Debug, Clone, Copy)]
pub enum CrawlEvent<'a> {
    /// A call was handed to the scheduler (it starts when the model lets it).
    JobSubmitted {
        /// The trace followed.
        trace: &'a Trace,
        /// The plugin's name.
        plugin: &'a str,
    },
    /// A call started running (its first poll). Reported at the latest just before
    /// its [`JobFinished`](CrawlEvent::JobFinished); a call cancelled before it
    /// started has none.
    JobStarted {
        /// The trace followed.
        trace: &'a Trace,
        /// The plugin's name.
        plugin: &'a str,
    },
    /// A call ended.
    JobFinished {
        /// The trace followed.
        trace: &'a Trace,
        /// The plugin's name.
        plugin: &'a str,
        /// How it ended.
        outcome: OutcomeKind,
        /// From its start to its end.
        latency: Duration,
        /// Traces it returned (new or not).
        found: usize,
    },
    /// A new trace was recorded.
    TraceDiscovered {
        /// The new trace.
        trace: &'a Trace,
        /// The trace it was found from (`None` for a seed).
        parent: Option<&'a Trace>,
        /// The plugin that found it (`None` for a seed).
        plugin: Option<&'a str>,
        /// Seeds are at depth 0.
        depth: u32,
    },
    /// A call returned a trace that was already known.
    DuplicateSkipped {
        /// The trace.
        trace: &'a Trace,
        /// The plugin that returned it again.
        plugin: &'a str,
    },
}

/// Calls of one plugin and how they ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PluginStats {
    /// Calls handed to the scheduler.
    pub calls: u64,
    /// How the calls ended (cancelled: with the crawl).
    pub outcomes: Outcomes,
    /// Latencies of the calls that ran.
    pub latency: LatencySummary,
}

/// What a crawl did: the final report of [`Crawler::run`].
#[derive(Debug, Clone, PartialEq)]
pub struct CrawlReport {
    /// The model the crawl ran under.
    pub model: Model,
    /// The concurrency setting `C`.
    pub max_concurrency: usize,
    /// Wall time from start to end.
    pub wall: Duration,
    /// Calls handed to the scheduler ("accepted jobs").
    pub jobs: u64,
    /// How the calls ended: completed (returned traces), failed (returned an error),
    /// timed out (dropped at the timeout), panicked, cancelled (the crawl was
    /// cancelled). `outcomes.finished() + lost == jobs`.
    pub outcomes: Outcomes,
    /// Accepted calls without an outcome: always 0 unless the engine is broken.
    pub lost: u64,
    /// Results that were already known.
    pub duplicates: u64,
    /// New traces not recorded because of `max_traces`.
    pub skipped: u64,
    /// Every recorded trace, seeds first, in discovery order: the discovery graph, with
    /// its values in one arena (read through [`Discovered::iter`] and
    /// [`Discovered::get`]).
    pub discovered: Discovered,
    /// Names of the plugins, indexed by [`Discovery::plugin`].
    pub plugin_names: Vec<String>,
    /// Calls per plugin name.
    pub plugins: BTreeMap<String, PluginStats>,
    /// Failed calls per error kind (`PluginErrorKind::key`), plus `timed_out` for
    /// calls the engine dropped at the timeout and `panicked` for panics (distinct from
    /// a plugin's own `timeout` error kind).
    pub errors_by_kind: BTreeMap<String, u64>,
    /// The most calls in flight at one instant, counted the same way in every model
    /// (from a call's first poll to its end).
    pub peak_in_flight: u64,
    /// Latencies of every call that ran.
    pub latency: LatencySummary,
    /// Whether the crawl was cancelled before its end.
    pub was_cancelled: bool,
}

impl CrawlReport {
    /// `outcomes.errors() / jobs` (failed, timed out and panicked calls), 0 without
    /// jobs.
    pub fn error_rate(&self) -> f64 {
        if self.jobs == 0 {
            return 0.0;
        }
        self.outcomes.errors() as f64 / self.jobs as f64
    }
}

#[derive(Debug, Default)]
struct CancelState {
    cancelled: AtomicBool,
    waker: AtomicWaker,
}

/// Cancels a running crawl; cheap to clone, usable from any thread.
///
/// A cancelled crawl stops scheduling, cancels its running calls and returns its
/// report with what it found so far ([`CrawlReport::was_cancelled`] set).
#[derive(Debug, Clone)]
pub struct Canceller(Arc<CancelState>);

impl Canceller {
    /// Cancels the crawl (no effect if it already ended).
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Relaxed);
        self.0.waker.wake();
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Relaxed)
    }
}

/// Live counters of a crawl, cheap to read from any thread (e.g. by a sampler).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CrawlGauge {
    /// Calls in flight (first polled and not ended).
    pub in_flight: u64,
    /// The most calls that were in flight at one instant.
    pub peak_in_flight: u64,
    /// Calls handed to the scheduler that have not started.
    pub queued: u64,
    /// Calls that ended.
    pub finished: u64,
    /// Traces recorded.
    pub discovered: u64,
}

/// A crawl's live counters, shared with its [`GaugeReader`]s.
///
/// The counters have one writer: the crawl's future, in its polls and its drop (its
/// calls are polled and dropped inside it), so one thread at a time. They are written
/// with a load and a store ([`bump`]), not a read-modify-write, which would cost
/// several times as much per call; the readers, on any thread, only load. Two runs of
/// one crawler at once would share them (each run resets them anyway): the gauge then
/// mixes the two.
#[derive(Debug, Default)]
pub(crate) struct Probe {
    in_flight: AtomicU64,
    peak_in_flight: AtomicU64,
    submitted: AtomicU64,
    finished: AtomicU64,
    discovered: AtomicU64,
}

impl Probe {
    /// Counts a call in flight until the guard is dropped.
    #[inline]
    fn enter(&self) -> InFlightGuard<'_> {
        let now = bump(&self.in_flight);
        if now > self.peak_in_flight.load(Relaxed) {
            self.peak_in_flight.store(now, Relaxed);
        }
        InFlightGuard(self)
    }

    /// Zero counters, for a new crawl.
    fn reset(&self) {
        for counter in [
            &self.in_flight,
            &self.peak_in_flight,
            &self.submitted,
            &self.finished,
            &self.discovered,
        ] {
            counter.store(0, Relaxed);
        }
    }
}

/// Counts a call in flight from its creation (at the call's first poll) to its drop.
struct InFlightGuard<'p>(&'p Probe);

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        let in_flight = &self.0.in_flight;
        in_flight.store(in_flight.load(Relaxed).wrapping_sub(1), Relaxed);
    }
}

/// Adds one to a counter of a [`Probe`], its only writer (see there), and returns the
/// new count.
#[inline]
pub(crate) fn bump(counter: &AtomicU64) -> u64 {
    let now = counter.load(Relaxed).wrapping_add(1);
    counter.store(now, Relaxed);
    now
}

/// Reads a crawl's [`CrawlGauge`]; cheap to clone, usable from any thread.
#[derive(Debug, Clone)]
pub struct GaugeReader(Arc<Probe>);

impl GaugeReader {
    /// The current counters.
    pub fn read(&self) -> CrawlGauge {
        let p = &self.0;
        let in_flight = p.in_flight.load(Relaxed);
        let finished = p.finished.load(Relaxed);
        let submitted = p.submitted.load(Relaxed);
        CrawlGauge {
            in_flight,
            peak_in_flight: p.peak_in_flight.load(Relaxed),
            queued: submitted.saturating_sub(finished + in_flight),
            finished,
            discovered: p.discovered.load(Relaxed),
        }
    }
}

/// Runs crawls over a plugin [`Registry`] with a [`CrawlConfig`].
///
/// Its plugins and timer are `Send`, and so is the future of [`run`](Crawler::run)
/// (when the seeds and the observer are): it can be spawned on a multi-thread runtime.
/// For plugins or a timer that are not `Send`, use a [`LocalCrawler`].
pub struct Crawler {
    registry: Arc<Registry>,
    config: CrawlConfig,
    cancel: Arc<CancelState>,
    probe: Arc<Probe>,
}

impl fmt::Debug for Crawler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Crawler")
            .field("registry", &self.registry)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Crawler {
    /// A crawler for `registry`'s plugins.
    ///
    /// # Errors
    ///
    /// A [`CrawlConfigError`] naming the invalid field of `config`.
    pub fn new(
        registry: impl Into<Arc<Registry>>,
        config: CrawlConfig,
    ) -> Result<Self, CrawlConfigError> {
        config.validate()?;
        Ok(Crawler {
            registry: registry.into(),
            config,
            cancel: Arc::default(),
            probe: Arc::default(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &CrawlConfig {
        &self.config
    }

    /// A handle that cancels the crawl this crawler runs.
    pub fn canceller(&self) -> Canceller {
        Canceller(Arc::clone(&self.cancel))
    }

    /// A handle that reads the live counters of the crawl this crawler runs (of one
    /// crawl at a time: two runs of one crawler at once garble them).
    pub fn gauge(&self) -> GaugeReader {
        GaugeReader(Arc::clone(&self.probe))
    }

    /// Crawls from `seeds` until nothing new turns up, a limit stops it or it is
    /// cancelled, calling `observer` with every [`CrawlEvent`] on the way. Runs on the
    /// caller's task, on any executor; the calls are polled inside it.
    ///
    /// Counters of [`gauge`](Self::gauge) start from zero at each run.
    ///
    /// # Cancel safety
    ///
    /// This method is not cancel safe: if its future is dropped before it completes
    /// (a `select!` branch that loses, a timeout around it, an aborted task, a runtime
    /// shut down), the report is lost, with everything the crawl found. To stop a
    /// crawl and keep what it found, use [`canceller`](Self::canceller) and await the
    /// report.
    ///
    /// Dropping the future mid-crawl is nevertheless safe, on every executor and under
    /// every [`Model`]: the calls in flight, queued or waiting to be scheduled are
    /// dropped with it, on the spot. Nothing of the crawl keeps running (it spawns
    /// no task), none of its calls is polled again, and the crawler keeps no waker of
    /// the task that polled it. A panic in the `Drop` of a plugin's future is caught
    /// there (the panic hook still reports it) and does not escape the drop.
    /// Afterwards the [`gauge`](Self::gauge) shows no call in flight or queued: the
    /// dropped calls count as finished.
    pub async fn run<I, O>(&self, seeds: I, observer: O) -> CrawlReport
    where
        I: IntoIterator<Item = Trace>,
        O: FnMut(&CrawlEvent<'_>),
    {
        let starts = engine::Starts::default();
        let parts = engine::Parts {
            config: self.config.clone(),
            cancel: &self.cancel,
            probe: &self.probe,
            starts: &starts,
        };
        engine::run(&self.registry.plugins, parts, seeds.into_iter(), observer).await
    }
}

/// Runs crawls over a [`LocalRegistry`] with a [`LocalCrawlConfig`], on one thread.
///
/// The local flavour of [`Crawler`], for the browser and single-threaded executors:
/// its plugins, their calls and its timer need not be `Send`, and neither is the
/// future of [`run`](LocalCrawler::run). Same engine, same models, same report. Its
/// [`Canceller`] and [`GaugeReader`] are still `Send`, for another thread or a worker.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use std::time::Duration;
/// use tracepool::crawl::{LocalCrawlConfig, LocalCrawler, Model};
/// use tracepool::sim::{SimConfig, SimWorkload};
/// use tracepool::timer::{LocalSleep, LocalTimer};
///
/// /// Lets every simulated latency pass at once; local, as the browser's timer is.
/// #[derive(Debug)]
/// struct NoWait;
/// impl LocalTimer for NoWait {
///     fn sleep(&self, _: Duration) -> LocalSleep {
///         Box::pin(async {})
///     }
/// }
///
/// let sim = SimWorkload::new(SimConfig { traces: 200, failure_prob: 0.0, ..SimConfig::default() })?;
/// let timer: Rc<dyn LocalTimer> = Rc::new(NoWait);
/// let crawler = LocalCrawler::new(
///     sim.local_registry(Rc::clone(&timer)),
///     LocalCrawlConfig { model: Model::Pool, max_concurrency: 4, ..LocalCrawlConfig::default() },
/// )?;
/// let mut pool = futures::executor::LocalPool::new();
/// let report = pool.run_until(crawler.run(sim.seeds(), |_event| {}));
/// assert_eq!(report.discovered.len(), 200);
/// assert!(report.peak_in_flight <= 4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct LocalCrawler {
    registry: Rc<LocalRegistry>,
    config: LocalCrawlConfig,
    cancel: Arc<CancelState>,
    probe: Arc<Probe>,
}

impl fmt::Debug for LocalCrawler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalCrawler")
            .field("registry", &self.registry)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl LocalCrawler {
    /// A crawler for `registry`'s plugins.
    ///
    /// # Errors
    ///
    /// A [`CrawlConfigError`] naming the invalid field of `config`.
    pub fn new(
        registry: impl Into<Rc<LocalRegistry>>,
        config: LocalCrawlConfig,
    ) -> Result<Self, CrawlConfigError> {
        config.validate()?;
        Ok(LocalCrawler {
            registry: registry.into(),
            config,
            cancel: Arc::default(),
            probe: Arc::default(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &LocalCrawlConfig {
        &self.config
    }

    /// A handle that cancels the crawl this crawler runs.
    pub fn canceller(&self) -> Canceller {
        Canceller(Arc::clone(&self.cancel))
    }

    /// A handle that reads the live counters of the crawl this crawler runs (of one
    /// crawl at a time: two runs of one crawler at once garble them).
    pub fn gauge(&self) -> GaugeReader {
        GaugeReader(Arc::clone(&self.probe))
    }

    /// Crawls from `seeds` until nothing new turns up, a limit stops it or it is
    /// cancelled, calling `observer` with every [`CrawlEvent`] on the way. Runs on the
    /// caller's task, on any executor; the calls are polled inside it.
    ///
    /// Counters of [`gauge`](Self::gauge) start from zero at each run.
    ///
    /// # Cancel safety
    ///
    /// As for [`Crawler::run`]: this method is not cancel safe (dropping its future
    /// loses the report; use [`canceller`](Self::canceller) to stop a crawl and keep
    /// what it found), but dropping its future mid-crawl is safe: every call is
    /// dropped with it, nothing keeps running, no waker is kept, a panic in the `Drop`
    /// of a plugin's future does not escape, and the [`gauge`](Self::gauge) shows no
    /// call in flight or queued afterwards.
    pub async fn run<I, O>(&self, seeds: I, observer: O) -> CrawlReport
    where
        I: IntoIterator<Item = Trace>,
        O: FnMut(&CrawlEvent<'_>),
    {
        let starts = engine::Starts::default();
        let parts = engine::Parts {
            config: self.config.clone(),
            cancel: &self.cancel,
            probe: &self.probe,
            starts: &starts,
        };
        engine::run(&self.registry.plugins, parts, seeds.into_iter(), observer).await
    }
}
