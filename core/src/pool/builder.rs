//! [`PoolBuilder`](super::PoolBuilder): a pool's settings, their validation, and the
//! three ways to build one.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use futures::channel::mpsc;
use futures::future::TryFuture;
use futures::stream::Stream;

use crate::metrics::Recorder;
use crate::timer::{LocalTimer, SharedTimer, Sleep, Timer};

use super::driver::{Driver, Exec, Outbox};
use super::error::BuildError;
use super::queue::{Queue, Shared};
use super::running::{Done, Running};
use super::slots::Slots;
use super::spawned::{Spawn, Spawned, SpawnedJob};
use super::submit::Pool;
use super::sync::{AtomicBool, AtomicU32, AtomicU64, AtomicWaker, Mutex};

/// Queue capacity used when [`PoolBuilder::queue_capacity`](super::PoolBuilder::queue_capacity) is not called.
pub const DEFAULT_QUEUE_CAPACITY: usize = 1024;

/// Configures and builds a pool. See [`Pool::builder`](super::Pool::builder).
///
/// `T` is how the pool holds the timer of its [`timeout`](Self::timeout): an
/// `Arc<dyn Timer>` by default, whose sleeps are `Send`, or an `Rc<dyn LocalTimer>`
/// once [`local_timer`](Self::local_timer) is called, for single-threaded executors
/// and the browser. The [`timer`](crate::timer) module says why there are two.
#[derive(Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct PoolBuilder<T = Arc<dyn Timer>> {
    pub(super) max_concurrency: Option<usize>,
    pub(super) queue_capacity: Option<usize>,
    pub(super) timeout: Option<Duration>,
    pub(super) timer: Option<T>,
}

impl<T> Default for PoolBuilder<T> {
    fn default() -> Self {
        PoolBuilder {
            max_concurrency: None,
            queue_capacity: None,
            timeout: None,
            timer: None,
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for PoolBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolBuilder")
            .field("max_concurrency", &self.max_concurrency)
            .field("queue_capacity", &self.queue_capacity)
            .field("timeout", &self.timeout)
            .field("timer", &self.timer)
            .finish()
    }
}

impl<T> PoolBuilder<T> {
    /// The most jobs in flight at once, `C`. Required, at least 1.
    pub fn max_concurrency(mut self, max_concurrency: usize) -> Self {
        self.max_concurrency = Some(max_concurrency);
        self
    }

    /// How many accepted jobs may wait for a slot before [`Pool::submit`](super::Pool::submit) waits and
    /// [`Pool::try_submit`](super::Pool::try_submit) answers [`TrySubmitError::Full`](super::TrySubmitError::Full). At least 1; default
    /// [`DEFAULT_QUEUE_CAPACITY`].
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.queue_capacity = Some(capacity);
        self
    }

    /// A job still running this long after it started is dropped and ends as
    /// [`Outcome::TimedOut`](crate::Outcome::TimedOut); its slot is freed at once. Needs a [`timer`](Self::timer).
    ///
    /// The deadline is fixed when the job starts: the pool asks the timer for the
    /// sleep then and polls it once before the job's first poll, so that it counts
    /// from the start even with a timer that reads the clock on a sleep's first
    /// poll. A timeout whose deadline lies past what the clock can hold (such as
    /// [`Duration::MAX`]) is no deadline: the timer is not even asked.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The timer that enforces [`timeout`](Self::timeout).
    pub fn timer(self, timer: impl Timer) -> PoolBuilder {
        self.with_timer(Arc::new(timer))
    }

    /// The same as [`timer`](Self::timer), for a timer already shared.
    pub fn shared_timer(self, timer: Arc<dyn Timer>) -> PoolBuilder {
        self.with_timer(timer)
    }

