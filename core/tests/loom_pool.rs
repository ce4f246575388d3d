//! loom models of the races on the pool's shared state: submissions racing `close`
//! and the driver's starts, a handle's cancel racing the job's start, `abort` racing
//! the driver, a job woken from another thread once and twice (the slots' wake flags, the driver's registration), a spawned job
//! racing `abort`. Built only with `--cfg tracepool_loom` (the pool's atomics and locks are
//! then loom's), and run by `scripts/soak`, not by the test command:
//!
//! ```sh
//! RUSTFLAGS="--cfg tracepool_loom" cargo test -p tracepool --release --test loom_pool
//! ```
//!
//! `LOOM_MAX_PREEMPTIONS` bounds the preemptions explored per execution (default 2
//! here). Each model prints how many interleavings it explored.
#![cfg(tracepool_loom)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering as StdOrdering};
use std::task::{Context, Poll};

use futures::future::{self, BoxFuture, poll_fn};
use futures::{FutureExt, StreamExt};
use loom::sync::Mutex;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;
use tracepool::{Outcome, Pool, TrySubmitError};

type Job = BoxFuture<'static, Result<u64, ()>>;

fn ready(value: u64) -> Job {
    Box::pin(async move { Ok(value) })
}

/// Runs `body` under loom and prints how many interleavings it explored.
fn model(name: &str, body: impl Fn() + Sync + Send + 'static) {
    model_bounded(name, 2, body);
}

/// As [`model`], with `bound` preemptions per execution unless
/// `LOOM_MAX_PREEMPTIONS` says otherwise (for the models with four threads, whose
/// space grows fastest).
fn model_bounded(name: &str, bound: usize, body: impl Fn() + Sync + Send + 'static) {
    let runs = Arc::new(StdAtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(bound);
    }
    let bound = builder.preemption_bound;
    builder.check(move || {
        counter.fetch_add(1, StdOrdering::Relaxed);
        body();
    });
    println!(
        "loom model {name}: {} interleavings explored (preemption bound {bound:?})",
        runs.load(StdOrdering::Relaxed)
    );
}

/// A submission from another thread races `close` from a third, while the driver
/// runs: the job is either accepted and ends once, or handed back; the driver ends;
/// the counters add up. A lost wake-up of the driver is a deadlock loom reports.
#[test]
fn submit_races_close_and_the_driver() {
    model("submit_races_close_and_the_driver", || {
        let (pool, driver) = Pool::builder()
            .max_concurrency(1)
            .queue_capacity(1)
            .build::<Job>()
            .unwrap();
        let submitter = {
            let pool = pool.clone();
            thread::spawn(move || match pool.try_submit(ready(1)) {
                Ok(_) => true,
                Err(TrySubmitError::Closed(_)) => false,
                Err(TrySubmitError::Full(_)) => panic!("the queue was empty"),
            })
        };
        let closer = {
            let pool = pool.clone();
            thread::spawn(move || {
                pool.close();
            })
        };
        let outcomes: Vec<_> = loom::future::block_on(driver.map(|c| c.outcome).collect());
        let accepted = submitter.join().unwrap();
        closer.join().unwrap();
        assert_eq!(outcomes.len(), usize::from(accepted));
        assert!(outcomes.iter().all(|o| *o == Outcome::Completed(1)));
        let m = pool.metrics();
        assert_eq!(m.submitted, u64::from(accepted));
        assert_eq!(
            (m.outcomes.finished(), m.queued, m.running),
            (m.submitted, 0, 0)
        );
    });
}

/// Two submitters race for the one place of a full queue while the driver starts
/// jobs: every accepted job ends once, and the queue never holds more than it may.
#[test]
fn submitters_race_the_driver_for_the_queue() {
    model_bounded("submitters_race_the_driver_for_the_queue", 1, || {
        let (pool, driver) = Pool::builder()
            .max_concurrency(1)
            .queue_capacity(1)
            .build::<Job>()
            .unwrap();
        let submitters: Vec<_> = (0..2)
            .map(|i| {
                let pool = pool.clone();
                thread::spawn(move || {
                    let accepted = pool.try_submit(ready(i)).is_ok();
                    assert!(pool.gauge().queued <= 1);
                    u64::from(accepted)
                })
            })
            .collect();
        // Closes the pool once both submitters are done.
        let closer = {
            let pool = pool.clone();
            thread::spawn(move || {
                let accepted = submitters
                    .into_iter()
                    .map(|s| s.join().unwrap())
                    .sum::<u64>();
                pool.close();
                accepted
            })
        };
        let seen = loom::future::block_on(driver.count()) as u64;
        let accepted = closer.join().unwrap();
        assert_eq!(seen, accepted);
        let m = pool.metrics();
        assert_eq!(
            (m.submitted, m.outcomes.finished(), m.outcomes.completed),
            (accepted, accepted, accepted)
        );
    });
}

