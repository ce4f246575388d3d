//! [`Pool`](super::Pool), the submitting half: submit, close, abort, gauges and
//! metrics.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::channel::oneshot;
use futures::future::{BoxFuture, TryFuture};

use crate::metrics::{Gauge, Metrics};
use crate::outcome::JobId;

use super::builder::PoolBuilder;
use super::error::{SubmitError, TrySubmitError};
use super::handle::{CancelToken, JobHandle};
use super::queue::{Entry, Push, Queue, Shared, lock, release, wake_driver};
use super::sync::{AtomicU32, Mutex, Ordering};

/// [`Pool::submit`](super::Pool::submit) yields to the executor once every this many calls, so that a
/// producer looping on a queue with room cannot starve the driver (and the timers)
/// when both share one thread.
pub(super) const SUBMIT_BURST: u32 = 64;

/// Returns `Pending` once, asking to be polled again: lets the executor run others.
pub(super) struct YieldNow(bool);

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

/// A submitter's handle on a cheap, clonable pool. See the [module docs](super).
///
/// When every `Pool` handle is dropped, the pool closes: the driver finishes the jobs
/// already accepted and its stream ends.
pub struct Pool<F: TryFuture> {
    pub(super) shared: Arc<Shared>,
    pub(super) queue: Arc<Mutex<Queue<Entry<F>>>>,
    /// Submissions through this handle, for [`SUBMIT_BURST`].
    pub(super) submitted: AtomicU32,
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
    #[inline(always)]
    pub(super) fn push(&self, mut entry: Entry<F>) -> Push<F> {
        let mut queue = lock(&self.queue);
        if queue.closed {
            return Push::Closed(entry);
        }
        let (id, 1) = self.take_ids(&queue, 1) else {
            return Push::Full(entry);
        };
        entry.id = id;
        queue.items.push_back(entry);
        wake_driver(queue);
        Push::Accepted(id)
    }

    /// Submits jobs from the front of `jobs`, under one lock, as many as the queue has
    /// room for: returns the id of the first one accepted (the others' ids follow it,
    /// see [`JobId::after`]) and how many were accepted; the others stay in `jobs`.
    /// `Err(())` when the pool is closed: none is accepted.
    pub(crate) fn try_submit_from(&self, jobs: &mut VecDeque<F>) -> Result<(JobId, usize), ()> {
        let mut queue = lock(&self.queue);
        if queue.closed {
            return Err(());
        }
        let (first, count) = self.take_ids(&queue, jobs.len());
        if count > 0 {
            queue
                .items
                .extend(jobs.drain(..count).enumerate().map(|(i, job)| {
                    let mut entry = Self::entry(job);
                    entry.id = first.after(i);
                    entry
                }));
            wake_driver(queue);
        }
        Ok((first, count))
    }

    /// Takes ids for up to `wanted` jobs, as many as the queue (locked: `_queue`) has
    /// room for, and notes that space is wanted when not all fit. Returns the first id
    /// (the others follow it) and how many were taken.
    #[inline(always)]
    fn take_ids(&self, _queue: &Queue<Entry<F>>, wanted: usize) -> (JobId, usize) {
        let shared = &self.shared;
        let accepted = shared.accepted.load(Ordering::Acquire);
        let queued = accepted.saturating_sub(shared.dequeued.load(Ordering::Acquire));
        let room = (shared.queue_capacity as u64).saturating_sub(queued);
        let count = usize::try_from(room).map_or(wanted, |room| wanted.min(room));
        if count < wanted {
            shared.space_wanted.store(true, Ordering::Release);
        }
        if count == 0 {
            return (JobId(accepted), 0);
        }
        let first = if shared.stream_fed {
            // The driver takes ids for its source's jobs without the lock.
            shared.accepted.fetch_add(count as u64, Ordering::AcqRel)
        } else {
            // Pushes are serialised by the lock and the only writers: a plain store
            // cannot lose a count.
            shared
                .accepted
                .store(accepted + count as u64, Ordering::Release);
            accepted
        };
        (JobId(first), count)
    }

    #[inline]
    pub(super) fn try_push(&self, entry: Entry<F>) -> Result<JobId, TrySubmitError<F>> {
        match self.push(entry) {
            Push::Accepted(id) => Ok(id),
            Push::Full(entry) => Err(TrySubmitError::Full(entry.job)),
            Push::Closed(entry) => Err(TrySubmitError::Closed(entry.job)),
        }
    }

