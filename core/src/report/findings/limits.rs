//! The pool limits concurrency to the configured C, and every accepted job ends.

use super::runs::{finding, first_max, label, model_runs};
use super::{POOL, objectives};
use crate::report::format::{format_count, format_factor};
use crate::report::record::{Finding, Report, ScenarioRun, Verdict};

pub(super) fn answer(report: &Report) -> Finding {
    let pool = model_runs(report, &POOL);
    let over: Vec<&ScenarioRun> = pool
        .iter()
        .copied()
        .filter(|r| r.record.peak_in_flight > r.record.concurrency)
        .collect();
    let lost: Vec<&ScenarioRun> = report.runs.iter().filter(|r| r.record.lost > 0).collect();
    let mut text = Vec::new();

    if pool.is_empty() {
        text.push(
            "There are no pool runs in the report, so the limit could not be checked.".to_owned(),
        );
    } else if !over.is_empty() {
        let named: Vec<String> = over
            .iter()
            .map(|r| {
                format!(
                    "{} peaked at {}",
                    label(r),
                    format_count(r.record.peak_in_flight)
                )
            })
            .collect();
        text.push(format!(
            "The pool exceeded its limit C in {} of {} runs: {}.",
            over.len(),
            pool.len(),
            named.join("; ")
        ));
    } else {
        let first_c = pool[0].record.concurrency;
        let reached = pool
            .iter()
            .filter(|r| r.record.peak_in_flight == r.record.concurrency)
            .count();
        if pool.iter().all(|r| r.record.concurrency == first_c) {
            let peak = pool
                .iter()
                .map(|r| r.record.peak_in_flight)
                .max()
                .unwrap_or(0);
            text.push(format!(
                "Peak in flight {} of {} in all {} pool runs.",
                format_count(peak),
                format_count(first_c),
                pool.len()
            ));
        } else {
            let largest = pool
                .iter()
                .max_by_key(|r| (r.record.concurrency, r.record.peak_in_flight))
                .copied()
                .unwrap_or(pool[0]);
            text.push(format!(
                "Peak in flight stayed at or below C in all {} pool runs and reached C in {} \
                 (largest: {} of {} in {}).",
                pool.len(),
                reached,
                format_count(largest.record.peak_in_flight),
                format_count(largest.record.concurrency),
                largest.scenario
            ));
        }
    }

    for model in report.models() {
        if *model == POOL {
            continue;
        }
        let worst = first_max(
            model_runs(report, model)
                .into_iter()
                .filter(|r| r.record.concurrency > 0),
            |r| peak_ratio(r),
        );
        if let Some(w) = worst {
            let ratio = peak_ratio(w);
            let note = if ratio > 1.0 {
                format!("{} C", format_factor(ratio))
            } else {
                "within its limit here".to_owned()
            };
            text.push(format!(
                "The {model} model peaked at {} with C = {} ({note}, {}).",
                format_count(w.record.peak_in_flight),
                format_count(w.record.concurrency),
                w.scenario
            ));
        }
    }

    if lost.is_empty() {
        if !report.runs.is_empty() {
            text.push(format!(
                "No accepted job went without an outcome in any of the {} runs.",
                report.runs.len()
            ));
        }
    } else {
        let named: Vec<String> = lost
            .iter()
            .map(|r| format!("{}: {} lost", label(r), format_count(r.record.lost)))
            .collect();
        text.push(format!(
            "Jobs were lost (accepted without an outcome) in {} runs: {}.",
            lost.len(),
            named.join("; ")
        ));
    }

    let unmeasured = !pool.is_empty()
        && pool
            .iter()
            .all(|r| r.record.peak_in_flight == 0 && r.record.jobs > 0);
    let verdict = if !over.is_empty() || !lost.is_empty() {
        Verdict::NotSupported
    } else if pool.is_empty() {
        Verdict::Inconclusive
    } else if unmeasured {
        text.push(
            "Peak in flight reads 0 in every pool run despite accepted jobs: it was not recorded."
                .to_owned(),
        );
        Verdict::Inconclusive
    } else {
        Verdict::Supported
    };
    finding(objectives::LIMITS_CONCURRENCY, verdict, text)
}

fn peak_ratio(run: &ScenarioRun) -> f64 {
    run.record.peak_in_flight as f64 / run.record.concurrency.max(1) as f64
}
