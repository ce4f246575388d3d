//! The JSON form of a [`RunRecord`]: its fields, with the outcome counts inline.
//!
//! `#[serde(flatten)]` on [`RunRecord::outcomes`] wrote the same JSON, but it reads a
//! record through serde's buffered `Content` (every field of the record, then the
//! flattened ones picked out of it), which was several kilobytes of the browser bundle's
//! WebAssembly on top of the record's own reader. Reading and writing through this
//! struct keeps the schema, field for field and in the same order.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::RunRecord;
use crate::Outcomes;
use crate::report::{ModelName, TimerName, WorkloadName};

/// Named as the record, as serde's messages name the type they expected.
#[derive(Serialize, Deserialize)]
#[serde(rename = "RunRecord")]
pub(super) struct RunRecordJson {
    model: ModelName,
    workload: WorkloadName,
    traces: u64,
    concurrency: u64,
    wall_s: f64,
    jobs: u64,
    completed: u64,
    failed: u64,
    timed_out: u64,
    panicked: u64,
    cancelled: u64,
    lost: u64,
    discovered: u64,
    throughput_per_s: f64,
    error_rate: f64,
    peak_in_flight: u64,
    ideal_s: f64,
    efficiency: f64,
    cpu_percent: f64,
    peak_rss_bytes: Option<u64>,
    peak_os_threads: Option<u64>,
    latency_p50_ms: f64,
    latency_p99_ms: f64,
    timer_overshoot_us: f64,
    #[serde(default)]
    timer_sleeps: u64,
    #[serde(default)]
    timer_requested_ms: f64,
    #[serde(default)]
    timer_actual_ms: f64,
    #[serde(default = "super::reactor")]
    timer: TimerName,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    errors_by_kind: BTreeMap<String, u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    peak_open_fds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    server_peak_requests: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    server_peak_connections: Option<u64>,
}

impl From<RunRecordJson> for RunRecord {
    fn from(j: RunRecordJson) -> Self {
        RunRecord {
            model: j.model,
            workload: j.workload,
            traces: j.traces,
            concurrency: j.concurrency,
            wall_s: j.wall_s,
            jobs: j.jobs,
            outcomes: Outcomes {
                completed: j.completed,
                failed: j.failed,
                timed_out: j.timed_out,
                panicked: j.panicked,
                cancelled: j.cancelled,
            },
            lost: j.lost,
            discovered: j.discovered,
            throughput_per_s: j.throughput_per_s,
            error_rate: j.error_rate,
            peak_in_flight: j.peak_in_flight,
            ideal_s: j.ideal_s,
            efficiency: j.efficiency,
            cpu_percent: j.cpu_percent,
            peak_rss_bytes: j.peak_rss_bytes,
            peak_os_threads: j.peak_os_threads,
            latency_p50_ms: j.latency_p50_ms,
            latency_p99_ms: j.latency_p99_ms,
            timer_overshoot_us: j.timer_overshoot_us,
            timer_sleeps: j.timer_sleeps,
            timer_requested_ms: j.timer_requested_ms,
            timer_actual_ms: j.timer_actual_ms,
            timer: j.timer,
            errors_by_kind: j.errors_by_kind,
            peak_open_fds: j.peak_open_fds,
            server_peak_requests: j.server_peak_requests,
            server_peak_connections: j.server_peak_connections,
        }
    }
}

impl From<RunRecord> for RunRecordJson {
    fn from(r: RunRecord) -> Self {
        let Outcomes {
            completed,
            failed,
            timed_out,
            panicked,
            cancelled,
        } = r.outcomes;
        RunRecordJson {
            model: r.model,
            workload: r.workload,
            traces: r.traces,
            concurrency: r.concurrency,
            wall_s: r.wall_s,
            jobs: r.jobs,
            completed,
            failed,
            timed_out,
            panicked,
            cancelled,
            lost: r.lost,
            discovered: r.discovered,
            throughput_per_s: r.throughput_per_s,
            error_rate: r.error_rate,
            peak_in_flight: r.peak_in_flight,
            ideal_s: r.ideal_s,
            efficiency: r.efficiency,
            cpu_percent: r.cpu_percent,
            peak_rss_bytes: r.peak_rss_bytes,
            peak_os_threads: r.peak_os_threads,
            latency_p50_ms: r.latency_p50_ms,
            latency_p99_ms: r.latency_p99_ms,
            timer_overshoot_us: r.timer_overshoot_us,
            timer_sleeps: r.timer_sleeps,
            timer_requested_ms: r.timer_requested_ms,
            timer_actual_ms: r.timer_actual_ms,
            timer: r.timer,
            errors_by_kind: r.errors_by_kind,
            peak_open_fds: r.peak_open_fds,
            server_peak_requests: r.server_peak_requests,
            server_peak_connections: r.server_peak_connections,
        }
    }
}
