//! The charts of a report: throughput and peak in flight against the concurrency limit,
//! one bar chart per metric of the runs, and the time series of each run.

use super::bar::{BarChart, BarSeries};
use super::line::{LineChart, ReferenceLine, Series};
use crate::report::Scenario;
use crate::report::record::{Report, RunRecord, Sample, ScenarioRun};

/// A chart of a report, rendered: what the HTML report and the web app embed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedChart {
    /// Stable identifier, usable as an HTML id or a file name (`[a-z0-9-]`).
    pub id: String,
    /// Human-readable title.
    pub title: String,
    /// The standalone `<svg>` element.
    pub svg: String,
}

/// Every chart of a report, in reading order: throughput and peak in-flight against
/// the concurrency limit, wall time, peak RSS, CPU and error rate per run, then the
/// in-flight, RSS and CPU time series of each (scenario, limit) that has samples.
///
/// Repeated runs of one configuration are drawn as their median
/// ([`Report::medians`]), with the time series of the median run.
pub fn report_charts(report: &Report) -> Vec<NamedChart> {
    let report = &report.medians();
    let mut charts = Vec::new();
    let mut push = |id: String, title: &str, svg: String| {
        charts.push(NamedChart {
            id,
            title: title.to_owned(),
            svg,
        });
    };
    let c = throughput_vs_concurrency_chart(report);
    push("throughput-vs-concurrency".into(), &c.title, c.to_svg());
    let c = peak_in_flight_vs_limit_chart(report);
    push("peak-in-flight-vs-limit".into(), &c.title, c.to_svg());
    for (id, c) in [
        ("wall-time", wall_time_chart(report)),
        ("peak-rss", peak_rss_chart(report)),
        ("cpu", cpu_chart(report)),
        ("error-rate", error_rate_chart(report)),
    ] {
        push(id.into(), &c.title, c.to_svg());
    }
    for (scenario, concurrency) in run_groups(report) {
        let runs: Vec<&ScenarioRun> = report
            .runs
            .iter()
            .filter(|r| r.scenario == scenario && r.record.concurrency == concurrency)
            .collect();
        if runs.iter().all(|r| r.series.is_empty()) {
            continue;
        }
        let suffix = slug(&format!("{scenario}-c{concurrency}"));
        for (kind, c) in [
            ("in-flight", in_flight_over_time_chart(&runs)),
            ("rss", rss_over_time_chart(&runs)),
            ("cpu", cpu_over_time_chart(&runs)),
        ] {
            push(format!("series-{kind}-{suffix}"), &c.title, c.to_svg());
        }
    }
    charts
}

/// One line per model through the runs of the report's sweep over C
/// ([`Scenario::sweep_of`]), `metric` against C.
fn sweep_chart(
    report: &Report,
    title: &str,
    y_label: &str,
    metric: fn(&RunRecord) -> f64,
) -> LineChart {
    let scenario = Scenario::sweep_of(report).unwrap_or("");
    let title = if scenario.is_empty() {
        title.to_owned()
    } else {
        format!("{title} ({scenario})")
    };
    let mut chart = LineChart::new(title, "concurrency limit C (jobs)", y_label);
    let (mut lo, mut hi) = (f64::INFINITY, 0.0_f64);
    for model in report.models() {
        let mut points: Vec<(f64, f64)> = report
            .runs_of(scenario)
            .filter(|r| r.record.model == *model)
            .map(|r| (r.record.concurrency as f64, metric(&r.record)))
            .collect();
        if points.is_empty() {
            continue;
        }
        // By C, ties by value: the same order every time, by one sort of `u64` keys
        // shared with the report layer's sorts of counts.
        crate::report::order::sort_pairs(&mut points);
        for &(x, _) in &points {
            lo = lo.min(x);
            hi = hi.max(x);
        }
        chart.series.push(Series::new(model.as_str(), points));
    }
    chart.log_x = lo > 0.0 && hi / lo >= 10.0;
    chart
}

/// Throughput against the concurrency limit, one line per model, over the runs of the
/// report's sweep over C ([`Scenario::sweep_of`]). The x axis is logarithmic when the limits span a factor of 10.
pub fn throughput_vs_concurrency_chart(report: &Report) -> LineChart {
    sweep_chart(
        report,
        "Throughput vs concurrency limit",
        "throughput (jobs/s)",
        |r| r.throughput_per_s,
    )
}

/// Peak jobs in flight against the concurrency limit, one line per model, with the
/// line `y = C`: a model that respects its limit stays on or under it.
pub fn peak_in_flight_vs_limit_chart(report: &Report) -> LineChart {
    sweep_chart(
        report,
        "Peak in flight vs limit",
        "peak jobs in flight",
        |r| r.peak_in_flight as f64,
    )
    .with_reference(ReferenceLine::identity("limit C (y = C)"))
}

