//! Properties of the ideal-makespan simulation of a crawl under each model.

use std::time::Duration;

use proptest::prelude::*;
use tracepool::crawl::Model;
use tracepool::crawl::ideal::{IdealLimits, IdealRun, simulate};
use tracepool::sim::{NodeId, SimConfig, SimOutcome, SimWorkload};

const NONE: IdealLimits = IdealLimits {
    timeout: None,
    max_depth: None,
    max_traces: None,
};

fn workload(config: SimConfig) -> SimWorkload {
    SimWorkload::new(config).expect("valid config")
}

fn no_failures(traces: usize, seed: u64) -> SimWorkload {
    workload(SimConfig {
        traces,
        seed,
        failure_prob: 0.0,
        panic_prob: 0.0,
        ..SimConfig::default()
    })
}

/// A crawl without scheduling: the traces discovered, the calls made and the sum of
/// their durations, following only calls that end within `timeout`.
fn reference(sim: &SimWorkload, timeout: Option<Duration>) -> (usize, u64, Duration) {
    let mut seen = vec![false; sim.trace_count()];
    let mut stack: Vec<NodeId> = Vec::new();
    for seed in sim.seed_nodes() {
        if !std::mem::replace(&mut seen[seed.index()], true) {
            stack.push(seed);
        }
    }
    let mut discovered = stack.len();
    let (mut calls, mut total) = (0u64, Duration::ZERO);
    while let Some(node) = stack.pop() {
        for plugin in 0..sim.plugin_count(node) {
            let call = sim.call(node, plugin).expect("plugin exists");
            calls += 1;
            let duration = call.latency + call.cpu;
            if timeout.is_some_and(|t| duration > t) {
                total += timeout.unwrap_or_default();
                continue;
            }
            total += duration;
            if let SimOutcome::Found(children) = call.outcome {
                for child in children {
                    if !std::mem::replace(&mut seen[child.index()], true) {
                        discovered += 1;
                        stack.push(child);
                    }
                }
            }
        }
    }
    (discovered, calls, total)
}

fn run(sim: &SimWorkload, model: Model, c: usize) -> IdealRun {
    simulate(sim, model, c, &NONE)
}

#[test]
fn without_failures_every_model_discovers_every_trace() {
    let sim = no_failures(1_500, 7);
    let (_, calls, _) = reference(&sim, None);
    for model in Model::ALL {
        for c in [1, 2, 10, 64, 1_000] {
            let r = run(&sim, model, c);
            assert_eq!(r.discovered, sim.trace_count(), "{model} C={c}");
            assert_eq!(r.calls, calls, "{model} C={c}");
        }
    }
}

#[test]
fn pool_with_one_slot_runs_calls_back_to_back() {
    let sim = workload(SimConfig {
        traces: 800,
        seed: 3,
        cpu_per_call: Duration::from_micros(30),
        ..SimConfig::default()
    });
    let (discovered, calls, total) = reference(&sim, None);
    let one = run(&sim, Model::Pool, 1);
    assert_eq!(one.makespan, total);
    assert_eq!(one.calls, calls);
    assert_eq!(one.discovered, discovered);
    assert_eq!(one.peak_in_flight, 1);
    // One trace per batch, one call at a time: the same sum.
    let previous = run(&sim, Model::Previous, 1);
    assert_eq!(previous.makespan, total);
    assert_eq!(previous.peak_in_flight, 1);
    // Zero is treated as one.
    assert_eq!(run(&sim, Model::Pool, 0), one);
    let many = run(&sim, Model::Pool, 1_000);
    assert!(many.makespan <= one.makespan);
    assert!(run(&sim, Model::Pool, 10).makespan <= one.makespan);
}

#[test]
fn unbounded_is_a_lower_bound() {
    for seed in [1, 2, 3] {
        let sim = workload(SimConfig {
            traces: 1_000,
            seed,
            ..SimConfig::default()
        });
        let unbounded = run(&sim, Model::Unbounded, 1);
        for c in [1, 3, 10, 50, 500] {
            let pool = run(&sim, Model::Pool, c);
            let previous = run(&sim, Model::Previous, c);
            assert!(unbounded.makespan <= pool.makespan, "seed {seed} C={c}");
            assert!(unbounded.makespan <= previous.makespan, "seed {seed} C={c}");
            assert_eq!(pool.discovered, unbounded.discovered);
            assert_eq!(previous.discovered, unbounded.discovered);
            assert!(pool.peak_in_flight <= c as u64);
            assert!(pool.peak_in_flight <= unbounded.peak_in_flight);
        }
    }
}

#[test]
fn unbounded_ignores_the_concurrency_setting() {
    let sim = no_failures(500, 11);
    let one = run(&sim, Model::Unbounded, 1);
    assert_eq!(run(&sim, Model::Unbounded, 0), one);
    assert_eq!(run(&sim, Model::Unbounded, 1_000), one);
}

#[test]
fn previous_exceeds_c_on_a_wide_graph() {
    let sim = workload(SimConfig {
        traces: 2_000,
        fan_out: 3.0,
        ..SimConfig::default()
    });
    let previous = run(&sim, Model::Previous, 10);
    assert!(
        previous.peak_in_flight > 10,
        "peak {}",
        previous.peak_in_flight
    );
    assert!(previous.peak_in_flight <= 100);
    assert!(run(&sim, Model::Pool, 10).peak_in_flight <= 10);
}

