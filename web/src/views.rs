//! What the result views show, computed from a report: the table's rows and the choice
//! of charts. Pure functions over core's report types; the charts themselves (data and
//! SVG) come from [`tracepool::report::chart`], as in the native report.

use tracepool::report::chart::{NamedChart, in_flight_over_time_chart, report_charts};
use tracepool::report::format::{
    format_count, format_mib, format_number, format_percent, format_seconds,
};
use tracepool::report::record::{Report, RunRecord, Sample, ScenarioRun};

/// One row of the results table, formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Scenario name.
    pub scenario: String,
    /// Scheduling model.
    pub model: String,
    /// Workload.
    pub workload: String,
    /// Concurrency limit C.
    pub concurrency: String,
    /// Graph size or number of calls.
    pub traces: String,
    /// Distinct traces found.
    pub discovered: String,
    /// Wall time.
    pub wall: String,
    /// Calls finished per second.
    pub calls_per_s: String,
    /// Traces discovered per second.
    pub traces_per_s: String,
    /// Error rate.
    pub error_rate: String,
    /// Peak calls in flight.
    pub peak_in_flight: String,
    /// Ideal over measured wall time.
    pub efficiency: String,
    /// Peak memory, or `n/a`.
    pub memory: String,
    /// Mean CPU use, or `n/a`.
    pub cpu: String,
    /// Whether the run broke a promise: the pool above C, or jobs without an outcome.
    pub violation: bool,
}

/// The columns of [`Row`], as the table's headers.
pub const COLUMNS: [&str; 14] = [
    "scenario",
    "model",
    "workload",
    "C",
    "traces",
    "discovered",
    "wall time",
    "calls/s",
    "traces/s",
    "error rate",
    "peak in flight",
    "efficiency",
    "memory (peak)",
    "CPU",
];

impl Row {
    /// The row's cells, in [`COLUMNS`] order.
    pub fn cells(&self) -> [&str; 14] {
        [
            &self.scenario,
            &self.model,
            &self.workload,
            &self.concurrency,
            &self.traces,
            &self.discovered,
            &self.wall,
            &self.calls_per_s,
            &self.traces_per_s,
            &self.error_rate,
            &self.peak_in_flight,
            &self.efficiency,
            &self.memory,
            &self.cpu,
        ]
    }
}

/// One row per run of `report`, in report order.
pub fn rows(report: &Report) -> Vec<Row> {
    report.runs.iter().map(row).collect()
}

fn row(run: &ScenarioRun) -> Row {
    let r: &RunRecord = &run.record;
    let traces_per_s = if r.wall_s > 0.0 {
        r.discovered as f64 / r.wall_s
    } else {
        f64::NAN
    };
    Row {
        scenario: run.scenario.clone(),
        model: r.model.to_string(),
        workload: r.workload.to_string(),
        concurrency: format_count(r.concurrency),
        traces: format_count(r.traces),
        discovered: format_count(r.discovered),
        wall: format_seconds(r.wall_s),
        calls_per_s: format_number(r.throughput_per_s),
        traces_per_s: format_number(traces_per_s),
        error_rate: format_percent(r.error_rate),
        peak_in_flight: format_count(r.peak_in_flight),
        efficiency: if r.ideal_s > 0.0 {
            format_number(r.efficiency)
        } else {
            "n/a".to_owned()
        },
        // What the OS (or the page) cannot tell is `None` (0 for the CPU).
        memory: match r.peak_rss_bytes {
            Some(bytes) if bytes > 0 => format_mib(bytes),
            _ => "n/a".to_owned(),
        },
        cpu: if r.cpu_percent == 0.0 {
            "n/a".to_owned()
        } else {
            format!("{} %", format_number(r.cpu_percent))
        },
        violation: (r.model == "pool" && r.peak_in_flight > r.concurrency) || r.lost != 0,
    }
}

