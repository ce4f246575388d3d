//! Performance under various loads: the pool's throughput as C rises.

use super::curve::{knee, sweep};
use super::runs::{finding, first_max, model_runs};
use super::{KNEE_SHARE, POOL, objectives};
use crate::report::Scenario;
use crate::report::format::{
    format_count, format_factor, format_number, format_percent, format_rate,
};
use crate::report::record::{Finding, Report, Verdict};

pub(super) fn answer(report: &Report) -> Finding {
    let objective = objectives::VARIOUS_LOADS;
    if model_runs(report, &POOL).is_empty() {
        return finding(
            objective,
            Verdict::Inconclusive,
            vec!["The report has no pool runs.".to_owned()],
        );
    }
    let sweep = sweep(report, &POOL);
    let mut text = Vec::new();
    let verdict = match &sweep {
        None => {
            text.push(format!(
                "The pool ran at fewer than two C in {}, the report's sweep over C; throughput \
                 against C needs at least two.",
                Scenario::sweep_of(report).unwrap_or("any scenario")
            ));
            Verdict::Inconclusive
        }
        Some((scenario, points)) => {
            let listed: Vec<String> = points
                .iter()
                .map(|p| {
                    format!(
                        "{}/s at C = {}",
                        format_rate(p.throughput),
                        format_count(p.concurrency)
                    )
                })
                .collect();
            let (first, last) = (points[0], points[points.len() - 1]);
            text.push(format!(
                "Pool throughput in {scenario} ({} traces): {}.",
                format_count(first.traces),
                listed.join(", ")
            ));
            let best = first_max(points.iter().copied(), |p| p.throughput).unwrap_or(last);
            if first.throughput > 0.0 {
                text.push(format!(
                    "From C = {} to C = {} throughput changes {} for {} the concurrency.",
                    format_count(first.concurrency),
                    format_count(last.concurrency),
                    format_factor(last.throughput / first.throughput),
                    format_factor(last.concurrency as f64 / first.concurrency.max(1) as f64)
                ));
            }
            if let Some(k) = knee(points) {
                if k.concurrency < last.concurrency {
                    text.push(format!(
                        "From C = {} on it stays within {} % of the best ({}/s).",
                        format_count(k.concurrency),
                        format_number((1.0 - KNEE_SHARE) * 100.0),
                        format_rate(best.throughput)
                    ));
                }
            }
            if last.throughput < best.throughput * KNEE_SHARE {
                text.push(format!(
                    "It falls by {} past C = {}: the pool loses throughput at high concurrency.",
                    format_percent(1.0 - last.throughput / best.throughput),
                    format_count(best.concurrency)
                ));
                Verdict::NotSupported
            } else {
                Verdict::Supported
            }
        }
    };
    let others: Vec<String> = report
        .runs
        .iter()
        .filter(|r| r.record.model == POOL)
        .filter(|r| sweep.as_ref().is_none_or(|(s, _)| r.scenario != *s))
        .map(|r| {
            format!(
                "{} at C = {}: {}/s",
                r.scenario,
                format_count(r.record.concurrency),
                format_rate(r.record.throughput_per_s)
            )
        })
        .collect();
    if !others.is_empty() {
        text.push(format!("Other pool runs: {}.", others.join("; ")));
    }
    finding(objective, verdict, text)
}
