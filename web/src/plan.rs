//! A validated run plan: what the Run button starts.

use std::fmt;
use std::time::Duration;

use tracepool::crawl::Model;
use tracepool::report::P99_OVER_MEAN;
use tracepool::report::record::Settings;
use tracepool::sim::SimConfig;

/// What a run crawls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Workload {
    /// The seeded synthetic trace graph: fan-out, cycles, long-tailed latency, failures.
    #[default]
    Crawl,
    /// N independent calls, latency uniform in [0.5 L, 1.5 L), no failures.
    Flat,
}

impl Workload {
    /// Both workloads, in the form's order.
    pub const ALL: [Workload; 2] = [Workload::Crawl, Workload::Flat];

    /// `crawl` or `flat`, as in run records.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Crawl => "crawl",
            Workload::Flat => "flat",
        }
    }

    /// The workload named `name`, if any.
    pub fn from_name(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == name)
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Every setting of a series of runs, validated by
/// [`Form::validate`](crate::form::Form::validate).
#[derive(Debug, Clone, PartialEq)]
pub struct RunPlan {
    /// Scenario name the runs are recorded under: a preset's name or `custom`.
    pub scenario: String,
    /// What to crawl.
    pub workload: Workload,
    /// Synthetic graph size (crawl) or number of calls (flat).
    pub traces: usize,
    /// The concurrency settings, ascending, without repeats.
    pub concurrencies: Vec<usize>,
    /// The models to run, in [`Model::ALL`] order.
    pub models: Vec<Model>,
    /// Mean simulated latency of one call, in milliseconds (0: no sleep at all).
    pub latency_ms: f64,
    /// Probability that a simulated call fails (crawl only).
    pub failure_rate: f64,
    /// Seed of the workload.
    pub seed: u64,
}

/// Interval between two samples of a run's time series, in milliseconds.
pub const SAMPLE_INTERVAL_MS: u32 = 50;

impl RunPlan {
    /// Every (model, concurrency) run, models in [`Model::ALL`] order within each
    /// concurrency, as the native runner orders a scenario's runs.
    pub fn runs(&self) -> Vec<(Model, usize)> {
        self.concurrencies
            .iter()
            .flat_map(|&c| self.models.iter().map(move |&m| (m, c)))
            .collect()
    }

    /// The settings recorded in a report of these runs.
    pub fn settings(&self) -> Settings {
        Settings {
            seed: self.seed,
            time_scale: 1.0,
            latency_ms: self.latency_ms,
            failure_rate: match self.workload {
                Workload::Crawl => self.failure_rate,
                Workload::Flat => 0.0,
            },
            timeout_ms: None,
            sample_interval_ms: f64::from(SAMPLE_INTERVAL_MS),
            ..Settings::default()
        }
    }

    /// The mean latency of one call.
    pub fn latency(&self) -> Duration {
        Duration::from_secs_f64(self.latency_ms / 1e3)
    }

    /// The simulated workload's configuration for a crawl.
    pub fn sim_config(&self) -> SimConfig {
        let mean = self.latency();
        SimConfig {
            seed: self.seed,
            traces: self.traces,
            latency_mean: mean,
            latency_p99: mean.mul_f64(P99_OVER_MEAN),
            failure_prob: self.failure_rate,
            panic_prob: 0.0,
            ..SimConfig::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> RunPlan {
        RunPlan {
            scenario: "custom".into(),
            workload: Workload::Crawl,
            traces: 100,
            concurrencies: vec![10, 20],
            models: vec![Model::Pool, Model::Unbounded],
            latency_ms: 20.0,
            failure_rate: 0.05,
            seed: 7,
        }
    }

    #[test]
    fn runs_list_models_within_each_limit() {
        assert_eq!(
            plan().runs(),
            [
                (Model::Pool, 10),
                (Model::Unbounded, 10),
                (Model::Pool, 20),
                (Model::Unbounded, 20)
            ]
        );
    }

    #[test]
    fn the_sim_config_is_valid_and_carries_the_plan() {
        let config = plan().sim_config();
        config.validate().unwrap();
        assert_eq!((config.seed, config.traces), (7, 100));
        assert_eq!(config.latency_p99, Duration::from_millis(200));
        assert_eq!(config.panic_prob, 0.0);
    }

    #[test]
    fn flat_settings_record_no_failures() {
        let flat = RunPlan {
            workload: Workload::Flat,
            ..plan()
        };
        assert_eq!(flat.settings().failure_rate, 0.0);
        assert_eq!(plan().settings().failure_rate, 0.05);
    }
}
