//! `HeapTimer` with 10,000 concurrent sleeps on the executors the crate supports
//! natively (`async_io::block_on`, smol, tokio), and as the pool's timer.
//!
//! Nothing here asserts on how late a sleep ends: only that none ends early and every
//! one ends.
#![cfg(all(feature = "async-io", not(target_arch = "wasm32")))]

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use tracepool::timer::{HeapTimer, Timer};
use tracepool::{OutcomeKind, Pool};

const SLEEPS: u64 = 10_000;

/// The `n`th sleep's duration: spread over 0 to 50 ms, many of them equal.
fn duration(n: u64) -> Duration {
    Duration::from_micros(n * 7_919 % 50_000 / 100 * 100)
}

/// Sleeps the `n`th duration and returns whether it ended no earlier than asked.
fn sleep(timer: &HeapTimer, n: u64) -> impl Future<Output = bool> + Send + 'static {
    let asked = duration(n);
    let start = Instant::now();
    let sleep = Timer::sleep(timer, asked);
    async move {
        sleep.await;
        start.elapsed() >= asked
    }
}

/// Runs all sleeps in one task (the driver's way) and counts the ones on time.
async fn all_in_one_task(timer: &HeapTimer) -> u64 {
    let sleeps: FuturesUnordered<_> = (0..SLEEPS).map(|n| sleep(timer, n)).collect();
    sleeps
        .filter(|on_time| std::future::ready(*on_time))
        .count()
        .await as u64
}

#[test]
fn ten_thousand_sleeps_end_under_async_io_block_on() {
    let timer = HeapTimer::new();
    assert_eq!(async_io::block_on(all_in_one_task(&timer)), SLEEPS);
}

#[test]
fn ten_thousand_sleeps_end_on_smol_tasks() {
    let timer = HeapTimer::new();
    let on_time = smol::block_on(async {
        let tasks: Vec<_> = (0..SLEEPS).map(|n| smol::spawn(sleep(&timer, n))).collect();
        futures::future::join_all(tasks).await
    });
    assert_eq!(on_time.len() as u64, SLEEPS);
    assert!(on_time.into_iter().all(|ok| ok));
    // And all in one task on smol's `block_on`.
    assert_eq!(smol::block_on(all_in_one_task(&timer)), SLEEPS);
}

#[test]
fn ten_thousand_sleeps_end_on_tokio_tasks() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let timer = HeapTimer::new();
    let on_time = runtime.block_on(async {
        let tasks: Vec<_> = (0..SLEEPS)
            .map(|n| tokio::spawn(sleep(&timer, n)))
            .collect();
        let mut on_time = 0u64;
        for task in tasks {
            on_time += u64::from(task.await.unwrap());
        }
        on_time
    });
    assert_eq!(on_time, SLEEPS);
    // And all in one task, opted out of tokio's cooperative budget as a driver should.
    let on_time = runtime.block_on(tokio::task::unconstrained(all_in_one_task(&timer)));
    assert_eq!(on_time, SLEEPS);
}

/// Half the sleeps are dropped before their deadline (as a pool drops a job's timeout
/// when the job ends first): the others still end, on time.
#[test]
fn dropped_sleeps_leave_the_others_alone() {
    let timer = HeapTimer::new();
    let on_time = async_io::block_on(async {
        let sleeps: FuturesUnordered<BoxFuture<'static, Option<bool>>> = (0..SLEEPS)
            .map(|n| {
                let sleep = sleep(&timer, n);
                if n % 2 == 0 {
                    Box::pin(async move { Some(sleep.await) }) as BoxFuture<'static, _>
                } else {
                    let cut = Timer::sleep(&timer, duration(n) / 2);
                    Box::pin(async move {
                        futures::pin_mut!(sleep);
                        match futures::future::select(sleep, cut).await {
                            futures::future::Either::Left((on_time, _)) => Some(on_time),
                            futures::future::Either::Right(_) => None,
                        }
                    })
                }
            })
            .collect();
        sleeps
            .filter_map(std::future::ready)
            .collect::<Vec<bool>>()
            .await
    });
    // Sleeps of 0 or 100 µs may end before their cut of half that; all are on time.
    assert!(on_time.len() as u64 >= SLEEPS / 2);
    assert!(on_time.into_iter().all(|ok| ok));
}

/// The pool's timeouts on a heap timer: jobs that never end time out, the others
/// complete.
#[test]
fn the_pool_times_jobs_out_on_a_heap_timer() {
    let timer = HeapTimer::new();
    let (pool, driver) = Pool::builder()
        .max_concurrency(1_000)
        .queue_capacity(2_000)
        .timeout(Duration::from_millis(20))
        .timer(timer.clone())
        .build::<BoxFuture<'static, Result<u64, ()>>>()
        .unwrap();
    let timer = Arc::new(timer);
    let outcomes = async_io::block_on(async {
        for n in 0..2_000u64 {
            let timer = Arc::clone(&timer);
            let job: BoxFuture<'static, Result<u64, ()>> = if n % 2 == 0 {
                Box::pin(async move {
                    Timer::sleep(&*timer, duration(n) / 10).await;
                    Ok(n)
                })
            } else {
                Box::pin(std::future::pending())
            };
            pool.try_submit(job).unwrap();
        }
        pool.close();
        driver.collect::<Vec<_>>().await
    });
    assert_eq!(outcomes.len(), 2_000);
    let mut completed: Vec<u64> = outcomes
        .iter()
        .filter_map(|c| c.outcome.clone().completed())
        .collect();
    completed.sort_unstable();
    assert_eq!(completed, (0..2_000).step_by(2).collect::<Vec<_>>());
    let timed_out = outcomes
        .iter()
        .filter(|c| c.outcome.kind() == OutcomeKind::TimedOut)
        .count();
    assert_eq!(timed_out, 1_000);
}
