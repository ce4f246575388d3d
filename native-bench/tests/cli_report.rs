//! The `report` command end to end: each scenario's report directory, --compare,
//! --profile, and what it refuses to write over.

use std::path::Path;

use tracepool::report::record::Report;

mod common;
use common::{assert_usage_error, bench};

fn assert_self_contained(html: &str) {
    let outside = html
        .replace("http://www.w3.org/2000/svg", "")
        .replace("http://www.w3.org/1999/xlink", "");
    assert!(
        !outside.contains("http://") && !outside.contains("https://"),
        "external URL in report.html"
    );
    assert!(!html.contains("<script src"), "external script");
    assert!(html.contains("<svg"), "inline charts");
}

fn check_report_dir(dir: &Path, runs: usize) -> Report {
    let json = std::fs::read_to_string(dir.join("report.json")).unwrap();
    let report = Report::from_json(&json).expect("report.json parses");
    assert_eq!(report.runs.len(), runs);
    assert!(!report.findings.is_empty());
    assert!(!report.environment.cpu_model.is_empty());
    for run in &report.runs {
        assert_eq!(run.record.lost, 0);
        assert!(!run.series.is_empty(), "time series sampled");
    }
    assert!(
        std::fs::read_to_string(dir.join("report.md"))
            .unwrap()
            .contains("# ")
    );
    assert_self_contained(&std::fs::read_to_string(dir.join("report.html")).unwrap());
    report
}

#[test]
fn each_scenario_smoke_and_compare() {
    let dir = tempfile::tempdir().unwrap();
    // Baseline repeated twice (interleaved: every model once, then again), the others once.
    for (scenario, repeat, runs) in [
        ("baseline", "2", 6),
        ("high-load", "1", 12),
        ("stress", "1", 6),
    ] {
        let out = dir.path().join(scenario);
        let output = bench()
            .args([
                "report",
                "--scenario",
                scenario,
                "--repeat",
                repeat,
                "--latency-ms",
                "0.2",
                "--time-scale",
                "0.05",
                "--out",
            ])
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{scenario}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let report = check_report_dir(&out, runs);
        assert!(report.runs.iter().all(|r| r.scenario == scenario));
        assert_eq!(report.settings.repeat.to_string(), repeat);
        let models: Vec<&str> = report
            .runs
            .iter()
            .map(|r| r.record.model.as_str())
            .collect();
        assert_eq!(models[..3], models[3..6], "rounds interleave the models");
        // The machine's memory latency: probed before the first run and after each
        // round of the scenario's runs (on Linux only).
        let probes = &report.environment.memory_latency_ns;
        if cfg!(target_os = "linux") {
            let rounds: usize = repeat.parse().unwrap();
            assert_eq!(probes.len(), 1 + rounds, "{scenario}: {probes:?}");
            assert!(
                probes.iter().all(|ns| ns.is_finite() && *ns > 0.0),
                "{probes:?}"
            );
        } else {
            assert!(probes.is_empty(), "{probes:?}");
        }
    }
    let again = dir.path().join("again");
    let old = dir.path().join("baseline").join("report.json");
    bench()
        .args([
            "report",
            "--scenario",
            "baseline",
            "--latency-ms",
            "0.2",
            "--time-scale",
            "0.05",
            "--out",
        ])
        .arg(&again)
        .arg("--compare")
        .arg(&old)
        .assert()
        .success();
    let md = std::fs::read_to_string(again.join("report.md")).unwrap();
    assert!(md.to_lowercase().contains("regression") || md.to_lowercase().contains("compar"));
}

#[test]
fn bad_compare_file_and_output_dir_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{ not json").unwrap();
    let out = dir.path().join("out");
    let output = bench()
        .args(["report", "--scenario", "baseline", "--compare"])
        .arg(&bad)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_usage_error(&output, "--compare");
    assert!(!out.exists());

    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let under_file = file.join("report");
    let output = bench()
        .args(["report", "--scenario", "baseline", "--out"])
        .arg(&under_file)
        .output()
        .unwrap();
    assert_usage_error(&output, "--out");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        2,
        "only the two input files remain: {leftovers:?}"
    );
}

#[test]
fn profile_writes_a_flamegraph() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("cpu.svg");
    let output = bench()
        .args([
            "run",
            "--traces",
            "2000",
            "--latency-ms",
            "0",
            "--cpu-us",
            "20",
            "--json",
            "--profile",
        ])
        .arg(&svg)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("<svg"), "flamegraph is an SVG");
}

/// A run too short for a single CPU sample still gets a valid SVG, not an empty file.
#[test]
fn a_profile_without_samples_is_still_an_svg() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("cpu.svg");
    bench()
        .args([
            "run",
            "--traces",
            "1",
            "--latency-ms",
            "0",
            "--json",
            "--profile",
        ])
        .arg(&svg)
        .assert()
        .success();
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("<svg"), "an SVG: {text:?}");
}

/// `report --out` pointed at a folder that is not a report: refused before any run,
/// and nothing in it is touched.
#[test]
fn report_never_replaces_a_folder_that_is_not_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    std::fs::create_dir_all(project.join(".git")).unwrap();
    std::fs::create_dir_all(project.join("src")).unwrap();
    std::fs::write(project.join("src/main.rs"), "fn main() {}").unwrap();
    std::fs::write(project.join(".git/HEAD"), "ref: refs/heads/main").unwrap();
    let output = bench()
        .args(["report", "--scenario", "stress", "--out"])
        .arg(&project)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_usage_error(&output, "--out");
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a report file"));
    assert_eq!(
        std::fs::read_to_string(project.join("src/main.rs")).unwrap(),
        "fn main() {}"
    );
    assert_eq!(
        std::fs::read_to_string(project.join(".git/HEAD")).unwrap(),
        "ref: refs/heads/main"
    );
    let mut left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    left.sort();
    assert_eq!(left, ["project"], "nothing created beside it");
}

/// A profile inside the report directory would make it more than a report.
#[test]
fn report_profile_inside_out_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    std::fs::create_dir(&out).unwrap();
    let output = bench()
        .args(["report", "--scenario", "stress", "--out"])
        .arg(&out)
        .arg("--profile")
        .arg(out.join("cpu.svg"))
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_usage_error(&output, "--profile");
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

/// An `--out` whose parent takes no new entry fails before any run.
#[cfg(target_os = "linux")]
#[test]
fn report_out_in_a_directory_that_takes_no_entry_fails_at_once() {
    let output = bench()
        .args([
            "report",
            "--scenario",
            "stress",
            "--out",
            "/proc/self/report",
        ])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_usage_error(&output, "--out");
}
