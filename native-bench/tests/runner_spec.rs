//! A run's specification is checked before anything runs: each invalid field is a
//! typed error naming it, with its source kept; never a panic.

use std::error::Error as _;
use std::time::Duration;

use tracepool::Trace;
use tracepool::crawl::Model;
use tracepool::report::{SleepTimer, Workload};
use tracepool_bench::interrupt::Interrupt;
use tracepool_bench::runner::{self, RunError, RunSpec};

fn spec_error(spec: &RunSpec) -> (String, String) {
    match runner::run(spec, None, |_| {}, &Interrupt::new()) {
        Err(RunError::Spec(e)) => {
            let source = e.to_string();
            assert_eq!(
                RunError::Spec(e.clone()).source().map(ToString::to_string),
                Some(source),
                "the spec error is kept as the source"
            );
            (e.field().to_owned(), e.accepted().to_owned())
        }
        other => panic!("{spec:?}: expected a spec error, got {other:?}"),
    }
}

#[test]
fn every_field_out_of_range_is_named() {
    let base = RunSpec {
        traces: 10,
        latency_ms: 0.0,
        ..RunSpec::default()
    };
    let cases: Vec<(RunSpec, &str)> = vec![
        (
            RunSpec {
                traces: 0,
                ..base.clone()
            },
            "traces",
        ),
        (
            RunSpec {
                traces: 10_000_001,
                ..base.clone()
            },
            "traces",
        ),
        (
            RunSpec {
                concurrency: 0,
                ..base.clone()
            },
            "concurrency",
        ),
        (
            RunSpec {
                latency_ms: -1.0,
                ..base.clone()
            },
            "latency_ms",
        ),
        (
            RunSpec {
                latency_ms: f64::NAN,
                ..base.clone()
            },
            "latency_ms",
        ),
        (
            RunSpec {
                latency_ms: f64::INFINITY,
                ..base.clone()
            },
            "latency_ms",
        ),
        (
            RunSpec {
                time_scale: -0.5,
                ..base.clone()
            },
            "time_scale",
        ),
        (
            RunSpec {
                failure_rate: 1.5,
                ..base.clone()
            },
            "failure_rate",
        ),
        (
            RunSpec {
                panic_rate: 1.0,
                ..base.clone()
            },
            "panic_rate",
        ),
        (
            RunSpec {
                timeout_ms: Some(0.0),
                ..base.clone()
            },
            "timeout_ms",
        ),
        (
            RunSpec {
                timeout_ms: Some(f64::MAX),
                ..base.clone()
            },
            "timeout_ms",
        ),
        (
            RunSpec {
                cpu_us: 1e12,
                ..base.clone()
            },
            "cpu_us",
        ),
        (
            RunSpec {
                sample_interval: Duration::ZERO,
                ..base.clone()
            },
            "sample_interval",
        ),
    ];
    for (spec, field) in cases {
        let (named, accepted) = spec_error(&spec);
        assert_eq!(named, field, "{spec:?}");
        assert!(!accepted.is_empty());
    }
}

#[test]
fn panic_rate_range_depends_on_the_failure_rate() {
    let spec = RunSpec {
        traces: 10,
        failure_rate: 0.25,
        panic_rate: 0.8,
        ..RunSpec::default()
    };
    let (field, accepted) = spec_error(&spec);
    assert_eq!(field, "panic_rate");
    assert!(accepted.contains("0.75"), "{accepted}");
    assert!(accepted.contains("failure_rate"), "{accepted}");
}

#[test]
fn the_browser_timer_is_no_native_timer() {
    let spec = RunSpec {
        traces: 10,
        timer: SleepTimer::SetTimeout,
        ..RunSpec::default()
    };
    let (field, accepted) = spec_error(&spec);
    assert_eq!(field, "timer");
    assert!(
        accepted.contains("reactor, finishing or heap"),
        "{accepted}"
    );
}

#[test]
fn a_valid_spec_runs() {
    let spec = RunSpec {
        traces: 20,
        latency_ms: 0.0,
        ..RunSpec::default()
    };
    spec.validate().unwrap();
    let output = runner::run(&spec, None, |_| {}, &Interrupt::new()).unwrap();
    assert!(output.record.jobs > 0);
}

#[test]
fn errors_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<RunError>();
}

#[test]
fn the_flat_workload_takes_no_seed_traces() {
    let spec = RunSpec {
        workload: Workload::Flat,
        traces: 10,
        latency_ms: 0.0,
        failure_rate: 0.0,
        ..RunSpec::default()
    };
    let seeds = vec!["username:alice".parse::<Trace>().unwrap()];
    match runner::run(&spec, Some(seeds), |_| {}, &Interrupt::new()) {
        Err(RunError::SeedsForFlat) => {}
        other => panic!("seeds for the flat workload accepted: {other:?}"),
    }
}

/// The largest value of every field is accepted, and nothing derived from it
/// overflows: durations, the simulated workload's configuration, the flat ideals.
#[test]
fn extreme_values_do_not_overflow() {
    let spec = RunSpec {
        traces: *runner::TRACES.end(),
        concurrency: *runner::CONCURRENCY.end(),
        latency_ms: *runner::LATENCY_MS.end(),
        time_scale: *runner::TIME_SCALE.end(),
        failure_rate: 0.5,
        panic_rate: 0.5,
        timeout_ms: Some(*runner::TIMEOUT_MS.end()),
        cpu_us: *runner::CPU_US.end(),
        ..RunSpec::default()
    };
    spec.validate().unwrap();
    let config = spec.sim_config().unwrap();
    config.validate().unwrap();
    for model in Model::ALL {
        let huge = [Duration::MAX, Duration::MAX, Duration::from_secs(1)];
        assert_eq!(runner::flat_ideal(model, huge, 1), Duration::MAX, "{model}");
        assert_eq!(runner::flat_ideal(model, [], 0), Duration::ZERO, "{model}");
    }
}
