//! The pool's public types can cross threads whenever its jobs can.

use futures::future::{BoxFuture, LocalBoxFuture};
use tracepool::{
    BuildError, Completion, Driver, Gauge, JobHandle, JobId, Metrics, Outcome, OutcomeKind, Pool,
    PoolBuilder, SubmitError, TrySubmitError,
};

type Job = BoxFuture<'static, Result<u64, String>>;

fn send<T: Send>() {}
fn send_sync<T: Send + Sync>() {}
fn unpin<T: Unpin>() {}
fn send_value<T: Send>(_: &T) {}

#[test]
fn pool_halves_and_handles_are_send_and_sync_for_send_jobs() {
    send_sync::<Pool<Job>>();
    send_sync::<JobHandle<u64, String>>();
    // The driver is polled through `&mut`: it only needs to move between threads
    // (to be spawned), which is what `Send` gives.
    send::<Driver<Job>>();
    unpin::<Driver<Job>>();
    unpin::<JobHandle<u64, String>>();
    send_sync::<PoolBuilder>();
}

#[test]
fn plain_values_are_send_and_sync() {
    send_sync::<Completion<u64, String>>();
    send_sync::<Outcome<u64, String>>();
    send_sync::<OutcomeKind>();
    send_sync::<JobId>();
    send_sync::<Metrics>();
    send_sync::<Gauge>();
    send_sync::<BuildError>();
}

/// Submit errors hold the job handed back: `Send` with `Send` jobs, `Sync` too when
/// the job is.
#[test]
fn submit_errors_follow_their_job() {
    send::<SubmitError<Job>>();
    send::<TrySubmitError<Job>>();
    type SyncJob = futures::future::Ready<Result<u64, String>>;
    send_sync::<SubmitError<SyncJob>>();
    send_sync::<TrySubmitError<SyncJob>>();
}

/// The futures a submitter awaits can be spawned on a multi-thread executor.
#[test]
fn submit_and_run_futures_are_send() {
    let (pool, driver) = Pool::builder().max_concurrency(1).build::<Job>().unwrap();
    let job: Job = Box::pin(async { Ok(1) });
    send_value(&pool.submit(job));
    let job: Job = Box::pin(async { Ok(2) });
    send_value(&pool.submit_with_handle(job));
    send_value(&driver.run());
}

/// `build` accepts jobs that are not `Send`, for single-threaded executors and the
/// browser.
#[test]
fn inline_pool_runs_jobs_that_are_not_send() {
    use futures::StreamExt;
    use std::rc::Rc;
    type LocalJob = LocalBoxFuture<'static, Result<u64, String>>;
    let (pool, driver) = Pool::builder()
        .max_concurrency(2)
        .build::<LocalJob>()
        .unwrap();
    let shared = Rc::new(5u64);
    for _ in 0..3 {
        let shared = Rc::clone(&shared);
        pool.try_submit(Box::pin(async move { Ok(*shared) }))
            .unwrap();
    }
    pool.close();
    let values: Vec<_> = futures::executor::block_on(driver.map(|c| c.outcome).collect());
    assert_eq!(values, vec![Outcome::Completed(5); 3]);
}
