//! The bounded worker pool: at most `C` jobs in flight, exactly one outcome per job,
//! on any executor.
//!
//! A pool is two halves made by [`PoolBuilder::build`]:
//!
//! - [`Pool`], a cheap, clonable handle to submit jobs from any number of producers;
//! - [`Driver`], a [`Stream`] of [`Completion`]s that runs the jobs while it is polled.
//!   Poll it from one task (`while let Some(c) = driver.next().await`), or spawn
//!   [`Driver::run`] when every job has its own [`JobHandle`].
//!
//! [`PoolBuilder::build_stream`] feeds the driver from a stream of jobs as well: it
//! pulls the next one whenever a slot is free, like `buffer_unordered`.
//!
//! The driver starts queued jobs only while fewer than `C` are in flight, so the bound
//! holds on every executor: tokio, smol, `futures::executor`, the browser. By default
//! jobs are polled inside the driver, like `buffer_unordered` does: one task, no
//! spawning, the least overhead, one core. For CPU-heavy jobs on a multi-thread
//! executor, [`PoolBuilder::build_spawned`] spawns each started job as its own task
//! through a [`Spawn`]er, so jobs run on every core while the driver still holds the
//! bound.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::task::Waker;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::channel::{mpsc, oneshot};
use futures::future::{BoxFuture, TryFuture};
use futures::stream::{FusedStream, Stream, StreamExt};
use futures::task::AtomicWaker;
use web_time::Instant;

use crate::metrics::{Gauge, LocalRecorder, Metrics, Recorder};
use crate::outcome::{Completion, JobId, Outcome};
use crate::timer::{Sleep, Timer};

mod slots;
use slots::Slots;

/// Queue capacity used when [`PoolBuilder::queue_capacity`] is not called.
pub const DEFAULT_QUEUE_CAPACITY: usize = 1024;

/// How many rounds (admit queued jobs, collect finished ones) the driver runs in one
/// poll before it yields to the executor, so that a flood of ready jobs cannot starve
/// other tasks.
const POLL_BUDGET: usize = 32;

/// [`Pool::submit`] yields to the executor once every this many calls, so that a
/// producer looping on a queue with room cannot starve the driver (and the timers)
/// when both share one thread.
const SUBMIT_BURST: u32 = 64;

/// Returns `Pending` once, asking to be polled again: lets the executor run others.
struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// At most this many queued jobs are started in one round (which reads the clock once):
/// starts and ends then alternate in groups, so a slot freed by a job that ended is
/// reused by the next one while it is still in the cache.
const ADMIT_BATCH: usize = 32;

/// At most this many finished jobs are collected in one round; they share one clock
/// reading.
const ROUND_BATCH: usize = 64;

/// Spawns a task on an executor; used by [`PoolBuilder::build_spawned`].
///
/// Implemented for every `Fn(BoxFuture<'static, ()>)`, so a closure is enough:
/// `|task| { tokio::spawn(task); }`, `|task| smol::spawn(task).detach()`,
/// `|task| thread_pool.spawn_ok(task)`.
pub trait Spawn: Send + Sync + 'static {
    /// Runs `task` to completion in the background.
    ///
    /// If the executor drops the task before it completes (e.g. at runtime shutdown),
    /// its job ends as [`Outcome::Cancelled`].
    fn spawn(&self, task: BoxFuture<'static, ()>);
}

impl<S> Spawn for S
where
    S: Fn(BoxFuture<'static, ()>) + Send + Sync + 'static,
{
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        self(task)
    }
}

/// An invalid pool configuration, naming the field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// `max_concurrency` was not set; it has no default.
    MissingMaxConcurrency,
    /// `max_concurrency` was 0; it must be at least 1.
    ZeroMaxConcurrency,
    /// `queue_capacity` was 0; it must be at least 1.
    ZeroQueueCapacity,
    /// `timeout` was zero; it must be longer than zero.
    ZeroTimeout,
    /// A `timeout` was set without a `timer` to enforce it.
    TimeoutWithoutTimer,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BuildError::MissingMaxConcurrency => "max_concurrency is required (at least 1)",
            BuildError::ZeroMaxConcurrency => "max_concurrency must be at least 1 (got 0)",
            BuildError::ZeroQueueCapacity => "queue_capacity must be at least 1 (got 0)",
            BuildError::ZeroTimeout => "timeout must be longer than zero (got 0)",
            BuildError::TimeoutWithoutTimer => "timeout needs a timer: set one with `timer`",
        })
    }
}

impl std::error::Error for BuildError {}

/// The pool is closed: the job was not accepted and is handed back.
#[derive(Clone, PartialEq, Eq)]
pub struct SubmitError<J>(pub J);

impl<J> SubmitError<J> {
    /// The job that was not accepted.
    pub fn into_inner(self) -> J {
        self.0
    }
}

impl<J> fmt::Debug for SubmitError<J> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SubmitError(..)")
    }
}

impl<J> fmt::Display for SubmitError<J> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("pool is closed")
    }
}

impl<J> std::error::Error for SubmitError<J> {}

/// A job [`Pool::try_submit`] could not accept, handed back.
#[derive(Clone, PartialEq, Eq)]
pub enum TrySubmitError<J> {
    /// The queue is full; try again later.
    Full(J),
    /// The pool is closed; it will never accept the job.
    Closed(J),
}

impl<J> TrySubmitError<J> {
    /// The job that was not accepted.
    pub fn into_inner(self) -> J {
        match self {
            TrySubmitError::Full(job) | TrySubmitError::Closed(job) => job,
        }
    }

    /// Whether the queue was full (as opposed to the pool closed).
    pub fn is_full(&self) -> bool {
        matches!(self, TrySubmitError::Full(_))
    }
}

impl<J> fmt::Debug for TrySubmitError<J> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySubmitError::Full(_) => f.write_str("Full(..)"),
            TrySubmitError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<J> fmt::Display for TrySubmitError<J> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySubmitError::Full(_) => "pool queue is full",
            TrySubmitError::Closed(_) => "pool is closed",
        })
    }
}

impl<J> std::error::Error for TrySubmitError<J> {}

