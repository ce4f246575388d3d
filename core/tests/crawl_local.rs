//! Crawls on one thread: plugins and timers that are not `Send` (they hold `Rc`s),
//! run by a `LocalCrawler` on `futures::executor::LocalPool`, find what the sendable
//! crawler finds, with the same bound and the same timeouts.

mod crawl_common;

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::mpsc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::executor::LocalPool;
use futures::future::{self, FutureExt, LocalBoxFuture};
use tracepool::crawl::{CrawlEvent, CrawlReport, LocalCrawlConfig, LocalCrawler, Model};
use tracepool::plugin::{LocalPlugin, LocalRegistry, PluginError};
use tracepool::sim::SimConfig;
use tracepool::timer::{LocalSleep, LocalTimer};
use tracepool::{Trace, TraceKind};

use crawl_common::{check_complete, check_invariants, crawl, expected, sim, traces};

/// Returns `Pending` (waking itself at once) `n` times, then `Ready`.
struct YieldN(u64);

impl Future for YieldN {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 == 0 {
            return Poll::Ready(());
        }
        self.0 -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// A virtual-time timer that is not `Send`: a sleep of `d` ends after `d` in
/// milliseconds (at least one) yields, and every sleep is counted in an `Rc`.
#[derive(Debug, Default)]
struct RcTimer {
    sleeps: Rc<Cell<u64>>,
}

impl LocalTimer for RcTimer {
    fn sleep(&self, duration: Duration) -> LocalSleep {
        let sleeps = Rc::clone(&self.sleeps);
        let yields = (duration.as_millis() as u64).max(1);
        Box::pin(async move {
            sleeps.set(sleeps.get() + 1);
            YieldN(yields).await;
        })
    }
}

fn local_config(model: Model, c: usize) -> LocalCrawlConfig {
    LocalCrawlConfig {
        model,
        max_concurrency: c,
        ..LocalCrawlConfig::default()
    }
}

fn run_local(crawler: &LocalCrawler, seeds: Vec<Trace>) -> CrawlReport {
    LocalPool::new().run_until(crawler.run(seeds, |_| {}))
}

/// The simulated workload on a timer that is not `Send` finds exactly what the
/// sendable crawler finds, under every model, on a single-threaded executor.
#[test]
fn simulated_crawl_with_a_local_timer_matches_the_sendable_one() {
    let sim = sim(SimConfig {
        traces: 400,
        failure_prob: 0.1,
        panic_prob: 0.02,
        ..SimConfig::default()
    });
    let exp = expected(&sim);
    for model in Model::ALL {
        for c in [1, 4, 50] {
            let timer = RcTimer::default();
            let sleeps = Rc::clone(&timer.sleeps);
            sim.sleep_stats().reset();
            let registry = sim.local_registry(Rc::new(timer));
            let crawler = LocalCrawler::new(registry, local_config(model, c)).unwrap();
            let report = run_local(&crawler, sim.seeds());
            check_complete(&sim, &report, &exp);
            // Every simulated sleep was one of the local timer's.
            let recorded = sim.sleep_stats().snapshot().count;
            assert!(recorded > 0);
            assert_eq!(sleeps.get(), recorded, "{model} at C = {c}");
            let sendable = crawl(&sim, model, c);
            assert_eq!(traces(&report), traces(&sendable), "{model} at C = {c}");
            assert_eq!(
                (
                    report.jobs,
                    report.outcomes.failed,
                    report.outcomes.panicked
                ),
                (
                    sendable.jobs,
                    sendable.outcomes.failed,
                    sendable.outcomes.panicked
                )
            );
        }
    }
}

/// Follows `domain:<n>` to `<n / 2>` and `<n / 3>` (while above 0), sleeping 1 ms on
/// its timer with an `Rc` held across the sleep: neither the plugin nor its calls are
/// `Send`. Records every call.
struct Divide {
    timer: Rc<dyn LocalTimer>,
    calls: Rc<RefCell<Vec<u64>>>,
    in_flight: Rc<Cell<usize>>,
    peak: Rc<Cell<usize>>,
}

fn domain(n: u64) -> Trace {
    Trace::new(TraceKind::Domain, format!("n{n}.example"))
}

fn number(trace: &Trace) -> u64 {
    let value = trace.value();
    value[1..value.len() - ".example".len()].parse().unwrap()
}

impl LocalPlugin for Divide {
    fn name(&self) -> &str {
        "divide"
    }

    fn accepts(&self) -> TraceKind {
        TraceKind::Domain
    }

    fn follow(&self, trace: &Trace) -> LocalBoxFuture<'static, Result<Vec<Trace>, PluginError>> {
        let n = number(trace);
        let sleep = self.timer.sleep(Duration::from_millis(1));
        let (calls, in_flight, peak) = (
            Rc::clone(&self.calls),
            Rc::clone(&self.in_flight),
            Rc::clone(&self.peak),
        );
        async move {
            in_flight.set(in_flight.get() + 1);
            peak.set(peak.get().max(in_flight.get()));
            sleep.await;
            in_flight.set(in_flight.get() - 1);
            calls.borrow_mut().push(n);
            Ok([n / 2, n / 3]
                .into_iter()
                .filter(|&m| m > 0)
                .map(domain)
                .collect())
        }
        .boxed_local()
    }
}

