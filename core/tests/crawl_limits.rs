//! Depth and trace limits, the events an observer sees, the dedup key, the
//! configuration errors and the longest timeouts.

mod crawl_common;

use std::collections::{BTreeSet, HashSet};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use futures::future::{BoxFuture, FutureExt};
use tracepool::crawl::{CrawlConfig, Crawler, LocalCrawlConfig, LocalCrawler, Model};
use tracepool::plugin::{Plugin, PluginError, Registry};
use tracepool::sim::{SimConfig, SimOutcome, SimWorkload};
use tracepool::timer::{LocalTimer, Sleep, Timer};
use tracepool::{OutcomeKind, Trace, TraceKind};

use crawl_common::{
    Event, Yield, check_complete, check_invariants, config, expected, real_timer, run_recording,
    sim, traces,
};

fn graph() -> SimWorkload {
    sim(SimConfig {
        seed: 17,
        traces: 600,
        seed_traces: 2,
        fan_out: 1.5,
        failure_prob: 0.1,
        panic_prob: 0.05,
        ..SimConfig::default()
    })
}

fn limited(sim: &SimWorkload, model: Model, c: usize, limits: CrawlConfig) -> Crawler {
    Crawler::new(
        sim.registry(Arc::new(Yield(1))),
        CrawlConfig {
            model,
            max_concurrency: c,
            ..limits
        },
    )
    .unwrap()
}

#[test]
fn depth_zero_records_only_the_seeds() {
    let sim = graph();
    for model in Model::ALL {
        for c in [1, 10] {
            let limits = CrawlConfig {
                max_depth: Some(0),
                ..CrawlConfig::default()
            };
            let (report, events) = run_recording(&limited(&sim, model, c, limits), sim.seeds());
            check_invariants(&report);
            assert_eq!(traces(&report), sim.seeds().into_iter().collect());
            assert_eq!(report.jobs, 0, "{model}");
            assert_eq!(report.peak_in_flight, 0, "{model}");
            assert_eq!(events.len(), sim.seeds().len(), "{model}");
        }
    }
}

#[test]
fn depth_one_follows_only_the_seeds() {
    let sim = graph();
    // Depth 1: what the seeds' successful calls return, besides the seeds.
    let seeds: BTreeSet<Trace> = sim.seeds().into_iter().collect();
    let mut depth_one = BTreeSet::new();
    let mut seed_calls = 0;
    for node in sim.seed_nodes() {
        for plugin in 0..sim.plugin_count(node) {
            seed_calls += 1;
            if let SimOutcome::Found(children) = sim.call(node, plugin).unwrap().outcome {
                depth_one.extend(
                    children
                        .into_iter()
                        .map(|c| sim.trace_of(c))
                        .filter(|t| !seeds.contains(t)),
                );
            }
        }
    }
    assert!(!depth_one.is_empty());
    for model in Model::ALL {
        for c in [1, 3, 10] {
            let limits = CrawlConfig {
                max_depth: Some(1),
                ..CrawlConfig::default()
            };
            let (report, events) = run_recording(&limited(&sim, model, c, limits), sim.seeds());
            check_invariants(&report);
            assert!(report.discovered.iter().all(|d| d.depth <= 1), "{model}");
            let found: BTreeSet<Trace> = report
                .discovered
                .iter()
                .filter(|d| d.depth == 1)
                .map(|d| d.trace.to_trace())
                .collect();
            assert_eq!(found, depth_one, "{model} at C = {c}");
            assert_eq!(report.jobs, seed_calls, "{model} at C = {c}");
            for event in &events {
                if let Event::Submitted { trace, .. } = event {
                    assert!(seeds.contains(trace), "{trace} at depth 1 was followed");
                }
            }
        }
    }
}

#[test]
fn trace_limit_records_exactly_that_many() {
    let sim = graph();
    let reachable = sim.reachable_count();
    let all = expected(&sim).discovered;
    for k in [1, 2, 5, 60, reachable - 1] {
        assert!(reachable > k);
        for model in Model::ALL {
            for c in [1, 10] {
                let limits = CrawlConfig {
                    max_traces: Some(k),
                    ..CrawlConfig::default()
                };
                let (report, events) = run_recording(&limited(&sim, model, c, limits), sim.seeds());
                let ctx = format!("{model} at C = {c}, max_traces = {k}");
                check_invariants(&report);
                assert_eq!(report.discovered.len(), k, "{ctx}");
                assert!(report.skipped > 0, "{ctx}");
                assert!(traces(&report).is_subset(&all), "{ctx}");
                let discovered = events
                    .iter()
                    .filter(|e| matches!(e, Event::Discovered { .. }))
                    .count();
                assert_eq!(discovered, k, "{ctx}");
            }
        }
    }
    // A limit at or above what is reachable changes nothing.
    let exp = expected(&sim);
    for k in [reachable, reachable + 1] {
        let limits = CrawlConfig {
            max_traces: Some(k),
            ..CrawlConfig::default()
        };
        let crawler = limited(&sim, Model::Pool, 4, limits);
        let report = futures::executor::block_on(crawler.run(sim.seeds(), |_| {}));
        check_complete(&sim, &report, &exp);
    }
}

