//! Findings and recommendations derived from a report's runs.
//!
//! [`findings`] answers each objective and expected outcome of the benchmarking plan
//! with a [`Verdict`](crate::report::record::Verdict) and the numbers it rests on;
//! [`recommendations`] picks a concurrency limit per model. Both read nothing but the
//! run records, so the same runs always lead to the same conclusions, in the native
//! runner and in the browser.
//!
//! A verdict is [`Inconclusive`](crate::report::record::Verdict::Inconclusive) whenever
//! the runs a finding needs are missing (for instance no `previous` runs to compare the
//! pool with); its text then says what is missing.
//!
//! Each objective is answered in a file of its own; the numbers in the texts are
//! written by [`format`](crate::report::format).
//!
//! # Examples
//!
//! ```
//! use tracepool::report::findings::{findings, objectives};
//! use tracepool::report::record::{Environment, Report, Settings, Verdict};
//!
//! let report = Report::new("0.1.0", Environment::default(), Settings::default());
//! let found = findings(&report);
//! let limits = found
//!     .iter()
//!     .find(|f| f.objective == objectives::LIMITS_CONCURRENCY)
//!     .unwrap();
//! assert_eq!(limits.verdict, Verdict::Inconclusive);
//! assert!(limits.text.contains("no pool runs"));
//! ```

mod bottlenecks;
mod curve;
mod errors;
mod limits;
mod loads;
mod performance;
mod recommend;
mod runs;
mod stress;

pub use recommend::recommendations;

use crate::crawl::Model;
use crate::report::record::{Finding, Report};
use crate::report::{ModelName, Named};

/// The objectives [`findings`] answers, as the [`Finding::objective`] of each finding.
pub mod objectives {
    /// Plan objective 4 and expected outcome 2: never more than C jobs in flight, and
    /// every accepted job accounted for.
    pub const LIMITS_CONCURRENCY: &str = "The pool limits concurrency to the configured C";
    /// Plan objective 2 and expected outcome 1: the pool is faster than the previous model.
    pub const IMPROVED_PERFORMANCE: &str =
        "Improved performance compared to the previous concurrency model";
    /// Plan objective 4 and expected outcome 1: stable under stress, no resource exhaustion.
    pub const STABILITY_UNDER_STRESS: &str =
        "Stability under stress: the pool prevents resource exhaustion";
    /// Plan objective 1: performance under various loads.
    pub const VARIOUS_LOADS: &str = "Performance under various loads: throughput holds as C rises";
    /// Plan objective 3 and expected outcome 3: bottlenecks and areas for improvement.
    pub const BOTTLENECKS: &str =
        "Bottlenecks: the pool stays close to a perfect implementation of its model";
    /// The plan's error-rate metric: the same workload fails the same way in every model.
    pub const ERROR_RATE: &str = "Error rate: the pool adds no errors of its own";
}

/// The bounded pool, as records name it: the model the findings are about.
const POOL: ModelName = Named::Known(Model::Pool);
/// The previous (batch and barrier) model, the pool's baseline.
const PREVIOUS: ModelName = Named::Known(Model::Previous);

/// Efficiency (ideal / wall time) below which the pool's own overhead is called a
/// bottleneck.
pub const EFFICIENCY_THRESHOLD: f64 = 0.9;
/// Share of the best throughput a concurrency limit must reach to be the knee that
/// [`recommendations`] picks: 95 %.
pub const KNEE_SHARE: f64 = 0.95;
/// Largest difference in error rate (absolute, 0.01 = one percentage point) still
/// counted as the same error rate.
pub const ERROR_RATE_TOLERANCE: f64 = 0.01;
/// Relative margin by which the pool's peak RSS may exceed the other models' before the
/// stress finding counts it as using more memory.
pub const RSS_TOLERANCE: f64 = 0.10;

/// Every finding the runs of `report` support, one per plan objective or expected
/// outcome, in this order: [`objectives::LIMITS_CONCURRENCY`],
/// [`objectives::IMPROVED_PERFORMANCE`], [`objectives::STABILITY_UNDER_STRESS`],
/// [`objectives::VARIOUS_LOADS`], [`objectives::BOTTLENECKS`],
/// [`objectives::ERROR_RATE`].
///
/// Only [`Report::runs`] is read; the report's stored findings are ignored.
pub fn findings(report: &Report) -> Vec<Finding> {
    vec![
        limits::answer(report),
        performance::answer(report),
        stress::answer(report),
        loads::answer(report),
        bottlenecks::answer(report),
        errors::answer(report),
    ]
}
