//! The simulated workloads: graph size, determinism, failures, latency, validation,
//! and the ideal makespan. No test here depends on wall-clock time.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use futures::executor::block_on;
use proptest::prelude::*;
use tracepool::plugin::{Found, PluginErrorKind};
use tracepool::sim::{
    FlatWorkload, NodeId, SimCall, SimConfig, SimOutcome, SimWorkload, SleepStats, ideal_makespan,
};
use tracepool::timer::{Sleep, Timer};
use tracepool::trace::{Trace, TraceKind};

fn config(traces: usize, seed: u64) -> SimConfig {
    SimConfig {
        traces,
        seed,
        failure_prob: 0.0,
        panic_prob: 0.0,
        ..SimConfig::default()
    }
}

/// Breadth-first crawl through `call`, counting distinct traces and duplicate results.
fn crawl(sim: &SimWorkload) -> (HashSet<NodeId>, usize) {
    let mut seen: HashSet<NodeId> = sim.seed_nodes().collect();
    let mut queue: VecDeque<NodeId> = sim.seed_nodes().collect();
    let mut duplicates = 0;
    while let Some(node) = queue.pop_front() {
        for p in 0..sim.plugin_count(node) {
            if let Some(SimCall {
                outcome: SimOutcome::Found(children),
                ..
            }) = sim.call(node, p)
            {
                for c in children {
                    if seen.insert(c) {
                        queue.push_back(c);
                    } else {
                        duplicates += 1;
                    }
                }
            }
        }
    }
    (seen, duplicates)
}

/// A timer that completes at once: the registry's plugins then run without waiting.
#[derive(Debug)]
struct InstantTimer;

impl Timer for InstantTimer {
    fn sleep(&self, _: Duration) -> Sleep {
        Box::pin(async {})
    }
}

#[test]
fn graph_has_exactly_n_reachable_traces() {
    for (traces, seed, seeds) in [
        (1, 1, 1),
        (2, 2, 1),
        (10, 3, 3),
        (1000, 4, 1),
        (20_000, 5, 7),
    ] {
        let sim = SimWorkload::new(SimConfig {
            seed_traces: seeds,
            ..config(traces, seed)
        })
        .unwrap();
        let (seen, _) = crawl(&sim);
        assert_eq!(seen.len(), traces, "traces {traces} seed {seed}");
        assert_eq!(sim.reachable_count(), traces);
        assert_eq!(sim.trace_count(), traces);
    }
}

#[test]
fn extreme_fan_out_still_gives_exactly_n() {
    for fan_out in [0.0, 0.01, 50.0] {
        let sim = SimWorkload::new(SimConfig {
            fan_out,
            duplicate_edges: 0.0,
            ..config(3000, 9)
        })
        .unwrap();
        assert_eq!(crawl(&sim).0.len(), 3000, "fan_out {fan_out}");
    }
}

#[test]
fn duplicates_and_cycles_are_present() {
    let sim = SimWorkload::new(config(5000, 11)).unwrap();
    let (_, duplicates) = crawl(&sim);
    assert!(duplicates > 500, "only {duplicates} duplicate results");
    // Some edge points back at a node that was discovered earlier (a cycle).
    assert!(sim.edges().any(|e| e.to < e.from));
}

#[test]
fn traces_are_distinct_and_map_back_to_their_nodes() {
    let sim = SimWorkload::new(config(3000, 12)).unwrap();
    let traces: Vec<Trace> = sim.traces().collect();
    let distinct: HashSet<&Trace> = traces.iter().collect();
    assert_eq!(distinct.len(), 3000);
    for (i, trace) in traces.iter().enumerate() {
        assert_eq!(sim.node(trace).map(NodeId::index), Some(i));
    }
    assert_eq!(sim.node(&Trace::new(TraceKind::Username, "nobody")), None);
    // Values look like their kind.
    for trace in &traces {
        if *trace.kind() == TraceKind::Email {
            assert_eq!(
                tracepool::trace::classify(trace.value()),
                Some(TraceKind::Email)
            );
        }
        if matches!(trace.kind(), TraceKind::Url | TraceKind::SocialProfile) {
            assert!(trace.value().starts_with("https://"));
        }
    }
}

