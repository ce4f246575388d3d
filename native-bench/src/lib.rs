//! The tracepool benchmark runner's library: runs, OS metrics, the environment probe,
//! reports and output files, shared by the `tracepool-bench` command line, the
//! criterion benches and the examples.
//!
//! - [`runner`] runs one workload under one model ([`RunSpec`](runner::RunSpec)) and
//!   measures it from the inside (the crawl's report) and the outside (the OS sampler),
//!   as a [`RunRecord`](tracepool::report::record::RunRecord) with its time series.
//!   The plan's scenarios it runs are [`tracepool::report::Scenario`], defined in core.
//! - [`os`] reads process metrics (CPU time, RSS, peak RSS, threads, open file
//!   descriptors) from the operating system and samples them, with the application's
//!   own gauges, into the [`Sample`](tracepool::report::record::Sample) time series of a run.
//! - [`http`] is the http workload: the seeded graph served over HTTP on loopback, and
//!   the plugins that crawl it with real requests.
//! - [`fd_limit`] lowers the limit of open file descriptors for a run, and puts it
//!   back.
//! - [`env`](mod@env) describes the machine and the build a report was measured on, as an
//!   [`Environment`](tracepool::report::record::Environment).
//! - [`report`] renders a [`Report`](tracepool::report::record::Report) as a summary table,
//!   Markdown and self-contained HTML, and writes a report directory whole.
//! - [`output`] checks output files before the work and writes them without replacing
//!   what stands at their path.
//! - [`interrupt`] stops runs on request (Ctrl-C): the crawl is cancelled and its
//!   partial record returned.
//! - [`overhead`] holds the no-op workloads that measure the pool's own cost.
//!
//! The OS metrics are made for Linux, where every one is available; on macOS and
//! Windows the ones the system does not tell are `None` (`null` in a record, `n/a` in
//! a table), never 0: see [`os`].
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
pub mod fd_limit;
pub mod http;
pub mod interrupt;
pub mod os;
pub mod output;
pub mod overhead;
pub mod report;
pub mod runner;
