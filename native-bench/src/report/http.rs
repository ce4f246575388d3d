//! The report's http section: the limit seen from the server, the client's file
//! descriptors, throughput against C with the server's knee, and the failures by
//! status, for the runs of the http workload (`report --workload http`). A report
//! without http runs has no such section.

use std::fmt::Write as _;

use tracepool::report::findings::KNEE_SHARE;
use tracepool::report::format::{format_count, format_number, format_percent};
use tracepool::report::record::{Report, ScenarioRun};
use tracepool::report::{ModelName, Workload};

use super::{html, html_table, md, md_table};

/// Column headers of the http table, in order.
const HEADERS: [&str; 11] = [
    "scenario",
    "model",
    "C",
    "server peak requests",
    "at most C",
    "server peak connections",
    "client peak fds",
    "calls/s",
    "traces/s",
    "error rate",
    "errors by kind (share of calls)",
];

/// Whether a column holds text (left-aligned) rather than numbers.
const TEXT_COLUMNS: usize = 2;

/// What the section says before its table.
const INTRO: &str = "Each run crawled the seeded graph over HTTP from a local server, a process \
of its own: the client's figures are the runner's, the server's are its own counters. The \
server peak is the most requests in progress at the server at one instant: the pool's must be \
at most C, or beyond it by no more than the calls the client abandoned at its deadline \
(timeouts), which the server works on until it notices the closed connection. The server serves a fixed number of calls at once and queues the rest, then answers \
503: throughput stops growing with C at its knee. Failures are counted by kind: http_429, \
http_503, ... by status, timeout past the client's deadline, network for resets and refused \
connections, exhausted when no file descriptor was left.";

/// The http runs of `report`, in report order.
fn http_runs(report: &Report) -> Vec<&ScenarioRun> {
    report
        .runs
        .iter()
        .filter(|r| r.record.workload == Workload::Http)
        .collect()
}

fn optional(value: Option<u64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), format_count)
}

fn row(run: &ScenarioRun) -> [String; 11] {
    let r = &run.record;
    let within = match r.server_peak_requests {
        Some(peak) if peak <= r.concurrency => "yes".to_owned(),
        Some(peak) if peak <= r.concurrency + r.abandoned() => {
            format!("yes, with {} abandoned", format_count(peak - r.concurrency))
        }
        Some(_) => "NO".to_owned(),
        None => "n/a".to_owned(),
    };
    let kinds: Vec<String> = r
        .errors_by_kind
        .iter()
        .map(|(kind, n)| {
            format!(
                "{kind} {}",
                format_percent(*n as f64 / r.jobs.max(1) as f64)
            )
        })
        .collect();
    let traces_per_s = if r.wall_s > 0.0 {
        r.discovered as f64 / r.wall_s
    } else {
        0.0
    };
    [
        run.scenario.clone(),
        r.model.to_string(),
        format_count(r.concurrency),
        optional(r.server_peak_requests),
        within,
        optional(r.server_peak_connections),
        optional(r.peak_open_fds),
        format_number(r.throughput_per_s),
        format_number(traces_per_s),
        format_percent(r.error_rate),
        if kinds.is_empty() {
            "none".to_owned()
        } else {
            kinds.join(", ")
        },
    ]
}

/// Throughput against C, one sentence per scenario and model run at two limits or
/// more: the calls per second at each limit and the knee, the smallest limit within
/// [`KNEE_SHARE`] of the best.
fn knees(runs: &[&ScenarioRun]) -> Vec<String> {
    let mut groups: Vec<(&str, &ModelName)> = Vec::new();
    for run in runs {
        let key = (run.scenario.as_str(), &run.record.model);
        if !groups.contains(&key) {
            groups.push(key);
        }
    }
    let mut out = Vec::new();
    for (scenario, model) in groups {
        let mut points: Vec<(u64, f64)> = runs
            .iter()
            .filter(|r| r.scenario == scenario && r.record.model == *model)
            .map(|r| (r.record.concurrency, r.record.throughput_per_s))
            .collect();
        points.sort_by_key(|&(c, _)| c);
        points.dedup_by_key(|&mut (c, _)| c);
        if points.len() < 2 {
            continue;
        }
        let best = points.iter().map(|&(_, t)| t).fold(0.0, f64::max);
        let knee = points
            .iter()
            .find(|&&(_, t)| t >= best * KNEE_SHARE)
            .map_or(0, |&(c, _)| c);
        let curve: Vec<String> = points
            .iter()
            .map(|&(c, t)| format!("{} at C = {}", format_number(t), format_count(c)))
            .collect();
        out.push(format!(
            "{scenario}, {model}: calls/s {}; the knee (the smallest C within {} of the best) is C = {}.",
            curve.join(", "),
            format_percent(KNEE_SHARE),
            format_count(knee)
        ));
    }
    out
}

