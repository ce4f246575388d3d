//! Shared helpers and the behavioural suite of the pool, written once and run on
//! every executor the crate claims to support, the browser's included.
//!
//! An [`Executor`] runs a future to completion, spawns tasks and provides a
//! [`Timer`]; [`Mode`] chooses between [`PoolBuilder::build`] (jobs polled inside the
//! driver), [`PoolBuilder::build_spawned`] (each job its own task) and
//! [`PoolBuilder::build_stream`] (jobs pulled from a stream). The [`pool_suite!`]
//! macro turns every function of a module into one `#[test]` per mode (inline and
//! spawned); [`async_pool_suite!`] does the same for the async functions of
//! [`suite`], which the browser runs as they are (it cannot block on a future);
//! [`edges_suite!`] does it for [`edges`] natively, in all three modes, whose pools
//! are made by [`rig`].
//!
//! On `wasm32` jobs, the timer and spawned tasks need not be `Send` ([`MaybeSend`]),
//! and only [`Mode::Inline`] exists: spawned jobs must be `Send`, the browser's timer
//! is not.
//!
//! Nothing here asserts on wall time: sleeps only give jobs a reason to be pending,
//! and timeouts are only ever raced against jobs that can never finish.
#![allow(dead_code, unreachable_pub)]

#[cfg(not(target_arch = "wasm32"))]
pub mod edges;
pub mod suite;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
#[cfg(not(target_arch = "wasm32"))]
use std::time::Duration;

use futures::future::BoxFuture;
#[cfg(not(target_arch = "wasm32"))]
use futures::future::FutureExt;
#[cfg(not(target_arch = "wasm32"))]
use futures::{
    channel::mpsc,
    stream::{BoxStream, FusedStream},
};
#[cfg(not(target_arch = "wasm32"))]
use tracepool::timer::Sleep;
#[cfg(not(target_arch = "wasm32"))]
use tracepool::{Completion, Timer};
use tracepool::{Driver, Pool, PoolBuilder};

/// `Send` natively, nothing on `wasm32`, where the browser's futures are not `Send`.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSend: Send {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send + ?Sized> MaybeSend for T {}

/// `Send` natively, nothing on `wasm32`, where the browser's futures are not `Send`.
#[cfg(target_arch = "wasm32")]
pub trait MaybeSend {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSend for T {}

/// The job type of every test: `Send` natively, so that both modes accept it.
#[cfg(not(target_arch = "wasm32"))]
pub type Job = BoxFuture<'static, Result<u64, String>>;

/// The job type of every test: local in the browser, where jobs sleep on its timer.
#[cfg(target_arch = "wasm32")]
pub type Job = futures::future::LocalBoxFuture<'static, Result<u64, String>>;

/// A task's output, as [`Executor::spawn`] hands it back.
#[cfg(not(target_arch = "wasm32"))]
pub type Task<T> = BoxFuture<'static, T>;

/// A task's output, as [`Executor::spawn`] hands it back.
#[cfg(target_arch = "wasm32")]
pub type Task<T> = futures::future::LocalBoxFuture<'static, T>;

/// How the suite holds its timer: sendable natively, local in the browser.
#[cfg(not(target_arch = "wasm32"))]
pub type TimerRef = Arc<dyn Timer>;

/// How the suite holds its timer: sendable natively, local in the browser.
#[cfg(target_arch = "wasm32")]
pub type TimerRef = std::rc::Rc<dyn tracepool::timer::LocalTimer>;

/// The driver of [`build`]'s pools (`Driver<Job>` natively).
pub type SuiteDriver = Driver<Job, futures::stream::Empty<Job>, TimerRef>;

/// Boxes a job.
pub fn job(f: impl Future<Output = Result<u64, String>> + MaybeSend + 'static) -> Job {
    Box::pin(f)
}

/// A spawner as the executors hand it out.
pub type SpawnFn = Arc<dyn Fn(BoxFuture<'static, ()>) + Send + Sync>;

/// What the suite needs from an async runtime.
pub trait Executor {
    /// Runs `fut` to completion on the current thread, driving the runtime.
    #[cfg(not(target_arch = "wasm32"))]
    fn block_on<T>(&self, fut: impl Future<Output = T>) -> T;

    /// A spawner for [`PoolBuilder::build_spawned`].
    #[cfg(not(target_arch = "wasm32"))]
    fn spawner(&self) -> SpawnFn;

    /// Spawns `fut` as a task of its own; the returned future yields its output.
    fn spawn<T: MaybeSend + 'static>(
        &self,
        fut: impl Future<Output = T> + MaybeSend + 'static,
    ) -> Task<T>;

    /// A timer that works on this executor.
    fn timer(&self) -> TimerRef;
}

/// How the pool runs its jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// [`PoolBuilder::build`]: jobs polled inside the driver.
    Inline,
    /// [`PoolBuilder::build_spawned`]: each started job spawned on the executor.
    Spawned,
    /// [`PoolBuilder::build_stream`]: jobs polled inside the driver, pulled from a
    /// stream (see [`rig`]).
    Stream,
}

