//! Whether, and how early, a shard wakes its nearest sleep to finish by yielding:
//! chosen by what it measures.
//!
//! Waking a thread from the OS takes time: tens of µs on an idle virtual machine, more
//! on some. Waking the nearest sleep that much early and yielding until its deadline
//! (the finishing idea of `FinishingTimer`) covers it, on a machine whose other cores
//! are free. On a busy one it backfires: a thread that yields stays runnable, and the
//! scheduler hands the core to another process for a slice of milliseconds, while a
//! thread asleep in the OS is woken and runs within µs. Measured on a 2-core machine
//! with other builds running, sleeps of 10 ms, 10 at a time: finishing by yielding,
//! the slowest tenth of sleeps ended more than 1 ms late; woken by the OS at the
//! deadline, 40 µs. So the shard measures both ways and keeps the better one.
//!
//! The two ways are compared in epochs of [`EPOCH`] ended sleeps, each judged by the
//! mean lateness of all but its latest few (a stall of the whole process, preempted or
//! stopped, hits either way and must not decide alone; a way that makes one sleep in
//! ten late shows through), and each way by the median of its last [`KEPT`] epochs.
//! A shard starts finishing by yielding, with the smallest margin, for a short first
//! epoch. A way is tried for two
//! epochs, or until it has done worse than the other, which ends a bad trial after a
//! few sleeps. The other way is tried again after 8 epochs, then 16, then every 32,
//! unless yielding clearly pays: sleeps ending well within the OS timer's own
//! lateness, nothing is left to gain by waking at the deadline.

use std::mem;
use std::time::Duration;

use super::HeapTimer;

/// How many ended sleeps make an epoch: the unit the two ways are compared in.
pub(super) const EPOCH: u32 = 64;

/// How many make the first epoch: few, so that a busy machine soon tries waking at
/// the deadline.
const FIRST_EPOCH: u32 = 16;

/// After this many epochs in a row one way, the other is tried again (conditions
/// change: a build ends, another starts); doubled, up to [`EXPLORE_MAX`], each time
/// the other way is still worse.
const EXPLORE_FIRST: u32 = 8;

/// The longest run of epochs one way without trying the other.
const EXPLORE_MAX: u32 = 32;

/// How many of its last epochs judge a way, by their median; a way tried again is
/// tried for all but one of them.
const KEPT: usize = 3;

/// A sleep later than this counts as this late.
const LATE_CAP: Duration = Duration::from_millis(5);

/// At most this many of the latest sleeps of an epoch (one in 16) do not count.
const TRIMMED: usize = 4;

/// The smallest margin while yielding: a nearer deadline is yielded to rather than
/// awaited from the OS timer, whose round trip through the reactor costs more than
/// yielding for that long, and would be late anyway.
const MIN_MARGIN: Duration = Duration::from_micros(50);

/// The fewest OS wake-ups in an epoch that stand for waking at the deadline.
const WAKES_TO_JUDGE: u32 = 8;

/// The finishing policy of one shard.
#[derive(Debug, Clone)]
pub(super) struct Finish {
    /// Moving average of how late the OS timer wakes the thread, in nanoseconds: the
    /// margin is twice it.
    os_late_ns: u64,
    /// Whether the nearest sleep finishes by yielding (else the OS timer is armed for
    /// its deadline itself).
    yielding: bool,
    /// How many sleeps make the current epoch.
    epoch: u32,
    /// How late the sleeps of the current epoch ended.
    ended: Tally,
    /// How late the OS timer woke the thread in the current epoch.
    woke: Tally,
    /// The lateness of the last epochs each way (index 1: yielding), newest last,
    /// once measured.
    last: [[Option<u64>; KEPT]; 2],
    /// Epochs in a row the current way.
    streak: u32,
    /// Epochs one way before trying the other.
    explore_after: u32,
    /// Epochs left in the trial of the current way, judged at its end.
    trial: u32,
}

impl Finish {
    /// Finishing by yielding, with the smallest margin, until measured otherwise.
    pub(super) fn new() -> Self {
        Finish {
            os_late_ns: duration_ns(MIN_MARGIN) / 2,
            yielding: true,
            epoch: FIRST_EPOCH,
            ended: Tally::default(),
            woke: Tally::default(),
            last: [[None; KEPT]; 2],
            streak: 0,
            explore_after: EXPLORE_FIRST,
            trial: 0,
        }
    }

    /// How early the OS timer wakes the nearest sleep before its deadline: zero when
    /// it does not finish by yielding.
    pub(super) fn margin(&self) -> Duration {
        if self.yielding {
            Duration::from_nanos(self.os_late_ns.saturating_mul(2))
                .clamp(MIN_MARGIN, HeapTimer::MAX_MARGIN)
        } else {
            Duration::ZERO
        }
    }

    /// Whether the nearest sleep finishes by yielding.
    #[cfg(test)]
    pub(super) fn is_yielding(&self) -> bool {
        self.yielding
    }

