//! The tracepool benchmark runner's native side: OS metrics.
//!
//! - [`os`] reads process metrics (CPU time, RSS, peak RSS, threads, open file
//!   descriptors) from the operating system and samples them, with the application's
//!   own gauges, into the [`Sample`](tracepool::record::Sample) time series of a run.
//!
//! It is made for Linux, where every metric is available; on other Unix systems the
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
//! # Ok::<(), tracepool_bench::os::SamplerError>(())
//! ```

pub mod os;