/// A handle's cancel from another thread races the job's start: the handle answers
/// once, `Cancelled` or `Completed`, the stream stays empty, the counters add up.
#[test]
fn cancel_races_the_start() {
    model("cancel_races_the_start", || {
        let (pool, driver) = Pool::builder().max_concurrency(1).build::<Job>().unwrap();
        let handle = pool.try_submit_with_handle(ready(7)).unwrap();
        pool.close();
        let handle = Arc::new(Mutex::new(Some(handle)));
        let canceller = {
            let handle = Arc::clone(&handle);
            thread::spawn(move || {
                if let Some(handle) = handle.lock().unwrap().as_ref() {
                    handle.cancel();
                }
            })
        };
        let streamed: Vec<_> = loom::future::block_on(driver.collect());
        canceller.join().unwrap();
        assert!(streamed.is_empty());
        let handle = handle.lock().unwrap().take().unwrap();
        let done = loom::future::block_on(handle);
        assert!(
            matches!(done.outcome, Outcome::Cancelled | Outcome::Completed(7)),
            "{done:?}"
        );
        let m = pool.metrics();
        assert_eq!(
            (m.submitted, m.outcomes.finished(), m.running, m.queued),
            (1, 1, 0, 0)
        );
    });
}

/// A queued job cancelled from another thread while the only slot is busy for good:
/// the driver is woken and ends it; its handle answers `Cancelled`.
#[test]
fn cancel_of_a_queued_job_wakes_the_driver() {
    model("cancel_of_a_queued_job_wakes_the_driver", || {
        let (pool, mut driver) = Pool::builder().max_concurrency(1).build::<Job>().unwrap();
        pool.try_submit(Box::pin(future::pending())).unwrap();
        let handle = pool.try_submit_with_handle(ready(1)).unwrap();
        let handle = Arc::new(Mutex::new(handle));
        let canceller = {
            let handle = Arc::clone(&handle);
            thread::spawn(move || handle.lock().unwrap().cancel())
        };
        let done = loom::future::block_on(poll_fn(|cx| {
            if let Poll::Ready(done) = handle.lock().unwrap().poll_unpin(cx) {
                return Poll::Ready(done);
            }
            match driver.poll_next_unpin(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(other) => panic!("the driver yielded {other:?}"),
            }
        }));
        canceller.join().unwrap();
        assert_eq!(done.outcome, Outcome::Cancelled);
        let m = pool.metrics();
        assert_eq!((m.outcomes.cancelled, m.queued, m.running), (1, 0, 1));
        pool.abort();
        let rest: Vec<_> = loom::future::block_on(driver.map(|c| c.outcome).collect());
        assert_eq!(rest, [Outcome::Cancelled]);
    });
}

/// `abort` from another thread races the driver, with one job running for good and
/// one queued: both end `Cancelled` once, the stream ends.
#[test]
fn abort_races_the_driver() {
    model("abort_races_the_driver", || {
        let (pool, driver) = Pool::builder().max_concurrency(1).build::<Job>().unwrap();
        pool.try_submit(Box::pin(future::pending())).unwrap();
        pool.try_submit(ready(2)).unwrap();
        let aborter = {
            let pool = pool.clone();
            thread::spawn(move || pool.abort())
        };
        let outcomes: Vec<_> = loom::future::block_on(driver.map(|c| c.outcome).collect());
        aborter.join().unwrap();
        // The queued job may have run before the abort, if the pending one was
        // cancelled first; each ends once.
        assert_eq!(outcomes.len(), 2, "{outcomes:?}");
        assert!(outcomes.contains(&Outcome::Cancelled));
        let m = pool.metrics();
        assert_eq!(
            (m.submitted, m.outcomes.finished(), m.running, m.queued),
            (2, 2, 0, 0)
        );
    });
}