    /// The OS timer woke the thread `late` after it was due.
    pub(super) fn woke(&mut self, late: Duration) {
        self.woke.add(late);
        // Over about 16 wake-ups; a wake-up later than the largest margin counts as it.
        let late = duration_ns(late.min(HeapTimer::MAX_MARGIN));
        self.os_late_ns = self.os_late_ns - self.os_late_ns / 16 + late / 16;
    }

    /// A sleep ended `late` after its deadline, the current way. At the end of an
    /// epoch, the better way is kept, the other tried again now and then.
    pub(super) fn ended(&mut self, late: Duration) {
        self.ended.add(late);
        if self.trial > 0 {
            let counted = u64::from(EPOCH) - TRIMMED as u64;
            let other = judge(&self.last[usize::from(!self.yielding)]);
            if other.is_some_and(|other| self.ended.counted() > other * counted) {
                // The trial has already done worse than the other way: it ends now.
                let so_far = mem::take(&mut self.ended).counted() / counted;
                self.woke = Tally::default();
                self.record(self.yielding, so_far);
                self.switch(0);
                return;
            }
        }
        if self.ended.count < self.epoch {
            return;
        }
        self.epoch = EPOCH;
        let ended = mem::take(&mut self.ended).mean();
        let woke = mem::take(&mut self.woke);
        self.record(self.yielding, ended);
        self.streak += 1;
        let current = judge(&self.last[usize::from(self.yielding)]).unwrap_or(ended);
        let other = judge(&self.last[usize::from(!self.yielding)]);
        if self.trial > 0 {
            self.trial -= 1;
            if self.trial > 0 {
                return;
            }
            if other.is_some_and(|other| other < current) {
                self.switch(0);
            } else {
                // The way tried is better: the other is tried again soon.
                self.explore_after = EXPLORE_FIRST;
                self.streak = 0;
            }
            return;
        }
        if self.yielding && woke.count >= WAKES_TO_JUDGE && ended * 2 < woke.mean() {
            // Sleeps end well within the OS timer's own lateness: waking at the
            // deadline has nothing to offer.
            return;
        }
        match other {
            Some(other) if other < current => self.switch(0),
            Some(_) if self.streak < self.explore_after => {}
            Some(_) => {
                self.explore_after = (self.explore_after * 2).min(EXPLORE_MAX);
                self.switch(KEPT as u32 - 1);
            }
            None => self.switch(KEPT as u32 - 1),
        }
    }

    /// Adds an epoch's lateness to the way's last ones.
    fn record(&mut self, yielding: bool, late: u64) {
        let kept = &mut self.last[usize::from(yielding)];
        kept.rotate_left(1);
        kept[KEPT - 1] = Some(late);
    }

    /// Changes way, for a trial of `trial` epochs (0: for good).
    fn switch(&mut self, trial: u32) {
        self.yielding = !self.yielding;
        self.streak = 0;
        self.trial = trial;
    }
}

/// Lateness summed over an epoch, its latest values kept apart.
#[derive(Debug, Clone, Default)]
struct Tally {
    /// In nanoseconds, each at most [`LATE_CAP`].
    sum: u64,
    count: u32,
    /// The latest, latest first.
    latest: [u64; TRIMMED],
}

impl Tally {
    fn add(&mut self, late: Duration) {
        let mut late = duration_ns(late.min(LATE_CAP));
        self.sum += late;
        self.count += 1;
        for kept in &mut self.latest {
            if late > *kept {
                mem::swap(&mut late, kept);
            }
        }
    }

    /// The mean of all but the latest one in 16 (0 for none), in nanoseconds.
    fn mean(&self) -> u64 {
        let left_out = (self.count as usize / 16).min(TRIMMED);
        let counted = u64::from(self.count) - left_out as u64;
        let sum = self.sum - self.latest[..left_out].iter().sum::<u64>();
        sum.checked_div(counted).unwrap_or(0)
    }

    /// The sum of all but the [`TRIMMED`] latest, in nanoseconds: what an epoch's mean
    /// will count at least.
    fn counted(&self) -> u64 {
        self.sum - self.latest.iter().sum::<u64>()
    }
}

/// The median of a way's last epochs (the lower middle of two), if it was measured.
fn judge(last: &[Option<u64>; KEPT]) -> Option<u64> {
    let mut measured = [0; KEPT];
    let mut n = 0;
    for late in last.iter().flatten() {
        measured[n] = *late;
        n += 1;
    }
    let measured = &mut measured[..n];
    measured.sort_unstable();
    measured.get(n.saturating_sub(1) / 2).copied()
}

