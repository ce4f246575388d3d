//! Run records and reports: the serde types every producer and consumer shares.
//!
//! The native runner writes them, the web app reads and writes them, the charts draw
//! them. A `report.json` therefore moves between the two. Field names are a public,
//! scripted-against interface: add fields, never rename or remove them without bumping
//! [`SCHEMA_VERSION`].

use serde::{Deserialize, Serialize};

/// Version of the JSON schema of [`RunRecord`] and reports. Bumped on any breaking change.
pub const SCHEMA_VERSION: u32 = 1;

/// One run of one model on one workload: the JSON object `tracepool-bench run --json`
/// prints, and the unit a report is made of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Scheduling model: `pool`, `previous` or `unbounded`.
    pub model: String,
    /// Workload: `crawl` or `flat`.
    pub workload: String,
    /// Synthetic graph size (crawl) or job count (flat).
    pub traces: u64,
    /// Configured concurrency limit C.
    pub concurrency: u64,
    /// Wall-clock time of the run, in seconds.
    pub wall_s: f64,
    /// Jobs accepted: (trace, plugin) calls.
    pub jobs: u64,
    /// Jobs that completed with a result.
    pub completed: u64,
    /// Jobs whose call failed.
    pub failed: u64,
    /// Jobs dropped at their deadline.
    pub timed_out: u64,
    /// Jobs that panicked.
    pub panicked: u64,
    /// Jobs cancelled before finishing.
    pub cancelled: u64,
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
    /// Mean CPU use of the process during the run (100 = one core).
    pub cpu_percent: f64,
    /// Peak resident set size of the process, from the OS.
    pub peak_rss_bytes: u64,
    /// Most OS threads of the process seen during the run.
    pub peak_os_threads: u64,
    /// Median job latency, in milliseconds.
    pub latency_p50_ms: f64,
    /// 99th percentile job latency, in milliseconds.
    pub latency_p99_ms: f64,
    /// Mean lateness of the simulated sleeps (actual minus requested), in microseconds.
    pub timer_overshoot_us: f64,
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
    /// OS threads of the process.
    pub os_threads: u64,
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
    /// 1-minute load average when the run started.
    pub load_avg_1m: f64,
}
