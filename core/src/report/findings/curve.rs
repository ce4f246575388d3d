//! Throughput curves: one point per concurrency limit, and their knee.

use super::KNEE_SHARE;
use super::runs::{median_of, overlaps, spread_of};
use crate::report::format::available;
use crate::report::record::{Report, ScenarioRun};
use crate::report::{ModelName, Scenario};

/// One point of a throughput curve: medians of the runs of one model at one C.
#[derive(Debug, Clone, Copy)]
pub(super) struct CurvePoint {
    pub(super) concurrency: u64,
    pub(super) traces: u64,
    pub(super) throughput: f64,
    /// The min-max spread of the throughput over the repetitions.
    pub(super) throughput_spread: (f64, f64),
    /// Not-a-number where no run at this C has it.
    pub(super) peak_rss_bytes: f64,
    pub(super) cpu_percent: f64,
}

/// The runs of `model` in `scenario`, as one point per C, sorted by C.
pub(super) fn curve(report: &Report, scenario: &str, model: &ModelName) -> Vec<CurvePoint> {
    let runs: Vec<&ScenarioRun> = report
        .runs_of(scenario)
        .filter(|r| r.record.model == *model)
        .collect();
    let mut cs = crate::report::order::sorted(runs.iter().map(|r| r.record.concurrency).collect());
    cs.dedup();
    cs.into_iter()
        .filter_map(|c| {
            let at: Vec<&ScenarioRun> = runs
                .iter()
                .copied()
                .filter(|r| r.record.concurrency == c)
                .collect();
            Some(CurvePoint {
                concurrency: c,
                traces: at[0].record.traces,
                throughput: median_of(&at, |r| r.record.throughput_per_s)?,
                throughput_spread: spread_of(&at, |r| r.record.throughput_per_s)?,
                peak_rss_bytes: median_of(&at, |r| available(r.record.peak_rss_bytes))
                    .unwrap_or(f64::NAN),
                cpu_percent: median_of(&at, |r| r.record.cpu_percent)?,
            })
        })
        .collect()
}

/// The report's sweep over C ([`Scenario::sweep_of`]) and the curve of `model` in it,
/// when the model ran there at two C or more.
pub(super) fn sweep<'a>(
    report: &'a Report,
    model: &ModelName,
) -> Option<(&'a str, Vec<CurvePoint>)> {
    let scenario = Scenario::sweep_of(report)?;
    let points = curve(report, scenario, model);
    (points.len() >= 2).then_some((scenario, points))
}

/// The smallest C whose median throughput is within [`KNEE_SHARE`] of the best
/// median, or whose spread overlaps the best's (no measurable difference).
pub(super) fn knee(curve: &[CurvePoint]) -> Option<&CurvePoint> {
    let best = curve
        .iter()
        .max_by(|a, b| a.throughput.total_cmp(&b.throughput))?;
    if !best.throughput.is_finite() || best.throughput <= 0.0 {
        return None;
    }
    curve.iter().find(|p| {
        p.throughput >= best.throughput * KNEE_SHARE
            || overlaps(p.throughput_spread, best.throughput_spread)
    })
}
