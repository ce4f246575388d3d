//! [`HeapTimer`]: many concurrent sleeps on one OS timer per thread, the nearest one
//! finished precisely, every other one parked until its turn.
//!
//! Each thread that polls sleeps of a timer has its own shard: a binary heap of the
//! deadlines registered from that thread and one `async_io::Timer`, armed for the
//! nearest deadline less an adaptive margin. When it fires, the nearest sleep's task
//! is woken and yields until its deadline (the finishing idea of
//! [`FinishingTimer`](super::FinishingTimer), for one sleep at a time); when it ends,
//! it ends every other sleep that is due and hands the role on. The other sleeps keep
//! their waker in the shard and are not polled until they are due.

use std::cell::{Cell, RefCell};
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fmt;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

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
/// margin (about twice the recent lateness of the reactor's wake-ups, at most
/// [`MAX_MARGIN`](Self::MAX_MARGIN)). That sleep yields until its deadline, then ends
/// every sleep that is due (in deadline order, sleeps sharing a deadline in the order
/// they were registered) and hands the role to the next. The others are not polled
/// until they are due. When deadlines are denser than the margin, one sleep at a time
/// yields: the thread stays busy, as it is anyway at that rate.
///
/// A sleep is registered when it is first polled, in a heap of the polling thread, and
/// woken by whoever finishes that heap's nearest deadline: the same thread when one
/// thread polls the sleeps, as under `async_io::block_on` or a single-threaded
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

    /// A timer without sleeps. Its first wake-ups on each thread come
    /// [`MAX_MARGIN`](Self::MAX_MARGIN) early; the margin then follows the lateness
    /// observed on that thread.
    pub fn new() -> Self {
        HeapTimer::default()
    }
}

impl fmt::Debug for HeapTimer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeapTimer").finish_non_exhaustive()
    }
}

impl Timer for HeapTimer {
    fn sleep(&self, duration: Duration) -> Sleep {
        let start = Instant::now();
        Box::pin(HeapSleep {
            start,
            deadline: start.checked_add(duration),
            state: SleepState::New(Arc::clone(&self.id)),
        })
    }
}

/// One sleep of a [`HeapTimer`].
struct HeapSleep {
    /// When it was asked for: the time it registers at, without reading the clock (an
    /// earlier time than the real one can make it later, never early).
    start: Instant,
    /// When it ends; `None` past the clock's range: never.
    deadline: Option<Instant>,
    state: SleepState,
}

enum SleepState {
    /// Not polled yet: registered in the polling thread's shard at the first poll.
    New(Arc<TimerId>),
    /// In `shard`'s heap, or fired and not yet seen.
    Registered { shard: Arc<Shard>, key: Key },
    /// Ended.
    Done,
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
            SleepState::New(id) => {
                if deadline == this.start {
                    this.state = SleepState::Done;
                    return Poll::Ready(());
                }
                let shard = shard_for(id);
                let start = this.start;
                let (key, step) = shard.run(|d, out| d.register(deadline, start, cx.waker(), out));
                this.state = SleepState::Registered { shard, key };
                step
            }
            SleepState::Registered { shard, key } => {
                let key = *key;
                shard.run(|d, out| d.poll(key, deadline, Instant::now, cx.waker(), out))
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
            shard.run(|d, out| d.cancel(key, Instant::now, out));
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
        })
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

/// The wakers an operation on a shard hands out, to wake or drop once its lock is
/// released.
#[derive(Default)]
struct Outbox {
    /// To wake, in this order.
    wake: Vec<Waker>,
    /// To drop: wakers replaced, or given back by dropped sleeps.
    drop: Vec<Waker>,
}

/// Where the OS timer must be armed, when it must be re-armed.
type Arm = Option<Instant>;

/// What a sleep's poll comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Its deadline has passed: it ends.
    Ready,
    /// It is the nearest sleep, within the margin of its deadline: it wakes itself and
    /// yields.
    Yield,
    /// It waits for its turn; its waker is kept.
    Park,
}

