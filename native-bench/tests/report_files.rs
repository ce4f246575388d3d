//! The written report: summary table, Markdown, self-contained HTML and the atomic
//! report directory, over a crafted sample report (no benchmark is run).

// The crafted run record shared with core's report tests.
#[path = "../../core/tests/report_common/mod.rs"]
mod report_common;

use std::fs;
use std::path::{Path, PathBuf};

use report_common::Measured;
use tracepool::report::chart::report_charts;
use tracepool::report::comparison::compare;
use tracepool::report::findings::{findings, recommendations};
use tracepool::report::record::{Environment, Report, Sample, ScenarioRun, Settings};
use tracepool_bench::interrupt::Interrupt;
use tracepool_bench::report::{
    ReportDir, ReportWriteError, render_html, render_markdown, summary_table, write_report,
};

/// A run with plausible numbers for a crawl of `traces` traces at limit `c`.
fn run(scenario: &str, model: &str, c: u64, traces: u64) -> ScenarioRun {
    let jobs = traces * 4;
    let failed = jobs / 50;
    let timed_out = if model == "previous" { 0 } else { jobs / 500 };
    // Bounded below by the depth of the trace graph, so throughput levels off.
    let ideal = (jobs as f64 * 0.012 / c as f64).max((traces as f64).cbrt() / 10.0);
    let (wall_s, peak, rss_mib, threads, cpu) = match model {
        "pool" => (
            ideal / 0.94,
            c.min(jobs),
            11 + c / 100,
            3,
            18.0 + c as f64 / 20.0,
        ),
        "previous" => (
            ideal * 1.45,
            (c * 7).min(jobs),
            12 + c / 50,
            3,
            15.0 + c as f64 / 25.0,
        ),
        _ => (
            ideal * 0.92,
            jobs / 5,
            12 + jobs / 300,
            3,
            25.0 + c as f64 / 10.0,
        ),
    };
    let series = (1..=8u32)
        .map(|i| {
            let t = wall_s * f64::from(i) / 8.0;
            Sample {
                t_s: t,
                cpu_percent: cpu * (0.8 + 0.05 * f64::from(i % 3)),
                rss_bytes: (rss_mib << 20) * (6 + u64::from(i.min(6))) / 12,
                os_threads: Some(threads),
                in_flight: if i == 8 {
                    0
                } else {
                    peak * (7 + u64::from(i % 2)) / 8
                },
                queued: jobs.saturating_sub(jobs * u64::from(i) / 8) / 3,
                completed: jobs * u64::from(i) / 8,
            }
        })
        .collect();
    ScenarioRun {
        scenario: scenario.into(),
        record: Measured {
            model,
            traces,
            concurrency: c,
            jobs,
            failed,
            timed_out,
            wall_s,
            // Without a limit the ideal makespan is shorter than the limited models'.
            ideal_s: if model == "unbounded" {
                wall_s * 0.97
            } else {
                ideal
            },
            peak_in_flight: peak,
            cpu_percent: cpu,
            peak_rss_bytes: rss_mib << 20,
            latency_p50_ms: 9.5,
            latency_p99_ms: 41.0,
            timer_overshoot_us: 70.0 + c as f64 / 10.0,
        }
        .record(),
        series,
    }
}

/// The plan's 21 runs with findings and recommendations filled in.
fn sample_report() -> Report {
    let mut report = Report::new(
        "0.1.0",
        Environment {
            cpu_model: "Example CPU @ 2.40GHz <virtual> & co".into(),
            cores: 2,
            os: "Debian GNU/Linux 12 (bookworm), kernel 6.1.0".into(),
            rustc: "rustc 1.95.0".into(),
            git_commit: "0123456789abcdef".into(),
            timestamp: "2026-01-01T12:00:00Z".into(),
            load_avg_1m: Some(0.42),
            ..Environment::default()
        },
        Settings {
            seed: 42,
            time_scale: 0.1,
            latency_ms: 120.0,
            failure_rate: 0.02,
            timeout_ms: Some(3000.0),
            sample_interval_ms: 50.0,
            ..Settings::default()
        },
    );
    for (scenario, traces, cs) in [
        ("baseline", 100, &[10][..]),
        ("high-load", 1000, &[10, 20, 50, 100][..]),
        ("stress", 10_000, &[200, 1000][..]),
    ] {
        for &c in cs {
            for model in ["pool", "previous", "unbounded"] {
                report.runs.push(run(scenario, model, c, traces));
            }
        }
    }
    report.findings = findings(&report);
    report.recommendations = recommendations(&report);
    report
}

