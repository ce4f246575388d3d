//! A pool whose timeouts are enforced by a timer that is not `Send`, running jobs
//! that are not `Send` either, on a single-threaded executor (`LocalPool`).

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::StreamExt;
use futures::executor::LocalPool;
use futures::future::{self, LocalBoxFuture};
use futures::task::LocalSpawnExt;
use tracepool::timer::{LocalSleep, LocalTimer};
use tracepool::{BuildError, Outcome, OutcomeKind, Pool};

type LocalJob = LocalBoxFuture<'static, Result<u64, String>>;

/// Returns `Pending` (waking itself at once) `n` times, then `Ready`.
struct YieldN(u64);

impl Future for YieldN {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 == 0 {
            return Poll::Ready(());
        }
        self.0 -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Virtual time that is not `Send`: a sleep of `d` ends after `d` in milliseconds
/// yields; sleeps are counted in an `Rc`.
#[derive(Debug, Default)]
struct RcTimer {
    sleeps: Rc<Cell<u64>>,
}

impl LocalTimer for RcTimer {
    fn sleep(&self, duration: Duration) -> LocalSleep {
        let sleeps = Rc::clone(&self.sleeps);
        let yields = duration.as_millis() as u64;
        Box::pin(async move {
            sleeps.set(sleeps.get() + 1);
            YieldN(yields).await;
        })
    }
}

/// Stuck jobs time out at the local timer's deadline and free their slots; the others
/// complete; no more than C run at once; each ends once.
#[test]
fn local_timer_times_out_stuck_local_jobs() {
    const C: usize = 3;
    let timer = RcTimer::default();
    let sleeps = Rc::clone(&timer.sleeps);
    let (pool, driver) = Pool::builder()
        .max_concurrency(C)
        .queue_capacity(64)
        .timeout(Duration::from_millis(20))
        .local_timer(timer)
        .build::<LocalJob>()
        .unwrap();
    let in_flight = Rc::new(Cell::new(0usize));
    let peak = Rc::new(Cell::new(0usize));
    for i in 0..30u64 {
        let (in_flight, peak) = (Rc::clone(&in_flight), Rc::clone(&peak));
        pool.try_submit(Box::pin(async move {
            in_flight.set(in_flight.get() + 1);
            peak.set(peak.get().max(in_flight.get()));
            let _leave = Leave(Rc::clone(&in_flight));
            if i % 5 == 0 {
                future::pending::<()>().await;
            }
            YieldN(2).await;
            Ok(i)
        }))
        .unwrap();
    }
    pool.close();
    let done: Vec<_> = LocalPool::new().run_until(driver.collect());
    assert_eq!(done.len(), 30);
    for completion in &done {
        let i = completion.id.get();
        match &completion.outcome {
            Outcome::TimedOut => assert_eq!(i % 5, 0, "job {i} timed out"),
            Outcome::Completed(v) => assert_eq!(*v, i),
            other => panic!("job {i}: {other:?}"),
        }
    }
    let m = pool.metrics();
    assert_eq!((m.outcomes.completed, m.outcomes.timed_out), (24, 6));
    assert!(peak.get() <= C, "{} jobs at once", peak.get());
    assert!(m.peak_in_flight <= C as u64);
    assert_eq!(in_flight.get(), 0, "a timed-out job was not dropped");
    assert_eq!(sleeps.get(), 30, "one deadline per started job");
}

/// Counts a job out of flight when it is dropped, ended or not.
struct Leave(Rc<Cell<usize>>);

impl Drop for Leave {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

/// A driver with a local timer is a task of a single-threaded executor like any
/// other: spawned with `spawn_local`, answering job handles.
#[test]
fn local_driver_runs_as_a_local_task() {
    let timer: Rc<dyn LocalTimer> = Rc::new(RcTimer::default());
    let (pool, driver) = Pool::builder()
        .max_concurrency(2)
        .timeout(Duration::from_millis(3))
        .shared_local_timer(timer)
        .build::<LocalJob>()
        .unwrap();
    let mut executor = LocalPool::new();
    executor.spawner().spawn_local(driver.run()).unwrap();
    let stuck = pool
        .try_submit_with_handle(Box::pin(future::pending()))
        .unwrap();
    let value = Rc::new(9);
    let quick = pool
        .try_submit_with_handle(Box::pin(async move { Ok(*value) }))
        .unwrap();
    pool.close();
    let (stuck, quick) = executor.run_until(future::join(stuck, quick));
    assert_eq!(stuck.outcome.kind(), OutcomeKind::TimedOut);
    assert_eq!(quick.outcome, Outcome::Completed(9));
    executor.run();
    assert_eq!(pool.metrics().outcomes.finished(), 2);
}

/// A local timer does not relax the builder's checks.
#[test]
fn local_timer_builder_checks_the_timeout() {
    let zero = Pool::builder()
        .max_concurrency(1)
        .timeout(Duration::ZERO)
        .local_timer(RcTimer::default())
        .build::<LocalJob>();
    assert_eq!(zero.err(), Some(BuildError::ZeroTimeout));
    let none = Pool::builder()
        .local_timer(RcTimer::default())
        .build::<LocalJob>();
    assert_eq!(none.err(), Some(BuildError::MissingMaxConcurrency));
}
