//! The heap of deadlines of one shard of a [`HeapTimer`](super::HeapTimer), and its
//! bookkeeping: which sleep finishes by yielding, where the OS timer must be armed.
//!
//! It runs on a clock passed in, so that tests drive it in virtual time, and never
//! touches the OS timer or a waker's code itself: it says where to arm the timer and
//! hands out the wakers to wake or drop once the shard's lock is released.

use std::mem;
use std::task::Waker;
use std::time::{Duration, Instant};

use super::finish::Finish;
use super::quad::{Entry, QuadHeap};

/// The wakers an operation on a shard hands out, to wake or drop once its lock is
/// released.
#[derive(Default)]
pub(super) struct Outbox {
    /// To wake, in this order.
    pub(super) wake: Vec<Waker>,
    /// To drop: wakers replaced, or given back by dropped sleeps.
    pub(super) drop: Vec<Waker>,
}

/// Where the OS timer must be armed, when it must be re-armed.
pub(super) type Arm = Option<Instant>;

/// What a sleep's poll comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// Its deadline has passed: it ends.
    Ready,
    /// It is the nearest sleep, within the margin of its deadline: it wakes itself and
    /// yields.
    Yield,
    /// It waits for its turn; its waker is kept.
    Park,
}

/// A registration: the slot a sleep's waker is kept in, and its deadline in the
/// heap's nanoseconds. Once [`Deadlines::ended_through`] has reached the deadline, the
/// sleep has ended and the slot is no longer its own: the deadline tells without
/// looking at the slot.
///
/// Packed to 12 bytes, so that a sleep keeps its key and its tag in 16.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, packed(4))]
pub(super) struct Key {
    slot: u32,
    pub(super) at: u64,
}

struct Slot {
    /// The registration's sequence number, which a reused slot does not share: a heap
    /// entry whose number differs is a dropped sleep's.
    seq: u64,
    /// The pending sleep's waker; `None` for a free slot.
    waker: Option<Waker>,
}

/// The heap of one shard and its bookkeeping, on a clock passed in (so that tests can
/// drive it in virtual time). It never touches the OS timer: it says where to arm it.
pub(super) struct Deadlines {
    heap: QuadHeap,
    /// The time the heap's entries count their deadlines from, in nanoseconds: the
    /// first registration's `now`, so never later than the clock.
    origin: Option<Instant>,
    slots: Vec<Slot>,
    free: Vec<u32>,
    next_seq: u64,
    /// Entries of dropped sleeps still in the heap.
    cancelled: usize,
    /// Every sleep due at or before this (in the heap's nanoseconds) has ended, and
    /// every pending one is due later: a time the clock has passed.
    ended_through: u64,
    /// The nearest sleep, once within the margin of its deadline: it yields until it.
    leader: Option<Key>,
    /// Where the OS timer is armed, until it fires.
    armed: Option<Instant>,
    /// When the OS timer was due, if it fired for the leader and the leader has not
    /// run since: how late the leader runs is the lateness the margin covers.
    fired: Option<Instant>,
    finish: Finish,
}

/// Dropped entries are swept out once they are more than half the heap and more than
/// this many.
const COMPACT_ABOVE: usize = 64;

impl Deadlines {
    pub(super) fn new() -> Self {
        Deadlines {
            heap: QuadHeap::default(),
            origin: None,
            slots: Vec::new(),
            free: Vec::new(),
            next_seq: 0,
            cancelled: 0,
            ended_through: 0,
            leader: None,
            armed: None,
            fired: None,
            finish: Finish::new(),
        }
    }

    /// Every sleep due at or before this time, in the heap's nanoseconds since its
    /// origin, has ended; every pending one is due later. It never goes back, and the
    /// clock has passed it.
    pub(super) fn ended_through(&self) -> u64 {
        self.ended_through
    }

