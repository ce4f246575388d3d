//! The simulated workloads at the limits of what they accept: the longest latencies,
//! the largest time scale, `Duration::MAX` means. Every duration saturates (at
//! `Duration::MAX`, or at the largest total a counter holds) instead of overflowing.

use std::sync::Arc;
use std::time::Duration;

use futures::executor::block_on;
use tracepool::crawl::ideal::{IdealLimits, simulate};
use tracepool::crawl::{CrawlConfig, Crawler, Model};
use tracepool::sim::{
    FlatWorkload, MAX_P99_OVER_MEAN, SimConfig, SimWorkload, SleepStats, flat_job_duration,
    ideal_makespan,
};
use tracepool::timer::{Sleep, Timer};

/// The largest total `SleepStats` can hold: `u64::MAX` nanoseconds.
const MAX_TOTAL: Duration = Duration::from_nanos(u64::MAX);

/// A timer that completes at once, whatever the duration.
#[derive(Debug)]
struct NoWait;

impl Timer for NoWait {
    fn sleep(&self, _: Duration) -> Sleep {
        Box::pin(async {})
    }
}

/// Every latency setting at the top of its accepted range.
fn slowest() -> SimConfig {
    SimConfig {
        traces: 300,
        seed_traces: 3,
        fan_out: 1000.0,
        duplicate_edges: 100.0,
        latency_mean: Duration::from_secs(3600),
        latency_p99: Duration::from_secs_f64(3600.0 * MAX_P99_OVER_MEAN),
        failure_prob: 0.0,
        time_scale: 1e6,
        ..SimConfig::default()
    }
}

#[test]
fn flat_durations_saturate_at_the_largest_means() {
    for mean in [
        Duration::MAX,
        Duration::MAX / 2,
        Duration::from_secs(u64::MAX / 3),
    ] {
        let flat = FlatWorkload::new(1_000, mean);
        for (i, d) in flat.durations().enumerate() {
            assert!(d >= mean / 2, "job {i} of mean {mean:?}: {d:?}");
            assert_eq!(d, flat_job_duration(flat.seed(), mean, i));
        }
        // Half the jobs are longer than the mean: with these means the sum is past
        // what a `Duration` holds.
        assert_eq!(flat.total_duration(), Duration::MAX, "mean {mean:?}");
        assert_eq!(flat.ideal_makespan(1), Duration::MAX, "mean {mean:?}");
        assert!(flat.ideal_makespan(1_000) >= mean / 2, "mean {mean:?}");
    }
    // Durations at or above the top of the range are the top of the range.
    let flat = FlatWorkload::new(1_000, Duration::MAX);
    assert!(flat.durations().any(|d| d == Duration::MAX));
}

#[test]
fn flat_durations_are_unchanged_below_the_limits() {
    // The saturating arithmetic gives the same durations as a plain product.
    let mean = Duration::from_millis(20);
    let flat = FlatWorkload::new(1_000, mean);
    for (i, d) in flat.durations().enumerate() {
        assert!(d >= mean / 2 && d < mean * 3 / 2, "job {i}: {d:?}");
    }
    let total: Duration = flat.durations().sum();
    assert_eq!(flat.total_duration(), total);
}

#[test]
fn sleep_stats_saturate_instead_of_wrapping() {
    let stats = SleepStats::new();
    stats.record(Duration::MAX, Duration::MAX);
    stats.record(Duration::from_secs(1), Duration::from_secs(2));
    stats.record(Duration::ZERO, Duration::MAX);
    stats.record(Duration::ZERO, Duration::MAX);
    let summary = stats.snapshot();
    assert_eq!(summary.count, 4);
    assert_eq!(summary.requested, MAX_TOTAL);
    assert_eq!(summary.overshoot, MAX_TOTAL);
    assert!(summary.mean_overshoot_us().is_finite());
    assert!(summary.mean_overshoot_us() > 0.0);
}

#[test]
fn the_slowest_accepted_workload_is_built_simulated_and_crawled() {
    let sim = SimWorkload::new(slowest()).expect("every field at its limit is accepted");
    let with_cpu = SimWorkload::new(SimConfig {
        cpu_per_call: Duration::from_secs(1),
        ..slowest()
    })
    .expect("cpu_per_call at its limit is accepted");
    let mut longest = Duration::ZERO;
    for node in sim.nodes() {
        for plugin in 0..sim.plugin_count(node) {
            let call = sim.call(node, plugin).unwrap();
            longest = longest.max(call.latency);
            assert_eq!(with_cpu.call(node, plugin).unwrap().latency, call.latency);
        }
    }
    // Hours scaled by a million: far beyond a year, well within a `Duration`.
    assert!(
        longest > Duration::from_secs(365 * 86_400 * 1_000),
        "{longest:?}"
    );
    // The ideal schedules add such latencies along the crawl without overflowing.
    for model in Model::ALL {
        for limits in [
            IdealLimits::default(),
            IdealLimits {
                timeout: Some(Duration::MAX),
                ..IdealLimits::default()
            },
        ] {
            let run = simulate(&sim, model, 2, &limits);
            assert_eq!(run.discovered, 300, "{model}");
            assert!(run.makespan >= longest, "{model}");
        }
    }
    assert_eq!(
        ideal_makespan([Duration::MAX, longest, Duration::MAX], 1),
        Duration::MAX
    );
    // A crawl of it with a timer that does not wait records every sleep, and the
    // totals saturate instead of wrapping round to a small number.
    let crawler = Crawler::new(
        sim.registry(Arc::new(NoWait)),
        CrawlConfig {
            model: Model::Pool,
            max_concurrency: 8,
            ..CrawlConfig::default()
        },
    )
    .unwrap();
    let report = block_on(crawler.run(sim.seeds(), |_| {}));
    assert_eq!(report.discovered.len(), 300);
    let slept = sim.sleep_stats().snapshot();
    assert!(slept.count > 0);
    // The longest sleep alone is past the largest total.
    assert!(longest > MAX_TOTAL);
    assert_eq!(slept.requested, MAX_TOTAL, "{slept:?}");
}
