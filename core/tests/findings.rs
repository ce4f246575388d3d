//! Findings and recommendations over crafted reports: every verdict follows from the runs.

mod report_common;

use report_common::Measured;
use tracepool::report::findings::{findings, objectives, recommendations};
use tracepool::report::format::{
    format_count, format_mib, format_number, format_percent, format_seconds,
};
use tracepool::report::record::{
    Environment, Finding, Report, RunRecord, ScenarioRun, Settings, Verdict,
};

/// A run with plausible numbers: 4 jobs per trace, 2 % failing, the pool at C in flight,
/// the previous model up to 7 C, the unbounded one far beyond.
fn run(scenario: &str, model: &str, concurrency: u64, traces: u64) -> ScenarioRun {
    let jobs = traces * 4;
    let failed = jobs / 50;
    let ideal = (jobs as f64 * 0.05 / concurrency as f64).max(0.4);
    let (wall_s, peak, rss_mib) = match model {
        "pool" => (ideal / 0.95, concurrency.min(jobs), 12),
        "previous" => (ideal * 1.5, (concurrency * 7).min(jobs), 14),
        _ => (ideal * 0.9, jobs / 5, 12 + jobs / 400),
    };
    ScenarioRun {
        scenario: scenario.into(),
        record: Measured {
            model,
            traces,
            concurrency,
            jobs,
            failed,
            wall_s,
            ideal_s: ideal,
            peak_in_flight: peak,
            cpu_percent: 30.0,
            peak_rss_bytes: rss_mib << 20,
            latency_p50_ms: 50.0,
            latency_p99_ms: 180.0,
            timer_overshoot_us: 90.0,
            ..Measured::default()
        }
        .record(),
        series: Vec::new(),
    }
}

fn report(runs: Vec<ScenarioRun>) -> Report {
    let mut report = Report::new(
        "0.1.0",
        Environment {
            cores: 2,
            ..Environment::default()
        },
        Settings {
            failure_rate: 0.02,
            ..Settings::default()
        },
    );
    report.runs = runs;
    report
}

/// The plan's 21 runs: three models in baseline (C = 10), high load (C = 10, 20, 50,
/// 100) and stress (C = 200, 1,000).
fn sample() -> Report {
    let mut runs = Vec::new();
    for (scenario, traces, cs) in [
        ("baseline", 100, &[10][..]),
        ("high-load", 1000, &[10, 20, 50, 100][..]),
        ("stress", 10_000, &[200, 1000][..]),
    ] {
        for &c in cs {
            for model in ["pool", "previous", "unbounded"] {
                runs.push(run(scenario, model, c, traces));
            }
        }
    }
    report(runs)
}

fn get<'a>(found: &'a [Finding], objective: &str) -> &'a Finding {
    found
        .iter()
        .find(|f| f.objective == objective)
        .unwrap_or_else(|| panic!("no finding for {objective:?}"))
}

fn verdict_of(report: &Report, objective: &str) -> (Verdict, String) {
    let found = findings(report);
    let f = get(&found, objective);
    (f.verdict, f.text.clone())
}

fn pool_run<'a>(report: &'a mut Report, scenario: &str, c: u64) -> &'a mut RunRecord {
    &mut report
        .runs
        .iter_mut()
        .find(|r| r.scenario == scenario && r.record.model == "pool" && r.record.concurrency == c)
        .expect("pool run")
        .record
}

#[test]
fn one_finding_per_objective() {
    let found = findings(&sample());
    let wanted = [
        objectives::LIMITS_CONCURRENCY,
        objectives::IMPROVED_PERFORMANCE,
        objectives::STABILITY_UNDER_STRESS,
        objectives::VARIOUS_LOADS,
        objectives::BOTTLENECKS,
        objectives::ERROR_RATE,
    ];
    let got: Vec<&str> = found.iter().map(|f| f.objective.as_str()).collect();
    assert_eq!(got, wanted);
    for f in &found {
        assert_eq!(f.verdict, Verdict::Supported, "{}: {}", f.objective, f.text);
        assert!(!f.text.is_empty());
    }
}

