//! What the findings share: runs grouped by load or by model, medians, labels.

use crate::report::format::format_count;
use crate::report::record::{Finding, Report, ScenarioRun, Verdict};
use crate::report::{ModelName, WorkloadName};

/// What makes two runs measure the same thing, apart from the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Load<'a> {
    scenario: &'a str,
    workload: &'a WorkloadName,
    traces: u64,
    concurrency: u64,
}

impl<'a> Load<'a> {
    pub(super) fn of(run: &'a ScenarioRun) -> Self {
        Self {
            scenario: &run.scenario,
            workload: &run.record.workload,
            traces: run.record.traces,
            concurrency: run.record.concurrency,
        }
    }

    pub(super) fn describe(&self, show_workload: bool) -> String {
        let workload = if show_workload {
            format!(" {}", self.workload)
        } else {
            String::new()
        };
        format!(
            "{}{workload} at C = {} ({} traces)",
            self.scenario,
            format_count(self.concurrency),
            format_count(self.traces)
        )
    }
}

/// Distinct loads, in order of first appearance.
pub(super) fn distinct_loads<'a>(runs: impl Iterator<Item = &'a ScenarioRun>) -> Vec<Load<'a>> {
    let mut out: Vec<Load<'a>> = Vec::new();
    for run in runs {
        let load = Load::of(run);
        if !out.contains(&load) {
            out.push(load);
        }
    }
    out
}

pub(super) fn runs_at<'a>(
    report: &'a Report,
    load: Load<'_>,
    model: &ModelName,
) -> Vec<&'a ScenarioRun> {
    report
        .runs
        .iter()
        .filter(|r| r.record.model == *model && Load::of(r) == load)
        .collect()
}

/// The first item with the largest key: ties go to the earliest, so that the text
/// names the first run (or the smallest C) rather than depend on iteration details.
pub(super) fn first_max<T>(items: impl Iterator<Item = T>, key: impl Fn(&T) -> f64) -> Option<T> {
    let mut best: Option<(f64, T)> = None;
    for item in items {
        let k = key(&item);
        if best.as_ref().is_none_or(|(b, _)| k.total_cmp(b).is_gt()) {
            best = Some((k, item));
        }
    }
    best.map(|(_, item)| item)
}

pub(super) use crate::report::repeats::median;

pub(super) fn median_of(runs: &[&ScenarioRun], f: impl Fn(&ScenarioRun) -> f64) -> Option<f64> {
    median_of_dyn(runs, &f)
}

/// [`median_of`] through a trait object: one copy of its code for every caller's closure.
fn median_of_dyn(runs: &[&ScenarioRun], f: &dyn Fn(&ScenarioRun) -> f64) -> Option<f64> {
    median(runs.iter().map(|r| f(r)))
}

/// The smallest and largest value of `f` over `runs`: their spread.
pub(super) fn spread_of(
    runs: &[&ScenarioRun],
    f: impl Fn(&ScenarioRun) -> f64,
) -> Option<(f64, f64)> {
    spread_of_dyn(runs, &f)
}

/// [`spread_of`] through a trait object: one copy of its code.
fn spread_of_dyn(runs: &[&ScenarioRun], f: &dyn Fn(&ScenarioRun) -> f64) -> Option<(f64, f64)> {
    runs.iter()
        .map(|r| f(r))
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((f64::min(lo, v), f64::max(hi, v))),
        })
}

/// Whether two spreads overlap: the difference between their medians is within the
/// run-to-run spread, so not measurable. Single runs (spreads of one point) overlap
/// only when equal.
pub(super) fn overlaps(a: (f64, f64), b: (f64, f64)) -> bool {
    a.0 <= b.1 && b.0 <= a.1
}

pub(super) fn several_workloads(report: &Report) -> bool {
    let mut workloads = report.runs.iter().map(|r| r.record.workload.as_str());
    let first = workloads.next();
    workloads.any(|w| Some(w) != first)
}

pub(super) fn label(run: &ScenarioRun) -> String {
    format!(
        "{} {} at C = {} ({} traces)",
        run.scenario,
        run.record.model,
        format_count(run.record.concurrency),
        format_count(run.record.traces)
    )
}

pub(super) fn model_runs<'a>(report: &'a Report, model: &ModelName) -> Vec<&'a ScenarioRun> {
    report
        .runs
        .iter()
        .filter(|r| r.record.model == *model)
        .collect()
}

pub(super) fn finding(objective: &str, verdict: Verdict, sentences: Vec<String>) -> Finding {
    Finding {
        objective: objective.to_owned(),
        verdict,
        text: sentences.join(" "),
    }
}