/// A fresh, empty directory for one test under the test target's scratch space.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("report-files-{test}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Equal up to the last bit of floating-point fields, which JSON parsing may round
/// differently from the value that was printed.
fn assert_same(read: &Report, written: &Report) {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0);
    assert_eq!(read.tool_version, written.tool_version);
    assert_eq!(read.environment.git_commit, written.environment.git_commit);
    assert_eq!(read.findings, written.findings);
    assert_eq!(read.recommendations, written.recommendations);
    assert_eq!(read.runs.len(), written.runs.len());
    for (a, b) in read.runs.iter().zip(&written.runs) {
        assert_eq!(a.key(), b.key());
        assert_eq!(a.series.len(), b.series.len());
        let (a, b) = (&a.record, &b.record);
        assert_eq!(
            (a.jobs, a.outcomes.completed, a.outcomes.failed, a.lost),
            (b.jobs, b.outcomes.completed, b.outcomes.failed, b.lost)
        );
        assert_eq!(
            (a.peak_in_flight, a.peak_rss_bytes),
            (b.peak_in_flight, b.peak_rss_bytes)
        );
        for (x, y) in [
            (a.wall_s, b.wall_s),
            (a.throughput_per_s, b.throughput_per_s),
            (a.efficiency, b.efficiency),
            (a.error_rate, b.error_rate),
            (a.cpu_percent, b.cpu_percent),
        ] {
            assert!(close(x, y), "{x} != {y}");
        }
    }
}

#[test]
fn summary_table_has_a_row_per_run_in_aligned_columns() {
    let report = sample_report();
    let table = summary_table(&report);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2 + report.runs.len(), "{table}");
    assert!(lines[0].starts_with("scenario"));
    for h in [
        "wall s",
        "throughput/s",
        "peak/C",
        "efficiency",
        "peak RSS MiB",
        "p99 ms",
    ] {
        assert!(lines[0].contains(h), "{h} missing: {}", lines[0]);
    }
    // Right-aligned numbers end in the same column on every line.
    let width = lines[0].len();
    assert!(lines.iter().all(|l| l.len() == width), "{table}");
    assert!(table.contains("stress"));
    assert!(table.contains("1,000 / 1,000"), "{table}");
}

#[test]
fn markdown_has_every_section_in_order() {
    let report = sample_report();
    let md = render_markdown(&report, None);
    let at = |s: &str| md.find(s).unwrap_or_else(|| panic!("{s} missing:\n{md}"));
    assert!(at("# tracepool benchmark report") < at("## Findings"));
    assert!(at("## Findings") < at("## Recommendations"));
    assert!(at("## Recommendations") < at("## Environment"));
    assert!(at("## Environment") < at("## Settings"));
    assert!(at("## Settings") < at("## Scenarios"));
    assert!(at("## Scenarios") < at("## Runs"));
    for f in &report.findings {
        assert!(md.contains(&f.objective), "{}", f.objective);
    }
    assert!(md.contains(": supported."), "{md}");
    assert!(
        md.contains("\\<virtual\\>"),
        "markdown must escape html: {md}"
    );
    assert!(!md.contains("## Changes"));
    assert!(
        !md.contains("Warning: the machine was busy"),
        "load 0.42 on 2 cores"
    );
    // The scenarios table: each scenario's width (its unbounded peak) beside its C.
    let scenarios = &md[at("## Scenarios")..at("## Runs")];
    assert!(
        scenarios.contains("width (unbounded peak in flight)"),
        "{scenarios}"
    );
    assert!(
        scenarios.contains("| stress | 10,000 | 0.1 | 200, 1,000 |"),
        "{scenarios}"
    );
    // Header, alignment row, one row per run.
    let table_rows = md[at("## Runs")..]
        .lines()
        .filter(|l| {
            l.starts_with("| high-load") || l.starts_with("| stress") || l.starts_with("| baseline")
        })
        .count();
    assert_eq!(table_rows, report.runs.len());
}

