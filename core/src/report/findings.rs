//! Findings and recommendations derived from a report's runs.
//!
//! [`findings`] answers each objective and expected outcome of the benchmarking plan
//! with a [`Verdict`] and the numbers it rests on; [`recommendations`] picks a
//! concurrency limit per model. Both read nothing but the run records, so the same
//! runs always lead to the same conclusions, in the native runner and in the browser.
//!
//! A verdict is [`Verdict::Inconclusive`] whenever the runs a finding needs are
//! missing (for instance no `previous` runs to compare the pool with); its text then
//! says what is missing.
//!
//! # Examples
//!
//! ```
//! use tracepool::report::findings::{findings, objectives};
//! use tracepool::report::record::{Environment, Report, Settings, Verdict};
//!
//! let report = Report::new("0.1.0", Environment::default(), Settings::default());
//! let found = findings(&report);
//! let limits = found
//!     .iter()
//!     .find(|f| f.objective == objectives::LIMITS_CONCURRENCY)
//!     .unwrap();
//! assert_eq!(limits.verdict, Verdict::Inconclusive);
//! assert!(limits.text.contains("no pool runs"));
//! ```

use crate::report::record::{Finding, Recommendation, Report, ScenarioRun, Verdict};

/// The objectives [`findings`] answers, as the [`Finding::objective`] of each finding.
pub mod objectives {
    /// Plan objective 4 and expected outcome 2: never more than C jobs in flight, and
    /// every accepted job accounted for.
    pub const LIMITS_CONCURRENCY: &str = "The pool limits concurrency to the configured C";
    /// Plan objective 2 and expected outcome 1: the pool is faster than the previous model.
    pub const IMPROVED_PERFORMANCE: &str =
        "Improved performance compared to the previous concurrency model";
    /// Plan objective 4 and expected outcome 1: stable under stress, no resource exhaustion.
    pub const STABILITY_UNDER_STRESS: &str =
        "Stability under stress: the pool prevents resource exhaustion";
    /// Plan objective 1: performance under various loads.
    pub const VARIOUS_LOADS: &str = "Performance under various loads: throughput holds as C rises";
    /// Plan objective 3 and expected outcome 3: bottlenecks and areas for improvement.
    pub const BOTTLENECKS: &str =
        "Bottlenecks: the pool stays close to a perfect implementation of its model";
    /// The plan's error-rate metric: the same workload fails the same way in every model.
    pub const ERROR_RATE: &str = "Error rate: the pool adds no errors of its own";
}

/// Name of the bounded pool model in [`RunRecord::model`](crate::report::record::RunRecord::model).
pub const POOL: &str = "pool";
/// Name of the previous (batch and barrier) model.
pub const PREVIOUS: &str = "previous";
/// Name of the model without any limit.
pub const UNBOUNDED: &str = "unbounded";
/// Name of the stress scenario.
pub const STRESS: &str = "stress";
/// Name of the high-load scenario, the plan's sweep over C.
pub const HIGH_LOAD: &str = "high-load";

/// Efficiency (ideal / wall time) below which the pool's own overhead is called a
/// bottleneck.
pub const EFFICIENCY_THRESHOLD: f64 = 0.9;
/// Share of the best throughput a concurrency limit must reach to be the knee that
/// [`recommendations`] picks: 95 %.
pub const KNEE_SHARE: f64 = 0.95;
/// Largest difference in error rate (absolute, 0.01 = one percentage point) still
/// counted as the same error rate.
pub const ERROR_RATE_TOLERANCE: f64 = 0.01;
/// Relative margin by which the pool's peak RSS may exceed the other models' before the
/// stress finding counts it as using more memory.
pub const RSS_TOLERANCE: f64 = 0.10;

