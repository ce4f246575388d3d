//! Two reports compared run by run: which metrics got better, worse, or stayed put.
//!
//! # Examples
//!
//! ```
//! use tracepool::report::comparison::compare;
//! use tracepool::report::record::{Environment, Report, Settings};
//!
//! let old = Report::new("0.1.0", Environment::default(), Settings::default());
//! assert!(compare(&old, &old.clone()).is_empty());
//! ```

use serde::{Deserialize, Serialize};

use crate::report::record::{Report, RunRecord, ScenarioRun};
use crate::report::{ModelName, WorkloadName};

/// The identity of a run across reports: two runs with equal keys measured the same thing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RunKey {
    /// Scenario name.
    pub scenario: String,
    /// Scheduling model.
    pub model: ModelName,
    /// Workload.
    pub workload: WorkloadName,
    /// Graph size or job count.
    pub traces: u64,
    /// Concurrency limit C.
    pub concurrency: u64,
}

impl std::fmt::Display for RunKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {} traces={} C={}",
            self.scenario, self.model, self.workload, self.traces, self.concurrency
        )
    }
}

/// Which way a metric should move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Larger values are better (throughput, efficiency).
    HigherIsBetter,
    /// Smaller values are better (time, memory, errors).
    LowerIsBetter,
    /// Neither way is better in itself; a large change is only worth noting.
    Neutral,
}

/// A metric of a [`RunRecord`] that [`compare`] looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// [`RunRecord::wall_s`].
    WallS,
    /// [`RunRecord::throughput_per_s`].
    ThroughputPerS,
    /// [`RunRecord::peak_in_flight`].
    PeakInFlight,
    /// [`RunRecord::peak_rss_bytes`].
    PeakRssBytes,
    /// [`RunRecord::cpu_percent`].
    CpuPercent,
    /// [`RunRecord::error_rate`].
    ErrorRate,
    /// [`RunRecord::efficiency`].
    Efficiency,
    /// [`RunRecord::latency_p99_ms`].
    LatencyP99Ms,
}

impl Metric {
    /// Every compared metric, in the order comparisons list them.
    pub const ALL: [Metric; 8] = [
        Metric::WallS,
        Metric::ThroughputPerS,
        Metric::PeakInFlight,
        Metric::PeakRssBytes,
        Metric::CpuPercent,
        Metric::ErrorRate,
        Metric::Efficiency,
        Metric::LatencyP99Ms,
    ];

    /// The field name of the metric in [`RunRecord`].
    pub fn name(self) -> &'static str {
        match self {
            Metric::WallS => "wall_s",
            Metric::ThroughputPerS => "throughput_per_s",
            Metric::PeakInFlight => "peak_in_flight",
            Metric::PeakRssBytes => "peak_rss_bytes",
            Metric::CpuPercent => "cpu_percent",
            Metric::ErrorRate => "error_rate",
            Metric::Efficiency => "efficiency",
            Metric::LatencyP99Ms => "latency_p99_ms",
        }
    }

    /// Which way the metric should move.
    ///
    /// Peak in-flight is [`Direction::Neutral`]: a bounded pool is meant to reach its
    /// limit, so neither a rise nor a fall is an improvement in itself.
    pub fn direction(self) -> Direction {
        match self {
            Metric::ThroughputPerS | Metric::Efficiency => Direction::HigherIsBetter,
            Metric::PeakInFlight => Direction::Neutral,
            Metric::WallS
            | Metric::PeakRssBytes
            | Metric::CpuPercent
            | Metric::ErrorRate
            | Metric::LatencyP99Ms => Direction::LowerIsBetter,
        }
    }

    /// The metric's value in a record; `None` where the record does not have it (an OS
    /// figure its system does not tell).
    pub fn value(self, record: &RunRecord) -> Option<f64> {
        Some(match self {
            Metric::WallS => record.wall_s,
            Metric::ThroughputPerS => record.throughput_per_s,
            Metric::PeakInFlight => record.peak_in_flight as f64,
            Metric::PeakRssBytes => record.peak_rss_bytes? as f64,
            Metric::CpuPercent => record.cpu_percent,
            Metric::ErrorRate => record.error_rate,
            Metric::Efficiency => record.efficiency,
            Metric::LatencyP99Ms => record.latency_p99_ms,
        })
    }
}

/// How a metric moved between two reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeStatus {
    /// Moved the good way by more than the threshold.
    Better,
    /// Moved the bad way by more than the threshold.
    Worse,
    /// Moved by more than the threshold, for a [`Direction::Neutral`] metric.
    Changed,
    /// Moved by no more than the threshold.
    Unchanged,
    /// The run exists only in the old report.
    OnlyInOld,
    /// The run exists only in the new report.
    OnlyInNew,
}