#[test]
fn graph_lines_parse_back() {
    let sim = SimWorkload::new(config(500, 13)).unwrap();
    let text: String = sim.traces().map(|t| format!("{t}\n")).collect();
    let parsed = tracepool::trace::parse_traces(&text).unwrap();
    assert_eq!(parsed, sim.traces().collect::<Vec<_>>());
}

#[test]
fn same_seed_same_calls_different_seed_different_calls() {
    let calls = |seed| {
        let sim = SimWorkload::new(SimConfig {
            seed,
            traces: 2000,
            failure_prob: 0.1,
            panic_prob: 0.02,
            ..SimConfig::default()
        })
        .unwrap();
        let mut all = Vec::new();
        for node in sim.nodes() {
            for p in 0..sim.plugin_count(node) {
                all.push((sim.trace_of(node), p, sim.call(node, p).unwrap()));
            }
        }
        all
    };
    assert_eq!(calls(1), calls(1));
    assert_ne!(calls(1), calls(2));
}

/// The graphs of two seeds, pinned: every edge (from, plugin, to, in order), every
/// value's length and what a crawl reaches. The figures were taken from the workload
/// as first released; a change to how the graph is drawn or its values written (a
/// faster formatter, a reordered draw) must leave them as they are, or the figures of
/// every earlier run stop being comparable.
#[test]
fn the_graph_of_a_seed_is_the_same_in_every_version() {
    for (traces, seed, duplicate_edges, edges, fingerprint, reachable, value_bytes) in [
        (5_000, 7, 0.5, 6_935, 0xaec5_9489_987a_5df1_u64, 91, 103_083),
        (
            20_000,
            42,
            3.0,
            63_791,
            0x89b7_254e_6603_1176,
            19_643,
            424_316,
        ),
    ] {
        let sim = SimWorkload::new(SimConfig {
            traces,
            seed,
            duplicate_edges,
            ..SimConfig::default()
        })
        .unwrap();
        // FNV-1a over the edges' numbers.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut count = 0;
        for edge in sim.edges() {
            for word in [edge.from.index(), edge.plugin, edge.to.index()] {
                hash = (hash ^ word as u64).wrapping_mul(0x0100_0000_01b3);
            }
            count += 1;
        }
        let bytes: usize = sim.traces().map(|t| t.value().len()).sum();
        assert_eq!(
            (count, hash, sim.reachable_count(), bytes),
            (edges, fingerprint, reachable, value_bytes),
            "{traces} traces, seed {seed}"
        );
    }
}

#[test]
fn failures_prune_deterministically() {
    let with_failures = |seed| {
        SimWorkload::new(SimConfig {
            seed,
            traces: 5000,
            failure_prob: 0.3,
            panic_prob: 0.05,
            ..SimConfig::default()
        })
        .unwrap()
    };
    let a = with_failures(21);
    let b = with_failures(21);
    let (seen_a, _) = crawl(&a);
    let (seen_b, _) = crawl(&b);
    assert_eq!(seen_a, seen_b);
    assert!(seen_a.len() < 5000);
    assert_eq!(a.reachable_count(), seen_a.len());
    // Both kinds of bad outcome occur, and errors carry a message.
    let mut failed = 0;
    let mut panicked = 0;
    for (i, trace) in a.traces().enumerate().take(2000) {
        let node = a.node(&trace).unwrap();
        assert_eq!(node.index(), i);
        for p in 0..a.plugin_count(node) {
            match a.call(node, p).unwrap().outcome {
                SimOutcome::Failed(e) => {
                    failed += 1;
                    assert!(!e.message().is_empty());
                }
                SimOutcome::Panicked => panicked += 1,
                SimOutcome::Found(_) => {}
            }
        }
    }
    assert!(
        failed > 100 && panicked > 5,
        "failed {failed} panicked {panicked}"
    );
}

