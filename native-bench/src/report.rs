//! Writing a [`Report`] for people: a fixed-width summary table for the terminal, a
//! Markdown document, a self-contained HTML page with the charts, and the three files
//! of a report directory.
//!
//! Every section reads the report's own fields, so a `report.json` written by the
//! runner or exported by the web app renders the same. Findings and recommendations
//! come from [`Report::findings`] and [`Report::recommendations`]; when a report holds
//! none (an older or hand-assembled one), they are derived from its runs with
//! [`tracepool::report::findings`].
//!
//! # Examples
//!
//! ```
//! use tracepool::report::record::{Environment, Report, Settings};
//! use tracepool_bench::report::{render_html, render_markdown, summary_table};
//!
//! let report = Report::new("0.1.0", Environment::default(), Settings::default());
//! assert!(summary_table(&report).starts_with("scenario"));
//! assert!(render_markdown(&report, None).starts_with("# tracepool benchmark report"));
//! assert!(render_html(&report, None).starts_with("<!DOCTYPE html>"));
//! ```

use std::fmt::Write as _;

use tracepool::report::chart::report_charts;
use tracepool::report::comparison::{ChangeStatus, Metric, MetricChange, RunKey};
use tracepool::report::findings;
use tracepool::report::format::{
    format_count, format_mib, format_number, format_percent, format_seconds,
};
use tracepool::report::record::{Environment, Finding, Recommendation, Report, Verdict};

mod dir;
mod http;
mod shape;

pub use dir::{REPORT_FILES, ReportDir, ReportWriteError, write_report};

/// What the tables and the report show for an OS figure its system does not tell
/// (`null` in the JSON): never a made-up 0.
pub const NOT_AVAILABLE: &str = "n/a";

/// Column headers of the summary table, in order.
const HEADERS: [&str; 15] = [
    "scenario",
    "model",
    "C",
    "traces",
    "wall s",
    "jobs",
    "throughput/s",
    "peak/C",
    "efficiency",
    "CPU %",
    "peak RSS MiB",
    "threads",
    "error rate",
    "p50 ms",
    "p99 ms",
];

/// Whether a column holds text (left-aligned) rather than numbers.
const TEXT_COLUMNS: usize = 2;

/// One row per configuration (repetitions folded into their median, with the
/// min-max spread of wall time, throughput and peak RSS), in report order, as a
/// fixed-width text table: scenario, model, C,
/// traces, wall time, jobs, throughput, peak in flight against C, efficiency, CPU %,
/// peak RSS, threads, error rate and the p50/p99 latencies.
///
/// Text columns are left-aligned, numbers right-aligned, columns separated by two
/// spaces; the output ends with a newline. Meant for the terminal and for notes.
pub fn summary_table(report: &Report) -> String {
    let rows = shape::run_rows(report);
    let mut widths = HEADERS.map(|h| h.chars().count());
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let mut text = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            if i < TEXT_COLUMNS {
                let _ = write!(text, "{cell:<w$}");
            } else {
                let _ = write!(text, "{cell:>w$}");
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&HEADERS.map(str::to_owned));
    line(&widths.map(|w| "-".repeat(w)));
    for r in &rows {
        line(r);
    }
    out
}

/// The findings to show: the report's own, or derived from its runs when it has none.
fn shown_findings(report: &Report) -> Vec<Finding> {
    if report.findings.is_empty() {
        findings::findings(report)
    } else {
        report.findings.clone()
    }
}

/// The recommendations to show: the report's own, or derived from its runs when it has none.
fn shown_recommendations(report: &Report) -> Vec<Recommendation> {
    if report.recommendations.is_empty() {
        findings::recommendations(report)
    } else {
        report.recommendations.clone()
    }
}

fn verdict_label(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Supported => "supported",
        Verdict::NotSupported => "not supported",
        Verdict::Inconclusive => "inconclusive",
    }
}

fn verdict_class(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Supported => "supported",
        Verdict::NotSupported => "not-supported",
        Verdict::Inconclusive => "inconclusive",
    }
}

/// An OS figure its system may not tell: formatted, or `n/a`.
fn or_na<T>(figure: Option<T>, format: impl FnOnce(T) -> String) -> String {
    figure.map_or_else(|| NOT_AVAILABLE.to_owned(), format)
}

