//! The [`Driver`](super::Driver): starts queued (or stream-fed) jobs while fewer than
//! `C` are in flight, collects the ended ones and yields their outcomes.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::channel::mpsc;
use futures::future::TryFuture;
use futures::stream::{FusedStream, Stream, StreamExt};
use web_time::Instant;

use crate::metrics::LocalRecorder;
use crate::outcome::{Completion, JobId, Outcome};
use crate::timer::{SharedTimer, Timer};

use super::queue::{Entry, Queue, Reply, Shared, lock};
use super::running::{Done, Running, deadline, latency};
use super::slots::Slots;
use super::spawned::{Spawned, finish_orphan};
use super::sync::{Mutex, Ordering, spin_loop};
use super::unwind::{catch, drop_quietly};

/// How many rounds (admit queued jobs, collect finished ones) the driver runs in one
/// poll before it yields to the executor, so that a flood of ready jobs cannot starve
/// other tasks.
pub(super) const POLL_BUDGET: usize = 32;

/// At most this many queued jobs are started in one round (they share one clock
/// reading): starts and ends then alternate in groups, so a slot freed by a job that
/// ended is reused by the next one while it is still in the cache.
pub(super) const ADMIT_BATCH: usize = 32;

/// At most this many finished jobs are collected in one round; they share the clock
/// reading that closes it.
pub(super) const ROUND_BATCH: usize = 64;

pub(super) enum Exec<F: TryFuture, D> {
    Inline(Slots<F, D>),
    Spawned(Spawned<F, D>),
}

impl<F: TryFuture, D: Future<Output = ()> + Unpin> Exec<F, D> {
    pub(super) fn running(&self) -> usize {
        match self {
            Exec::Inline(slots) => slots.running(),
            Exec::Spawned(s) => s.running.len(),
        }
    }

    /// Collects ended jobs (at most [`ROUND_BATCH`]) into `sink`. Returns whether any
    /// job was polled or collected, and whether none is running any more.
    pub(super) fn collect(&mut self, cx: &mut Context<'_>, sink: &mut Sink<'_, F>) -> (bool, bool) {
        match self {
            Exec::Inline(slots) => {
                if slots.running() == 0 {
                    // Nothing to wake: a waker left by an ended job is listed again
                    // for the next job in its slot, which is polled when it starts.
                    return (false, true);
                }
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
                    sink.ended(done);
                }
                (true, s.running.is_empty())
            }
        }
    }
}

/// An outcome for a handle, with the start of its job, waiting for the end of the
/// round.
pub(super) type PendingReply<T, E> = (Completion<T, E>, Reply<T, E>, Instant);

/// The driver's accounting and the outcomes waiting to be yielded.
///
/// The clock is read at most twice per round: when the round starts its first job
/// (unless the reading that closed the previous round is still fresh), and once
/// after its polls if a job ended in it. A job's latency runs from the reading
/// before its first poll to the one after its last: at least the time spent in its
/// polls, at most its wall time plus the polls of the other jobs in its first and
/// last rounds.
pub(super) struct Outbox<T, E> {
    pub(super) local: LocalRecorder,
    pub(super) ready: VecDeque<Completion<T, E>>,
    /// One entry for each outcome pushed on `ready` in the current round (they are
    /// the last ones): the start of a job that ended in it, not accounted for yet
    /// (its latency is set when the round closes), or `None` for one already
    /// accounted for.
    pub(super) starts: Vec<Option<Instant>>,
    /// Whether `starts` holds a start.
    pub(super) unstamped: bool,
    /// Outcomes for handles that ended in the current round, with their start: sent
    /// when the round closes.
    pub(super) replies: Vec<PendingReply<T, E>>,
    /// A clock reading taken after every poll so far and since the driver was last
    /// polled: the start time of the jobs started now. `None` when stale.
    pub(super) now: Option<Instant>,
}

impl<T, E> Outbox<T, E> {
    pub(super) fn new() -> Self {
        Outbox {
            local: LocalRecorder::default(),
            ready: VecDeque::new(),
            starts: Vec::new(),
            unstamped: false,
            replies: Vec::new(),
            now: None,
        }
    }

    /// The start time of a job started now.
    #[inline]
    pub(super) fn now(&mut self) -> Instant {
        *self.now.get_or_insert_with(Instant::now)
    }

    /// Queues an outcome for the stream; `start` as for [`starts`](Self::starts).
    #[inline]
    fn push_ready(&mut self, completion: Completion<T, E>, start: Option<Instant>) {
        self.unstamped |= start.is_some();
        self.starts.push(start);
        self.ready.push_back(completion);
    }
}

