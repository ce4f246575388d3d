//! The inline executor of a pool built with [`PoolBuilder::build`](super::PoolBuilder::build):
//! a fixed set of slots, one per job in flight, each with its own waker.
//!
//! Compared with a `FuturesUnordered`, which allocates a task per pushed future, a
//! slot's storage and waker are allocated once, when the slot is first used, and are
//! reused by every job that runs in it. A job is polled for the first time as soon as
//! it is started, so one that is ready at once (a cache hit, a dedup skip, a no-op)
//! never waits for a wake-up.
//!
//! A waker left behind by a job that has ended may wake its slot's next job: that job
//! is then polled once for nothing, which futures must tolerate.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use futures::future::TryFuture;

use super::driver::Sink;
use super::queue::{Entry, lock};
use super::running::Running;
use super::sync::{AtomicBool, AtomicWaker, Mutex, Ordering};
use crate::outcome::Outcome;

/// Slot indices woken since the driver last looked, and the driver's waker.
#[derive(Default)]
struct Wakeups {
    woken: Mutex<Vec<usize>>,
    driver: AtomicWaker,
}

/// The waker of one slot.
struct SlotWaker {
    index: usize,
    /// Set while `index` sits in the woken list, until the driver takes the list.
    queued: AtomicBool,
    wakeups: Arc<Wakeups>,
}

impl Wake for SlotWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.queued.swap(true, Ordering::AcqRel) {
            let mut woken = lock(&self.wakeups.woken);
            woken.push(self.index);
            // Only the first index after the driver took the list needs to wake it:
            // it takes every index pushed until then at once.
            let first = woken.len() == 1;
            drop(woken);
            if first {
                self.wakeups.driver.wake();
            }
        }
    }
}

struct Slot<F: TryFuture, D> {
    /// The job running in this slot, or an ended one (`is_running` false).
    task: Pin<Box<Running<F, D>>>,
    flag: Arc<SlotWaker>,
    waker: Waker,
}

/// At most `C` jobs polled in place, each in a slot with its own waker.
pub(super) struct Slots<F: TryFuture, D> {
    slots: Vec<Slot<F, D>>,
    /// Indices of empty slots, most recently freed last (reused first: warm caches).
    free: Vec<usize>,
    running: usize,
    wakeups: Arc<Wakeups>,
    /// Woken indices taken from `wakeups`, polled from `next` on.
    woken: Vec<usize>,
    next: usize,
}

impl<F: TryFuture, D: Future<Output = ()> + Unpin> Slots<F, D> {
    pub(super) fn new() -> Self {
        Slots {
            slots: Vec::new(),
            free: Vec::new(),
            running: 0,
            wakeups: Arc::default(),
            woken: Vec::new(),
            next: 0,
        }
    }

    /// How many jobs are in the slots.
    pub(super) fn running(&self) -> usize {
        self.running
    }

    /// Starts `entry` in a free slot and polls it once; a job that ends at once goes
    /// to `sink` and leaves its slot free again. The caller keeps the bound.
    #[inline]
    pub(super) fn start(&mut self, entry: Entry<F>, deadline: Option<D>, sink: &mut Sink<'_, F>) {
        let index = match self.free.pop() {
            Some(index) => {
                self.slots[index]
                    .task
                    .as_mut()
                    .restart(entry, deadline, sink.out.now());
                index
            }
            None => {
                let index = self.slots.len();
                let flag = Arc::new(SlotWaker {
                    index,
                    queued: AtomicBool::new(false),
                    wakeups: Arc::clone(&self.wakeups),
                });
                let waker = Waker::from(Arc::clone(&flag));
                let task = Box::pin(Running::new(entry, deadline, sink.out.now()));
                self.slots.push(Slot { task, flag, waker });
                index
            }
        };
        self.running += 1;
        self.poll(index, sink);
    }

    /// Polls the job in slot `index`, if any; if it ends, delivers it to `sink` and
    /// frees the slot.
    #[inline]
    fn poll(&mut self, index: usize, sink: &mut Sink<'_, F>) {
        let slot = &mut self.slots[index];
        if !slot.task.is_running() {
            return;
        }
        let mut cx = Context::from_waker(&slot.waker);
        if let Poll::Ready(outcome) = slot.task.as_mut().poll_outcome(&mut cx) {
            let task = slot.task.as_mut().project();
            sink.ended_in_round(*task.id, outcome, *task.started, task.reply.take());
            self.running -= 1;
            self.free.push(index);
        }
    }

    /// Polls up to `max` woken jobs, delivering those that end to `sink`. Returns
    /// `Ready(())` if it polled any, `Pending` (with `cx` registered for the next
    /// wake-up) if none was woken.
    pub(super) fn poll_woken(
        &mut self,
        cx: &mut Context<'_>,
        max: usize,
        sink: &mut Sink<'_, F>,
    ) -> Poll<()> {
        let mut polled = 0;
        while polled < max {
            if self.next == self.woken.len() {
                self.woken.clear();
                self.next = 0;
                std::mem::swap(&mut self.woken, &mut *lock(&self.wakeups.woken));
                if self.woken.is_empty() {
                    // Nothing woken: register for the next wake-up, then look once
                    // more, for a slot woken before the registration (whose wake-up
                    // found no waker). While slots keep being woken, the driver
                    // neither registers nor is woken.
                    self.wakeups.driver.register(cx.waker());
                    std::mem::swap(&mut self.woken, &mut *lock(&self.wakeups.woken));
                    if self.woken.is_empty() {
                        break;
                    }
                }
                // Clear the flags of the whole batch now, while the wake-ups have
                // left them in the cache: a slot woken again from here on is listed
                // again (at worst polled once more for nothing), none is missed.
                for &index in &self.woken {
                    self.slots[index]
                        .flag
                        .queued
                        .store(false, Ordering::Release);
                }
            }
            let index = self.woken[self.next];
            self.next += 1;
            polled += 1;
            self.poll(index, sink);
        }
        if polled == 0 {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }

    /// Ends every running job as [`Outcome::Cancelled`](crate::Outcome::Cancelled), in slot order.
    pub(super) fn cancel_all(&mut self, sink: &mut Sink<'_, F>) {
        for (index, slot) in self.slots.iter_mut().enumerate() {
            if slot.task.is_running() {
                let outcome = slot.task.as_mut().end_outcome(Outcome::Cancelled);
                let task = slot.task.as_mut().project();
                sink.ended_in_round(*task.id, outcome, *task.started, task.reply.take());
                self.free.push(index);
            }
        }
        self.running = 0;
    }
}
