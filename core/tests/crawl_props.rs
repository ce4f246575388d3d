//! Property tests: on random small graphs with injected failures (up to half the
//! calls), panics, timeouts and cancellation points (a cancel, or the crawl's future
//! dropped), every model accounts for every call, ends each call as the graph says,
//! finds exactly the traces it should (all of them when not stopped), never leaves
//! its task without a wake-up while calls are ready, and the pool never runs more than
//! C calls at once.
//!
//! Time is virtual (see [`Steps`]): whether a call times out follows from its latency,
//! never from the machine's speed. 48 cases per property, or `PROPTEST_CASES`
//! (`scripts/soak` runs 10,000).

mod crawl_common;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::task::ArcWake;

use proptest::prelude::*;
use tracepool::OutcomeKind;
use tracepool::crawl::{CrawlConfig, CrawlEvent, Crawler, Model};
use tracepool::sim::SimConfig;
use tracepool::timer::Timer;

use crawl_common::{
    Deadline, MAX_PLUGINS_PER_KIND, Steps, check_complete, check_invariants, config, expected_kind,
    expected_with_timeout, proptest_cases, sim, traces,
};

fn sim_config() -> impl Strategy<Value = SimConfig> {
    (
        (any::<u64>(), 1_usize..400, 1_usize..4),
        (0.5_f64..3.0, 0.0_f64..2.0),
        (0.0_f64..=0.5, 0.0_f64..0.3),
        // Mean latency in microseconds (0: no call sleeps), and p99 / mean.
        (0_u64..=4_000, 1.0_f64..14.0),
    )
        .prop_map(
            |(
                (seed, traces, seed_traces),
                (fan_out, duplicate_edges),
                (failure_prob, panic_prob),
                (mean_us, p99_ratio),
            )| {
                let latency_mean = Duration::from_micros(mean_us);
                SimConfig {
                    seed,
                    traces,
                    seed_traces: seed_traces.min(traces),
                    fan_out,
                    duplicate_edges,
                    failure_prob,
                    panic_prob,
                    latency_mean,
                    latency_p99: latency_mean.mul_f64(p99_ratio),
                    ..SimConfig::default()
                }
            },
        )
}

/// How a crawl is stopped early: cancelled by its observer, or its future dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Cancel,
    Drop,
}

/// One crawl: the graph, the model and `C`, a timeout (in whole milliseconds of
/// virtual time), and the event at which the crawl is stopped (if it gets that far).
#[derive(Debug, Clone)]
struct Case {
    sim: SimConfig,
    model: Model,
    c: usize,
    timeout_ms: Option<u64>,
    stop: Option<(Stop, usize)>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        sim_config(),
        prop::sample::select(Model::ALL.to_vec()),
        1_usize..=16,
        prop::option::of(1_u64..=12),
        prop::option::of((
            prop::sample::select(vec![Stop::Cancel, Stop::Drop]),
            1_usize..=1_500,
        )),
    )
        .prop_map(|(sim, model, c, timeout_ms, stop)| Case {
            sim,
            model,
            c,
            timeout_ms,
            stop,
        })
}

/// Records whether it was woken.
#[derive(Default)]
struct Woken(AtomicBool);

impl ArcWake for Woken {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.0.store(true, Ordering::Relaxed);
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: proptest_cases(48),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_call_ends_as_the_graph_says_under_every_model(case in case()) {
        let sim = sim(case.sim.clone());
        let timeout = case.timeout_ms.map(Duration::from_millis);
        let exp = expected_with_timeout(&sim, timeout);
        let timer = timeout.map(|_| Arc::new(Deadline) as Arc<dyn Timer>);
        let crawler = Crawler::new(
            sim.registry(Arc::new(Steps)),
            CrawlConfig { timeout, timer, ..config(case.model, case.c) },
        )
        .unwrap();
        let canceller = crawler.canceller();
        let gauge = crawler.gauge();
        let events = Cell::new(0);
        let in_flight_at_cancel = Cell::new(None);
        let late_submissions = Cell::new(0);
        let ended = RefCell::new(Vec::new());
        let mut run = Box::pin(crawler.run(sim.seeds(), |event| {
            events.set(events.get() + 1);
            match *event {
                CrawlEvent::JobSubmitted { .. } if in_flight_at_cancel.get().is_some() => {
                    late_submissions.set(late_submissions.get() + 1);
                }
                CrawlEvent::JobFinished { trace, plugin, outcome, .. } => {
                    ended.borrow_mut().push((trace.clone(), plugin.to_owned(), outcome));
                }
                _ => {}
            }
            if case.stop == Some((Stop::Cancel, events.get())) {
                in_flight_at_cancel.set(Some(gauge.read().in_flight));
                canceller.cancel();
            }
        }));
        // Polled by hand: every sleep here wakes its task at once, so a crawl that is
        // not done must have been woken before it returns `Pending` (or it would hang
        // on a real executor).
        let woken = Arc::new(Woken::default());
        let waker = futures::task::waker(Arc::clone(&woken));
        let mut cx = Context::from_waker(&waker);
        let report = loop {
            woken.0.store(false, Ordering::Relaxed);
            if let Poll::Ready(report) = run.as_mut().poll(&mut cx) {
                break Some(report);
            }
            prop_assert!(woken.0.load(Ordering::Relaxed), "pending without a wake-up");
            if matches!(case.stop, Some((Stop::Drop, at)) if events.get() >= at) {
                break None;
            }
        };
        let Some(report) = report else {
            // Dropped mid-crawl: nothing escapes, nothing is left in flight or queued.
            prop_assert!(catch_unwind(AssertUnwindSafe(move || drop(run))).is_ok());
            let after = gauge.read();
            prop_assert_eq!(after.in_flight, 0);
            prop_assert_eq!(after.queued, 0);
            prop_assert!(after.discovered as usize <= exp.discovered.len());
            return Ok(());
        };
        drop(run);
        let ended = ended.into_inner();
        // Lost == 0, the counters adding up, the discovery graph a forest of the seeds,
        // and for the pool a peak of at most C.
        check_invariants(&report);
        // Every call that was not cancelled ends as the graph (and the timeout) says.
        for (trace, plugin, outcome) in &ended {
            if *outcome != OutcomeKind::Cancelled {
                let call = sim.call_trace(trace, plugin).expect("a call of the graph");
                prop_assert_eq!(*outcome, expected_kind(&call, timeout), "{} {}", plugin, trace);
            }
        }
        prop_assert_eq!(ended.len() as u64, report.jobs);
        match in_flight_at_cancel.get() {
            Some(in_flight) => {
                prop_assert!(report.was_cancelled);
                prop_assert_eq!(late_submissions.get(), 0, "calls submitted after the cancel");
                if in_flight > 0 {
                    prop_assert!(report.outcomes.cancelled > 0, "{} in flight at the cancel", in_flight);
                }
                prop_assert!(traces(&report).is_subset(&exp.discovered));
                prop_assert!(report.jobs <= exp.jobs);
            }
            None => {
                // Discovered == reachable through calls that neither fail, panic nor time
                // out; the same calls and outcomes as the graph.
                check_complete(&sim, &report, &exp);
                prop_assert_eq!(report.lost, 0);
                prop_assert_eq!(report.outcomes.finished(), report.jobs);
            }
        }
        let c = case.c as u64;
        match case.model {
            Model::Pool => prop_assert!(report.peak_in_flight <= c),
            Model::Previous => {
                prop_assert!(report.peak_in_flight <= c * MAX_PLUGINS_PER_KIND.min(c));
            }
            Model::Unbounded => {}
        }
    }
}
