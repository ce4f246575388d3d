//! The SVG charts: well-formed, self-contained, labelled, escaped, robust to odd data;
//! and the 1-2-5 tick generator.

mod report_common;

use proptest::prelude::*;
use report_common::Measured;
use tracepool::report::Scenario;
use tracepool::report::chart::{
    BarChart, BarSeries, LineChart, ReferenceLine, Series, in_flight_over_time_chart, nice_ticks,
    peak_in_flight_vs_limit_chart, report_charts, throughput_vs_concurrency_chart, wall_time_chart,
};
use tracepool::report::record::{Environment, Report, RunRecord, Sample, ScenarioRun, Settings};

const SVG_NS: &str = "http://www.w3.org/2000/svg";

fn record(model: &str, concurrency: u64) -> RunRecord {
    let c = concurrency as f64;
    let peak = if model == "unbounded" {
        concurrency * 4
    } else {
        concurrency
    };
    Measured {
        model,
        concurrency,
        wall_s: 100.0 / c.sqrt(),
        failed: 40,
        timed_out: 10,
        ideal_s: 90.0 / c.sqrt(),
        peak_in_flight: peak,
        cpu_percent: 20.0 + c / 10.0,
        peak_rss_bytes: (20 + concurrency) << 20,
        ..Measured::default()
    }
    .record()
}

fn run(scenario: &str, model: &str, concurrency: u64) -> ScenarioRun {
    let series = (0u32..50)
        .map(|i| Sample {
            t_s: f64::from(i) * 0.05,
            cpu_percent: 30.0 + f64::from(i % 7),
            rss_bytes: (20 + u64::from(i)) << 20,
            os_threads: Some(3),
            in_flight: concurrency.min(u64::from(i) * 3),
            queued: 5,
            completed: u64::from(i) * 10,
        })
        .collect();
    ScenarioRun {
        scenario: scenario.into(),
        record: record(model, concurrency),
        series,
    }
}

fn sample_report() -> Report {
    let mut report = Report::new("0.1.0", Environment::default(), Settings::default());
    for model in ["pool", "previous", "unbounded"] {
        report.runs.push(run("baseline", model, 10));
    }
    for c in [10, 20, 50, 100] {
        for model in ["pool", "previous", "unbounded"] {
            report.runs.push(run("high-load", model, c));
        }
    }
    for model in ["pool", "previous", "unbounded"] {
        report.runs.push(run("stress", model, 200));
    }
    report
}

/// Parses `svg` and checks the properties every chart must have; returns its texts.
fn check_svg(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("invalid svg: {e}\n{svg}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.tag_name().namespace(), Some(SVG_NS));
    assert!(root.attribute("viewBox").is_some());
    for node in doc.descendants() {
        assert!(node.tag_name().name() != "script", "script element");
        assert!(node.tag_name().name() != "image" && node.tag_name().name() != "use");
        for attr in node.attributes() {
            assert!(
                !attr.name().starts_with("on"),
                "event handler {}",
                attr.name()
            );
            assert!(!attr.value().contains("url("), "external reference");
        }
    }
    assert_eq!(
        svg.matches("http").count(),
        svg.matches(SVG_NS).count(),
        "only the namespace URL"
    );
    assert!(
        !svg.contains("NaN") && !svg.contains("inf"),
        "non-finite coordinate: {svg}"
    );
    doc.descendants()
        .filter(|n| n.tag_name().name() == "text")
        .map(|n| {
            n.descendants()
                .filter(|t| t.is_text())
                .filter_map(|t| t.text())
                .collect::<String>()
        })
        .collect()
}

#[test]
fn report_charts_are_well_formed_and_labelled() {
    let report = sample_report();
    let charts = report_charts(&report);
    // 6 summary charts + 3 time series for each of 6 (scenario, C) groups.
    assert_eq!(charts.len(), 6 + 3 * 6);
    let mut ids: Vec<&str> = charts.iter().map(|c| c.id.as_str()).collect();
    assert!(ids.iter().all(|id| {
        id.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    }));
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), charts.len(), "ids are unique");
    for chart in &charts {
        let texts = check_svg(&chart.svg);
        assert!(texts.contains(&chart.title), "{}: title", chart.id);
        for model in ["pool", "previous", "unbounded"] {
            assert!(
                texts.iter().any(|t| t == model),
                "{}: legend entry {model}",
                chart.id
            );
        }
    }
    let throughput = check_svg(&charts[0].svg);
    assert!(throughput.contains(&"concurrency limit C (jobs)".to_owned()));
    assert!(throughput.contains(&"throughput (jobs/s)".to_owned()));
    // Log axis over 10..100: 1-2-5 ticks.
    for tick in ["10", "20", "50", "100"] {
        assert!(throughput.contains(&tick.to_owned()), "tick {tick}");
    }
    let limit = check_svg(&charts[1].svg);
    assert!(limit.contains(&"limit C (y = C)".to_owned()));
}

#[test]
fn report_chart_builders_pick_the_sweep() {
    let report = sample_report();
    assert_eq!(Scenario::sweep_of(&report), Some("high-load"));
    let chart = throughput_vs_concurrency_chart(&report);
    assert!(chart.log_x);
    assert_eq!(chart.series.len(), 3);
    assert_eq!(chart.series[0].points.len(), 4);
    assert!(chart.series[0].points.windows(2).all(|w| w[0].0 < w[1].0));
    assert!(peak_in_flight_vs_limit_chart(&report).reference.is_some());
    let bars = wall_time_chart(&report);
    assert_eq!(bars.categories.len(), 6);
    assert_eq!(bars.categories[0], "baseline C=10");
    let runs: Vec<&ScenarioRun> = report.runs_of("stress").collect();
    let in_flight = in_flight_over_time_chart(&runs);
    assert_eq!(
        in_flight.reference,
        Some(ReferenceLine::horizontal("limit C = 200", 200.0))
    );
}

