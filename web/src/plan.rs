//! A validated run plan: what the Run button starts.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use tracepool::crawl::Model;
use tracepool::report::record::Settings;
use tracepool::report::{P99_OVER_MEAN, Scenario};
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
        // Every scenario's own factor, as the native runner's report lists them: the same
        // for every plan, so that a preset does not count as other settings. (Inserted
        // one by one: collecting would add a sort to the bundle.)
        let mut scenario_time_scales = BTreeMap::new();
        for scenario in Scenario::ALL {
            if scenario.time_scale() != 1.0 {
                scenario_time_scales.insert(scenario.name().to_owned(), scenario.time_scale());
            }
        }
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
            scenario_time_scales,
            ..Settings::default()
        }
    }

    /// The factor on the simulated latencies: the plan's scenario's own
    /// ([`Scenario::time_scale`], as the native runner applies it), 1 for custom runs.
    pub fn time_scale(&self) -> f64 {
        Scenario::ALL
            .into_iter()
            .find(|s| s.name() == self.scenario)
            .map_or(1.0, Scenario::time_scale)
    }

    /// The mean latency of one call, before [`time_scale`](Self::time_scale).
    pub fn latency(&self) -> Duration {
        Duration::from_secs_f64(self.latency_ms / 1e3)
    }

    /// The mean latency of one call, [`time_scale`](Self::time_scale) applied: the
    /// flat workload's.
    pub fn scaled_latency(&self) -> Duration {
        Duration::from_secs_f64(self.latency_ms * self.time_scale() / 1e3)
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
            time_scale: self.time_scale(),
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
    fn the_stress_preset_scales_latencies_like_the_native_runner() {
        let stress = RunPlan {
            scenario: Scenario::Stress.name().into(),
            ..plan()
        };
        assert_eq!(stress.time_scale(), 0.25);
        let config = stress.sim_config();
        config.validate().unwrap();
        assert_eq!(config.time_scale, 0.25);
        // The mean is recorded before scaling, as the native runner records it.
        assert_eq!(config.latency_mean, Duration::from_millis(20));
        assert_eq!(stress.scaled_latency(), Duration::from_millis(5));
        assert_eq!(stress.settings().time_scale_of("stress"), 0.25);

        for scenario in ["custom", "baseline", "high-load"] {
            let other = RunPlan {
                scenario: scenario.into(),
                ..plan()
            };
            assert_eq!(other.time_scale(), 1.0, "{scenario}");
            assert_eq!(other.sim_config().time_scale, 1.0, "{scenario}");
            assert_eq!(other.scaled_latency(), other.latency(), "{scenario}");
            assert_eq!(other.settings().time_scale_of(scenario), 1.0, "{scenario}");
            // Switching to the stress preset does not count as other settings.
            assert_eq!(other.settings(), stress.settings(), "{scenario}");
        }
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
