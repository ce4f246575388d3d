//! Throughput curves: one point per concurrency limit, and their knee.

use super::KNEE_SHARE;
use super::runs::median_of;
use crate::report::ModelName;
use crate::report::record::{Report, ScenarioRun};

/// One point of a throughput curve: medians of the runs of one model at one C.
#[derive(Debug, Clone, Copy)]
pub(super) struct CurvePoint {
    pub(super) concurrency: u64,
    pub(super) traces: u64,
    pub(super) throughput: f64,
    pub(super) peak_rss_bytes: u64,
    pub(super) cpu_percent: f64,
}

/// The runs of `model` in `scenario`, as one point per C, sorted by C.
pub(super) fn curve(report: &Report, scenario: &str, model: &ModelName) -> Vec<CurvePoint> {
    let runs: Vec<&ScenarioRun> = report
        .runs_of(scenario)
        .filter(|r| r.record.model == *model)
        .collect();
    let mut cs: Vec<u64> = runs.iter().map(|r| r.record.concurrency).collect();
    cs.sort_unstable();
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
                peak_rss_bytes: median_of(&at, |r| r.record.peak_rss_bytes as f64)? as u64,
                cpu_percent: median_of(&at, |r| r.record.cpu_percent)?,
            })
        })
        .collect()
}

/// The scenario where `model` ran at the most distinct C (at least two), and its curve.
pub(super) fn widest_sweep<'a>(
    report: &'a Report,
    model: &ModelName,
) -> Option<(&'a str, Vec<CurvePoint>)> {
    let mut best: Option<(&str, Vec<CurvePoint>)> = None;
    for scenario in report.scenarios() {
        let c = curve(report, scenario, model);
        if c.len() >= 2 && best.as_ref().is_none_or(|(_, b)| c.len() > b.len()) {
            best = Some((scenario, c));
        }
    }
    best
}

/// The smallest C whose throughput is within [`KNEE_SHARE`] of the best.
pub(super) fn knee(curve: &[CurvePoint]) -> Option<&CurvePoint> {
    let best = curve
        .iter()
        .map(|p| p.throughput)
        .fold(f64::NEG_INFINITY, f64::max);
    if !best.is_finite() || best <= 0.0 {
        return None;
    }
    curve.iter().find(|p| p.throughput >= best * KNEE_SHARE)
}