#[test]
fn markdown_regression_table_lists_only_changes_and_missing_runs() {
    let old = sample_report();
    let mut new = sample_report();
    new.runs[3].record.wall_s *= 1.5; // high-load pool C = 10
    new.runs.pop(); // stress unbounded C = 1,000 only in the old report
    let changes = compare(&old, &new);
    let md = render_markdown(&new, Some(&changes));
    let section = &md[md.find("## Changes").expect("changes section")..];
    assert!(
        section.contains("| high-load pool crawl traces=1000 C=10 | wall\\_s |"),
        "{section}"
    );
    assert!(section.contains("+50 %"), "{section}");
    assert!(section.contains("| worse |"), "{section}");
    assert!(
        section.contains("stress unbounded crawl traces=10000 C=1000 | all"),
        "{section}"
    );
    assert!(section.contains("only in the old report"), "{section}");
    assert_eq!(
        section.matches("only in the old report").count(),
        1,
        "{section}"
    );
    assert!(
        section.contains("metric comparisons unchanged"),
        "{section}"
    );
}

#[test]
fn html_is_self_contained_and_has_charts_and_findings() {
    let report = sample_report();
    let changes = compare(&report, &report);
    let page = render_html(&report, Some(&changes));
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(!page.to_ascii_lowercase().contains("<script"));
    let without_svg_ns = page.replace("http://www.w3.org/2000/svg", "");
    assert!(!without_svg_ns.contains("http://"), "external url");
    assert!(!without_svg_ns.contains("https://"), "external url");
    let charts = report_charts(&report);
    assert!(!charts.is_empty());
    for c in &charts {
        let title = c
            .title
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        assert!(page.contains(&title), "chart title {} missing", c.title);
        assert!(page.contains(&format!("id=\"chart-{}\"", c.id)));
    }
    for f in &report.findings {
        let text = tracepool::report::chart::escape(&f.text);
        assert!(page.contains(&text), "finding text missing: {}", f.text);
    }
    assert!(page.contains("class=\"badge supported\""));
    // Text from the report is escaped.
    assert!(page.contains("Example CPU @ 2.40GHz &lt;virtual&gt; &amp; co"));
    assert!(!page.contains("<virtual>"));
    // Charts come right after the findings.
    let pos = |s: &str| page.find(s).unwrap();
    assert!(pos("id=\"findings\"") < pos("id=\"charts\""));
    assert!(pos("id=\"charts\"") < pos("id=\"recommendations\""));
    assert!(page.contains("No metric moved beyond the threshold."));
}

#[test]
fn reports_without_findings_derive_them() {
    let mut report = sample_report();
    report.findings.clear();
    report.recommendations.clear();
    let md = render_markdown(&report, None);
    for f in findings(&report) {
        assert!(md.contains(&format!("**{}**", f.objective)), "{md}");
    }
    assert!(md.contains("with C = "), "{md}");
}

#[test]
fn write_report_writes_three_files_and_json_round_trips() {
    let dir = scratch("write");
    let out = dir.join("nested").join("report-1");
    let report = sample_report();
    write_report(&report, None, &out).unwrap();
    assert_eq!(entries(&out), ["report.html", "report.json", "report.md"]);
    let json = fs::read_to_string(out.join("report.json")).unwrap();
    assert_same(&Report::from_json(&json).unwrap(), &report);
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(html, render_html(&report, None));
    assert_eq!(
        fs::read_to_string(out.join("report.md")).unwrap(),
        render_markdown(&report, None)
    );
    // Nothing but the report directory is left beside it.
    assert_eq!(entries(&dir.join("nested")), ["report-1"]);
    // Kept for a look in a browser: target/tmp/report-files-write/nested/report-1.
}

