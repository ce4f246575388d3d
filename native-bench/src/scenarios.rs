//! The benchmarking plan's scenarios, defined once for the scenario runner and the
//! criterion benches.

use std::fmt;
use std::str::FromStr;

use tracepool::crawl::Model;

/// One of the plan's scenarios (section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scenario {
    /// 4.1: `DEEPER_MAX_CONCURRENCY` at its default of 10, 100 traces.
    Baseline,
    /// 4.2: C = 10, 20, 50, 100 on 1,000 traces.
    HighLoad,
    /// 4.3: C = 200 and 1,000 on 10,000 traces.
    Stress,
}

impl Scenario {
    /// Every scenario, in the plan's order.
    pub const ALL: [Scenario; 3] = [Scenario::Baseline, Scenario::HighLoad, Scenario::Stress];

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
            Scenario::Stress => 10_000,
        }
    }

    /// The concurrency settings the scenario sweeps.
    pub fn concurrencies(self) -> &'static [usize] {
        match self {
            Scenario::Baseline => &[10],
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
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scenario {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scenario::ALL
            .into_iter()
            .find(|sc| sc.name() == s)
            .ok_or_else(|| {
                format!("unknown scenario `{s}` (expected baseline, high-load or stress)")
            })
    }
}