/// A registration: the slot a sleep's waker is kept in and the registration's
/// sequence number (which a reused slot does not share).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    slot: u32,
    seq: u64,
}

/// One heap entry: ordered by deadline, then by registration, nearest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    deadline: Instant,
    seq: u64,
    slot: u32,
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        // `BinaryHeap` is a max-heap: the nearest deadline is the greatest entry.
        (other.deadline, other.seq).cmp(&(self.deadline, self.seq))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

enum SlotState {
    Free,
    /// In the heap.
    Waiting(Waker),
    /// Out of the heap, its deadline passed; its sleep has not seen it yet.
    Fired,
}

struct Slot {
    seq: u64,
    state: SlotState,
}

/// The heap of one shard and its bookkeeping, on a clock passed in (so that tests can
/// drive it in virtual time). It never touches the OS timer: it says where to arm it.
struct Deadlines {
    heap: BinaryHeap<Entry>,
    slots: Vec<Slot>,
    free: Vec<u32>,
    next_seq: u64,
    /// Entries of dropped sleeps still in the heap.
    cancelled: usize,
    /// The nearest sleep, once within the margin of its deadline: it yields until it.
    leader: Option<Key>,
    /// Where the OS timer is armed, until it fires.
    armed: Option<Instant>,
    /// When the OS timer was due, if it fired for the leader and the leader has not
    /// run since: how late the leader runs is the lateness the margin covers.
    fired: Option<Instant>,
    margin: Margin,
}

/// Dropped entries are swept out once they are more than half the heap and more than
/// this many.
const COMPACT_ABOVE: usize = 64;

impl Deadlines {
    fn new() -> Self {
        Deadlines {
            heap: BinaryHeap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            next_seq: 0,
            cancelled: 0,
            leader: None,
            armed: None,
            fired: None,
            margin: Margin::new(),
        }
    }