/// Where ended jobs go.
pub(super) struct Sink<'a, F: TryFuture> {
    pub(super) shared: &'a Shared,
    pub(super) out: &'a mut Outbox<F::Ok, F::Error>,
}

impl<F: TryFuture> Sink<'_, F> {
    /// A job polled by the driver ended in this round: it is accounted for and
    /// delivered when the round closes (see [`close_round`](Self::close_round)), at
    /// the clock reading that closes it.
    #[inline]
    pub(super) fn ended_in_round(
        &mut self,
        id: JobId,
        outcome: Outcome<F::Ok, F::Error>,
        started: Instant,
        reply: Option<Reply<F::Ok, F::Error>>,
    ) {
        let completion = Completion {
            id,
            outcome,
            latency: Duration::ZERO,
        };
        match reply {
            None => self.out.push_ready(completion, Some(started)),
            Some(reply) => self.out.replies.push((completion, reply, started)),
        }
    }

    /// A job that stamped its own end (a spawned one) ended: it is accounted for and
    /// delivered now.
    pub(super) fn ended(&mut self, done: Done<F::Ok, F::Error>) {
        let ended = done.ended.unwrap_or_else(Instant::now);
        let completion = Completion {
            id: done.id,
            outcome: done.outcome,
            latency: latency(done.started, ended),
        };
        self.deliver(completion, done.reply, true);
    }

    /// Accounts for a job that ended in the queue, never started, and delivers it.
    pub(super) fn cancelled_in_queue(&mut self, id: JobId, reply: Option<Reply<F::Ok, F::Error>>) {
        let completion = Completion {
            id,
            outcome: Outcome::Cancelled,
            latency: Duration::ZERO,
        };
        self.deliver(completion, reply, false);
    }

    /// Closes a round: reads the clock if a job ended in it, and accounts for and
    /// delivers those jobs. `polled` tells whether a job was polled in the round
    /// (the last reading is then stale).
    pub(super) fn close_round(&mut self, polled: bool) {
        let out = &mut *self.out;
        if !out.unstamped && out.replies.is_empty() {
            out.starts.clear();
            if polled {
                out.now = None;
            }
            return;
        }
        let end = Instant::now();
        out.now = Some(end);
        if out.unstamped {
            out.unstamped = false;
            let recorder = &self.shared.recorder;
            // Jobs started in the same round and ended in this one share a latency:
            // runs of them are recorded at once.
            let mut run: Option<(Instant, Duration)> = None;
            let mut count = 0;
            let base = out.ready.len() - out.starts.len();
            for (i, start) in out.starts.iter().enumerate() {
                let Some(start) = *start else { continue };
                let latency = match run {
                    Some((s, latency)) if s == start => latency,
                    _ => {
                        if let Some((_, latency)) = run {
                            out.local.latencies(recorder, latency, count);
                        }
                        count = 0;
                        let latency = latency(start, end);
                        run = Some((start, latency));
                        latency
                    }
                };
                let completion = &mut out.ready[base + i];
                completion.latency = latency;
                out.local.ended(completion.outcome.kind());
                count += 1;
            }
            if let Some((_, latency)) = run {
                out.local.latencies(recorder, latency, count);
            }
        }
        out.starts.clear();
        if !out.replies.is_empty() {
            let mut replies = std::mem::take(&mut out.replies);
            for (mut completion, reply, started) in replies.drain(..) {
                completion.latency = latency(started, end);
                self.deliver(completion, Some(reply), true);
            }
            self.out.replies = replies;
            // Outcomes of dropped handles were pushed on `ready` accounted for.
            self.out.starts.clear();
        }
    }

    #[inline]
    pub(super) fn deliver(
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
            Some(reply) => {
                // Whoever awaits the handle sees this outcome counted.
                self.out.local.publish(&self.shared.recorder);
                match reply.send(completion) {
                    Ok(()) => return,
                    Err(completion) => completion,
                }
            }
        };
        self.out.push_ready(completion, None);
    }
}

pub(super) enum QueueState {
    /// Jobs are waiting.
    Ready,
    /// The queue is closed and empty.
    Done,
    /// Empty; the driver's waker is stored.
    Waiting,
}

