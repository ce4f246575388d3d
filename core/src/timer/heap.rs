//! [`HeapTimer`]: many concurrent sleeps on one OS timer per thread, the nearest one
//! finished precisely, every other one parked until its turn.
//!
//! Each thread that polls sleeps of a timer has its own shard: a heap of the
//! deadlines registered from that thread ([`deadlines`]) and one `async_io::Timer`,
//! armed for the nearest deadline less an adaptive margin. When it fires, the nearest
//! sleep's task is woken and yields until its deadline (the finishing idea of
//! [`FinishingTimer`](super::FinishingTimer), for one sleep at a time); when it ends,
//! it ends every other sleep that is due and hands the role on. The other sleeps keep
//! their waker in the shard and are not polled until they are due. Whether finishing
//! by yielding pays is measured, not assumed ([`finish`]).

mod deadlines;
mod finish;
mod quad;

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use self::deadlines::{Arm, Deadlines, Key, Outbox, Step};
use super::{Sleep, Timer};

/// A timer for thousands of concurrent sleeps: one OS timer per thread for all of
/// them, the nearest deadline finished precisely, every other sleep parked until its
/// turn.
///
/// [`AsyncIoTimer`](super::AsyncIoTimer) registers every sleep with async-io's reactor
/// and wakes up as late as the machine wakes an idle thread;
/// [`FinishingTimer`](super::FinishingTimer) covers that lateness by waking each sleep
/// early and yielding until its deadline, which at thousands of concurrent sleeps
/// keeps hundreds of them yielding at once. This timer keeps the deadlines in a heap
/// and registers only the nearest one with the reactor, woken early by an adaptive
/// margin (about twice the recent lateness of the reactor's wake-ups, from 50 µs to
/// [`MAX_MARGIN`](Self::MAX_MARGIN)). That sleep yields until its deadline, then ends
/// every sleep that is due (in deadline order, sleeps sharing a deadline in the order
/// they were registered) and hands the role to the next. The others are not polled
/// until they are due. When deadlines are denser than the margin, one sleep at a time
/// yields: the thread stays busy, as it is anyway at that rate.
///
/// Finishing by yielding pays on a machine with a core to spare, and backfires on a
/// busy one: a thread that yields stays runnable and loses its core to other processes
/// for milliseconds, while a sleeping thread that the OS wakes runs within µs. So the
/// timer measures how late its sleeps end, in epochs of 64, and keeps the better way:
/// the nearest sleep finished by yielding, or woken by the reactor at its deadline
/// with no margin. While sleeps end well within the reactor's own lateness, yielding
/// is kept; otherwise the other way is tried for up to two epochs (a trial ends as
/// soon as it has done worse) after 8, 16, then every 32 epochs. A way is judged by
/// the median of its last three epochs, each leaving out its latest sleeps, so that a
/// stall of the whole process does not decide.
///
/// A sleep is registered when it is first polled, in a heap of the thread that asked
/// for it (in async code, the thread that polls it), and woken by whoever finishes
/// that heap's nearest deadline: the same thread when one thread polls the sleeps, as under `async_io::block_on` or a single-threaded
/// executor, where the reactor runs on that thread too and the timer is most precise.
/// On other executors (tokio, or smol's global executor) the reactor runs on async-io's
/// own thread and the nearest sleep's task is woken across threads; it still works,
/// less precisely.
///
/// A sleep never ends before its deadline, counted from the call to
/// [`sleep`](Timer::sleep). A deadline past the clock's range never comes: the sleep
/// stays pending, without an entry in the heap. A dropped sleep gives back its waker at
/// once; its heap entry is skipped when it reaches the top, and the heap is compacted
/// when more than half its entries are dropped ones (O(log n) per sleep, amortised).
///
/// Clones share their heaps. Available with the `async-io` feature, natively.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use futures::future::join_all;
/// use tracepool::timer::{HeapTimer, Timer};
///
/// let timer = HeapTimer::new();
/// let started = Instant::now();
/// async_io::block_on(join_all(
///     (1..=1_000u64).map(|i| Timer::sleep(&timer, Duration::from_micros(i * 10))),
/// ));
/// assert!(started.elapsed() >= Duration::from_millis(10));
/// ```
///
/// As the pool's timer for its timeouts:
///
/// ```
/// use std::time::Duration;
/// use futures::future::BoxFuture;
/// use tracepool::Pool;
/// use tracepool::timer::HeapTimer;
///
/// let (pool, driver) = Pool::builder()
///     .max_concurrency(10_000)
///     .timeout(Duration::from_secs(30))
///     .timer(HeapTimer::new())
///     .build::<BoxFuture<'static, Result<(), ()>>>()?;
/// # drop((pool, driver));
/// # Ok::<(), tracepool::BuildError>(())
/// ```
#[derive(Clone, Default)]
pub struct HeapTimer {
    /// The timer's identity: its heaps, one per thread, are found by it.
    id: Arc<TimerId>,
}

