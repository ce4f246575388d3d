//! The three models crawl the same graph and find the same traces.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tracepool::Trace;
use tracepool::crawl::{CrawlConfig, Crawler, Model};
use tracepool::sim::{SimConfig, SimWorkload};
use tracepool::timer::{Sleep, Timer};

/// Lets every simulated latency pass at once, but only after yielding once, so calls
/// really are concurrent.
#[derive(Debug)]
struct Yield;

impl Timer for Yield {
    fn sleep(&self, _: Duration) -> Sleep {
        let mut yielded = false;
        Box::pin(std::future::poll_fn(move |cx| {
            if yielded {
                std::task::Poll::Ready(())
            } else {
                yielded = true;
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            }
        }))
    }
}

fn crawl(sim: &SimWorkload, model: Model, c: usize) -> tracepool::crawl::CrawlReport {
    let crawler = Crawler::new(
        sim.registry(Arc::new(Yield)),
        CrawlConfig {
            model,
            max_concurrency: c,
            ..CrawlConfig::default()
        },
    )
    .unwrap();
    futures::executor::block_on(crawler.run(sim.seeds(), |_| {}))
}

fn traces(report: &tracepool::crawl::CrawlReport) -> BTreeSet<Trace> {
    report.discovered.iter().map(|d| d.trace.clone()).collect()
}

#[test]
fn same_discovered_set_under_every_model() {
    let sim = SimWorkload::new(SimConfig {
        traces: 600,
        failure_prob: 0.1,
        panic_prob: 0.02,
        ..SimConfig::default()
    })
    .unwrap();
    let expected = sim.reachable_count();
    for c in [1, 3, 10, 100] {
        let reports: Vec<_> = Model::ALL.iter().map(|&m| crawl(&sim, m, c)).collect();
        let first = traces(&reports[0]);
        assert_eq!(first.len(), expected, "C = {c}");
        for report in &reports {
            assert_eq!(traces(report), first, "{} at C = {c}", report.model);
            assert_eq!(report.lost, 0);
            assert_eq!(report.finished(), report.jobs);
            assert_eq!(report.jobs, reports[0].jobs, "{} at C = {c}", report.model);
            assert_eq!(report.failed, reports[0].failed);
            assert_eq!(report.panicked, reports[0].panicked);
        }
        assert!(reports[0].peak_in_flight <= c as u64);
    }
}
