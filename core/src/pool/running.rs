//! A started job: the guard that runs it (its deadline, and the unwind guard that
//! turns a panic into its outcome), and what the pool adds to it (its id, cancel
//! token and reply). The guard is the crate's one way to run a call with a timeout
//! and panic capture: the crawl engine's other models use it too, through
//! [`GuardedCall`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::TryFuture;
use web_time::Instant;

use crate::outcome::{Completion, JobId, Outcome};
use crate::timer::SharedTimer;

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
        ended.checked_duration_since(started).unwrap_or_default()
    }
}

pin_project_lite::pin_project! {
    /// A started job under guard: the job and its deadline. Panics in the job's poll
    /// and drop, and in its timer, become its outcome; the deadline is polled once
    /// before the job's first poll, so it counts from the start. Dropped before the
    /// job ended, it drops the job catching a panic there too.
    pub(crate) struct Guarded<F: TryFuture, D> {
        #[pin]
        job: Option<F>,
        deadline: Option<D>,
        // The deadline has been polled once (fixing it, for a timer that reads the
        // clock on a sleep's first poll), or there is none.
        armed: bool,
    }

    impl<F: TryFuture, D> PinnedDrop for Guarded<F, D> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            if this.job.is_some() {
                let _ = catch(|| this.job.set(None));
            }
            if let Some(deadline) = this.deadline.take() {
                drop_quietly(deadline);
            }
        }
    }
}

impl<F: TryFuture, D> Guarded<F, D> {
    /// Guards `job`, with its deadline if any.
    pub(crate) fn new(job: F, deadline: Option<D>) -> Self {
        Guarded {
            job: Some(job),
            armed: deadline.is_none(),
            deadline,
        }
    }

    /// Guards `job` in the place of an ended one.
    #[inline]
    fn restart(self: Pin<&mut Self>, job: F, deadline: Option<D>) {
        let mut this = self.project();
        this.job.set(Some(job));
        *this.armed = deadline.is_none();
        *this.deadline = deadline;
    }

    /// Whether the job is still there (it has not ended).
    #[inline]
    pub(crate) fn is_running(&self) -> bool {
        self.job.is_some()
    }