/// Appends the http section to a Markdown report, when the report has http runs.
pub(super) fn markdown(report: &Report, out: &mut String) {
    let runs = http_runs(report);
    if runs.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n## HTTP: the limit seen from the server\n");
    let _ = writeln!(out, "{}\n", md(INTRO));
    let rows: Vec<[String; 11]> = runs.iter().map(|r| row(r)).collect();
    md_table(out, HEADERS, &rows, TEXT_COLUMNS);
    let knees = knees(&runs);
    if !knees.is_empty() {
        out.push('\n');
        for knee in knees {
            let _ = writeln!(out, "- {}", md(&knee));
        }
    }
}

/// Appends the http section to an HTML report, when the report has http runs.
pub(super) fn html_section(report: &Report, out: &mut String) {
    let runs = http_runs(report);
    if runs.is_empty() {
        return;
    }
    out.push_str("<section id=\"http\">\n<h2>HTTP: the limit seen from the server</h2>\n");
    let _ = writeln!(out, "<p>{}</p>", html(INTRO));
    let rows: Vec<[String; 11]> = runs.iter().map(|r| row(r)).collect();
    html_table(out, HEADERS, &rows, TEXT_COLUMNS, |i, cell| {
        (i == 4 && cell == "NO").then_some("worse")
    });
    let knees = knees(&runs);
    if !knees.is_empty() {
        out.push_str("<ul>\n");
        for knee in knees {
            let _ = writeln!(out, "<li>{}</li>", html(&knee));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use tracepool::report::record::{Environment, RunRecord, Settings};

    use super::*;

    fn record(model: &str, c: u64, throughput: f64, server_peak: u64) -> RunRecord {
        let json = format!(
            r#"{{"model":"{model}","workload":"http","traces":10000,"concurrency":{c},"wall_s":2.0,"jobs":1000,"completed":900,"failed":100,"timed_out":0,"panicked":0,"cancelled":0,"lost":0,"discovered":800,"throughput_per_s":{throughput},"error_rate":0.1,"peak_in_flight":{c},"ideal_s":1.0,"efficiency":0.5,"cpu_percent":10.0,"peak_rss_bytes":1,"peak_os_threads":3,"latency_p50_ms":1.0,"latency_p99_ms":2.0,"timer_overshoot_us":0.0,"errors_by_kind":{{"exhausted":60,"http_429":40}},"peak_open_fds":{fds},"server_peak_requests":{server_peak},"server_peak_connections":{server_peak}}}"#,
            fds = c + 20
        );
        serde_json::from_str(&json).unwrap()
    }

    fn report(runs: Vec<RunRecord>) -> Report {
        let mut report = Report::new("0.1.0", Environment::default(), Settings::default());
        for record in runs {
            report.runs.push(ScenarioRun {
                scenario: "high-load".to_owned(),
                record,
                series: Vec::new(),
            });
        }
        report
    }

    #[test]
    fn calls_abandoned_at_the_deadline_may_linger_at_the_server() {
        let mut pool = record("pool", 10, 100.0, 12);
        pool.errors_by_kind.insert("timeout".to_owned(), 2);
        assert_eq!(
            row(&ScenarioRun {
                scenario: "stress".to_owned(),
                record: pool.clone(),
                series: Vec::new()
            })[4],
            "yes, with 2 abandoned"
        );
        pool.server_peak_requests = Some(13);
        assert_eq!(
            row(&ScenarioRun {
                scenario: "stress".to_owned(),
                record: pool,
                series: Vec::new()
            })[4],
            "NO"
        );
    }

    #[test]
    fn a_report_without_http_runs_has_no_section() {
        let mut crawl = record("pool", 10, 100.0, 10);
        crawl.workload = Workload::Crawl.into();
        let mut out = String::new();
        markdown(&report(vec![crawl]), &mut out);
        html_section(&report(Vec::new()), &mut out);
        assert_eq!(out, "");
    }

    #[test]
    fn the_section_shows_the_server_side_peak_fds_statuses_and_the_knee() {
        let r = report(vec![
            record("pool", 10, 100.0, 10),
            record("pool", 100, 480.0, 100),
            record("pool", 1000, 500.0, 1000),
            record("unbounded", 10, 900.0, 950),
        ]);
        let mut out = String::new();
        markdown(&r, &mut out);
        assert!(
            out.contains("## HTTP: the limit seen from the server"),
            "{out}"
        );
        assert!(
            out.contains(
                "| high-load | pool | 100 | 100 | yes | 100 | 120 | 480 | 400 | 10 % | exhausted 6 %, http\\_429 4 % |"
            ),
            "{out}"
        );
        assert!(out.contains("| unbounded | 10 | 950 | NO |"), "{out}");
        assert!(out.contains("| pool | 1,000 | 1,000 | yes |"), "{out}");
        assert!(
            out.contains("high-load, pool: calls/s 100 at C = 10, 480 at C = 100, 500 at C = 1,000; the knee (the smallest C within 95 % of the best) is C = 100."),
            "{out}"
        );
        // A model run at one limit has no curve.
        assert!(!out.contains("high-load, unbounded: calls/s"), "{out}");

        let mut page = String::new();
        html_section(&r, &mut page);
        assert!(page.starts_with("<section id=\"http\">"), "{page}");
        assert!(page.contains("<td class=\"num worse\">NO</td>"), "{page}");
        assert!(page.ends_with("</section>\n"));
    }
}