/// The charts of `report`, as the native report draws them, leaving out those of a
/// metric no run could measure (a browser measures neither CPU nor, outside
/// Chromium, memory): an empty chart says nothing.
pub fn result_charts(report: &Report) -> Vec<NamedChart> {
    let runs = &report.runs;
    let no_rss = runs
        .iter()
        .all(|r| r.record.peak_rss_bytes.is_none_or(|bytes| bytes == 0));
    let no_cpu = runs.iter().all(|r| r.record.cpu_percent == 0.0);
    let samples = || runs.iter().flat_map(|r| r.series.iter());
    let no_rss_series = samples().all(|s| s.rss_bytes == 0);
    let no_cpu_series = samples().all(|s| s.cpu_percent == 0.0);
    report_charts(report)
        .into_iter()
        .filter(|c| {
            let id = c.id.as_str();
            !(no_rss && id == "peak-rss"
                || no_cpu && id == "cpu"
                || no_rss_series && id.starts_with("series-rss-")
                || no_cpu_series && id.starts_with("series-cpu-"))
        })
        .collect()
}

/// The time series charts of one (scenario, limit) group of runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesGroup {
    /// What the runs share, e.g. `high-load C=50`.
    pub label: String,
    /// Its charts: calls in flight, and memory and CPU where measured.
    pub charts: Vec<NamedChart>,
}

/// [`result_charts`] split into the summary charts (against C, per run) and the time
/// series, grouped by scenario and limit in report order.
pub fn chart_groups(report: &Report) -> (Vec<NamedChart>, Vec<SeriesGroup>) {
    let mut summary = Vec::new();
    let mut groups: Vec<(String, SeriesGroup)> = Vec::new();
    for chart in result_charts(report) {
        let key = chart.id.strip_prefix("series-").and_then(|rest| {
            ["in-flight-", "rss-", "cpu-"]
                .iter()
                .find_map(|kind| rest.strip_prefix(kind))
                .map(str::to_owned)
        });
        let Some(key) = key else {
            summary.push(chart);
            continue;
        };
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, group)) => group.charts.push(chart),
            None => {
                let label = chart
                    .title
                    .split_once(" \u{2014} ")
                    .map_or_else(|| key.clone(), |(_, label)| label.to_owned());
                groups.push((
                    key,
                    SeriesGroup {
                        label,
                        charts: vec![chart],
                    },
                ));
            }
        }
    }
    (summary, groups.into_iter().map(|(_, g)| g).collect())
}

/// The live chart of a run in progress: its calls in flight over time, with the line
/// y = C. `series` is what was sampled so far.
pub fn live_chart_svg(run: &ScenarioRun) -> String {
    in_flight_over_time_chart(&[run]).to_svg()
}

/// The most recent sample's in-flight count, the live figure beside the chart.
pub fn latest_in_flight(series: &[Sample]) -> u64 {
    series.last().map_or(0, |s| s.in_flight)
}

#[cfg(test)]
mod tests {
    use tracepool::Outcomes;
    use tracepool::report::record::{Environment, Settings};

    use super::*;

    pub(crate) fn record(model: &str, c: u64, peak: u64) -> RunRecord {
        RunRecord {
            model: model.into(),
            workload: "crawl".into(),
            traces: 1_000,
            concurrency: c,
            wall_s: 2.0,
            jobs: 3_000,
            outcomes: Outcomes {
                completed: 2_850,
                failed: 150,
                ..Outcomes::default()
            },
            lost: 0,
            discovered: 1_000,
            throughput_per_s: 1_500.0,
            error_rate: 0.05,
            peak_in_flight: peak,
            ideal_s: 1.8,
            efficiency: 0.9,
            cpu_percent: 0.0,
            peak_rss_bytes: None,
            peak_os_threads: None,
            latency_p50_ms: 9.0,
            latency_p99_ms: 200.0,
            timer_overshoot_us: 1_000.0,
            timer_sleeps: 3_000,
            timer_requested_ms: 20.0,
            timer_actual_ms: 21.0,
            timer: tracepool::report::SleepTimer::SetTimeout.into(),
            errors_by_kind: Default::default(),
            peak_open_fds: None,
            server_peak_requests: None,
            server_peak_connections: None,
        }
    }

    fn sample(t_s: f64, in_flight: u64) -> Sample {
        Sample {
            t_s,
            cpu_percent: 0.0,
            rss_bytes: 0,
            os_threads: None,
            in_flight,
            queued: 0,
            completed: 0,
        }
    }

    fn report(runs: Vec<ScenarioRun>) -> Report {
        let mut r = Report::new("test", Environment::default(), Settings::default());
        r.runs = runs;
        r
    }