/// Builds a pool in `mode` (inline or spawned), with the executor's timer installed.
#[cfg(not(target_arch = "wasm32"))]
pub fn build<E: Executor>(exec: &E, mode: Mode, builder: PoolBuilder) -> (Pool<Job>, SuiteDriver) {
    let builder = builder.shared_timer(exec.timer());
    match mode {
        Mode::Inline => builder.build().expect("valid configuration"),
        Mode::Spawned => {
            let spawn = exec.spawner();
            builder
                .build_spawned(move |task| spawn(task))
                .expect("valid configuration")
        }
        Mode::Stream => panic!("stream-fed pools are made by `rig`"),
    }
}

#[cfg(not(target_arch = "wasm32"))]
/// A driver of any mode, boxed.
pub type AnyDriver = std::pin::Pin<Box<dyn FusedStream<Item = Completion<u64, String>> + Send>>;

#[cfg(not(target_arch = "wasm32"))]
/// A pool of any mode, with the way its jobs come in.
pub struct Rig {
    pub pool: Pool<Job>,
    pub driver: AnyDriver,
    /// The source stream's sender for [`Mode::Stream`]; `None` once closed.
    feed: Option<mpsc::UnboundedSender<Job>>,
    mode: Mode,
}

#[cfg(not(target_arch = "wasm32"))]
/// Builds a pool in any `mode`, with the executor's timer installed (unless the
/// builder has one already: a later `timer` call wins). A stream-fed pool pulls its
/// jobs from a channel that [`Rig::add`] feeds.
pub fn rig<E: Executor>(exec: &E, mode: Mode, builder: PoolBuilder) -> Rig {
    rig_with_timer(exec, mode, builder.shared_timer(exec.timer()))
}

#[cfg(not(target_arch = "wasm32"))]
/// As [`rig`], leaving the builder's timer as it is.
pub fn rig_with_timer<E: Executor>(exec: &E, mode: Mode, builder: PoolBuilder) -> Rig {
    let (pool, driver, feed): (_, AnyDriver, _) = match mode {
        Mode::Inline => {
            let (pool, driver) = builder.build().expect("valid configuration");
            (pool, Box::pin(driver), None)
        }
        Mode::Spawned => {
            let spawn = exec.spawner();
            let (pool, driver) = builder
                .build_spawned(move |task| spawn(task))
                .expect("valid configuration");
            (pool, Box::pin(driver), None)
        }
        Mode::Stream => {
            let (tx, rx) = mpsc::unbounded::<Job>();
            let source: BoxStream<'static, Job> = Box::pin(rx);
            let (pool, driver) = builder.build_stream(source).expect("valid configuration");
            (pool, Box::pin(driver), Some(tx))
        }
    };
    Rig {
        pool,
        driver,
        feed,
        mode,
    }
}

