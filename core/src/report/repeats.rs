//! Repeated runs of one configuration: their median and their spread.
//!
//! A report of schema version 2 may hold several runs with the same
//! [`RunKey`] (scenario, model, workload, traces, C): the repetitions of
//! `tracepool-bench report --repeat N`. Tables, charts, findings and comparisons read
//! their median; the spread shown beside it is the min-max range of the repetitions.
//!
//! # Examples
//!
//! ```
//! use tracepool::report::repeats::run_groups;
//! use tracepool::report::record::{Environment, Report, Settings};
//!
//! let report = Report::new("0.1.0", Environment::default(), Settings::default());
//! assert!(run_groups(&report).is_empty());
//! assert_eq!(report.medians(), report);
//! ```

use crate::crawl::Model;
use crate::report::comparison::RunKey;
use crate::report::record::{Report, RunRecord, ScenarioRun};

/// The runs of one configuration, in report order: one, or its repetitions.
#[derive(Debug, Clone)]
pub struct RunGroup<'a> {
    /// The runs, at least one.
    pub runs: Vec<&'a ScenarioRun>,
}

/// The runs of `report` grouped by configuration ([`ScenarioRun::key`]), groups in
/// order of first appearance.
pub fn run_groups(report: &Report) -> Vec<RunGroup<'_>> {
    let mut keys: Vec<RunKey> = Vec::new();
    let mut groups: Vec<RunGroup<'_>> = Vec::new();
    for run in &report.runs {
        let key = run.key();
        match keys.iter().position(|k| *k == key) {
            Some(i) => groups[i].runs.push(run),
            None => {
                keys.push(key);
                groups.push(RunGroup { runs: vec![run] });
            }
        }
    }
    groups
}

/// The median of `values` (the mean of the middle two for an even count); `None`
/// when there is no finite value.
pub fn median(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    median_of(values.into_iter().collect())
}

/// [`median`] of a vector: one copy of the code for every caller's iterator.
fn median_of(mut values: Vec<f64>) -> Option<f64> {
    values.retain(|v| v.is_finite());
    if values.is_empty() {
        return None;
    }
    // By keys in one sort of `u64`, shared with the report layer's sorts of counts.
    super::order::sort_floats(&mut values);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    })
}

impl RunGroup<'_> {
    /// The first run.
    pub fn first(&self) -> &ScenarioRun {
        self.runs[0]
    }

    /// The median of `f` over the runs, leaving out values that are not finite
    /// (not-a-number for a figure the OS did not give); not-a-number when none is.
    pub fn median(&self, f: impl Fn(&RunRecord) -> f64) -> f64 {
        self.median_dyn(&f)
    }

    /// [`median`](Self::median) through a trait object: one copy of its code for
    /// every caller's closure.
    fn median_dyn(&self, f: &dyn Fn(&RunRecord) -> f64) -> f64 {
        median(self.runs.iter().map(|r| f(&r.record))).unwrap_or(f64::NAN)
    }

    /// The smallest and the largest finite value of `f` over the runs: the spread
    /// (infinite bounds when no value is finite).
    pub fn spread(&self, f: impl Fn(&RunRecord) -> f64) -> (f64, f64) {
        self.spread_dyn(&f)
    }

    /// [`spread`](Self::spread) through a trait object: one copy of its code.
    fn spread_dyn(&self, f: &dyn Fn(&RunRecord) -> f64) -> (f64, f64) {
        self.runs
            .iter()
            .map(|r| f(&r.record))
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            })
    }

    /// The median of an OS figure over the runs that have it; `None` when none has.
    fn median_of_available(&self, f: &dyn Fn(&RunRecord) -> Option<u64>) -> Option<u64> {
        median(
            self.runs
                .iter()
                .filter_map(|r| f(&r.record))
                .map(|v| v as f64),
        )
        .map(|m| m as u64)
    }

    /// One run standing for the group: each number of its record is the median over
    /// the runs (counts rounded down); its time series is that of the run whose wall
    /// time is the median (the earlier of the middle two).
    pub fn median_run(&self) -> ScenarioRun {
        if self.runs.len() == 1 {
            return self.first().clone();
        }
        // The run of rank (n - 1) / 2 by wall time, ties in run order: counted rather
        // than sorted, for a handful of runs (a sort of them would add its own code).
        let rank = |i: usize| {
            let wall = self.runs[i].record.wall_s;
            self.runs
                .iter()
                .enumerate()
                .filter(|&(j, r)| r.record.wall_s.total_cmp(&wall).then(j.cmp(&i)).is_lt())
                .count()
        };
        let middle = (0..self.runs.len())
            .find(|&i| rank(i) == (self.runs.len() - 1) / 2)
            .map_or_else(|| self.first(), |i| self.runs[i]);
        let mut run = middle.clone();
        let f = |g: fn(&RunRecord) -> f64| self.median(g);
        let n = |g: fn(&RunRecord) -> u64| self.median(|r| g(r) as f64) as u64;
        let r = &mut run.record;
        r.wall_s = f(|r| r.wall_s);
        r.jobs = n(|r| r.jobs);
        r.outcomes.completed = n(|r| r.outcomes.completed);
        r.outcomes.failed = n(|r| r.outcomes.failed);
        r.outcomes.timed_out = n(|r| r.outcomes.timed_out);
        r.outcomes.panicked = n(|r| r.outcomes.panicked);
        r.outcomes.cancelled = n(|r| r.outcomes.cancelled);
        r.lost = n(|r| r.lost);
        r.discovered = n(|r| r.discovered);
        r.throughput_per_s = f(|r| r.throughput_per_s);
        r.error_rate = f(|r| r.error_rate);
        r.peak_in_flight = n(|r| r.peak_in_flight);
        r.ideal_s = f(|r| r.ideal_s);
        r.efficiency = f(|r| r.efficiency);
        r.cpu_percent = f(|r| r.cpu_percent);
        r.peak_rss_bytes = self.median_of_available(&|r| r.peak_rss_bytes);
        r.peak_os_threads = self.median_of_available(&|r| r.peak_os_threads);
        r.latency_p50_ms = f(|r| r.latency_p50_ms);
        r.latency_p99_ms = f(|r| r.latency_p99_ms);
        r.timer_overshoot_us = f(|r| r.timer_overshoot_us);
        r.timer_sleeps = n(|r| r.timer_sleeps);
        r.timer_requested_ms = f(|r| r.timer_requested_ms);
        r.timer_actual_ms = f(|r| r.timer_actual_ms);
        // A run that lost jobs is never hidden behind a median.
        r.lost = self.runs.iter().map(|r| r.record.lost).max().unwrap_or(0);
        run
    }
}

