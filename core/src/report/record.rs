//! Run records and reports: the serde types every producer and consumer shares.
//!
//! The native runner writes them, the web app reads and writes them, the charts draw
//! them. A `report.json` therefore moves between the two. Field names are a public,
//! scripted-against interface: add fields, never rename or remove them without bumping
//! [`SCHEMA_VERSION`].
//!
//! A few OS figures are not available on every system (the OS threads of a process on
//! macOS and Windows, the peak RSS on Windows, the load average on Windows): those
//! fields are `Option`s, `null` in JSON where the system does not tell, and shown as
//! `n/a`; never a made-up 0.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Outcomes;
use crate::report::comparison::RunKey;
use crate::report::{ModelName, SleepTimer, TimerName, WorkloadName};

mod wire;

/// Version of the JSON schema of [`RunRecord`] and reports. Bumped on any breaking change.
///
/// Version 2: a report may hold several runs of one configuration (its repetitions,
/// [`Settings::repeat`]); readers take their median. Version 1 reports, one run per
/// configuration, are read as well ([`READ_VERSIONS`]).
pub const SCHEMA_VERSION: u32 = 2;

/// The schema versions [`Report::from_json`] reads.
pub const READ_VERSIONS: std::ops::RangeInclusive<u32> = 1..=SCHEMA_VERSION;

/// One run of one model on one workload: the JSON object `tracepool-bench run --json`
/// prints, and the unit a report is made of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "wire::RunRecordJson", into = "wire::RunRecordJson")]
pub struct RunRecord {
    /// Scheduling model: `pool`, `previous` or `unbounded` (another name is kept as
    /// written).
    pub model: ModelName,
    /// Workload: `crawl`, `flat` or `http` (another name is kept as written).
    pub workload: WorkloadName,
    /// Synthetic graph size (crawl) or job count (flat).
    pub traces: u64,
    /// Configured concurrency limit C: the API's `max_concurrency` (a `usize` in the
    /// program). Counts in records are `u64`, so that a record reads the same on a
    /// 32-bit target (the browser's wasm32) as on a 64-bit one.
    pub concurrency: u64,
    /// Wall-clock time of the run, in seconds: from the start of its first job (the
    /// crawl's seeds, the flat workload's jobs, the http client's first call) to the end
    /// of its last. What comes before is outside it: building the workload (the
    /// simulated graph, its plugins), computing `ideal_s` (the crawl's discrete-event
    /// simulation), starting the http server.
    pub wall_s: f64,
    /// Jobs accepted: (trace, plugin) calls.
    pub jobs: u64,
    /// How the jobs ended: `completed`, `failed`, `timed_out`, `panicked` and
    /// `cancelled`, written inline (as fields of the record itself).
    pub outcomes: Outcomes,
    /// Accepted jobs without an outcome. Always 0 in a correct run.
    pub lost: u64,
    /// Distinct traces found (seeds included).
    pub discovered: u64,
    /// Jobs finished per second of wall time.
    pub throughput_per_s: f64,
    /// (failed + timed_out + panicked) / jobs.
    pub error_rate: f64,
    /// Most jobs in flight at one instant.
    pub peak_in_flight: u64,
    /// Makespan of a perfect implementation of the same model, in seconds.
    pub ideal_s: f64,
    /// `ideal_s / wall_s`.
    pub efficiency: f64,
    /// Mean CPU use of the process during the run (100 = one core): its CPU time, every
    /// thread's, from the run's start to its stop, over that span of wall time. The
    /// span is that of `wall_s` (give or take the few microseconds spent starting and
    /// stopping the sampler), so `cpu_percent / 100 * wall_s` is the run's CPU time;
    /// the preparation `wall_s` leaves out is left out here too.
    pub cpu_percent: f64,
    /// Peak resident set size of the process during the run, from the OS; `None` where
    /// the OS does not tell it for the run.
    pub peak_rss_bytes: Option<u64>,
    /// Most OS threads of the process seen during the run; `None` where the OS does
    /// not tell them.
    pub peak_os_threads: Option<u64>,
    /// Median job latency, in milliseconds.
    pub latency_p50_ms: f64,
    /// 99th percentile job latency, in milliseconds.
    pub latency_p99_ms: f64,
    /// Mean lateness of the simulated sleeps (actual minus requested), in microseconds.
    pub timer_overshoot_us: f64,
    /// Number of simulated sleeps (calls with a non-zero latency).
    pub timer_sleeps: u64,
    /// Mean requested duration of the simulated sleeps, in milliseconds.
    pub timer_requested_ms: f64,
    /// Mean actual duration of the simulated sleeps, in milliseconds.
    pub timer_actual_ms: f64,
    /// The timer behind the simulated sleeps: `reactor` (async-io's timer),
    /// `finishing` (the same, finished by yielding until the deadline) or `heap` (a
    /// heap of deadlines on one async-io timer per thread); another name is kept as
    /// written. Records written before this field existed used `reactor`.
    pub timer: TimerName,
    /// Failed calls by kind: a plugin error's kind (`network`, `timeout`, `exhausted`,
    /// `http_429`, `http_503`, ...), `timed_out` for calls dropped at the deadline and
    /// `panicked`. Its counts add up to `failed + timed_out + panicked`. Empty in records
    /// written before this field existed, and left out of the JSON when empty.
    pub errors_by_kind: BTreeMap<String, u64>,
    /// Most open file descriptors of the process seen during the run (the client's, in
    /// an http run: the server is another process). `None` where not measured (older
    /// records, the browser).
    pub peak_open_fds: Option<u64>,
    /// Most plugin calls in progress at the http workload's server at one instant, as
    /// the server counted them: the limit seen from the other end of the wire. For the
    /// pool, at most C plus the calls the client [abandoned](Self::abandoned) at its
    /// deadline (the server works on those until it notices the closed connection).
    /// `None` for the other workloads.
    pub server_peak_requests: Option<u64>,
    /// Most connections open at the http workload's server at one instant. `None` for
    /// the other workloads.
    pub server_peak_connections: Option<u64>,
}

