//! One benchmark run: a workload, a model, a concurrency setting; measured from the
//! inside (the crawl report) and the outside (the OS sampler), and for the http
//! workload from the other end of the wire (the server's counters).

mod http;

use std::collections::BTreeMap;
use std::fmt;
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracepool::crawl::ideal::{IdealLimits, simulate};
use tracepool::crawl::{
    CrawlConfig, CrawlConfigError, CrawlEvent, CrawlReport, Crawler, DEFAULT_MAX_CONCURRENCY,
    GaugeReader, Model,
};
use tracepool::report::record::{RunRecord, Sample};
use tracepool::report::{
    DEFAULT_FAILURE_RATE, DEFAULT_LATENCY_MS, DEFAULT_SEED, DEFAULT_TIME_SCALE, P99_OVER_MEAN,
    SleepTimer, Workload,
};
use tracepool::sim::{FlatWorkload, SimConfig, SimConfigError, SimWorkload, SleepStats};
use tracepool::timer::{AsyncIoTimer, FinishingTimer, HeapTimer, Timer};
use tracepool::{Outcomes, Trace};

pub use self::http::{DEFAULT_HTTP_TIMEOUT, HttpServerSpec};
use crate::fd_limit::{self, FD_LIMIT, FdLimitError, FdLimitGuard};
use crate::http::process::ServerProcessError;
use crate::interrupt::Interrupt;
use crate::os::{self, AppGauges, Sampler, SamplerError, SamplerReport};

mod flat;

pub use flat::flat_jobs;

/// Everything that defines one run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSpec {
    /// What to crawl.
    pub workload: Workload,
    /// How to schedule it.
    pub model: Model,
    /// Synthetic graph size (crawl, http) or job count (flat).
    pub traces: usize,
    /// The concurrency setting C.
    pub concurrency: usize,
    /// Mean call latency in milliseconds before the time scale (0: no sleep at all).
    pub latency_ms: f64,
    /// Factor applied to every latency.
    pub time_scale: f64,
    /// Probability that a call fails (crawl only).
    pub failure_rate: f64,
    /// Probability that a call panics (crawl only).
    pub panic_rate: f64,
    /// Per-call timeout in milliseconds, if any (for the http workload, the client's
    /// deadline per call, [`DEFAULT_HTTP_TIMEOUT`] when `None`).
    pub timeout_ms: Option<f64>,
    /// Busy CPU time per call in microseconds (crawl only).
    pub cpu_us: f64,
    /// Seed of the workload.
    pub seed: u64,
    /// How often the OS sampler takes a sample.
    pub sample_interval: Duration,
    /// The timer behind the simulated sleeps (and the timeouts).
    pub timer: SleepTimer,
    /// The soft limit of open file descriptors during the crawl (`RLIMIT_NOFILE`, see
    /// [`fd_limit`]), if lowered; in [`FD_LIMIT`]. Set once the
    /// sampler (and the http workload's server) have started.
    pub fd_limit: Option<u64>,
    /// The http workload's server.
    pub server: HttpServerSpec,
}

impl Default for RunSpec {
    fn default() -> Self {
        RunSpec {
            workload: Workload::Crawl,
            model: Model::Pool,
            traces: 1_000,
            concurrency: DEFAULT_MAX_CONCURRENCY,
            latency_ms: DEFAULT_LATENCY_MS,
            time_scale: DEFAULT_TIME_SCALE,
            failure_rate: DEFAULT_FAILURE_RATE,
            panic_rate: 0.0,
            timeout_ms: None,
            cpu_us: 0.0,
            seed: DEFAULT_SEED,
            sample_interval: Duration::from_millis(20),
            timer: SleepTimer::Heap,
            fd_limit: None,
            server: HttpServerSpec::default(),
        }
    }
}