#[test]
fn pool_within_its_limit_is_supported() {
    let (verdict, text) = verdict_of(&sample(), objectives::LIMITS_CONCURRENCY);
    assert_eq!(verdict, Verdict::Supported, "{text}");
    assert!(text.contains("in all 7 pool runs"), "{text}");
    assert!(
        text.contains("The previous model peaked at 70 with C = 10 (7.0x C"),
        "{text}"
    );
    assert!(text.contains("any of the 21 runs"), "{text}");
}

#[test]
fn same_limit_everywhere_reads_peak_of_c() {
    let r = report(vec![
        run("baseline", "pool", 10, 100),
        run("high-load", "pool", 10, 1000),
    ]);
    let (verdict, text) = verdict_of(&r, objectives::LIMITS_CONCURRENCY);
    assert_eq!(verdict, Verdict::Supported);
    assert!(
        text.contains("Peak in flight 10 of 10 in all 2 pool runs"),
        "{text}"
    );
}

#[test]
fn pool_over_its_limit_is_not_supported_and_named() {
    let mut r = sample();
    pool_run(&mut r, "high-load", 20).peak_in_flight = 23;
    let (verdict, text) = verdict_of(&r, objectives::LIMITS_CONCURRENCY);
    assert_eq!(verdict, Verdict::NotSupported);
    assert!(text.contains("1 of 7 runs"), "{text}");
    assert!(
        text.contains("high-load pool at C = 20 (1,000 traces) peaked at 23"),
        "{text}"
    );
}

#[test]
fn a_lost_job_in_any_run_is_not_supported() {
    let mut r = sample();
    r.runs[1].record.lost = 3; // baseline previous
    let (verdict, text) = verdict_of(&r, objectives::LIMITS_CONCURRENCY);
    assert_eq!(verdict, Verdict::NotSupported);
    assert!(
        text.contains("baseline previous at C = 10 (100 traces): 3 lost"),
        "{text}"
    );
}

#[test]
fn no_pool_runs_is_inconclusive() {
    let r = report(vec![run("baseline", "previous", 10, 100)]);
    let (verdict, text) = verdict_of(&r, objectives::LIMITS_CONCURRENCY);
    assert_eq!(verdict, Verdict::Inconclusive);
    assert!(text.contains("no pool runs"), "{text}");
}

#[test]
fn empty_report_is_inconclusive_everywhere() {
    let found = findings(&report(Vec::new()));
    assert_eq!(found.len(), 6);
    for f in &found {
        assert_eq!(
            f.verdict,
            Verdict::Inconclusive,
            "{}: {}",
            f.objective,
            f.text
        );
    }
    assert!(recommendations(&report(Vec::new())).is_empty());
}

#[test]
fn missing_previous_runs_is_inconclusive() {
    let mut r = sample();
    r.runs.retain(|r| r.record.model != "previous");
    let (verdict, text) = verdict_of(&r, objectives::IMPROVED_PERFORMANCE);
    assert_eq!(verdict, Verdict::Inconclusive);
    assert!(text.contains("no previous runs"), "{text}");
}

#[test]
fn previous_and_pool_at_different_loads_is_inconclusive() {
    let r = report(vec![
        run("baseline", "previous", 10, 100),
        run("high-load", "pool", 20, 1000),
    ]);
    let (verdict, text) = verdict_of(&r, objectives::IMPROVED_PERFORMANCE);
    assert_eq!(verdict, Verdict::Inconclusive);
    assert!(text.contains("same C"), "{text}");
}

fn with_walls(pool: f64, previous: f64) -> [ScenarioRun; 2] {
    let mut p = run("high-load", "pool", 10, 1000);
    p.record.wall_s = pool;
    let mut q = run("high-load", "previous", 10, 1000);
    q.record.wall_s = previous;
    [p, q]
}