#[test]
fn events_match_the_report() {
    let sim = graph();
    let exp = expected(&sim);
    for model in Model::ALL {
        for c in [1, 4, 50] {
            let crawler = limited(&sim, model, c, CrawlConfig::default());
            let (report, events) = run_recording(&crawler, sim.seeds());
            let ctx = format!("{model} at C = {c}");
            check_complete(&sim, &report, &exp);

            let count = |f: fn(&Event) -> bool| events.iter().filter(|e| f(e)).count() as u64;
            assert_eq!(count(|e| matches!(e, Event::Submitted { .. })), report.jobs);
            assert_eq!(
                count(|e| matches!(e, Event::Finished { .. })),
                report.outcomes.finished()
            );
            assert_eq!(
                count(|e| matches!(e, Event::Duplicate { .. })),
                report.duplicates
            );

            // One discovery event per recorded trace, in the report's order, with the
            // same parent, plugin and depth.
            let discoveries: Vec<&Event> = events
                .iter()
                .filter(|e| matches!(e, Event::Discovered { .. }))
                .collect();
            assert_eq!(discoveries.len(), report.discovered.len(), "{ctx}");
            for (event, node) in discoveries.iter().zip(&report.discovered) {
                let Event::Discovered {
                    trace,
                    parent,
                    plugin,
                    depth,
                } = event
                else {
                    unreachable!()
                };
                assert_eq!(node.trace, *trace, "{ctx}");
                assert_eq!(*depth, node.depth, "{ctx}");
                assert_eq!(
                    parent.clone(),
                    node.parent
                        .map(|p| report.discovered.get(p).unwrap().trace.to_trace()),
                    "{ctx}"
                );
                assert_eq!(
                    plugin.as_deref(),
                    node.plugin.map(|p| report.plugin_names[p].as_str()),
                    "{ctx}"
                );
            }

            // Order: a call is submitted once, after its trace is discovered, and ends
            // once, after it was submitted; what it found (new or duplicate) is
            // reported right after it ends, before any other call ends.
            let mut known = HashSet::new();
            let mut submitted = HashSet::new();
            let mut started = HashSet::new();
            let mut finished = HashSet::new();
            let mut last_finished: Option<(Trace, String)> = None;
            for event in &events {
                match event {
                    Event::Discovered {
                        trace,
                        parent,
                        plugin,
                        ..
                    } => {
                        if let (Some(parent), Some(plugin)) = (parent, plugin) {
                            assert_eq!(
                                last_finished.as_ref(),
                                Some(&(parent.clone(), plugin.clone())),
                                "{ctx}: {trace} credited to a call that did not just end"
                            );
                        }
                        assert!(known.insert(trace.clone()), "{ctx}");
                    }
                    Event::Duplicate { trace, plugin } => {
                        assert!(known.contains(trace), "{ctx}");
                        assert_eq!(
                            last_finished.as_ref().map(|(_, p)| p),
                            Some(plugin),
                            "{ctx}"
                        );
                    }
                    Event::Submitted { trace, plugin } => {
                        assert!(known.contains(trace), "{ctx}");
                        assert!(submitted.insert((trace.clone(), plugin.clone())), "{ctx}");
                    }
                    Event::Started { trace, plugin } => {
                        let key = (trace.clone(), plugin.clone());
                        assert!(submitted.contains(&key), "{ctx}: started before submitted");
                        assert!(!finished.contains(&key), "{ctx}: started after finished");
                        assert!(started.insert(key), "{ctx}: started twice");
                    }
                    Event::Finished {
                        trace,
                        plugin,
                        outcome,
                        ..
                    } => {
                        let key = (trace.clone(), plugin.clone());
                        assert!(submitted.contains(&key), "{ctx}");
                        if *outcome != OutcomeKind::Cancelled {
                            assert!(started.contains(&key), "{ctx}: finished without start");
                        }
                        assert!(finished.insert(key.clone()), "{ctx}");
                        last_finished = Some(key);
                    }
                }
            }
            assert_eq!(finished, submitted, "{ctx}");
        }
    }
}

/// A `name` finds a username and an email with the same value, and the username
/// twice.
struct SameValue;

impl Plugin for SameValue {
    fn name(&self) -> &str {
        "same-value"
    }

    fn accepts(&self) -> TraceKind {
        TraceKind::Name
    }