    /// Polls the deadline once, before the job's first poll, so that it counts from
    /// the job's start whenever the timer reads the clock. Returns the job's outcome
    /// if that ends it (the deadline has passed, or the timer panicked); it has then
    /// been dropped.
    #[inline]
    pub(crate) fn arm(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Option<Outcome<F::Ok, F::Error>>
    where
        D: Future<Output = ()> + Unpin,
    {
        let this = self.as_mut().project();
        if *this.armed {
            return None;
        }
        *this.armed = true;
        let deadline = this.deadline.as_mut()?;
        let outcome = match catch(|| Pin::new(deadline).poll(cx).is_ready()) {
            Ok(false) => return None,
            Ok(true) => Outcome::TimedOut,
            Err(message) => Outcome::Panicked(message),
        };
        Some(self.end_outcome(outcome))
    }

    /// Drops the job and its deadline now, and returns the outcome to report: a job
    /// whose drop (or its deadline's) panics reports the panic instead of a result.
    #[inline]
    pub(crate) fn end_outcome(
        self: Pin<&mut Self>,
        outcome: Outcome<F::Ok, F::Error>,
    ) -> Outcome<F::Ok, F::Error> {
        let mut this = self.project();
        let dropped = catch(|| this.job.set(None)).err();
        let dropped = dropped.or_else(|| this.deadline.take().and_then(drop_quietly));
        match (dropped, outcome) {
            (Some(message), outcome @ (Outcome::Completed(_) | Outcome::Failed(_))) => {
                drop_quietly(outcome);
                Outcome::Panicked(message)
            }
            (_, outcome) => outcome,
        }
    }

    /// Arms the deadline if not done yet, polls the job and then its deadline; once
    /// the job ends, it has been dropped and its outcome is returned.
    #[inline]
    pub(crate) fn poll_outcome(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Outcome<F::Ok, F::Error>>
    where
        D: Future<Output = ()> + Unpin,
    {
        if let Some(outcome) = self.as_mut().arm(cx) {
            return Poll::Ready(outcome);
        }
        let this = self.as_mut().project();
        assert!(this.job.is_some(), "a finished job was polled again");
        let mut job = this.job;
        // A panic in the poll, or once the job is done in its drop, is its outcome.
        let polled = catch(|| job.as_mut().as_pin_mut().map(|job| job.try_poll(cx)));
        let outcome = match polled {
            Ok(Some(Poll::Ready(result))) => {
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
                    Some(deadline) => catch(|| Pin::new(deadline).poll(cx).is_ready()),
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

/// The sleep that enforces `timeout` for a job started at `started`, if any: none
/// when the deadline lies past what the clock can hold. A panic in the timer is
/// returned as its message: the job's outcome.
#[inline]
pub(crate) fn deadline<T: SharedTimer>(
    timeout: Option<&(Duration, T)>,
    started: Instant,
) -> Result<Option<T::Sleep>, String> {
    match timeout {
        Some((limit, timer)) if started.checked_add(*limit).is_some() => {
            catch(|| timer.sleep(*limit)).map(Some)
        }
        _ => Ok(None),
    }
}

pin_project_lite::pin_project! {
    /// One call run under [`Guarded`] outside a pool: its timeout counts from its
    /// first poll (its start), panics in its poll and drop are its outcome. Resolves
    /// to the outcome and the latency from the start. Dropped before it ends, it
    /// drops the call, catching a panic there.
    pub(crate) struct GuardedCall<F: TryFuture, T: SharedTimer> {
        #[pin]
        guard: Guarded<F, T::Sleep>,
        timeout: Option<(Duration, T)>,
        started: Option<Instant>,
    }
}

impl<F: TryFuture, T: SharedTimer> GuardedCall<F, T> {
    /// Guards `call`, to be timed out after `timeout` if given.
    pub(crate) fn new(call: F, timeout: Option<(Duration, T)>) -> Self {
        GuardedCall {
            guard: Guarded::new(call, None),
            timeout,
            started: None,
        }
    }
}

impl<F: TryFuture, T: SharedTimer> Future for GuardedCall<F, T> {
    type Output = (Outcome<F::Ok, F::Error>, Duration);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let started = match *this.started {
            Some(started) => started,
            None => {
                let started = Instant::now();
                *this.started = Some(started);
                let timeout = this.timeout.take();
                match deadline(timeout.as_ref(), started) {
                    Ok(None) => {}
                    Ok(Some(sleep)) => {
                        let guard = this.guard.as_mut().project();
                        *guard.deadline = Some(sleep);
                        *guard.armed = false;
                    }
                    Err(message) => {
                        let outcome = this.guard.as_mut().end_outcome(Outcome::Panicked(message));
                        return Poll::Ready((outcome, Duration::ZERO));
                    }
                }
                started
            }
        };
        let outcome = std::task::ready!(this.guard.poll_outcome(cx));
        Poll::Ready((outcome, started.elapsed()))
    }
}

pin_project_lite::pin_project! {
    /// A started job of a pool: its guard, id, cancel token and reply. With a job of
    /// 64 bytes, 128 bytes in all (checked by a test).
    pub(super) struct Running<F: TryFuture, D> {
        pub(super) id: JobId,
        #[pin]
        pub(super) guard: Guarded<F, D>,
        pub(super) started: Instant,
        pub(super) cancel: Option<Arc<CancelToken>>,
        pub(super) reply: Option<Reply<F::Ok, F::Error>>,
    }
}

impl<F: TryFuture, D> Running<F, D> {
    /// A running job made of a queued one.
    pub(super) fn new(entry: Entry<F>, deadline: Option<D>, started: Instant) -> Self {
        Running {
            id: entry.id,
            guard: Guarded::new(entry.job, deadline),
            started,
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
        let this = self.project();
        this.guard.restart(entry.job, deadline);
        *this.id = entry.id;
        *this.started = started;
        *this.cancel = entry.cancel;
        *this.reply = entry.reply;
    }

    /// Whether the job is still there (it has not ended).
    #[inline]
    pub(super) fn is_running(&self) -> bool {
        self.guard.is_running()
    }

    /// See [`Guarded::arm`].
    #[inline]
    pub(super) fn arm(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Option<Outcome<F::Ok, F::Error>>
    where
        D: Future<Output = ()> + Unpin,
    {
        let this = self.project();
        let outcome = this.guard.arm(cx);
        if outcome.is_some() {
            *this.cancel = None;
        }
        outcome
    }

    /// Drops the job, its deadline and cancel token now, and returns the outcome to
    /// report (see [`Guarded::end_outcome`]).
    #[inline]
    pub(super) fn end_outcome(
        self: Pin<&mut Self>,
        outcome: Outcome<F::Ok, F::Error>,
    ) -> Outcome<F::Ok, F::Error> {
        let this = self.project();
        *this.cancel = None;
        this.guard.end_outcome(outcome)
    }

    /// Ends the job now, dropping it, and returns its completion.
    pub(super) fn end(
        mut self: Pin<&mut Self>,
        outcome: Outcome<F::Ok, F::Error>,
    ) -> Done<F::Ok, F::Error> {
        let outcome = self.as_mut().end_outcome(outcome);
        self.done(outcome)
    }

    /// The completion of a job that has ended with `outcome`, stamped with the time it
    /// ended: a job run as its own task (the one kind that comes here) ends outside
    /// the driver's rounds.
    pub(super) fn done(
        self: Pin<&mut Self>,
        outcome: Outcome<F::Ok, F::Error>,
    ) -> Done<F::Ok, F::Error> {
        let this = self.project();
        Done {
            id: *this.id,
            outcome,
            started: *this.started,
            ended: Some(Instant::now()),
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
        let outcome = std::task::ready!(this.guard.poll_outcome(cx));
        *this.cancel = None;
        Poll::Ready(outcome)
    }
}

impl<F: TryFuture, D: Future<Output = ()> + Unpin> Future for Running<F, D> {
    type Output = Done<F::Ok, F::Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let outcome = std::task::ready!(self.as_mut().poll_outcome(cx));
        Poll::Ready(self.done(outcome))
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;

    /// A job future of 64 bytes with room for `Option`'s tag, as a pool's jobs
    /// typically are (the flat workload's is).
    struct Job64 {
        _words: [u64; 7],
        _state: bool,
    }

    impl Future for Job64 {
        type Output = Result<(), ()>;

        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), ()>> {
            Poll::Ready(Ok(()))
        }
    }

    #[test]
    fn a_job_of_64_bytes_runs_in_128() {
        type Deadline = Pin<Box<dyn Future<Output = ()> + Send>>;
        assert_eq!(std::mem::size_of::<Job64>(), 64);
        assert_eq!(std::mem::size_of::<Running<Job64, Deadline>>(), 128);
    }
}
