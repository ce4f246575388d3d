//! Cancellation: from the observer, from another thread and before the run; the
//! report keeps what was found, and no call is lost.

mod crawl_common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tracepool::crawl::{Canceller, CrawlReport, Crawler, GaugeReader, Model};
use tracepool::sim::{SimConfig, SimWorkload};
use tracepool::timer::{Sleep, Timer};

use crawl_common::{Event, Stall, Yield, check_invariants, config, expected, sim, traces};

fn big_graph() -> SimWorkload {
    sim(SimConfig {
        seed: 21,
        traces: 800,
        seed_traces: 2,
        fan_out: 2.0,
        failure_prob: 0.05,
        panic_prob: 0.02,
        ..SimConfig::default()
    })
}

/// What every cancelled crawl keeps: its seeds, what it found (all of it real), and
/// an outcome for every call.
fn check_cancelled(sim: &SimWorkload, report: &CrawlReport) {
    let ctx = format!("{} at C = {}", report.model, report.max_concurrency);
    check_invariants(report);
    assert!(report.was_cancelled, "{ctx}");
    assert!(report.discovered.len() >= sim.seeds().len(), "{ctx}");
    for (seed, node) in sim.seeds().iter().zip(&report.discovered) {
        assert_eq!(&node.trace, seed, "{ctx}");
    }
    assert!(traces(report).is_subset(&expected(sim).discovered), "{ctx}");
}

#[test]
fn handles_are_send_and_clone() {
    fn send_sync_clone<T: Send + Sync + Clone + 'static>() {}
    send_sync_clone::<Canceller>();
    send_sync_clone::<GaugeReader>();
}

/// Which events count towards the cancelling one.
type Trigger = fn(&Event) -> bool;

fn is_discovery(event: &Event) -> bool {
    matches!(event, Event::Discovered { .. })
}
fn is_submission(event: &Event) -> bool {
    matches!(event, Event::Submitted { .. })
}
fn is_end(event: &Event) -> bool {
    matches!(event, Event::Finished { .. })
}

#[test]
fn cancel_from_the_observer_keeps_partial_results() {
    let sim = big_graph();
    let reachable = sim.reachable_count();
    let triggers: [(&str, Trigger); 3] = [
        ("discovery", is_discovery),
        ("submission", is_submission),
        ("end of call", is_end),
    ];
    for model in Model::ALL {
        for c in [1, 4, 10] {
            for k in [3, 40] {
                for (what, trigger) in triggers {
                    let crawler =
                        Crawler::new(sim.registry(Arc::new(Yield(1))), config(model, c)).unwrap();
                    let canceller = crawler.canceller();
                    let gauge = crawler.gauge();
                    let mut seen = 0;
                    let mut in_flight_at_cancel = None;
                    let mut events = Vec::new();
                    let report = futures::executor::block_on(crawler.run(sim.seeds(), |event| {
                        let event = Event::from_crawl(event);
                        if trigger(&event) {
                            seen += 1;
                            if seen == k {
                                in_flight_at_cancel = Some(gauge.read().in_flight);
                                canceller.cancel();
                            }
                        }
                        events.push(event);
                    }));
                    let ctx = format!("{model} at C = {c}, cancelled at {what} {k}");
                    check_cancelled(&sim, &report);
                    assert!(report.discovered.len() < reachable, "{ctx}");
                    let in_flight = in_flight_at_cancel.expect("cancelled");
                    if in_flight > 0 {
                        assert!(
                            report.outcomes.cancelled > 0,
                            "{ctx}: {in_flight} in flight"
                        );
                    }
                    // A cancelled crawl stops scheduling: nothing is submitted after the
                    // cancelling event.
                    let cancelled_at = events
                        .iter()
                        .enumerate()
                        .filter(|(_, e)| trigger(e))
                        .nth(k - 1)
                        .map(|(i, _)| i)
                        .unwrap();
                    let late = events[cancelled_at + 1..]
                        .iter()
                        .filter(|e| is_submission(e))
                        .count();
                    assert_eq!(late, 0, "{ctx}: calls submitted after the cancel");
                    let discovered = events.iter().filter(|e| is_discovery(e)).count();
                    assert_eq!(discovered, report.discovered.len(), "{ctx}");
                    if what == "discovery" {
                        assert!(report.discovered.len() >= k, "{ctx}");
                    }
                }
            }
        }
    }
}

/// A [`Stall`] that also counts the sleeps that will never end.
#[derive(Debug)]
struct CountingStall {
    inner: Arc<Stall>,
    stalled: AtomicUsize,
    free: usize,
    made: AtomicUsize,
}

impl Timer for CountingStall {
    fn sleep(&self, duration: std::time::Duration) -> Sleep {
        if self.made.fetch_add(1, Ordering::Relaxed) >= self.free {
            self.stalled.fetch_add(1, Ordering::Relaxed);
        }
        self.inner.sleep(duration)
    }
}

#[test]
fn cancel_from_another_thread_keeps_partial_results() {
    let sim = big_graph();
    for model in Model::ALL {
        for c in [1, 3, 10] {
            let free = 30;
            let timer = Arc::new(CountingStall {
                inner: Stall::new(free),
                stalled: AtomicUsize::new(0),
                free,
                made: AtomicUsize::new(0),
            });
            let crawler = Crawler::new(
                sim.registry(Arc::clone(&timer) as Arc<dyn Timer>),
                config(model, c),
            )
            .unwrap();
            let canceller = crawler.canceller();
            let gauge = crawler.gauge();
            // The crawl cannot end by itself: once the free sleeps are used up, every
            // call that sleeps hangs. Cancel once one does.
            let watcher = std::thread::spawn(move || {
                while timer.stalled.load(Ordering::Relaxed) == 0 {
                    std::thread::yield_now();
                }
                let seen = gauge.read();
                canceller.cancel();
                seen
            });
            let report = futures::executor::block_on(crawler.run(sim.seeds(), |_| {}));
            let seen = watcher.join().unwrap();
            let ctx = format!("{model} at C = {c}");
            check_cancelled(&sim, &report);
            assert!(report.outcomes.cancelled > 0, "{ctx}");
            assert!(report.discovered.len() as u64 >= seen.discovered, "{ctx}");
            assert!(report.jobs >= seen.finished + seen.in_flight, "{ctx}");
            assert!(report.outcomes.completed > 0, "{ctx}");
            let after = crawler.gauge().read();
            assert_eq!(after.in_flight, 0, "{ctx}");
            assert_eq!(after.finished, report.jobs, "{ctx}");
        }
    }
}

#[test]
fn cancel_before_the_run_ends_at_once_with_the_seeds() {
    let sim = big_graph();
    for model in Model::ALL {
        for c in [1, 10] {
            let crawler = Crawler::new(sim.registry(Stall::new(0)), config(model, c)).unwrap();
            crawler.canceller().cancel();
            let mut events = Vec::new();
            let report = futures::executor::block_on(
                crawler.run(sim.seeds(), |event| events.push(Event::from_crawl(event))),
            );
            let ctx = format!("{model} at C = {c}");
            check_cancelled(&sim, &report);
            assert_eq!(traces(&report), sim.seeds().into_iter().collect(), "{ctx}");
            assert_eq!(report.jobs, 0, "{ctx}: calls scheduled after cancel");
            assert_eq!(report.peak_in_flight, 0, "{ctx}");
            assert_eq!(events.len(), sim.seeds().len(), "{ctx}");
        }
    }
}