impl RunRecord {
    /// Calls the client gave up at a deadline: dropped by the engine (`timed_out`) or
    /// by the plugin's own (`errors_by_kind["timeout"]`). A server keeps working on
    /// such a call until it notices the closed connection, so it may count up to this
    /// many requests in progress beyond the client's C.
    ///
    /// # Examples
    ///
    /// ```
    /// # use tracepool::report::record::RunRecord;
    /// # fn check(record: &RunRecord) {
    /// let bound = record.concurrency + record.abandoned();
    /// if let Some(peak) = record.server_peak_requests {
    ///     println!("server peak {peak}, at most {bound} for the pool");
    /// }
    /// # }
    /// ```
    pub fn abandoned(&self) -> u64 {
        self.outcomes.timed_out + self.errors_by_kind.get("timeout").copied().unwrap_or(0)
    }
}

fn reactor() -> TimerName {
    SleepTimer::Reactor.into()
}

/// One sample of a run's time series, taken every few tens of milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Seconds since the run started.
    pub t_s: f64,
    /// CPU use of the process since the previous sample (100 = one core).
    pub cpu_percent: f64,
    /// Resident set size, in bytes.
    pub rss_bytes: u64,
    /// OS threads of the process; `None` where the OS does not tell them.
    pub os_threads: Option<u64>,
    /// Jobs in flight.
    pub in_flight: u64,
    /// Jobs waiting in the queue.
    pub queued: u64,
    /// Jobs finished so far.
    pub completed: u64,
}

