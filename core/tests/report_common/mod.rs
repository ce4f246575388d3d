//! A crafted run record for the report layer's tests (core's and the runner's, which
//! includes this file): the figures a test cares about, the rest derived so that every
//! record is consistent.

#![allow(dead_code)]

use tracepool::Outcomes;
use tracepool::report::record::RunRecord;

/// What a crafted run measured. [`Measured::record`] derives the rest: the completed
/// jobs, the throughput, the error rate, the efficiency and the distinct traces.
#[derive(Debug, Clone)]
pub(crate) struct Measured<'a> {
    pub(crate) model: &'a str,
    pub(crate) traces: u64,
    pub(crate) concurrency: u64,
    pub(crate) jobs: u64,
    pub(crate) failed: u64,
    pub(crate) timed_out: u64,
    pub(crate) wall_s: f64,
    pub(crate) ideal_s: f64,
    pub(crate) peak_in_flight: u64,
    pub(crate) cpu_percent: f64,
    pub(crate) peak_rss_bytes: u64,
    pub(crate) latency_p50_ms: f64,
    pub(crate) latency_p99_ms: f64,
    pub(crate) timer_overshoot_us: f64,
}

impl Default for Measured<'_> {
    /// The pool at C = 10 on 1,000 traces: 4,000 jobs in 1 s, 90 % efficient.
    fn default() -> Self {
        Measured {
            model: "pool",
            traces: 1000,
            concurrency: 10,
            jobs: 4000,
            failed: 0,
            timed_out: 0,
            wall_s: 1.0,
            ideal_s: 0.9,
            peak_in_flight: 10,
            cpu_percent: 30.0,
            peak_rss_bytes: 12 << 20,
            latency_p50_ms: 10.0,
            latency_p99_ms: 40.0,
            timer_overshoot_us: 70.0,
        }
    }
}

impl Measured<'_> {
    /// The run's record, on the crawl workload with the reactor timer; no panics, no
    /// cancellations, nothing lost, three OS threads.
    pub(crate) fn record(&self) -> RunRecord {
        RunRecord {
            model: self.model.into(),
            workload: "crawl".into(),
            traces: self.traces,
            concurrency: self.concurrency,
            wall_s: self.wall_s,
            jobs: self.jobs,
            outcomes: Outcomes {
                completed: self.jobs - self.failed - self.timed_out,
                failed: self.failed,
                timed_out: self.timed_out,
                panicked: 0,
                cancelled: 0,
            },
            lost: 0,
            discovered: self.traces,
            throughput_per_s: self.jobs as f64 / self.wall_s,
            error_rate: (self.failed + self.timed_out) as f64 / self.jobs as f64,
            peak_in_flight: self.peak_in_flight,
            ideal_s: self.ideal_s,
            efficiency: self.ideal_s / self.wall_s,
            cpu_percent: self.cpu_percent,
            peak_rss_bytes: Some(self.peak_rss_bytes),
            peak_os_threads: Some(3),
            latency_p50_ms: self.latency_p50_ms,
            latency_p99_ms: self.latency_p99_ms,
            timer_overshoot_us: self.timer_overshoot_us,
            timer_sleeps: 0,
            timer_requested_ms: 0.0,
            timer_actual_ms: 0.0,
            timer: "reactor".into(),
            errors_by_kind: Default::default(),
            peak_open_fds: None,
            server_peak_requests: None,
            server_peak_connections: None,
        }
    }
}
