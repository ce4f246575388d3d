//! Bottlenecks: how close the pool comes to a perfect implementation of its model.

use super::runs::{finding, first_max, label, median_of, model_runs};
use super::{EFFICIENCY_THRESHOLD, POOL, PREVIOUS, objectives};
use crate::report::format::{format_number, format_percent};
use crate::report::record::{Finding, Report, ScenarioRun, Verdict};

pub(super) fn answer(report: &Report) -> Finding {
    let objective = objectives::BOTTLENECKS;
    let pool: Vec<&ScenarioRun> = model_runs(report, &POOL)
        .into_iter()
        .filter(|r| r.record.efficiency.is_finite() && r.record.efficiency > 0.0)
        .collect();
    if pool.is_empty() {
        return finding(
            objective,
            Verdict::Inconclusive,
            vec![
                "The report has no pool runs with a recorded efficiency (ideal / wall time)."
                    .to_owned(),
            ],
        );
    }
    let cores = report.environment.cores;
    let mut text = Vec::new();
    let lowest = pool
        .iter()
        .copied()
        .min_by(|a, b| a.record.efficiency.total_cmp(&b.record.efficiency))
        .unwrap_or(pool[0]);
    let med = median_of(&pool, |r| r.record.efficiency).unwrap_or(0.0);
    text.push(format!(
        "Pool efficiency (ideal / wall time): median {} over {} runs, lowest {} in {}.",
        format_number(med),
        pool.len(),
        format_number(lowest.record.efficiency),
        label(lowest)
    ));
    let busiest = first_max(pool.iter().copied(), |r| r.record.cpu_percent).unwrap_or(pool[0]);
    let of_cores = if cores > 0 {
        format!(" of {} available", format_number(cores as f64 * 100.0))
    } else {
        String::new()
    };
    text.push(format!(
        "CPU use peaks at {} %{of_cores} in {}.",
        format_number(busiest.record.cpu_percent),
        label(busiest)
    ));
    let overshoot = median_of(&pool, |r| r.record.timer_overshoot_us).unwrap_or(0.0);
    let worst_timer =
        first_max(pool.iter().copied(), |r| r.record.timer_overshoot_us).unwrap_or(pool[0]);
    text.push(format!(
        "Simulated sleeps ({} timer) overshoot by {} µs (median), at most {} µs in {}.",
        worst_timer.record.timer,
        format_number(overshoot),
        format_number(worst_timer.record.timer_overshoot_us),
        label(worst_timer)
    ));
    let low: Vec<&ScenarioRun> = pool
        .iter()
        .copied()
        .filter(|r| r.record.efficiency < EFFICIENCY_THRESHOLD)
        .collect();
    let previous = model_runs(report, &PREVIOUS);
    if let Some(prev) = median_of(&previous, |r| r.record.efficiency) {
        text.push(format!(
            "For comparison, the previous model's median efficiency is {}.",
            format_number(prev)
        ));
    }
    let verdict = if low.is_empty() {
        text.push(format!(
            "Every pool run reaches at least {} of a perfect implementation: the pool's own \
             overhead does not matter at these loads.",
            format_number(EFFICIENCY_THRESHOLD)
        ));
        Verdict::Supported
    } else {
        let named: Vec<String> = low
            .iter()
            .map(|r| {
                format!(
                    "{} ({}: {})",
                    label(r),
                    format_number(r.record.efficiency),
                    likely_cause(r, cores)
                )
            })
            .collect();
        text.push(format!(
            "Efficiency is below {} in {} of {} pool runs, where overhead matters: {}.",
            format_number(EFFICIENCY_THRESHOLD),
            low.len(),
            pool.len(),
            named.join("; ")
        ));
        Verdict::NotSupported
    };
    finding(objective, verdict, text)
}

/// A short guess at why a run fell short of its ideal time.
fn likely_cause(run: &ScenarioRun, cores: u64) -> String {
    let r = &run.record;
    let mut causes = Vec::new();
    if cores > 0 && r.cpu_percent >= 80.0 * cores as f64 {
        causes.push(format!(
            "CPU-bound at {} % on {} cores",
            format_number(r.cpu_percent),
            cores
        ));
    }
    if r.latency_p50_ms > 0.0 && r.timer_overshoot_us / 1000.0 >= 0.05 * r.latency_p50_ms {
        causes.push(format!(
            "timer overshoot {} µs is {} of the median latency",
            format_number(r.timer_overshoot_us),
            format_percent(r.timer_overshoot_us / 1000.0 / r.latency_p50_ms)
        ));
    }
    if causes.is_empty() {
        "neither CPU nor timers explain it; look at queueing and scheduling".to_owned()
    } else {
        causes.join(", ")
    }
}