    /// The deadline (in the heap's nanoseconds) of the sleep that yields until it, once
    /// it has run since the OS timer fired for it (its lateness is measured then);
    /// 0 (no sleep's) otherwise. Until its deadline, such a sleep's polls change
    /// nothing here: it may yield without them.
    pub(super) fn yielding_at(&self) -> u64 {
        match self.leader {
            Some(key) if self.fired.is_none() => key.at,
            _ => 0,
        }
    }

    /// Registers a sleep due at `deadline`, woken through `waker`, at `now` (or
    /// earlier: the sleep's start, to save reading the clock). A sleep due no later
    /// than [`ended_through`](Self::ended_through) or `now` ends at once, unregistered
    /// (no key).
    pub(super) fn register(
        &mut self,
        deadline: Instant,
        now: Instant,
        waker: &Waker,
        out: &mut Outbox,
    ) -> ((Option<Key>, Step), Arm) {
        let origin = *self.origin.get_or_insert(now);
        let at = nanos_since(origin, deadline);
        if at <= self.ended_through.max(nanos_since(origin, now)) {
            return ((None, Step::Ready), None);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = Slot {
            seq,
            waker: Some(waker.clone()),
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
            at,
            seq,
            slot: index,
        });
        let key = Key { slot: index, at };
        // `now` may be the sleep's start, earlier than the clock: sleeps it ends are not
        // timed.
        let arm = self.settle(now, false, Some(key), out);
        let step = self.step_of(key);
        ((Some(key), step), arm)
    }

    /// A registered sleep is polled; `clock` reads the time (not needed when the sleep
    /// has ended).
    pub(super) fn poll(
        &mut self,
        key: Key,
        deadline: Instant,
        clock: impl FnOnce() -> Instant,
        waker: &Waker,
        out: &mut Outbox,
    ) -> (Step, Arm) {
        if key.at <= self.ended_through {
            // Ended: its slot is free, or someone else's.
            return (Step::Ready, None);
        }
        // Pending: its slot is its own.
        if let Some(kept) = &mut self.slots[key.slot as usize].waker {
            if !kept.will_wake(waker) {
                out.drop.push(mem::replace(kept, waker.clone()));
            }
        }
        let now = clock();
        if self.leader == Some(key) {
            if let Some(due) = self.fired.take() {
                self.finish.woke(now.saturating_duration_since(due));
            }
        }
        let arm = if deadline <= now || self.leader != Some(key) {
            self.settle(now, true, Some(key), out)
        } else {
            // The leader yielding until its deadline: nothing else can be due earlier.
            None
        };
        (self.step_of(key), arm)
    }

    /// A registered sleep is dropped (`clock` reads the time, if needed); its waker is
    /// handed out to drop.
    pub(super) fn cancel(
        &mut self,
        key: Key,
        clock: impl FnOnce() -> Instant,
        out: &mut Outbox,
    ) -> ((), Arm) {
        if key.at <= self.ended_through {
            // Ended: its slot is free, or someone else's.
            return ((), None);
        }
        let Some(waker) = self.slots[key.slot as usize].waker.take() else {
            return ((), None);
        };
        self.free.push(key.slot);
        out.drop.push(waker);
        self.cancelled += 1;
        let mut arm = None;
        if self.leader == Some(key) {
            // The next sleep takes over (an OS timer armed earlier than needed is left
            // to fire early).
            self.leader = None;
            self.fired = None;
            arm = self.settle(clock(), true, None, out);
        }
        if self.cancelled > COMPACT_ABOVE && self.cancelled * 2 > self.heap.len() {
            let slots = &self.slots;
            self.heap.retain(|entry| is_live(slots, entry));
            self.cancelled = 0;
        }
        ((), arm)
    }

    /// The OS timer fired at `now`.
    pub(super) fn os_fired(&mut self, now: Instant, out: &mut Outbox) -> Arm {
        if let Some(due) = self.armed.take() {
            if due <= now {
                self.fired = Some(due);
            }
        }
        if let (Some(due), Some((at, _))) = (self.fired, self.live_top()) {
            if at <= self.nanos(now) {
                // Woken at or after the deadline itself (armed for it, or late): no
                // leader will see this lateness.
                self.finish.woke(now.saturating_duration_since(due));
                self.fired = None;
            }
        }
        self.settle(now, true, None, out)
    }

