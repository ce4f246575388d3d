//! The parameters of the simulated workload and their validation.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The largest graph a [`SimConfig`] accepts (node indices are `u32`).
pub const MAX_TRACES: usize = 100_000_000;

/// The largest ratio `latency_p99 / latency_mean` a log-normal latency can have
/// (`exp(z99² / 2)` with `z99` the 99th percentile of the standard normal).
pub const MAX_P99_OVER_MEAN: f64 = 14.9;

/// The standard normal's 99th percentile.
pub(crate) const Z99: f64 = 2.326_347_874_040_841;

/// Parameters of a [`SimWorkload`](super::SimWorkload).
///
/// Plain data with public fields; [`SimConfig::default`] is a small, realistic crawl.
/// [`validate`](SimConfig::validate) (called by `SimWorkload::new`) checks every field.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tracepool::sim::SimConfig;
///
/// let config = SimConfig {
///     traces: 10_000,
///     latency_mean: Duration::from_millis(20),
///     latency_p99: Duration::from_millis(200),
///     ..SimConfig::default()
/// };
/// assert!(config.validate().is_ok());
///
/// let bad = SimConfig { failure_prob: 1.5, ..SimConfig::default() };
/// assert_eq!(bad.validate().unwrap_err().field(), "failure_prob");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimConfig {
    /// Seed of every random choice: graph shape, values, latencies, failures.
    pub seed: u64,
    /// Number of distinct traces reachable from the seeds when no call fails
    /// (1 to [`MAX_TRACES`]).
    pub traces: usize,
    /// Number of seed traces (1 to `traces`).
    pub seed_traces: usize,
    /// Multiplier of every plugin's mean number of new traces per call (0 to 1000).
    /// Larger values give a wider, shallower graph.
    pub fan_out: f64,
    /// Mean number of extra results per call that point at traces which already exist
    /// elsewhere in the graph (duplicates and cycles, for dedup), 0 to 100.
    pub duplicate_edges: f64,
    /// Mean latency of a call doing I/O, before `time_scale`.
    pub latency_mean: Duration,
    /// 99th percentile of the latency, before `time_scale`: from `latency_mean` (every
    /// call takes exactly the mean) to [`MAX_P99_OVER_MEAN`] times it. Latency is
    /// log-normal.
    pub latency_p99: Duration,
    /// Probability that a call fails with a [`PluginError`](crate::plugin::PluginError), in [0, 1].
    pub failure_prob: f64,
    /// Probability that a call panics, in [0, 1]; `failure_prob + panic_prob` must not
    /// exceed 1.
    pub panic_prob: f64,
    /// Busy CPU time spent by each call after its sleep (not scaled), at most 1 s.
    pub cpu_per_call: Duration,
    /// Factor applied to every latency (0 to 1,000,000): 0.1 runs ten times faster.
    pub time_scale: f64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 42,
            traces: 1_000,
            seed_traces: 1,
            fan_out: 1.0,
            duplicate_edges: 0.5,
            latency_mean: Duration::from_millis(50),
            latency_p99: Duration::from_millis(500),
            failure_prob: 0.05,
            panic_prob: 0.0,
            cpu_per_call: Duration::ZERO,
            time_scale: 1.0,
        }
    }
}

impl SimConfig {
    /// Checks every field.
    ///
    /// # Errors
    ///
    /// The first invalid field, as a [`SimConfigError`] naming it, its value and the
    /// accepted range.
    pub fn validate(&self) -> Result<(), SimConfigError> {
        let err = |field, value: String, accepted| {
            Err(SimConfigError {
                field,
                value,
                accepted,
            })
        };
        if self.traces == 0 || self.traces > MAX_TRACES {
            return err("traces", self.traces.to_string(), "1 to 100,000,000");
        }
        if self.seed_traces == 0 || self.seed_traces > self.traces {
            return err("seed_traces", self.seed_traces.to_string(), "1 to `traces`");
        }
        if !in_range(self.fan_out, 0.0, 1000.0) {
            return err("fan_out", self.fan_out.to_string(), "a number in [0, 1000]");
        }
        if !in_range(self.duplicate_edges, 0.0, 100.0) {
            return err(
                "duplicate_edges",
                self.duplicate_edges.to_string(),
                "a number in [0, 100]",
            );
        }
        if self.latency_mean > Duration::from_secs(3600) {
            return err("latency_mean", seconds(self.latency_mean), "at most 1 hour");
        }
        let ratio_ok = if self.latency_mean.is_zero() {
            self.latency_p99.is_zero()
        } else {
            self.latency_p99 >= self.latency_mean
                && self.latency_p99.as_secs_f64()
                    <= self.latency_mean.as_secs_f64() * MAX_P99_OVER_MEAN
        };
        if !ratio_ok {
            return err(
                "latency_p99",
                seconds(self.latency_p99),
                "from latency_mean to 14.9 times latency_mean",
            );
        }
        if !in_range(self.failure_prob, 0.0, 1.0) {
            return err(
                "failure_prob",
                self.failure_prob.to_string(),
                "a probability in [0, 1]",
            );
        }
        if !in_range(self.panic_prob, 0.0, 1.0 - self.failure_prob) {
            return err(
                "panic_prob",
                self.panic_prob.to_string(),
                "a probability in [0, 1 - failure_prob]",
            );
        }
        if self.cpu_per_call > Duration::from_secs(1) {
            return err("cpu_per_call", seconds(self.cpu_per_call), "at most 1 s");
        }
        if !in_range(self.time_scale, 0.0, 1e6) {
            return err(
                "time_scale",
                self.time_scale.to_string(),
                "a number in [0, 1000000]",
            );
        }
        Ok(())
    }

    /// The log-normal parameters (mu, sigma) of the unscaled latency in seconds, or
    /// `None` when the latency is always zero.
    pub(crate) fn lognormal(&self) -> Option<(f64, f64)> {
        let mean = self.latency_mean.as_secs_f64();
        if mean <= 0.0 {
            return None;
        }
        let p99 = self.latency_p99.as_secs_f64().max(mean);
        // mean = exp(mu + s²/2), p99 = exp(mu + z s)  =>  s²/2 - z s + ln(p99/mean) = 0;
        // the smaller root keeps the distribution's bulk around the mean.
        let gap = (p99 / mean).ln();
        let disc = (Z99 * Z99 - 2.0 * gap).max(0.0);
        let sigma = Z99 - disc.sqrt();
        let mu = mean.ln() - sigma * sigma / 2.0;
        Some((mu, sigma))
    }
}

fn in_range(x: f64, lo: f64, hi: f64) -> bool {
    x.is_finite() && x >= lo && x <= hi
}

/// An invalid [`SimConfig`] field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfigError {
    field: &'static str,
    value: String,
    accepted: &'static str,
}

impl SimConfigError {
    /// The name of the invalid field (`failure_prob`).
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// The rejected value, as text.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// What the field accepts.
    pub fn accepted(&self) -> &'static str {
        self.accepted
    }
}

/// A duration as a value in an error message, in seconds (`Duration`'s `Debug`, with
/// its own decimal formatting, would add its code to the browser bundle for three
/// messages).
fn seconds(duration: Duration) -> String {
    format!("{} s", duration.as_secs_f64())
}

impl fmt::Display for SimConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid `{}`: {} (accepted: {})",
            self.field, self.value, self.accepted
        )
    }
}

impl std::error::Error for SimConfigError {}
