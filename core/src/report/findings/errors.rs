//! Error rate: the pool adds no errors of its own.

use super::runs::{distinct_loads, finding, median_of, model_runs, runs_at, several_workloads};
use super::{ERROR_RATE_TOLERANCE, POOL, objectives};
use crate::report::ModelName;
use crate::report::format::{format_count, format_number, format_percent};
use crate::report::record::{Finding, Report, Verdict};

pub(super) fn answer(report: &Report) -> Finding {
    let objective = objectives::ERROR_RATE;
    let mut text = Vec::new();
    let mut totals = Vec::new();
    for model in report.models() {
        let runs = model_runs(report, model);
        let jobs: u64 = runs.iter().map(|r| r.record.jobs).sum();
        let errors: u64 = runs.iter().map(|r| r.record.outcomes.errors()).sum();
        let rate = if jobs > 0 {
            format_percent(errors as f64 / jobs as f64)
        } else {
            "n/a".to_owned()
        };
        totals.push(format!(
            "{model} {rate} ({} of {} jobs)",
            format_count(errors),
            format_count(jobs)
        ));
    }
    if totals.is_empty() {
        return finding(
            objective,
            Verdict::Inconclusive,
            vec!["The report has no runs.".to_owned()],
        );
    }
    let mut overall = format!("Error rate over all runs: {}", totals.join(", "));
    if report.settings.failure_rate > 0.0 {
        overall.push_str(&format!(
            "; the workload's configured failure rate is {}",
            format_percent(report.settings.failure_rate)
        ));
    }
    overall.push('.');
    text.push(overall);
    let panics: u64 = model_runs(report, &POOL)
        .iter()
        .map(|r| r.record.outcomes.panicked)
        .sum();
    if panics > 0 {
        text.push(format!(
            "{} pool jobs panicked (caught and counted as errors).",
            format_count(panics)
        ));
    }

    let show_workload = several_workloads(report);
    let mut compared = 0;
    let mut higher = Vec::new();
    let mut lower = Vec::new();
    for load in distinct_loads(report.runs.iter()) {
        let Some(pool) = median_of(&runs_at(report, load, &POOL), |r| r.record.error_rate) else {
            continue;
        };
        let others: Vec<(&ModelName, f64)> = report
            .models()
            .into_iter()
            .filter(|m| **m != POOL)
            .filter_map(|m| {
                Some((
                    m,
                    median_of(&runs_at(report, load, m), |r| r.record.error_rate)?,
                ))
            })
            .collect();
        if others.is_empty() {
            continue;
        }
        compared += 1;
        let max = others
            .iter()
            .map(|(_, e)| *e)
            .fold(f64::NEG_INFINITY, f64::max);
        let min = others.iter().map(|(_, e)| *e).fold(f64::INFINITY, f64::min);
        let others_text: Vec<String> = others
            .iter()
            .map(|(m, e)| format!("{m} {}", format_percent(*e)))
            .collect();
        let line = format!(
            "{}: pool {}, {}",
            load.describe(show_workload),
            format_percent(pool),
            others_text.join(", ")
        );
        if pool > max + ERROR_RATE_TOLERANCE {
            higher.push(line);
        } else if pool < min - ERROR_RATE_TOLERANCE {
            lower.push(line);
        }
    }
    let tolerance = format_number(ERROR_RATE_TOLERANCE * 100.0);
    let verdict = if compared == 0 {
        text.push(
            "No load has a pool run and a run of another model to compare error rates.".to_owned(),
        );
        Verdict::Inconclusive
    } else if !higher.is_empty() {
        text.push(format!(
            "The pool's error rate is more than {tolerance} percentage point above the other \
             models' in {} of {compared} loads: {}.",
            higher.len(),
            higher.join("; ")
        ));
        Verdict::NotSupported
    } else {
        text.push(format!(
            "The pool's error rate is within {tolerance} percentage point of the other models' \
             at all {compared} loads run by several models: the same workload fails the same way."
        ));
        if !lower.is_empty() {
            text.push(format!(
                "The pool fails less than the other models in {} loads: {}.",
                lower.len(),
                lower.join("; ")
            ));
        }
        Verdict::Supported
    };
    finding(objective, verdict, text)
}
