//! The workloads of the `overhead` benchmark group, shared with the `noop` example:
//! no-op jobs at most `concurrency` in flight, on one thread.
//!
//! [`run_flat`] is the path `tracepool-bench run --workload flat --latency-ms 0` takes
//! (the runner, its sampler and its record), and [`run_flat_buffer_unordered`] its peer
//! on the same jobs, so that the group's figures and the command line's compare.

use std::sync::Arc;

use futures::StreamExt;
use tracepool::Pool;
use tracepool::crawl::Model;
use tracepool::report::Workload;
use tracepool::sim::SleepStats;
use tracepool::timer::AsyncIoTimer;

use crate::interrupt::Interrupt;
use crate::runner::{self, RunSpec};

/// The spec of `tracepool-bench run --workload flat --latency-ms 0 --traces <jobs>
/// --concurrency <C>`.
pub fn flat_spec(jobs: u64, concurrency: usize) -> RunSpec {
    RunSpec {
        workload: Workload::Flat,
        model: Model::Pool,
        traces: usize::try_from(jobs).unwrap_or(usize::MAX),
        concurrency,
        latency_ms: 0.0,
        failure_rate: 0.0,
        ..RunSpec::default()
    }
}

/// `jobs` no-op jobs of the flat workload through the runner, as
/// `tracepool-bench run --workload flat --latency-ms 0` runs them: the pool fed by the
/// jobs' stream, the OS sampler alongside. Returns how many jobs ended.
///
/// # Panics
///
/// If the spec is out of range (a `concurrency` of 0, `jobs` above the runner's limit) or the
/// sampler cannot start.
pub fn run_flat(jobs: u64, concurrency: usize) -> u64 {
    let output = runner::run(
        &flat_spec(jobs, concurrency),
        None,
        |_| {},
        &Interrupt::new(),
    )
    .expect("a valid flat run");
    output.record.outcomes.completed
}

/// The same jobs as [`run_flat`] ([`runner::flat_jobs`]) through
/// `futures::stream::StreamExt::buffer_unordered` under `async_io::block_on`, as the
/// runner drives the pool: the peer of the command line's flat run. Returns how many
/// jobs ended.
///
/// # Panics
///
/// If `concurrency` is 0.
pub fn run_flat_buffer_unordered(jobs: u64, concurrency: usize) -> u64 {
    assert!(
        concurrency > 0,
        "buffer_unordered needs a limit of at least 1"
    );
    let jobs = runner::flat_jobs(
        &flat_spec(jobs, concurrency),
        Arc::new(AsyncIoTimer),
        Arc::new(SleepStats::new()),
    );
    async_io::block_on(jobs.buffer_unordered(concurrency).count()) as u64
}

/// `jobs` no-op jobs through the pool: a producer task submits them, the driver's
/// outcome stream is consumed, both on one thread. Returns how many outcomes came out.
///
/// # Panics
///
/// If `concurrency` is 0.
pub fn pool(jobs: u64, concurrency: usize) -> u64 {
    let (pool, driver) = Pool::builder()
        .max_concurrency(concurrency)
        .queue_capacity(1024)
        .build()
        .expect("max_concurrency must be at least 1");
    futures::executor::block_on(async {
        let producer = async {
            for i in 0..jobs {
                pool.submit(async move { Ok::<u64, ()>(i) })
                    .await
                    .expect("the pool is closed only after the loop");
            }
            pool.close();
        };
        futures::join!(producer, driver.count()).1 as u64
    })
}

/// The same jobs through a pool fed by their stream
/// ([`PoolBuilder::build_stream`](tracepool::PoolBuilder::build_stream)): no producer
/// task, no queue. Returns how many outcomes came out.
///
/// # Panics
///
/// If `concurrency` is 0.
pub fn pool_stream(jobs: u64, concurrency: usize) -> u64 {
    let jobs = futures::stream::iter(0..jobs).map(|i| async move { Ok::<u64, ()>(i) });
    let (_pool, driver) = Pool::builder()
        .max_concurrency(concurrency)
        .build_stream(jobs)
        .expect("max_concurrency must be at least 1");
    futures::executor::block_on(driver.count()) as u64
}

/// The same jobs through `futures::stream::StreamExt::buffer_unordered`, the pool's
/// single-thread peer. Returns how many outputs came out.
///
/// # Panics
///
/// If `concurrency` is 0.
pub fn buffer_unordered(jobs: u64, concurrency: usize) -> u64 {
    futures::executor::block_on(
        futures::stream::iter(0..jobs)
            .map(|i| async move { Ok::<u64, ()>(i) })
            .buffer_unordered(concurrency)
            .count(),
    ) as u64
}
