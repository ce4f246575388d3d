//! Failures, panics and timeouts: every call ends in exactly one outcome, counted
//! once in the totals, per plugin, by error kind and in the events.

mod crawl_common;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use futures::future::{BoxFuture, FutureExt};
use tracepool::crawl::{CrawlConfig, Crawler, Model};
use tracepool::plugin::{Found, Plugin, PluginError, PluginErrorKind, Registry};
use tracepool::sim::{SimConfig, SimOutcome};
use tracepool::{OutcomeKind, Trace, TraceKind};

use crawl_common::{
    Event, check_complete, check_invariants, config, expected, quiet_simulated_panics, real_timer,
    run_recording, sim, traces,
};

#[test]
fn injected_failures_and_panics_are_counted_once() {
    for (seed, failure_prob, panic_prob) in [(5, 0.15, 0.1), (6, 0.3, 0.0), (8, 0.0, 0.3)] {
        let sim = sim(SimConfig {
            seed,
            traces: 500,
            fan_out: 1.5,
            failure_prob,
            panic_prob,
            ..SimConfig::default()
        });
        let exp = expected(&sim);
        if failure_prob > 0.0 {
            assert!(exp.failed > 0);
        }
        if panic_prob > 0.0 {
            assert!(exp.panicked > 0);
        }
        // Expected calls per plugin: (calls, completed, failed, panicked).
        let mut per_plugin: BTreeMap<&str, (u64, u64, u64, u64)> = BTreeMap::new();
        for ((_, plugin), outcome) in &exp.calls {
            let entry = per_plugin.entry(plugin.as_str()).or_default();
            entry.0 += 1;
            match outcome {
                SimOutcome::Found(_) => entry.1 += 1,
                SimOutcome::Failed(_) => entry.2 += 1,
                SimOutcome::Panicked => entry.3 += 1,
            }
        }
        for model in Model::ALL {
            for c in [1, 5, 32] {
                let crawler = Crawler::new(
                    sim.registry(Arc::new(crawl_common::Yield(1))),
                    config(model, c),
                )
                .unwrap();
                let (report, events) = run_recording(&crawler, sim.seeds());
                check_complete(&sim, &report, &exp);
                for (name, stats) in &report.plugins {
                    let (calls, completed, failed, panicked) =
                        per_plugin.get(name.as_str()).copied().unwrap_or_default();
                    assert_eq!(
                        (
                            stats.calls,
                            stats.outcomes.completed,
                            stats.outcomes.failed,
                            stats.outcomes.panicked
                        ),
                        (calls, completed, failed, panicked),
                        "plugin {name}, {model} at C = {c}"
                    );
                }
                // Each call ends once, in the outcome the graph gives it.
                let mut ended = HashMap::new();
                for event in &events {
                    if let Event::Finished {
                        trace,
                        plugin,
                        outcome,
                        found,
                    } = event
                    {
                        let key = (trace.clone(), plugin.clone());
                        let (kind, expected_found) = match &exp.calls[&key] {
                            SimOutcome::Found(children) => (OutcomeKind::Completed, children.len()),
                            SimOutcome::Failed(_) => (OutcomeKind::Failed, 0),
                            SimOutcome::Panicked => (OutcomeKind::Panicked, 0),
                        };
                        assert_eq!((*outcome, *found), (kind, expected_found), "{key:?}");
                        assert!(ended.insert(key, ()).is_none(), "a call ended twice");
                    }
                }
                assert_eq!(ended.len(), exp.calls.len(), "{model} at C = {c}");
            }
        }
    }
}

/// Whether the test plugin's call on `n` never ends, fails or panics.
fn hangs(n: u64) -> bool {
    n % 4 == 3
}
fn fails(n: u64) -> bool {
    !hangs(n) && n % 5 == 4
}
fn panics(n: u64) -> bool {
    !hangs(n) && !fails(n) && n % 7 == 6
}