/// One metric of one run, compared between an old and a new report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricChange {
    /// The run compared.
    pub run: RunKey,
    /// The metric compared.
    pub metric: Metric,
    /// Value in the old report; `None` if the run is only in the new one (or, for a
    /// run only in the old one, if it does not have the metric).
    pub old: Option<f64>,
    /// Value in the new report; `None` if the run is only in the old one (or, for a
    /// run only in the new one, if it does not have the metric).
    pub new: Option<f64>,
    /// `(new - old) / |old|`; `None` if a side is missing or `old` is 0 while `new` is not.
    pub relative_change: Option<f64>,
    /// The verdict.
    pub status: ChangeStatus,
}

/// Relative change [`compare`] tolerates before calling a metric better or worse: 5 %.
pub const DEFAULT_CHANGE_THRESHOLD: f64 = 0.05;

/// Compares two reports run by run with [`DEFAULT_CHANGE_THRESHOLD`].
///
/// See [`compare_with_threshold`].
pub fn compare(old: &Report, new: &Report) -> Vec<MetricChange> {
    compare_with_threshold(old, new, DEFAULT_CHANGE_THRESHOLD)
}

/// Compares two reports run by run.
///
/// Repeated runs of one configuration count as their median
/// ([`Report::medians`]); the runs are then matched by their [`RunKey`]. For every matched run, every metric of
/// [`Metric::ALL`] gets one [`MetricChange`], in the order of the new report's runs.
/// A run present in only one report still gets its rows, with the other side `None`
/// and status [`ChangeStatus::OnlyInOld`] or [`ChangeStatus::OnlyInNew`]: old-only
/// runs come last.
///
/// A metric whose old value is 0 and new value is not counts as a change beyond any
/// threshold. A metric that one of two matched runs does not have (an OS figure its
/// system does not tell) gets no row.
pub fn compare_with_threshold(old: &Report, new: &Report, threshold: f64) -> Vec<MetricChange> {
    let (old, new) = (&old.medians(), &new.medians());
    let old_keys: Vec<RunKey> = old.runs.iter().map(ScenarioRun::key).collect();
    let mut used = vec![false; old.runs.len()];
    let mut out = Vec::new();
    for new_run in &new.runs {
        let key = new_run.key();
        let matched = (0..old.runs.len()).find(|&i| !used[i] && old_keys[i] == key);
        match matched {
            Some(i) => {
                used[i] = true;
                for metric in Metric::ALL {
                    let (Some(o), Some(n)) = (
                        metric.value(&old.runs[i].record),
                        metric.value(&new_run.record),
                    ) else {
                        continue;
                    };
                    let (relative_change, status) = judge(metric, o, n, threshold);
                    out.push(MetricChange {
                        run: key.clone(),
                        metric,
                        old: Some(o),
                        new: Some(n),
                        relative_change,
                        status,
                    });
                }
            }
            None => out.extend(one_sided(&key, None, Some(&new_run.record))),
        }
    }
    for (i, old_run) in old.runs.iter().enumerate() {
        if !used[i] {
            out.extend(one_sided(&old_keys[i], Some(&old_run.record), None));
        }
    }
    out
}

fn one_sided(
    key: &RunKey,
    old: Option<&RunRecord>,
    new: Option<&RunRecord>,
) -> impl Iterator<Item = MetricChange> {
    let status = if old.is_some() {
        ChangeStatus::OnlyInOld
    } else {
        ChangeStatus::OnlyInNew
    };
    let (old, new) = (old.cloned(), new.cloned());
    let key = key.clone();
    Metric::ALL.into_iter().map(move |metric| MetricChange {
        run: key.clone(),
        metric,
        old: old.as_ref().and_then(|r| metric.value(r)),
        new: new.as_ref().and_then(|r| metric.value(r)),
        relative_change: None,
        status,
    })
}

fn judge(metric: Metric, old: f64, new: f64, threshold: f64) -> (Option<f64>, ChangeStatus) {
    let relative = if old == new {
        Some(0.0)
    } else if old == 0.0 || !old.is_finite() || !new.is_finite() {
        None
    } else {
        Some((new - old) / old.abs())
    };
    let beyond = relative.is_none_or(|r| r.abs() > threshold);
    let status = if !beyond {
        ChangeStatus::Unchanged
    } else {
        let rose = new > old;
        match (metric.direction(), rose) {
            (Direction::Neutral, _) => ChangeStatus::Changed,
            (Direction::HigherIsBetter, true) | (Direction::LowerIsBetter, false) => {
                ChangeStatus::Better
            }
            _ => ChangeStatus::Worse,
        }
    };
    (relative, status)
}
