//! The pool's behavioural suite on tokio's multi-thread runtime, and a check that
//! spawned jobs use more than one core.

mod pool_common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use futures::StreamExt;
use pool_common::{InFlight, Tokio, job};
use tracepool::Pool;

common_suite!(Tokio::new());

/// With `build_spawned`, CPU-heavy jobs run on several worker threads while the
/// driver still holds the bound. 64 jobs of 2 ms of spinning each, C = 8, two
/// workers: for every job to land on one thread, the other worker would have to get
/// no CPU at all for the whole run.
#[test]
fn spawned_cpu_heavy_jobs_run_on_more_than_one_thread() {
    const C: usize = 8;
    let exec = Tokio::new();
    let handle = exec.handle().clone();
    let threads = Arc::new(Mutex::new(HashSet::<ThreadId>::new()));
    let in_flight = InFlight::default();
    exec.handle().block_on(async {
        let (pool, driver) = Pool::builder()
            .max_concurrency(C)
            .queue_capacity(64)
            .build_spawned(move |task| {
                handle.spawn(task);
            })
            .unwrap();
        for i in 0..64u64 {
            let (threads, in_flight) = (Arc::clone(&threads), in_flight.clone());
            pool.submit(job(async move {
                let _slot = in_flight.enter();
                threads.lock().unwrap().insert(std::thread::current().id());
                let start = Instant::now();
                let mut spins = 0u64;
                while start.elapsed() < Duration::from_millis(2) {
                    spins = std::hint::black_box(spins + 1);
                }
                Ok(i)
            }))
            .await
            .unwrap();
        }
        pool.close();
        let done: Vec<_> = driver.collect().await;
        assert_eq!(done.len(), 64);
        assert!(pool.metrics().peak_in_flight <= C as u64);
    });
    assert!(in_flight.max() <= C);
    let threads = threads.lock().unwrap().len();
    assert!(threads >= 2, "all jobs ran on {threads} thread");
}
