//! Report JSON round trip, schema-version checks and report comparison.

mod report_common;

use report_common::Measured;
use tracepool::report::comparison::{ChangeStatus, Metric, compare, compare_with_threshold};
use tracepool::report::record::{
    Environment, Finding, Recommendation, Report, ReportError, RunRecord, SCHEMA_VERSION, Sample,
    ScenarioRun, Settings, Verdict,
};

fn record(model: &str, concurrency: u64, wall_s: f64) -> RunRecord {
    Measured {
        model,
        concurrency,
        wall_s,
        jobs: 4000,
        failed: 30,
        timed_out: 10,
        ideal_s: wall_s * 0.9,
        peak_in_flight: concurrency,
        cpu_percent: 35.0,
        peak_rss_bytes: 24 << 20,
        latency_p50_ms: 12.0,
        latency_p99_ms: 48.0,
        timer_overshoot_us: 80.0,
        ..Measured::default()
    }
    .record()
}

fn run(scenario: &str, model: &str, concurrency: u64, wall_s: f64) -> ScenarioRun {
    ScenarioRun {
        scenario: scenario.into(),
        record: record(model, concurrency, wall_s),
        series: vec![Sample {
            t_s: 0.05,
            cpu_percent: 30.0,
            rss_bytes: 20 << 20,
            os_threads: Some(3),
            in_flight: concurrency,
            queued: 12,
            completed: 40,
        }],
    }
}

fn report(runs: Vec<ScenarioRun>) -> Report {
    let mut report = Report::new(
        "0.1.0",
        Environment {
            cpu_model: "Test CPU".into(),
            cores: 2,
            os: "Linux".into(),
            rustc: "rustc 1.85.0".into(),
            git_commit: "abc123".into(),
            timestamp: "2026-01-01T00:00:00Z".into(),
            load_avg_1m: Some(0.5),
            ..Environment::default()
        },
        Settings {
            seed: 7,
            time_scale: 0.1,
            latency_ms: 120.0,
            ..Settings::default()
        },
    );
    report.runs = runs;
    report
}

#[test]
fn json_round_trip() {
    let mut r = report(vec![
        run("baseline", "previous", 10, 2.0),
        run("high-load", "pool", 50, 1.5),
    ]);
    r.findings.push(Finding {
        objective: "limits concurrency".into(),
        verdict: Verdict::NotSupported,
        text: "peak 12 > C = 10".into(),
    });
    r.recommendations.push(Recommendation {
        model: "pool".into(),
        concurrency: 50,
        reason: "best throughput".into(),
    });
    let json = r.to_json_pretty();
    assert!(json.contains(&format!("\"schema_version\": {SCHEMA_VERSION}")));
    assert!(json.contains("\"not_supported\""));
    assert_eq!(Report::from_json(&json).unwrap(), r);
}