impl Report {
    /// The same report with one run per configuration: the [median
    /// run](RunGroup::median_run) of its repetitions, in order of first appearance.
    /// A report without repetitions comes back unchanged.
    pub fn medians(&self) -> Report {
        Report {
            runs: run_groups(self).iter().map(RunGroup::median_run).collect(),
            ..self.clone()
        }
    }
}

/// One scenario of a report as its runs describe it: its size, its time scale, its
/// limits and its width.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioShape {
    /// The scenario's name.
    pub scenario: String,
    /// Its number of traces (the largest, should its runs differ).
    pub traces: u64,
    /// The time scale its runs ran at.
    pub time_scale: f64,
    /// The limits C it ran at, ascending.
    pub concurrencies: Vec<u64>,
    /// Its width: the most calls the unbounded model had in flight (the median over
    /// repetitions, the largest over C); `None` without unbounded runs.
    pub width: Option<u64>,
}

impl ScenarioShape {
    /// Whether the workload is wider than every C of the scenario, so that the limit
    /// binds; `None` without unbounded runs.
    pub fn binds(&self) -> Option<bool> {
        let largest = self.concurrencies.last().copied().unwrap_or(0);
        self.width.map(|w| w > largest)
    }
}

/// Every scenario of `report`, in order of first appearance.
pub fn scenario_shapes(report: &Report) -> Vec<ScenarioShape> {
    let groups = run_groups(report);
    report
        .scenarios()
        .into_iter()
        .map(|scenario| {
            let of: Vec<&RunGroup<'_>> = groups
                .iter()
                .filter(|g| g.first().scenario == scenario)
                .collect();
            let mut concurrencies =
                super::order::sorted(of.iter().map(|g| g.first().record.concurrency).collect());
            concurrencies.dedup();
            let width = of
                .iter()
                .filter(|g| g.first().record.model == Model::Unbounded)
                .map(|g| g.median(|r| r.peak_in_flight as f64) as u64)
                .max();
            ScenarioShape {
                scenario: scenario.to_owned(),
                traces: of
                    .iter()
                    .map(|g| g.first().record.traces)
                    .max()
                    .unwrap_or(0),
                time_scale: report.settings.time_scale_of(scenario),
                concurrencies,
                width,
            }
        })
        .collect()
}
