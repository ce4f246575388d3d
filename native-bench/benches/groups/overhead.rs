//! Group `overhead`: 1,000,000 no-op jobs at C = 64 and C = 10,000 through the pool
//! (fed by a producer task with `submit`, and fed by the jobs' stream) and its peers,
//! side by side in one run: `buffer_unordered`, a tokio semaphore with a spawn per job,
//! barriered batches of C (`barrier_batches`) and unbounded spawns. `cli_flat` is the
//! path of `tracepool-bench run --workload flat --latency-ms 0` (the runner, its
//! sampler and its record) and `cli_flat_buffer_unordered` the same jobs through
//! `buffer_unordered`, so the group's figures and the command line's compare.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};

const JOBS: u64 = 1_000_000;

/// The pool, jobs submitted by a producer task, outcomes consumed from the stream,
/// both on one `futures::executor` thread.
fn pool(c: usize) -> u64 {
    tracepool_bench::overhead::pool(JOBS, c)
}

/// The pool fed by the jobs' stream (`build_stream`), on one thread.
fn pool_stream(c: usize) -> u64 {
    tracepool_bench::overhead::pool_stream(JOBS, c)
}

/// `futures::stream::StreamExt::buffer_unordered` on one thread.
fn buffer_unordered(c: usize) -> u64 {
    tracepool_bench::overhead::buffer_unordered(JOBS, c)
}

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// A tokio `Semaphore` permit, then `tokio::spawn`, per job.
fn semaphore_spawn(rt: &tokio::runtime::Runtime, c: usize) -> u64 {
    rt.block_on(async {
        let semaphore = Arc::new(tokio::sync::Semaphore::new(c));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        for i in 0..JOBS {
            let permit = Arc::clone(&semaphore).acquire_owned().await.expect("open");
            let tx = tx.clone();
            tokio::spawn(async move {
                let _ = tx.send(i);
                drop(permit);
            });
        }
        drop(tx);
        let mut n = 0;
        while rx.recv().await.is_some() {
            n += 1;
        }
        n
    })
}

/// `tokio::spawn` for every job at once, no limit.
fn unbounded_spawn(rt: &tokio::runtime::Runtime) -> u64 {
    rt.block_on(async {
        let handles: Vec<_> = (0..JOBS).map(|i| tokio::spawn(async move { i })).collect();
        let mut n = 0;
        for h in handles {
            h.await.expect("job");
            n += 1;
        }
        n
    })
}

/// Batches of C jobs, each awaited whole (`join_all`) before the next starts: the
/// barrier of the previous model alone. Not [`Model::Previous`], which runs a crawl
/// (dedup, a semaphore per trace) through the crawl engine.
///
/// [`Model::Previous`]: tracepool::crawl::Model::Previous
fn barrier_batches(c: usize) -> u64 {
    futures::executor::block_on(async {
        let mut n = 0;
        let mut next = 0;
        while next < JOBS {
            let end = (next + c as u64).min(JOBS);
            let batch =
                futures::future::join_all((next..end).map(|i| async move { Ok::<u64, ()>(i) }));
            n += batch.await.len() as u64;
            next = end;
        }
        n
    })
}

fn timed(iters: u64, mut f: impl FnMut() -> u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        assert_eq!(f(), JOBS);
    }
    start.elapsed()
}

fn overhead_group(c: &mut Criterion) {
    let rt = tokio_runtime();
    let mut group = c.benchmark_group("overhead");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(4));
    group.throughput(Throughput::Elements(JOBS));
    for limit in [64usize, 10_000] {
        group.bench_function(BenchmarkId::new("pool", limit), |b| {
            b.iter_custom(|iters| timed(iters, || pool(limit)))
        });
        group.bench_function(BenchmarkId::new("pool_stream", limit), |b| {
            b.iter_custom(|iters| timed(iters, || pool_stream(limit)))
        });
        group.bench_function(BenchmarkId::new("buffer_unordered", limit), |b| {
            b.iter_custom(|iters| timed(iters, || buffer_unordered(limit)))
        });
        group.bench_function(BenchmarkId::new("cli_flat", limit), |b| {
            b.iter_custom(|iters| timed(iters, || tracepool_bench::overhead::run_flat(JOBS, limit)))
        });
        group.bench_function(BenchmarkId::new("cli_flat_buffer_unordered", limit), |b| {
            b.iter_custom(|iters| {
                timed(iters, || {
                    tracepool_bench::overhead::run_flat_buffer_unordered(JOBS, limit)
                })
            })
        });
        group.bench_function(BenchmarkId::new("tokio_semaphore_spawn", limit), |b| {
            b.iter_custom(|iters| timed(iters, || semaphore_spawn(&rt, limit)))
        });
        group.bench_function(BenchmarkId::new("barrier_batches", limit), |b| {
            b.iter_custom(|iters| timed(iters, || barrier_batches(limit)))
        });
    }
    group.bench_function(BenchmarkId::new("unbounded_spawn", "none"), |b| {
        b.iter_custom(|iters| timed(iters, || unbounded_spawn(&rt)))
    });
    group.finish();
}

criterion_group!(overhead, overhead_group);