fn duration_ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    /// Ends up to `sleeps` sleeps `late` each (with `wakes` OS wake-ups 30 µs late per
    /// epoch), stopping when the way changes; returns how many ended.
    fn run(finish: &mut Finish, late: Duration, wakes: u32, sleeps: u32) -> u32 {
        let way = finish.is_yielding();
        for n in 0..sleeps {
            if n % EPOCH == 0 {
                for _ in 0..wakes {
                    finish.woke(us(30));
                }
            }
            finish.ended(late);
            if finish.is_yielding() != way {
                return n + 1;
            }
        }
        sleeps
    }

    /// A shard that tried waking at the deadline, found yielding better, and keeps it.
    fn yielding() -> Finish {
        let mut finish = Finish::new();
        assert!(finish.is_yielding());
        assert_eq!(run(&mut finish, us(2), 0, 10 * EPOCH), FIRST_EPOCH);
        let tried = run(&mut finish, us(30), 0, 10 * EPOCH);
        assert!(tried <= EPOCH / 4, "{tried} sleeps");
        assert!(finish.is_yielding());
        finish
    }

    #[test]
    fn the_margin_follows_the_os_lateness_within_its_bound() {
        let mut finish = Finish::new();
        assert_eq!(finish.margin(), MIN_MARGIN);
        for _ in 0..200 {
            finish.woke(us(30));
        }
        let margin = finish.margin();
        assert!(margin >= us(59) && margin <= us(61), "{margin:?}");
        for _ in 0..200 {
            finish.woke(Duration::from_secs(1));
        }
        assert_eq!(finish.margin(), HeapTimer::MAX_MARGIN);
        for _ in 0..200 {
            finish.woke(Duration::ZERO);
        }
        assert_eq!(finish.margin(), MIN_MARGIN);
        finish.yielding = false;
        assert_eq!(finish.margin(), Duration::ZERO);
    }

    #[test]
    fn it_tries_the_other_way_less_and_less_often() {
        // Yielding first, then waking at the deadline is tried: worse, the trial ends
        // within a few sleeps.
        let mut finish = yielding();
        // Without OS wake-ups to compare with, waking at the deadline is tried again
        // after 8 epochs, then 16, then every 32; worse, each trial ends within a few
        // sleeps.
        for after in [8, 16, 32, 32] {
            assert_eq!(run(&mut finish, us(2), 0, 100 * EPOCH), after * EPOCH);
            assert!(!finish.is_yielding());
            let tried = run(&mut finish, us(30), 0, 10 * EPOCH);
            assert!(tried <= EPOCH / 4, "{tried} sleeps");
            assert!(finish.is_yielding());
        }
    }

    #[test]
    fn yielding_that_clearly_pays_is_kept_without_trying_the_other_way() {
        let mut finish = yielding();
        // Sleeps end 2 µs late, the OS wakes the thread 30 µs late.
        let sleeps = 4 * EXPLORE_MAX * EPOCH;
        assert_eq!(run(&mut finish, us(2), WAKES_TO_JUDGE, sleeps), sleeps);
        // Sleeps end 20 µs late: not clearly better; the other way is tried again.
        assert!(run(&mut finish, us(20), WAKES_TO_JUDGE, sleeps) < sleeps);
        assert!(!finish.is_yielding());
    }

    #[test]
    fn on_a_busy_machine_yielding_is_left_and_tried_briefly() {
        let mut finish = Finish::new();
        // Yielding makes sleeps end 900 µs late: waking at the deadline is tried, and
        // kept.
        assert_eq!(run(&mut finish, us(900), 0, 10 * EPOCH), FIRST_EPOCH);
        assert_eq!(run(&mut finish, us(60), 0, 2 * EPOCH), 2 * EPOCH);
        // Yielding is tried again after 8 epochs, 16, then every 32; each trial ends
        // within a few sleeps.
        for after in [8, 16, 32, 32] {
            assert!(!finish.is_yielding());
            assert_eq!(run(&mut finish, us(60), 0, 100 * EPOCH), after * EPOCH);
            assert!(finish.is_yielding());
            let tried = run(&mut finish, us(900), 0, 10 * EPOCH);
            assert!(tried <= 10, "{tried} sleeps");
        }
        assert!(!finish.is_yielding());
        // The machine quiets down: the next trial keeps yielding.
        assert_eq!(run(&mut finish, us(30), 0, 100 * EPOCH), 32 * EPOCH);
        assert_eq!(run(&mut finish, us(2), 0, 2 * EPOCH), 2 * EPOCH);
        assert!(finish.is_yielding());
    }

    #[test]
    fn a_stall_does_not_end_a_trial() {
        let mut finish = Finish::new();
        assert_eq!(run(&mut finish, us(2), 0, 10 * EPOCH), FIRST_EPOCH);
        assert!(!finish.is_yielding(), "waking at the deadline on trial");
        // A few sleeps end a second late (the process was stopped): left out, they do
        // not end the trial.
        let stalls = TRIMMED as u32;
        assert_eq!(run(&mut finish, Duration::from_secs(1), 0, stalls), stalls);
        assert!(!finish.is_yielding());
        // Sleeps that end later than yielding made them do.
        assert!(run(&mut finish, us(30), 0, 10 * EPOCH) <= 10);
        assert!(finish.is_yielding());
    }
}
