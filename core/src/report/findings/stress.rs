//! Stability under stress: no more memory and no more errors than the other models.

use super::runs::{distinct_loads, finding, median_of, runs_at, several_workloads};
use super::{ERROR_RATE_TOLERANCE, POOL, RSS_TOLERANCE, objectives};
use crate::report::Scenario;
use crate::report::format::{
    available, format_count, format_factor, format_mib_of, format_number, format_percent,
};
use crate::report::record::{Finding, Report, ScenarioRun, Verdict};

/// Median peak RSS, peak threads and error rate of the runs of one model at one load;
/// not-a-number for an OS figure none of the runs has.
#[derive(Debug, Clone, Copy)]
struct Footprint {
    rss: f64,
    threads: f64,
    error_rate: f64,
}

fn footprint(runs: &[&ScenarioRun]) -> Option<Footprint> {
    Some(Footprint {
        rss: median_of(runs, |r| available(r.record.peak_rss_bytes)).unwrap_or(f64::NAN),
        threads: median_of(runs, |r| available(r.record.peak_os_threads)).unwrap_or(f64::NAN),
        error_rate: median_of(runs, |r| r.record.error_rate)?,
    })
}

pub(super) fn answer(report: &Report) -> Finding {
    let objective = objectives::STABILITY_UNDER_STRESS;
    let stress: Vec<&ScenarioRun> = report.runs_of(Scenario::Stress.name()).collect();
    if stress.is_empty() {
        return finding(
            objective,
            Verdict::Inconclusive,
            vec!["The report has no stress runs.".to_owned()],
        );
    }
    if !stress.iter().any(|r| r.record.model == POOL) {
        return finding(
            objective,
            Verdict::Inconclusive,
            vec!["The report has no pool runs in the stress scenario.".to_owned()],
        );
    }
    let show_workload = several_workloads(report);
    let mut text = Vec::new();
    let mut problems = Vec::new();
    let mut compared = 0;
    // Whether another model's footprint differed from the pool's at some load.
    let mut differed = false;
    for load in distinct_loads(stress.iter().copied()) {
        let pool_runs = runs_at(report, load, &POOL);
        let Some(pool) = footprint(&pool_runs) else {
            continue;
        };
        let lost: u64 = pool_runs.iter().map(|r| r.record.lost).sum();
        let mut parts = vec![format!(
            "pool peak RSS {}, {} threads, error rate {}",
            format_mib_of(pool.rss),
            format_number(pool.threads),
            format_percent(pool.error_rate)
        )];
        let mut others = Vec::new();
        for model in report.models() {
            if *model == POOL {
                continue;
            }
            if let Some(other) = footprint(&runs_at(report, load, model)) {
                let rss_ratio = if pool.rss > 0.0 && other.rss.is_finite() {
                    format!(" ({} the pool's)", format_factor(other.rss / pool.rss))
                } else {
                    String::new()
                };
                parts.push(format!(
                    "{model} {}{rss_ratio}, {} threads, {}",
                    format_mib_of(other.rss),
                    format_number(other.threads),
                    format_percent(other.error_rate)
                ));
                others.push((model, other));
            }
        }
        let at = load.describe(show_workload);
        text.push(format!("{at}: {}.", parts.join("; ")));
        if lost > 0 {
            problems.push(format!("{at} the pool lost {} jobs", format_count(lost)));
        }
        if others.is_empty() {
            continue;
        }
        compared += 1;
        // Whether another model's footprint differs from the pool's, where both have
        // the figure.
        let apart = |a: f64, b: f64, by: f64| a.is_finite() && b.is_finite() && (a - b).abs() > by;
        differed |= others.iter().any(|(_, o)| {
            apart(o.rss, pool.rss, pool.rss.max(o.rss) * RSS_TOLERANCE)
                || apart(o.threads, pool.threads, 0.0)
                || apart(o.error_rate, pool.error_rate, ERROR_RATE_TOLERANCE)
        });
        // Peak RSS is compared where both sides have it.
        let max_rss = others
            .iter()
            .map(|(_, o)| o.rss)
            .filter(|rss| rss.is_finite())
            .reduce(f64::max);
        if let Some(max_rss) = max_rss {
            if pool.rss > max_rss * (1.0 + RSS_TOLERANCE) {
                problems.push(format!(
                    "{at} the pool's peak RSS ({}) exceeds every other model's (at most {})",
                    format_mib_of(pool.rss),
                    format_mib_of(max_rss)
                ));
            }
        }
        let max_err = others.iter().map(|(_, o)| o.error_rate).fold(0.0, f64::max);
        if pool.error_rate > max_err + ERROR_RATE_TOLERANCE {
            problems.push(format!(
                "{at} the pool's error rate ({}) is above every other model's (at most {})",
                format_percent(pool.error_rate),
                format_percent(max_err)
            ));
        }
    }
    text.push(
        "What this evidence can show: the simulated calls sleep and hold no resources (no \
         socket, no file descriptor, no buffer), so peak RSS and threads measure the \
         scheduler and its bookkeeping, and a limit that holds shows in peak in flight; it \
         cannot show exhaustion of the resources real calls hold, which only a workload \
         holding them (real network calls) can."
            .to_owned(),
    );
    let verdict = if !problems.is_empty() {
        text.push(format!("Problems: {}.", problems.join("; ")));
        Verdict::NotSupported
    } else if compared > 0 && !differed {
        text.push(format!(
            "The models did not differ in any resource (peak RSS within {} %, the same \
             threads, error rates within {} points): inconclusive.",
            format_number(RSS_TOLERANCE * 100.0),
            format_number(ERROR_RATE_TOLERANCE * 100.0)
        ));
        Verdict::Inconclusive
    } else if compared == 0 {
        text.push(
            "No previous or unbounded stress run at the same C to compare the pool with."
                .to_owned(),
        );
        Verdict::Inconclusive
    } else {
        text.push(
            "Under stress the pool used no more memory than the other models and added no errors."
                .to_owned(),
        );
        Verdict::Supported
    };
    finding(objective, verdict, text)
}