/// What the threads' shard caches know a timer by.
#[derive(Debug, Default)]
struct TimerId;

impl HeapTimer {
    /// The largest margin the nearest sleep wakes up early by.
    pub const MAX_MARGIN: Duration = Duration::from_micros(500);

    /// A timer without sleeps. On each thread it starts finishing the nearest sleep by
    /// yielding, with a margin of 50 µs, and measures from there.
    pub fn new() -> Self {
        HeapTimer::default()
    }
}

impl fmt::Debug for HeapTimer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeapTimer").finish_non_exhaustive()
    }
}

impl HeapTimer {
    /// A sleep of `duration`, counted from now, as a future of its own type: what
    /// [`Timer::sleep`] gives in a box, for a caller that keeps it in place (in its
    /// own future, without an allocation per sleep).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tracepool::timer::{HeapSleep, HeapTimer};
    ///
    /// let timer = HeapTimer::new();
    /// let started = Instant::now();
    /// let sleep: HeapSleep = timer.sleep(Duration::from_millis(2));
    /// async_io::block_on(sleep);
    /// assert!(started.elapsed() >= Duration::from_millis(2));
    /// ```
    pub fn sleep(&self, duration: Duration) -> HeapSleep {
        let start = Instant::now();
        HeapSleep {
            start,
            deadline: start.checked_add(duration),
            state: SleepState::New(shard_for(&self.id)),
        }
    }
}

impl Timer for HeapTimer {
    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(HeapTimer::sleep(self, duration))
    }
}

/// One sleep of a [`HeapTimer`], made by [`HeapTimer::sleep`]: a future that ends at
/// its deadline (never earlier), registered in the heap of the thread that asked for
/// it. Dropping it unregisters it.
#[must_use = "a sleep does nothing unless polled"]
pub struct HeapSleep {
    /// When it was asked for: the time it registers at, without reading the clock (an
    /// earlier time than the real one can make it later, never early).
    start: Instant,
    /// When it ends; `None` past the clock's range: never.
    deadline: Option<Instant>,
    state: SleepState,
}

enum SleepState {
    /// Not polled yet: registered in this shard (the asking thread's) at the first
    /// poll.
    New(Arc<Shard>),
    /// In `shard`'s heap, or ended there and not yet seen.
    Registered { shard: Arc<Shard>, key: Key },
    /// Ended.
    Done,
}

impl SleepState {
    /// A new sleep has been registered under `key`: it keeps its shard.
    fn registered(&mut self, key: Key) {
        if let SleepState::New(shard) = std::mem::replace(self, SleepState::Done) {
            *self = SleepState::Registered { shard, key };
        }
    }
}

impl HeapSleep {
    /// The time it counts from: the clock's reading when it was asked for. Its
    /// deadline is this time plus its duration.
    pub fn start(&self) -> Instant {
        self.start
    }

