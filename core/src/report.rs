//! The report layer: run records and reports, the verdicts drawn from them, and their
//! charts, shared by the native runner and the browser app. Behind the `report`
//! feature; the pool, the crawl engine and the simulated workload do without it.
//!
//! - [`record`]: the serde types of a run record and of a report (`report.json`,
//!   schema-versioned);
//! - [`comparison`]: two reports compared run by run, metric by metric;
//! - [`repeats`]: repeated runs of one configuration, their median and spread, and
//!   each scenario's shape (size, time scale, limits, width);
//! - [`findings`]: what a report's runs say about the benchmarking plan's objectives,
//!   and the recommended concurrency limit per model;
//! - [`Scenario`]: the benchmarking plan's scenarios and their default workload
//!   settings, which the runner, the benches, the findings and the browser app read;
//! - [`chart`]: charts as standalone SVG, and the charts of a report;
//! - [`format`](mod@format): numbers as the findings and the report writers show them;
//! - [`Named`]: the names a record gives its model, workload ([`Workload`]) and timer
//!   ([`SleepTimer`]), read as enums, with names this version does not know kept as
//!   written.
//!
//! A `report.json` written by one side reads on the other, and both draw the same
//! charts from it.
//!
//! # Examples
//!
//! ```
//! use tracepool::report::chart::report_charts;
//! use tracepool::report::findings::findings;
//! use tracepool::report::record::{Environment, Report, Settings};
//!
//! let report = Report::new("0.1.0", Environment::default(), Settings::default());
//! let again = Report::from_json(&report.to_json_pretty())?;
//! assert_eq!(again, report);
//! assert_eq!(findings(&report).len(), 6);
//! assert!(!report_charts(&report).is_empty());
//! # Ok::<(), tracepool::report::record::ReportError>(())
//! ```

pub mod chart;
pub mod comparison;
pub mod findings;
pub mod format;
mod name;
mod order;
pub mod record;
pub mod repeats;
mod scenario;
mod sleep_timer;
mod workload;

pub use name::{KnownName, ModelName, Named, TimerName, UnknownNameError, WorkloadName};
pub use scenario::{
    DEFAULT_FAILURE_RATE, DEFAULT_LATENCY_MS, DEFAULT_SEED, DEFAULT_TIME_SCALE, P99_OVER_MEAN,
    Scenario,
};
pub use sleep_timer::SleepTimer;
pub use workload::Workload;
