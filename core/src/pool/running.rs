//! A started job: the job, its deadline and cancel token, and the unwind guard that
//! turns a panic into its outcome.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::TryFuture;
use web_time::Instant;

use crate::outcome::{Completion, JobId, Outcome};

use super::handle::CancelToken;
use super::queue::{Entry, Reply};

/// A job that ended, on its way to its handle or the outcome stream.
pub(super) struct Done<T, E> {
    pub(super) id: JobId,
    pub(super) outcome: Outcome<T, E>,
    pub(super) started: Instant,
    /// When it ended, if known; otherwise the driver's clock reading of the round that
    /// collected it.
    pub(super) ended: Option<Instant>,
    pub(super) reply: Option<Reply<T, E>>,
}

impl<T, E> Done<T, E> {
    pub(super) fn completion(self, now: Instant) -> (Completion<T, E>, Option<Reply<T, E>>) {
        let completion = Completion {
            id: self.id,
            outcome: self.outcome,
            latency: latency(self.started, self.ended.unwrap_or(now)),
        };
        (completion, self.reply)
    }
}

#[inline]
pub(super) fn latency(started: Instant, ended: Instant) -> Duration {
    // A job that ended in the round that started it has no measurable latency at the
    // driver's clock resolution; skip the arithmetic.
    if ended == started {
        Duration::ZERO
    } else {
        ended.saturating_duration_since(started)
    }
}

pin_project_lite::pin_project! {
    /// A started job: the job itself, its deadline, its cancel token.
    pub(super) struct Running<F: TryFuture, D> {
        pub(super) id: JobId,
        #[pin]
        pub(super) job: Option<F>,
        pub(super) deadline: Option<D>,
        pub(super) started: Instant,
        pub(super) stamp_end: bool,
        pub(super) cancel: Option<Arc<CancelToken>>,
        pub(super) reply: Option<Reply<F::Ok, F::Error>>,
    }
}

impl<F: TryFuture, D> Running<F, D> {
    /// A running job made of a queued one.
    pub(super) fn new(entry: Entry<F>, deadline: Option<D>, started: Instant) -> Self {
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
    pub(super) fn restart(
        self: Pin<&mut Self>,
        entry: Entry<F>,
        deadline: Option<D>,
        started: Instant,
    ) {
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
    pub(super) fn is_running(&self) -> bool {
        self.job.is_some()
    }

    /// Drops the job, its deadline and cancel token now, and returns the outcome to
    /// report: a job whose drop panics reports the panic instead of a result.
    #[inline]
    pub(super) fn end_outcome(
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
    pub(super) fn end(
        mut self: Pin<&mut Self>,
        outcome: Outcome<F::Ok, F::Error>,
    ) -> Done<F::Ok, F::Error> {
        let outcome = self.as_mut().end_outcome(outcome);
        self.done(outcome)
    }

    /// The completion of a job that has ended with `outcome`.
    pub(super) fn done(
        self: Pin<&mut Self>,
        outcome: Outcome<F::Ok, F::Error>,
    ) -> Done<F::Ok, F::Error> {
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
    pub(super) fn poll_outcome(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Outcome<F::Ok, F::Error>>
    where
        D: Future<Output = ()> + Unpin,
    {
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
                    .is_some_and(|d| Pin::new(d).poll(cx).is_ready());
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

impl<F: TryFuture, D: Future<Output = ()> + Unpin> Future for Running<F, D> {
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