#[cfg(not(target_arch = "wasm32"))]
/// Adds jobs to a [`Rig`]'s pool the way its mode's jobs come in, apart from the rig.
#[derive(Clone)]
pub struct Feeder {
    pool: Pool<Job>,
    feed: Option<mpsc::UnboundedSender<Job>>,
}

#[cfg(not(target_arch = "wasm32"))]
impl Feeder {
    /// Adds a job: submitted (waiting for room), or sent down the source stream.
    pub async fn add(&self, job: Job) {
        match &self.feed {
            Some(feed) => feed.unbounded_send(job).expect("the driver is alive"),
            None => {
                self.pool.submit(job).await.expect("the pool is open");
            }
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Rig {
    /// Adds a job the way this mode's jobs come in: submitted (waiting for room), or
    /// sent down the source stream.
    pub async fn add(&self, job: Job) {
        assert!(
            self.mode != Mode::Stream || self.feed.is_some(),
            "the source has ended"
        );
        self.feeder().add(job).await;
    }

    /// A [`Feeder`] for this rig's pool.
    pub fn feeder(&self) -> Feeder {
        Feeder {
            pool: self.pool.clone(),
            feed: self.feed.clone(),
        }
    }

    /// No more jobs: closes the pool, or ends the source stream (which closes it).
    pub fn close(&mut self) {
        match self.feed.take() {
            Some(feed) => drop(feed),
            None => {
                self.pool.close();
            }
        }
    }
}

/// Builds a pool in `mode` (inline only: spawned jobs must be `Send`), with the
/// executor's timer installed.
#[cfg(target_arch = "wasm32")]
pub fn build<E: Executor>(exec: &E, mode: Mode, builder: PoolBuilder) -> (Pool<Job>, SuiteDriver) {
    assert_eq!(
        mode,
        Mode::Inline,
        "spawned jobs must be Send: not in the browser"
    );
    builder
        .shared_local_timer(exec.timer())
        .build()
        .expect("valid configuration")
}

// ---------------------------------------------------------------------------------
// Executors

/// tokio's multi-thread runtime with two workers.
#[cfg(not(target_arch = "wasm32"))]
pub struct Tokio {
    rt: tokio::runtime::Runtime,
}

#[cfg(not(target_arch = "wasm32"))]
impl Tokio {
    pub fn new() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .expect("tokio runtime");
        Tokio { rt }
    }

    pub fn handle(&self) -> &tokio::runtime::Handle {
        self.rt.handle()
    }
}

#[cfg(not(target_arch = "wasm32"))]
/// [`Timer`] on `tokio::time`; the sleep must be created inside the runtime.
#[derive(Debug, Clone, Copy)]
pub struct TokioTimer;

#[cfg(not(target_arch = "wasm32"))]
impl Timer for TokioTimer {
    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Executor for Tokio {
    fn block_on<T>(&self, fut: impl Future<Output = T>) -> T {
        self.rt.block_on(fut)
    }

    fn spawner(&self) -> SpawnFn {
        let handle = self.rt.handle().clone();
        Arc::new(move |task| {
            handle.spawn(task);
        })
    }

    fn spawn<T: Send + 'static>(
        &self,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> BoxFuture<'static, T> {
        let task = self.rt.spawn(fut);
        async move { task.await.expect("spawned task panicked") }.boxed()
    }

    fn timer(&self) -> Arc<dyn Timer> {
        Arc::new(TokioTimer)
    }
}

#[cfg(not(target_arch = "wasm32"))]
/// smol: `smol::block_on` and its global executor, with async-io's timer.
pub struct Smol;

#[cfg(not(target_arch = "wasm32"))]
impl Executor for Smol {
    fn block_on<T>(&self, fut: impl Future<Output = T>) -> T {
        smol::block_on(fut)
    }

    fn spawner(&self) -> SpawnFn {
        Arc::new(|task| smol::spawn(task).detach())
    }

    fn spawn<T: Send + 'static>(
        &self,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> BoxFuture<'static, T> {
        smol::spawn(fut).boxed()
    }

    fn timer(&self) -> Arc<dyn Timer> {
        async_io_timer()
    }
}

#[cfg(not(target_arch = "wasm32"))]
/// `futures::executor`: `block_on` on the test thread, a two-thread `ThreadPool` for
/// spawned tasks, async-io's timer (its reactor runs on a thread of its own).
pub struct Futures {
    threads: futures::executor::ThreadPool,
}

#[cfg(not(target_arch = "wasm32"))]
impl Futures {
    pub fn new() -> Self {
        let threads = futures::executor::ThreadPool::builder()
            .pool_size(2)
            .create()
            .expect("thread pool");
        Futures { threads }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Executor for Futures {
    fn block_on<T>(&self, fut: impl Future<Output = T>) -> T {
        futures::executor::block_on(fut)
    }

    fn spawner(&self) -> SpawnFn {
        let threads = self.threads.clone();
        Arc::new(move |task| threads.spawn_ok(task))
    }

    fn spawn<T: Send + 'static>(
        &self,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> BoxFuture<'static, T> {
        use futures::task::SpawnExt;
        self.threads
            .spawn_with_handle(fut)
            .expect("thread pool accepts tasks")
            .boxed()
    }

    fn timer(&self) -> Arc<dyn Timer> {
        async_io_timer()
    }
}

#[cfg(not(target_arch = "wasm32"))]
/// The crate's own `AsyncIoTimer` when its feature is on, else the same thing here.
pub fn async_io_timer() -> Arc<dyn Timer> {
    #[cfg(feature = "async-io")]
    {
        Arc::new(tracepool::timer::AsyncIoTimer)
    }
    #[cfg(not(feature = "async-io"))]
    {
        Arc::new(LocalAsyncIoTimer)
    }
}

#[cfg(all(not(feature = "async-io"), not(target_arch = "wasm32")))]
#[derive(Debug, Clone, Copy)]
struct LocalAsyncIoTimer;

#[cfg(all(not(feature = "async-io"), not(target_arch = "wasm32")))]
impl Timer for LocalAsyncIoTimer {
    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(async move {
            async_io::Timer::after(duration).await;
        })
    }
}

// ---------------------------------------------------------------------------------
// Job helpers

/// Counts jobs in flight from inside the jobs, and the most seen at once.
#[derive(Debug, Clone, Default)]
pub struct InFlight(Arc<(AtomicUsize, AtomicUsize)>);

impl InFlight {
    /// Counts one job in until the guard is dropped (the job ends or is dropped).
    pub fn enter(&self) -> InFlightGuard {
        let now = self.0.0.fetch_add(1, Ordering::SeqCst) + 1;
        self.0.1.fetch_max(now, Ordering::SeqCst);
        InFlightGuard(self.clone())
    }