    /// A timer whose sleeps need not be `Send` (the browser's, a virtual clock in an
    /// `Rc`) enforces [`timeout`](Self::timeout). The driver is then not `Send`, and
    /// only [`build`](Self::build) and [`build_stream`](Self::build_stream) remain:
    /// spawned jobs carry their deadline to other threads.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use std::time::Duration;
    /// use futures::StreamExt;
    /// use futures::future::LocalBoxFuture;
    /// use tracepool::timer::{LocalSleep, LocalTimer};
    /// use tracepool::{Outcome, Pool};
    ///
    /// /// Ends every sleep at once; local, as the browser's timer is.
    /// #[derive(Debug)]
    /// struct Now;
    ///
    /// impl LocalTimer for Now {
    ///     fn sleep(&self, _: Duration) -> LocalSleep {
    ///         Box::pin(async {})
    ///     }
    /// }
    ///
    /// type Job = LocalBoxFuture<'static, Result<u32, ()>>;
    /// let (pool, driver) = Pool::builder()
    ///     .max_concurrency(2)
    ///     .timeout(Duration::from_secs(5))
    ///     .local_timer(Now)
    ///     .build::<Job>()?;
    /// // A job holding an `Rc`, that never ends: the timer's deadline ends it.
    /// let shared = Rc::new(3);
    /// pool.try_submit(Box::pin(async move {
    ///     futures::future::pending::<()>().await;
    ///     Ok(*shared)
    /// }))?;
    /// pool.close();
    /// let outcomes: Vec<_> = futures::executor::block_on(driver.map(|c| c.outcome).collect());
    /// assert_eq!(outcomes, [Outcome::TimedOut]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn local_timer(self, timer: impl LocalTimer) -> PoolBuilder<Rc<dyn LocalTimer>> {
        self.with_timer(Rc::new(timer))
    }

    /// The same as [`local_timer`](Self::local_timer), for a timer already shared.
    pub fn shared_local_timer(self, timer: Rc<dyn LocalTimer>) -> PoolBuilder<Rc<dyn LocalTimer>> {
        self.with_timer(timer)
    }

    /// The same settings with `timer`, held as `U`.
    pub(crate) fn with_timer<U>(self, timer: U) -> PoolBuilder<U> {
        PoolBuilder {
            max_concurrency: self.max_concurrency,
            queue_capacity: self.queue_capacity,
            timeout: self.timeout,
            timer: Some(timer),
        }
    }
}

impl<T: SharedTimer> PoolBuilder<T> {
    pub(super) fn validate(&self) -> Result<Config<T>, BuildError> {
        let max_concurrency = match self.max_concurrency {
            None => return Err(BuildError::MissingMaxConcurrency),
            Some(0) => return Err(BuildError::ZeroMaxConcurrency),
            Some(c) => c,
        };
        let queue_capacity = match self.queue_capacity {
            Some(0) => return Err(BuildError::ZeroQueueCapacity),
            Some(q) => q,
            None => DEFAULT_QUEUE_CAPACITY,
        };
        let timeout = match (self.timeout, &self.timer) {
            (Some(t), _) if t.is_zero() => return Err(BuildError::ZeroTimeout),
            (Some(_), None) => return Err(BuildError::TimeoutWithoutTimer),
            (Some(t), Some(timer)) => Some((t, timer.clone())),
            (None, _) => None,
        };
        Ok(Config {
            max_concurrency,
            queue_capacity,
            timeout,
        })
    }

    /// Builds a pool whose jobs are polled inside its [`Driver`](super::Driver).
    ///
    /// Jobs need not be `Send`: this works on single-threaded executors and in the
    /// browser. All jobs share the driver's task, hence one core.
    ///
    /// # Errors
    ///
    /// A [`BuildError`](super::BuildError) naming the invalid field.
    #[allow(clippy::type_complexity)] // the two halves, as every `build*` returns
    pub fn build<F: TryFuture>(
        self,
    ) -> Result<(Pool<F>, Driver<F, futures::stream::Empty<F>, T>), BuildError> {
        let config = self.validate()?;
        Ok(make(config, Exec::Inline(Slots::new()), None))
    }