/// `username:n` finds `username:3n+1 ..= 3n+3` below a bound, and `username:0` again,
/// unless it hangs forever, fails or panics (by `n`). With `now`, it answers every
/// call that does not hang at once ([`Plugin::follow_now`]), panics included.
struct Tree {
    bound: u64,
    now: bool,
}

impl Tree {
    fn children(&self, n: u64) -> Vec<u64> {
        (3 * n + 1..=3 * n + 3)
            .filter(|&c| c < self.bound)
            .chain([0])
            .collect()
    }

    /// The result of a call on `n` that does not hang, its traces written into
    /// `found`.
    fn answer(n: u64, children: Vec<u64>, found: &mut Found) -> Result<(), PluginError> {
        if fails(n) {
            return Err(PluginError::new(PluginErrorKind::Http(503), "unavailable"));
        }
        if panics(n) {
            panic!("simulated panic in tree on {n}");
        }
        for c in children {
            found.push(TraceKind::Username, &c.to_string());
        }
        Ok(())
    }
}

impl Plugin for Tree {
    fn name(&self) -> &str {
        "tree"
    }

    fn accepts(&self) -> TraceKind {
        TraceKind::Username
    }

    fn follow(&self, trace: &Trace) -> BoxFuture<'static, Result<Vec<Trace>, PluginError>> {
        let n: u64 = trace.value().parse().expect("a tree index");
        if hangs(n) {
            return futures::future::pending().boxed();
        }
        let children = self.children(n);
        async move {
            let mut found = Found::new();
            Tree::answer(n, children, &mut found).map(|()| found.into_vec())
        }
        .boxed()
    }

    fn follow_now(&self, trace: &Trace, found: &mut Found) -> Option<Result<(), PluginError>> {
        let n: u64 = trace.value().parse().expect("a tree index");
        (self.now && !hangs(n)).then(|| Tree::answer(n, self.children(n), found))
    }
}

#[test]
fn timeouts_are_counted_once_under_every_model() {
    // Calls answered at once end as the same calls' futures do, panics included.
    for now in [false, true] {
        timeouts_are_counted_once(now);
    }
}

fn timeouts_are_counted_once(now: bool) {
    quiet_simulated_panics();
    let tree = Tree { bound: 150, now };
    // The expected crawl: hanging, failing and panicking calls find nothing.
    let mut seen = BTreeSet::from([0_u64]);
    let mut frontier = VecDeque::from([0_u64]);
    let (mut hung, mut failed, mut panicked, mut duplicates) = (0, 0, 0, 0);
    while let Some(n) = frontier.pop_front() {
        if hangs(n) {
            hung += 1;
        } else if fails(n) {
            failed += 1;
        } else if panics(n) {
            panicked += 1;
        } else {
            for c in tree.children(n) {
                if seen.insert(c) {
                    frontier.push_back(c);
                } else {
                    duplicates += 1;
                }
            }
        }
    }
    assert!(hung > 0 && failed > 0 && panicked > 0);
    let mut registry = Registry::new();
    registry.register(tree);
    let registry = Arc::new(registry);
    for model in Model::ALL {
        for c in [1, 4, 16] {
            let crawler = Crawler::new(
                Arc::clone(&registry),
                CrawlConfig {
                    timeout: Some(Duration::from_millis(5)),
                    timer: Some(real_timer()),
                    ..config(model, c)
                },
            )
            .unwrap();
            let seed = Trace::new(TraceKind::Username, "0");
            let mut events = Vec::new();
            let report = async_io::block_on(
                crawler.run([seed], |event| events.push(Event::from_crawl(event))),
            );
            let ctx = format!("{model} at C = {c}, answered at once: {now}");
            check_invariants(&report);
            assert_eq!(report.discovered.len(), seen.len(), "{ctx}");
            assert_eq!(report.jobs, seen.len() as u64, "{ctx}");
            assert_eq!(report.outcomes.timed_out, hung, "{ctx}");
            assert_eq!(report.outcomes.failed, failed, "{ctx}");
            assert_eq!(report.outcomes.panicked, panicked, "{ctx}");
            assert_eq!(
                report.outcomes.completed,
                report.jobs - hung - failed - panicked
            );
            assert_eq!(report.outcomes.cancelled, 0, "{ctx}");
            assert_eq!(report.duplicates, duplicates, "{ctx}");
            assert_eq!(report.errors_by_kind.get("timed_out"), Some(&hung), "{ctx}");
            assert_eq!(report.errors_by_kind.get("http_503"), Some(&failed));
            assert_eq!(report.errors_by_kind.get("panicked"), Some(&panicked));
            assert_eq!(report.plugins["tree"].outcomes.timed_out, hung, "{ctx}");
            let timed_out: Vec<u64> = events
                .iter()
                .filter_map(|e| match e {
                    Event::Finished {
                        trace,
                        outcome: OutcomeKind::TimedOut,
                        ..
                    } => Some(trace.value().parse().unwrap()),
                    _ => None,
                })
                .collect();
            assert_eq!(timed_out.len() as u64, hung, "{ctx}");
            assert!(timed_out.iter().all(|&n| hangs(n)), "{ctx}");
            let found: BTreeSet<u64> = traces(&report)
                .iter()
                .map(|t| t.value().parse().unwrap())
                .collect();
            assert_eq!(found, seen, "{ctx}");
        }
    }
}