impl RunSpec {
    /// Checks every field against its range ([`TRACES`], [`CONCURRENCY`],
    /// [`LATENCY_MS`], [`TIME_SCALE`], [`RATE`], [`TIMEOUT_MS`], [`CPU_US`],
    /// [`FD_LIMIT`], the server's capacity and queue, and the sampler's interval
    /// bounds); `failure_rate + panic_rate` is at most 1; the http workload takes no
    /// panics and no CPU time per call (a server cannot cause either in its client).
    ///
    /// # Errors
    ///
    /// The first field out of its range, as a [`SpecError`] naming it.
    pub fn validate(&self) -> Result<(), SpecError> {
        fn whole(
            field: &'static str,
            value: usize,
            range: &RangeInclusive<usize>,
        ) -> Result<(), SpecError> {
            if range.contains(&value) {
                Ok(())
            } else {
                Err(SpecError {
                    field,
                    value: value.to_string(),
                    accepted: format!("a whole number from {} to {}", range.start(), range.end()),
                })
            }
        }
        fn number(
            field: &'static str,
            value: f64,
            range: &RangeInclusive<f64>,
        ) -> Result<(), SpecError> {
            if value.is_finite() && range.contains(&value) {
                Ok(())
            } else {
                Err(SpecError {
                    field,
                    value: value.to_string(),
                    accepted: format!(
                        "a number from {} to {}",
                        rounded(*range.start()),
                        rounded(*range.end())
                    ),
                })
            }
        }
        whole("traces", self.traces, &TRACES)?;
        whole("concurrency", self.concurrency, &CONCURRENCY)?;
        number("latency_ms", self.latency_ms, &LATENCY_MS)?;
        number("time_scale", self.time_scale, &TIME_SCALE)?;
        number("failure_rate", self.failure_rate, &RATE)?;
        number(
            "panic_rate",
            self.panic_rate,
            &(0.0..=RATE.end() - self.failure_rate),
        )
        .map_err(|e| SpecError {
            accepted: format!("{} (1 minus `failure_rate`)", e.accepted),
            ..e
        })?;
        if let Some(timeout) = self.timeout_ms {
            number("timeout_ms", timeout, &TIMEOUT_MS)?;
        }
        number("cpu_us", self.cpu_us, &CPU_US)?;
        if !self.timer.is_native() {
            return Err(not_native(self.timer));
        }
        if let Some(limit) = self.fd_limit
            && !FD_LIMIT.contains(&limit)
        {
            return Err(SpecError {
                field: "fd_limit",
                value: limit.to_string(),
                accepted: format!(
                    "a whole number from {} to {}",
                    FD_LIMIT.start(),
                    FD_LIMIT.end()
                ),
            });
        }
        if self.workload == Workload::Http {
            http::validate(self)?;
        }
        if !(Sampler::MIN_INTERVAL..=Sampler::MAX_INTERVAL).contains(&self.sample_interval) {
            return Err(SpecError {
                field: "sample_interval",
                value: format!("{:?}", self.sample_interval),
                accepted: format!(
                    "from {:?} to {:?}",
                    Sampler::MIN_INTERVAL,
                    Sampler::MAX_INTERVAL
                ),
            });
        }
        Ok(())
    }

    /// The mean latency as a duration, time scale applied; the spec is valid.
    fn scaled_latency(&self) -> Duration {
        Duration::from_secs_f64(self.latency_ms * self.time_scale / 1e3)
    }

    /// The simulated workload's configuration for a crawl run.
    ///
    /// # Errors
    ///
    /// A [`SpecError`] when the spec is not [valid](Self::validate).
    pub fn sim_config(&self) -> Result<SimConfig, SpecError> {
        self.validate()?;
        let mean = Duration::from_secs_f64(self.latency_ms / 1e3);
        Ok(SimConfig {
            seed: self.seed,
            traces: self.traces,
            latency_mean: mean,
            latency_p99: mean.mul_f64(P99_OVER_MEAN),
            failure_prob: self.failure_rate,
            panic_prob: self.panic_rate,
            cpu_per_call: Duration::from_secs_f64(self.cpu_us / 1e6),
            time_scale: self.time_scale,
            ..SimConfig::default()
        })
    }