    fn run(model: &str, c: u64, peak: u64) -> ScenarioRun {
        ScenarioRun {
            scenario: "high-load".into(),
            record: record(model, c, peak),
            series: vec![sample(0.0, 0), sample(0.05, peak), sample(0.1, 1)],
        }
    }

    #[test]
    fn rows_format_the_record_and_say_n_a_for_what_was_not_measured() {
        let mut native = run("previous", 10, 40);
        native.record.cpu_percent = 87.5;
        native.record.peak_rss_bytes = Some(12 << 20);
        let rows = rows(&report(vec![run("pool", 10, 10), native]));
        assert_eq!(
            rows[0].cells(),
            [
                "high-load",
                "pool",
                "crawl",
                "10",
                "1,000",
                "1,000",
                "2 s",
                "1,500",
                "500",
                "5 %",
                "10",
                "0.9",
                "n/a",
                "n/a"
            ]
        );
        assert_eq!(
            (rows[1].memory.as_str(), rows[1].cpu.as_str()),
            ("12 MiB", "87.5 %")
        );
        assert!(!rows[0].violation && !rows[1].violation);
    }

    #[test]
    fn a_pool_above_its_limit_or_a_lost_job_is_a_violation() {
        let mut lost = run("unbounded", 10, 500);
        lost.record.lost = 1;
        let rows = rows(&report(vec![
            run("pool", 10, 11),
            run("unbounded", 10, 500),
            lost,
        ]));
        assert_eq!(
            rows.iter().map(|r| r.violation).collect::<Vec<_>>(),
            [true, false, true]
        );
    }

    #[test]
    fn charts_of_unmeasured_metrics_are_left_out() {
        let browser = report(vec![run("pool", 10, 10), run("pool", 20, 20)]);
        let ids: Vec<String> = result_charts(&browser).into_iter().map(|c| c.id).collect();
        assert!(ids.contains(&"throughput-vs-concurrency".to_owned()));
        assert!(ids.contains(&"peak-in-flight-vs-limit".to_owned()));
        assert!(ids.contains(&"wall-time".to_owned()));
        assert!(ids.contains(&"error-rate".to_owned()));
        assert!(ids.contains(&"series-in-flight-high-load-c10".to_owned()));
        assert!(
            !ids.iter().any(|id| id == "cpu" || id == "peak-rss"),
            "{ids:?}"
        );
        assert!(
            !ids.iter()
                .any(|id| id.starts_with("series-rss") || id.starts_with("series-cpu"))
        );

        let mut native = run("pool", 10, 10);
        native.record.cpu_percent = 50.0;
        native.record.peak_rss_bytes = Some(1 << 20);
        native.series[1].rss_bytes = 1 << 20;
        let all = report_charts(&report(vec![native.clone()])).len();
        assert_eq!(
            result_charts(&report(vec![native])).len(),
            all - 1,
            "only the CPU series goes"
        );
    }

    #[test]
    fn time_series_are_grouped_by_scenario_and_limit() {
        let native = Report::from_json(include_str!("../e2e/fixtures/report.json")).unwrap();
        let (summary, groups) = chart_groups(&native);
        let ids: Vec<&str> = summary.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "throughput-vs-concurrency",
                "peak-in-flight-vs-limit",
                "wall-time",
                "peak-rss",
                "cpu",
                "error-rate"
            ]
        );
        let labels: Vec<&str> = groups.iter().map(|g| g.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "high-load C=10",
                "high-load C=20",
                "high-load C=50",
                "high-load C=100"
            ]
        );
        for group in &groups {
            assert_eq!(group.charts.len(), 3, "{}", group.label);
            assert!(group.charts[0].id.starts_with("series-in-flight-"));
        }
        let total = summary.len() + groups.iter().map(|g| g.charts.len()).sum::<usize>();
        assert_eq!(total, result_charts(&native).len());
    }

    #[test]
    fn the_live_chart_draws_the_samples_and_the_limit() {
        let live = run("pool", 200, 180);
        let svg = live_chart_svg(&live);
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("limit C = 200"), "{svg}");
        assert_eq!(latest_in_flight(&live.series), 1);
        assert_eq!(latest_in_flight(&[]), 0);
    }
}