#[test]
fn latency_mean_and_p99_match_the_config() {
    let sim = SimWorkload::new(SimConfig {
        traces: 200_000,
        seed: 5,
        latency_mean: Duration::from_millis(40),
        latency_p99: Duration::from_millis(400),
        ..SimConfig::default()
    })
    .unwrap();
    let mut samples = Vec::new();
    for node in sim.nodes() {
        for p in 0..sim.plugin_count(node) {
            let latency = sim.latency(node, p).unwrap();
            if !latency.is_zero() {
                samples.push(latency.as_secs_f64());
            }
        }
    }
    assert!(samples.len() > 50_000, "{} samples", samples.len());
    let mean = samples.iter().sum::<f64>() / samples.len() as f64;
    assert!((mean - 0.040).abs() < 0.040 * 0.1, "mean {mean}");
    samples.sort_by(f64::total_cmp);
    let p99 = samples[samples.len() * 99 / 100];
    assert!((p99 - 0.400).abs() < 0.400 * 0.15, "p99 {p99}");
}

#[test]
fn time_scale_and_constant_latency() {
    let base = SimConfig {
        latency_mean: Duration::from_millis(10),
        latency_p99: Duration::from_millis(10),
        ..config(300, 3)
    };
    let sim = SimWorkload::new(base.clone()).unwrap();
    let scaled = SimWorkload::new(SimConfig {
        time_scale: 0.5,
        ..base
    })
    .unwrap();
    let node = sim.seed_nodes().next().unwrap();
    // A username's first plugin does I/O: exactly the mean, then half of it.
    let latency = sim.latency(node, 0).unwrap();
    assert!(latency.abs_diff(Duration::from_millis(10)) < Duration::from_micros(1));
    let half = scaled.latency(node, 0).unwrap();
    assert!(half.abs_diff(Duration::from_millis(5)) < Duration::from_micros(1));
    assert_eq!(sim.latency(node, 99), None);
}

#[test]
fn config_errors_name_the_field() {
    let d = SimConfig::default;
    let cases = [
        (SimConfig { traces: 0, ..d() }, "traces"),
        (
            SimConfig {
                seed_traces: 0,
                ..d()
            },
            "seed_traces",
        ),
        (
            SimConfig {
                seed_traces: 2000,
                ..d()
            },
            "seed_traces",
        ),
        (
            SimConfig {
                fan_out: -1.0,
                ..d()
            },
            "fan_out",
        ),
        (
            SimConfig {
                fan_out: f64::NAN,
                ..d()
            },
            "fan_out",
        ),
        (
            SimConfig {
                duplicate_edges: f64::INFINITY,
                ..d()
            },
            "duplicate_edges",
        ),
        (
            SimConfig {
                failure_prob: 1.5,
                ..d()
            },
            "failure_prob",
        ),
        (
            SimConfig {
                failure_prob: -0.1,
                ..d()
            },
            "failure_prob",
        ),
        (
            SimConfig {
                failure_prob: 0.7,
                panic_prob: 0.5,
                ..d()
            },
            "panic_prob",
        ),
        (
            SimConfig {
                panic_prob: f64::NAN,
                ..d()
            },
            "panic_prob",
        ),
        (
            SimConfig {
                latency_p99: Duration::from_millis(10),
                ..d()
            },
            "latency_p99",
        ),
        (
            SimConfig {
                latency_p99: Duration::from_secs(10),
                ..d()
            },
            "latency_p99",
        ),
        (
            SimConfig {
                latency_mean: Duration::from_secs(7200),
                ..d()
            },
            "latency_mean",
        ),
        (
            SimConfig {
                cpu_per_call: Duration::from_secs(2),
                ..d()
            },
            "cpu_per_call",
        ),
        (
            SimConfig {
                time_scale: -1.0,
                ..d()
            },
            "time_scale",
        ),
        (
            SimConfig {
                time_scale: f64::INFINITY,
                ..d()
            },
            "time_scale",
        ),
    ];
    for (config, field) in cases {
        let err = SimWorkload::new(config).unwrap_err();
        assert_eq!(err.field(), field);
        assert!(err.to_string().contains(field), "{err}");
    }
    // Durations are given in seconds.
    let long = SimConfig {
        latency_mean: Duration::from_millis(7_200_500),
        ..d()
    };
    let err = long.validate().unwrap_err();
    assert_eq!(err.value(), "7200.5 s");
    assert_eq!(
        err.to_string(),
        "invalid `latency_mean`: 7200.5 s (accepted: at most 1 hour)"
    );
    assert!(SimConfig::default().validate().is_ok());
    let zero = SimConfig {
        latency_mean: Duration::ZERO,
        latency_p99: Duration::ZERO,
        ..d()
    };
    assert!(zero.validate().is_ok());
}