#[test]
fn max_traces_caps_discovery() {
    let sim = no_failures(1_000, 5);
    for model in Model::ALL {
        for cap in [1, 50, 999] {
            let limits = IdealLimits {
                max_traces: Some(cap),
                ..IdealLimits::default()
            };
            assert_eq!(
                simulate(&sim, model, 10, &limits).discovered,
                cap,
                "{model}"
            );
        }
        let zero = IdealLimits {
            max_traces: Some(0),
            ..IdealLimits::default()
        };
        assert_eq!(simulate(&sim, model, 10, &zero), IdealRun::default());
    }
}

#[test]
fn max_depth_limits_the_calls() {
    let sim = workload(SimConfig {
        traces: 1_000,
        seed_traces: 3,
        ..SimConfig::default()
    });
    let seed_calls: usize = sim.seed_nodes().map(|s| sim.plugin_count(s)).sum();
    for model in Model::ALL {
        let depth = |d| IdealLimits {
            max_depth: Some(d),
            ..IdealLimits::default()
        };
        let zero = simulate(&sim, model, 4, &depth(0));
        assert_eq!(zero.calls, 0, "{model}");
        assert_eq!(zero.discovered, 3, "{model}");
        assert_eq!(zero.makespan, Duration::ZERO, "{model}");
        assert_eq!(zero.peak_in_flight, 0, "{model}");
        let one = simulate(&sim, model, 4, &depth(1));
        assert_eq!(one.calls, seed_calls as u64, "{model}");
        let two = simulate(&sim, model, 4, &depth(2));
        assert!(two.calls > one.calls && two.discovered > one.discovered);
        let full = run(&sim, model, 4);
        assert_eq!(simulate(&sim, model, 4, &depth(u32::MAX)), full);
    }
}

#[test]
fn a_timeout_below_every_latency_stops_at_the_seeds() {
    let sim = workload(SimConfig {
        traces: 1_000,
        seed_traces: 2,
        ..SimConfig::default()
    });
    let timeout = Duration::from_nanos(1);
    // The seeds' plugins all do I/O here, so every call times out.
    let seed_calls = sim
        .seed_nodes()
        .flat_map(|s| (0..sim.plugin_count(s)).map(move |p| (s, p)))
        .filter(|&(s, p)| sim.latency(s, p).is_some_and(|l| l > timeout))
        .count();
    assert!(seed_calls > 0);
    let limits = IdealLimits {
        timeout: Some(timeout),
        ..IdealLimits::default()
    };
    for model in Model::ALL {
        for c in [1, 10] {
            let r = simulate(&sim, model, c, &limits);
            assert_eq!(r.discovered, 2, "{model}");
            assert_eq!(r.calls, seed_calls as u64, "{model}");
        }
    }
    let one = simulate(&sim, Model::Pool, 1, &limits);
    assert_eq!(one.makespan, timeout * seed_calls as u32);
    let unbounded = simulate(&sim, Model::Unbounded, 1, &limits);
    assert_eq!(unbounded.makespan, timeout);
    assert_eq!(unbounded.peak_in_flight, seed_calls as u64);
}

#[test]
fn a_timeout_prunes_the_slow_calls() {
    let sim = workload(SimConfig {
        traces: 1_500,
        seed: 9,
        ..SimConfig::default()
    });
    let timeout = Duration::from_millis(80);
    let (discovered, calls, total) = reference(&sim, Some(timeout));
    assert!(discovered < sim.reachable_count());
    let limits = IdealLimits {
        timeout: Some(timeout),
        ..IdealLimits::default()
    };
    for model in Model::ALL {
        let r = simulate(&sim, model, 8, &limits);
        assert_eq!((r.discovered, r.calls), (discovered, calls), "{model}");
    }
    assert_eq!(simulate(&sim, Model::Pool, 1, &limits).makespan, total);
}

#[test]
fn simulation_is_deterministic() {
    let config = SimConfig {
        traces: 1_200,
        seed: 13,
        failure_prob: 0.1,
        panic_prob: 0.02,
        ..SimConfig::default()
    };
    let limits = IdealLimits {
        timeout: Some(Duration::from_millis(300)),
        max_depth: Some(12),
        max_traces: Some(900),
    };
    for model in Model::ALL {
        let a = simulate(&workload(config.clone()), model, 7, &limits);
        let b = simulate(&workload(config.clone()), model, 7, &limits);
        assert_eq!(a, b, "{model}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn bounds_hold_on_random_graphs(
        traces in 1usize..300,
        seed in any::<u64>(),
        c in 1usize..20,
        fan_out in 0.2f64..4.0,
        failure_prob in 0.0f64..0.3,
    ) {
        let sim = workload(SimConfig {
            traces,
            seed,
            fan_out,
            failure_prob,
            seed_traces: 1 + traces / 100,
            ..SimConfig::default()
        });
        let reachable = sim.reachable_count();
        let pool = run(&sim, Model::Pool, c);
        let previous = run(&sim, Model::Previous, c);
        let unbounded = run(&sim, Model::Unbounded, c);
        for r in [&pool, &previous, &unbounded] {
            prop_assert_eq!(r.discovered, reachable);
        }
        prop_assert_eq!(pool.calls, unbounded.calls);
        prop_assert_eq!(previous.calls, unbounded.calls);
        prop_assert!(unbounded.makespan <= pool.makespan);
        prop_assert!(unbounded.makespan <= previous.makespan);
        prop_assert!(pool.makespan <= run(&sim, Model::Pool, 1).makespan);
        prop_assert!(pool.peak_in_flight <= c as u64);
        prop_assert!(pool.peak_in_flight <= unbounded.peak_in_flight);
        prop_assert!(previous.peak_in_flight <= (c * c.min(7)) as u64);
    }
}