/// Configures and builds a pool. See [`Pool::builder`].
#[derive(Clone, Default)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct PoolBuilder {
    max_concurrency: Option<usize>,
    queue_capacity: Option<usize>,
    timeout: Option<Duration>,
    timer: Option<Arc<dyn Timer>>,
}

impl fmt::Debug for PoolBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolBuilder")
            .field("max_concurrency", &self.max_concurrency)
            .field("queue_capacity", &self.queue_capacity)
            .field("timeout", &self.timeout)
            .field("timer", &self.timer)
            .finish()
    }
}

impl PoolBuilder {
    /// The most jobs in flight at once, `C`. Required, at least 1.
    pub fn max_concurrency(mut self, max: usize) -> Self {
        self.max_concurrency = Some(max);
        self
    }

    /// How many accepted jobs may wait for a slot before [`Pool::submit`] waits and
    /// [`Pool::try_submit`] answers [`TrySubmitError::Full`]. At least 1; default
    /// [`DEFAULT_QUEUE_CAPACITY`].
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.queue_capacity = Some(capacity);
        self
    }

    /// A job still running this long after it started is dropped and ends as
    /// [`Outcome::TimedOut`]; its slot is freed at once. Needs a [`timer`](Self::timer).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The timer that enforces [`timeout`](Self::timeout).
    pub fn timer(mut self, timer: impl Timer) -> Self {
        self.timer = Some(Arc::new(timer));
        self
    }

    /// The same as [`timer`](Self::timer), for a timer already shared.
    pub fn shared_timer(mut self, timer: Arc<dyn Timer>) -> Self {
        self.timer = Some(timer);
        self
    }

    fn validate(&self) -> Result<Config, BuildError> {
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
            (Some(t), Some(timer)) => Some((t, Arc::clone(timer))),
            (None, _) => None,
        };
        Ok(Config {
            max_concurrency,
            queue_capacity,
            timeout,
        })
    }

    /// Builds a pool whose jobs are polled inside its [`Driver`].
    ///
    /// Jobs need not be `Send`: this works on single-threaded executors and in the
    /// browser. All jobs share the driver's task, hence one core.
    ///
    /// # Errors
    ///
    /// A [`BuildError`] naming the invalid field.
    pub fn build<F: TryFuture>(self) -> Result<(Pool<F>, Driver<F>), BuildError> {
        let config = self.validate()?;
        Ok(make(config, Exec::Inline(Slots::new()), None))
    }

    /// Builds a pool fed by the stream `jobs` as well as by its [`Pool`] handles; its
    /// jobs are polled inside the [`Driver`], as with [`build`](Self::build).
    ///
    /// Whenever a slot is free and the queue is empty, the driver pulls the next job
    /// from `jobs`, the way `buffer_unordered` does: those jobs never wait in the
    /// queue, and nothing is pulled that could not start. The pool closes when the
    /// stream ends (the returned [`Pool`] can add jobs until then, and gives metrics
    /// and [`Pool::abort`] throughout); dropping every `Pool` handle does not close it
    /// before. [`Pool::close`] and [`Pool::abort`] drop the stream unread: jobs not
    /// pulled by then were never accepted.
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
    /// A [`BuildError`] naming the invalid field.
    #[allow(clippy::type_complexity)] // the two halves, as every `build*` returns
    pub fn build_stream<S>(self, jobs: S) -> Result<(Pool<S::Item>, Driver<S::Item, S>), BuildError>
    where
        S: Stream,
        S::Item: TryFuture,
    {
        let config = self.validate()?;
        Ok(make(config, Exec::Inline(Slots::new()), Some(jobs)))
    }

    /// Builds a pool whose [`Driver`] spawns each started job as its own task through
    /// `spawner`, so that CPU-heavy jobs use every core of a multi-thread executor.
    /// The driver still starts a job only while fewer than `C` are in flight.
    ///
    /// # Errors
    ///
    /// A [`BuildError`] naming the invalid field.
    pub fn build_spawned<F>(self, spawner: impl Spawn) -> Result<(Pool<F>, Driver<F>), BuildError>
    where
        F: TryFuture + Send + 'static,
        F::Ok: Send + 'static,
        F::Error: Send + 'static,
    {
        let config = self.validate()?;
        let (done_tx, done_rx) = mpsc::unbounded::<Done<F::Ok, F::Error>>();
        let launch = move |running: Running<F>, shared: Arc<Shared>| {
            let task = SpawnedJob {
                running: Some(Box::pin(running)),
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

struct Config {
    max_concurrency: usize,
    queue_capacity: usize,
    timeout: Option<(Duration, Arc<dyn Timer>)>,
}

fn make<F: TryFuture, S>(
    config: Config,
    exec: Exec<F>,
    source: Option<S>,
) -> (Pool<F>, Driver<F, S>) {
    let shared = Arc::new(Shared {
        recorder: Recorder::new(),
        aborted: AtomicBool::new(false),
        abort_waker: AtomicWaker::new(),
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
        out: Outbox {
            local: LocalRecorder::default(),
            ready: VecDeque::new(),
            now: None,
        },
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

/// What every half of a pool shares, whatever its job type.
pub(crate) struct Shared {
    recorder: Recorder,
    aborted: AtomicBool,
    /// The driver's waker for [`Pool::abort`], registered whenever it goes idle.
    abort_waker: AtomicWaker,
    /// Submitters waiting for room in a full queue.
    space: event_listener::Event,
    max_concurrency: usize,
    queue_capacity: usize,
    /// Jobs ever accepted; also the next job id. Written under the queue's lock.
    accepted: AtomicU64,
    /// Accepted jobs that have left the queue; written by the driver only.
    dequeued: AtomicU64,
    /// A submitter found the queue full since the driver last made room.
    space_wanted: AtomicBool,
    /// The queue's `closed`, readable without its lock; set under it.
    closed: AtomicBool,
    /// The driver has a source stream (and takes ids for its jobs).
    stream_fed: bool,
}

impl Shared {
    /// Accepted jobs not started yet.
    fn queued(&self) -> u64 {
        let dequeued = self.dequeued.load(Ordering::Acquire);
        self.accepted
            .load(Ordering::Acquire)
            .saturating_sub(dequeued)
    }
}

/// The queue of accepted jobs waiting for a slot.
struct Queue<E> {
    items: VecDeque<E>,
    closed: bool,
    /// Live [`Pool`] handles, plus one for a driver's source stream until it ends
    /// (which closes the queue); the queue closes when the last one goes.
    handles: usize,
    /// The driver's waker, present while it waits for jobs.
    driver: Option<Waker>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while holding a queue lock except a failing allocation; the
    // queue's state is valid between any two statements, so poisoning is ignored.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Cancellation of one job, shared by its [`JobHandle`] and the job while it runs.
#[derive(Debug, Default)]
struct CancelToken {
    cancelled: AtomicBool,
    waker: AtomicWaker,
}

impl CancelToken {
    fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
        self.waker.wake();
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    fn poll_cancelled(&self, cx: &mut Context<'_>) -> bool {
        if self.is_cancelled() {
            return true;
        }
        self.waker.register(cx.waker());
        self.is_cancelled()
    }
}

type Reply<T, E> = oneshot::Sender<Completion<T, E>>;

/// An accepted job waiting in the queue.
struct Entry<F: TryFuture> {
    id: JobId,
    job: F,
    cancel: Option<Arc<CancelToken>>,
    reply: Option<Reply<F::Ok, F::Error>>,
}

impl<F: TryFuture> Entry<F> {
    /// A job whose outcome goes to the stream; its id is set when it is accepted.
    #[inline]
    fn new(job: F) -> Self {
        Entry {
            id: JobId(0),
            job,
            cancel: None,
            reply: None,
        }
    }
}

/// A job that ended, on its way to its handle or the outcome stream.
struct Done<T, E> {
    id: JobId,
    outcome: Outcome<T, E>,
    started: Instant,
    /// When it ended, if known; otherwise the driver's clock reading of the round that
    /// collected it.
    ended: Option<Instant>,
    reply: Option<Reply<T, E>>,
}

impl<T, E> Done<T, E> {
    fn completion(self, now: Instant) -> (Completion<T, E>, Option<Reply<T, E>>) {
        let completion = Completion {
            id: self.id,
            outcome: self.outcome,
            latency: latency(self.started, self.ended.unwrap_or(now)),
        };
        (completion, self.reply)
    }
}

#[inline]
fn latency(started: Instant, ended: Instant) -> Duration {
    // A job that ended in the round that started it has no measurable latency at the
    // driver's clock resolution; skip the arithmetic.
    if ended == started {
        Duration::ZERO
    } else {
        ended.saturating_duration_since(started)
    }
}

enum Push<F: TryFuture> {
    Accepted(JobId),
    Full(Entry<F>),
    Closed(Entry<F>),
}

/// A submitter's handle on a cheap, clonable pool. See the [module docs](self).
///
/// When every `Pool` handle is dropped, the pool closes: the driver finishes the jobs
/// already accepted and its stream ends.
pub struct Pool<F: TryFuture> {
    shared: Arc<Shared>,
    queue: Arc<Mutex<Queue<Entry<F>>>>,
    /// Submissions through this handle, for [`SUBMIT_BURST`].
    submitted: AtomicU32,
}

impl<F: TryFuture> Clone for Pool<F> {
    fn clone(&self) -> Self {
        lock(&self.queue).handles += 1;
        Pool {
            shared: Arc::clone(&self.shared),
            queue: Arc::clone(&self.queue),
            submitted: AtomicU32::new(0),
        }
    }
}

impl<F: TryFuture> Drop for Pool<F> {
    fn drop(&mut self) {
        release(&self.queue, &self.shared);
    }
}

/// A [`Pool`] handle is gone; the queue closes when the last one goes.
fn release<E>(queue: &Mutex<Queue<E>>, shared: &Shared) {
    let mut queue = lock(queue);
    queue.handles -= 1;
    if queue.handles == 0 {
        queue.closed = true;
        shared.closed.store(true, Ordering::Release);
        let driver = queue.driver.take();
        drop(queue);
        if let Some(waker) = driver {
            waker.wake();
        }
    }
}

impl<F: TryFuture> fmt::Debug for Pool<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("max_concurrency", &self.shared.max_concurrency)
            .field("queue_capacity", &self.shared.queue_capacity)
            .field("closed", &self.is_closed())
            .field("gauge", &self.gauge())
            .finish()
    }
}

impl Pool<BoxFuture<'static, Result<(), ()>>> {
    /// Starts configuring a pool.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::StreamExt;
    /// use tracepool::{Outcome, Pool};
    ///
    /// # futures::executor::block_on(async {
    /// let (pool, mut driver) = Pool::builder()
    ///     .max_concurrency(10)
    ///     .queue_capacity(100)
    ///     .build()?;
    /// for i in 0..50u32 {
    ///     pool.submit(async move { Ok::<u32, String>(i * 2) }).await?;
    /// }
    /// pool.close(); // no more jobs: the stream ends once all 50 are done
    /// let mut sum = 0;
    /// while let Some(done) = driver.next().await {
    ///     if let Outcome::Completed(v) = done.outcome {
    ///         sum += v;
    ///     }
    /// }
    /// assert_eq!(sum, 2450);
    /// assert!(pool.metrics().peak_in_flight <= 10);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn builder() -> PoolBuilder {
        PoolBuilder::default()
    }
}

impl<F: TryFuture> Pool<F> {
    #[inline]
    fn push(&self, mut entry: Entry<F>) -> Push<F> {
        let mut queue = lock(&self.queue);
        if queue.closed {
            return Push::Closed(entry);
        }
        let shared = &self.shared;
        let accepted = shared.accepted.load(Ordering::Acquire);
        let queued = accepted.saturating_sub(shared.dequeued.load(Ordering::Acquire));
        if queued >= shared.queue_capacity as u64 {
            shared.space_wanted.store(true, Ordering::Release);
            return Push::Full(entry);
        }
        let id = if shared.stream_fed {
            // The driver takes ids for its source's jobs without the lock.
            shared.accepted.fetch_add(1, Ordering::AcqRel)
        } else {
            // Pushes are serialised by the lock and the only writers: a plain store
            // cannot lose a count.
            shared.accepted.store(accepted + 1, Ordering::Release);
            accepted
        };
        entry.id = JobId(id);
        queue.items.push_back(entry);
        let driver = queue.driver.take();
        drop(queue);
        if let Some(waker) = driver {
            waker.wake();
        }
        Push::Accepted(JobId(id))
    }

    #[inline]
    fn try_push(&self, entry: Entry<F>) -> Result<JobId, TrySubmitError<F>> {
        match self.push(entry) {
            Push::Accepted(id) => Ok(id),
            Push::Full(entry) => Err(TrySubmitError::Full(entry.job)),
            Push::Closed(entry) => Err(TrySubmitError::Closed(entry.job)),
        }
    }

    async fn push_waiting(&self, mut entry: Entry<F>) -> Result<JobId, SubmitError<F>> {
        // A load and a store, not a read-modify-write: a lost count between racing
        // producers only shifts when one of them yields.
        let submitted = self.submitted.load(Ordering::Relaxed).wrapping_add(1);
        self.submitted.store(submitted, Ordering::Relaxed);
        if submitted % SUBMIT_BURST == 0 {
            YieldNow(false).await;
        }
        loop {
            match self.push(entry) {
                Push::Accepted(id) => return Ok(id),
                Push::Closed(entry) => return Err(SubmitError(entry.job)),
                Push::Full(back) => entry = back,
            }
            // Listen first, then look again: room made in between is not missed.
            let listener = self.shared.space.listen();
            match self.push(entry) {
                Push::Accepted(id) => return Ok(id),
                Push::Closed(entry) => return Err(SubmitError(entry.job)),
                Push::Full(back) => entry = back,
            }
            listener.await;
        }
    }

    #[inline]
    fn entry(job: F) -> Entry<F> {
        Entry::new(job)
    }

    fn entry_with_handle(job: F) -> (Entry<F>, JobHandle<F::Ok, F::Error>) {
        let (reply, rx) = oneshot::channel();
        let cancel = Arc::new(CancelToken::default());
        let handle = JobHandle {
            id: JobId(0),
            rx,
            cancel: Arc::clone(&cancel),
        };
        let entry = Entry {
            id: JobId(0),
            job,
            cancel: Some(cancel),
            reply: Some(reply),
        };
        (entry, handle)
    }

    /// Submits a job, waiting while the queue is full. Its outcome comes out of the
    /// [`Driver`] stream, tagged with the returned id.
    ///
    /// One call in 64 yields to the executor once before submitting, so that a
    /// producer looping on `submit` cannot starve the driver (and the timers of the
    /// running jobs) when both share one thread.
    ///
    /// # Errors
    ///
    /// [`SubmitError`] with the job when the pool is closed.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it completes drops the job unsubmitted; a job is
    /// either accepted (and then ends in exactly one outcome) or handed back.
    pub async fn submit(&self, job: F) -> Result<JobId, SubmitError<F>> {
        self.push_waiting(Self::entry(job)).await
    }

    /// Submits a job if the queue has room, never waiting. Its outcome comes out of
    /// the [`Driver`] stream, tagged with the returned id.
    ///
    /// # Errors
    ///
    /// [`TrySubmitError::Full`] or [`TrySubmitError::Closed`], with the job.
    pub fn try_submit(&self, job: F) -> Result<JobId, TrySubmitError<F>> {
        self.try_push(Self::entry(job))
    }

    /// Submits a job whose outcome goes to the returned [`JobHandle`] instead of the
    /// driver stream, waiting while the queue is full. If the handle is dropped, the
    /// outcome goes to the stream: it is never lost.
    ///
    /// # Errors
    ///
    /// [`SubmitError`] with the job when the pool is closed.
    ///
    /// # Cancel safety
    ///
    /// As for [`submit`](Self::submit).
    pub async fn submit_with_handle(
        &self,
        job: F,
    ) -> Result<JobHandle<F::Ok, F::Error>, SubmitError<F>> {
        let (entry, mut handle) = Self::entry_with_handle(job);
        handle.id = self.push_waiting(entry).await?;
        Ok(handle)
    }

    /// Like [`submit_with_handle`](Self::submit_with_handle), never waiting.
    ///
    /// # Errors
    ///
    /// [`TrySubmitError::Full`] or [`TrySubmitError::Closed`], with the job.
    pub fn try_submit_with_handle(
        &self,
        job: F,
    ) -> Result<JobHandle<F::Ok, F::Error>, TrySubmitError<F>> {
        let (entry, mut handle) = Self::entry_with_handle(job);
        handle.id = self.try_push(entry)?;
        Ok(handle)
    }

    /// Stops accepting jobs. Jobs already accepted still run; the driver stream ends
    /// once they have all ended. Returns `false` if the pool was already closed.
    pub fn close(&self) -> bool {
        let mut queue = lock(&self.queue);
        if queue.closed {
            return false;
        }
        queue.closed = true;
        self.shared.closed.store(true, Ordering::Release);
        let driver = queue.driver.take();
        drop(queue);
        if let Some(waker) = driver {
            waker.wake();
        }
        self.shared.space.notify(usize::MAX);
        true
    }

    /// Stops accepting jobs and cancels every accepted one: queued jobs never start,
    /// running jobs are dropped. Each ends as [`Outcome::Cancelled`] (a job that was
    /// already finishing may still report its own outcome). The driver must still be
    /// polled to deliver those outcomes; its stream then ends.
    pub fn abort(&self) {
        self.shared.aborted.store(true, Ordering::Release);
        self.close();
        self.shared.abort_waker.wake();
    }

    /// Whether the pool has stopped accepting jobs.
    pub fn is_closed(&self) -> bool {
        lock(&self.queue).closed
    }

    /// The configured limit `C`.
    pub fn max_concurrency(&self) -> usize {
        self.shared.max_concurrency
    }

    /// In-flight, peak and queued counts: cheap enough to sample every millisecond.
    pub fn gauge(&self) -> Gauge {
        let queued = self.shared.queued();
        let r = &self.shared.recorder;
        Gauge {
            in_flight: r.in_flight(),
            peak_in_flight: r.peak_in_flight(),
            queued,
            finished: r.finished_total(),
        }
    }

    /// A snapshot of every counter and the latency percentiles.
    pub fn metrics(&self) -> Metrics {
        let accepted = self.shared.accepted.load(Ordering::Acquire);
        let queued = self.shared.queued();
        self.shared.recorder.snapshot(accepted, queued)
    }
}

/// Awaits the outcome of one job submitted with
/// [`Pool::submit_with_handle`]. Only this handle receives that outcome.
///
/// Dropping the handle does not cancel the job (its outcome then goes to the driver
/// stream); call [`cancel`](Self::cancel) for that.
#[must_use = "a job handle does nothing unless awaited or cancelled"]
pub struct JobHandle<T, E> {
    id: JobId,
    rx: oneshot::Receiver<Completion<T, E>>,
    cancel: Arc<CancelToken>,
}

impl<T, E> fmt::Debug for JobHandle<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobHandle")
            .field("id", &self.id)
            .field("cancelled", &self.cancel.is_cancelled())
            .finish()
    }
}

impl<T, E> JobHandle<T, E> {
    /// The job's id.
    pub fn id(&self) -> JobId {
        self.id
    }

    /// Cancels the job: if it has not started it never will; if it runs it is
    /// dropped at once. It then ends as [`Outcome::Cancelled`], unless it had
    /// already ended. Await the handle to learn which.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }
}

impl<T, E> Future for JobHandle<T, E> {
    type Output = Completion<T, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let id = self.id;
        Pin::new(&mut self.rx).poll(cx).map(|result| {
            // The sender only disappears without a reply if the driver was torn down
            // abnormally; the job did not finish, so it was cancelled.
            result.unwrap_or(Completion {
                id,
                outcome: Outcome::Cancelled,
                latency: Duration::ZERO,
            })
        })
    }
}