/// Runs the jobs of a [`Pool`](super::Pool) and yields their [`Completion`](crate::Completion)s in completion order.
///
/// Jobs only make progress while the driver is polled: keep one task polling it
/// (`while let Some(c) = driver.next().await`) or spawn [`Driver::run`](super::Driver::run). The stream
/// ends once the pool is closed (by [`Pool::close`](super::Pool::close), [`Pool::abort`](super::Pool::abort) or dropping every
/// `Pool`) and every accepted job has ended.
///
/// Outcomes of jobs submitted with a [`JobHandle`](super::JobHandle) go to the handle, not the stream.
///
/// A job's latency runs from its start to its end, including the time spent in its
/// own polls. The driver reads the clock once per round (a round starts the queued
/// jobs that fit, up to 32, and collects up to 64 finished ones), plus once at the
/// first start after it was idle, which keeps the per-job cost low: a latency may
/// also count the polls of the other jobs started or ended in the same round.
///
/// Dropping the driver cancels every accepted job that has not ended: handles receive
/// [`Outcome::Cancelled`](crate::Outcome::Cancelled), and the metrics count them as cancelled.
///
/// # Panics
///
/// Never because of a panic in user code: a panic in a job's poll ends it as
/// [`Outcome::Panicked`](crate::Outcome::Panicked); one in its drop (or in its
/// timer's) turns a result into `Panicked` and leaves `TimedOut` and `Cancelled`
/// as they are (a job dropped in the queue still ends `Cancelled`); one in the drop
/// of an outcome the driver discards, or of a panic's payload, is caught; one in the
/// source stream of [`PoolBuilder::build_stream`](super::PoolBuilder::build_stream)
/// ends that stream there. The panic hook still reports each.
#[must_use = "jobs only run while the driver is polled"]
pub struct Driver<F: TryFuture, S = futures::stream::Empty<F>, T: SharedTimer = Arc<dyn Timer>> {
    pub(super) shared: Arc<Shared>,
    pub(super) queue: Arc<Mutex<Queue<Entry<F>>>>,
    pub(super) exec: Exec<F, T::Sleep>,
    pub(super) out: Outbox<F::Ok, F::Error>,
    /// Queued jobs taken from the queue in one go, started from the front.
    pub(super) taken: VecDeque<Entry<F>>,
    /// The stream of [`PoolBuilder::build_stream`](super::PoolBuilder::build_stream), until it ends or the pool closes.
    pub(super) source: Option<Pin<Box<S>>>,
    /// The source gave every job asked for in the last round: it may have more.
    pub(super) source_ready: bool,
    /// Accepted jobs that have left the queue (started, or cancelled before), as
    /// published in [`Shared::dequeued`].
    pub(super) dequeued: u64,
    pub(super) queue_done: bool,
    pub(super) abort_handled: bool,
    pub(super) timeout: Option<(Duration, T)>,
}

impl<F: TryFuture, S, T: SharedTimer> fmt::Debug for Driver<F, S, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("max_concurrency", &self.shared.max_concurrency)
            .field("running", &self.exec.running())
            .field("spawned", &matches!(self.exec, Exec::Spawned(_)))
            .field("stream_fed", &self.source.is_some())
            .finish()
    }
}

impl<F: TryFuture, S: Stream<Item = F>, T: SharedTimer> Driver<F, S, T> {
    /// Drives every job to its end, discarding the outcomes that would go to the
    /// stream (they are still counted in [`Pool::metrics`](super::Pool::metrics)). Use it when every job is
    /// submitted with a [`JobHandle`](super::JobHandle); otherwise consume the stream.
    pub async fn run(mut self) {
        while self.next().await.is_some() {}
    }