    /// When it ends (at the earliest); `None` for a deadline past the clock's range,
    /// which never comes.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }
}

impl fmt::Debug for HeapSleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeapSleep")
            .field("deadline", &self.deadline)
            .field("ended", &matches!(self.state, SleepState::Done))
            .finish_non_exhaustive()
    }
}

impl Future for HeapSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let Some(deadline) = this.deadline else {
            // Never: nothing will wake it, so no waker is kept.
            return Poll::Pending;
        };
        let step = match &this.state {
            SleepState::Done => return Poll::Ready(()),
            SleepState::New(shard) => {
                if deadline == this.start {
                    this.state = SleepState::Done;
                    return Poll::Ready(());
                }
                let start = this.start;
                let (key, step) = shard.run(|d, out| d.register(deadline, start, cx.waker(), out));
                if let Some(key) = key {
                    this.state.registered(key);
                }
                step
            }
            SleepState::Registered { shard, key } => {
                let key = *key;
                if shard.has_ended(key) {
                    // Ended by whoever settled the heap: nothing left to do there.
                    Step::Ready
                } else {
                    // The sleep that yields until its deadline reads the clock without
                    // the lock, and takes it once the deadline has come.
                    let now = shard.yields(key).then(Instant::now);
                    if now.is_some_and(|now| now < deadline) {
                        Step::Yield
                    } else {
                        let clock = || now.unwrap_or_else(Instant::now);
                        shard.run(|d, out| d.poll(key, deadline, clock, cx.waker(), out))
                    }
                }
            }
        };
        match step {
            Step::Ready => {
                this.state = SleepState::Done;
                Poll::Ready(())
            }
            Step::Yield => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Step::Park => Poll::Pending,
        }
    }
}

impl Drop for HeapSleep {
    fn drop(&mut self) {
        if let SleepState::Registered { shard, key } = &self.state {
            let key = *key;
            if !shard.has_ended(key) {
                shard.run(|d, out| d.cancel(key, Instant::now, out));
            }
        }
    }
}

thread_local! {
    /// This thread's shard of every live timer that has been polled here.
    static SHARDS: RefCell<Vec<(Weak<TimerId>, Arc<Shard>)>> = const { RefCell::new(Vec::new()) };
    /// Wakers to wake once a shard's lock is released, kept to save an allocation.
    static TO_WAKE: Cell<Vec<Waker>> = const { Cell::new(Vec::new()) };
    /// Wakers to drop once a shard's lock is released, likewise.
    static TO_DROP: Cell<Vec<Waker>> = const { Cell::new(Vec::new()) };
}

/// The calling thread's shard of the timer `id` (a shard of its own when the thread's
/// locals are gone, as in a thread-local destructor).
fn shard_for(id: &Arc<TimerId>) -> Arc<Shard> {
    SHARDS
        .try_with(|shards| {
            let mut shards = shards.try_borrow_mut().ok()?;
            if let Some((_, shard)) = shards
                .iter()
                .find(|(timer, _)| std::ptr::eq(timer.as_ptr(), Arc::as_ptr(id)))
            {
                return Some(Arc::clone(shard));
            }
            // Forget the shards of timers that are gone, then add this one.
            shards.retain(|(timer, _)| timer.strong_count() > 0);
            let shard = Shard::new();
            shards.push((Arc::downgrade(id), Arc::clone(&shard)));
            Some(shard)
        })
        .ok()
        .flatten()
        .unwrap_or_else(Shard::new)
}

/// The deadlines registered from one thread, and the OS timer awaiting the nearest.
struct Shard {
    locked: Mutex<Locked>,
    /// [`Deadlines::ended_through`] as of the last release of the lock: a sleep polled
    /// after it has ended (the common case: woken because it ended) sees it here,
    /// without taking the lock.
    ended_through: AtomicU64,
    /// [`Deadlines::yielding_at`] as of the last release of the lock: the sleep that
    /// yields until its deadline sees here that it may go on without the lock.
    yielding_at: AtomicU64,
}