/// Every finding the runs of `report` support, one per plan objective or expected
/// outcome, in this order: [`objectives::LIMITS_CONCURRENCY`],
/// [`objectives::IMPROVED_PERFORMANCE`], [`objectives::STABILITY_UNDER_STRESS`],
/// [`objectives::VARIOUS_LOADS`], [`objectives::BOTTLENECKS`],
/// [`objectives::ERROR_RATE`].
///
/// Only [`Report::runs`] is read; the report's stored findings are ignored.
pub fn findings(report: &Report) -> Vec<Finding> {
    vec![
        limits_concurrency(report),
        improved_performance(report),
        stability_under_stress(report),
        various_loads(report),
        bottlenecks(report),
        error_rate(report),
    ]
}

/// One recommended concurrency limit per model, in the order models first appear.
///
/// For each model, the scenario where it ran at the most distinct limits C is chosen
/// (the first one on a tie); the recommendation is the knee of its throughput curve:
/// the smallest C whose throughput is within 5 % ([`KNEE_SHARE`]) of the best. Repeated
/// runs of one C count with their median. A model measured at a single C per scenario
/// gets no recommendation.
pub fn recommendations(report: &Report) -> Vec<Recommendation> {
    let mut out = Vec::new();
    for model in report.models() {
        let Some((scenario, curve)) = widest_sweep(report, model) else {
            continue;
        };
        let Some(knee) = knee(&curve) else {
            continue;
        };
        let best = first_max(curve.iter(), |p| p.throughput).unwrap_or(knee);
        let traces = curve.first().map_or(0, |p| p.traces);
        let mut reason = format!("In {scenario} ({} traces), ", format_count(traces));
        if knee.concurrency == best.concurrency {
            reason.push_str(&format!(
                "C = {} gives the best throughput, {}/s; no smaller C comes within {} % of it",
                format_count(knee.concurrency),
                format_rate(best.throughput),
                format_number((1.0 - KNEE_SHARE) * 100.0),
            ));
        } else {
            reason.push_str(&format!(
                "C = {} reaches {}/s, {} % of the best {}/s (at C = {}); a larger C buys at most {} % more",
                format_count(knee.concurrency),
                format_rate(knee.throughput),
                format_number(knee.throughput / best.throughput * 100.0),
                format_rate(best.throughput),
                format_count(best.concurrency),
                format_number((best.throughput / knee.throughput - 1.0) * 100.0),
            ));
        }
        reason.push_str(&format!(
            ". At C = {}: peak RSS {}, CPU {} %.",
            format_count(knee.concurrency),
            format_mib(knee.peak_rss_bytes),
            format_number(knee.cpu_percent),
        ));
        let largest = curve.iter().map(|p| p.concurrency).max().unwrap_or(0);
        if best.concurrency == largest && knee.concurrency == largest {
            reason.push_str(
                " Throughput was still rising at the largest C measured; a larger C may do better.",
            );
        }
        out.push(Recommendation {
            model: model.to_owned(),
            concurrency: knee.concurrency,
            reason,
        });
    }
    out
}

// ---------------------------------------------------------------------------------
// Number formatting, shared with the report writers.

/// `n` with thousands separators: `10000` → `10,000`.
pub fn format_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A value with three significant digits (whole numbers from 100 on, with thousands
/// separators), trailing zeros dropped: `4.10` → `4.1`, `1234.5` → `1,235`,
/// `0.01234` → `0.0123`. Not-a-number and infinities read `n/a`.
pub fn format_number(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".to_owned();
    }
    if v == 0.0 {
        return "0".to_owned();
    }
    let sign = if v < 0.0 { "-" } else { "" };
    let a = v.abs();
    if a.round() >= 100.0 {
        // The value is finite and at least 100, so the cast cannot truncate meaningfully.
        return format!("{sign}{}", format_count(a.round() as u64));
    }
    let magnitude = a.log10().floor() as i32;
    let decimals = (2 - magnitude).clamp(0, 9) as usize;
    let mut s = format!("{a:.decimals$}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "0" {
        return s;
    }
    format!("{sign}{s}")
}

/// Seconds with three significant digits and the unit: `4.1 s`.
pub fn format_seconds(s: f64) -> String {
    format!("{} s", format_number(s))
}

