//! Repeated runs: medians, spreads, scenario shapes, and reports of schema versions 1
//! and 2 read alike.

use tracepool::report::comparison::compare;
use tracepool::report::record::{READ_VERSIONS, Report, SCHEMA_VERSION};
use tracepool::report::repeats::{run_groups, scenario_shapes};

mod report_common;
use report_common::Measured;

fn report_with(runs: &[(&str, &str, u64, f64, u64)]) -> Report {
    let mut report = Report::new(
        "0.1.0",
        Default::default(),
        tracepool::report::record::Settings {
            time_scale: 0.5,
            scenario_time_scales: [("stress".to_owned(), 0.25)].into_iter().collect(),
            repeat: 3,
            ..Default::default()
        },
    );
    for &(scenario, model, c, wall, peak) in runs {
        let mut run = tracepool::report::record::ScenarioRun {
            scenario: scenario.to_owned(),
            record: Measured {
                model,
                concurrency: c,
                ..Measured::default()
            }
            .record(),
            series: Vec::new(),
        };
        run.record.wall_s = wall;
        run.record.peak_in_flight = peak;
        report.runs.push(run);
    }
    report
}

#[test]
fn repetitions_fold_into_their_median_and_spread() {
    let report = report_with(&[
        ("stress", "pool", 200, 3.0, 200),
        ("stress", "unbounded", 200, 1.0, 2_900),
        ("stress", "pool", 200, 1.0, 200),
        ("stress", "unbounded", 200, 2.0, 3_300),
        ("stress", "pool", 200, 2.0, 200),
        ("stress", "unbounded", 200, 9.0, 2_400),
    ]);
    let groups = run_groups(&report);
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0].runs.len(), 3);
    assert_eq!(groups[0].median(|r| r.wall_s), 2.0);
    assert_eq!(groups[0].spread(|r| r.wall_s), (1.0, 3.0));
    let medians = report.medians();
    assert_eq!(medians.runs.len(), 2);
    assert_eq!(medians.runs[1].record.wall_s, 2.0);
    assert_eq!(medians.runs[1].record.peak_in_flight, 2_900);

    let shapes = scenario_shapes(&report);
    assert_eq!(shapes.len(), 1);
    assert_eq!(shapes[0].width, Some(2_900));
    assert_eq!(shapes[0].time_scale, 0.125);
    assert_eq!(shapes[0].binds(), Some(true));
}

#[test]
fn compare_reads_medians() {
    let old = report_with(&[("stress", "pool", 200, 2.0, 200)]);
    let new = report_with(&[
        ("stress", "pool", 200, 2.0, 200),
        ("stress", "pool", 200, 9.0, 200),
        ("stress", "pool", 200, 2.05, 200),
    ]);
    let changes = compare(&old, &new);
    let wall = changes
        .iter()
        .find(|c| c.metric == tracepool::report::comparison::Metric::WallS)
        .unwrap();
    assert_eq!(
        wall.new,
        Some(2.05),
        "the median, not the outlier nor the first"
    );
    assert_eq!(
        changes.iter().filter(|c| c.run.model == "pool").count(),
        tracepool::report::comparison::Metric::ALL.len(),
        "one row per metric, not one per repetition"
    );
}

#[test]
fn versions_one_and_two_are_read() {
    assert_eq!(SCHEMA_VERSION, 2);
    assert_eq!(READ_VERSIONS, 1..=2);
    let mut v2 = report_with(&[("stress", "pool", 200, 2.0, 200)]);
    let json = v2.to_json_pretty();
    assert!(json.contains("\"schema_version\": 2"));
    // Without memory-latency probes, the field is left out and read back empty.
    assert!(!json.contains("memory_latency_ns"), "{json}");
    assert_eq!(Report::from_json(&json).unwrap(), v2);
    v2.environment.memory_latency_ns = vec![151.5, 240.25];
    let with_probes = v2.to_json_pretty();
    assert!(
        with_probes.contains("\"memory_latency_ns\""),
        "{with_probes}"
    );
    assert_eq!(Report::from_json(&with_probes).unwrap(), v2);
    v2.environment.memory_latency_ns.clear();

    // A version 1 document: no repeat, no scenario time scales, no end load.
    let mut v1: serde_json::Value = serde_json::from_str(&json).unwrap();
    v1["schema_version"] = 1.into();
    let settings = v1["settings"].as_object_mut().unwrap();
    settings.remove("repeat");
    settings.remove("scenario_time_scales");
    let read = Report::from_json(&v1.to_string()).unwrap();
    assert_eq!(read.schema_version, 1);
    assert_eq!(read.settings.repeat, 1);
    assert_eq!(read.settings.time_scale_of("stress"), 0.5);
    assert_eq!(read.environment.load_avg_1m_end, None);
    assert!(read.environment.memory_latency_ns.is_empty());
    assert_eq!(read.runs, v2.runs);
}

#[test]
fn the_median_run_keeps_the_series_of_the_earlier_middle_run_by_wall_time() {
    // Wall times 3, 1, 2, 1: by wall time, ties in run order, the runs read 1 (second),
    // 1 (fourth), 2, 3; the earlier of the middle two is the fourth run.
    let mut report = report_with(&[
        ("baseline", "pool", 10, 3.0, 10),
        ("baseline", "pool", 10, 1.0, 10),
        ("baseline", "pool", 10, 2.0, 10),
        ("baseline", "pool", 10, 1.0, 10),
    ]);
    for (i, run) in report.runs.iter_mut().enumerate() {
        run.series = vec![tracepool::report::record::Sample {
            t_s: i as f64,
            cpu_percent: 0.0,
            rss_bytes: 0,
            os_threads: None,
            in_flight: 0,
            queued: 0,
            completed: 0,
        }];
    }
    let medians = report.medians();
    assert_eq!(medians.runs.len(), 1);
    assert_eq!(medians.runs[0].series[0].t_s, 3.0);
    assert_eq!(medians.runs[0].record.wall_s, 1.5);
    // An odd count: the middle one, 2 (the third run).
    report.runs.pop();
    assert_eq!(report.medians().runs[0].series[0].t_s, 2.0);
}