struct Locked {
    deadlines: Deadlines,
    /// Armed for `deadlines.armed`.
    os_timer: async_io::Timer,
    /// Wakes this shard ([`OsWake`]) when the OS timer fires.
    os_waker: Waker,
}

impl Shard {
    fn new() -> Arc<Shard> {
        Arc::new_cyclic(|shard| Shard {
            locked: Mutex::new(Locked {
                deadlines: Deadlines::new(),
                os_timer: async_io::Timer::never(),
                os_waker: Waker::from(Arc::new(OsWake(Weak::clone(shard)))),
            }),
            ended_through: AtomicU64::new(0),
            yielding_at: AtomicU64::new(0),
        })
    }

    /// Whether the sleep registered under `key` has ended, as of the last release of
    /// the lock (it may have ended since: under the lock, [`Deadlines`] knows for
    /// sure). Stored under the lock with a release, read with an acquire.
    #[inline]
    fn has_ended(&self, key: Key) -> bool {
        key.at <= self.ended_through.load(Ordering::Acquire)
    }

    /// Whether the sleep registered under `key` yields until its deadline, as of the
    /// last release of the lock (sleeps sharing its deadline may think so too: they
    /// yield until it, when they end with it). A stale answer costs a yield or a
    /// look under the lock, never an early end: only the lock ends a pending sleep.
    #[inline]
    fn yields(&self, key: Key) -> bool {
        key.at == self.yielding_at.load(Ordering::Acquire)
    }

    fn lock(&self) -> MutexGuard<'_, Locked> {
        // Nothing panics while the lock is held; if something did, the heap is still
        // consistent.
        self.locked.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the deadlines under the lock, arms the OS timer where `f` says,
    /// then wakes (and drops) the wakers `f` handed out, outside the lock: a waker is
    /// someone else's code, which might come back to this shard.
    fn run<R>(&self, f: impl FnOnce(&mut Deadlines, &mut Outbox) -> (R, Arm)) -> R {
        let mut out = Outbox {
            wake: TO_WAKE.try_with(Cell::take).unwrap_or_default(),
            drop: TO_DROP.try_with(Cell::take).unwrap_or_default(),
        };
        let result = {
            let mut locked = self.lock();
            let (result, mut arm) = f(&mut locked.deadlines, &mut out);
            while let Some(at) = arm {
                if !locked.arm(at) {
                    break;
                }
                // Already due: as if the OS timer had fired.
                arm = locked.deadlines.os_fired(Instant::now(), &mut out);
            }
            self.ended_through
                .store(locked.deadlines.ended_through(), Ordering::Release);
            self.yielding_at
                .store(locked.deadlines.yielding_at(), Ordering::Release);
            result
        };
        for waker in out.wake.drain(..) {
            waker.wake();
        }
        out.drop.clear();
        let _ = TO_WAKE.try_with(|cell| cell.set(out.wake));
        let _ = TO_DROP.try_with(|cell| cell.set(out.drop));
        result
    }
}

impl Locked {
    /// Arms the OS timer for `at`; returns whether `at` has already come.
    fn arm(&mut self, at: Instant) -> bool {
        self.os_timer.set_at(at);
        let mut cx = Context::from_waker(&self.os_waker);
        Pin::new(&mut self.os_timer).poll(&mut cx).is_ready()
    }
}

/// The waker given to a shard's OS timer.
struct OsWake(Weak<Shard>);

impl Wake for OsWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(shard) = self.0.upgrade() {
            shard.run(|d, out| ((), d.os_fired(Instant::now(), out)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};

    /// Counts the polls of a future, to show parked sleeps are not polled.
    struct Counted<F>(F, Arc<AtomicUsize>);

    impl<F: Future + Unpin> Future for Counted<F> {
        type Output = F::Output;

        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
            self.1.fetch_add(1, AtomicOrdering::Relaxed);
            Pin::new(&mut self.0).poll(cx)
        }
    }