/// A rate per second without the unit: `1,234` or `95.5`.
pub fn format_rate(per_s: f64) -> String {
    format_number(per_s)
}

/// Bytes as mebibytes with the unit: `12.5 MiB`.
pub fn format_mib(bytes: u64) -> String {
    format!("{} MiB", format_number(bytes as f64 / (1024.0 * 1024.0)))
}

/// A fraction as a percentage with the unit: `0.0123` → `1.23 %`.
pub fn format_percent(fraction: f64) -> String {
    format!("{} %", format_number(fraction * 100.0))
}

/// A speed-up factor: `1.5x`.
fn format_factor(f: f64) -> String {
    if f.is_finite() && f >= 10.0 {
        format!("{}x", format_number(f))
    } else if f.is_finite() && (f - 1.0).abs() < 0.1 {
        format!("{f:.2}x")
    } else if f.is_finite() {
        format!("{f:.1}x")
    } else {
        "n/a".to_owned()
    }
}

// ---------------------------------------------------------------------------------
// Grouping.

/// What makes two runs measure the same thing, apart from the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Load<'a> {
    scenario: &'a str,
    workload: &'a str,
    traces: u64,
    concurrency: u64,
}

impl<'a> Load<'a> {
    fn of(run: &'a ScenarioRun) -> Self {
        Self {
            scenario: &run.scenario,
            workload: &run.record.workload,
            traces: run.record.traces,
            concurrency: run.record.concurrency,
        }
    }

    fn describe(&self, show_workload: bool) -> String {
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
fn distinct_loads<'a>(runs: impl Iterator<Item = &'a ScenarioRun>) -> Vec<Load<'a>> {
    let mut out: Vec<Load<'a>> = Vec::new();
    for run in runs {
        let load = Load::of(run);
        if !out.contains(&load) {
            out.push(load);
        }
    }
    out
}

fn runs_at<'a>(report: &'a Report, load: Load<'_>, model: &str) -> Vec<&'a ScenarioRun> {
    report
        .runs
        .iter()
        .filter(|r| r.record.model == model && Load::of(r) == load)
        .collect()
}

/// The first item with the largest key: ties go to the earliest, so that the text
/// names the first run (or the smallest C) rather than depend on iteration details.
fn first_max<T>(items: impl Iterator<Item = T>, key: impl Fn(&T) -> f64) -> Option<T> {
    let mut best: Option<(f64, T)> = None;
    for item in items {
        let k = key(&item);
        if best.as_ref().is_none_or(|(b, _)| k.total_cmp(b).is_gt()) {
            best = Some((k, item));
        }
    }
    best.map(|(_, item)| item)
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    values.retain(|v| v.is_finite());
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    })
}

fn median_of(runs: &[&ScenarioRun], f: impl Fn(&ScenarioRun) -> f64) -> Option<f64> {
    median(runs.iter().map(|r| f(r)).collect())
}

fn several_workloads(report: &Report) -> bool {
    let mut workloads = report.runs.iter().map(|r| r.record.workload.as_str());
    let first = workloads.next();
    workloads.any(|w| Some(w) != first)
}

fn label(run: &ScenarioRun) -> String {
    format!(
        "{} {} at C = {} ({} traces)",
        run.scenario,
        run.record.model,
        format_count(run.record.concurrency),
        format_count(run.record.traces)
    )
}

fn model_runs<'a>(report: &'a Report, model: &str) -> Vec<&'a ScenarioRun> {
    report
        .runs
        .iter()
        .filter(|r| r.record.model == model)
        .collect()
}

fn finding(objective: &str, verdict: Verdict, sentences: Vec<String>) -> Finding {
    Finding {
        objective: objective.to_owned(),
        verdict,
        text: sentences.join(" "),
    }
}

// ---------------------------------------------------------------------------------
// The findings.