/// Label/value pairs of the environment section.
fn environment_rows(report: &Report) -> Vec<(&'static str, String)> {
    let e = &report.environment;
    vec![
        ("CPU", e.cpu_model.clone()),
        ("Cores", format_count(e.cores)),
        ("OS", e.os.clone()),
        ("rustc", e.rustc.clone()),
        ("Git commit", e.git_commit.clone()),
        ("Started", e.timestamp.clone()),
        (
            "Load average (1 min)",
            or_na(e.load_avg_1m, |load| format!("{load:.2}")),
        ),
        (
            "Load average at the end (1 min)",
            e.load_avg_1m_end
                .map_or_else(|| NOT_AVAILABLE.to_owned(), |l| format!("{l:.2}")),
        ),
        (
            "CPU steal during the runs",
            e.cpu_steal_percent.map_or_else(
                || NOT_AVAILABLE.to_owned(),
                |s| format!("{} %", format_number(s)),
            ),
        ),
        ("Memory latency (ns per random read)", memory_latency(e)),
        ("Tool version", report.tool_version.clone()),
        ("Schema version", report.schema_version.to_string()),
    ]
}

/// The memory-latency probes of a report: their median and range, `175 (160-201), 3
/// probes`; `n/a` without a probe.
fn memory_latency(environment: &Environment) -> String {
    let (Some((low, high)), Some(median)) = (
        environment.memory_latency_range(),
        tracepool::report::repeats::median(environment.memory_latency_probes()),
    ) else {
        return NOT_AVAILABLE.to_owned();
    };
    match environment.memory_latency_probes().count() {
        1 => format!("{median:.0}, 1 probe"),
        n => format!("{median:.0} ({low:.0}-{high:.0}), {n} probes"),
    }
}

/// Label/value pairs of the settings section.
fn settings_rows(report: &Report) -> Vec<(&'static str, String)> {
    let s = &report.settings;
    vec![
        ("Seed", s.seed.to_string()),
        ("Time scale", format_number(s.time_scale)),
        (
            "Mean latency (before scaling)",
            format!("{} ms", format_number(s.latency_ms)),
        ),
        ("Failure rate", format_percent(s.failure_rate)),
        (
            "Per-job deadline",
            s.timeout_ms
                .map_or_else(|| "none".to_owned(), |t| format!("{} ms", format_number(t))),
        ),
        (
            "Sample interval",
            format!("{} ms", format_number(s.sample_interval_ms)),
        ),
        (
            "Runs per configuration",
            format!(
                "{} (median and min-max spread shown)",
                format_count(u64::from(s.repeat))
            ),
        ),
    ]
}

fn metric_value(metric: Metric, value: Option<f64>) -> String {
    let Some(v) = value else {
        return "-".to_owned();
    };
    match metric {
        Metric::WallS => format_seconds(v),
        Metric::PeakRssBytes => format_mib(v.max(0.0) as u64),
        Metric::ErrorRate => format_percent(v),
        Metric::CpuPercent => format!("{} %", format_number(v)),
        Metric::LatencyP99Ms => format!("{} ms", format_number(v)),
        Metric::ThroughputPerS => format!("{}/s", format_number(v)),
        Metric::PeakInFlight | Metric::Efficiency => format_number(v),
    }
}

/// The rows of a regression table.
struct Regressions {
    /// Run, metric, old, new, change, status.
    rows: Vec<[String; 6]>,
    /// Metric comparisons within the threshold.
    unchanged: usize,
}

fn regressions(changes: &[MetricChange]) -> Regressions {
    let mut rows = Vec::new();
    let mut unchanged = 0;
    let mut one_sided: Vec<&RunKey> = Vec::new();
    for c in changes {
        let status = match c.status {
            ChangeStatus::Unchanged => {
                unchanged += 1;
                continue;
            }
            ChangeStatus::OnlyInOld | ChangeStatus::OnlyInNew => {
                // One row per missing run rather than one per metric.
                if one_sided.contains(&&c.run) {
                    continue;
                }
                one_sided.push(&c.run);
                let side = if c.status == ChangeStatus::OnlyInOld {
                    "only in the old report"
                } else {
                    "only in the new report"
                };
                rows.push([
                    c.run.to_string(),
                    "all".to_owned(),
                    "-".to_owned(),
                    "-".to_owned(),
                    "-".to_owned(),
                    side.to_owned(),
                ]);
                continue;
            }
            ChangeStatus::Better => "better",
            ChangeStatus::Worse => "worse",
            ChangeStatus::Changed => "changed",
        };
        let change = c.relative_change.map_or_else(
            || "new non-zero".to_owned(),
            |r| {
                format!(
                    "{}{} %",
                    if r > 0.0 { "+" } else { "" },
                    format_number(r * 100.0)
                )
            },
        );
        rows.push([
            c.run.to_string(),
            c.metric.name().to_owned(),
            metric_value(c.metric, c.old),
            metric_value(c.metric, c.new),
            change,
            status.to_owned(),
        ]);
    }
    Regressions { rows, unchanged }
}