    /// The per-call timeout; the spec is valid.
    fn timeout(&self) -> Option<Duration> {
        self.timeout_ms.map(|ms| Duration::from_secs_f64(ms / 1e3))
    }
}

/// The values [`RunSpec::traces`] accepts.
pub const TRACES: RangeInclusive<usize> = 1..=10_000_000;
/// The values [`RunSpec::concurrency`] accepts.
pub const CONCURRENCY: RangeInclusive<usize> = 1..=1_000_000;
/// The values [`RunSpec::latency_ms`] accepts.
pub const LATENCY_MS: RangeInclusive<f64> = 0.0..=60_000.0;
/// The values [`RunSpec::time_scale`] accepts.
pub const TIME_SCALE: RangeInclusive<f64> = 0.0..=1_000.0;
/// The values [`RunSpec::failure_rate`] and [`RunSpec::panic_rate`] accept (their sum
/// is at most 1 too).
pub const RATE: RangeInclusive<f64> = 0.0..=1.0;
/// The values [`RunSpec::timeout_ms`] accepts.
pub const TIMEOUT_MS: RangeInclusive<f64> = 0.001..=3_600_000.0;
/// The values [`RunSpec::cpu_us`] accepts.
pub const CPU_US: RangeInclusive<f64> = 0.0..=1_000_000.0;

/// `x` rounded to 12 decimals, so that a bound computed as `1 - 0.7` reads `0.3`.
fn rounded(x: f64) -> f64 {
    (x * 1e12).round() / 1e12
}

/// A [`RunSpec`] field outside its range: the field, the rejected value and what the
/// field accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    field: &'static str,
    value: String,
    accepted: String,
}