#[test]
fn faster_pool_is_supported_with_its_ratio() {
    let r = report(with_walls(4.1, 6.3).to_vec());
    let (verdict, text) = verdict_of(&r, objectives::IMPROVED_PERFORMANCE);
    assert_eq!(verdict, Verdict::Supported);
    assert!(
        text.contains(
            "high-load at C = 10 (1,000 traces): pool 4.1 s, previous 6.3 s, 1.5x faster"
        ),
        "{text}"
    );
    assert!(
        text.contains("faster than the previous model in 1 of 1"),
        "{text}"
    );
}

#[test]
fn slower_pool_in_most_loads_is_not_supported() {
    let mut runs = with_walls(8.0, 4.0).to_vec();
    let mut more = with_walls(3.0, 2.0);
    for r in &mut more {
        r.record.concurrency = 20;
    }
    runs.extend(more);
    let r = report(runs);
    let (verdict, text) = verdict_of(&r, objectives::IMPROVED_PERFORMANCE);
    assert_eq!(verdict, Verdict::NotSupported);
    assert!(
        text.contains("pool 8 s, previous 4 s, 2.0x slower"),
        "{text}"
    );
    assert!(text.contains("in 0 of 2"), "{text}");
}

#[test]
fn mixed_results_are_inconclusive() {
    let mut runs = with_walls(2.0, 4.0).to_vec();
    let mut more = with_walls(3.0, 2.0);
    for r in &mut more {
        r.record.concurrency = 20;
    }
    runs.extend(more);
    let (verdict, text) = verdict_of(&report(runs), objectives::IMPROVED_PERFORMANCE);
    assert_eq!(verdict, Verdict::Inconclusive);
    assert!(text.contains("in 1 of 2"), "{text}");
}

#[test]
fn repeated_runs_count_with_their_median() {
    let mut runs = with_walls(1.0, 3.0).to_vec();
    for wall in [2.0, 2.9] {
        let mut p = run("high-load", "pool", 10, 1000);
        p.record.wall_s = wall;
        runs.push(p);
    }
    // Pool walls 1, 2, 2.9: median 2, all below the previous model's 3.
    let (verdict, text) = verdict_of(&report(runs), objectives::IMPROVED_PERFORMANCE);
    assert_eq!(verdict, Verdict::Supported, "{text}");
    assert!(text.contains("pool 2 s, previous 3 s"), "{text}");
    assert!(text.contains("median"), "{text}");
}

#[test]
fn a_difference_within_the_spread_is_no_measurable_difference() {
    let mut runs = with_walls(1.0, 3.0).to_vec();
    for wall in [2.0, 9.0] {
        let mut p = run("high-load", "pool", 10, 1000);
        p.record.wall_s = wall;
        runs.push(p);
    }
    // Pool walls 1, 2, 9: median 2, but the previous model's 3 is within their spread.
    let (verdict, text) = verdict_of(&report(runs), objectives::IMPROVED_PERFORMANCE);
    assert_eq!(verdict, Verdict::Inconclusive, "{text}");
    assert!(
        text.contains("pool 2 s, previous 3 s, no measurable difference"),
        "{text}"
    );
    assert!(text.contains("in 0 of 1"), "{text}");
}

#[test]
fn a_limit_within_the_best_ones_spread_is_as_good() {
    // C = 20 and C = 50 at 300/s and 320/s, 6 % apart, but each C ran twice and the
    // spreads (280-320 and 300-340) overlap: C = 20 is the knee.
    let mut runs = Vec::new();
    for (c, walls) in [(20, [280.0, 320.0]), (50, [300.0, 340.0])] {
        for t in walls {
            let mut r = run("high-load", "pool", c, 1000);
            r.record.throughput_per_s = t;
            runs.push(r);
        }
    }
    let recs = recommendations(&report(runs));
    assert_eq!(recs.len(), 1, "{recs:?}");
    assert_eq!(recs[0].concurrency, 20, "{}", recs[0].reason);
    assert!(
        recs[0].reason.contains("no measurable difference"),
        "{}",
        recs[0].reason
    );
}