/// Where a report was measured, so that two reports can be compared knowingly.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    /// CPU model name.
    pub cpu_model: String,
    /// Logical cores available to the process.
    pub cores: u64,
    /// Operating system and kernel.
    pub os: String,
    /// Version of the Rust compiler that built the runner.
    pub rustc: String,
    /// Git commit of the project that was measured (`unknown` outside a checkout).
    pub git_commit: String,
    /// When the report was started, RFC 3339 in UTC.
    pub timestamp: String,
    /// 1-minute load average when the run started; `None` where the OS has none.
    pub load_avg_1m: Option<f64>,
    /// 1-minute load average when the runs ended; `None` when not measured (reports
    /// of schema version 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_avg_1m_end: Option<f64>,
    /// Share of CPU time stolen by the hypervisor while the runs ran, in percent of all
    /// CPU time; `None` where the OS does not report it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_steal_percent: Option<f64>,
    /// The machine's memory latency, probed before the first run and after each round
    /// of a scenario's runs: nanoseconds per read of a random place in 64 MiB, each
    /// read's address given by the one before. Empty where not measured (off Linux, in
    /// the browser, and in reports written before it was added).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub memory_latency_ns: Vec<f64>,
}

impl Environment {
    /// How far apart the memory-latency probes may be before the machine counts as
    /// busy: the highest more than 1.25 times the lowest.
    pub const MEMORY_LATENCY_SPREAD: f64 = 1.25;

    /// The memory-latency probes that count: the finite, positive ones, in order.
    pub fn memory_latency_probes(&self) -> impl Iterator<Item = f64> + '_ {
        self.memory_latency_ns
            .iter()
            .copied()
            .filter(|ns| ns.is_finite() && *ns > 0.0)
    }

    /// The lowest and the highest of the [memory-latency
    /// probes](Self::memory_latency_probes); `None` without one.
    pub fn memory_latency_range(&self) -> Option<(f64, f64)> {
        self.memory_latency_probes()
            .fold(None, |range, ns| match range {
                None => Some((ns, ns)),
                Some((low, high)) => Some((f64::min(low, ns), f64::max(high, ns))),
            })
    }

    /// Why the machine counts as busy while the report ran: a load average (at the
    /// start or the end) above the core count, CPU steal above 1 %, or memory-latency
    /// probes further apart than [`MEMORY_LATENCY_SPREAD`](Self::MEMORY_LATENCY_SPREAD)
    /// (on a virtual machine, the host's memory loaded by others, which neither of the
    /// others shows); `None` when none was seen. Timings of a busy machine are noisier
    /// and slower.
    ///
    /// # Examples
    ///
    /// ```
    /// use tracepool::report::record::Environment;
    ///
    /// let quiet = Environment { cores: 2, load_avg_1m: Some(0.5), ..Environment::default() };
    /// assert_eq!(quiet.busy(), None);
    /// let busy = Environment { cores: 2, load_avg_1m: Some(3.3), ..Environment::default() };
    /// assert!(busy.busy().unwrap().contains("3.30"));
    /// ```
    pub fn busy(&self) -> Option<String> {
        let mut why = Vec::new();
        let load = self
            .load_avg_1m
            .into_iter()
            .chain(self.load_avg_1m_end)
            .fold(f64::NEG_INFINITY, f64::max);
        if self.cores > 0 && load > self.cores as f64 {
            why.push(format!(
                "the 1-minute load average reached {load:.2} on {} cores",
                self.cores
            ));
        }
        if let Some(steal) = self.cpu_steal_percent.filter(|&s| s > 1.0) {
            why.push(format!(
                "{steal:.1} % of the CPU time was stolen by the hypervisor"
            ));
        }
        if let Some((low, high)) = self
            .memory_latency_range()
            .filter(|&(low, high)| high > low * Self::MEMORY_LATENCY_SPREAD)
        {
            why.push(format!(
                "its memory latency varied from {low:.0} to {high:.0} ns per random read \
                 between probes"
            ));
        }
        (!why.is_empty()).then(|| why.join(" and "))
    }
}