#[test]
fn rejects_other_schema_versions() {
    let mut value: serde_json::Value =
        serde_json::from_str(&report(vec![]).to_json_pretty()).unwrap();
    value["schema_version"] = serde_json::json!(SCHEMA_VERSION + 1);
    let err = Report::from_json(&value.to_string()).unwrap_err();
    assert!(
        matches!(err, ReportError::UnsupportedSchemaVersion { found, supported }
        if found == u64::from(SCHEMA_VERSION) + 1 && supported == SCHEMA_VERSION)
    );
    assert!(
        err.to_string()
            .contains("unsupported report schema version")
    );

    // A future version with a different shape is still named as a version problem.
    let err = Report::from_json(r#"{"schema_version": 99, "something": "else"}"#).unwrap_err();
    assert!(matches!(
        err,
        ReportError::UnsupportedSchemaVersion { found: 99, .. }
    ));

    value.as_object_mut().unwrap().remove("schema_version");
    let err = Report::from_json(&value.to_string()).unwrap_err();
    assert!(matches!(err, ReportError::MissingSchemaVersion));

    for version in [r#""one""#, "-1", "1.5", "[1]", "{}"] {
        let err = Report::from_json(&format!(r#"{{"schema_version": {version}}}"#)).unwrap_err();
        assert!(matches!(err, ReportError::Json(_)), "{version}: {err}");
        assert!(
            err.to_string().contains("non-negative integer"),
            "{version}: {err}"
        );
    }
    let err = Report::from_json(r#"{"schema_version": null}"#).unwrap_err();
    assert!(matches!(err, ReportError::MissingSchemaVersion));
    assert!(matches!(
        Report::from_json("not json"),
        Err(ReportError::Json(_))
    ));
}

#[test]
fn helpers_list_distinct_names_in_order() {
    let r = report(vec![
        run("high-load", "pool", 10, 1.0),
        run("high-load", "previous", 10, 1.0),
        run("baseline", "pool", 10, 1.0),
    ]);
    assert_eq!(r.scenarios(), ["high-load", "baseline"]);
    assert_eq!(r.models(), ["pool", "previous"]);
    assert_eq!(r.runs_of("high-load").count(), 2);
}

fn status(
    changes: &[tracepool::report::comparison::MetricChange],
    model: &str,
    metric: Metric,
) -> ChangeStatus {
    changes
        .iter()
        .find(|c| c.run.model == model && c.metric == metric)
        .unwrap()
        .status
}

#[test]
fn compare_flags_better_worse_and_unchanged() {
    let old = report(vec![
        run("high-load", "pool", 50, 2.0),
        run("high-load", "previous", 50, 2.0),
    ]);
    let mut new = report(vec![
        run("high-load", "previous", 50, 2.02),
        run("high-load", "pool", 50, 1.0),
    ]);
    new.runs[1].record.error_rate = 0.05; // 0.01 -> 0.05: worse
    new.runs[1].record.peak_in_flight = 80; // neutral metric
    let changes = compare(&old, &new);
    assert_eq!(changes.len(), 2 * Metric::ALL.len());

    assert_eq!(
        status(&changes, "pool", Metric::WallS),
        ChangeStatus::Better
    );
    assert_eq!(
        status(&changes, "pool", Metric::ThroughputPerS),
        ChangeStatus::Better
    );
    assert_eq!(
        status(&changes, "pool", Metric::ErrorRate),
        ChangeStatus::Worse
    );
    assert_eq!(
        status(&changes, "pool", Metric::PeakInFlight),
        ChangeStatus::Changed
    );
    assert_eq!(
        status(&changes, "pool", Metric::Efficiency),
        ChangeStatus::Unchanged
    );
    // 1 % slower stays within the 5 % threshold.
    assert_eq!(
        status(&changes, "previous", Metric::WallS),
        ChangeStatus::Unchanged
    );

    let wall = changes
        .iter()
        .find(|c| c.run.model == "pool" && c.metric == Metric::WallS)
        .unwrap();
    assert_eq!((wall.old, wall.new), (Some(2.0), Some(1.0)));
    assert!((wall.relative_change.unwrap() + 0.5).abs() < 1e-12);

    // A tighter threshold turns the 1 % slowdown into a regression.
    let strict = compare_with_threshold(&old, &new, 0.001);
    assert_eq!(
        status(&strict, "previous", Metric::WallS),
        ChangeStatus::Worse
    );
}

#[test]
fn compare_reports_runs_missing_on_either_side() {
    let old = report(vec![
        run("baseline", "previous", 10, 2.0),
        run("stress", "pool", 200, 9.0),
    ]);
    let new = report(vec![
        run("baseline", "previous", 10, 2.0),
        run("stress", "pool", 400, 8.0),
    ]);
    let changes = compare(&old, &new);
    assert_eq!(changes.len(), 3 * Metric::ALL.len());
    let only_new: Vec<_> = changes
        .iter()
        .filter(|c| c.status == ChangeStatus::OnlyInNew)
        .collect();
    let only_old: Vec<_> = changes
        .iter()
        .filter(|c| c.status == ChangeStatus::OnlyInOld)
        .collect();
    assert_eq!(only_new.len(), Metric::ALL.len());
    assert_eq!(only_old.len(), Metric::ALL.len());
    assert!(
        only_new
            .iter()
            .all(|c| c.run.concurrency == 400 && c.old.is_none() && c.new.is_some())
    );
    assert!(
        only_old
            .iter()
            .all(|c| c.run.concurrency == 200 && c.new.is_none() && c.old.is_some())
    );
    assert!(
        changes
            .iter()
            .filter(|c| c.run.scenario == "baseline")
            .all(|c| c.status == ChangeStatus::Unchanged)
    );
}

#[test]
fn compare_from_zero_counts_as_a_change() {
    let mut old = report(vec![run("baseline", "pool", 10, 1.0)]);
    old.runs[0].record.error_rate = 0.0;
    let mut new = old.clone();
    new.runs[0].record.error_rate = 0.001;
    let changes = compare(&old, &new);
    let c = changes
        .iter()
        .find(|c| c.metric == Metric::ErrorRate)
        .unwrap();
    assert_eq!(c.relative_change, None);
    assert_eq!(c.status, ChangeStatus::Worse);
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Report>();
    check::<ReportError>();
    check::<tracepool::report::comparison::MetricChange>();
}

#[test]
fn unavailable_os_figures_are_null_in_json_and_left_out_of_comparisons() {
    let mut old = report(vec![run("stress", "pool", 200, 2.0)]);
    let mut new = old.clone();
    let unavailable = &mut new.runs[0];
    unavailable.record.peak_rss_bytes = None;
    unavailable.record.peak_os_threads = None;
    unavailable.series[0].os_threads = None;
    new.environment.load_avg_1m = None;
    let json = new.to_json_pretty();
    for field in [
        "peak_rss_bytes",
        "peak_os_threads",
        "os_threads",
        "load_avg_1m",
    ] {
        assert!(
            json.contains(&format!("\"{field}\": null")),
            "{field}: {json}"
        );
    }
    assert_eq!(Report::from_json(&json).unwrap(), new);
    // Records written before the fields were nullable read as they were.
    old.runs[0].record.peak_rss_bytes = Some(24 << 20);
    assert!(
        old.to_json_pretty()
            .contains("\"peak_rss_bytes\": 25165824")
    );

    let changes = compare(&old, &new);
    assert!(!changes.is_empty());
    assert!(
        changes.iter().all(|c| c.metric != Metric::PeakRssBytes),
        "a figure one side does not have is not compared: {changes:?}"
    );
    assert_eq!(Metric::PeakRssBytes.value(&new.runs[0].record), None);
}

#[test]
fn a_record_writes_its_outcomes_inline_in_schema_order_and_reads_back() {
    let mut rec = record("pool", 8, 2.0);
    rec.outcomes.cancelled = 3;
    let json = serde_json::to_string(&rec).unwrap();
    let keys: Vec<&str> = json
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|k| json.contains(&format!("\"{k}\":")))
        .collect();
    let at = |k: &str| keys.iter().position(|&x| x == k).unwrap();
    assert_eq!(&keys[..4], ["model", "workload", "traces", "concurrency"]);
    assert_eq!(
        &keys[at("jobs")..=at("discovered")],
        [
            "jobs",
            "completed",
            "failed",
            "timed_out",
            "panicked",
            "cancelled",
            "lost",
            "discovered"
        ]
    );
    assert!(!keys.contains(&"outcomes"), "{json}");
    assert!(json.contains(r#""failed":30,"timed_out":10,"panicked":0,"cancelled":3"#));
    let back: RunRecord = serde_json::from_str(&json).unwrap();
    assert_eq!(back, rec);

    let without = json.replace(r#""panicked":0,"#, "");
    let err = serde_json::from_str::<RunRecord>(&without)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("missing field `panicked`"), "{err}");
    let err = serde_json::from_str::<RunRecord>("[]")
        .unwrap_err()
        .to_string();
    assert!(err.contains("struct RunRecord"), "{err}");
}