    pub fn current(&self) -> usize {
        self.0.0.load(Ordering::SeqCst)
    }

    pub fn max(&self) -> usize {
        self.0.1.load(Ordering::SeqCst)
    }
}

#[derive(Debug)]
pub struct InFlightGuard(InFlight);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.0.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Returns `Pending` once (waking itself), then `Ready`.
pub fn yield_now() -> YieldNow {
    YieldNow(false)
}

#[derive(Debug)]
pub struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// Prefix of every panic message a test raises on purpose: the one the shared hook
/// keeps quiet.
pub const DELIBERATE: &str = tracepool::sim::SIMULATED_PANIC;

/// A non-string panic payload raised on purpose.
#[allow(unused_imports)]
pub use tracepool::sim::SimulatedPanic as DeliberatePanic;

/// Keeps the deliberate panics of jobs out of the test output; other panics are
/// reported as usual.
#[allow(unused_imports)]
pub use tracepool::sim::quiet_simulated_panics as quiet_deliberate_panics;

/// Instantiates the functions `$suite::$name(&exec, mode)` as tests, one module per
/// mode; `$suite` is a module nameable where the macro is invoked. `$make` builds a
/// fresh executor for each test.
#[macro_export]
macro_rules! pool_suite {
    ($make:expr, $suite:ident; $($name:ident),+ $(,)?) => {
        mod inline {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $name() {
                    let exec = $make;
                    super::$suite::$name(&exec, $crate::pool_common::Mode::Inline);
                }
            )+
        }

        mod spawned {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $name() {
                    let exec = $make;
                    super::$suite::$name(&exec, $crate::pool_common::Mode::Spawned);
                }
            )+
        }
    };
}