/// The settings a report was produced with, so that a reader can reproduce it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Seed of the synthetic workload (graph shape, latencies, failures).
    pub seed: u64,
    /// Factor applied to every simulated latency (1.0 = as modelled, 0.1 = ten times faster).
    pub time_scale: f64,
    /// Mean simulated latency of one plugin call, in milliseconds, before scaling.
    pub latency_ms: f64,
    /// Probability that a simulated plugin call fails.
    pub failure_rate: f64,
    /// Per-job deadline, in milliseconds; `None` when jobs have no deadline.
    pub timeout_ms: Option<f64>,
    /// Interval between two samples of a run's time series, in milliseconds.
    pub sample_interval_ms: f64,
    /// How many times each configuration ran (1 in reports of schema version 1).
    #[serde(default = "one")]
    pub repeat: u32,
    /// A scenario's own factor on [`time_scale`](Self::time_scale), by scenario name;
    /// a scenario not listed runs at the report's time scale.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub scenario_time_scales: std::collections::BTreeMap<String, f64>,
}

fn one() -> u32 {
    1
}

impl Settings {
    /// The time scale the runs of `scenario` ran at: the report's, times the
    /// scenario's own factor.
    pub fn time_scale_of(&self, scenario: &str) -> f64 {
        self.time_scale
            * self
                .scenario_time_scales
                .get(scenario)
                .copied()
                .unwrap_or(1.0)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            seed: 0,
            time_scale: 1.0,
            latency_ms: 0.0,
            failure_rate: 0.0,
            timeout_ms: None,
            sample_interval_ms: 50.0,
            repeat: 1,
            scenario_time_scales: std::collections::BTreeMap::new(),
        }
    }
}

/// One run of a scenario: the run's record and its sampled time series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioRun {
    /// Scenario the run belongs to: `baseline`, `high-load` or `stress`.
    pub scenario: String,
    /// The run's summary numbers.
    pub record: RunRecord,
    /// Samples taken during the run, in time order. May be empty.
    #[serde(default)]
    pub series: Vec<Sample>,
}

impl ScenarioRun {
    /// The identity used to match this run against a run of another report.
    pub fn key(&self) -> RunKey {
        RunKey {
            scenario: self.scenario.clone(),
            model: self.record.model.clone(),
            workload: self.record.workload.clone(),
            traces: self.record.traces,
            concurrency: self.record.concurrency,
        }
    }
}

/// What the measurements say about one objective of the benchmarking plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The measurements support the objective's claim.
    Supported,
    /// The measurements contradict the objective's claim.
    NotSupported,
    /// The measurements do not allow a conclusion.
    Inconclusive,
}

/// One finding: an objective, its verdict and the reasoning behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The objective, as the plan states it.
    pub objective: String,
    /// What the measurements say.
    pub verdict: Verdict,
    /// Explanation, citing the numbers it rests on.
    pub text: String,
}

/// A recommended configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// Scheduling model to use.
    pub model: ModelName,
    /// Concurrency limit C to configure.
    pub concurrency: u64,
    /// Why, citing the numbers it rests on.
    pub reason: String,
}

/// A complete benchmark report: where and how it was measured, every run, and what
/// follows from them. This is the content of `report.json`.
///
/// # Examples
///
/// ```
/// use tracepool::report::record::{Environment, Report, Settings};
///
/// let report = Report::new("0.1.0", Environment::default(), Settings::default());
/// let json = report.to_json_pretty();
/// assert_eq!(Report::from_json(&json).unwrap(), report);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Schema version of this document; [`SCHEMA_VERSION`] when written by this crate.
    pub schema_version: u32,
    /// Version of the tool that produced the report.
    pub tool_version: String,
    /// Where the report was measured.
    pub environment: Environment,
    /// Settings of the workload.
    pub settings: Settings,
    /// Every run, in the order they were made.
    #[serde(default)]
    pub runs: Vec<ScenarioRun>,
    /// What the runs say about the plan's objectives.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// Recommended configurations.
    #[serde(default)]
    pub recommendations: Vec<Recommendation>,
}