impl SpecError {
    /// The field of [`RunSpec`] at fault (`latency_ms`).
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// The rejected value, as text.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// What the field accepts (`a number from 0 to 60000`).
    pub fn accepted(&self) -> &str {
        &self.accepted
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` must be {}, got {}",
            self.field, self.accepted, self.value
        )
    }
}

impl std::error::Error for SpecError {}

/// A run that could not be set up.
#[derive(Debug)]
#[non_exhaustive]
pub enum RunError {
    /// A field of the [`RunSpec`] is outside its range.
    Spec(SpecError),
    /// Seed traces were given to the flat workload, whose jobs are its own.
    SeedsForFlat,
    /// The simulated workload rejected its configuration.
    Workload(SimConfigError),
    /// The crawl engine rejected its configuration.
    Crawl(CrawlConfigError),
    /// The OS sampler could not start.
    Sampler(SamplerError),
    /// The http workload's server could not start, or ended before the run did.
    Server(ServerProcessError),
    /// The http workload's client runtime could not start.
    Runtime(std::io::Error),
    /// The limit of open file descriptors could not be lowered as asked.
    FdLimit(FdLimitError),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Spec(e) => write!(f, "invalid run: {e}"),
            Self::SeedsForFlat => f.write_str("the flat workload takes no seed traces"),
            Self::Workload(_) => f.write_str("invalid simulated workload"),
            Self::Crawl(_) => f.write_str("invalid crawl configuration"),
            Self::Sampler(_) => f.write_str("cannot sample the process"),
            Self::Server(e) => write!(f, "{e}"),
            Self::Runtime(_) => f.write_str("cannot start the http client's runtime"),
            Self::FdLimit(_) => f.write_str("cannot lower the limit of open file descriptors"),
        }
    }
}

impl std::error::Error for RunError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Spec(e) => Some(e),
            Self::SeedsForFlat => None,
            Self::Workload(e) => Some(e),
            Self::Crawl(e) => Some(e),
            Self::Sampler(e) => Some(e),
            Self::Server(e) => e.source(),
            Self::Runtime(e) => Some(e),
            Self::FdLimit(e) => Some(e),
        }
    }
}

impl From<SpecError> for RunError {
    fn from(e: SpecError) -> Self {
        Self::Spec(e)
    }
}

/// A finished run: its record, its time series and the crawl's own report.
#[derive(Debug)]
pub struct RunOutput {
    /// The JSON record.
    pub record: RunRecord,
    /// Samples taken during the run.
    pub series: Vec<Sample>,
    /// The crawl engine's report (discovery graph, per-plugin counts...); `None` for
    /// the flat workload, which runs on the models without the crawl engine.
    pub crawl: Option<CrawlReport>,
    /// Whether a stop request cut the run short: the record is partial.
    pub was_cancelled: bool,
    /// The http workload's server ended before the run did, or its counters could not
    /// be read: the record is whole (every call counted, most of them failed) but has
    /// no server figures, and the run should be reported as failed.
    pub server_error: Option<ServerProcessError>,
}

/// The timer behind the simulated sleeps (and the timeouts) of a run.
///
/// # Errors
///
/// A [`SpecError`] for a timer no native run can sleep on (the browser's).
fn make_timer(timer: SleepTimer) -> Result<Arc<dyn Timer>, SpecError> {
    match timer {
        SleepTimer::Reactor => Ok(Arc::new(AsyncIoTimer)),
        SleepTimer::Finishing => Ok(Arc::new(FinishingTimer::new())),
        SleepTimer::Heap => Ok(Arc::new(HeapTimer::new())),
        SleepTimer::SetTimeout => Err(not_native(timer)),
    }
}

/// The error for a `timer` that is not [native](SleepTimer::is_native).
fn not_native(timer: SleepTimer) -> SpecError {
    SpecError {
        field: "timer",
        value: timer.name().to_owned(),
        accepted: "reactor, finishing or heap (set-timeout is the browser's)".to_owned(),
    }
}

/// What a run measured from the inside, whatever ran it.
#[derive(Debug)]
struct Measured {
    wall: Duration,
    jobs: u64,
    outcomes: Outcomes,
    lost: u64,
    discovered: u64,
    peak_in_flight: u64,
    p50: Duration,
    p99: Duration,
    was_cancelled: bool,
    /// Failed calls per error kind, as [`CrawlReport::errors_by_kind`] counts them.
    errors_by_kind: BTreeMap<String, u64>,
}

/// The failures by kind of jobs that are not plugin calls (the flat workload's), keyed
/// as the crawl engine keys its own: `timed_out` and `panicked`, where there are some.
fn job_error_kinds(outcomes: &Outcomes) -> BTreeMap<String, u64> {
    [
        ("timed_out", outcomes.timed_out),
        ("panicked", outcomes.panicked),
    ]
    .into_iter()
    .filter(|&(_, count)| count > 0)
    .map(|(kind, count)| (kind.to_owned(), count))
    .collect()
}

impl Measured {
    fn of_crawl(crawl: &CrawlReport, wall: Duration) -> Self {
        Measured {
            wall,
            jobs: crawl.jobs,
            outcomes: crawl.outcomes,
            lost: crawl.lost,
            discovered: crawl.discovered.len() as u64,
            peak_in_flight: crawl.peak_in_flight,
            p50: crawl.latency.p50,
            p99: crawl.latency.p99,
            was_cancelled: crawl.was_cancelled,
            errors_by_kind: crawl.errors_by_kind.clone(),
        }
    }
}

/// The crawl workload's plugins, its seeds and its ideal makespan.
struct Prepared {
    registry: tracepool::Registry,
    seeds: Vec<Trace>,
    ideal: Duration,
    stats: Arc<SleepStats>,
}

fn prepare_crawl(
    spec: &RunSpec,
    seeds: Option<Vec<Trace>>,
    timer: Arc<dyn Timer>,
) -> Result<Prepared, RunError> {
    let sim = SimWorkload::new(spec.sim_config()?).map_err(RunError::Workload)?;
    // The ideal is the model's own schedule of the generated seeds in virtual
    // time; seeds from a file crawl another graph, whose ideal is not known.
    let ideal = match &seeds {
        Some(custom) if *custom != sim.seeds() => Duration::ZERO,
        _ => {
            let limits = IdealLimits {
                timeout: spec.timeout(),
                ..IdealLimits::default()
            };
            simulate(&sim, spec.model, spec.concurrency, &limits).makespan
        }
    };
    Ok(Prepared {
        registry: sim.registry(timer),
        seeds: seeds.unwrap_or_else(|| sim.seeds()),
        ideal,
        stats: Arc::clone(sim.sleep_stats()),
    })
}
/// The makespan of independent jobs of known `durations`, in submission order, under a
/// perfect implementation of `model` at `concurrency`: the model's own schedule.
///
/// - [`Model::Pool`]: list-scheduled on `concurrency` slots ([`tracepool::sim::ideal_makespan`]).
/// - [`Model::Previous`]: batches of `concurrency` jobs with a barrier after each: the sum of each
///   batch's longest job.
/// - [`Model::Unbounded`]: every job at once: the longest job.
///
/// A `concurrency` of 0 is treated as 1.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tracepool::crawl::Model;
/// use tracepool_bench::runner::flat_ideal;
///
/// let ms = Duration::from_millis;
/// let jobs = [ms(3), ms(2), ms(1), ms(2)];
/// assert_eq!(flat_ideal(Model::Pool, jobs, 2), ms(5));
/// assert_eq!(flat_ideal(Model::Previous, jobs, 2), ms(5));
/// assert_eq!(flat_ideal(Model::Unbounded, jobs, 2), ms(3));
/// assert_eq!(flat_ideal(Model::Previous, [ms(1), ms(4), ms(4), ms(1)], 2), ms(8));
/// ```
pub fn flat_ideal(
    model: Model,
    durations: impl IntoIterator<Item = Duration>,
    concurrency: usize,
) -> Duration {
    let concurrency = concurrency.max(1);
    match model {
        Model::Pool => tracepool::sim::ideal_makespan(durations, concurrency),
        Model::Unbounded => durations.into_iter().max().unwrap_or_default(),
        Model::Previous => {
            let mut total = Duration::ZERO;
            let mut batch = (0, Duration::ZERO);
            for d in durations {
                batch = (batch.0 + 1, batch.1.max(d));
                if batch.0 == concurrency {
                    total = total.saturating_add(batch.1);
                    batch = (0, Duration::ZERO);
                }
            }
            total.saturating_add(batch.1)
        }
    }
}

/// Runs `spec` to its end on the calling thread (under `async_io::block_on`, whose
/// reactor drives the precise timer; the http workload under a tokio runtime, its
/// server a child process), sampling the process meanwhile.
///
/// The crawl workload runs through the crawl engine; the flat workload runs its jobs
/// on the models directly (see [`Workload::Flat`]), without crawl events.
/// `seeds` replaces the crawl workload's own seed traces; `observer` sees every crawl
/// event. A stop requested through `interrupt` (before or during the run) cancels the
/// run: it returns its partial record, every accepted call counted in one outcome,
/// with [`RunOutput::was_cancelled`] set.
///
/// # Errors
///
/// [`RunError::Spec`] when `spec` is not [valid](RunSpec::validate),
/// [`RunError::SeedsForFlat`] for seeds given to the flat workload,
/// [`RunError::Workload`] or [`RunError::Crawl`] when the workload or the crawl cannot be
/// configured as asked, [`RunError::Sampler`] when the OS sampler cannot start,
/// [`RunError::FdLimit`] when the limit of open file descriptors cannot be lowered, and
/// for the http workload [`RunError::Server`] when its server cannot start and
/// [`RunError::Runtime`] when its client's runtime cannot. A server that ends during
/// the run is no error: the run's output says so ([`RunOutput::server_error`]).
pub fn run<O>(
    spec: &RunSpec,
    seeds: Option<Vec<Trace>>,
    observer: O,
    interrupt: &Interrupt,
) -> Result<RunOutput, RunError>
where
    O: FnMut(&CrawlEvent<'_>),
{
    spec.validate()?;
    match spec.workload {
        Workload::Http => http::run(spec, seeds, observer, interrupt),
        Workload::Crawl => run_crawl(spec, seeds, observer, interrupt, make_timer(spec.timer)?),
        Workload::Flat => {
            // A heap timer's sleeps are kept in the jobs' own futures, unboxed.
            let (timer, heap) = match spec.timer {
                SleepTimer::Heap => {
                    let heap = HeapTimer::new();
                    let timer: Arc<dyn Timer> = Arc::new(heap.clone());
                    (timer, Some(heap))
                }
                other => (make_timer(other)?, None),
            };
            if seeds.is_some() {
                return Err(RunError::SeedsForFlat);
            }
            let limit = spec.timeout().unwrap_or(Duration::MAX);
            let ideal = flat_ideal(
                spec.model,
                FlatWorkload::new(spec.traces, spec.scaled_latency())
                    .with_seed(spec.seed)
                    .durations()
                    .map(|d| d.min(limit)),
                spec.concurrency,
            );
            let stats = Arc::new(SleepStats::new());
            // Each run reports its own peak: forget the previous runs' high-water mark.
            // Where the OS cannot reset it, the peak is the process's so far.
            let _ = os::reset_peak_rss();
            let limit = lower_fd_limit(spec)?;
            let run = flat::run(spec, timer, heap, Arc::clone(&stats), interrupt);
            drop(limit);
            let (measured, sampled) = run?;
            Ok(output(spec, &measured, sampled, ideal, &stats, None))
        }
    }
}

fn run_crawl<O>(
    spec: &RunSpec,
    seeds: Option<Vec<Trace>>,
    observer: O,
    interrupt: &Interrupt,
    timer: Arc<dyn Timer>,
) -> Result<RunOutput, RunError>
where
    O: FnMut(&CrawlEvent<'_>),
{
    let prepared = prepare_crawl(spec, seeds, Arc::clone(&timer))?;
    let config = CrawlConfig {
        model: spec.model,
        max_concurrency: spec.concurrency,
        timeout: spec.timeout(),
        timer: spec.timeout().map(|_| timer),
        ..CrawlConfig::default()
    };
    let crawler = Crawler::new(prepared.registry, config).map_err(RunError::Crawl)?;
    let gauge = crawler.gauge();
    // Each run reports its own peak: forget the previous runs' high-water mark. Where
    // the OS cannot reset it, the peak is the process's so far.
    let _ = os::reset_peak_rss();
    prepared.stats.reset();
    let sampler = sample_crawl(spec, gauge)?;
    let limit = lower_fd_limit(spec)?;
    let watch = interrupt.watch(crawler.canceller());
    let started = Instant::now();
    let crawl = async_io::block_on(crawler.run(prepared.seeds, observer));
    drop(watch);
    drop(limit);
    let measured = Measured::of_crawl(&crawl, started.elapsed());
    let sampled = sampler.stop();
    Ok(output(
        spec,
        &measured,
        sampled,
        prepared.ideal,
        &prepared.stats,
        Some(crawl),
    ))
}

/// Starts sampling the process, with a crawl's live counters as the application's
/// gauges.
fn sample_crawl(spec: &RunSpec, gauge: GaugeReader) -> Result<Sampler, RunError> {
    Sampler::start(spec.sample_interval, move || {
        let g = gauge.read();
        AppGauges {
            in_flight: g.in_flight,
            queued: g.queued,
            completed: g.finished,
        }
    })
    .map_err(RunError::Sampler)
}

/// Lowers the limit of open file descriptors as `spec` asks, until the guard drops.
fn lower_fd_limit(spec: &RunSpec) -> Result<Option<FdLimitGuard>, RunError> {
    spec.fd_limit
        .map(fd_limit::lower)
        .transpose()
        .map_err(RunError::FdLimit)
}

/// The run's record, from what it measured inside and outside.
fn output(
    spec: &RunSpec,
    m: &Measured,
    sampled: SamplerReport,
    ideal: Duration,
    stats: &SleepStats,
    crawl: Option<CrawlReport>,
) -> RunOutput {
    let wall_s = m.wall.as_secs_f64();
    let sleeps = stats.snapshot();
    // The ideal is that of the whole run: an interrupted one has none.
    let ideal_s = if m.was_cancelled {
        0.0
    } else {
        ideal.as_secs_f64()
    };
    let record = RunRecord {
        model: spec.model.into(),
        workload: spec.workload.into(),
        traces: spec.traces as u64,
        concurrency: spec.concurrency as u64,
        wall_s,
        jobs: m.jobs,
        outcomes: m.outcomes,
        lost: m.lost,
        discovered: m.discovered,
        throughput_per_s: if wall_s > 0.0 {
            m.outcomes.finished() as f64 / wall_s
        } else {
            0.0
        },
        error_rate: if m.jobs == 0 {
            0.0
        } else {
            m.outcomes.errors() as f64 / m.jobs as f64
        },
        peak_in_flight: m.peak_in_flight,
        ideal_s,
        efficiency: if wall_s > 0.0 { ideal_s / wall_s } else { 0.0 },
        cpu_percent: sampled.mean_cpu_percent,
        peak_rss_bytes: sampled.peak_rss_bytes,
        peak_os_threads: sampled.peak_os_threads,
        latency_p50_ms: m.p50.as_secs_f64() * 1e3,
        latency_p99_ms: m.p99.as_secs_f64() * 1e3,
        timer_overshoot_us: stats.mean_overshoot_us(),
        timer_sleeps: sleeps.count,
        timer_requested_ms: mean_ms(sleeps.requested, sleeps.count),
        timer_actual_ms: mean_ms(
            sleeps.requested.saturating_add(sleeps.overshoot),
            sleeps.count,
        ),
        timer: spec.timer.into(),
        errors_by_kind: m.errors_by_kind.clone(),
        peak_open_fds: sampled.peak_open_fds,
        server_peak_requests: None,
        server_peak_connections: None,
    };
    RunOutput {
        record,
        series: sampled.samples,
        crawl,
        was_cancelled: m.was_cancelled,
        server_error: None,
    }
}

/// The mean of `count` durations adding up to `total`, in milliseconds (0 for none).
fn mean_ms(total: Duration, count: u64) -> f64 {
    if count == 0 {
        0.0
    } else {
        total.as_secs_f64() * 1e3 / count as f64
    }
}

/// Whether a run kept the pool's promises: for the pool, at most C calls in flight (and,
/// in an http run, at most C requests in progress at the server, plus the calls the
/// client abandoned at their deadline, which the server still holds until it notices);
/// for every model, no accepted call without an outcome. Returns the violations.
pub fn violations(record: &RunRecord) -> Vec<String> {
    let mut found = Vec::new();
    if record.model == Model::Pool && record.peak_in_flight > record.concurrency {
        found.push(format!(
            "pool exceeded its limit: peak in flight {} with C = {} ({} traces, {})",
            record.peak_in_flight, record.concurrency, record.traces, record.workload
        ));
    }
    if let Some(peak) = record.server_peak_requests {
        // Calls abandoned at their deadline linger at the server until it notices.
        let bound = record.concurrency + record.abandoned();
        if record.model == Model::Pool && peak > bound {
            found.push(format!(
                "pool exceeded its limit at the server: {peak} requests in progress with C = {} and {} calls abandoned at their deadline ({} traces, {})",
                record.concurrency,
                record.abandoned(),
                record.traces,
                record.workload
            ));
        }
    }
    if record.lost != 0 {
        found.push(format!(
            "{} lost {} accepted jobs without an outcome (C = {}, {} traces, {})",
            record.model, record.lost, record.concurrency, record.traces, record.workload
        ));
    }
    found
}
