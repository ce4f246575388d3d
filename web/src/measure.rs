//! A browser run's record, in the schema the native runner writes.
//!
//! The crawl engine's report gives the counts, the peak in flight and the latencies;
//! the page gives the wall time and, in Chromium, the memory. What a page cannot
//! measure (CPU use, OS threads, resident memory elsewhere) is recorded as 0, the
//! record's "unavailable", and shown as "n/a".

use std::time::Duration;

use tracepool::Outcomes;
use tracepool::crawl::{CrawlReport, Model};
use tracepool::report::SleepTimer;
use tracepool::report::record::RunRecord;
use tracepool::sim::SleepSummary;

use crate::plan::RunPlan;

/// The timer recorded in [`RunRecord::timer`] for the browser's sleeps (`setTimeout`).
pub const BROWSER_TIMER: SleepTimer = SleepTimer::SetTimeout;

/// What the page measured around one crawl.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    /// Wall time of the crawl.
    pub wall: Duration,
    /// Makespan of a perfect implementation of the model on the same workload.
    pub ideal: Duration,
    /// The simulated sleeps: how many, how long asked, how late.
    pub sleeps: SleepSummary,
    /// Peak memory seen during the run, in bytes; 0 where the page cannot tell.
    pub peak_memory_bytes: u64,
}

/// The record of `crawl`, run under `model` at limit `concurrency` as part of `plan`.
pub fn run_record(
    plan: &RunPlan,
    model: Model,
    concurrency: usize,
    crawl: &CrawlReport,
    measured: &Measured,
) -> RunRecord {
    let wall_s = measured.wall.as_secs_f64();
    let ideal_s = measured.ideal.as_secs_f64();
    let per_wall = |v: f64| if wall_s > 0.0 { v / wall_s } else { 0.0 };
    let sleeps = &measured.sleeps;
    let mean_ms = |total: Duration| {
        if sleeps.count == 0 {
            0.0
        } else {
            total.as_secs_f64() * 1e3 / sleeps.count as f64
        }
    };
    RunRecord {
        wall_s,
        jobs: crawl.jobs,
        outcomes: crawl.outcomes,
        lost: crawl.lost,
        discovered: crawl.discovered.len() as u64,
        throughput_per_s: per_wall(crawl.outcomes.finished() as f64),
        error_rate: crawl.error_rate(),
        peak_in_flight: crawl.peak_in_flight,
        ideal_s,
        efficiency: per_wall(ideal_s),
        // 0 when the browser does not tell the page its memory.
        peak_rss_bytes: Some(measured.peak_memory_bytes).filter(|&bytes| bytes > 0),
        latency_p50_ms: crawl.latency.p50.as_secs_f64() * 1e3,
        latency_p99_ms: crawl.latency.p99.as_secs_f64() * 1e3,
        timer_overshoot_us: sleeps.mean_overshoot_us(),
        timer_sleeps: sleeps.count,
        timer_requested_ms: mean_ms(sleeps.requested),
        timer_actual_ms: mean_ms(sleeps.requested + sleeps.overshoot),
        errors_by_kind: crawl.errors_by_kind.clone(),
        ..empty_record(plan, model, concurrency)
    }
}

/// The record of a run of `plan` under `model` at `concurrency` before anything was
/// measured: every figure 0.
pub fn empty_record(plan: &RunPlan, model: Model, concurrency: usize) -> RunRecord {
    RunRecord {
        model: model.into(),
        workload: plan.workload.name().into(),
        traces: plan.traces as u64,
        concurrency: concurrency as u64,
        wall_s: 0.0,
        jobs: 0,
        outcomes: Outcomes::default(),
        lost: 0,
        discovered: 0,
        throughput_per_s: 0.0,
        error_rate: 0.0,
        peak_in_flight: 0,
        ideal_s: 0.0,
        efficiency: 0.0,
        cpu_percent: 0.0,
        peak_rss_bytes: None,
        peak_os_threads: None,
        latency_p50_ms: 0.0,
        latency_p99_ms: 0.0,
        timer_overshoot_us: 0.0,
        timer_sleeps: 0,
        timer_requested_ms: 0.0,
        timer_actual_ms: 0.0,
        timer: BROWSER_TIMER.into(),
        errors_by_kind: Default::default(),
        peak_open_fds: None,
        server_peak_requests: None,
        server_peak_connections: None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tracepool::crawl::{CrawlConfig, Crawler};
    use tracepool::sim::SimWorkload;
    use tracepool::timer::{Sleep, Timer};

    use super::*;
    use crate::plan::Workload;

    /// Never waits: the crawl runs at once, natively.
    #[derive(Debug)]
    struct NoWait;
    impl Timer for NoWait {
        fn sleep(&self, _: Duration) -> Sleep {
            Box::pin(async {})
        }
    }

    #[test]
    fn the_record_carries_the_crawl_and_the_page_measures() {
        let plan = RunPlan {
            scenario: "custom".into(),
            workload: Workload::Crawl,
            traces: 200,
            concurrencies: vec![4],
            models: vec![Model::Pool],
            latency_ms: 0.0,
            failure_rate: 0.1,
            seed: 3,
        };
        let sim = SimWorkload::new(plan.sim_config()).unwrap();
        let crawler = Crawler::new(
            sim.registry(Arc::new(NoWait)),
            CrawlConfig {
                model: Model::Pool,
                max_concurrency: 4,
                ..CrawlConfig::default()
            },
        )
        .unwrap();
        let crawl = futures::executor::block_on(crawler.run(sim.seeds(), |_| {}));
        let measured = Measured {
            wall: Duration::from_millis(500),
            ideal: Duration::from_millis(400),
            sleeps: SleepSummary {
                count: 4,
                requested: Duration::from_millis(40),
                overshoot: Duration::from_millis(2),
                early_wakeups: 0,
            },
            peak_memory_bytes: 1 << 20,
        };
        let r = run_record(&plan, Model::Pool, 4, &crawl, &measured);
        assert_eq!((r.model.as_str(), r.workload.as_str()), ("pool", "crawl"));
        assert_eq!((r.traces, r.concurrency), (200, 4));
        assert_eq!(r.jobs, crawl.jobs);
        assert!(
            r.outcomes.failed > 0,
            "a 10 % failure rate fails some calls"
        );
        assert_eq!(r.outcomes.completed + r.outcomes.failed, r.jobs);
        assert_eq!(r.discovered, crawl.discovered.len() as u64);
        assert!(r.peak_in_flight <= 4);
        assert_eq!(r.throughput_per_s, r.jobs as f64 / 0.5);
        assert_eq!(r.efficiency, 0.8);
        assert_eq!(r.error_rate, r.outcomes.failed as f64 / r.jobs as f64);
        assert_eq!((r.timer_requested_ms, r.timer_actual_ms), (10.0, 10.5));
        assert_eq!(r.timer_overshoot_us, 500.0);
        assert_eq!((r.cpu_percent, r.peak_os_threads), (0.0, None));
        assert_eq!(r.peak_rss_bytes, Some(1 << 20));
        assert_eq!(r.timer.known(), Some(BROWSER_TIMER));
        assert_eq!(r.timer.as_str(), "set-timeout");
    }
}