#[test]
fn registry_plugins_do_what_call_says() {
    let sim = SimWorkload::new(SimConfig {
        traces: 800,
        seed: 8,
        failure_prob: 0.2,
        panic_prob: 0.0,
        latency_mean: Duration::from_millis(5),
        latency_p99: Duration::from_millis(20),
        ..SimConfig::default()
    })
    .unwrap();
    let registry = sim.registry(Arc::new(InstantTimer));
    assert_eq!(registry.len(), 7 + 5 + 3 + 1 + 1 + 1 + 1 + 1 + 7);
    assert!(registry.plugins_for(&TraceKind::Phone).is_empty());
    assert_eq!(
        registry.plugins_for(&TraceKind::Username)[0].name(),
        "username/site_probe"
    );
    let mut checked = 0;
    for trace in sim.traces().take(300) {
        let node = sim.node(&trace).unwrap();
        let names = sim.plugin_names(trace.kind());
        for (p, plugin) in registry.plugins_for(trace.kind()).iter().enumerate() {
            assert_eq!(plugin.name(), names[p]);
            let expected = sim.call(node, p).unwrap();
            let got = block_on(plugin.follow(&trace));
            match expected.outcome {
                SimOutcome::Found(children) => {
                    let children: Vec<Trace> =
                        children.into_iter().map(|c| sim.trace_of(c)).collect();
                    assert_eq!(got.unwrap(), children);
                }
                SimOutcome::Failed(e) => assert_eq!(got.unwrap_err(), e),
                SimOutcome::Panicked => unreachable!(),
            }
            assert_eq!(
                sim.call_trace(&trace, plugin.name()),
                Some(sim.call(node, p).unwrap())
            );
            checked += 1;
        }
    }
    assert!(checked > 200, "{checked} calls checked");
    let stats = sim.sleep_stats().snapshot();
    assert!(stats.count > 0);
    let foreign = Trace::new(TraceKind::Username, "mallory");
    let err = block_on(registry.plugins_for(&TraceKind::Username)[0].follow(&foreign)).unwrap_err();
    assert_eq!(err.kind(), PluginErrorKind::Invalid);
}

