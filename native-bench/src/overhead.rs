//! The workloads of the `overhead` benchmark group, shared with the `noop` example:
//! no-op jobs at most `c` in flight, on one `futures::executor` thread.

use futures::StreamExt;
use tracepool::Pool;

/// `jobs` no-op jobs through the pool: a producer task submits them, the driver's
/// outcome stream is consumed, both on one thread. Returns how many outcomes came out.
///
/// # Panics
///
/// If `c` is 0.
pub fn pool(jobs: u64, c: usize) -> u64 {
    let (pool, driver) = Pool::builder()
        .max_concurrency(c)
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
/// If `c` is 0.
pub fn pool_stream(jobs: u64, c: usize) -> u64 {
    let jobs = futures::stream::iter(0..jobs).map(|i| async move { Ok::<u64, ()>(i) });
    let (_pool, driver) = Pool::builder()
        .max_concurrency(c)
        .build_stream(jobs)
        .expect("max_concurrency must be at least 1");
    futures::executor::block_on(driver.count()) as u64
}

/// The same jobs through `futures::stream::StreamExt::buffer_unordered`, the pool's
/// single-thread peer. Returns how many outputs came out.
///
/// # Panics
///
/// If `c` is 0.
pub fn buffer_unordered(jobs: u64, c: usize) -> u64 {
    futures::executor::block_on(
        futures::stream::iter(0..jobs)
            .map(|i| async move { Ok::<u64, ()>(i) })
            .buffer_unordered(c)
            .count(),
    ) as u64
}
