//! The pool's public types can cross threads whenever its jobs can; the crawl's and
//! the timers' sendable flavours are `Send`, and a local crawl's handles are too.

use std::sync::Arc;
use std::time::Duration;

use futures::future::{BoxFuture, LocalBoxFuture};
use tracepool::crawl::{
    Canceller, CrawlConfig, CrawlReport, Crawler, GaugeReader, LocalCrawlConfig, LocalCrawler,
};
use tracepool::plugin::{LocalPlugin, LocalRegistry, Registry};
use tracepool::timer::{LocalTimer, Sleep, Timer};
use tracepool::{
    BuildError, Completion, Driver, Gauge, JobHandle, JobId, Metrics, Outcome, OutcomeKind, Plugin,
    Pool, PoolBuilder, SubmitError, TrySubmitError,
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

#[derive(Debug)]
struct NoWait;

impl Timer for NoWait {
    fn sleep(&self, _: Duration) -> Sleep {
        Box::pin(async {})
    }
}

/// A pool with a sendable timer keeps every promise above: its builder, and the
/// driver of a spawned pool, whose jobs carry their deadline to other threads.
#[test]
fn pools_with_a_sendable_timer_are_send() {
    let builder = Pool::builder()
        .max_concurrency(2)
        .timeout(Duration::from_secs(1))
        .timer(NoWait);
    send_value(&builder);
    let (pool, driver) = builder.build_spawned::<Job>(drop).unwrap();
    send_value(&pool);
    send_value(&driver);
    send_value(&driver.run());
}

/// The sendable flavour of the crawl is `Send + Sync`, and so is the future of a
/// crawl (with a `Send` observer): it can be spawned on a multi-thread runtime.
#[test]
fn crawl_types_and_futures_are_send() {
    send_sync::<Registry>();
    send_sync::<CrawlConfig>();
    send_sync::<Crawler>();
    send_sync::<CrawlReport>();
    send_sync::<Canceller>();
    send_sync::<GaugeReader>();
    let config: CrawlConfig = CrawlConfig {
        timeout: Some(Duration::from_secs(1)),
        timer: Some(Arc::new(NoWait)),
        ..CrawlConfig::default()
    };
    let crawler = Crawler::new(Registry::new(), config).unwrap();
    send_value(&crawler.run(Vec::new(), |_| {}));
}

/// A local crawl's canceller and gauge can still go to another thread.
#[test]
fn local_crawl_handles_are_send_and_sync() {
    let crawler = LocalCrawler::new(LocalRegistry::new(), LocalCrawlConfig::default()).unwrap();
    fn send_sync_value<T: Send + Sync>(_: &T) {}
    send_sync_value(&crawler.canceller());
    send_sync_value(&crawler.gauge());
}

/// Sendable timers and plugins are local ones too; their sleeps are `Send`.
#[test]
fn sendable_timers_and_plugins_are_local_ones_too() {
    fn local_timer<T: LocalTimer + ?Sized>() {}
    fn local_plugin<P: LocalPlugin + ?Sized>() {}
    send::<Sleep>();
    send_sync::<Arc<dyn Timer>>();
    local_timer::<dyn Timer>();
    local_timer::<NoWait>();
    local_plugin::<dyn Plugin>();
    #[cfg(feature = "async-io")]
    {
        send_sync::<tracepool::timer::AsyncIoTimer>();
        send_sync::<tracepool::timer::FinishingTimer>();
        local_timer::<tracepool::timer::FinishingTimer>();
    }
}