/// Distinct (scenario, concurrency) pairs in report order.
fn run_groups(report: &Report) -> Vec<(&str, u64)> {
    let mut groups: Vec<(&str, u64)> = Vec::new();
    for r in &report.runs {
        let g = (r.scenario.as_str(), r.record.concurrency);
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    groups
}

/// Grouped bars: one category per (scenario, C), one series per model.
fn per_run_chart(
    report: &Report,
    title: &str,
    y_label: &str,
    metric: fn(&RunRecord) -> f64,
) -> BarChart {
    let groups = run_groups(report);
    let mut chart = BarChart::new(title, "scenario and concurrency limit C", y_label)
        .with_categories(groups.iter().map(|(s, c)| format!("{s} C={c}")).collect());
    for model in report.models() {
        let values = groups
            .iter()
            .map(|&(s, c)| {
                report
                    .runs
                    .iter()
                    .find(|r| {
                        r.scenario == s && r.record.concurrency == c && r.record.model == *model
                    })
                    .map_or(f64::NAN, |r| metric(&r.record))
            })
            .collect();
        chart.series.push(BarSeries::new(model.as_str(), values));
    }
    chart
}

/// Wall time of each run, grouped by scenario and limit, one bar per model.
pub fn wall_time_chart(report: &Report) -> BarChart {
    per_run_chart(report, "Wall time per run", "wall time (s)", |r| r.wall_s)
}

/// Peak resident memory of each run, in MiB.
pub fn peak_rss_chart(report: &Report) -> BarChart {
    // A run without the figure (its OS does not tell it) has no bar.
    per_run_chart(report, "Peak RSS per run", "peak RSS (MiB)", |r| {
        r.peak_rss_bytes.map_or(f64::NAN, mib)
    })
}

/// Mean CPU use of each run, in percent of one core.
pub fn cpu_chart(report: &Report) -> BarChart {
    per_run_chart(report, "CPU use per run", "CPU (% of one core)", |r| {
        r.cpu_percent
    })
}

/// Error rate of each run, in percent of jobs.
pub fn error_rate_chart(report: &Report) -> BarChart {
    per_run_chart(
        report,
        "Error rate per run",
        "error rate (% of jobs)",
        |r| r.error_rate * 100.0,
    )
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// A title suffix naming what `runs` share, e.g. `high-load C=50`.
fn runs_label(runs: &[&ScenarioRun]) -> String {
    match runs {
        [] => String::new(),
        [one] => format!(
            " — {} {} C={}",
            one.scenario, one.record.model, one.record.concurrency
        ),
        [first, rest @ ..] => {
            if rest.iter().all(|r| {
                r.scenario == first.scenario && r.record.concurrency == first.record.concurrency
            }) {
                format!(" — {} C={}", first.scenario, first.record.concurrency)
            } else {
                String::new()
            }
        }
    }
}

fn time_series_chart(
    runs: &[&ScenarioRun],
    title: &str,
    y_label: &str,
    metric: fn(&Sample) -> f64,
) -> LineChart {
    let mut chart = LineChart::new(
        format!("{title}{}", runs_label(runs)),
        "time since start (s)",
        y_label,
    );
    for run in runs {
        let points = run.series.iter().map(|s| (s.t_s, metric(s))).collect();
        let name = run.record.model.as_str();
        chart.series.push(Series::new(name, points));
    }
    chart
}

/// Jobs in flight over time, one line per run (named by model), with the limit C as a
/// horizontal line when all runs share it.
pub fn in_flight_over_time_chart(runs: &[&ScenarioRun]) -> LineChart {
    let chart = time_series_chart(runs, "Jobs in flight over time", "jobs in flight", |s| {
        s.in_flight as f64
    });
    match runs.first() {
        Some(first)
            if runs
                .iter()
                .all(|r| r.record.concurrency == first.record.concurrency) =>
        {
            let c = first.record.concurrency;
            chart.with_reference(ReferenceLine::horizontal(
                format!("limit C = {c}"),
                c as f64,
            ))
        }
        _ => chart,
    }
}

/// Resident memory over time, in MiB, one line per run.
pub fn rss_over_time_chart(runs: &[&ScenarioRun]) -> LineChart {
    time_series_chart(runs, "RSS over time", "RSS (MiB)", |s| mib(s.rss_bytes))
}

/// CPU use over time, in percent of one core, one line per run.
pub fn cpu_over_time_chart(runs: &[&ScenarioRun]) -> LineChart {
    time_series_chart(runs, "CPU use over time", "CPU (% of one core)", |s| {
        s.cpu_percent
    })
}

/// `text` reduced to `[a-z0-9-]`.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}
