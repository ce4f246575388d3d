//! The three models crawl the same graph and find the same traces, on any executor;
//! only the pool bounds the calls in flight.

mod crawl_common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::future::{BoxFuture, FutureExt};
use tracepool::crawl::{CrawlReport, Crawler, Model};
use tracepool::plugin::{Plugin, PluginError, Registry};
use tracepool::sim::SimConfig;
use tracepool::{Trace, TraceKind};

use crawl_common::{
    MAX_PLUGINS_PER_KIND, Yield, check_complete, check_invariants, config, crawl, crawl_with,
    expected, real_timer, sim, traces,
};

fn configs() -> Vec<SimConfig> {
    vec![
        SimConfig {
            traces: 600,
            failure_prob: 0.1,
            panic_prob: 0.02,
            ..SimConfig::default()
        },
        SimConfig {
            seed: 7,
            traces: 300,
            seed_traces: 3,
            fan_out: 2.0,
            duplicate_edges: 2.0,
            failure_prob: 0.0,
            ..SimConfig::default()
        },
        SimConfig {
            seed: 1234,
            traces: 400,
            fan_out: 0.7,
            failure_prob: 0.2,
            panic_prob: 0.1,
            ..SimConfig::default()
        },
        SimConfig {
            seed: 99,
            traces: 1,
            ..SimConfig::default()
        },
    ]
}

#[test]
fn same_discovered_set_under_every_model() {
    for sim_config in configs() {
        let sim = sim(sim_config);
        let exp = expected(&sim);
        for c in [1, 3, 10, 100] {
            let reports: Vec<CrawlReport> = Model::ALL.iter().map(|&m| crawl(&sim, m, c)).collect();
            for report in &reports {
                check_complete(&sim, report, &exp);
                assert_eq!(traces(report), traces(&reports[0]));
            }
        }
    }
}

/// A graph where most traces have several plugins that each find several new traces.
fn fan_out_heavy() -> tracepool::sim::SimWorkload {
    sim(SimConfig {
        seed: 3,
        traces: 800,
        fan_out: 3.0,
        failure_prob: 0.0,
        ..SimConfig::default()
    })
}

#[test]
fn pool_bounds_calls_in_flight_and_previous_does_not() {
    let sim = fan_out_heavy();
    let exp = expected(&sim);
    for c in [1_usize, 2, 10] {
        let pool = crawl(&sim, Model::Pool, c);
        check_complete(&sim, &pool, &exp);
        assert!(pool.peak_in_flight >= 1);
        assert!(
            pool.peak_in_flight <= c as u64,
            "pool peak {} at C = {c}",
            pool.peak_in_flight
        );

        // The previous model's documented bound: C traces a batch, C calls a trace.
        let previous = crawl(&sim, Model::Previous, c);
        check_complete(&sim, &previous, &exp);
        let bound = c as u64 * MAX_PLUGINS_PER_KIND.min(c as u64);
        assert!(
            previous.peak_in_flight <= bound,
            "previous peak {} above C·min(P, C) = {bound} at C = {c}",
            previous.peak_in_flight
        );
    }
    // With calls that overlap, the previous model runs more than C at once.
    for timer in [Yield(1), Yield(8)] {
        let previous = crawl_with(&sim, Arc::new(timer), config(Model::Previous, 10));
        check_complete(&sim, &previous, &exp);
        assert!(
            previous.peak_in_flight > 10,
            "previous peak {} not above C = 10 with {timer:?}",
            previous.peak_in_flight
        );
        let pool = crawl_with(&sim, Arc::new(timer), config(Model::Pool, 10));
        assert!(pool.peak_in_flight <= 10);
        let unbounded = crawl_with(&sim, Arc::new(timer), config(Model::Unbounded, 10));
        check_complete(&sim, &unbounded, &exp);
        assert!(unbounded.peak_in_flight > 10);
    }
}

#[test]
fn one_worker_completes_every_model_through_cycles() {
    let sim = sim(SimConfig {
        seed: 11,
        traces: 500,
        duplicate_edges: 1.5,
        failure_prob: 0.05,
        panic_prob: 0.05,
        ..SimConfig::default()
    });
    let exp = expected(&sim);
    assert!(exp.duplicates > 0, "the graph has no repeated edge");
    for model in Model::ALL {
        let report = crawl(&sim, model, 1);
        check_complete(&sim, &report, &exp);
        assert!(report.duplicates > 0, "{model}");
        if model != Model::Unbounded {
            assert_eq!(report.peak_in_flight, 1, "{model}");
        }
    }
}

