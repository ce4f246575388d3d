//! The plan's scenarios, defined once, and the one rule for the scenario that sweeps C,
//! which the charts, the findings and the recommendations all follow.

mod report_common;

use report_common::Measured;
use tracepool::crawl::{DEFAULT_MAX_CONCURRENCY, Model};
use tracepool::report::chart::throughput_vs_concurrency_chart;
use tracepool::report::findings::{findings, objectives, recommendations};
use tracepool::report::record::{Environment, Report, ScenarioRun, Settings};
use tracepool::report::{KnownName, Scenario};

#[test]
fn the_plan_s_scenarios() {
    let got: Vec<(&str, usize, &[usize])> = Scenario::ALL
        .iter()
        .map(|s| (s.name(), s.traces(), s.concurrencies()))
        .collect();
    assert_eq!(
        got,
        [
            ("baseline", 100, &[DEFAULT_MAX_CONCURRENCY][..]),
            ("high-load", 1_000, &[10, 20, 50, 100][..]),
            ("stress", 50_000, &[200, 1_000][..]),
        ]
    );
    assert_eq!(DEFAULT_MAX_CONCURRENCY, 10);
    let scales: Vec<f64> = Scenario::ALL.iter().map(|s| s.time_scale()).collect();
    assert_eq!(scales, [1.0, 1.0, 0.25]);
    let runs: Vec<(Model, usize)> = Scenario::Stress.runs().collect();
    assert_eq!(runs.len(), 2 * Model::ALL.len());
    assert_eq!(runs[0], (Model::Pool, 200));
    assert_eq!(runs[Model::ALL.len()], (Model::Pool, 1_000));
    for s in Scenario::ALL {
        assert_eq!(s.name().parse::<Scenario>(), Ok(s));
        assert_eq!(s.to_string(), s.name());
        assert_eq!(s.group_name(), s.name().replace('-', "_"));
    }
    assert_eq!(
        "soak".parse::<Scenario>().unwrap_err().to_string(),
        "unknown scenario `soak` (expected baseline, high-load or stress)"
    );
    assert_eq!(Scenario::SWEEP, Scenario::HighLoad);
    assert_eq!(Scenario::Baseline.summary(), "C = 10, 100 traces");
}

/// Runs of every model in `scenario`, one per limit, the throughput rising with C.
fn runs(scenario: &str, traces: u64, limits: &[u64]) -> Vec<ScenarioRun> {
    let mut out = Vec::new();
    for &concurrency in limits {
        for model in ["pool", "previous"] {
            out.push(ScenarioRun {
                scenario: scenario.to_owned(),
                record: Measured {
                    model,
                    traces,
                    concurrency,
                    wall_s: 10.0 / concurrency as f64,
                    ideal_s: 9.0 / concurrency as f64,
                    peak_in_flight: concurrency,
                    ..Measured::default()
                }
                .record(),
                series: Vec::new(),
            });
        }
    }
    out
}

fn report(parts: Vec<Vec<ScenarioRun>>) -> Report {
    let mut report = Report::new("0.1.0", Environment::default(), Settings::default());
    report.runs = parts.into_iter().flatten().collect();
    report
}

/// Where the throughput chart, the various-loads finding and each recommendation look.
fn where_they_look(report: &Report) -> (String, String, Vec<String>) {
    let chart = throughput_vs_concurrency_chart(report).title;
    let loads = findings(report)
        .into_iter()
        .find(|f| f.objective == objectives::VARIOUS_LOADS)
        .unwrap()
        .text;
    let recs = recommendations(report)
        .into_iter()
        .map(|r| r.reason)
        .collect();
    (chart, loads, recs)
}

#[test]
fn the_sweep_is_high_load_even_beside_a_scenario_with_more_limits() {
    let r = report(vec![
        runs("custom", 500, &[1, 2, 4, 8, 16, 32]),
        runs("high-load", 1000, &[10, 20]),
    ]);
    assert_eq!(Scenario::sweep_of(&r), Some("high-load"));
    let (chart, loads, recs) = where_they_look(&r);
    assert_eq!(chart, "Throughput vs concurrency limit (high-load)");
    assert!(loads.starts_with("Pool throughput in high-load"), "{loads}");
    assert!(
        loads.contains("Other pool runs: custom at C = 1"),
        "{loads}"
    );
    assert_eq!(recs.len(), 2);
    for reason in recs {
        assert!(
            reason.starts_with("In high-load (1,000 traces)"),
            "{reason}"
        );
    }
}

#[test]
fn without_a_high_load_sweep_the_scenario_with_most_limits_is_the_sweep() {
    // High-load at a single C sweeps nothing; of the others, the first with most limits.
    let r = report(vec![
        runs("high-load", 1000, &[10]),
        runs("stress", 10_000, &[200, 1000]),
        runs("custom", 500, &[5, 50]),
    ]);
    assert_eq!(Scenario::sweep_of(&r), Some("stress"));
    let (chart, loads, recs) = where_they_look(&r);
    assert_eq!(chart, "Throughput vs concurrency limit (stress)");
    assert!(loads.starts_with("Pool throughput in stress"), "{loads}");
    assert!(recs.iter().all(|r| r.starts_with("In stress")), "{recs:?}");
}

#[test]
fn a_sweep_the_pool_did_not_run_leaves_its_curve_unknown() {
    let mut r = report(vec![
        runs("high-load", 1000, &[10, 20, 50]),
        runs("stress", 10_000, &[200, 1000]),
    ]);
    r.runs
        .retain(|run| !(run.scenario == "high-load" && run.record.model == "pool"));
    assert_eq!(Scenario::sweep_of(&r), Some("high-load"));
    let (_, loads, recs) = where_they_look(&r);
    assert!(
        loads.starts_with("The pool ran at fewer than two C in high-load"),
        "{loads}"
    );
    let models: Vec<String> = recommendations(&r)
        .into_iter()
        .map(|r| r.model.to_string())
        .collect();
    assert_eq!(models, ["previous"], "{recs:?}");
}

#[test]
fn a_report_without_runs_has_no_sweep() {
    assert_eq!(Scenario::sweep_of(&report(Vec::new())), None);
    let single = report(vec![runs("baseline", 100, &[10])]);
    assert_eq!(Scenario::sweep_of(&single), Some("baseline"));
    assert!(recommendations(&single).is_empty());
}
