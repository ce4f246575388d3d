//! [`JobHandle`](super::JobHandle), one job's own outcome, and the cancel token it
//! shares with the job.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::channel::oneshot;

use crate::outcome::{Completion, JobId, Outcome};

use super::queue::Shared;
use super::sync::{AtomicBool, AtomicWaker, Ordering};

/// Cancellation of one job, shared by its [`JobHandle`](super::JobHandle) and the job while it runs.
#[derive(Debug, Default)]
pub(super) struct CancelToken {
    pub(super) cancelled: AtomicBool,
    pub(super) waker: AtomicWaker,
}

impl CancelToken {
    pub(super) fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
        self.waker.wake();
    }

    pub(super) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    pub(super) fn poll_cancelled(&self, cx: &mut Context<'_>) -> bool {
        if self.is_cancelled() {
            return true;
        }
        self.waker.register(cx.waker());
        self.is_cancelled()
    }
}

/// Awaits the outcome of one job submitted with
/// [`Pool::submit_with_handle`](super::Pool::submit_with_handle). Only this handle receives that outcome.
///
/// Dropping the handle does not cancel the job (its outcome then goes to the driver
/// stream); call [`cancel`](Self::cancel) for that.
#[must_use = "a job handle does nothing unless awaited or cancelled"]
pub struct JobHandle<T, E> {
    pub(super) id: JobId,
    pub(super) rx: oneshot::Receiver<Completion<T, E>>,
    pub(super) cancel: Arc<CancelToken>,
    pub(super) shared: Arc<Shared>,
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

    /// Cancels the job: if it waits in the queue it leaves it and never starts; if
    /// it runs it is dropped. Either way it ends as
    /// [`Outcome::Cancelled`](crate::Outcome::Cancelled) as soon as the driver is
    /// next polled (it is woken for that), even when every slot is busy, unless it
    /// had already ended. Await the handle to learn which.
    pub fn cancel(&self) {
        self.cancel.cancel();
        // The job may wait in the queue, where only the driver can end it.
        self.shared.cancels.store(true, Ordering::Release);
        self.shared.driver_waker.wake();
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
