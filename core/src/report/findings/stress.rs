//! Stability under stress: no more memory and no more errors than the other models;
//! with http runs, no more file descriptors either, no more than C requests at the
//! server, and no calls stopped for want of a descriptor.

use super::runs::{distinct_loads, finding, median_of, runs_at, several_workloads};
use super::{ERROR_RATE_TOLERANCE, POOL, RSS_TOLERANCE, objectives};
use crate::report::Scenario;
use crate::report::format::{
    available, format_count, format_factor, format_mib_of, format_number, format_percent,
};
use crate::report::record::{Finding, Report, ScenarioRun, Verdict};

/// Median peak RSS, peak threads and error rate of the runs of one model at one load;
/// not-a-number for an OS figure none of the runs has; and where the runs measured
/// them (http runs), the median peak of open file descriptors, the most requests in
/// progress at the server and the calls stopped for want of a local resource
/// (`exhausted`), per call.
#[derive(Debug, Clone, Copy)]
struct Footprint {
    rss: f64,
    threads: f64,
    error_rate: f64,
    resources: Option<Resources>,
}

/// What an http run holds of the machine's resources, and what it asks of its server.
#[derive(Debug, Clone, Copy)]
struct Resources {
    fds: f64,
    server_peak: u64,
    exhausted_rate: f64,
}

fn footprint(runs: &[&ScenarioRun]) -> Option<Footprint> {
    let measured: Vec<&ScenarioRun> = runs
        .iter()
        .copied()
        .filter(|r| r.record.server_peak_requests.is_some())
        .collect();
    let resources = (!measured.is_empty()).then(|| Resources {
        fds: median_of(&measured, |r| r.record.peak_open_fds.unwrap_or(0) as f64).unwrap_or(0.0),
        server_peak: measured
            .iter()
            .filter_map(|r| r.record.server_peak_requests)
            .max()
            .unwrap_or(0),
        exhausted_rate: median_of(&measured, |r| {
            let exhausted = r.record.errors_by_kind.get("exhausted").copied();
            exhausted.unwrap_or(0) as f64 / r.record.jobs.max(1) as f64
        })
        .unwrap_or(0.0),
    });
    Some(Footprint {
        rss: median_of(runs, |r| available(r.record.peak_rss_bytes)).unwrap_or(f64::NAN),
        threads: median_of(runs, |r| available(r.record.peak_os_threads)).unwrap_or(f64::NAN),
        error_rate: median_of(runs, |r| r.record.error_rate)?,
        resources,
    })
}

/// `, N fds, server peak M, exhausted X` for runs that measured them; empty otherwise.
fn describe_resources(resources: Option<Resources>) -> String {
    match resources {
        Some(r) => format!(
            ", {} fds, server peak {} requests, {} exhausted",
            format_number(r.fds),
            format_count(r.server_peak),
            format_percent(r.exhausted_rate)
        ),
        None => String::new(),
    }
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
            "pool peak RSS {}, {} threads{}, error rate {}",
            format_mib_of(pool.rss),
            format_number(pool.threads),
            describe_resources(pool.resources),
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
                    "{model} {}{rss_ratio}, {} threads{}, {}",
                    format_mib_of(other.rss),
                    format_number(other.threads),
                    describe_resources(other.resources),
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
        let over: Option<u64> = pool_runs
            .iter()
            .filter_map(|r| {
                // Calls abandoned at their deadline linger at the server until it notices.
                let bound = r.record.concurrency + r.record.abandoned();
                r.record.server_peak_requests.filter(|&p| p > bound)
            })
            .max();
        if let Some(peak) = over {
            problems.push(format!(
                "{at} the server saw {} pool requests at once",
                format_count(peak)
            ));
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
        let other_resources: Vec<Resources> =
            others.iter().filter_map(|(_, o)| o.resources).collect();
        if let (Some(res), false) = (pool.resources, other_resources.is_empty()) {
            let max_fds = other_resources.iter().map(|o| o.fds).fold(0.0, f64::max);
            if res.fds > max_fds * (1.0 + RSS_TOLERANCE) {
                problems.push(format!(
                    "{at} the pool held more file descriptors ({}) than every other model (at most {})",
                    format_number(res.fds),
                    format_number(max_fds)
                ));
            }
            let max_exhausted = other_resources
                .iter()
                .map(|o| o.exhausted_rate)
                .fold(0.0, f64::max);
            if res.exhausted_rate > max_exhausted + ERROR_RATE_TOLERANCE {
                problems.push(format!(
                    "{at} the pool ran out of descriptors more often ({}) than every other model (at most {})",
                    format_percent(res.exhausted_rate),
                    format_percent(max_exhausted)
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
        let http = stress
            .iter()
            .any(|r| r.record.server_peak_requests.is_some());
        text.push(if http {
            "Under stress the pool used no more memory and no more file descriptors than the other models, kept the server at or below C requests and added no errors.".to_owned()
        } else {
            "Under stress the pool used no more memory than the other models and added no errors."
                .to_owned()
        });
        Verdict::Supported
    };
    finding(objective, verdict, text)
}