/// `username:i` finds `username:(i + 1) mod n` and itself: a ring with self-loops.
struct Ring(usize);

impl Plugin for Ring {
    fn name(&self) -> &str {
        "ring"
    }

    fn accepts(&self) -> TraceKind {
        TraceKind::Username
    }

    fn follow(&self, trace: &Trace) -> BoxFuture<'static, Result<Vec<Trace>, PluginError>> {
        let i: usize = trace.value().parse().expect("a ring index");
        let found = vec![
            Trace::new(TraceKind::Username, ((i + 1) % self.0).to_string()),
            trace.clone(),
        ];
        futures::future::ready(Ok(found)).boxed()
    }
}

#[test]
fn a_cycle_terminates_under_every_model() {
    let n = 25;
    let mut registry = Registry::new();
    registry.register(Ring(n));
    let registry = Arc::new(registry);
    for model in Model::ALL {
        for c in [1, 4] {
            let crawler = Crawler::new(Arc::clone(&registry), config(model, c)).unwrap();
            let seed = Trace::new(TraceKind::Username, "0");
            let report = futures::executor::block_on(crawler.run([seed], |_| {}));
            check_invariants(&report);
            assert_eq!(report.discovered.len(), n, "{model}");
            assert_eq!(report.jobs, n as u64);
            assert_eq!(report.outcomes.completed, n as u64);
            // Every call returns its own trace again, and the last one returns the seed.
            assert_eq!(report.duplicates, n as u64 + 1, "{model}");
        }
    }
}

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap()
}

fn assert_send<T: Send>(value: T) -> T {
    value
}

#[test]
fn same_result_on_a_tokio_multi_thread_runtime() {
    let sim = sim(configs().swap_remove(0));
    let exp = expected(&sim);
    let runtime = tokio_runtime();
    for model in Model::ALL {
        for c in [1, 10] {
            // Spawned: the run future is `Send` when the observer is.
            let crawler = Crawler::new(sim.registry(Arc::new(Yield(1))), config(model, c)).unwrap();
            let seeds = sim.seeds();
            let events = Arc::new(AtomicU64::new(0));
            let counter = Arc::clone(&events);
            let task = assert_send(async move {
                crawler
                    .run(seeds, move |_| {
                        counter.fetch_add(1, Ordering::Relaxed);
                    })
                    .await
            });
            let report = runtime.block_on(runtime.spawn(task)).unwrap();
            check_complete(&sim, &report, &exp);
            assert!(events.load(Ordering::Relaxed) >= report.jobs * 2);
        }
    }
    // Polled by `block_on` on the runtime, sleeping on the tokio timer.
    let fast = crawl_common::sim(sim_config_fast(SimConfig {
        traces: 200,
        ..configs().swap_remove(0)
    }));
    let fast_exp = expected(&fast);
    for model in Model::ALL {
        let crawler = Crawler::new(fast.registry(Arc::new(TokioTimer)), config(model, 10)).unwrap();
        let report = runtime.block_on(crawler.run(fast.seeds(), |_| {}));
        check_complete(&fast, &report, &fast_exp);
    }
}

/// The same graph with latencies of a fraction of a millisecond.
fn sim_config_fast(config: SimConfig) -> SimConfig {
    SimConfig {
        latency_mean: Duration::from_millis(1),
        latency_p99: Duration::from_millis(5),
        time_scale: 0.1,
        ..config
    }
}

#[derive(Debug)]
struct TokioTimer;

impl tracepool::Timer for TokioTimer {
    fn sleep(&self, duration: Duration) -> tracepool::timer::Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}

#[test]
fn same_result_on_async_io_with_real_sleeps() {
    let sim = sim(sim_config_fast(SimConfig {
        traces: 300,
        failure_prob: 0.1,
        panic_prob: 0.02,
        ..SimConfig::default()
    }));
    let exp = expected(&sim);
    for model in Model::ALL {
        let crawler = Crawler::new(sim.registry(real_timer()), config(model, 10)).unwrap();
        let report = async_io::block_on(crawler.run(sim.seeds(), |_| {}));
        check_complete(&sim, &report, &exp);
    }
    // And on a smol executor with the run spawned on it.
    let crawler = Crawler::new(sim.registry(real_timer()), config(Model::Pool, 4)).unwrap();
    let seeds = sim.seeds();
    let report = smol::block_on(smol::spawn(async move { crawler.run(seeds, |_| {}).await }));
    check_complete(&sim, &report, &exp);
}