#[test]
fn stress_compares_memory_with_the_other_models() {
    let (verdict, text) = verdict_of(&sample(), objectives::STABILITY_UNDER_STRESS);
    assert_eq!(verdict, Verdict::Supported, "{text}");
    assert!(
        text.contains("stress at C = 1,000 (10,000 traces): pool peak RSS 12 MiB"),
        "{text}"
    );
    assert!(text.contains("unbounded 112 MiB"), "{text}");
}

#[test]
fn pool_using_more_memory_under_stress_is_not_supported() {
    let mut r = sample();
    pool_run(&mut r, "stress", 200).peak_rss_bytes = Some(500 << 20);
    let (verdict, text) = verdict_of(&r, objectives::STABILITY_UNDER_STRESS);
    assert_eq!(verdict, Verdict::NotSupported);
    assert!(
        text.contains("stress at C = 200 (10,000 traces) the pool's peak RSS (500 MiB)"),
        "{text}"
    );
}

/// `sample()` with its stress runs made http runs: the pool at C at the server with
/// few descriptors, the other models with more and, unbounded, out of them.
fn http_stress() -> Report {
    let mut r = sample();
    for run in r.runs.iter_mut().filter(|r| r.scenario == "stress") {
        let rec = &mut run.record;
        rec.workload = "http".into();
        let c = rec.concurrency;
        let (server, fds, exhausted) = match rec.model.as_str() {
            "pool" => (c, c + 20, 0),
            "previous" => (c, c + 20, 0),
            _ => (256, 256, rec.jobs / 4),
        };
        rec.server_peak_requests = Some(server);
        rec.server_peak_connections = Some(server);
        rec.peak_open_fds = Some(fds);
        if exhausted > 0 {
            rec.errors_by_kind.insert("exhausted".to_owned(), exhausted);
        }
    }
    r
}

#[test]
fn stress_over_http_draws_on_descriptors_and_the_server() {
    let (verdict, text) = verdict_of(&http_stress(), objectives::STABILITY_UNDER_STRESS);
    assert_eq!(verdict, Verdict::Supported, "{text}");
    assert!(
        text.contains(
            "stress http at C = 200 (10,000 traces): pool peak RSS 12 MiB, 3 threads, 220 fds, server peak 200 requests, 0 % exhausted"
        ),
        "{text}"
    );
    assert!(
        text.contains("256 fds, server peak 256 requests, 25 % exhausted"),
        "{text}"
    );
    assert!(
        text.contains("kept the server at or below C requests"),
        "{text}"
    );
}

#[test]
fn the_pool_above_c_at_the_server_or_out_of_descriptors_is_not_supported() {
    let mut r = http_stress();
    pool_run(&mut r, "stress", 200).server_peak_requests = Some(201);
    let (verdict, text) = verdict_of(&r, objectives::STABILITY_UNDER_STRESS);
    assert_eq!(verdict, Verdict::NotSupported, "{text}");
    assert!(
        text.contains(
            "stress http at C = 200 (10,000 traces) the server saw 201 pool requests at once"
        ),
        "{text}"
    );

    // Calls abandoned at the client's deadline may linger at the server: no problem.
    let mut r = http_stress();
    let pool = pool_run(&mut r, "stress", 200);
    pool.server_peak_requests = Some(203);
    pool.errors_by_kind.insert("timeout".to_owned(), 3);
    let (verdict, text) = verdict_of(&r, objectives::STABILITY_UNDER_STRESS);
    assert_eq!(verdict, Verdict::Supported, "{text}");
    pool_run(&mut r, "stress", 200).server_peak_requests = Some(204);
    let (verdict, text) = verdict_of(&r, objectives::STABILITY_UNDER_STRESS);
    assert_eq!(verdict, Verdict::NotSupported, "{text}");

    let mut r = http_stress();
    let pool = pool_run(&mut r, "stress", 1000);
    pool.peak_open_fds = Some(5000);
    pool.errors_by_kind
        .insert("exhausted".to_owned(), pool.jobs / 2);
    let (verdict, text) = verdict_of(&r, objectives::STABILITY_UNDER_STRESS);
    assert_eq!(verdict, Verdict::NotSupported, "{text}");
    assert!(
        text.contains("the pool held more file descriptors (5,000)"),
        "{text}"
    );
    assert!(
        text.contains("the pool ran out of descriptors more often (50 %)"),
        "{text}"
    );
}