#[test]
fn registry_plugins_answer_at_once_what_their_calls_return() {
    // Without latency every call that does not panic is answered at once; with it,
    // only the calls that do no I/O (and those of a filtering plugin it skips).
    for (latency, cpu) in [
        (Duration::ZERO, Duration::ZERO),
        (Duration::from_millis(5), Duration::ZERO),
        (Duration::ZERO, Duration::from_nanos(1)),
    ] {
        let sim = SimWorkload::new(SimConfig {
            traces: 800,
            seed: 9,
            failure_prob: 0.2,
            panic_prob: 0.1,
            latency_mean: latency,
            latency_p99: latency * 4,
            cpu_per_call: cpu,
            ..SimConfig::default()
        })
        .unwrap();
        let registry = sim.registry(Arc::new(InstantTimer));
        let (mut now, mut later) = (0, 0);
        // One buffer for every call, as the crawl engine reuses them.
        let mut found = Found::new();
        for trace in sim.traces().take(400) {
            let node = sim.node(&trace).unwrap();
            for (p, plugin) in registry.plugins_for(trace.kind()).iter().enumerate() {
                let call = sim.call(node, p).unwrap();
                let immediate = call.latency.is_zero() && call.cpu.is_zero();
                found.clear();
                match plugin.follow_now(&trace, &mut found) {
                    Some(result) => {
                        now += 1;
                        assert!(immediate, "{trace} {p}: answered at once, but waits");
                        let result = result.map(|()| found.to_vec());
                        assert_eq!(result, block_on(plugin.follow(&trace)), "{trace} {p}");
                    }
                    None => {
                        later += 1;
                        // Left to the future: a call that waits, works, or panics.
                        let panics = call.outcome == SimOutcome::Panicked;
                        assert!(!immediate || panics, "{trace} {p}: not answered at once");
                        if latency.is_zero() && cpu.is_zero() {
                            assert!(panics, "{trace} {p}");
                        }
                    }
                }
            }
        }
        assert!(
            now > 50 && later > 10,
            "{now} answered at once, {later} not"
        );
        // A trace of no node, or of another kind, is answered at once too.
        let plugin = &registry.plugins_for(&TraceKind::Username)[0];
        let foreign = Trace::new(TraceKind::Username, "mallory");
        let answer = plugin
            .follow_now(&foreign, &mut found)
            .unwrap()
            .unwrap_err();
        assert_eq!(answer, block_on(plugin.follow(&foreign)).unwrap_err());
        assert_eq!(answer.kind(), PluginErrorKind::Invalid);
    }
}

#[test]
fn panics_happen_inside_the_future() {
    let sim = SimWorkload::new(SimConfig {
        traces: 50,
        panic_prob: 1.0,
        failure_prob: 0.0,
        ..SimConfig::default()
    })
    .unwrap();
    let registry = sim.registry(Arc::new(InstantTimer));
    let seed = &sim.seeds()[0];
    // Creating the future does not panic; polling it does.
    let future = registry.plugins_for(seed.kind())[0].follow(seed);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| block_on(future)));
    assert!(result.is_err());
}

#[test]
fn sleep_stats_are_shared_and_thread_safe() {
    let stats = Arc::new(SleepStats::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            let stats = Arc::clone(&stats);
            s.spawn(move || {
                for _ in 0..1000 {
                    stats.record(Duration::from_micros(100), Duration::from_micros(150));
                }
            });
        }
    });
    let summary = stats.snapshot();
    assert_eq!(summary.count, 4000);
    assert!((summary.mean_overshoot_us() - 50.0).abs() < 1e-9);
}

#[test]
fn flat_workload_is_deterministic_and_childless() {
    let flat = FlatWorkload::new(1000, Duration::from_millis(10));
    let again = FlatWorkload::new(1000, Duration::from_millis(10));
    assert!(flat.durations().eq(again.durations()));
    let other = FlatWorkload::new(1000, Duration::from_millis(10)).with_seed(1);
    assert!(!flat.durations().eq(other.durations()));
    assert_eq!(
        flat.duration(7),
        tracepool::sim::flat_job_duration(flat.seed(), flat.mean(), 7)
    );
    let registry = flat.registry(Arc::new(InstantTimer));
    let seeds = flat.seeds();
    assert_eq!(seeds.len(), 1000);
    assert_eq!(seeds.iter().collect::<HashSet<_>>().len(), 1000);
    let plugin = &registry.plugins_for(seeds[0].kind())[0];
    assert_eq!(block_on(plugin.follow(&seeds[3])).unwrap(), []);
    assert_eq!(flat.sleep_stats().snapshot().count, 1);
}