/// `username:n` finds `username:n+1` below 10.
struct Step;

impl Plugin for Step {
    fn name(&self) -> &str {
        "step"
    }

    fn accepts(&self) -> TraceKind {
        TraceKind::Username
    }

    fn follow(&self, trace: &Trace) -> BoxFuture<'static, Result<Vec<Trace>, PluginError>> {
        let n: u64 = trace.value().parse().expect("a number");
        let found = (n + 1 < 10).then(|| Trace::new(TraceKind::Username, (n + 1).to_string()));
        futures::future::ready(Ok(found.into_iter().collect())).boxed()
    }
}

/// Returns a trace of its own, then panics in its `Drop`: a cleanup that fails.
struct PanicsWhenDropped;

/// The future of [`PanicsWhenDropped`].
struct EndsThenPanics(Option<Trace>);

impl std::future::Future for EndsThenPanics {
    type Output = Result<Vec<Trace>, PluginError>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::task::Poll::Ready(Ok(self.0.take().into_iter().collect()))
    }
}

impl Drop for EndsThenPanics {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("simulated panic in the drop of an ended call");
        }
    }
}

impl Plugin for PanicsWhenDropped {
    fn name(&self) -> &str {
        "panics_when_dropped"
    }

    fn accepts(&self) -> TraceKind {
        TraceKind::Username
    }

    fn follow(&self, trace: &Trace) -> BoxFuture<'static, Result<Vec<Trace>, PluginError>> {
        let found = Trace::new(TraceKind::Email, format!("{}@example.org", trace.value()));
        EndsThenPanics(Some(found)).boxed()
    }
}

#[test]
fn a_panic_in_the_drop_of_an_ended_call_is_its_outcome() {
    quiet_simulated_panics();
    let mut registry = Registry::new();
    registry.register(Step);
    registry.register(PanicsWhenDropped);
    let registry = Arc::new(registry);
    for model in Model::ALL {
        for c in [1, 4] {
            let ctx = format!("{model} at C = {c}");
            let crawler = Crawler::new(Arc::clone(&registry), config(model, c)).unwrap();
            let seed = Trace::new(TraceKind::Username, "0");
            let report = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                futures::executor::block_on(crawler.run([seed], |_| {}))
            }))
            .unwrap_or_else(|_| panic!("{ctx}: a panic in a plugin future's drop escaped"));
            check_invariants(&report);
            // The panicking calls' results are not followed: ten usernames, no email.
            assert_eq!(report.discovered.len(), 10, "{ctx}");
            assert_eq!(report.plugins["step"].outcomes.completed, 10, "{ctx}");
            assert_eq!(
                report.plugins["panics_when_dropped"].outcomes.panicked, 10,
                "{ctx}"
            );
            assert_eq!(report.outcomes.panicked, 10, "{ctx}");
        }
    }
}