    #[test]
    fn sleeps_end_no_earlier_than_asked() {
        let timer = HeapTimer::new();
        async_io::block_on(futures::future::join_all((0..300u64).map(|n| {
            let duration = Duration::from_micros(n * 97 % 20_000);
            let start = Instant::now();
            let sleep = Timer::sleep(&timer, duration);
            async move {
                sleep.await;
                assert!(start.elapsed() >= duration, "{duration:?}");
            }
        })));
    }

    #[test]
    fn parked_sleeps_are_not_polled_before_their_turn() {
        use futures::StreamExt;
        use futures::future::{BoxFuture, FutureExt};

        let timer = HeapTimer::new();
        let polls = Arc::new(AtomicUsize::new(0));
        let long = Counted(
            Timer::sleep(&timer, Duration::from_secs(10)),
            Arc::clone(&polls),
        );
        let mut sleeps: futures::stream::FuturesUnordered<BoxFuture<'static, bool>> = (1..=100u64)
            .map(|n| {
                Timer::sleep(&timer, Duration::from_micros(n * 50))
                    .map(|()| false)
                    .boxed()
            })
            .collect();
        sleeps.push(long.map(|()| true).boxed());
        async_io::block_on(async {
            for _ in 0..100 {
                assert_eq!(sleeps.next().await, Some(false));
            }
        });
        // Polled once, to register; the short sleeps around it ended without a poll of it.
        assert_eq!(polls.load(AtomicOrdering::Relaxed), 1);
    }

    #[test]
    fn a_deadline_past_the_clock_never_comes() {
        let timer = HeapTimer::new();
        let mut never = Timer::sleep(&timer, Duration::MAX);
        let mut soon = Timer::sleep(&timer, Duration::from_millis(1));
        let mut far = Timer::sleep(&timer, Duration::from_secs(100 * 365 * 86_400));
        async_io::block_on(async {
            assert!(futures::poll!(&mut never).is_pending());
            assert!(futures::poll!(&mut far).is_pending());
            (&mut soon).await;
            assert!(futures::poll!(&mut never).is_pending());
            assert!(futures::poll!(&mut far).is_pending());
        });
        drop(far);
        let zero = Timer::sleep(&timer, Duration::ZERO);
        assert_eq!(futures::FutureExt::now_or_never(zero), Some(()));
    }

    #[test]
    fn a_sleep_kept_in_place_is_send_and_unpin() {
        fn send_unpin<T: Send + Unpin + 'static>(_: &T) {}
        let timer = HeapTimer::new();
        let before = Instant::now();
        let mut sleep = timer.sleep(Duration::from_millis(1));
        send_unpin(&sleep);
        assert!(sleep.start() >= before && sleep.start() <= Instant::now());
        assert_eq!(
            sleep.deadline(),
            Some(sleep.start() + Duration::from_millis(1))
        );
        assert_eq!(timer.sleep(Duration::MAX).deadline(), None);
        // Moved after its first poll (it is `Unpin`), it still ends, and stays ended.
        async_io::block_on(async {
            assert!(futures::poll!(&mut sleep).is_pending());
            let mut moved = Box::new(sleep);
            (&mut *moved).await;
            assert!(futures::poll!(&mut *moved).is_ready());
        });
    }

    #[test]
    fn each_thread_has_its_own_heap_and_clones_share_it() {
        let timer = HeapTimer::new();
        let here = shard_for(&timer.id);
        assert!(Arc::ptr_eq(&here, &shard_for(&timer.clone().id)));
        assert!(!Arc::ptr_eq(&here, &shard_for(&HeapTimer::new().id)));
        let id = Arc::clone(&timer.id);
        let there = std::thread::spawn(move || shard_for(&id)).join().unwrap();
        assert!(!Arc::ptr_eq(&here, &there));
    }
}