/// Wake-ups a job gets from another thread: how many were sent, and the job's waker.
struct Signals {
    sent: AtomicUsize,
    waker: loom::future::AtomicWaker,
}

impl Signals {
    fn new() -> Arc<Self> {
        Arc::new(Signals {
            sent: AtomicUsize::new(0),
            waker: loom::future::AtomicWaker::new(),
        })
    }

    fn send(&self) {
        self.sent.fetch_add(1, Ordering::Release);
        self.waker.wake();
    }
}

/// A job that ends with `value` once `needed` signals were sent.
struct WaitFor {
    signals: Arc<Signals>,
    needed: usize,
    value: u64,
}

impl Future for WaitFor {
    type Output = Result<u64, ()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.signals.waker.register_by_ref(cx.waker());
        if self.signals.sent.load(Ordering::Acquire) >= self.needed {
            Poll::Ready(Ok(self.value))
        } else {
            Poll::Pending
        }
    }
}

/// Runs `jobs` at most `c` at a time while another thread sends `sends` signals to
/// `signals`; returns the values of the completed jobs, sorted.
fn completed_with_signals(
    c: usize,
    jobs: Vec<Job>,
    signals: &Arc<Signals>,
    sends: usize,
) -> Vec<u64> {
    let (pool, driver) = Pool::builder().max_concurrency(c).build::<Job>().unwrap();
    for job in jobs {
        pool.try_submit(job).unwrap();
    }
    pool.close();
    let sender = {
        let signals = Arc::clone(signals);
        thread::spawn(move || {
            for _ in 0..sends {
                signals.send();
            }
        })
    };
    let mut values: Vec<_> = loom::future::block_on(
        driver
            .filter_map(|c| async move { c.outcome.completed() })
            .collect(),
    );
    sender.join().unwrap();
    values.sort_unstable();
    values
}

/// A job that waits for a signal from another thread, woken through its slot's
/// waker: the driver polls it again (the slot's wake flag and the woken list lose no
/// wake-up), it completes.
#[test]
fn a_job_woken_from_another_thread_is_polled() {
    model("a_job_woken_from_another_thread_is_polled", || {
        let signals = Signals::new();
        let waiting = WaitFor {
            signals: Arc::clone(&signals),
            needed: 1,
            value: 3,
        };
        let values = completed_with_signals(2, vec![Box::pin(waiting), ready(4)], &signals, 1);
        assert_eq!(values, [3, 4]);
    });
}

/// A job woken twice from another thread, needing both wake-ups: the first takes the
/// driver's registered waker, so the second is delivered only if the driver registers
/// again before it sleeps, and looks at the woken list once more after registering.
#[test]
fn a_job_woken_twice_from_another_thread_is_polled_after_each() {
    model(
        "a_job_woken_twice_from_another_thread_is_polled_after_each",
        || {
            let signals = Signals::new();
            let waiting = WaitFor {
                signals: Arc::clone(&signals),
                needed: 2,
                value: 2,
            };
            let values = completed_with_signals(1, vec![Box::pin(waiting)], &signals, 2);
            assert_eq!(values, [2]);
        },
    );
}

/// A job spawned on its own (loom) thread races `abort`: it ends once, `Completed` or
/// `Cancelled`, and the counters add up once the driver is done.
#[test]
fn a_spawned_job_races_abort() {
    model("a_spawned_job_races_abort", || {
        let (pool, driver) = Pool::builder()
            .max_concurrency(1)
            .build_spawned::<Job>(|task| {
                thread::spawn(move || loom::future::block_on(task));
            })
            .unwrap();
        pool.try_submit(ready(5)).unwrap();
        pool.close();
        let aborter = {
            let pool = pool.clone();
            thread::spawn(move || pool.abort())
        };
        let outcomes: Vec<_> = loom::future::block_on(driver.map(|c| c.outcome).collect());
        aborter.join().unwrap();
        assert_eq!(outcomes.len(), 1, "{outcomes:?}");
        assert!(matches!(
            outcomes[0],
            Outcome::Completed(5) | Outcome::Cancelled
        ));
        let m = pool.metrics();
        assert_eq!((m.submitted, m.outcomes.finished(), m.running), (1, 1, 0));
    });
}
