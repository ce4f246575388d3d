//! The state both halves of a pool share: the queue of accepted jobs waiting for a
//! slot, and the counters published with one writer each.

use std::collections::VecDeque;
use std::sync::Arc;
use std::task::Waker;

use futures::channel::oneshot;
use futures::future::TryFuture;

use crate::metrics::Recorder;
use crate::outcome::{Completion, JobId};

use super::handle::CancelToken;
use super::sync::{AtomicBool, AtomicU64, AtomicWaker, Mutex, MutexGuard, Ordering};

/// What every half of a pool shares, whatever its job type.
pub(crate) struct Shared {
    pub(super) recorder: Recorder,
    pub(super) aborted: AtomicBool,
    /// A [`JobHandle`](super::JobHandle) was cancelled since the driver last looked:
    /// its job may be waiting in the queue.
    pub(super) cancels: AtomicBool,
    /// The driver's waker for [`Pool::abort`](super::Pool::abort) and
    /// [`JobHandle::cancel`](super::JobHandle::cancel), registered whenever it goes
    /// idle.
    pub(super) driver_waker: AtomicWaker,
    /// Submitters waiting for room in a full queue.
    pub(super) space: event_listener::Event,
    pub(super) max_concurrency: usize,
    pub(super) queue_capacity: usize,
    /// Jobs ever accepted; also the next job id. Written under the queue's lock.
    pub(super) accepted: AtomicU64,
    /// Accepted jobs that have left the queue; written by the driver only.
    pub(super) dequeued: AtomicU64,
    /// A submitter found the queue full since the driver last made room.
    pub(super) space_wanted: AtomicBool,
    /// The queue's `closed`, readable without its lock; set under it.
    pub(super) closed: AtomicBool,
    /// The driver has a source stream (and takes ids for its jobs).
    pub(super) stream_fed: bool,
}

impl Shared {
    /// Accepted jobs not started yet.
    ///
    /// `accepted` is read first: both only grow, so the difference is at most what
    /// the queue held when `accepted` was read, never above its capacity (read the
    /// other way round, a stale `dequeued` could count jobs twice).
    pub(super) fn queued(&self) -> u64 {
        let accepted = self.accepted.load(Ordering::Acquire);
        accepted.saturating_sub(self.dequeued.load(Ordering::Acquire))
    }
}

/// The queue of accepted jobs waiting for a slot.
pub(super) struct Queue<E> {
    pub(super) items: VecDeque<E>,
    pub(super) closed: bool,
    /// Live [`Pool`](super::Pool) handles, plus one for a driver's source stream until it ends
    /// (which closes the queue); the queue closes when the last one goes.
    pub(super) handles: usize,
    /// The driver's waker, present while it waits for jobs.
    pub(super) driver: Option<Waker>,
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while holding a queue lock except a failing allocation; the
    // queue's state is valid between any two statements, so poisoning is ignored.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

pub(super) type Reply<T, E> = oneshot::Sender<Completion<T, E>>;

/// An accepted job waiting in the queue.
pub(super) struct Entry<F: TryFuture> {
    pub(super) id: JobId,
    pub(super) job: F,
    pub(super) cancel: Option<Arc<CancelToken>>,
    pub(super) reply: Option<Reply<F::Ok, F::Error>>,
}

impl<F: TryFuture> Entry<F> {
    /// A job whose outcome goes to the stream; its id is set when it is accepted.
    #[inline]
    pub(super) fn new(job: F) -> Self {
        Entry {
            id: JobId(0),
            job,
            cancel: None,
            reply: None,
        }
    }
}

pub(super) enum Push<F: TryFuture> {
    Accepted(JobId),
    Full(Entry<F>),
    Closed(Entry<F>),
}

/// Releases the queue's lock, then wakes the driver if it waits for jobs.
#[inline(always)]
pub(super) fn wake_driver<E>(mut queue: MutexGuard<'_, Queue<E>>) {
    let driver = queue.driver.take();
    drop(queue);
    if let Some(waker) = driver {
        waker.wake();
    }
}

/// A [`Pool`](super::Pool) handle is gone; the queue closes when the last one goes.
pub(super) fn release<E>(queue: &Mutex<Queue<E>>, shared: &Shared) {
    let mut queue = lock(queue);
    queue.handles -= 1;
    if queue.handles == 0 {
        queue.closed = true;
        shared.closed.store(true, Ordering::Release);
        wake_driver(queue);
    }
}