    /// Builds a pool fed by the stream `jobs` as well as by its [`Pool`](super::Pool) handles; its
    /// jobs are polled inside the [`Driver`](super::Driver), as with [`build`](Self::build).
    ///
    /// Whenever a slot is free and the queue is empty, the driver pulls the next job
    /// from `jobs`, the way `buffer_unordered` does: those jobs never wait in the
    /// queue, and nothing is pulled that could not start. The pool closes when the
    /// stream ends (the returned [`Pool`](super::Pool) can add jobs until then, and gives metrics
    /// and [`Pool::abort`](super::Pool::abort) throughout); dropping every `Pool` handle does not close it
    /// before. [`Pool::close`](super::Pool::close) and [`Pool::abort`](super::Pool::abort) drop the stream unread: jobs not
    /// pulled by then were never accepted. A panic in the stream's `poll_next` ends
    /// it there, as if it had ended.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::StreamExt;
    /// use tracepool::Pool;
    ///
    /// # futures::executor::block_on(async {
    /// let jobs = futures::stream::iter(0..100u64).map(|i| async move { Ok::<u64, ()>(i) });
    /// let (pool, driver) = Pool::builder().max_concurrency(8).build_stream(jobs)?;
    /// let outcomes: Vec<_> = driver.collect().await;
    /// assert_eq!(outcomes.len(), 100);
    /// assert!(pool.metrics().peak_in_flight <= 8);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// A [`BuildError`](super::BuildError) naming the invalid field.
    #[allow(clippy::type_complexity)] // the two halves, as every `build*` returns
    pub fn build_stream<S>(
        self,
        jobs: S,
    ) -> Result<(Pool<S::Item>, Driver<S::Item, S, T>), BuildError>
    where
        S: Stream,
        S::Item: TryFuture,
    {
        let config = self.validate()?;
        Ok(make(config, Exec::Inline(Slots::new()), Some(jobs)))
    }
}

impl PoolBuilder {
    /// Builds a pool whose [`Driver`](super::Driver) spawns each started job as its own task through
    /// `spawner`, so that CPU-heavy jobs use every core of a multi-thread executor.
    /// The driver still starts a job only while fewer than `C` are in flight.
    ///
    /// # Errors
    ///
    /// A [`BuildError`](super::BuildError) naming the invalid field.
    pub fn build_spawned<F>(self, spawner: impl Spawn) -> Result<(Pool<F>, Driver<F>), BuildError>
    where
        F: TryFuture + Send + 'static,
        F::Ok: Send + 'static,
        F::Error: Send + 'static,
    {
        let config = self.validate()?;
        let (done_tx, done_rx) = mpsc::unbounded::<Done<F::Ok, F::Error>>();
        let launch = move |running: Pin<Box<Running<F, Sleep>>>, shared: Arc<Shared>| {
            let task = SpawnedJob {
                running: Some(running),
                done_tx: done_tx.clone(),
                shared,
            };
            spawner.spawn(Box::pin(task));
        };
        let exec = Exec::Spawned(Spawned {
            launch: Box::new(launch),
            done_rx,
            running: HashMap::new(),
        });
        Ok(make(config, exec, None))
    }
}

pub(super) struct Config<T> {
    pub(super) max_concurrency: usize,
    pub(super) queue_capacity: usize,
    pub(super) timeout: Option<(Duration, T)>,
}

pub(super) fn make<F: TryFuture, S, T: SharedTimer>(
    config: Config<T>,
    exec: Exec<F, T::Sleep>,
    source: Option<S>,
) -> (Pool<F>, Driver<F, S, T>) {
    let shared = Arc::new(Shared {
        recorder: Recorder::new(),
        aborted: AtomicBool::new(false),
        cancels: AtomicBool::new(false),
        driver_waker: AtomicWaker::new(),
        space: event_listener::Event::new(),
        max_concurrency: config.max_concurrency,
        queue_capacity: config.queue_capacity,
        accepted: AtomicU64::new(0),
        dequeued: AtomicU64::new(0),
        space_wanted: AtomicBool::new(false),
        closed: AtomicBool::new(false),
        stream_fed: source.is_some(),
    });
    let queue = Arc::new(Mutex::new(Queue {
        items: VecDeque::new(),
        closed: false,
        // The source stream, if any, holds the queue open like a `Pool` handle.
        handles: 1 + usize::from(source.is_some()),
        driver: None,
    }));
    let pool = Pool {
        shared: Arc::clone(&shared),
        queue: Arc::clone(&queue),
        submitted: AtomicU32::new(0),
    };
    let driver = Driver {
        shared,
        queue,
        exec,
        out: Outbox::new(),
        taken: VecDeque::new(),
        source: source.map(Box::pin),
        source_ready: false,
        dequeued: 0,
        queue_done: false,
        abort_handled: false,
        timeout: config.timeout,
    };
    (pool, driver)
}