    /// Pulls up to `room` jobs from the source and starts them; returns how many.
    ///
    /// A panic in the source's `poll_next` ends it, as if it had ended there.
    pub(super) fn pull(&mut self, room: usize, cx: &mut Context<'_>) -> usize {
        let Some(mut source) = self.source.take() else {
            return 0;
        };
        self.source_ready = false;
        if self.shared.closed.load(Ordering::Acquire) {
            // Closed by `close` or `abort`: the source is not read any more.
            drop_quietly(source);
            return 0;
        }
        let mut started = 0;
        let mut ended = false;
        while started < room {
            match catch(|| source.as_mut().poll_next(cx)) {
                Ok(Poll::Ready(Some(job))) => {
                    let mut entry = Entry::new(job);
                    // Other submitters take their ids under the queue's lock, with
                    // the same counter.
                    entry.id = JobId(self.shared.accepted.fetch_add(1, Ordering::AcqRel));
                    started += 1;
                    self.start(entry);
                }
                Ok(Poll::Ready(None)) | Err(_) => {
                    ended = true;
                    break;
                }
                Ok(Poll::Pending) => break,
            }
        }
        if ended {
            drop_quietly(source);
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

    /// Starts queued jobs, then jobs of the source, while slots are free. Returns
    /// whether it started any.
    pub(super) fn admit(&mut self, cx: &mut Context<'_>) -> bool {
        let room = (self.shared.max_concurrency - self.exec.running()).min(ADMIT_BATCH);
        if room == 0 {
            return false;
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
                    self.drop_source();
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
            self.made_room();
        }
        started > 0
    }
}

impl<F: TryFuture, S, T: SharedTimer> Driver<F, S, T> {
    pub(super) fn sink(&mut self) -> Sink<'_, F> {
        Sink {
            shared: &self.shared,
            out: &mut self.out,
        }
    }

    /// Ends a queued job that never started. A panic in its drop is caught: it ends
    /// cancelled all the same.
    pub(super) fn cancel_queued(&mut self, entry: Entry<F>) {
        let Entry { id, job, reply, .. } = entry;
        drop_quietly(job);
        self.sink().cancelled_in_queue(id, reply);
    }

    /// Drops the source stream, if any, with the jobs it may hold (a panic in their
    /// drop is caught).
    pub(super) fn drop_source(&mut self) {
        self.source_ready = false;
        if let Some(source) = self.source.take() {
            drop_quietly(source);
        }
    }

    /// Starts a job that has left the queue (or the source).
    #[inline]
    pub(super) fn start(&mut self, entry: Entry<F>) {
        // Its place in the queue is free before anything of it runs.
        self.dequeued += 1;
        self.shared.dequeued.store(self.dequeued, Ordering::Release);
        if entry.cancel.as_ref().is_some_and(|c| c.is_cancelled()) {
            self.cancel_queued(entry);
            return;
        }
        // And it is counted in flight: the gauge agrees with the queue at every
        // instant the job can observe.
        self.out.local.started(&self.shared.recorder);
        let started = self.out.now();
        let deadline = match deadline(self.timeout.as_ref(), started) {
            Ok(deadline) => deadline,
            Err(message) => {
                // The timer panicked: the job ends so, unpolled.
                let Entry { id, job, reply, .. } = entry;
                drop_quietly(job);
                self.sink()
                    .ended_in_round(id, Outcome::Panicked(message), started, reply);
                return;
            }
        };
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
                let cancel = Arc::clone(running.cancel.get_or_insert_with(Default::default));
                let id = running.id;
                let mut running = Box::pin(running);
                // The deadline counts from now, not from the task's first poll.
                let mut cx = Context::from_waker(futures::task::noop_waker_ref());
                if let Some(outcome) = running.as_mut().arm(&mut cx) {
                    let done = running.as_mut().done(outcome);
                    Sink::<F> {
                        shared: &self.shared,
                        out: &mut self.out,
                    }
                    .ended(done);
                    return;
                }
                s.running.insert(id, cancel);
                (s.launch)(running, Arc::clone(&self.shared));
            }
        }
    }

    /// Wakes waiting submitters once the queue is half empty (not at every freed
    /// place: each wake-up then submits a batch).
    pub(super) fn made_room(&mut self) {
        let shared = &self.shared;
        if shared.space_wanted.load(Ordering::Acquire)
            && shared.queued() <= shared.queue_capacity as u64 / 2
        {
            shared.space_wanted.store(false, Ordering::Release);
            shared.space.notify(usize::MAX);
        }
    }

    /// Whether queued jobs wait; stores the waker when none do.
    pub(super) fn poll_queue(&mut self, cx: &mut Context<'_>) -> QueueState {
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
    pub(super) fn cancel_all(&mut self) {
        self.abort_handled = true;
        self.out.now = None;
        self.drop_source();
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
        self.sink().close_round(true);
    }

    /// Ends at once the queued jobs whose handles were cancelled, if any was.
    pub(super) fn end_cancelled(&mut self) {
        let shared = &self.shared;
        if !shared.cancels.load(Ordering::Relaxed) || !shared.cancels.swap(false, Ordering::AcqRel)
        {
            return;
        }
        let cancelled = |entry: &Entry<F>| entry.cancel.as_ref().is_some_and(|c| c.is_cancelled());
        let mut ended = Vec::new();
        let mut split = |from: &mut VecDeque<Entry<F>>| {
            if from.iter().any(cancelled) {
                for entry in std::mem::take(from) {
                    if cancelled(&entry) {
                        ended.push(entry);
                    } else {
                        from.push_back(entry);
                    }
                }
            }
        };
        split(&mut self.taken);
        split(&mut lock(&self.queue).items);
        if ended.is_empty() {
            return;
        }
        self.dequeued += ended.len() as u64;
        self.shared.dequeued.store(self.dequeued, Ordering::Release);
        for entry in ended {
            self.cancel_queued(entry);
        }
        self.made_room();
    }

    /// Goes idle: publishes buffered latencies, and makes sure an abort or a cancel
    /// from now on wakes this task. Returns `true` if one arrived meanwhile.
    pub(super) fn park(&mut self, cx: &mut Context<'_>) -> bool {
        self.out.local.flush(&self.shared.recorder);
        self.shared.driver_waker.register(cx.waker());
        (!self.abort_handled && self.shared.aborted.load(Ordering::Acquire))
            || self.shared.cancels.load(Ordering::Acquire)
    }
}