    /// Ends every sleep due at `now` (all but `me`'s are woken) and frees their slots,
    /// then makes the nearest remaining one the leader if it is within the margin of
    /// its deadline (woken to yield) or says where to arm the OS timer for it. When
    /// `now` is the clock's (`fresh`), how late each sleep ends is told to the
    /// finishing policy.
    fn settle(&mut self, now: Instant, fresh: bool, me: Option<Key>, out: &mut Outbox) -> Arm {
        let now_at = self.nanos(now);
        while let Some((at, key)) = self.live_top() {
            if at > now_at {
                break;
            }
            if fresh {
                self.finish.ended(Duration::from_nanos(now_at - at));
            }
            self.heap.pop();
            if let Some(waker) = self.slots[key.slot as usize].waker.take() {
                if Some(key) == me {
                    out.drop.push(waker);
                } else {
                    out.wake.push(waker);
                }
            }
            self.free.push(key.slot);
            if self.leader == Some(key) {
                self.leader = None;
            }
        }
        // Every live entry due by `now` is out of the heap.
        self.ended_through = self.ended_through.max(now_at);
        let Some((at, key)) = self.live_top() else {
            self.leader = None;
            return None;
        };
        let margin = u64::try_from(self.finish.margin().as_nanos()).unwrap_or(u64::MAX);
        match at.checked_sub(margin).filter(|start| *start > now_at) {
            None => {
                // Within the margin: it yields until its deadline.
                if self.leader != Some(key) {
                    self.leader = Some(key);
                    if Some(key) != me {
                        if let Some(waker) = &self.slots[key.slot as usize].waker {
                            out.wake.push(waker.clone());
                        }
                    }
                }
                None
            }
            Some(start) => {
                self.leader = None;
                // A time past the clock's range never comes: nothing to arm.
                let start = self.instant(start)?;
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
        if key.at <= self.ended_through {
            Step::Ready
        } else if self.leader == Some(key) {
            Step::Yield
        } else {
            Step::Park
        }
    }

    /// `t` in the heap's nanoseconds since its origin (0 for any time before it, which
    /// the clock has passed).
    fn nanos(&self, t: Instant) -> u64 {
        self.origin.map_or(0, |origin| nanos_since(origin, t))
    }

    /// The time `at` nanoseconds after the heap's origin, if the clock can tell it.
    fn instant(&self, at: u64) -> Option<Instant> {
        self.origin?.checked_add(Duration::from_nanos(at))
    }

    /// The nearest live entry (its deadline in the heap's nanoseconds), dropping the
    /// dropped sleeps' entries above it.
    fn live_top(&mut self) -> Option<(u64, Key)> {
        while let Some(entry) = self.heap.peek() {
            if is_live(&self.slots, entry) {
                let key = Key {
                    slot: entry.slot,
                    at: entry.at,
                };
                return Some((entry.at, key));
            }
            self.heap.pop();
            self.cancelled = self.cancelled.saturating_sub(1);
        }
        None
    }
}

/// `t` in nanoseconds since `origin`: 0 for any earlier time, `u64::MAX` for any time
/// more than 584 years later (a deadline that never comes, in practice).
fn nanos_since(origin: Instant, t: Instant) -> u64 {
    u64::try_from(t.saturating_duration_since(origin).as_nanos()).unwrap_or(u64::MAX)
}

/// Whether `entry` is a pending sleep's (not a dropped one's).
fn is_live(slots: &[Slot], entry: &Entry) -> bool {
    let slot = &slots[entry.slot as usize];
    slot.seq == entry.seq && slot.waker.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timer::HeapTimer;
    use crate::timer::heap::finish::EPOCH;
    use std::sync::{Arc, Mutex};
    use std::task::Wake;
    use std::time::Duration;

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
            .map(|(n, &at)| {
                let ((key, _), _) = d.register(t0 + ms(at), t0, &waker(n, log), &mut out);
                key.expect("registered")
            })
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
        d.settle(t0 + ms(10) - Duration::from_nanos(1), true, None, &mut out);
        assert_eq!(woken(&mut out, &log), vec![1]);
        assert_eq!(d.step_of(keys[1]), Step::Yield);
        assert!(
            keys.iter()
                .all(|k| *k == keys[1] || d.step_of(*k) == Step::Park)
        );
        // At its deadline it ends.
        d.settle(t0 + ms(10), true, None, &mut out);
        assert_eq!(woken(&mut out, &log), vec![1]);
        assert_eq!(d.step_of(keys[1]), Step::Ready);
        // Several due at once end together, nearest first.
        d.settle(t0 + ms(45), true, None, &mut out);
        assert_eq!(woken(&mut out, &log), vec![3, 2, 4]);
        d.settle(t0 + ms(60), true, None, &mut out);
        assert_eq!(woken(&mut out, &log), vec![0]);
        assert!(d.live_top().is_none());
    }

    #[test]
    fn sleeps_sharing_a_deadline_end_together_in_registration_order() {
        let log = Arc::new(Log::default());
        let t0 = Instant::now();
        let (mut d, keys) = registered(t0, &[20, 20, 10, 20, 20], &log);
        let mut out = Outbox::default();
        d.settle(t0 + ms(15), true, None, &mut out);
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
        let margin = d.finish.margin();
        // The first sleep arms the OS timer for its deadline less the margin.
        let ((first, step), arm) = d.register(t0 + ms(10), t0, &waker(0, &log), &mut out);
        let first = first.expect("registered");
        assert_eq!((step, arm), (Step::Park, Some(t0 + ms(10) - margin)));
        // A later one leaves it alone; an earlier one re-arms it.
        let ((_, step), arm) = d.register(t0 + ms(10), t0, &waker(1, &log), &mut out);
        assert_eq!((step, arm), (Step::Park, None));
        let ((near, _), arm) = d.register(t0 + ms(5), t0, &waker(2, &log), &mut out);
        let near = near.expect("registered");
        assert_eq!(arm, Some(t0 + ms(5) - margin));
        // The OS timer fires 40 µs late: the nearest sleep is woken to yield, the
        // others stay parked.
        let fired = t0 + ms(5) - margin + Duration::from_micros(40);
        assert_eq!(d.os_fired(fired, &mut out), None);
        assert_eq!(woken(&mut out, &log), vec![2]);
        let (step, _) = d.poll(near, t0 + ms(5), || fired, &waker(2, &log), &mut out);
        assert_eq!(step, Step::Yield);
        assert!(
            d.finish.margin() > margin,
            "the margin follows the lateness"
        );
        let (step, _) = d.poll(first, t0 + ms(10), || fired, &waker(0, &log), &mut out);
        assert_eq!(step, Step::Park);
        // At its deadline it ends and the OS timer is armed for the next ones.
        let (step, arm) = d.poll(near, t0 + ms(5), || t0 + ms(5), &waker(2, &log), &mut out);
        assert_eq!(step, Step::Ready);
        assert_eq!(arm, Some(t0 + ms(10) - d.finish.margin()));
        assert_eq!(woken(&mut out, &log), Vec::<usize>::new());
    }

    #[test]
    fn deadlines_centuries_away_stay_in_order_and_never_come() {
        let log = Arc::new(Log::default());
        let t0 = Instant::now();
        let year = Duration::from_secs(365 * 86_400);
        let mut d = Deadlines::new();
        let mut out = Outbox::default();
        // Past what the heap's nanoseconds hold (584 years): they share its last key,
        // and keep their registration order.
        let far = [t0 + year * 600, t0 + year * 590];
        let keys: Vec<Key> = far
            .iter()
            .enumerate()
            .map(|(n, &deadline)| {
                let ((key, _), _) = d.register(deadline, t0, &waker(n, &log), &mut out);
                key.expect("registered")
            })
            .collect();
        let (soon, _) = d.register(t0 + ms(1), t0, &waker(2, &log), &mut out).0;
        let soon = soon.expect("registered");
        assert_eq!(d.live_top().map(|(_, key)| key), Some(soon));
        let (step, arm) = d.poll(soon, t0 + ms(1), || t0 + ms(1), &waker(2, &log), &mut out);
        assert_eq!(step, Step::Ready);
        // The OS timer is armed for the far ones, or not at all: never in the past.
        assert!(arm.is_none_or(|at| at > t0 + year * 500), "{arm:?}");
        assert_eq!(d.live_top().map(|(_, key)| key), Some(keys[0]));
        let (step, _) = d.poll(keys[1], far[1], || t0 + year, &waker(1, &log), &mut out);
        assert_eq!(step, Step::Park);
        assert_eq!(woken(&mut out, &log), Vec::<usize>::new());
    }

    #[test]
    fn a_sleep_within_the_margin_of_the_previous_one_takes_over_at_once() {
        let log = Arc::new(Log::default());
        let t0 = Instant::now();
        let (mut d, keys) = registered(t0, &[10, 10], &log);
        let mut out = Outbox::default();
        // Registered 10 ms before its deadline, a sleep of 10 ms plus 30 µs.
        let ((third, _), _) = d.register(
            t0 + ms(10) + Duration::from_micros(30),
            t0,
            &waker(2, &log),
            &mut out,
        );
        let third = third.expect("registered");
        let window = t0 + ms(10) - d.finish.margin();
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
            t0 + ms(10) + Duration::from_micros(30),
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
        d.os_fired(t0 + ms(10) - d.finish.margin(), &mut out);
        assert_eq!(woken(&mut out, &log), vec![0]);
        let (_, arm) = d.cancel(keys[0], || t0 + ms(10), &mut out);
        assert_eq!(arm, Some(t0 + ms(30) - d.finish.margin()));
        d.settle(t0 + ms(40), true, None, &mut out);
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
    fn the_leader_may_yield_without_the_lock_once_its_lateness_is_measured() {
        let log = Arc::new(Log::default());
        let t0 = Instant::now();
        let (mut d, keys) = registered(t0, &[10, 20], &log);
        let mut out = Outbox::default();
        assert_eq!(d.yielding_at(), 0, "no leader yet");
        // The OS timer fires: the nearest sleep leads, but must first run under the
        // lock, which measures how late it runs.
        let fired = t0 + ms(10) - d.finish.margin() + Duration::from_micros(5);
        d.os_fired(fired, &mut out);
        assert_eq!(woken(&mut out, &log), vec![0]);
        assert_eq!(d.yielding_at(), 0);
        let (step, _) = d.poll(keys[0], t0 + ms(10), || fired, &waker(0, &log), &mut out);
        assert_eq!(step, Step::Yield);
        let (first, second) = ({ keys[0].at }, { keys[1].at });
        assert_eq!(d.yielding_at(), first);
        assert_ne!(d.yielding_at(), second);
        // At its deadline it ends, and nobody yields until the next one is near.
        let due = t0 + ms(10);
        let (step, _) = d.poll(keys[0], due, || due, &waker(0, &log), &mut out);
        assert_eq!(step, Step::Ready);
        assert_eq!(d.yielding_at(), 0);
    }

    #[test]
    fn an_ended_sleep_leaves_its_slot_to_the_next_one() {
        let log = Arc::new(Log::default());
        let t0 = Instant::now();
        let (mut d, keys) = registered(t0, &[10], &log);
        let mut out = Outbox::default();
        d.settle(t0 + ms(10), true, None, &mut out);
        assert_eq!(woken(&mut out, &log), vec![0]);
        // Its slot is free at once, and the next sleep takes it.
        let ((next, step), _) = d.register(t0 + ms(20), t0 + ms(10), &waker(1, &log), &mut out);
        let next = next.expect("registered");
        assert_eq!(step, Step::Park);
        assert_eq!(d.slots.len(), 1);
        // The ended sleep, polled or dropped late, touches neither the slot nor the
        // next sleep's waker.
        let (step, arm) = d.poll(
            keys[0],
            t0 + ms(10),
            || t0 + ms(11),
            &waker(9, &log),
            &mut out,
        );
        assert_eq!((step, arm), (Step::Ready, None));
        d.cancel(keys[0], || t0 + ms(11), &mut out);
        assert!(out.drop.is_empty() && out.wake.is_empty());
        assert_eq!(d.live_top().map(|(_, key)| key), Some(next));
        d.settle(t0 + ms(20), true, None, &mut out);
        assert_eq!(woken(&mut out, &log), vec![1]);
        // A sleep due no later than what has ended ends at once, unregistered.
        let ((late, step), arm) = d.register(t0 + ms(15), t0 + ms(5), &waker(2, &log), &mut out);
        assert_eq!((late, step, arm), (None, Step::Ready, None));
        assert!(d.heap.is_empty() && out.wake.is_empty());
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
                    .expect("registered")
            })
            .collect();
        assert_eq!(d.slots.len(), 1_000);
        d.settle(t0 + ms(1_000), true, None, &mut out);
        let ended = woken(&mut out, &log);
        assert_eq!(ended, (0..100).map(|n| n * 10 + 9).collect::<Vec<_>>());
        for key in more {
            d.cancel(key, || t0, &mut out);
        }
        assert!(d.live_top().is_none());
        assert!(d.heap.is_empty());
    }