    fn follow(&self, trace: &Trace) -> BoxFuture<'static, Result<Vec<Trace>, PluginError>> {
        let value = trace.value().to_owned();
        futures::future::ready(Ok(vec![
            Trace::new(TraceKind::Username, value.clone()),
            Trace::new(TraceKind::Email, value.clone()),
            Trace::new(TraceKind::Username, value),
        ]))
        .boxed()
    }
}

#[test]
fn dedup_key_is_kind_and_value() {
    let mut registry = Registry::new();
    registry.register(SameValue);
    let registry = Arc::new(registry);
    for model in Model::ALL {
        let crawler = Crawler::new(Arc::clone(&registry), config(model, 2)).unwrap();
        let seeds = [
            Trace::new(TraceKind::Name, "x"),
            // A seed repeated is recorded once and is no duplicate result.
            Trace::new(TraceKind::Name, "x"),
        ];
        let (report, _) = run_recording(&crawler, seeds.to_vec());
        check_invariants(&report);
        let expected: BTreeSet<Trace> = [
            Trace::new(TraceKind::Name, "x"),
            Trace::new(TraceKind::Username, "x"),
            Trace::new(TraceKind::Email, "x"),
        ]
        .into_iter()
        .collect();
        assert_eq!(traces(&report), expected, "{model}");
        assert_eq!(report.discovered.len(), 3, "{model}");
        assert_eq!(report.duplicates, 1, "{model}");
        assert_eq!(report.jobs, 1, "{model}");
    }
}

#[test]
fn invalid_configs_name_their_field() {
    let registry = Arc::new(Registry::new());
    let cases: [(&str, CrawlConfig); 5] = [
        (
            "max_concurrency",
            CrawlConfig {
                max_concurrency: 0,
                ..CrawlConfig::default()
            },
        ),
        (
            "timeout",
            CrawlConfig {
                timeout: Some(Duration::ZERO),
                timer: Some(real_timer()),
                ..CrawlConfig::default()
            },
        ),
        (
            "timeout",
            CrawlConfig {
                timeout: Some(Duration::ZERO),
                ..CrawlConfig::default()
            },
        ),
        (
            "timer",
            CrawlConfig {
                timeout: Some(Duration::from_millis(5)),
                ..CrawlConfig::default()
            },
        ),
        (
            "max_traces",
            CrawlConfig {
                max_traces: Some(0),
                ..CrawlConfig::default()
            },
        ),
    ];
    for (field, bad) in cases {
        for model in Model::ALL {
            let bad = CrawlConfig {
                model,
                ..bad.clone()
            };
            assert_eq!(bad.validate().unwrap_err().field(), field);
            let error = Crawler::new(Arc::clone(&registry), bad).unwrap_err();
            assert_eq!(error.field(), field, "{model}");
            assert!(error.to_string().contains(field), "{error}");
            assert!(error.to_string().contains(error.accepted()), "{error}");
        }
    }
    // The edges of the accepted ranges are fine.
    let ok = CrawlConfig {
        max_concurrency: 1,
        timeout: Some(Duration::from_nanos(1)),
        timer: Some(real_timer()),
        max_depth: Some(0),
        max_traces: Some(1),
        ..CrawlConfig::default()
    };
    assert!(Crawler::new(registry, ok).is_ok());
    // A timer without a timeout is accepted (and unused).
    let timer_only = CrawlConfig {
        timer: Some(real_timer()),
        ..CrawlConfig::default()
    };
    let crawler = Crawler::new(Arc::new(Registry::new()), timer_only).unwrap();
    let seed = Trace::new(TraceKind::Phone, "+1 555 0100");
    let report = futures::executor::block_on(crawler.run([seed], |_| {}));
    assert_eq!(report.discovered.len(), 1);
    assert_eq!(report.jobs, 0);
}

/// A timeout timer that takes its deadline as `Instant::now() + duration`, as a naive
/// timer does (it panics past the clock's range), and never fires.
#[derive(Debug)]
struct NaiveDeadline;

impl Timer for NaiveDeadline {
    fn sleep(&self, duration: Duration) -> Sleep {
        let _deadline = std::time::Instant::now() + duration;
        Box::pin(futures::future::pending())
    }
}

/// Timeouts so long that a deadline would fall past the clock's range.
const ENDLESS: [Duration; 3] = [
    Duration::MAX,
    Duration::from_secs(u64::MAX / 2),
    Duration::from_secs(u64::MAX / 4),
];