#[test]
fn stress_without_comparison_is_inconclusive() {
    let mut r = sample();
    r.runs
        .retain(|r| r.scenario != "stress" || r.record.model == "pool");
    let (verdict, text) = verdict_of(&r, objectives::STABILITY_UNDER_STRESS);
    assert_eq!(verdict, Verdict::Inconclusive);
    assert!(text.contains("pool peak RSS 12 MiB"), "{text}");
    assert!(
        text.contains("No previous or unbounded stress run"),
        "{text}"
    );

    r.runs.retain(|r| r.scenario != "stress");
    let (verdict, text) = verdict_of(&r, objectives::STABILITY_UNDER_STRESS);
    assert_eq!(verdict, Verdict::Inconclusive);
    assert!(text.contains("no stress runs"), "{text}");
}

fn curve(model: &str, points: &[(u64, f64)]) -> Vec<ScenarioRun> {
    points
        .iter()
        .map(|&(c, throughput)| {
            let mut r = run("high-load", model, c, 1000);
            r.record.throughput_per_s = throughput;
            r.record.peak_rss_bytes = Some((10 + c / 10) << 20);
            r.record.cpu_percent = 20.0 + c as f64 / 10.0;
            r
        })
        .collect()
}

#[test]
fn throughput_sweep_is_described_and_judged() {
    let r = report(curve(
        "pool",
        &[(10, 100.0), (20, 190.0), (50, 370.0), (100, 380.0)],
    ));
    let (verdict, text) = verdict_of(&r, objectives::VARIOUS_LOADS);
    assert_eq!(verdict, Verdict::Supported, "{text}");
    assert!(
        text.contains("100/s at C = 10, 190/s at C = 20, 370/s at C = 50, 380/s at C = 100"),
        "{text}"
    );
    assert!(text.contains("3.8x for 10x the concurrency"), "{text}");
    assert!(text.contains("From C = 50 on"), "{text}");

    let r = report(curve("pool", &[(10, 100.0), (20, 400.0), (50, 300.0)]));
    let (verdict, text) = verdict_of(&r, objectives::VARIOUS_LOADS);
    assert_eq!(verdict, Verdict::NotSupported, "{text}");
    assert!(text.contains("past C = 20"), "{text}");

    let r = report(curve("pool", &[(10, 100.0)]));
    assert_eq!(
        verdict_of(&r, objectives::VARIOUS_LOADS).0,
        Verdict::Inconclusive
    );
}

#[test]
fn knee_is_the_smallest_c_within_five_percent_of_the_best() {
    let mut runs = curve(
        "pool",
        &[(10, 100.0), (20, 190.0), (50, 370.0), (100, 380.0)],
    );
    runs.extend(curve(
        "previous",
        &[(10, 100.0), (20, 200.0), (50, 400.0), (100, 800.0)],
    ));
    runs.extend(curve(
        "unbounded",
        &[(10, 500.0), (20, 500.0), (50, 499.0), (100, 480.0)],
    ));
    let recs = recommendations(&report(runs));
    let got: Vec<(&str, u64)> = recs
        .iter()
        .map(|r| (r.model.as_str(), r.concurrency))
        .collect();
    // The unbounded model ignores C: no C to recommend.
    assert_eq!(got, [("pool", 50), ("previous", 100)]);

    let pool = &recs[0].reason;
    assert!(
        pool.contains("C = 50 reaches 370/s, 97.4 % of the best 380/s (at C = 100)"),
        "{pool}"
    );
    assert!(pool.contains("peak RSS 15 MiB, CPU 25 %"), "{pool}");
    assert!(
        recs[1].reason.contains("still rising"),
        "{}",
        recs[1].reason
    );
}