/// Like [`pool_suite!`], for async functions: each test blocks on
/// `$suite::$name(&exec, mode)` with the executor's `block_on`.
#[macro_export]
macro_rules! async_pool_suite {
    ($make:expr, $suite:ident; $($name:ident),+ $(,)?) => {
        mod inline {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $name() {
                    let exec = $make;
                    $crate::pool_common::Executor::block_on(
                        &exec,
                        super::$suite::$name(&exec, $crate::pool_common::Mode::Inline),
                    );
                }
            )+
        }

        mod spawned {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $name() {
                    let exec = $make;
                    $crate::pool_common::Executor::block_on(
                        &exec,
                        super::$suite::$name(&exec, $crate::pool_common::Mode::Spawned),
                    );
                }
            )+
        }
    };
}

/// Instantiates the functions `$crate::pool_common::edges::$name(&exec, mode)` as
/// tests, one module per mode (inline, spawned, stream-fed); native only.
#[macro_export]
macro_rules! edges_suite {
    ($make:expr; $($name:ident),+ $(,)?) => {
        #[cfg(not(target_arch = "wasm32"))]
        mod edges {
            #[allow(unused_imports)]
            use super::*;
            $crate::edges_suite!(@mode $make, inline, Inline; $($name),+);
            $crate::edges_suite!(@mode $make, spawned, Spawned; $($name),+);
            $crate::edges_suite!(@mode $make, stream, Stream; $($name),+);
        }
    };
    (@mode $make:expr, $module:ident, $mode:ident; $($name:ident),+) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $name() {
                    let exec = $make;
                    $crate::pool_common::edges::$name(&exec, $crate::pool_common::Mode::$mode);
                }
            )+
        }
    };
}

/// Every test of [`suite`] and of [`edges`], for one executor.
#[macro_export]
macro_rules! common_suite {
    ($make:expr) => {
        use $crate::pool_common::suite as common_suite;
        $crate::async_pool_suite!(
            $make,
            common_suite;
            bound_is_never_exceeded,
            every_accepted_job_ends_exactly_once,
            handle_outcomes_go_to_handles_only,
            cancel_queued_job_never_starts,
            cancel_running_job_drops_it,
            cancel_after_end_keeps_the_outcome,
            run_drives_jobs_with_handles,
            dropping_every_pool_closes_it,
            stream_is_fused_after_its_end,
            ids_increase_in_submission_order,
            gauge_reports_queue_and_in_flight,
        );
        $crate::edges_suite!(
            $make;
            a_started_job_is_not_queued,
            started_parents_make_room_for_their_children,
            counters_are_current_when_an_outcome_is_observable,
            latency_counts_the_time_spent_in_polls,
            cancelling_a_queued_job_resolves_it_now,
            panics_in_the_drop_of_unstarted_jobs_are_caught,
            panics_in_the_drop_of_jobs_dropped_with_the_driver_are_caught,
            a_panic_payload_that_panics_when_dropped_is_caught,
            a_deadline_past_the_clocks_range_is_no_deadline,
            a_timeout_counts_from_the_jobs_start,
        );
    };
}