pin_project_lite::pin_project! {
    /// A started job: the job itself, its deadline, its cancel token.
    struct Running<F: TryFuture> {
        id: JobId,
        #[pin]
        job: Option<F>,
        deadline: Option<Sleep>,
        started: Instant,
        stamp_end: bool,
        cancel: Option<Arc<CancelToken>>,
        reply: Option<Reply<F::Ok, F::Error>>,
    }
}

impl<F: TryFuture> Running<F> {
    /// A running job made of a queued one.
    fn new(entry: Entry<F>, deadline: Option<Sleep>, started: Instant) -> Self {
        Running {
            id: entry.id,
            job: Some(entry.job),
            deadline,
            started,
            stamp_end: false,
            cancel: entry.cancel,
            reply: entry.reply,
        }
    }

    /// Reuses an ended job's place for a queued job.
    #[inline]
    fn restart(self: Pin<&mut Self>, entry: Entry<F>, deadline: Option<Sleep>, started: Instant) {
        let mut this = self.project();
        this.job.set(Some(entry.job));
        *this.id = entry.id;
        *this.deadline = deadline;
        *this.started = started;
        *this.cancel = entry.cancel;
        *this.reply = entry.reply;
    }

    /// Whether the job is still there (it has not ended).
    #[inline]
    fn is_running(&self) -> bool {
        self.job.is_some()
    }

