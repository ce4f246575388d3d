//! The flat workload runs on the models themselves, without the crawl engine: every
//! job accounted for, each model's own concurrency, a stop honoured.

use futures::StreamExt;
use std::sync::Arc;
use tracepool::crawl::Model;
use tracepool::report::{SleepTimer, Workload};
use tracepool::sim::SleepStats;
use tracepool::timer::AsyncIoTimer;
use tracepool_bench::interrupt::Interrupt;
use tracepool_bench::runner::{self, RunSpec, flat_jobs};

fn flat(model: Model, traces: usize, concurrency: usize, latency_ms: f64) -> RunSpec {
    RunSpec {
        workload: Workload::Flat,
        model,
        traces,
        concurrency,
        latency_ms,
        failure_rate: 0.0,
        ..RunSpec::default()
    }
}

#[test]
fn the_flat_workload_skips_the_crawl_engine_and_counts_every_job() {
    for model in Model::ALL {
        let output = runner::run(&flat(model, 300, 7, 0.2), None, |_| {}, &Interrupt::new())
            .unwrap_or_else(|e| panic!("{model}: {e}"));
        let r = &output.record;
        assert!(output.crawl.is_none(), "{model}: no crawl report");
        assert!(!output.was_cancelled);
        assert_eq!(
            (r.jobs, r.outcomes.completed, r.lost),
            (300, 300, 0),
            "{model}"
        );
        assert_eq!(r.discovered, 300, "{model}: discovered is the job count");
        assert_eq!(r.timer_sleeps, 300, "{model}: every job slept once");
        assert!(r.latency_p50_ms > 0.0, "{model}: latencies are recorded");
        match model {
            Model::Pool | Model::Previous => {
                assert!(r.peak_in_flight <= 7, "{model}: peak {}", r.peak_in_flight)
            }
            Model::Unbounded => assert!(r.peak_in_flight > 7, "peak {}", r.peak_in_flight),
        }
    }
}

#[test]
fn every_native_timer_sleeps_each_flat_job_in_full() {
    // The heap timer's sleeps are kept inside the jobs, the others' are boxed: the
    // same accounting either way, and no sleep ends before its duration.
    for timer in SleepTimer::ALL.into_iter().filter(|t| t.is_native()) {
        for model in Model::ALL {
            let spec = RunSpec {
                timer,
                ..flat(model, 200, 20, 0.3)
            };
            let output = runner::run(&spec, None, |_| {}, &Interrupt::new())
                .unwrap_or_else(|e| panic!("{timer:?} {model}: {e}"));
            let r = &output.record;
            assert_eq!(
                (r.jobs, r.outcomes.completed, r.timer_sleeps),
                (200, 200, 200),
                "{timer:?} {model}"
            );
            assert!(
                r.timer_actual_ms >= r.timer_requested_ms && r.timer_requested_ms > 0.0,
                "{timer:?} {model}: slept {} ms of {} ms",
                r.timer_actual_ms,
                r.timer_requested_ms
            );
        }
    }
}

#[test]
fn timeouts_end_flat_jobs_under_every_model() {
    for model in Model::ALL {
        let spec = RunSpec {
            timeout_ms: Some(0.001),
            ..flat(model, 50, 5, 50.0)
        };
        let r = runner::run(&spec, None, |_| {}, &Interrupt::new())
            .unwrap_or_else(|e| panic!("{model}: {e}"))
            .record;
        assert_eq!(r.jobs, 50, "{model}");
        assert_eq!(
            r.outcomes.timed_out, 50,
            "{model}: every 25-75 ms job outlives 1 µs"
        );
        assert_eq!(r.outcomes.completed + r.lost, 0, "{model}");
    }
}

#[test]
fn a_stop_before_the_run_cancels_every_model() {
    for model in Model::ALL {
        let interrupt = Interrupt::new();
        interrupt.request();
        let output = runner::run(&flat(model, 1_000, 10, 1_000.0), None, |_| {}, &interrupt)
            .unwrap_or_else(|e| panic!("{model}: {e}"));
        let r = &output.record;
        assert!(output.was_cancelled, "{model}");
        assert_eq!(r.lost, 0, "{model}");
        assert_eq!(r.outcomes.completed, 0, "{model}: no 0.5 s sleep ended");
        assert_eq!(
            r.jobs,
            r.outcomes.completed + r.outcomes.timed_out + r.outcomes.cancelled,
            "{model}: one outcome per accepted job"
        );
        assert_eq!(r.ideal_s, 0.0, "{model}: a partial run has no ideal");
    }
}

#[test]
fn the_peer_runs_the_same_jobs() {
    let spec = flat(Model::Pool, 200, 16, 0.1);
    let stats = Arc::new(SleepStats::new());
    let jobs = flat_jobs(&spec, Arc::new(AsyncIoTimer), Arc::clone(&stats));
    let done = async_io::block_on(jobs.buffer_unordered(16).count());
    assert_eq!(done, 200);
    let pool = runner::run(&spec, None, |_| {}, &Interrupt::new()).unwrap();
    let sleeps = stats.snapshot();
    assert_eq!(sleeps.count, pool.record.timer_sleeps);
    assert!(
        (sleeps.requested.as_secs_f64() * 1e3 / 200.0 - pool.record.timer_requested_ms).abs()
            < 1e-9,
        "the same durations"
    );
}