#[test]
fn rewriting_replaces_the_existing_report() {
    let dir = scratch("rewrite");
    let out = dir.join("latest");
    let first = sample_report();
    write_report(&first, None, &out).unwrap();
    // A report file the user removed is not missed.
    fs::remove_file(out.join("report.md")).unwrap();

    let mut second = sample_report();
    second.tool_version = "0.2.0".into();
    second.runs.truncate(3);
    let changes = compare(&first, &second);
    write_report(&second, Some(&changes), &out).unwrap();

    assert_eq!(entries(&out), ["report.html", "report.json", "report.md"]);
    let json = fs::read_to_string(out.join("report.json")).unwrap();
    assert_same(&Report::from_json(&json).unwrap(), &second);
    assert!(
        fs::read_to_string(out.join("report.md"))
            .unwrap()
            .contains("## Changes")
    );
    assert_eq!(
        entries(&dir),
        ["latest"],
        "no temporary or old directory left"
    );
}

#[test]
fn unwritable_output_is_an_error_and_leaves_nothing_behind() {
    let dir = scratch("unwritable");
    let file = dir.join("not-a-dir");
    fs::write(&file, "a regular file").unwrap();
    let out = file.join("report");
    let err = write_report(&sample_report(), None, &out).unwrap_err();
    assert!(matches!(err, ReportWriteError::Io { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.starts_with("cannot create directory "), "{msg}");
    assert!(msg.contains("not-a-dir"), "{msg}");
    assert!(!msg.contains('\n'));
    assert!(std::error::Error::source(&err).is_some());
    assert_eq!(entries(&dir), ["not-a-dir"]);
    assert_eq!(fs::read_to_string(&file).unwrap(), "a regular file");
}

#[test]
fn an_existing_file_at_the_output_path_is_kept() {
    let dir = scratch("file-in-the-way");
    let out = dir.join("report");
    fs::write(&out, "keep me").unwrap();
    let err = write_report(&sample_report(), None, &out).unwrap_err();
    assert!(matches!(err, ReportWriteError::NotADirectory(_)), "{err:?}");
    assert!(err.to_string().contains("is not a directory"));
    assert_eq!(fs::read_to_string(&out).unwrap(), "keep me");
    assert_eq!(entries(&dir), ["report"]);
}

#[test]
fn a_path_without_a_name_is_rejected() {
    let err = write_report(&sample_report(), None, Path::new("/")).unwrap_err();
    assert!(matches!(err, ReportWriteError::InvalidPath(_)), "{err:?}");
}

#[test]
fn error_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<ReportWriteError>();
}

/// Every file of a directory, with its bytes.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    entries(dir)
        .into_iter()
        .map(|name| {
            let bytes = fs::read(dir.join(&name)).unwrap_or_default();
            (name, bytes)
        })
        .collect()
}

#[cfg(unix)]
#[test]
fn a_directory_holding_anything_else_is_never_replaced() {
    let dir = scratch("foreign");
    // A project folder, a report with a note added, a subdirectory, a link.
    let project = dir.join("project");
    fs::create_dir_all(project.join(".git")).unwrap();
    fs::write(project.join("main.rs"), "fn main() {}").unwrap();
    let noted = dir.join("noted");
    write_report(&sample_report(), None, &noted).unwrap();
    fs::write(noted.join("notes.txt"), "mine").unwrap();
    let nested = dir.join("nested");
    fs::create_dir_all(nested.join("report.json")).unwrap();
    let linked = dir.join("linked");
    fs::create_dir(&linked).unwrap();
    std::os::unix::fs::symlink(project.join("main.rs"), linked.join("report.md")).unwrap();
    for (out, entry) in [
        (&project, "main.rs"),
        (&noted, "notes.txt"),
        (&nested, "report.json"),
        (&linked, "report.md"),
    ] {
        let before = snapshot(out);
        match ReportDir::check(out) {
            Err(ReportWriteError::NotAReportDirectory { path, entry: found }) => {
                assert_eq!(&path, out);
                if out != &project {
                    assert_eq!(found, Path::new(entry));
                }
            }
            other => panic!("{out:?} accepted: {other:?}"),
        }
        assert_eq!(snapshot(out), before, "{out:?} untouched");
    }
    assert!(project.join(".git").is_dir());
    assert_eq!(
        entries(&dir),
        ["linked", "nested", "noted", "project"],
        "nothing created beside them"
    );
    let message = ReportDir::check(&noted).unwrap_err().to_string();
    assert!(message.contains("notes.txt"), "{message}");
    assert!(
        message.contains("report.json, report.md, report.html"),
        "{message}"
    );
}

