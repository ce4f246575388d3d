//! The benchmarking plan's scenarios and the workload settings they run with, defined
//! once for the native runner, the criterion benches, the findings and the browser app.

use std::fmt;
use std::str::FromStr;

use crate::crawl::{DEFAULT_MAX_CONCURRENCY, Model};
use crate::report::record::Report;
use crate::report::{KnownName, UnknownNameError};

/// Mean simulated latency of one plugin call, in milliseconds, before the time scale.
pub const DEFAULT_LATENCY_MS: f64 = 20.0;
/// The simulated latency's 99th percentile, as a multiple of its mean: a long tail, as
/// network calls have.
pub const P99_OVER_MEAN: f64 = 10.0;
/// Probability that a simulated plugin call fails.
pub const DEFAULT_FAILURE_RATE: f64 = 0.05;
/// Factor applied to every simulated latency (1 = as modelled).
pub const DEFAULT_TIME_SCALE: f64 = 1.0;
/// Seed of the synthetic workload.
pub const DEFAULT_SEED: u64 = 42;

/// One of the plan's scenarios (section 4): a graph size and the concurrency limits it
/// runs every model at, on the seeded synthetic crawl with the default settings above.
///
/// # Examples
///
/// ```
/// use tracepool::crawl::Model;
/// use tracepool::report::Scenario;
///
/// let high_load: Scenario = "high-load".parse()?;
/// assert_eq!(high_load.traces(), 1_000);
/// assert_eq!(high_load.concurrencies(), [10, 20, 50, 100]);
/// assert_eq!(high_load.runs().next(), Some((Model::Pool, 10)));
/// assert_eq!(Scenario::SWEEP, high_load);
/// # Ok::<(), tracepool::report::UnknownNameError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scenario {
    /// 4.1: `DEEPER_MAX_CONCURRENCY` at its default of 10
    /// ([`DEFAULT_MAX_CONCURRENCY`]), 100 traces.
    Baseline,
    /// 4.2: C = 10, 20, 50, 100 on 1,000 traces: the plan's sweep over C.
    HighLoad,
    /// 4.3: C = 200 and 1,000 on 50,000 traces, latencies scaled by 0.25: a workload
    /// wider than its largest C (the unbounded model peaks at more than 2,000 calls in
    /// flight), so that the limit binds.
    Stress,
}

impl Scenario {
    /// Every scenario, in the plan's order.
    pub const ALL: [Scenario; 3] = [Scenario::Baseline, Scenario::HighLoad, Scenario::Stress];

    /// The scenario the plan sweeps the concurrency limit in: [`Scenario::HighLoad`].
    /// See [`Scenario::sweep_of`].
    pub const SWEEP: Scenario = Scenario::HighLoad;

    /// The name used on the command line and in reports: `baseline`, `high-load`,
    /// `stress`.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Baseline => "baseline",
            Scenario::HighLoad => "high-load",
            Scenario::Stress => "stress",
        }
    }

    /// The criterion group name: `baseline`, `high_load`, `stress`.
    pub fn group_name(self) -> &'static str {
        match self {
            Scenario::Baseline => "baseline",
            Scenario::HighLoad => "high_load",
            Scenario::Stress => "stress",
        }
    }

    /// Number of traces in the synthetic graph.
    pub fn traces(self) -> usize {
        match self {
            Scenario::Baseline => 100,
            Scenario::HighLoad => 1_000,
            Scenario::Stress => 50_000,
        }
    }

    /// The scenario's own factor on the simulated latencies, applied on top of the
    /// report's time scale: 0.25 for [`Scenario::Stress`], whose 50,000-trace graph
    /// would otherwise take minutes under the previous model; 1 for the others.
    ///
    /// The graph's shape, and so its width, does not depend on it.
    pub fn time_scale(self) -> f64 {
        match self {
            Scenario::Baseline | Scenario::HighLoad => 1.0,
            Scenario::Stress => 0.25,
        }
    }

    /// The concurrency limits the scenario runs at, ascending.
    pub fn concurrencies(self) -> &'static [usize] {
        match self {
            Scenario::Baseline => &[DEFAULT_MAX_CONCURRENCY],
            Scenario::HighLoad => &[10, 20, 50, 100],
            Scenario::Stress => &[200, 1_000],
        }
    }

    /// Every (model, concurrency) run of the scenario, models in [`Model::ALL`] order
    /// within each concurrency.
    pub fn runs(self) -> impl Iterator<Item = (Model, usize)> {
        self.concurrencies()
            .iter()
            .flat_map(|&c| Model::ALL.into_iter().map(move |m| (m, c)))
    }

    /// The scenario of `report` that sweeps the concurrency limit: the one whose runs
    /// the throughput curves, the various-loads finding and the recommendations read.
    ///
    /// It is [`Scenario::SWEEP`] (`high-load`) when the report ran it at two limits or
    /// more; otherwise the scenario run at the most distinct limits (the first in
    /// report order on a tie), which may be a scenario of another name. `None` for a
    /// report without runs.
    ///
    /// # Examples
    ///
    /// ```
    /// use tracepool::report::Scenario;
    /// use tracepool::report::record::{Environment, Report, Settings};
    ///
    /// let report = Report::new("0.1.0", Environment::default(), Settings::default());
    /// assert_eq!(Scenario::sweep_of(&report), None);
    /// ```
    pub fn sweep_of(report: &Report) -> Option<&str> {
        let limits = |scenario: &str| {
            let mut limits = super::order::sorted(
                report
                    .runs_of(scenario)
                    .map(|r| r.record.concurrency)
                    .collect(),
            );
            limits.dedup();
            limits.len()
        };
        let scenarios = report.scenarios();
        if let Some(&sweep) = scenarios.iter().find(|&&s| s == Self::SWEEP.name()) {
            if limits(sweep) >= 2 {
                return Some(sweep);
            }
        }
        let mut best: Option<(&str, usize)> = None;
        for scenario in scenarios {
            let n = limits(scenario);
            if best.is_none_or(|(_, most)| n > most) {
                best = Some((scenario, n));
            }
        }
        best.map(|(s, _)| s)
    }
}

impl KnownName for Scenario {
    const KIND: &'static str = "scenario";
    const ALL: &'static [Self] = &Scenario::ALL;

    fn name(self) -> &'static str {
        self.name()
    }

    fn summary(self) -> &'static str {
        match self {
            Scenario::Baseline => "C = 10, 100 traces",
            Scenario::HighLoad => "C = 10, 20, 50, 100; 1,000 traces",
            Scenario::Stress => "C = 200, 1,000; 50,000 traces, latencies x 0.25",
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scenario {
    type Err = UnknownNameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_name(s)
    }
}