    /// One sleep at a time, each of 1 ms, due 2 ms apart (so that each starts after the
    /// previous one ended), woken by the OS timer `late` after it is due and, when it
    /// yields, polled again `end_late` (at most 1 ms) after its deadline; returns the
    /// OS timer's arms.
    fn one_at_a_time(
        d: &mut Deadlines,
        t0: Instant,
        n: u64,
        late: Duration,
        end_late: Duration,
    ) -> Vec<Instant> {
        let log = Arc::new(Log::default());
        let mut out = Outbox::default();
        let mut arms = Vec::new();
        for i in 1..=n {
            let deadline = t0 + ms(2 * i);
            let start = deadline - ms(1);
            let ((key, _), arm) = d.register(deadline, start, &waker(0, &log), &mut out);
            let key = key.expect("registered");
            let due = arm.expect("the OS timer is armed");
            arms.push(due);
            d.os_fired(due + late, &mut out);
            let (mut step, _) = d.poll(key, deadline, || due + late, &waker(0, &log), &mut out);
            if step == Step::Yield {
                let end = deadline + end_late;
                (step, _) = d.poll(key, deadline, || end, &waker(0, &log), &mut out);
            }
            assert_eq!(step, Step::Ready);
            woken(&mut out, &log);
        }
        arms
    }