const REGRESSION_HEADERS: [&str; 6] = ["run", "metric", "old", "new", "change", "status"];

fn title_line(report: &Report) -> String {
    let e = &report.environment;
    let mut parts = vec![format!("tracepool {}", report.tool_version)];
    if !e.timestamp.is_empty() {
        parts.push(e.timestamp.clone());
    }
    parts.push(format!("{} runs", format_count(report.runs.len() as u64)));
    parts.join(", ")
}

// ---------------------------------------------------------------------------------
// Markdown.

/// Escapes the characters Markdown would otherwise interpret, including `|` in tables
/// and `<` so that no text turns into HTML.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '|' | '[' | ']' | '<' | '>' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

fn md_table<const N: usize>(
    out: &mut String,
    headers: [&str; N],
    rows: &[[String; N]],
    numeric_from: usize,
) {
    let header: Vec<String> = headers.iter().map(|h| md(h)).collect();
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let align: Vec<&str> = (0..N)
        .map(|i| if i < numeric_from { "---" } else { "---:" })
        .collect();
    let _ = writeln!(out, "|{}|", align.join("|"));
    for r in rows {
        let cells: Vec<String> = r.iter().map(|c| md(c)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
}

/// The report as a Markdown document: title, findings (verdict and text),
/// recommendations, environment, settings, the summary table, the http section when the
/// report has runs of the http workload, and, when `changes` is
/// given (from [`tracepool::report::comparison::compare`]), a regression table.
///
/// The regression table lists only the metrics that moved beyond the comparison's
/// threshold, one row per run present in only one report, and the number of
/// comparisons that stayed within the threshold.
pub fn render_markdown(report: &Report, changes: Option<&[MetricChange]>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# tracepool benchmark report\n");
    let _ = writeln!(out, "{}\n", md(&title_line(report)));
    if let Some(warning) = shape::busy_warning(report) {
        let _ = writeln!(out, "> **{}**\n", md(&warning));
    }

    let _ = writeln!(out, "## Findings\n");
    for f in shown_findings(report) {
        let _ = writeln!(
            out,
            "- **{}**: {}. {}",
            md(&f.objective),
            verdict_label(f.verdict),
            md(&f.text)
        );
    }
    out.push('\n');

    let _ = writeln!(out, "## Recommendations\n");
    let recs = shown_recommendations(report);
    if recs.is_empty() {
        let _ = writeln!(
            out,
            "No model ran at more than one concurrency limit in a scenario."
        );
    }
    for r in recs {
        let _ = writeln!(
            out,
            "- **{}** with C = {}: {}",
            md(r.model.as_str()),
            format_count(r.concurrency),
            md(&r.reason)
        );
    }
    out.push('\n');

    for (title, key, rows) in [
        ("Environment", "property", environment_rows(report)),
        ("Settings", "setting", settings_rows(report)),
    ] {
        let _ = writeln!(out, "## {title}\n");
        let rows: Vec<[String; 2]> = rows.into_iter().map(|(k, v)| [k.to_owned(), v]).collect();
        md_table(&mut out, [key, "value"], &rows, 2);
        out.push('\n');
    }

    let _ = writeln!(out, "## Scenarios\n");
    md_table(
        &mut out,
        shape::SCENARIO_HEADERS,
        &shape::scenario_rows(report),
        1,
    );
    out.push('\n');

    let _ = writeln!(out, "## Runs\n");
    if report.runs.is_empty() {
        let _ = writeln!(out, "The report has no runs.");
    } else {
        if let Some(note) = shape::runs_note(report) {
            let _ = writeln!(out, "{}\n", md(&note));
        }
        md_table(&mut out, HEADERS, &shape::run_rows(report), TEXT_COLUMNS);
    }
    http::markdown(report, &mut out);

    if let Some(changes) = changes {
        let reg = regressions(changes);
        let _ = writeln!(out, "\n## Changes against the previous report\n");
        if reg.rows.is_empty() {
            let _ = writeln!(out, "No metric moved beyond the threshold.");
        } else {
            md_table(&mut out, REGRESSION_HEADERS, &reg.rows, 2);
        }
        let _ = writeln!(
            out,
            "\n{} metric comparisons unchanged within the threshold.",
            format_count(reg.unchanged as u64)
        );
    }
    out
}

// ---------------------------------------------------------------------------------
// HTML.

/// Escapes text for HTML element content and attribute values.
fn html(text: &str) -> String {
    tracepool::report::chart::escape(text)
}

const STYLE: &str = "\
:root{color-scheme:light;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--head:#f3f5f7}
*{box-sizing:border-box}
body{margin:0;background:#fff;color:var(--fg);font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}
main{max-width:1100px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:1.8rem;margin:0 0 4px}
h2{font-size:1.3rem;margin:32px 0 12px;padding-bottom:4px;border-bottom:1px solid var(--line)}
.subtitle{color:var(--muted);margin:0 0 8px}
.warning{border-left:4px solid #b45309;background:#fef3c7;color:#78350f;padding:8px 12px}
.finding{border:1px solid var(--line);border-radius:6px;padding:10px 14px;margin:0 0 10px}
.finding h3{font-size:1rem;margin:0 0 4px;display:flex;gap:10px;align-items:center;flex-wrap:wrap}
.finding p{margin:0}
.badge{display:inline-block;font-size:.75rem;font-weight:600;text-transform:uppercase;letter-spacing:.03em;padding:2px 8px;border-radius:10px;white-space:nowrap}
.badge.supported{background:#dafbe1;color:#116329;border:1px solid #4ac26b}
.badge.not-supported{background:#ffebe9;color:#a40e26;border:1px solid #ff8182}
.badge.inconclusive{background:#fff8c5;color:#7d4e00;border:1px solid #d4a72c}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(480px,1fr));gap:16px}
figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:8px}
figure svg{display:block;width:100%;height:auto}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:.9rem;margin:0 0 8px}
th,td{border:1px solid var(--line);padding:4px 8px;vertical-align:top}
th{background:var(--head);text-align:left}
th.num{text-align:right}
table.wide{font-size:.8rem}
table.wide th,table.wide td{padding:3px 6px}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tbody tr:nth-child(even){background:#fafbfc}
table.kv th{width:16em}
td.better{color:#116329;font-weight:600}
td.worse{color:#a40e26;font-weight:600}
ul.recs{padding-left:1.2em}
ul.recs li{margin-bottom:6px}
";

fn html_table<const N: usize>(
    out: &mut String,
    headers: [&str; N],
    rows: &[[String; N]],
    numeric_from: usize,
    class_of: impl Fn(usize, &str) -> Option<&'static str>,
) {
    out.push_str("<div class=\"scroll\"><table class=\"wide\"><thead><tr>");
    for (i, h) in headers.iter().enumerate() {
        let class = if i >= numeric_from {
            " class=\"num\""
        } else {
            ""
        };
        let _ = write!(out, "<th scope=\"col\"{class}>{}</th>", html(h));
    }
    out.push_str("</tr></thead><tbody>\n");
    for r in rows {
        out.push_str("<tr>");
        for (i, cell) in r.iter().enumerate() {
            let mut classes = Vec::new();
            if i >= numeric_from {
                classes.push("num");
            }
            if let Some(c) = class_of(i, cell) {
                classes.push(c);
            }
            if classes.is_empty() {
                let _ = write!(out, "<td>{}</td>", html(cell));
            } else {
                let _ = write!(
                    out,
                    "<td class=\"{}\">{}</td>",
                    classes.join(" "),
                    html(cell)
                );
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
}

fn html_kv(out: &mut String, rows: &[(&str, String)]) {
    out.push_str("<table class=\"kv\"><tbody>\n");
    for (k, v) in rows {
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
            html(k),
            html(v)
        );
    }
    out.push_str("</tbody></table>\n");
}

/// The report as one self-contained HTML5 page: the same sections as
/// [`render_markdown`], with the charts of [`tracepool::report::chart::report_charts`] inlined
/// as SVG right after the findings.
///
/// The page needs nothing else: the style is inline, there is no script, and the only
/// URL in it is the SVG namespace. All text from the report is escaped.
pub fn render_html(report: &Report, changes: Option<&[MetricChange]>) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(
        out,
        "<title>tracepool benchmark report: {}</title>",
        html(&title_line(report))
    );
    let _ = writeln!(out, "<style>\n{STYLE}</style>\n</head>\n<body>\n<main>");
    out.push_str("<h1>tracepool benchmark report</h1>\n");
    let _ = writeln!(
        out,
        "<p class=\"subtitle\">{}</p>",
        html(&title_line(report))
    );
    if let Some(warning) = shape::busy_warning(report) {
        let _ = writeln!(out, "<p class=\"warning\">{}</p>", html(&warning));
    }

    out.push_str("<section id=\"findings\">\n<h2>Findings</h2>\n");
    for f in shown_findings(report) {
        let _ = writeln!(
            out,
            "<article class=\"finding\"><h3><span class=\"badge {}\">{}</span>{}</h3><p>{}</p></article>",
            verdict_class(f.verdict),
            verdict_label(f.verdict),
            html(&f.objective),
            html(&f.text)
        );
    }
    out.push_str("</section>\n");

    let charts = report_charts(report);
    if !charts.is_empty() {
        out.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n<div class=\"charts\">\n");
        for c in &charts {
            // The SVG carries its own title, drawn and as `<title>` for screen readers.
            let _ = writeln!(
                out,
                "<figure id=\"chart-{}\">{}</figure>",
                html(&c.id),
                c.svg
            );
        }
        out.push_str("</div>\n</section>\n");
    }

    out.push_str("<section id=\"recommendations\">\n<h2>Recommendations</h2>\n");
    let recs = shown_recommendations(report);
    if recs.is_empty() {
        out.push_str("<p>No model ran at more than one concurrency limit in a scenario.</p>\n");
    } else {
        out.push_str("<ul class=\"recs\">\n");
        for r in recs {
            let _ = writeln!(
                out,
                "<li><strong>{} with C = {}</strong>: {}</li>",
                html(r.model.as_str()),
                format_count(r.concurrency),
                html(&r.reason)
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");

    out.push_str("<section id=\"environment\">\n<h2>Environment</h2>\n");
    html_kv(&mut out, &environment_rows(report));
    out.push_str("</section>\n<section id=\"settings\">\n<h2>Settings</h2>\n");
    html_kv(&mut out, &settings_rows(report));
    out.push_str("</section>\n");

    out.push_str("<section id=\"scenarios\">\n<h2>Scenarios</h2>\n");
    html_table(
        &mut out,
        shape::SCENARIO_HEADERS,
        &shape::scenario_rows(report),
        1,
        |_, _| None,
    );
    out.push_str("</section>\n");

    out.push_str("<section id=\"runs\">\n<h2>Runs</h2>\n");
    if report.runs.is_empty() {
        out.push_str("<p>The report has no runs.</p>\n");
    } else {
        if let Some(note) = shape::runs_note(report) {
            let _ = writeln!(out, "<p>{}</p>", html(&note));
        }
        html_table(
            &mut out,
            HEADERS,
            &shape::run_rows(report),
            TEXT_COLUMNS,
            |_, _| None,
        );
    }
    out.push_str("</section>\n");
    http::html_section(report, &mut out);

    if let Some(changes) = changes {
        let reg = regressions(changes);
        out.push_str("<section id=\"changes\">\n<h2>Changes against the previous report</h2>\n");
        if reg.rows.is_empty() {
            out.push_str("<p>No metric moved beyond the threshold.</p>\n");
        } else {
            html_table(
                &mut out,
                REGRESSION_HEADERS,
                &reg.rows,
                2,
                |i, cell| match (i, cell) {
                    (5, "better") => Some("better"),
                    (5, "worse") => Some("worse"),
                    _ => None,
                },
            );
        }
        let _ = writeln!(
            out,
            "<p>{} metric comparisons unchanged within the threshold.</p>\n</section>",
            format_count(reg.unchanged as u64)
        );
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}