fn limits_concurrency(report: &Report) -> Finding {
    let pool = model_runs(report, POOL);
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
        if model == POOL {
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

fn improved_performance(report: &Report) -> Finding {
    let show_workload = several_workloads(report);
    let mut comparisons = Vec::new();
    let mut repeated = false;
    for load in distinct_loads(report.runs.iter()) {
        let pool = runs_at(report, load, POOL);
        let previous = runs_at(report, load, PREVIOUS);
        let (Some(p), Some(q)) = (
            median_of(&pool, |r| r.record.wall_s),
            median_of(&previous, |r| r.record.wall_s),
        ) else {
            continue;
        };
        if p <= 0.0 || q <= 0.0 {
            continue;
        }
        repeated |= pool.len() > 1 || previous.len() > 1;
        comparisons.push((load, p, q));
    }

    if comparisons.is_empty() {
        let missing = missing_models(report, &[POOL, PREVIOUS]);
        let why = if missing.is_empty() {
            "no scenario has pool and previous runs at the same C and number of traces".to_owned()
        } else {
            format!("the report has no {} runs", missing.join(" or "))
        };
        return finding(
            objectives::IMPROVED_PERFORMANCE,
            Verdict::Inconclusive,
            vec![format!("Nothing to compare: {why}.")],
        );
    }

    let n = comparisons.len();
    let faster = comparisons.iter().filter(|(_, p, q)| p < q).count();
    let slower = comparisons.iter().filter(|(_, p, q)| p > q).count();
    let ratio = median(comparisons.iter().map(|(_, p, q)| q / p).collect()).unwrap_or(1.0);
    let mut text = vec![format!(
        "The pool was faster than the previous model in {faster} of {n} comparisons of wall time \
         (median speed-up {}).",
        format_factor(ratio)
    )];
    let details: Vec<String> = comparisons
        .iter()
        .map(|(load, p, q)| {
            let verdict = if p <= q {
                format!("{} faster", format_factor(q / p))
            } else {
                format!("{} slower", format_factor(p / q))
            };
            format!(
                "{}: pool {}, previous {}, {verdict}",
                load.describe(show_workload),
                format_seconds(*p),
                format_seconds(*q)
            )
        })
        .collect();
    text.push(format!("{}.", details.join("; ")));
    if repeated {
        text.push("Repeated runs count with their median.".to_owned());
    }
    let verdict = if faster == n {
        Verdict::Supported
    } else if slower * 2 > n {
        Verdict::NotSupported
    } else {
        Verdict::Inconclusive
    };
    finding(objectives::IMPROVED_PERFORMANCE, verdict, text)
}

fn missing_models<'a>(report: &Report, wanted: &[&'a str]) -> Vec<&'a str> {
    let present = report.models();
    wanted
        .iter()
        .copied()
        .filter(|m| !present.contains(m))
        .collect()
}

/// Median peak RSS, peak threads and error rate of the runs of one model at one load.
#[derive(Debug, Clone, Copy)]
struct Footprint {
    rss: f64,
    threads: f64,
    error_rate: f64,
}

fn footprint(runs: &[&ScenarioRun]) -> Option<Footprint> {
    Some(Footprint {
        rss: median_of(runs, |r| r.record.peak_rss_bytes as f64)?,
        threads: median_of(runs, |r| r.record.peak_os_threads as f64)?,
        error_rate: median_of(runs, |r| r.record.error_rate)?,
    })
}

