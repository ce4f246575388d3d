//! The benchmarking plan's scenarios and the native runner's workload defaults, as the
//! form's one-click presets.
//!
//! These values are those of the native runner (`tracepool-bench`), so that a preset
//! run in the browser measures what `tracepool-bench report --scenario NAME` measures.
//! This module is the only place of the app that knows them: when core exposes the
//! scenario definitions, [`PRESETS`] becomes a mapping of core's list.

/// One of the plan's scenarios, as a preset of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    /// The scenario's name in reports: `baseline`, `high-load`, `stress`.
    pub name: &'static str,
    /// What the plan says the scenario is for.
    pub summary: &'static str,
    /// Number of traces in the synthetic graph.
    pub traces: usize,
    /// The concurrency settings the scenario sweeps.
    pub concurrencies: &'static [usize],
}

/// The plan's three scenarios, in its order (section 4).
pub const PRESETS: [Preset; 3] = [
    Preset {
        name: "baseline",
        summary: "C at its default of 10, 100 traces",
        traces: 100,
        concurrencies: &[10],
    },
    Preset {
        name: "high-load",
        summary: "C = 10, 20, 50, 100 on 1,000 traces",
        traces: 1_000,
        concurrencies: &[10, 20, 50, 100],
    },
    Preset {
        name: "stress",
        summary: "C = 200 and 1,000 on 10,000 traces",
        traces: 10_000,
        concurrencies: &[200, 1_000],
    },
];

/// The scenario name of runs whose traces and limits match no preset.
pub const CUSTOM: &str = "custom";

/// Mean simulated latency of one plugin call, in milliseconds.
pub const DEFAULT_LATENCY_MS: f64 = 20.0;

/// Probability that a simulated call fails.
pub const DEFAULT_FAILURE_RATE: f64 = 0.05;

/// Seed of the synthetic workload.
pub const DEFAULT_SEED: u64 = 42;

/// The simulated latency's 99th percentile, as a multiple of its mean: a long tail, as
/// network calls have.
pub const P99_OVER_MEAN: f64 = 10.0;

/// The preset whose traces and concurrency settings are exactly these, if any.
pub fn matching(traces: usize, concurrencies: &[usize]) -> Option<&'static Preset> {
    PRESETS
        .iter()
        .find(|p| p.traces == traces && p.concurrencies == concurrencies)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preset_matches_only_its_own_values() {
        assert_eq!(
            matching(1_000, &[10, 20, 50, 100]).map(|p| p.name),
            Some("high-load")
        );
        assert_eq!(matching(1_000, &[10, 20, 50]), None);
        assert_eq!(matching(100, &[20]), None);
    }
}