#[test]
fn an_empty_directory_takes_a_report() {
    let dir = scratch("empty");
    let out = dir.join("out");
    fs::create_dir(&out).unwrap();
    write_report(&sample_report(), None, &out).unwrap();
    assert_eq!(entries(&out), ["report.html", "report.json", "report.md"]);
    assert_eq!(entries(&dir), ["out"]);
}

#[test]
fn files_added_during_the_runs_stop_the_write() {
    let dir = scratch("added");
    let out = dir.join("report");
    write_report(&sample_report(), None, &out).unwrap();
    let before = snapshot(&out);
    let checked = ReportDir::check(&out).unwrap();
    fs::write(out.join("added.txt"), "while the runs ran").unwrap();
    let err = checked
        .write(&sample_report(), None, &Interrupt::new())
        .unwrap_err();
    assert!(
        matches!(err, ReportWriteError::NotAReportDirectory { .. }),
        "{err:?}"
    );
    fs::remove_file(out.join("added.txt")).unwrap();
    assert_eq!(snapshot(&out), before);
    assert_eq!(
        entries(&dir),
        ["report"],
        "the temporary directory is removed"
    );
}

#[test]
fn an_interrupt_before_the_swap_keeps_the_old_report() {
    let dir = scratch("interrupted");
    let out = dir.join("report");
    write_report(&sample_report(), None, &out).unwrap();
    let before = snapshot(&out);
    let checked = ReportDir::check(&out).unwrap();
    assert_eq!(
        entries(&dir).len(),
        2,
        "the temporary directory exists meanwhile"
    );
    let interrupt = Interrupt::new();
    interrupt.request();
    let mut newer = sample_report();
    newer.tool_version = "9.9.9".into();
    let err = checked.write(&newer, None, &interrupt).unwrap_err();
    assert!(matches!(err, ReportWriteError::Interrupted), "{err:?}");
    assert_eq!(snapshot(&out), before);
    assert_eq!(entries(&dir), ["report"]);
    // Dropped unwritten: the same.
    drop(ReportDir::check(&out).unwrap());
    assert_eq!(entries(&dir), ["report"]);
}

#[cfg(unix)]
#[test]
fn a_symlink_to_a_report_directory_is_written_through() {
    let dir = scratch("linked-dir");
    let real = dir.join("real");
    write_report(&sample_report(), None, &real).unwrap();
    let link = dir.join("latest");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let mut newer = sample_report();
    newer.tool_version = "9.9.9".into();
    write_report(&newer, None, &link).unwrap();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let json = fs::read_to_string(real.join("report.json")).unwrap();
    assert_eq!(Report::from_json(&json).unwrap().tool_version, "9.9.9");
    assert_eq!(entries(&dir), ["latest", "real"]);

    let dangling = dir.join("dangling");
    std::os::unix::fs::symlink(dir.join("nowhere"), &dangling).unwrap();
    let err = write_report(&newer, None, &dangling).unwrap_err();
    assert!(matches!(err, ReportWriteError::DanglingLink(_)), "{err:?}");
    assert_eq!(entries(&dir), ["dangling", "latest", "real"]);
}

#[cfg(target_os = "linux")]
#[test]
fn leftovers_of_a_killed_writer_are_cleaned_up() {
    // A process id no process has (above Linux's largest).
    const GONE: u32 = 4_194_305;
    let dir = scratch("leftovers");
    let out = dir.join("report");
    // Killed after moving the old report aside, before moving the new one in.
    let aside = dir.join(format!(".report.old-{GONE}-0"));
    write_report(&sample_report(), None, &aside).unwrap();
    let old = snapshot(&aside);
    let temp = dir.join(format!(".report.tmp-{GONE}-1"));
    fs::create_dir(&temp).unwrap();
    fs::write(temp.join("report.json"), "{").unwrap();
    // Not a report directory: left alone.
    let foreign = dir.join(format!(".report.tmp-{GONE}-2"));
    fs::create_dir(&foreign).unwrap();
    fs::write(foreign.join("mine.txt"), "x").unwrap();
    // A live process's (this one's parent): left alone.
    let live = dir.join(format!(
        ".report.tmp-{}-3",
        std::os::unix::process::parent_id()
    ));
    fs::create_dir(&live).unwrap();

    let checked = ReportDir::check(&out).unwrap();
    assert_eq!(snapshot(&out), old, "the old report is moved back");
    drop(checked);
    let mut left = entries(&dir);
    left.sort();
    let mut expected = vec![
        "report".to_owned(),
        format!(".report.tmp-{GONE}-2"),
        format!(".report.tmp-{}-3", std::os::unix::process::parent_id()),
    ];
    expected.sort();
    assert_eq!(left, expected);
}