#[test]
fn text_is_escaped() {
    let nasty = "a<b & c>d \"q\" 'x'\u{1}";
    let line = LineChart::new(nasty, nasty, nasty)
        .with_series(Series::new(nasty, vec![(1.0, 2.0), (2.0, 3.0)]))
        .with_reference(ReferenceLine::horizontal(nasty, 2.5))
        .to_svg();
    let bars = BarChart::new(nasty, nasty, nasty)
        .with_categories(vec![nasty.into()])
        .with_series(BarSeries::new(nasty, vec![1.0]))
        .to_svg();
    let clean = "a<b & c>d \"q\" 'x'";
    for svg in [line, bars] {
        assert!(svg.contains("a&lt;b &amp; c&gt;d"));
        let texts = check_svg(&svg);
        assert!(
            texts.iter().filter(|t| t.as_str() == clean).count() >= 4,
            "{texts:?}"
        );
    }
}

#[test]
fn odd_data_does_not_panic() {
    let empty_line = LineChart::new("empty", "x", "y").to_svg();
    assert!(check_svg(&empty_line).contains(&"no data".to_owned()));
    let empty_bars = BarChart::new("empty", "x", "y").to_svg();
    assert!(check_svg(&empty_bars).contains(&"no data".to_owned()));
    let nan_bars = BarChart::new("nan", "x", "y")
        .with_categories(vec!["a".into(), "b".into()])
        .with_series(BarSeries::new("s", vec![f64::NAN, f64::INFINITY]))
        .with_series(BarSeries::new("short", vec![]));
    assert!(nan_bars.is_empty());
    check_svg(&nan_bars.to_svg());
    let charts = [
        LineChart::new("one", "x", "y").with_series(Series::new("s", vec![(3.0, 7.0)])),
        LineChart::new("zero", "x", "y").with_series(Series::new("s", vec![(0.0, 0.0)])),
        LineChart::new("odd", "x", "y").with_series(Series::new(
            "s",
            vec![
                (f64::NAN, 1.0),
                (1.0, f64::INFINITY),
                (2.0, -5.0),
                (4.0, 1e12),
                (f64::NEG_INFINITY, 0.0),
            ],
        )),
        LineChart::new("log", "x", "y")
            .with_log_x(true)
            .with_series(Series::new(
                "s",
                vec![(0.0, 1.0), (-3.0, 2.0), (100.0, 3.0)],
            ))
            .with_reference(ReferenceLine::identity("y = x")),
        LineChart::new("log-empty", "x", "y")
            .with_log_x(true)
            .with_series(Series::new("s", vec![(0.0, 1.0)])),
        LineChart::new("tiny", "x", "y")
            .with_series(Series::new("s", vec![(1e-9, 1e-9), (2e-9, 3e-9)])),
    ];
    for chart in charts {
        check_svg(&chart.to_svg());
    }
    let empty_report = Report::new("0.1.0", Environment::default(), Settings::default());
    let charts = report_charts(&empty_report);
    assert_eq!(charts.len(), 6);
    for chart in charts {
        check_svg(&chart.svg);
    }
    let mut single = empty_report;
    single.runs.push(ScenarioRun {
        series: Vec::new(),
        ..run("baseline", "pool", 10)
    });
    for chart in report_charts(&single) {
        check_svg(&chart.svg);
    }
}

#[test]
fn nice_ticks_examples() {
    assert_eq!(
        nice_ticks(0.0, 97.0, 5),
        [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
    );
    assert_eq!(
        nice_ticks(0.0, 1.0, 5),
        [0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
    );
    assert_eq!(nice_ticks(5.0, 5.0, 4).first(), Some(&2.0));
    assert!(nice_ticks(f64::NAN, 1.0, 5).is_empty());
    assert!(nice_ticks(2.0, 1.0, 5).is_empty());
}

/// Whether `step` is 1, 2 or 5 times a power of ten.
fn is_125(step: f64) -> bool {
    let magnitude = 10f64.powf(step.log10().floor());
    let m = step / magnitude;
    [1.0, 2.0, 5.0, 10.0].iter().any(|&n| (m - n).abs() < 1e-6)
}

proptest! {
    #[test]
    fn ticks_cover_the_range_in_125_steps(
        a in -1e9f64..1e9,
        span in prop_oneof![0.0f64..1e-3, 0.0f64..10.0, 0.0f64..1e9],
        target in 1usize..12,
    ) {
        // Spans far below the float resolution at `a` are out of scope.
        prop_assume!(span == 0.0 || span >= a.abs() * 1e-6);
        let (min, max) = (a, a + span);
        let ticks = nice_ticks(min, max, target);
        prop_assert!(ticks.len() >= 2, "{ticks:?}");
        prop_assert!(ticks.len() <= target + 3, "{} ticks for target {target}", ticks.len());
        prop_assert!(ticks[0] <= min && *ticks.last().unwrap() >= max, "{ticks:?} for [{min}, {max}]");
        let step = ticks[1] - ticks[0];
        prop_assert!(is_125(step), "step {step}");
        for w in ticks.windows(2) {
            prop_assert!(w[1] > w[0]);
            prop_assert!(((w[1] - w[0]) - step).abs() <= step * 1e-6, "uneven {ticks:?}");
        }
    }
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<LineChart>();
    check::<BarChart>();
    check::<tracepool::report::chart::NamedChart>();
}