// The driver never relies on its own address: running jobs are pinned in their own
// boxes (see `slots`), everything else is plain values.
impl<F: TryFuture, S, T: SharedTimer> Unpin for Driver<F, S, T> {}

impl<F: TryFuture, S: Stream<Item = F>, T: SharedTimer> Stream for Driver<F, S, T> {
    type Item = Completion<F::Ok, F::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let poll = this.poll_rounds(cx);
        // What happens until the next poll is not the driver's: its last clock
        // reading is no start time for the jobs it starts then.
        this.out.now = None;
        poll
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.out.ready.len(), None)
    }
}

impl<F: TryFuture, S: Stream<Item = F>, T: SharedTimer> Driver<F, S, T> {
    /// Runs rounds until an outcome is ready (and no waiting job can start at the
    /// last round's clock reading, see [`start_more_first`](Self::start_more_first)),
    /// the stream ends, nothing can progress or the budget is spent.
    fn poll_rounds(&mut self, cx: &mut Context<'_>) -> Poll<Option<Completion<F::Ok, F::Error>>> {
        let this = self;
        for _ in 0..POLL_BUDGET {
            debug_assert!(this.out.starts.is_empty(), "a round was left open");
            if !this.out.ready.is_empty() && !this.start_more_first() {
                let c = this.out.ready.pop_front();
                // Readers of the metrics see this job counted once it is yielded.
                this.out.local.publish(&this.shared.recorder);
                return Poll::Ready(c);
            }
            if !this.abort_handled && this.shared.aborted.load(Ordering::Acquire) {
                this.cancel_all();
                continue;
            }
            this.end_cancelled();
            // One round: start what fits, collect what ended.
            let started = this.admit(cx);
            let mut sink = Sink {
                shared: &this.shared,
                out: &mut this.out,
            };
            let (progressed, idle) = this.exec.collect(cx, &mut sink);
            sink.close_round(started || progressed);
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
}

impl<F: TryFuture, S, T: SharedTimer> Driver<F, S, T> {
    /// Whether to run another round before yielding the outcomes ready: while the
    /// last round's closing reading is fresh, queued jobs (accepted already) start at
    /// it, with no clock read of their own; once the driver yields, the reading is
    /// stale and the next start reads the clock again. At C = 1 the driver would
    /// otherwise yield, and read the clock twice, at every job. Bounded by
    /// [`ADMIT_BATCH`] outcomes waiting and by the rounds' budget. Jobs of the
    /// source stream are not pulled ahead of the outcomes: as with
    /// `buffer_unordered`, the jobs pulled and not yielded stay at most C.
    #[inline]
    fn start_more_first(&self) -> bool {
        self.out.now.is_some()
            && self.out.ready.len() < ADMIT_BATCH
            && !self.taken.is_empty()
            && self.exec.running() < self.shared.max_concurrency
    }
}

impl<F: TryFuture, S, T: SharedTimer> Driver<F, S, T> {
    /// The next outcome the stream would yield without running a round, if any: for a
    /// caller that has just had one from the stream, to take the others of the same
    /// round at once. Polls nothing and registers no waker; `None` means "poll the
    /// stream".
    #[inline]
    pub(crate) fn take_ready(&mut self) -> Option<Completion<F::Ok, F::Error>> {
        if self.start_more_first() {
            return None;
        }
        let done = self.out.ready.pop_front()?;
        // As the stream does: readers of the metrics see the job counted once yielded.
        self.out.local.publish(&self.shared.recorder);
        Some(done)
    }
}

impl<F: TryFuture, S: Stream<Item = F>, T: SharedTimer> FusedStream for Driver<F, S, T> {
    fn is_terminated(&self) -> bool {
        self.queue_done
            && self.taken.is_empty()
            && self.out.ready.is_empty()
            && self.exec.running() == 0
    }
}

impl<F: TryFuture, S, T: SharedTimer> Drop for Driver<F, S, T> {
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
                    Err(mpsc::TryRecvError::Empty) => spin_loop(),
                }
            }
        }
        // Outcomes meant for the stream cannot be delivered any more; they were
        // counted. Spawned jobs report to their handles themselves.
        for completion in self.out.ready.drain(..) {
            drop_quietly(completion);
        }
    }
}
