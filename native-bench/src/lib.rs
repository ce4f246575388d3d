//! The tracepool benchmark runner's native side: OS metrics, the environment probe and
//! the written report.
//!
//! - [`os`] reads process metrics (CPU time, RSS, peak RSS, threads, open file
//!   descriptors) from the operating system and samples them, with the application's
//!   own gauges, into the [`Sample`](tracepool::record::Sample) time series of a run.
//! - [`env`](mod@env) describes the machine and the build a report was measured on, as an
//!   [`Environment`](tracepool::record::Environment).
//! - [`report`] renders a [`Report`](tracepool::record::Report) as a summary table,
//!   Markdown and self-contained HTML, and writes a report directory atomically.
//!
//! Both are made for Linux, where every metric is available; on other Unix systems the
//! metrics the OS does not expose cheaply read as 0, and elsewhere most of them do.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use tracepool_bench::os::{AppGauges, Sampler};
//!
//! let sampler = Sampler::start(Duration::from_millis(10), AppGauges::default)?;
//! // ... run the workload ...
//! let report = sampler.stop();
//! assert!(!report.samples.is_empty());
//!
//! let env = tracepool_bench::env::probe_environment();
//! assert!(env.cores >= 1);
//! # Ok::<(), tracepool_bench::os::SamplerError>(())
//! ```

pub mod env;
pub mod interrupt;
pub mod os;
pub mod output;
pub mod overhead;
pub mod report;
pub mod runner;
pub mod scenarios;