/// Every number reachable from `n` by halving and thirding, `n` included.
fn reachable(n: u64) -> BTreeSet<u64> {
    let mut seen = BTreeSet::from([n]);
    let mut stack = vec![n];
    while let Some(m) = stack.pop() {
        for k in [m / 2, m / 3] {
            if k > 0 && seen.insert(k) {
                stack.push(k);
            }
        }
    }
    seen
}

#[test]
fn local_plugin_crawls_on_a_local_pool_within_the_bound() {
    const C: usize = 3;
    let expected = reachable(1_000);
    for model in Model::ALL {
        let calls = Rc::new(RefCell::new(Vec::new()));
        let peak = Rc::new(Cell::new(0));
        let mut registry = LocalRegistry::new();
        registry.register(Divide {
            timer: Rc::new(RcTimer::default()),
            calls: Rc::clone(&calls),
            in_flight: Rc::default(),
            peak: Rc::clone(&peak),
        });
        let crawler = LocalCrawler::new(registry, local_config(model, C)).unwrap();
        let report = run_local(&crawler, vec![domain(1_000)]);
        check_invariants(&report);
        let found: BTreeSet<u64> = report
            .discovered
            .traces()
            .map(|t| number(&t.to_trace()))
            .collect();
        assert_eq!(found, expected, "{model}");
        // One call per trace, each once.
        let mut called = calls.borrow().clone();
        called.sort_unstable();
        assert_eq!(
            called,
            expected.iter().copied().collect::<Vec<_>>(),
            "{model}"
        );
        assert_eq!(report.jobs, expected.len() as u64);
        assert!(peak.get() > 1, "{model}: calls never overlapped");
        if model == Model::Pool {
            assert!(report.peak_in_flight <= C as u64);
            assert!(peak.get() <= C, "{model}: {} calls at once", peak.get());
        }
    }
}

/// A plugin whose calls never end, holding an `Rc`.
struct Stuck(Rc<()>);

impl LocalPlugin for Stuck {
    fn name(&self) -> &str {
        "stuck"
    }

    fn accepts(&self) -> TraceKind {
        TraceKind::Email
    }

    fn follow(&self, _: &Trace) -> LocalBoxFuture<'static, Result<Vec<Trace>, PluginError>> {
        let held = Rc::clone(&self.0);
        async move {
            future::pending::<()>().await;
            drop(held);
            Ok(Vec::new())
        }
        .boxed_local()
    }
}

/// The timeout of a local crawl is enforced by its local timer, under every model;
/// the calls it drops are dropped (their `Rc`s released).
#[test]
fn local_timer_enforces_the_crawl_timeout() {
    let held = Rc::new(());
    let seeds: Vec<Trace> = (0..7)
        .map(|i| Trace::new(TraceKind::Email, format!("u{i}@example.org")))
        .collect();
    for model in Model::ALL {
        let mut registry = LocalRegistry::new();
        registry.register(Stuck(Rc::clone(&held)));
        let timer = RcTimer::default();
        let sleeps = Rc::clone(&timer.sleeps);
        let config = LocalCrawlConfig {
            timeout: Some(Duration::from_millis(5)),
            timer: Some(Rc::new(timer)),
            ..local_config(model, 2)
        };
        let crawler = LocalCrawler::new(registry, config).unwrap();
        let report = run_local(&crawler, seeds.clone());
        check_invariants(&report);
        assert_eq!((report.jobs, report.outcomes.timed_out), (7, 7), "{model}");
        assert_eq!(report.errors_by_kind["timed_out"], 7);
        assert_eq!(sleeps.get(), 7, "{model}: one deadline per call");
        drop(crawler);
        assert_eq!(
            Rc::strong_count(&held),
            1,
            "{model}: a dropped call kept its Rc"
        );
    }
}

/// Sendable plugins crawl through a `LocalRegistry` made from their `Registry`.
#[test]
fn a_registry_converts_into_a_local_one() {
    let sim = sim(SimConfig {
        traces: 200,
        ..SimConfig::default()
    });
    let exp = expected(&sim);
    let registry = sim.registry(std::sync::Arc::new(crawl_common::Yield(1)));
    let names: Vec<String> = registry.names().map(str::to_owned).collect();
    let local = LocalRegistry::from(registry);
    assert_eq!(local.names().collect::<Vec<_>>(), names);
    let crawler = LocalCrawler::new(local, local_config(Model::Pool, 8)).unwrap();
    check_complete(&sim, &run_local(&crawler, sim.seeds()), &exp);
}

/// A local crawl's canceller is `Send`: another thread cancels a crawl stalled on a
/// local plugin, and the crawl returns what it found.
#[test]
fn another_thread_cancels_a_local_crawl() {
    let mut registry = LocalRegistry::new();
    registry.register(Stuck(Rc::new(())));
    let crawler = LocalCrawler::new(registry, local_config(Model::Pool, 2)).unwrap();
    let canceller = crawler.canceller();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        started_rx.recv().unwrap();
        canceller.cancel();
    });
    let seeds = vec![Trace::new(TraceKind::Email, "a@example.org")];
    let report = LocalPool::new().run_until(crawler.run(seeds, |event| {
        if let CrawlEvent::JobSubmitted { .. } = event {
            let _ = started_tx.send(());
        }
    }));
    thread.join().unwrap();
    check_invariants(&report);
    assert!(report.was_cancelled);
    assert_eq!((report.jobs, report.outcomes.cancelled), (1, 1));
}