    /// Drops the job, its deadline and cancel token now, and returns the outcome to
    /// report: a job whose drop panics reports the panic instead of a result.
    #[inline]
    fn end_outcome(
        self: Pin<&mut Self>,
        outcome: Outcome<F::Ok, F::Error>,
    ) -> Outcome<F::Ok, F::Error> {
        let mut this = self.project();
        let dropped = catch_unwind(AssertUnwindSafe(|| this.job.set(None)));
        *this.deadline = None;
        *this.cancel = None;
        match (dropped, outcome) {
            (Err(payload), Outcome::Completed(_) | Outcome::Failed(_)) => {
                Outcome::Panicked(panic_message(payload.as_ref()))
            }
            (_, outcome) => outcome,
        }
    }

    /// Ends the job now, dropping it, and returns its completion.
    fn end(mut self: Pin<&mut Self>, outcome: Outcome<F::Ok, F::Error>) -> Done<F::Ok, F::Error> {
        let outcome = self.as_mut().end_outcome(outcome);
        self.done(outcome)
    }

    /// The completion of a job that has ended with `outcome`.
    fn done(self: Pin<&mut Self>, outcome: Outcome<F::Ok, F::Error>) -> Done<F::Ok, F::Error> {
        let this = self.project();
        Done {
            id: *this.id,
            outcome,
            started: *this.started,
            ended: this.stamp_end.then(Instant::now),
            reply: this.reply.take(),
        }
    }