#[test]
fn a_timeout_past_the_clock_range_is_no_timeout() {
    let sim = graph();
    let exp = expected(&sim);
    for timeout in ENDLESS {
        for model in Model::ALL {
            for c in [1, 4] {
                let crawler = Crawler::new(
                    sim.registry(Arc::new(Yield(1))),
                    CrawlConfig {
                        timeout: Some(timeout),
                        timer: Some(Arc::new(NaiveDeadline)),
                        ..config(model, c)
                    },
                )
                .unwrap();
                let report = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    futures::executor::block_on(crawler.run(sim.seeds(), |_| {}))
                }))
                .unwrap_or_else(|_| panic!("{model} at C = {c}: timeout {timeout:?} panicked"));
                check_complete(&sim, &report, &exp);
            }
        }
    }
    // The local crawler shares the engine, and its timeouts.
    for model in Model::ALL {
        let config = LocalCrawlConfig {
            timeout: Some(Duration::MAX),
            timer: Some(Rc::new(NaiveDeadline) as Rc<dyn LocalTimer>),
            model,
            max_concurrency: 4,
            ..LocalCrawlConfig::default()
        };
        let crawler = LocalCrawler::new(sim.local_registry(Rc::new(Yield(1))), config).unwrap();
        let report = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            futures::executor::LocalPool::new().run_until(crawler.run(sim.seeds(), |_| {}))
        }))
        .unwrap_or_else(|_| panic!("local {model}: a timeout of Duration::MAX panicked"));
        check_complete(&sim, &report, &exp);
    }
}

/// The crate's own timers, with real (short) sleeps.
#[cfg(feature = "async-io")]
#[test]
fn the_crate_timers_take_a_timeout_past_the_clock_range() {
    use tracepool::timer::{AsyncIoTimer, FinishingTimer};

    let sim = sim(SimConfig {
        traces: 120,
        latency_mean: Duration::from_micros(200),
        latency_p99: Duration::from_millis(1),
        ..SimConfig::default()
    });
    let exp = expected(&sim);
    let timers: [Arc<dyn Timer>; 2] = [Arc::new(AsyncIoTimer), Arc::new(FinishingTimer::new())];
    for timer in timers {
        for model in Model::ALL {
            let crawler = Crawler::new(
                sim.registry(Arc::clone(&timer)),
                CrawlConfig {
                    timeout: Some(Duration::MAX),
                    timer: Some(Arc::clone(&timer)),
                    ..config(model, 4)
                },
            )
            .unwrap();
            let report = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                async_io::block_on(crawler.run(sim.seeds(), |_| {}))
            }))
            .unwrap_or_else(|_| {
                panic!("{model} with {timer:?}: a timeout of Duration::MAX panicked")
            });
            check_complete(&sim, &report, &exp);
        }
    }
}

#[test]
fn the_largest_concurrency_is_accepted() {
    let sim = graph();
    let exp = expected(&sim);
    for model in Model::ALL {
        let crawler =
            Crawler::new(sim.registry(Arc::new(Yield(1))), config(model, usize::MAX)).unwrap();
        let report = futures::executor::block_on(crawler.run(sim.seeds(), |_| {}));
        check_complete(&sim, &report, &exp);
        let ideal = tracepool::crawl::ideal::simulate(
            &sim,
            model,
            usize::MAX,
            &tracepool::crawl::ideal::IdealLimits::default(),
        );
        assert_eq!(ideal.discovered, report.discovered.len(), "{model}");
    }
}

/// Two runs of one crawler at once, interleaved on one thread: each reports the start
/// of its own calls only, each before the call's end, and each finds the whole graph.
#[test]
fn two_runs_of_one_crawler_at_once_report_their_own_starts() {
    let sim = graph();
    let exp = expected(&sim);
    for model in Model::ALL {
        for c in [1, 3, 8] {
            let crawler = limited(&sim, model, c, CrawlConfig::default());
            let (mut first, mut second) = (Vec::new(), Vec::new());
            let (a, b) = futures::executor::block_on(futures::future::join(
                crawler.run(sim.seeds(), |e| first.push(Event::from_crawl(e))),
                crawler.run(sim.seeds(), |e| second.push(Event::from_crawl(e))),
            ));
            for (report, events) in [(a, first), (b, second)] {
                let ctx = format!("{model} at C = {c}");
                check_complete(&sim, &report, &exp);
                let mut submitted = HashSet::new();
                let mut started = HashSet::new();
                for event in &events {
                    match event {
                        Event::Submitted { trace, plugin } => {
                            submitted.insert((trace.clone(), plugin.clone()));
                        }
                        Event::Started { trace, plugin } => {
                            let key = (trace.clone(), plugin.clone());
                            assert!(submitted.contains(&key), "{ctx}: {key:?} not submitted");
                            assert!(started.insert(key), "{ctx}: started twice");
                        }
                        Event::Finished { trace, plugin, .. } => {
                            let key = (trace.clone(), plugin.clone());
                            assert!(started.contains(&key), "{ctx}: {key:?} finished unstarted");
                        }
                        _ => {}
                    }
                }
                assert_eq!(started, submitted, "{ctx}");
            }
        }
    }
}