    /// Registers a sleep due at `deadline`, woken through `waker`, at `now` (or
    /// earlier: the sleep's start, to save reading the clock).
    fn register(
        &mut self,
        deadline: Instant,
        now: Instant,
        waker: &Waker,
        out: &mut Outbox,
    ) -> ((Key, Step), Arm) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = Slot {
            seq,
            state: SlotState::Waiting(waker.clone()),
        };
        let index = match self.free.pop() {
            Some(index) => {
                self.slots[index as usize] = slot;
                index
            }
            None => {
                // More than 2^32 sleeps pending on one thread would not fit in memory.
                let index = u32::try_from(self.slots.len()).expect("fewer than 2^32 sleeps");
                self.slots.push(slot);
                index
            }
        };
        self.heap.push(Entry {
            deadline,
            seq,
            slot: index,
        });
        let key = Key { slot: index, seq };
        let arm = self.settle(now, Some(key), out);
        let step = self.step_of(key);
        ((key, step), arm)
    }

    /// A registered sleep is polled; `clock` reads the time (not needed when the sleep
    /// has fired).
    fn poll(
        &mut self,
        key: Key,
        deadline: Instant,
        clock: impl FnOnce() -> Instant,
        waker: &Waker,
        out: &mut Outbox,
    ) -> (Step, Arm) {
        match &mut self.slots[key.slot as usize].state {
            SlotState::Waiting(kept) => {
                if !kept.will_wake(waker) {
                    out.drop.push(mem::replace(kept, waker.clone()));
                }
            }
            SlotState::Fired | SlotState::Free => {
                self.release(key.slot);
                return (Step::Ready, None);
            }
        }
        let now = clock();
        if self.leader == Some(key) {
            if let Some(due) = self.fired.take() {
                self.margin.observe(now.saturating_duration_since(due));
            }
        }
        let arm = if deadline <= now || self.leader != Some(key) {
            self.settle(now, Some(key), out)
        } else {
            // The leader yielding until its deadline: nothing else can be due earlier.
            None
        };
        let step = self.step_of(key);
        if step == Step::Ready {
            self.release(key.slot);
        }
        (step, arm)
    }

    /// A registered sleep is dropped (`clock` reads the time, if needed); its waker is
    /// handed out to drop.
    fn cancel(&mut self, key: Key, clock: impl FnOnce() -> Instant, out: &mut Outbox) -> ((), Arm) {
        let state = mem::replace(&mut self.slots[key.slot as usize].state, SlotState::Free);
        self.free.push(key.slot);
        let SlotState::Waiting(waker) = state else {
            return ((), None);
        };
        out.drop.push(waker);
        self.cancelled += 1;
        let mut arm = None;
        if self.leader == Some(key) {
            // The next sleep takes over (an OS timer armed earlier than needed is left
            // to fire early).
            self.leader = None;
            self.fired = None;
            arm = self.settle(clock(), None, out);
        }
        if self.cancelled > COMPACT_ABOVE && self.cancelled * 2 > self.heap.len() {
            let slots = &self.slots;
            self.heap.retain(|entry| is_live(slots, entry));
            self.cancelled = 0;
        }
        ((), arm)
    }

    /// The OS timer fired at `now`.
    fn os_fired(&mut self, now: Instant, out: &mut Outbox) -> Arm {
        if let Some(due) = self.armed.take() {
            if due <= now {
                self.fired = Some(due);
            }
        }
        if let (Some(due), Some((deadline, _))) = (self.fired, self.live_top()) {
            if deadline <= now {
                // Woken after the deadline itself: no leader will see this lateness.
                self.margin.observe(now.saturating_duration_since(due));
                self.fired = None;
            }
        }
        self.settle(now, None, out)
    }

    /// Ends every sleep due at `now` (all but `me`'s are woken), then makes the nearest
    /// remaining one the leader if it is within the margin of its deadline (woken to
    /// yield) or says where to arm the OS timer for it.
    fn settle(&mut self, now: Instant, me: Option<Key>, out: &mut Outbox) -> Arm {
        while let Some((deadline, key)) = self.live_top() {
            if deadline > now {
                break;
            }
            self.heap.pop();
            let slot = &mut self.slots[key.slot as usize];
            if let SlotState::Waiting(waker) = mem::replace(&mut slot.state, SlotState::Fired) {
                if Some(key) == me {
                    out.drop.push(waker);
                } else {
                    out.wake.push(waker);
                }
            }
            if self.leader == Some(key) {
                self.leader = None;
            }
        }
        let Some((deadline, key)) = self.live_top() else {
            self.leader = None;
            return None;
        };
        let margin = self.margin.get();
        match deadline.checked_sub(margin).filter(|start| *start > now) {
            None => {
                // Within the margin: it yields until its deadline.
                if self.leader != Some(key) {
                    self.leader = Some(key);
                    if Some(key) != me {
                        if let SlotState::Waiting(waker) = &self.slots[key.slot as usize].state {
                            out.wake.push(waker.clone());
                        }
                    }
                }
                None
            }
            Some(start) => {
                self.leader = None;
                match self.armed {
                    // Armed early enough: when it fires, it is re-armed if need be.
                    Some(armed) if armed <= start => None,
                    _ => {
                        self.armed = Some(start);
                        self.fired = None;
                        Some(start)
                    }
                }
            }
        }
    }

    /// What a poll of `key`'s sleep comes to, after [`settle`](Self::settle).
    fn step_of(&self, key: Key) -> Step {
        match self.slots[key.slot as usize].state {
            SlotState::Waiting(_) if self.leader == Some(key) => Step::Yield,
            SlotState::Waiting(_) => Step::Park,
            SlotState::Fired | SlotState::Free => Step::Ready,
        }
    }

    /// The nearest live entry, dropping the dropped sleeps' entries above it.
    fn live_top(&mut self) -> Option<(Instant, Key)> {
        while let Some(entry) = self.heap.peek() {
            if is_live(&self.slots, entry) {
                let key = Key {
                    slot: entry.slot,
                    seq: entry.seq,
                };
                return Some((entry.deadline, key));
            }
            self.heap.pop();
            self.cancelled = self.cancelled.saturating_sub(1);
        }
        None
    }

    fn release(&mut self, slot: u32) {
        let state = &mut self.slots[slot as usize].state;
        if !matches!(state, SlotState::Free) {
            *state = SlotState::Free;
            self.free.push(slot);
        }
    }
}