    #[test]
    fn how_late_sleeps_end_chooses_whether_to_finish_by_yielding() {
        let t0 = Instant::now();
        let mut d = Deadlines::new();
        let epoch = u64::from(EPOCH);
        let us = Duration::from_micros;
        // Finishing by yielding first: the OS timer is armed a margin early and wakes
        // the thread 20 µs late; sleeps end at their deadline. Yielding clearly pays:
        // it is kept.
        let arms = one_at_a_time(&mut d, t0, 4 * epoch, us(20), Duration::ZERO);
        let margin = t0 + ms(2) - arms[0];
        assert!(
            margin >= us(40) && margin < HeapTimer::MAX_MARGIN,
            "{margin:?}"
        );
        assert!(d.finish.margin() > Duration::ZERO);
        // Yielding sleeps now end 1 ms late (the thread loses its core while it
        // yields): waking at the deadline is tried, and kept.
        let mut t1 = t0 + ms(1_000);
        for _ in 0..20 {
            if d.finish.margin().is_zero() {
                break;
            }
            one_at_a_time(&mut d, t1, epoch, us(20), ms(1));
            t1 += ms(1_000);
        }
        let arms = one_at_a_time(&mut d, t1, 2 * epoch, us(20), Duration::ZERO);
        assert!(arms.iter().zip(1..).all(|(arm, i)| *arm == t1 + ms(2 * i)));
    }
}