    /// Polls the job (and its cancel token and deadline); once it ends, it has been
    /// dropped and its outcome is returned.
    #[inline]
    fn poll_outcome(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Outcome<F::Ok, F::Error>> {
        let this = self.as_mut().project();
        if let Some(cancel) = this.cancel {
            if cancel.poll_cancelled(cx) {
                return Poll::Ready(self.end_outcome(Outcome::Cancelled));
            }
        }
        assert!(this.job.is_some(), "a finished job was polled again");
        let mut job = this.job;
        // One unwind guard for the poll and, once the job is done, its drop: a panic in
        // either is the job's outcome.
        let polled = catch_unwind(AssertUnwindSafe(|| {
            let poll = job.as_mut().as_pin_mut().map(|job| job.try_poll(cx));
            if matches!(poll, Some(Poll::Ready(_))) {
                job.set(None);
            }
            poll
        }));
        let outcome = match polled {
            Ok(Some(Poll::Ready(result))) => {
                *this.deadline = None;
                *this.cancel = None;
                return Poll::Ready(match result {
                    Ok(value) => Outcome::Completed(value),
                    Err(error) => Outcome::Failed(error),
                });
            }
            Ok(Some(Poll::Pending) | None) => {
                let expired = this
                    .deadline
                    .as_mut()
                    .is_some_and(|d| d.as_mut().poll(cx).is_ready());
                if !expired {
                    return Poll::Pending;
                }
                Outcome::TimedOut
            }
            // The job may still be there (it panicked while polled): `end_outcome`
            // drops it.
            Err(payload) => Outcome::Panicked(panic_message(payload.as_ref())),
        };
        Poll::Ready(self.end_outcome(outcome))
    }
}

impl<F: TryFuture> Future for Running<F> {
    type Output = Done<F::Ok, F::Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let outcome = std::task::ready!(self.as_mut().poll_outcome(cx));
        Poll::Ready(self.done(outcome))
    }
}

pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}

/// A started job spawned on an executor; reports back to the driver even when the
/// executor drops it unfinished.
struct SpawnedJob<F: TryFuture> {
    running: Option<Pin<Box<Running<F>>>>,
    done_tx: mpsc::UnboundedSender<Done<F::Ok, F::Error>>,
    shared: Arc<Shared>,
}

impl<F: TryFuture> SpawnedJob<F> {
    fn report(&mut self, done: Done<F::Ok, F::Error>) {
        if let Err(e) = self.done_tx.unbounded_send(done) {
            // The driver is gone: account for the job here and answer its handle.
            finish_orphan(&self.shared, e.into_inner());
        }
    }
}

/// Accounts for a spawned job that ended after its driver stopped collecting, and
/// answers its handle.
fn finish_orphan<T, E>(shared: &Shared, done: Done<T, E>) {
    let (completion, reply) = done.completion(Instant::now());
    let recorder = &shared.recorder;
    recorder.finished_orphan(completion.outcome.kind(), completion.latency);
    if let Some(reply) = reply {
        let _ = reply.send(completion);
    }
}

impl<F: TryFuture> Future for SpawnedJob<F> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(running) = self.running.as_mut() else {
            return Poll::Ready(());
        };
        let done = std::task::ready!(running.as_mut().poll(cx));
        self.running = None;
        self.report(done);
        Poll::Ready(())
    }
}

impl<F: TryFuture> Drop for SpawnedJob<F> {
    fn drop(&mut self) {
        if let Some(mut running) = self.running.take() {
            let done = running.as_mut().end(Outcome::Cancelled);
            self.report(done);
        }
    }
}

type Launch<F> = Box<dyn Fn(Running<F>, Arc<Shared>) + Send + Sync>;

struct Spawned<F: TryFuture> {
    launch: Launch<F>,
    done_rx: mpsc::UnboundedReceiver<Done<F::Ok, F::Error>>,
    running: HashMap<JobId, Arc<CancelToken>>,
}

enum Exec<F: TryFuture> {
    Inline(Slots<F>),
    Spawned(Spawned<F>),
}

impl<F: TryFuture> Exec<F> {
    fn running(&self) -> usize {
        match self {
            Exec::Inline(slots) => slots.running(),
            Exec::Spawned(s) => s.running.len(),
        }
    }

    /// Collects ended jobs (at most [`ROUND_BATCH`]) into `sink`. Returns whether any
    /// job was polled or collected, and whether none is running any more.
    fn collect(&mut self, cx: &mut Context<'_>, sink: &mut Sink<'_, F>) -> (bool, bool) {
        match self {
            Exec::Inline(slots) => {
                let polled = slots.poll_woken(cx, ROUND_BATCH, sink);
                (polled.is_ready(), slots.running() == 0)
            }
            Exec::Spawned(s) => {
                for n in 0..ROUND_BATCH {
                    if s.running.is_empty() {
                        return (n > 0, true);
                    }
                    let Poll::Ready(done) = s.done_rx.poll_next_unpin(cx) else {
                        return (n > 0, false);
                    };
                    // The driver holds a sender (inside `launch`): the channel never
                    // ends.
                    let done = done.expect("completion channel outlives the driver");
                    s.running.remove(&done.id);
                    sink.finish(done, true);
                }
                (true, s.running.is_empty())
            }
        }
    }
}

/// The driver's accounting and the outcomes waiting to be yielded.
struct Outbox<T, E> {
    local: LocalRecorder,
    ready: VecDeque<Completion<T, E>>,
    /// The clock reading of the current round, taken when first needed.
    now: Option<Instant>,
}

impl<T, E> Outbox<T, E> {
    #[inline]
    fn now(&mut self) -> Instant {
        *self.now.get_or_insert_with(Instant::now)
    }
}

/// Where ended jobs go.
struct Sink<'a, F: TryFuture> {
    shared: &'a Shared,
    out: &'a mut Outbox<F::Ok, F::Error>,
}

impl<F: TryFuture> Sink<'_, F> {
    /// Accounts for an ended job and delivers it: to its handle if it has a live
    /// one, else to the stream.
    fn finish(&mut self, done: Done<F::Ok, F::Error>, started: bool) {
        let (completion, reply) = done.completion(self.out.now());
        self.deliver(completion, reply, started);
    }

    /// Accounts for a job that ended at this round's clock reading.
    #[inline]
    fn ended_now(
        &mut self,
        id: JobId,
        outcome: Outcome<F::Ok, F::Error>,
        started: Instant,
        reply: Option<Reply<F::Ok, F::Error>>,
    ) {
        let completion = Completion {
            id,
            outcome,
            latency: latency(started, self.out.now()),
        };
        self.deliver(completion, reply, true);
    }

    #[inline]
    fn deliver(
        &mut self,
        completion: Completion<F::Ok, F::Error>,
        reply: Option<Reply<F::Ok, F::Error>>,
        started: bool,
    ) {
        let latency = started.then_some(completion.latency);
        self.out
            .local
            .finished(&self.shared.recorder, completion.outcome.kind(), latency);
        let completion = match reply {
            None => completion,
            Some(reply) => match reply.send(completion) {
                Ok(()) => return,
                Err(completion) => completion,
            },
        };
        self.out.ready.push_back(completion);
    }
}

enum QueueState {
    /// Jobs are waiting.
    Ready,
    /// The queue is closed and empty.
    Done,
    /// Empty; the driver's waker is stored.
    Waiting,
}

