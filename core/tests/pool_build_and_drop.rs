//! The pool's edges outside the traps' table: build errors naming their field, a
//! dropped driver keeping the spawned jobs' outcomes, and panics in the drop of a job's
//! output.

mod pool_common;

use std::sync::{Arc, Mutex};
use std::task::Context;
use std::time::Duration;

use futures::StreamExt;
use futures::future::{BoxFuture, FutureExt};
use pool_common::{DELIBERATE, Job, Mode, job, quiet_deliberate_panics};
use tracepool::{BuildError, Outcome, OutcomeKind, Pool};

/// Long enough that nothing in these tests finishes near it by accident; only jobs
/// that can never finish are raced against it.
const TIMEOUT: Duration = Duration::from_millis(5);

/// Every invalid configuration is a typed error whose message names the field, in
/// both build modes.
#[test]
fn build_errors_name_the_field() {
    type Built = Result<(), BuildError>;
    let inline = |b: tracepool::PoolBuilder| -> Built { b.build::<Job>().map(drop) };
    let spawned = |b: tracepool::PoolBuilder| -> Built {
        b.build_spawned::<Job>(|task: BoxFuture<'static, ()>| drop(task))
            .map(drop)
    };
    let timer = pool_common::async_io_timer();
    let cases = [
        (
            Pool::builder(),
            BuildError::MissingMaxConcurrency,
            "max_concurrency",
        ),
        (
            Pool::builder().max_concurrency(0),
            BuildError::ZeroMaxConcurrency,
            "max_concurrency",
        ),
        (
            Pool::builder().max_concurrency(1).queue_capacity(0),
            BuildError::ZeroQueueCapacity,
            "queue_capacity",
        ),
        (
            Pool::builder()
                .max_concurrency(1)
                .timeout(Duration::ZERO)
                .shared_timer(Arc::clone(&timer)),
            BuildError::ZeroTimeout,
            "timeout",
        ),
        (
            Pool::builder().max_concurrency(1).timeout(TIMEOUT),
            BuildError::TimeoutWithoutTimer,
            "timer",
        ),
    ];
    for (builder, error, field) in cases {
        for build in [&inline as &dyn Fn(_) -> Built, &spawned] {
            let got = build(builder.clone()).unwrap_err();
            assert_eq!(got, error);
            assert_eq!(got.field(), field);
            assert!(
                got.to_string().contains(got.accepted()) || got.accepted().starts_with("set"),
                "{got} does not say what {field} accepts"
            );
            assert!(
                got.to_string().contains(field),
                "{got} does not name {field}"
            );
            let _: &dyn std::error::Error = &got;
        }
    }
    assert!(inline(Pool::builder().max_concurrency(1).queue_capacity(1)).is_ok());
    assert!(inline(Pool::builder().max_concurrency(1).shared_timer(timer)).is_ok());
}

/// A spawner that keeps tasks for the test to poll by hand, so that a spawned job
/// can be made to finish at an exact point.
type Parked = Arc<Mutex<Vec<BoxFuture<'static, ()>>>>;

fn poll_parked(parked: &Parked) {
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    let mut tasks = parked.lock().unwrap();
    tasks.retain_mut(|task| task.poll_unpin(&mut cx).is_pending());
}

/// Dropping the driver while spawned jobs have finished but their outcomes have not
/// been collected yet: those outcomes still reach their handles, and the counters
/// still add up (nothing is left "running").
#[test]
fn dropping_the_driver_keeps_finished_spawned_outcomes() {
    let parked = Parked::default();
    let spawner = {
        let parked = Arc::clone(&parked);
        move |task| parked.lock().unwrap().push(task)
    };
    let (pool, mut driver) = Pool::builder()
        .max_concurrency(2)
        .build_spawned::<Job>(spawner)
        .unwrap();
    let handle = pool.try_submit_with_handle(job(async { Ok(1) })).unwrap();
    pool.try_submit(job(async { Ok(2) })).unwrap();
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    // The driver starts both jobs (spawning them), which have not run yet.
    assert!(driver.poll_next_unpin(&mut cx).is_pending());
    assert_eq!(pool.gauge().in_flight, 2);
    // Both finish and report to the driver, which does not look before it goes.
    poll_parked(&parked);
    drop(driver);
    poll_parked(&parked);
    let done = futures::executor::block_on(handle);
    assert_eq!(done.outcome, Outcome::Completed(1));
    let m = pool.metrics();
    assert_eq!(
        (m.submitted, m.outcomes.finished(), m.outcomes.completed),
        (2, 2, 2)
    );
    assert_eq!(m.running, 0);
}

/// Panics when dropped (a job's output here).
#[derive(Debug)]
struct Loud(u64);

impl Drop for Loud {
    fn drop(&mut self) {
        panic!("{DELIBERATE}: dropping the value {}", self.0);
    }
}

type LoudJob = BoxFuture<'static, Result<Loud, String>>;

type LoudDriver =
    std::pin::Pin<Box<dyn futures::Stream<Item = tracepool::Completion<Loud, String>>>>;

/// Builds a pool of `LoudJob`s fed by `jobs`: inline, spawned on a thread pool, or
/// pulling them from their stream.
fn loud_pool(mode: Mode, jobs: Vec<LoudJob>) -> (Pool<LoudJob>, LoudDriver) {
    let builder = Pool::builder().max_concurrency(4);
    match mode {
        Mode::Stream => {
            let (pool, driver) = builder.build_stream(futures::stream::iter(jobs)).unwrap();
            (pool, Box::pin(driver))
        }
        Mode::Inline | Mode::Spawned => {
            let (pool, driver) = if mode == Mode::Inline {
                builder.build().unwrap()
            } else {
                let threads = futures::executor::ThreadPool::builder()
                    .pool_size(1)
                    .create()
                    .unwrap();
                builder
                    .build_spawned(move |task| threads.spawn_ok(task))
                    .unwrap()
            };
            for job in jobs {
                pool.try_submit(job).map_err(|_| "full").unwrap();
            }
            pool.close();
            (pool, Box::pin(driver))
        }
    }
}

/// A panic in the drop of a job's output never escapes the pool: a job whose own
/// drop panics after it returned such a value ends `Panicked` (the value dropped
/// apart), and outcomes left unread when the driver is dropped are dropped quietly.
/// In every mode.
#[test]
fn panics_in_the_drop_of_a_jobs_output_are_caught() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("{DELIBERATE}: dropping the job");
        }
    }
    quiet_deliberate_panics();
    for mode in [Mode::Inline, Mode::Spawned, Mode::Stream] {
        let both: LoudJob = Box::pin(async {
            let _bomb = PanicOnDrop;
            Ok(Loud(1))
        });
        let unread: Vec<LoudJob> = (2..5)
            .map(|i| -> LoudJob { Box::pin(async move { Ok(Loud(i)) }) })
            .collect();
        let (pool, mut driver) = loud_pool(mode, std::iter::once(both).chain(unread).collect());
        let mut outcomes = Vec::new();
        futures::executor::block_on(async {
            while let Some(done) = driver.next().await {
                let panicked = matches!(done.outcome, Outcome::Panicked(_));
                // Reading a value drops it: that panic is the test's own.
                outcomes.push(done.outcome.kind());
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(done)));
                if !panicked && outcomes.len() >= 2 {
                    break;
                }
            }
        });
        // The outcomes not read yet are dropped with the driver.
        drop(driver);
        assert!(
            outcomes.contains(&OutcomeKind::Panicked),
            "{mode:?}: {outcomes:?}"
        );
        // Spawned jobs still running when the driver went account for themselves.
        for _ in 0..10_000 {
            if pool.metrics().outcomes.finished() == 4 {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let m = pool.metrics();
        assert_eq!(
            (m.submitted, m.outcomes.finished(), m.outcomes.panicked),
            (4, 4, 1),
            "{mode:?}: {m:?}"
        );
    }
}