/// Whether `entry` is a pending sleep's (not a dropped one's).
fn is_live(slots: &[Slot], entry: &Entry) -> bool {
    let slot = &slots[entry.slot as usize];
    slot.seq == entry.seq && matches!(slot.state, SlotState::Waiting(_))
}

/// How early the OS timer is armed: about twice the recent lateness of its wake-ups,
/// at most [`HeapTimer::MAX_MARGIN`].
#[derive(Debug, Clone, Copy)]
struct Margin {
    /// Moving average of the lateness, in nanoseconds.
    lateness_ns: u64,
}

impl Margin {
    fn new() -> Self {
        Margin {
            lateness_ns: duration_ns(HeapTimer::MAX_MARGIN) / 2,
        }
    }

    fn get(self) -> Duration {
        Duration::from_nanos(self.lateness_ns.saturating_mul(2)).min(HeapTimer::MAX_MARGIN)
    }

    fn observe(&mut self, late: Duration) {
        // Over about 16 wake-ups; a wake-up later than the largest margin counts as it.
        let late = duration_ns(late.min(HeapTimer::MAX_MARGIN));
        self.lateness_ns = self.lateness_ns - self.lateness_ns / 16 + late / 16;
    }
}

fn duration_ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};

    /// Wakers that log their number when woken, in virtual time.
    #[derive(Default)]
    struct Log(Mutex<Vec<usize>>);

    struct Numbered(usize, Arc<Log>);

    impl Wake for Numbered {
        fn wake(self: Arc<Self>) {
            self.1.0.lock().unwrap().push(self.0);
        }
    }

    fn waker(n: usize, log: &Arc<Log>) -> Waker {
        Waker::from(Arc::new(Numbered(n, Arc::clone(log))))
    }

    /// Wakes what `out` collected, returning the numbers in the order woken.
    fn woken(out: &mut Outbox, log: &Arc<Log>) -> Vec<usize> {
        for w in out.wake.drain(..) {
            w.wake();
        }
        mem::take(&mut *log.0.lock().unwrap())
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A heap whose sleeps are numbered by their index in `deadlines` (after `t0`).
    fn registered(t0: Instant, deadlines: &[u64], log: &Arc<Log>) -> (Deadlines, Vec<Key>) {
        let mut d = Deadlines::new();
        let mut out = Outbox::default();
        let keys = deadlines
            .iter()
            .enumerate()
            .map(|(n, &at)| d.register(t0 + ms(at), t0, &waker(n, log), &mut out).0.0)
            .collect();
        assert_eq!(woken(&mut out, log), Vec::<usize>::new());
        (d, keys)
    }

    #[test]
    fn sleeps_end_in_deadline_order_and_never_early() {
        let log = Arc::new(Log::default());
        let t0 = Instant::now();
        let (mut d, keys) = registered(t0, &[50, 10, 30, 20, 40], &log);
        let mut out = Outbox::default();
        // Just before a deadline the nearest sleep is woken to yield, not to end.
        d.settle(t0 + ms(10) - Duration::from_nanos(1), None, &mut out);
        assert_eq!(woken(&mut out, &log), vec![1]);
        assert_eq!(d.step_of(keys[1]), Step::Yield);
        assert!(
            keys.iter()
                .all(|k| *k == keys[1] || d.step_of(*k) == Step::Park)
        );
        // At its deadline it ends.
        d.settle(t0 + ms(10), None, &mut out);
        assert_eq!(woken(&mut out, &log), vec![1]);
        assert_eq!(d.step_of(keys[1]), Step::Ready);
        // Several due at once end together, nearest first.
        d.settle(t0 + ms(45), None, &mut out);
        assert_eq!(woken(&mut out, &log), vec![3, 2, 4]);
        d.settle(t0 + ms(60), None, &mut out);
        assert_eq!(woken(&mut out, &log), vec![0]);
        assert!(d.live_top().is_none());
    }

    #[test]
    fn sleeps_sharing_a_deadline_end_together_in_registration_order() {
        let log = Arc::new(Log::default());
        let t0 = Instant::now();
        let (mut d, keys) = registered(t0, &[20, 20, 10, 20, 20], &log);
        let mut out = Outbox::default();
        d.settle(t0 + ms(15), None, &mut out);
        assert_eq!(woken(&mut out, &log), vec![2]);
        // One of them polls at the deadline: it ends, and so do the others, woken in
        // the order they were registered.
        let (step, _) = d.poll(
            keys[1],
            t0 + ms(20),
            || t0 + ms(20),
            &waker(1, &log),
            &mut out,
        );
        assert_eq!(step, Step::Ready);
        assert_eq!(woken(&mut out, &log), vec![0, 3, 4]);
        for key in [keys[0], keys[2], keys[3], keys[4]] {
            let (step, _) = d.poll(key, t0 + ms(20), || t0 + ms(20), &waker(9, &log), &mut out);
            assert_eq!(step, Step::Ready);
        }
        assert_eq!(d.free.len(), 5, "every slot is free again");
    }

    #[test]
    fn only_the_nearest_sleep_finishes_by_yielding() {
        let log = Arc::new(Log::default());
        let t0 = Instant::now();
        let mut d = Deadlines::new();
        let mut out = Outbox::default();
        let margin = d.margin.get();
        assert_eq!(margin, HeapTimer::MAX_MARGIN);
        // The first sleep arms the OS timer for its deadline less the margin.
        let ((first, step), arm) = d.register(t0 + ms(10), t0, &waker(0, &log), &mut out);
        assert_eq!((step, arm), (Step::Park, Some(t0 + ms(10) - margin)));
        // A later one leaves it alone; an earlier one re-arms it.
        let ((_, step), arm) = d.register(t0 + ms(10), t0, &waker(1, &log), &mut out);
        assert_eq!((step, arm), (Step::Park, None));
        let ((near, _), arm) = d.register(t0 + ms(5), t0, &waker(2, &log), &mut out);
        assert_eq!(arm, Some(t0 + ms(5) - margin));
        // The OS timer fires 100 µs late: the nearest sleep is woken to yield, the
        // others stay parked.
        let fired = t0 + ms(5) - margin + Duration::from_micros(100);
        assert_eq!(d.os_fired(fired, &mut out), None);
        assert_eq!(woken(&mut out, &log), vec![2]);
        let (step, _) = d.poll(near, t0 + ms(5), || fired, &waker(2, &log), &mut out);
        assert_eq!(step, Step::Yield);
        assert!(d.margin.get() < margin, "the margin follows the lateness");
        let (step, _) = d.poll(first, t0 + ms(10), || fired, &waker(0, &log), &mut out);
        assert_eq!(step, Step::Park);
        // At its deadline it ends and the OS timer is armed for the next ones.
        let (step, arm) = d.poll(near, t0 + ms(5), || t0 + ms(5), &waker(2, &log), &mut out);
        assert_eq!(step, Step::Ready);
        assert_eq!(arm, Some(t0 + ms(10) - d.margin.get()));
        assert_eq!(woken(&mut out, &log), Vec::<usize>::new());
    }

    #[test]
    fn a_sleep_within_the_margin_of_the_previous_one_takes_over_at_once() {
        let log = Arc::new(Log::default());
        let t0 = Instant::now();
        let (mut d, keys) = registered(t0, &[10, 10], &log);
        let mut out = Outbox::default();
        // Registered 10 ms before its deadline, a sleep of 10 ms plus 100 µs.
        let ((third, _), _) = d.register(
            t0 + ms(10) + Duration::from_micros(100),
            t0,
            &waker(2, &log),
            &mut out,
        );
        let window = t0 + ms(10) - d.margin.get();
        d.os_fired(window, &mut out);
        assert_eq!(woken(&mut out, &log), vec![0]);
        let (step, _) = d.poll(
            keys[0],
            t0 + ms(10),
            || t0 + ms(10),
            &waker(0, &log),
            &mut out,
        );
        assert_eq!(step, Step::Ready);
        // The second ends with it; the third is within the margin: it yields next.
        assert_eq!(woken(&mut out, &log), vec![1, 2]);
        let (step, arm) = d.poll(
            third,
            t0 + ms(10) + Duration::from_micros(100),
            || t0 + ms(10),
            &waker(2, &log),
            &mut out,
        );
        assert_eq!((step, arm), (Step::Yield, None));
    }

    #[test]
    fn dropped_sleeps_are_never_woken_and_the_next_one_takes_over() {
        let log = Arc::new(Log::default());
        let t0 = Instant::now();
        let (mut d, keys) = registered(t0, &[10, 20, 30], &log);
        let mut out = Outbox::default();
        let ((), arm) = d.cancel(keys[1], || t0, &mut out);
        assert_eq!(
            mem::take(&mut out.drop).len(),
            1,
            "its waker is handed back"
        );
        assert_eq!(arm, None, "an OS timer armed early enough is left alone");
        // The leader is dropped while yielding: the next sleep is woken to take over
        // when it is within the margin, else the OS timer is armed for it.
        d.os_fired(t0 + ms(10) - d.margin.get(), &mut out);
        assert_eq!(woken(&mut out, &log), vec![0]);
        let (_, arm) = d.cancel(keys[0], || t0 + ms(10), &mut out);
        assert_eq!(arm, Some(t0 + ms(30) - d.margin.get()));
        d.settle(t0 + ms(40), None, &mut out);
        assert_eq!(woken(&mut out, &log), vec![2]);
        out.drop.clear();
        d.cancel(keys[2], || t0 + ms(40), &mut out);
        assert!(
            out.drop.is_empty(),
            "a fired sleep has given its waker back"
        );
        assert!(d.heap.is_empty());
    }

    #[test]
    fn dropped_sleeps_leave_the_heap() {
        let log = Arc::new(Log::default());
        let t0 = Instant::now();
        let deadlines: Vec<u64> = (1..=1_000).collect();
        let (mut d, keys) = registered(t0, &deadlines, &log);
        let mut out = Outbox::default();
        // Every sleep but the last of each ten is dropped: the heap is compacted.
        for (n, key) in keys.iter().enumerate() {
            if n % 10 != 9 {
                d.cancel(*key, || t0, &mut out);
            }
        }
        assert!(
            d.heap.len() <= 100 + 2 * COMPACT_ABOVE,
            "{} entries",
            d.heap.len()
        );
        // Slots are reused and the survivors still end, in order, none early.
        let more: Vec<Key> = (0..900)
            .map(|n| {
                d.register(t0 + ms(2_000), t0, &waker(1_000 + n, &log), &mut out)
                    .0
                    .0
            })
            .collect();
        assert_eq!(d.slots.len(), 1_000);
        d.settle(t0 + ms(1_000), None, &mut out);
        let ended = woken(&mut out, &log);
        assert_eq!(ended, (0..100).map(|n| n * 10 + 9).collect::<Vec<_>>());
        for key in more {
            d.cancel(key, || t0, &mut out);
        }
        assert!(d.live_top().is_none());
        assert!(d.heap.is_empty());
    }

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