    pub(super) async fn push_waiting(&self, mut entry: Entry<F>) -> Result<JobId, SubmitError<F>> {
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
    pub(super) fn entry(job: F) -> Entry<F> {
        Entry::new(job)
    }

    pub(super) fn entry_with_handle(&self, job: F) -> (Entry<F>, JobHandle<F::Ok, F::Error>) {
        let (reply, rx) = oneshot::channel();
        let cancel = Arc::new(CancelToken::default());
        let handle = JobHandle {
            id: JobId(0),
            rx,
            cancel: Arc::clone(&cancel),
            shared: Arc::clone(&self.shared),
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
    /// [`Driver`](super::Driver) stream, tagged with the returned id.
    ///
    /// One call in 64 yields to the executor once before submitting, so that a
    /// producer looping on `submit` cannot starve the driver (and the timers of the
    /// running jobs) when both share one thread.
    ///
    /// # Errors
    ///
    /// [`SubmitError`](super::SubmitError) with the job when the pool is closed.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it completes drops the job unsubmitted; a job is
    /// either accepted (and then ends in exactly one outcome) or handed back.
    pub fn submit(&self, job: F) -> impl Future<Output = Result<JobId, SubmitError<F>>> + '_ {
        self.push_waiting(Self::entry(job))
    }

    /// Submits a job if the queue has room, never waiting. Its outcome comes out of
    /// the [`Driver`](super::Driver) stream, tagged with the returned id.
    ///
    /// # Errors
    ///
    /// [`TrySubmitError::Full`](super::TrySubmitError::Full) or [`TrySubmitError::Closed`](super::TrySubmitError::Closed), with the job.
    pub fn try_submit(&self, job: F) -> Result<JobId, TrySubmitError<F>> {
        self.try_push(Self::entry(job))
    }

    /// Submits a job whose outcome goes to the returned [`JobHandle`](super::JobHandle) instead of the
    /// driver stream, waiting while the queue is full. If the handle is dropped, the
    /// outcome goes to the stream: it is never lost.
    ///
    /// # Errors
    ///
    /// [`SubmitError`](super::SubmitError) with the job when the pool is closed.
    ///
    /// # Cancel safety
    ///
    /// As for [`submit`](Self::submit).
    pub async fn submit_with_handle(
        &self,
        job: F,
    ) -> Result<JobHandle<F::Ok, F::Error>, SubmitError<F>> {
        let (entry, mut handle) = self.entry_with_handle(job);
        handle.id = self.push_waiting(entry).await?;
        Ok(handle)
    }

    /// Like [`submit_with_handle`](Self::submit_with_handle), never waiting.
    ///
    /// # Errors
    ///
    /// [`TrySubmitError::Full`](super::TrySubmitError::Full) or [`TrySubmitError::Closed`](super::TrySubmitError::Closed), with the job.
    pub fn try_submit_with_handle(
        &self,
        job: F,
    ) -> Result<JobHandle<F::Ok, F::Error>, TrySubmitError<F>> {
        let (entry, mut handle) = self.entry_with_handle(job);
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
        wake_driver(queue);
        self.shared.space.notify(usize::MAX);
        true
    }

    /// Stops accepting jobs and cancels every accepted one: queued jobs never start,
    /// running jobs are dropped. Each ends as [`Outcome::Cancelled`](crate::Outcome::Cancelled) (a job that was
    /// already finishing may still report its own outcome). The driver must still be
    /// polled to deliver those outcomes; its stream then ends.
    pub fn abort(&self) {
        self.shared.aborted.store(true, Ordering::Release);
        self.close();
        self.shared.driver_waker.wake();
    }

    /// Whether the pool has stopped accepting jobs.
    pub fn is_closed(&self) -> bool {
        lock(&self.queue).closed
    }

    /// The configured limit `C`.
    pub fn max_concurrency(&self) -> usize {
        self.shared.max_concurrency
    }

    /// Jobs accepted and waiting for a slot: [`gauge`](Self::gauge)'s `queued`
    /// alone, for a caller that checks it before every submission.
    pub(crate) fn queued(&self) -> u64 {
        self.shared.queued()
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
