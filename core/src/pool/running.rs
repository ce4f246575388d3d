//! A started job: the job, its deadline and cancel token, and the unwind guard that
//! turns a panic into its outcome.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::TryFuture;
use web_time::Instant;

use crate::outcome::{Completion, JobId, Outcome};
use crate::timer::Sleep;

use super::handle::CancelToken;
use super::queue::{Entry, Reply};
use super::unwind::{catch, drop_quietly};

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
    pub(super) struct Running<F: TryFuture> {
        pub(super) id: JobId,
        #[pin]
        pub(super) job: Option<F>,
        pub(super) deadline: Option<Sleep>,
        // The deadline has been polled once (fixing it, for a timer that reads the
        // clock on a sleep's first poll), or there is none.
        pub(super) armed: bool,
        pub(super) started: Instant,
        pub(super) stamp_end: bool,
        pub(super) cancel: Option<Arc<CancelToken>>,
        pub(super) reply: Option<Reply<F::Ok, F::Error>>,
    }
}

impl<F: TryFuture> Running<F> {
    /// A running job made of a queued one.
    pub(super) fn new(entry: Entry<F>, deadline: Option<Sleep>, started: Instant) -> Self {
        Running {
            id: entry.id,
            job: Some(entry.job),
            armed: deadline.is_none(),
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
        deadline: Option<Sleep>,
        started: Instant,
    ) {
        let mut this = self.project();
        this.job.set(Some(entry.job));
        *this.id = entry.id;
        *this.armed = deadline.is_none();
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
    /// report: a job whose drop (or its deadline's) panics reports the panic instead
    /// of a result.
    #[inline]
    pub(super) fn end_outcome(
        self: Pin<&mut Self>,
        outcome: Outcome<F::Ok, F::Error>,
    ) -> Outcome<F::Ok, F::Error> {
        let mut this = self.project();
        let dropped = catch(|| this.job.set(None)).err();
        let dropped = dropped.or_else(|| this.deadline.take().and_then(drop_quietly));
        *this.cancel = None;
        match (dropped, outcome) {
            (Some(message), outcome @ (Outcome::Completed(_) | Outcome::Failed(_))) => {
                drop_quietly(outcome);
                Outcome::Panicked(message)
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

    /// Polls the deadline once, before the job's first poll, so that it counts from
    /// the job's start whenever the timer reads the clock. Returns the job's outcome
    /// if that ends it (the deadline has passed, or the timer panicked); it has then
    /// been dropped.
    #[inline]
    pub(super) fn arm(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Option<Outcome<F::Ok, F::Error>> {
        let this = self.as_mut().project();
        if *this.armed {
            return None;
        }
        *this.armed = true;
        let deadline = this.deadline.as_mut()?;
        let outcome = match catch(|| deadline.as_mut().poll(cx).is_ready()) {
            Ok(false) => return None,
            Ok(true) => Outcome::TimedOut,
            Err(message) => Outcome::Panicked(message),
        };
        Some(self.end_outcome(outcome))
    }

    /// Polls the job (and its cancel token and deadline); once it ends, it has been
    /// dropped and its outcome is returned.
    #[inline]
    pub(super) fn poll_outcome(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Outcome<F::Ok, F::Error>> {
        if let Some(outcome) = self.as_mut().arm(cx) {
            return Poll::Ready(outcome);
        }
        let this = self.as_mut().project();
        if let Some(cancel) = this.cancel {
            if cancel.poll_cancelled(cx) {
                return Poll::Ready(self.end_outcome(Outcome::Cancelled));
            }
        }
        assert!(this.job.is_some(), "a finished job was polled again");
        let mut job = this.job;
        // A panic in the poll, or once the job is done in its drop, is its outcome.
        let polled = catch(|| job.as_mut().as_pin_mut().map(|job| job.try_poll(cx)));
        let outcome = match polled {
            Ok(Some(Poll::Ready(result))) => {
                *this.cancel = None;
                let outcome = match result {
                    Ok(value) => Outcome::Completed(value),
                    Err(error) => Outcome::Failed(error),
                };
                // The result is out of the job before the job is dropped: a value
                // whose drop panics too is then dropped on its own.
                let dropped = catch(|| job.set(None)).err();
                let dropped = dropped.or_else(|| this.deadline.take().and_then(drop_quietly));
                if let Some(message) = dropped {
                    drop_quietly(outcome);
                    return Poll::Ready(Outcome::Panicked(message));
                }
                return Poll::Ready(outcome);
            }
            Ok(Some(Poll::Pending) | None) => {
                // The timer is user code too.
                let expired = match this.deadline.as_mut() {
                    None => Ok(false),
                    Some(deadline) => catch(|| deadline.as_mut().poll(cx).is_ready()),
                };
                match expired {
                    Ok(false) => return Poll::Pending,
                    Ok(true) => Outcome::TimedOut,
                    Err(message) => Outcome::Panicked(message),
                }
            }
            // The job may still be there (it panicked while polled): `end_outcome`
            // drops it.
            Err(message) => Outcome::Panicked(message),
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