#[test]
fn ideal_makespan_hand_computed() {
    let ms = Duration::from_millis;
    assert_eq!(ideal_makespan([], 4), Duration::ZERO);
    assert_eq!(ideal_makespan([ms(5)], 4), ms(5));
    assert_eq!(ideal_makespan([ms(1), ms(2), ms(3)], 1), ms(6));
    assert_eq!(ideal_makespan([ms(1), ms(2), ms(3)], 0), ms(6));
    assert_eq!(ideal_makespan([ms(1), ms(2), ms(3)], 10), ms(3));
    // Slots: [4], [1, 1, 1, 1] then the 4th job of 1 goes to the slot free at 1, ...
    assert_eq!(
        ideal_makespan([ms(4), ms(1), ms(1), ms(1), ms(1)], 2),
        ms(4)
    );
    assert_eq!(
        ideal_makespan([ms(2), ms(2), ms(2), ms(2), ms(2)], 2),
        ms(6)
    );
    assert_eq!(
        ideal_makespan([ms(3), ms(3), ms(1), ms(1), ms(1), ms(4)], 2),
        ms(8)
    );
    // Little's law for many equal jobs: N / C rounds.
    assert_eq!(
        ideal_makespan(std::iter::repeat_n(ms(10), 1000), 100),
        ms(100)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn any_size_and_seed_reaches_exactly_n(
        traces in 1usize..3000,
        seed in any::<u64>(),
        seeds in 1usize..5,
        fan_out in 0.0f64..4.0,
    ) {
        let sim = SimWorkload::new(SimConfig {
            seed_traces: seeds.min(traces),
            fan_out,
            ..config(traces, seed)
        }).unwrap();
        prop_assert_eq!(crawl(&sim).0.len(), traces);
    }

    #[test]
    fn makespan_is_between_the_bounds(
        durations in proptest::collection::vec(0u64..1000, 0..200),
        slots in 1usize..20,
    ) {
        let durations: Vec<Duration> = durations.into_iter().map(Duration::from_micros).collect();
        let total: Duration = durations.iter().sum();
        let longest = durations.iter().max().copied().unwrap_or_default();
        let makespan = ideal_makespan(durations.iter().copied(), slots);
        prop_assert!(makespan >= longest);
        prop_assert!(makespan >= total / slots as u32);
        prop_assert!(makespan <= total / slots as u32 + longest);
    }

    /// Against list scheduling written out in full (each job, zero-length ones too,
    /// takes the slot free first): the same makespan, with many zero-length jobs.
    #[test]
    fn makespan_matches_list_scheduling_of_every_job(
        durations in proptest::collection::vec(prop_oneof![Just(0u64), 1u64..50], 0..200),
        slots in 0usize..12,
    ) {
        let durations: Vec<Duration> = durations.into_iter().map(Duration::from_micros).collect();
        let mut free = vec![Duration::ZERO; slots.max(1)];
        let mut makespan = Duration::ZERO;
        for d in &durations {
            let earliest = free.iter_mut().min().expect("at least one slot");
            *earliest += *d;
            makespan = makespan.max(*earliest);
        }
        prop_assert_eq!(ideal_makespan(durations.iter().copied(), slots), makespan);
    }
}

#[test]
fn a_million_traces_fit_in_a_few_megabytes() {
    let sim = SimWorkload::new(config(1_000_000, 77)).unwrap();
    assert_eq!(sim.trace_count(), 1_000_000);
    assert!(
        sim.heap_bytes() <= 6 * 1_000_000,
        "{} bytes",
        sim.heap_bytes()
    );
    let last = sim.nodes().last().unwrap();
    assert_eq!(sim.node(&sim.trace_of(last)), Some(last));
}
