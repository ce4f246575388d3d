//! tracepool: a runtime-agnostic bounded worker pool and a trace-crawl engine.
//!
//! The [`Pool`] runs async jobs with at most `C` of them in flight, on whatever
//! executor polls its [`Driver`]: tokio, smol, `futures::executor`, the browser.
//! Every accepted job ends in exactly one [`Outcome`]: completed, failed, timed out,
//! panicked or cancelled.
//!
//! The rest of the crate builds on it:
//!
//! - [`trace`] and [`plugin`]: typed traces (`kind:value`), the [`Plugin`] trait that
//!   turns one trace into new ones, and the [`Registry`] of plugins per kind;
//! - [`crawl`]: the deduplicating crawl engine, with the bounded pool and the two
//!   models it replaced ([`crawl::Model`]) as interchangeable schedulers;
//! - [`sim`]: a seeded synthetic workload (graph, latencies, failures) and the flat
//!   workload, sleeping through an injected [`Timer`];
//! - `report` (with the `report` feature): run records and reports (serde,
//!   versioned), the verdicts drawn from them, and SVG charts, shared by the native
//!   runner and the browser.
//!
//! # Sendable or local
//!
//! Plugins, timers and the crawler come in two flavours. [`Plugin`], [`Timer`] and
//! [`Crawler`](crawl::Crawler) are `Send`, for multi-thread runtimes: a crawl's future
//! can be spawned with `tokio::spawn`. [`LocalPlugin`], [`LocalTimer`] and
//! [`LocalCrawler`](crawl::LocalCrawler) need not be, for the browser (where a `fetch`
//! or a `setTimeout` is not `Send`) and single-threaded executors. The pool runs jobs
//! of either kind and takes either timer ([`PoolBuilder::local_timer`]). The
//! [`timer`] module says why the flavours are two traits each.
//!
//! # Features
//!
//! - `report`: the `report` module (run records, reports, findings, charts) and its
//!   `serde_json` dependency. Without it the crate is the pool, the crawl engine and
//!   the simulated workload alone.
//! - `async-io` (native only): `timer::AsyncIoTimer` and `timer::FinishingTimer`,
//!   precise timers on async-io's reactor.
//! - `browser` (`wasm32` only; absent natively, even with `--all-features`):
//!   `timer::BrowserTimer`, the browser's `setTimeout` through `gloo-timers`.
//!
//! # Using more than one core
//!
//! [`PoolBuilder::build`] polls every job inside the driver's task: one core, the least
//! overhead. For CPU-heavy jobs on a multi-thread runtime, [`PoolBuilder::build_spawned`]
//! spawns each started job as its own task, e.g. with `|task| { tokio::spawn(task); }`;
//! the driver still never lets more than `C` run.
//!
//! # Examples
//!
//! ```
//! use futures::StreamExt;
//! use tracepool::{Outcome, Pool};
//!
//! # futures::executor::block_on(async {
//! let (pool, mut driver) = Pool::builder().max_concurrency(4).build()?;
//! for n in 1..=3u64 {
//!     pool.submit(async move {
//!         if n == 2 { Err("two is right out") } else { Ok(n * 10) }
//!     })
//!     .await?;
//! }
//! pool.close();
//!
//! let mut ok = Vec::new();
//! let mut failed = 0;
//! while let Some(done) = driver.next().await {
//!     match done.outcome {
//!         Outcome::Completed(v) => ok.push(v),
//!         Outcome::Failed(_) => failed += 1,
//!         other => panic!("unexpected {other:?}"),
//!     }
//! }
//! ok.sort();
//! assert_eq!((ok, failed), (vec![10, 30], 1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod crawl;
pub mod metrics;
pub mod outcome;
pub mod plugin;
pub mod pool;
#[cfg(feature = "report")]
#[cfg_attr(docsrs, doc(cfg(feature = "report")))]
pub mod report;
pub mod sim;
pub mod timer;
pub mod trace;

pub use metrics::{Gauge, LatencySummary, Metrics};
pub use outcome::{Completion, JobId, Outcome, OutcomeKind, Outcomes};
pub use plugin::{LocalPlugin, LocalRegistry, Plugin, PluginError, PluginErrorKind, Registry};
pub use pool::{
    BuildError, Driver, JobHandle, Pool, PoolBuilder, Spawn, SubmitError, TrySubmitError,
};
pub use sim::{FlatWorkload, SimConfig, SimWorkload};
pub use timer::{LocalTimer, Timer};
pub use trace::{Trace, TraceKind};