#[test]
fn unavailable_os_figures_read_n_a_in_every_rendering() {
    let mut report = sample_report();
    for run in &mut report.runs {
        run.record.peak_rss_bytes = None;
        run.record.peak_os_threads = None;
        for sample in &mut run.series {
            sample.os_threads = None;
        }
    }
    report.environment.load_avg_1m = None;
    let table = summary_table(&report);
    let row = table.lines().nth(2).unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        cells.iter().filter(|&&c| c == "n/a").count(),
        2,
        "peak RSS and threads: {row}"
    );
    let markdown = render_markdown(&report, None);
    assert!(
        markdown.contains("| Load average (1 min) | n/a |"),
        "{markdown}"
    );
    assert!(markdown.contains("| n/a | n/a |"), "{markdown}");
    let html = render_html(&report, None);
    assert!(html.contains(">n/a<"), "{html}");
    // No made-up figure anywhere: no peak RSS of 0 MiB.
    assert!(!markdown.contains("| 0 | 0 |"), "{markdown}");
}

#[test]
fn memory_latency_probes_far_apart_flag_the_machine_as_busy() {
    let mut report = sample_report();
    // No probe: no row value, no warning.
    assert!(report.environment.memory_latency_ns.is_empty());
    let md = render_markdown(&report, None);
    assert!(
        md.contains("| Memory latency (ns per random read) | n/a |"),
        "{md}"
    );
    assert!(!md.contains("Warning: the machine was busy"), "{md}");
    // Within 1.25 times of one another, probes left out of the count: no warning.
    report.environment.memory_latency_ns = vec![160.0, 175.0, 199.0, f64::NAN, 0.0];
    let md = render_markdown(&report, None);
    assert!(!md.contains("Warning: the machine was busy"), "{md}");
    assert!(
        md.contains("| Memory latency (ns per random read) | 175 (160-199), 3 probes |"),
        "{md}"
    );
    // The highest past 1.25 times the lowest: the machine was busy.
    report.environment.memory_latency_ns = vec![160.0, 175.0, 201.0];
    let md = render_markdown(&report, None);
    let warning = md.find("Warning: the machine was busy").expect("a warning");
    assert!(warning < md.find("## Findings").unwrap(), "at the top");
    assert!(
        md.contains("its memory latency varied from 160 to 201 ns per random read between probes"),
        "{md}"
    );
    let html = render_html(&report, None);
    assert!(html.contains("<p class=\"warning\">Warning: the machine was busy"));
    assert!(html.contains("175 (160-201), 3 probes"), "{html}");
}

#[test]
fn a_busy_machine_is_flagged_at_the_top_and_repeats_fold() {
    let mut report = sample_report();
    report.environment.load_avg_1m_end = Some(3.3);
    report.environment.cpu_steal_percent = Some(4.0);
    let again = report.runs.clone();
    for (mut run, factor) in again.into_iter().zip([2.0, 0.5].into_iter().cycle()) {
        run.record.wall_s *= factor;
        report.runs.push(run);
    }
    let md = render_markdown(&report, None);
    let warning = md.find("Warning: the machine was busy").expect("a warning");
    assert!(warning < md.find("## Findings").unwrap(), "at the top");
    assert!(md.contains("load average reached 3.30 on 2 cores"), "{md}");
    assert!(md.contains("4.0 % of the CPU time was stolen"), "{md}");
    let html = render_html(&report, None);
    assert!(html.contains("<p class=\"warning\">Warning: the machine was busy"));
    // Two runs per configuration: one row each, the median and the min-max spread.
    let table = summary_table(&report);
    assert_eq!(table.lines().count(), 2 + report.runs.len() / 2, "{table}");
    assert!(table.lines().nth(2).unwrap().contains('('), "{table}");
}
