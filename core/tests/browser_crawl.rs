//! A small crawl in a real browser (headless Chromium through `wasm-bindgen-test`): the
//! simulated workload sleeping on the browser's timer, under every model, at C = 4.
//!
//! `scripts/check` runs it with `browser_pool.rs`. The simulated workload's panics
//! are off: on `wasm32-unknown-unknown` a panic aborts instead of unwinding.
#![cfg(target_arch = "wasm32")]

use std::collections::{BTreeSet, VecDeque};
use std::rc::Rc;
use std::time::Duration;

use futures::future::{self, FutureExt, LocalBoxFuture};
use tracepool::crawl::{CrawlReport, LocalCrawlConfig, LocalCrawler, Model};
use tracepool::plugin::{LocalPlugin, LocalRegistry, PluginError};
use tracepool::sim::{SimConfig, SimOutcome, SimWorkload};
use tracepool::timer::{BrowserTimer, LocalTimer};
use tracepool::{Trace, TraceKind};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const C: usize = 4;

/// Every trace a complete crawl of `sim` finds, by walking its graph (no engine, no
/// sleeping).
fn reachable(sim: &SimWorkload) -> BTreeSet<Trace> {
    let mut seen: BTreeSet<_> = sim.seed_nodes().collect();
    let mut frontier: VecDeque<_> = sim.seed_nodes().collect();
    while let Some(node) = frontier.pop_front() {
        let plugins = sim.plugin_names(sim.trace_of(node).kind()).len();
        for plugin in 0..plugins {
            let call = sim.call(node, plugin).expect("a plugin of the node's kind");
            if let SimOutcome::Found(children) = call.outcome {
                for child in children {
                    if seen.insert(child) {
                        frontier.push_back(child);
                    }
                }
            }
        }
    }
    seen.into_iter().map(|n| sim.trace_of(n)).collect()
}

fn discovered(report: &CrawlReport) -> BTreeSet<Trace> {
    report.discovered.traces().map(|t| t.to_trace()).collect()
}

/// Every model finds every reachable trace, sleeping on `setTimeout`; the pool never
/// has more than C calls in flight.
#[wasm_bindgen_test]
async fn small_crawl_on_the_browser_timer() {
    let sim = SimWorkload::new(SimConfig {
        seed: 11,
        traces: 120,
        latency_mean: Duration::from_millis(4),
        latency_p99: Duration::from_millis(20),
        failure_prob: 0.05,
        panic_prob: 0.0,
        ..SimConfig::default()
    })
    .expect("valid sim config");
    let expected = reachable(&sim);
    assert_eq!(expected.len(), sim.reachable_count());
    let timer: Rc<dyn LocalTimer> = Rc::new(BrowserTimer);
    for model in Model::ALL {
        sim.sleep_stats().reset();
        let config = LocalCrawlConfig {
            model,
            max_concurrency: C,
            ..LocalCrawlConfig::default()
        };
        let crawler = LocalCrawler::new(sim.local_registry(Rc::clone(&timer)), config)
            .expect("valid crawl config");
        let report = crawler.run(sim.seeds(), |_| {}).await;
        assert_eq!(discovered(&report), expected, "{model}");
        assert_eq!(report.lost, 0, "{model}");
        assert_eq!(report.outcomes.finished(), report.jobs, "{model}");
        assert_eq!(
            (report.outcomes.panicked, report.outcomes.cancelled),
            (0, 0),
            "{model}"
        );
        assert!(report.jobs > C as u64, "{model}: too small a crawl to test");
        // The calls slept on `setTimeout`, and none woke up early by the page's clock.
        let sleeps = sim.sleep_stats().snapshot();
        assert!(sleeps.count > C as u64, "{model}: {} sleeps", sleeps.count);
        assert_eq!(sleeps.early_wakeups, 0, "{model}");
        if model == Model::Pool {
            assert!(
                report.peak_in_flight <= C as u64,
                "pool peak {} above C",
                report.peak_in_flight
            );
        }
    }
}

/// A plugin whose calls never end.
struct Stuck;

impl LocalPlugin for Stuck {
    fn name(&self) -> &str {
        "stuck"
    }

    fn accepts(&self) -> TraceKind {
        TraceKind::Domain
    }

    fn follow(&self, _: &Trace) -> LocalBoxFuture<'static, Result<Vec<Trace>, PluginError>> {
        future::pending().boxed_local()
    }
}

/// The crawl's timeout, enforced by the browser's timer, ends calls that never would,
/// under every model.
#[wasm_bindgen_test]
async fn browser_timer_enforces_the_crawl_timeout() {
    let mut registry = LocalRegistry::new();
    registry.register(Stuck);
    let registry = Rc::new(registry);
    let seeds: Vec<Trace> = (0..6)
        .map(|i| Trace::new(TraceKind::Domain, format!("d{i}.example")))
        .collect();
    for model in Model::ALL {
        let config = LocalCrawlConfig {
            model,
            max_concurrency: C,
            timeout: Some(Duration::from_millis(15)),
            timer: Some(Rc::new(BrowserTimer)),
            ..LocalCrawlConfig::default()
        };
        let crawler = LocalCrawler::new(Rc::clone(&registry), config).expect("valid config");
        let report = crawler.run(seeds.clone(), |_| {}).await;
        assert_eq!((report.jobs, report.outcomes.timed_out), (6, 6), "{model}");
        assert_eq!(report.lost, 0, "{model}");
    }
}
