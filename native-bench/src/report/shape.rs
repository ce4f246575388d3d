//! What a report says about itself before its numbers: whether the machine was busy,
//! the scenarios' shapes (size, time scale, limits, width), and the runs table with
//! repetitions folded into their median and min-max spread.

use tracepool::report::format::{format_count, format_number, format_percent};
use tracepool::report::record::Report;
use tracepool::report::repeats::{RunGroup, run_groups, scenario_shapes};

use super::NOT_AVAILABLE;

/// The warning shown at the top of a report measured on a busy machine.
pub(super) fn busy_warning(report: &Report) -> Option<String> {
    report.environment.busy().map(|why| {
        format!(
            "Warning: the machine was busy while the report ran ({why}): timings are slower \
             and noisier than on an idle machine."
        )
    })
}

/// Column headers of the scenarios table.
pub(super) const SCENARIO_HEADERS: [&str; 6] = [
    "scenario",
    "traces",
    "time scale",
    "C",
    "width (unbounded peak in flight)",
    "limit binds",
];

/// One row per scenario: its traces, time scale, limits, width, and whether the
/// workload is wider than its largest C.
pub(super) fn scenario_rows(report: &Report) -> Vec<[String; 6]> {
    scenario_shapes(report)
        .into_iter()
        .map(|s| {
            let limits: Vec<String> = s.concurrencies.iter().map(|&c| format_count(c)).collect();
            [
                s.scenario.clone(),
                format_count(s.traces),
                format_number(s.time_scale),
                limits.join(", "),
                s.width.map_or_else(|| "-".to_owned(), format_count),
                match s.binds() {
                    Some(true) => "yes".to_owned(),
                    Some(false) => "no".to_owned(),
                    None => "-".to_owned(),
                },
            ]
        })
        .collect()
}

/// The median of `f` over `group`, and its min-max spread when the group has
/// several runs: `1.23 (1.20-1.31)`.
fn with_spread(
    group: &RunGroup<'_>,
    f: impl Fn(&tracepool::report::record::RunRecord) -> f64 + Copy,
    show: impl Fn(f64) -> String,
) -> String {
    let median = show(group.median(f));
    if group.runs.len() < 2 {
        return median;
    }
    let (lo, hi) = group.spread(f);
    format!("{median} ({}-{})", show(lo), show(hi))
}

/// One row per configuration, repetitions folded: medians, with the min-max spread of
/// the wall time, the throughput and the peak RSS.
pub(super) fn run_rows(report: &Report) -> Vec<[String; 15]> {
    run_groups(report)
        .iter()
        .map(|g| {
            let m = g.median_run();
            let r = &m.record;
            [
                m.scenario.clone(),
                r.model.to_string(),
                format_count(r.concurrency),
                format_count(r.traces),
                with_spread(g, |r| r.wall_s, format_number),
                format_count(r.jobs),
                with_spread(g, |r| r.throughput_per_s, format_number),
                format!(
                    "{} / {}",
                    format_count(r.peak_in_flight),
                    format_count(r.concurrency)
                ),
                format!("{:.2}", r.efficiency),
                format_number(r.cpu_percent),
                match r.peak_rss_bytes {
                    Some(_) => with_spread(
                        g,
                        |r| {
                            r.peak_rss_bytes
                                .map_or(f64::NAN, |b| b as f64 / (1024.0 * 1024.0))
                        },
                        format_number,
                    ),
                    None => NOT_AVAILABLE.to_owned(),
                },
                r.peak_os_threads
                    .map_or_else(|| NOT_AVAILABLE.to_owned(), format_count),
                format_percent(r.error_rate),
                format_number(r.latency_p50_ms),
                format_number(r.latency_p99_ms),
            ]
        })
        .collect()
}

/// What the runs table shows, for a line above it.
pub(super) fn runs_note(report: &Report) -> Option<String> {
    let most = run_groups(report)
        .iter()
        .map(|g| g.runs.len())
        .max()
        .unwrap_or(0);
    (most > 1).then(|| {
        format!(
            "Each configuration ran {} times, interleaved across models ({} runs in all); every \
             cell is the median, and wall time, throughput and peak RSS show the min-max \
             spread in parentheses. Charts, findings and recommendations use the medians.",
            report.settings.repeat.max(most as u32),
            format_count(report.runs.len() as u64)
        )
    })
}