fn stability_under_stress(report: &Report) -> Finding {
    let objective = objectives::STABILITY_UNDER_STRESS;
    let stress: Vec<&ScenarioRun> = report.runs_of(STRESS).collect();
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
    for load in distinct_loads(stress.iter().copied()) {
        let pool_runs = runs_at(report, load, POOL);
        let Some(pool) = footprint(&pool_runs) else {
            continue;
        };
        let lost: u64 = pool_runs.iter().map(|r| r.record.lost).sum();
        let mut parts = vec![format!(
            "pool peak RSS {}, {} threads, error rate {}",
            format_mib(pool.rss as u64),
            format_number(pool.threads),
            format_percent(pool.error_rate)
        )];
        let mut others = Vec::new();
        for model in report.models() {
            if model == POOL {
                continue;
            }
            if let Some(other) = footprint(&runs_at(report, load, model)) {
                let rss_ratio = if pool.rss > 0.0 {
                    format!(" ({} the pool's)", format_factor(other.rss / pool.rss))
                } else {
                    String::new()
                };
                parts.push(format!(
                    "{model} {}{rss_ratio}, {} threads, {}",
                    format_mib(other.rss as u64),
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
        let max_rss = others.iter().map(|(_, o)| o.rss).fold(0.0, f64::max);
        if pool.rss > max_rss * (1.0 + RSS_TOLERANCE) {
            problems.push(format!(
                "{at} the pool's peak RSS ({}) exceeds every other model's (at most {})",
                format_mib(pool.rss as u64),
                format_mib(max_rss as u64)
            ));
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
    let verdict = if !problems.is_empty() {
        text.push(format!("Problems: {}.", problems.join("; ")));
        Verdict::NotSupported
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

/// One point of a throughput curve: medians of the runs of one model at one C.
#[derive(Debug, Clone, Copy)]
struct CurvePoint {
    concurrency: u64,
    traces: u64,
    throughput: f64,
    peak_rss_bytes: u64,
    cpu_percent: f64,
}

/// The runs of `model` in `scenario`, as one point per C, sorted by C.
fn curve(report: &Report, scenario: &str, model: &str) -> Vec<CurvePoint> {
    let runs: Vec<&ScenarioRun> = report
        .runs_of(scenario)
        .filter(|r| r.record.model == model)
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
fn widest_sweep<'a>(report: &'a Report, model: &str) -> Option<(&'a str, Vec<CurvePoint>)> {
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
fn knee(curve: &[CurvePoint]) -> Option<&CurvePoint> {
    let best = curve
        .iter()
        .map(|p| p.throughput)
        .fold(f64::NEG_INFINITY, f64::max);
    if !best.is_finite() || best <= 0.0 {
        return None;
    }
    curve.iter().find(|p| p.throughput >= best * KNEE_SHARE)
}

fn various_loads(report: &Report) -> Finding {
    let objective = objectives::VARIOUS_LOADS;
    if model_runs(report, POOL).is_empty() {
        return finding(
            objective,
            Verdict::Inconclusive,
            vec!["The report has no pool runs.".to_owned()],
        );
    }
    let high_load = curve(report, HIGH_LOAD, POOL);
    let sweep = if high_load.len() >= 2 {
        Some((HIGH_LOAD, high_load))
    } else {
        widest_sweep(report, POOL)
    };
    let mut text = Vec::new();
    let verdict = match &sweep {
        None => {
            text.push(
                "The pool ran at a single C per scenario; throughput against C needs at least two."
                    .to_owned(),
            );
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

fn bottlenecks(report: &Report) -> Finding {
    let objective = objectives::BOTTLENECKS;
    let pool: Vec<&ScenarioRun> = model_runs(report, POOL)
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
    let previous = model_runs(report, PREVIOUS);
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

fn error_rate(report: &Report) -> Finding {
    let objective = objectives::ERROR_RATE;
    let mut text = Vec::new();
    let mut totals = Vec::new();
    for model in report.models() {
        let runs = model_runs(report, model);
        let jobs: u64 = runs.iter().map(|r| r.record.jobs).sum();
        let errors: u64 = runs
            .iter()
            .map(|r| r.record.failed + r.record.timed_out + r.record.panicked)
            .sum();
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
    let panics: u64 = model_runs(report, POOL)
        .iter()
        .map(|r| r.record.panicked)
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
        let Some(pool) = median_of(&runs_at(report, load, POOL), |r| r.record.error_rate) else {
            continue;
        };
        let others: Vec<(&str, f64)> = report
            .models()
            .into_iter()
            .filter(|m| *m != POOL)
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