/// Runs the jobs of a [`Pool`] and yields their [`Completion`]s in completion order.
///
/// Jobs only make progress while the driver is polled: keep one task polling it
/// (`while let Some(c) = driver.next().await`) or spawn [`Driver::run`]. The stream
/// ends once the pool is closed (by [`Pool::close`], [`Pool::abort`] or dropping every
/// `Pool`) and every accepted job has ended.
///
/// Outcomes of jobs submitted with a [`JobHandle`] go to the handle, not the stream.
///
/// Latencies are read from the clock once per driver round (a round starts the
/// queued jobs that fit and collects up to 64 finished ones), which keeps the
/// per-job cost low; their error is the length of a round, microseconds.
///
/// Dropping the driver cancels every accepted job that has not ended: handles receive
/// [`Outcome::Cancelled`], and the metrics count them as cancelled.
#[must_use = "jobs only run while the driver is polled"]
pub struct Driver<F: TryFuture, S = futures::stream::Empty<F>> {
    shared: Arc<Shared>,
    queue: Arc<Mutex<Queue<Entry<F>>>>,
    exec: Exec<F>,
    out: Outbox<F::Ok, F::Error>,
    /// Queued jobs taken from the queue in one go, started from the front.
    taken: VecDeque<Entry<F>>,
    /// The stream of [`PoolBuilder::build_stream`], until it ends or the pool closes.
    source: Option<Pin<Box<S>>>,
    /// The source gave every job asked for in the last round: it may have more.
    source_ready: bool,
    /// Accepted jobs that have left the queue (started, or cancelled before), as
    /// published in [`Shared::dequeued`].
    dequeued: u64,
    queue_done: bool,
    abort_handled: bool,
    timeout: Option<(Duration, Arc<dyn Timer>)>,
}

impl<F: TryFuture, S> fmt::Debug for Driver<F, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("max_concurrency", &self.shared.max_concurrency)
            .field("running", &self.exec.running())
            .field("spawned", &matches!(self.exec, Exec::Spawned(_)))
            .field("stream_fed", &self.source.is_some())
            .finish()
    }
}

impl<F: TryFuture, S: Stream<Item = F>> Driver<F, S> {
    /// Drives every job to its end, discarding the outcomes that would go to the
    /// stream (they are still counted in [`Pool::metrics`]). Use it when every job is
    /// submitted with a [`JobHandle`]; otherwise consume the stream.
    pub async fn run(mut self) {
        while self.next().await.is_some() {}
    }

    /// Pulls up to `room` jobs from the source and starts them; returns how many.
    fn pull(&mut self, room: usize, cx: &mut Context<'_>) -> usize {
        let Some(mut source) = self.source.take() else {
            return 0;
        };
        self.source_ready = false;
        if self.shared.closed.load(Ordering::Acquire) {
            // Closed by `close` or `abort`: the source is not read any more.
            return 0;
        }
        let mut started = 0;
        let mut ended = false;
        while started < room {
            match source.as_mut().poll_next(cx) {
                Poll::Ready(Some(job)) => {
                    let mut entry = Entry::new(job);
                    // Other submitters take their ids under the queue's lock, with
                    // the same counter.
                    entry.id = JobId(self.shared.accepted.fetch_add(1, Ordering::AcqRel));
                    started += 1;
                    self.start(entry);
                }
                Poll::Ready(None) => {
                    ended = true;
                    break;
                }
                Poll::Pending => break,
            }
        }
        if ended {
            // The source's end closes the pool, like `close`.
            let mut queue = lock(&self.queue);
            queue.handles -= 1;
            queue.closed = true;
            self.shared.closed.store(true, Ordering::Release);
            queue.driver = None;
            drop(queue);
            self.shared.space.notify(usize::MAX);
        } else {
            self.source_ready = started == room;
            self.source = Some(source);
        }
        started
    }

    /// Starts queued jobs, then jobs of the source, while slots are free.
    fn admit(&mut self, cx: &mut Context<'_>) {
        let room = (self.shared.max_concurrency - self.exec.running()).min(ADMIT_BATCH);
        if room == 0 {
            return;
        }
        if self.taken.is_empty() {
            // With a source, look in the queue only when something waits there.
            let look = self.source.is_none() || self.shared.queued() > 0;
            if look && !self.queue_done {
                // Take every queued job at once: one lock for many starts.
                let mut queue = lock(&self.queue);
                std::mem::swap(&mut self.taken, &mut queue.items);
                self.queue_done = queue.closed;
                drop(queue);
                if self.queue_done {
                    // Closed by `close` or `abort`: the source is not read any more.
                    self.source = None;
                }
            }
        }
        let mut started = 0;
        while started < room {
            let Some(entry) = self.taken.pop_front() else {
                break;
            };
            started += 1;
            self.start(entry);
        }
        if started < room && self.taken.is_empty() {
            started += self.pull(room - started, cx);
        }
        if started > 0 {
            self.dequeued(started);
        }
    }
}