/// A document's `schema_version`: any non-negative integer, read before the version is
/// checked. (Read without `serde_json::Value`, which the browser app would otherwise
/// carry for this one field.)
struct Version(u64);

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Version;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a non-negative integer as schema_version")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Version, E> {
                Ok(Version(v))
            }
        }
        deserializer.deserialize_u64(Visitor)
    }
}

/// Why a `report.json` could not be read.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReportError {
    /// The text is not valid JSON or does not have the shape of a report.
    Json(serde_json::Error),
    /// The document has no `schema_version` field.
    MissingSchemaVersion,
    /// The document was written with a schema version this crate does not read.
    UnsupportedSchemaVersion {
        /// The version found in the document.
        found: u64,
        /// The version this crate reads and writes.
        supported: u32,
    },
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Json(e) => write!(f, "invalid report json: {e}"),
            Self::MissingSchemaVersion => write!(f, "report has no schema_version field"),
            Self::UnsupportedSchemaVersion { found, supported } => write!(
                f,
                "unsupported report schema version {found} (this version reads 1 to {supported})"
            ),
        }
    }
}

impl std::error::Error for ReportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Json(e) => Some(e),
            _ => None,
        }
    }
}

impl From<serde_json::Error> for ReportError {
    fn from(e: serde_json::Error) -> Self {
        Self::Json(e)
    }
}

impl Report {
    /// An empty report of the current [`SCHEMA_VERSION`].
    pub fn new(
        tool_version: impl Into<String>,
        environment: Environment,
        settings: Settings,
    ) -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            tool_version: tool_version.into(),
            environment,
            settings,
            runs: Vec::new(),
            findings: Vec::new(),
            recommendations: Vec::new(),
        }
    }

    /// Reads a report from JSON.
    ///
    /// The schema version is checked before anything else, so that a report of another
    /// version is rejected as such rather than with a confusing missing-field error.
    ///
    /// # Errors
    ///
    /// [`ReportError::MissingSchemaVersion`] or [`ReportError::UnsupportedSchemaVersion`]
    /// when the version is absent or not one of [`READ_VERSIONS`]; [`ReportError::Json`]
    /// when the text is not a well-formed report. The version read is kept.
    pub fn from_json(json: &str) -> Result<Self, ReportError> {
        #[derive(Deserialize)]
        struct Probe {
            schema_version: Option<Version>,
        }
        let probe: Probe = serde_json::from_str(json)?;
        let Version(version) = probe
            .schema_version
            .ok_or(ReportError::MissingSchemaVersion)?;
        if READ_VERSIONS.contains(&u32::try_from(version).unwrap_or(u32::MAX)) {
            Ok(serde_json::from_str(json)?)
        } else {
            Err(ReportError::UnsupportedSchemaVersion {
                found: version,
                supported: SCHEMA_VERSION,
            })
        }
    }

    /// The report as indented JSON, as written to `report.json`.
    pub fn to_json_pretty(&self) -> String {
        // Serialising these plain types cannot fail: every map key is a string.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Distinct scenario names, in order of first appearance.
    pub fn scenarios(&self) -> Vec<&str> {
        distinct(self.runs.iter().map(|r| r.scenario.as_str()))
    }

    /// Distinct models, in order of first appearance.
    pub fn models(&self) -> Vec<&ModelName> {
        distinct(self.runs.iter().map(|r| &r.record.model))
    }

    /// The runs of one scenario, in report order.
    pub fn runs_of<'a>(&'a self, scenario: &'a str) -> impl Iterator<Item = &'a ScenarioRun> + 'a {
        self.runs.iter().filter(move |r| r.scenario == scenario)
    }
}

fn distinct<'a, T: PartialEq + ?Sized>(items: impl Iterator<Item = &'a T>) -> Vec<&'a T> {
    let mut out: Vec<&T> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}