#[test]
fn knee_uses_the_scenario_with_the_most_limits() {
    let recs = recommendations(&sample());
    assert_eq!(recs.len(), 2, "{recs:?}");
    for r in &recs {
        assert!(
            r.reason.starts_with("In high-load (1,000 traces)"),
            "{}",
            r.reason
        );
    }
    let single = report(vec![run("baseline", "pool", 10, 100)]);
    assert!(recommendations(&single).is_empty());
}

#[test]
fn low_efficiency_is_a_named_bottleneck() {
    let mut r = sample();
    {
        let run = pool_run(&mut r, "stress", 1000);
        run.efficiency = 0.62;
        run.cpu_percent = 190.0;
    }
    let (verdict, text) = verdict_of(&r, objectives::BOTTLENECKS);
    assert_eq!(verdict, Verdict::NotSupported);
    assert!(
        text.contains("lowest 0.62 in stress pool at C = 1,000"),
        "{text}"
    );
    assert!(text.contains("CPU-bound at 190 % on 2 cores"), "{text}");

    let (verdict, text) = verdict_of(&sample(), objectives::BOTTLENECKS);
    assert_eq!(verdict, Verdict::Supported);
    assert!(text.contains("median 0.95"), "{text}");
}

#[test]
fn error_rates_are_compared_across_models() {
    let (verdict, text) = verdict_of(&sample(), objectives::ERROR_RATE);
    assert_eq!(verdict, Verdict::Supported, "{text}");
    assert!(text.contains("pool 2 %"), "{text}");
    assert!(text.contains("configured failure rate is 2 %"), "{text}");

    let mut r = sample();
    pool_run(&mut r, "high-load", 50).error_rate = 0.09;
    let (verdict, text) = verdict_of(&r, objectives::ERROR_RATE);
    assert_eq!(verdict, Verdict::NotSupported);
    assert!(
        text.contains("high-load at C = 50 (1,000 traces): pool 9 %"),
        "{text}"
    );

    let r = report(vec![run("baseline", "pool", 10, 100)]);
    assert_eq!(
        verdict_of(&r, objectives::ERROR_RATE).0,
        Verdict::Inconclusive
    );
}

#[test]
fn numbers_are_readable() {
    assert_eq!(format_count(0), "0");
    assert_eq!(format_count(999), "999");
    assert_eq!(format_count(10_000), "10,000");
    assert_eq!(format_count(1_234_567), "1,234,567");
    assert_eq!(format_seconds(4.1), "4.1 s");
    assert_eq!(format_seconds(4.123), "4.12 s");
    assert_eq!(format_seconds(0.01234), "0.0123 s");
    assert_eq!(format_seconds(1234.5), "1,235 s");
    assert_eq!(format_number(99.96), "100");
    assert_eq!(format_number(f64::NAN), "n/a");
    assert_eq!(format_mib(12 << 20), "12 MiB");
    assert_eq!(format_percent(0.0123), "1.23 %");
}

#[test]
fn stress_without_a_difference_in_any_resource_is_inconclusive() {
    let mut report = sample();
    for r in report.runs.iter_mut().filter(|r| r.scenario == "stress") {
        r.record.peak_rss_bytes = Some(10 << 20);
        r.record.peak_os_threads = Some(4);
    }
    let (verdict, text) = verdict_of(&report, objectives::STABILITY_UNDER_STRESS);
    assert_eq!(verdict, Verdict::Inconclusive, "{text}");
    assert!(text.contains("did not differ in any resource"), "{text}");
    assert!(text.contains("cannot show"), "{text}");
    // With a difference, the evidence is still qualified.
    let (verdict, text) = verdict_of(&sample(), objectives::STABILITY_UNDER_STRESS);
    assert_eq!(verdict, Verdict::Supported, "{text}");
    assert!(text.contains("cannot show"), "{text}");
}