impl<F: TryFuture, S> Driver<F, S> {
    fn sink(&mut self) -> Sink<'_, F> {
        Sink {
            shared: &self.shared,
            out: &mut self.out,
        }
    }

    /// Ends a queued job that never started.
    fn cancel_queued(&mut self, entry: Entry<F>) {
        let now = self.out.now();
        let done = Done {
            id: entry.id,
            outcome: Outcome::Cancelled,
            started: now,
            ended: Some(now),
            reply: entry.reply,
        };
        self.sink().finish(done, false);
    }

    #[inline]
    fn start(&mut self, entry: Entry<F>) {
        if entry.cancel.as_ref().is_some_and(|c| c.is_cancelled()) {
            self.cancel_queued(entry);
            return;
        }
        self.out.local.started();
        let deadline = self.timeout.as_ref().map(|(d, timer)| timer.sleep(*d));
        match &mut self.exec {
            Exec::Inline(slots) => {
                let mut sink = Sink {
                    shared: &self.shared,
                    out: &mut self.out,
                };
                slots.start(entry, deadline, &mut sink);
            }
            Exec::Spawned(s) => {
                let mut running = Running::new(entry, deadline, self.out.now());
                running.stamp_end = true;
                let cancel = running.cancel.get_or_insert_with(Default::default);
                s.running.insert(running.id, Arc::clone(cancel));
                (s.launch)(running, Arc::clone(&self.shared));
            }
        }
    }

    /// Publishes that `n` more jobs left the queue, and wakes waiting submitters once
    /// it is half empty (not at every freed place: each wake-up then submits a batch).
    fn dequeued(&mut self, n: usize) {
        self.dequeued += n as u64;
        let shared = &self.shared;
        shared.dequeued.store(self.dequeued, Ordering::Release);
        if shared.space_wanted.load(Ordering::Acquire)
            && shared.queued() <= shared.queue_capacity as u64 / 2
        {
            shared.space_wanted.store(false, Ordering::Release);
            shared.space.notify(usize::MAX);
        }
    }

    /// Whether queued jobs wait; stores the waker when none do.
    fn poll_queue(&mut self, cx: &mut Context<'_>) -> QueueState {
        if !self.taken.is_empty() || self.source_ready {
            return QueueState::Ready;
        }
        if self.queue_done {
            return QueueState::Done;
        }
        let mut queue = lock(&self.queue);
        if !queue.items.is_empty() {
            QueueState::Ready
        } else if queue.closed {
            QueueState::Done
        } else {
            match &mut queue.driver {
                Some(waker) => waker.clone_from(cx.waker()),
                slot @ None => *slot = Some(cx.waker().clone()),
            }
            QueueState::Waiting
        }
    }

    /// Cancels every accepted job (abort, or the driver going away).
    fn cancel_all(&mut self) {
        self.abort_handled = true;
        self.out.now = None;
        self.source = None;
        self.source_ready = false;
        let mut queued = std::mem::take(&mut self.taken);
        {
            let mut queue = lock(&self.queue);
            queue.closed = true;
            self.shared.closed.store(true, Ordering::Release);
            queue.driver = None;
            queued.extend(queue.items.drain(..));
        }
        self.dequeued += queued.len() as u64;
        self.shared.dequeued.store(self.dequeued, Ordering::Release);
        self.shared.space.notify(usize::MAX);
        self.queue_done = true;
        for entry in queued {
            self.cancel_queued(entry);
        }
        match &mut self.exec {
            Exec::Inline(slots) => {
                let mut sink = Sink {
                    shared: &self.shared,
                    out: &mut self.out,
                };
                slots.cancel_all(&mut sink);
            }
            // Spawned jobs notice their token at once and report back.
            Exec::Spawned(s) => s.running.values().for_each(|c| c.cancel()),
        }
    }

    /// Goes idle: publishes buffered latencies, and makes sure an abort from now on
    /// wakes this task. Returns `true` if an abort arrived meanwhile.
    fn park(&mut self, cx: &mut Context<'_>) -> bool {
        self.out.local.flush(&self.shared.recorder);
        self.shared.abort_waker.register(cx.waker());
        !self.abort_handled && self.shared.aborted.load(Ordering::Acquire)
    }
}

// The driver never relies on its own address: running jobs are pinned in their own
// boxes (see `slots`), everything else is plain values.
impl<F: TryFuture, S> Unpin for Driver<F, S> {}

impl<F: TryFuture, S: Stream<Item = F>> Stream for Driver<F, S> {
    type Item = Completion<F::Ok, F::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        for _ in 0..POLL_BUDGET {
            if let Some(c) = this.out.ready.pop_front() {
                // Readers of the metrics see this job counted once it is yielded.
                this.out.local.publish(&this.shared.recorder);
                return Poll::Ready(Some(c));
            }
            if !this.abort_handled && this.shared.aborted.load(Ordering::Acquire) {
                this.cancel_all();
                continue;
            }
            // One round: start what fits, collect what ended.
            this.out.now = None;
            this.admit(cx);
            let mut sink = Sink {
                shared: &this.shared,
                out: &mut this.out,
            };
            let (progressed, idle) = this.exec.collect(cx, &mut sink);
            if progressed || !this.out.ready.is_empty() {
                continue;
            }
            if this.queue_done && this.taken.is_empty() {
                if idle {
                    this.out.local.flush(&this.shared.recorder);
                    return Poll::Ready(None);
                }
                if this.park(cx) {
                    continue;
                }
                return Poll::Pending;
            }
            if this.exec.running() < this.shared.max_concurrency {
                // Room for more: jobs may wait in the queue, or we wait for them.
                match this.poll_queue(cx) {
                    QueueState::Ready => continue,
                    QueueState::Done => {
                        this.queue_done = true;
                        continue;
                    }
                    QueueState::Waiting => {}
                }
            }
            // Full, or nothing queued: a finishing job or a submission wakes us.
            if this.park(cx) {
                continue;
            }
            return Poll::Pending;
        }
        this.out.local.flush(&this.shared.recorder);
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.out.ready.len(), None)
    }
}

impl<F: TryFuture, S: Stream<Item = F>> FusedStream for Driver<F, S> {
    fn is_terminated(&self) -> bool {
        self.queue_done
            && self.taken.is_empty()
            && self.out.ready.is_empty()
            && self.exec.running() == 0
    }
}

impl<F: TryFuture, S> Drop for Driver<F, S> {
    fn drop(&mut self) {
        self.cancel_all();
        self.out.local.flush(&self.shared.recorder);
        if let Exec::Spawned(s) = &mut self.exec {
            // From now on spawned jobs that end account for themselves. Those that
            // reported before still wait in the channel: account for them the same
            // way, or they would never be counted and their handles never answered.
            s.done_rx.close();
            loop {
                match s.done_rx.try_recv() {
                    Ok(done) => finish_orphan(&self.shared, done),
                    Err(mpsc::TryRecvError::Closed) => break,
                    // A job is between counting its message in and queueing it.
                    Err(mpsc::TryRecvError::Empty) => std::hint::spin_loop(),
                }
            }
        }
        // Outcomes meant for the stream cannot be delivered any more; they were
        // counted. Spawned jobs report to their handles themselves.
        self.out.ready.clear();
    }
}
