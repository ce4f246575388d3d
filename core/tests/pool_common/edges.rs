//! The pool's promises at their edges, one function per promise, generic over the
//! executor and the mode (inline, spawned, stream-fed). Instantiated by
//! `common_suite!` in `pool_<executor>.rs`.
//!
//! Nothing here asserts on wall time except as a generous lower or upper bound that
//! a loaded machine cannot break.

use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::{Duration, Instant};

use futures::channel::oneshot;
use futures::future;
use futures::poll;
use futures::stream::StreamExt;
use tracepool::{Gauge, JobHandle, Metrics, Outcome, Pool, Timer, TrySubmitError};

use super::{DELIBERATE, Executor, Job, Mode, job, quiet_deliberate_panics, rig, yield_now};

/// What a parent job saw in its first poll: the gauge, and whether its child was
/// accepted.
type Seen = Arc<Mutex<Vec<(Gauge, bool)>>>;

/// A job that, in its first poll, reads the gauge and offers a child to the pool
/// with `try_submit`.
fn parent(pool: Pool<Job>, seen: Seen, i: u64) -> Job {
    job(async move {
        let gauge = pool.gauge();
        let child = pool.try_submit(job(async move { Ok(100 + i) }));
        let accepted = match child {
            Ok(_) => true,
            Err(TrySubmitError::Full(_)) => false,
            Err(TrySubmitError::Closed(_)) => panic!("the pool closed early"),
        };
        seen.lock().unwrap().push((gauge, accepted));
        Ok(i)
    })
}

/// A started job is not queued: in its first poll, the gauge counts it in flight
/// and not queued, and its place in the queue is free. With C = 1 and a queue of 1,
/// a job that submits a child in its first poll finds room for it.
pub fn a_started_job_is_not_queued<E: Executor>(exec: &E, mode: Mode) {
    exec.block_on(async {
        let builder = Pool::builder().max_concurrency(1).queue_capacity(1);
        let mut rig = rig(exec, mode, builder);
        let seen = Seen::default();
        rig.add(parent(rig.pool.clone(), Arc::clone(&seen), 1))
            .await;
        let first = rig.driver.next().await.expect("the parent ends");
        assert_eq!(first.outcome.completed(), Some(1));
        rig.close();
        let rest: Vec<_> = (&mut rig.driver).map(|c| c.outcome).collect().await;
        let seen = seen.lock().unwrap().clone();
        let (gauge, accepted) = seen[0];
        assert_eq!(
            (gauge.queued, gauge.in_flight),
            (0, 1),
            "{mode:?}: the gauge in the job's first poll"
        );
        assert!(
            accepted,
            "{mode:?}: the child was refused, the queue being empty"
        );
        assert_eq!(rest, [tracepool::Outcome::Completed(101)], "{mode:?}");
        let m = rig.pool.metrics();
        assert_eq!((m.submitted, m.outcomes.completed), (2, 2), "{mode:?}");
    });
}

/// With four parents queued at C = 4 and a queue of 4, every parent that starts
/// frees its place: each child the parents submit in their first poll is accepted,
/// and the gauge never counts more queued jobs than the queue holds.
pub fn started_parents_make_room_for_their_children<E: Executor>(exec: &E, mode: Mode) {
    const C: u64 = 4;
    exec.block_on(async {
        let builder = Pool::builder()
            .max_concurrency(C as usize)
            .queue_capacity(C as usize);
        let mut rig = rig(exec, mode, builder);
        let seen = Seen::default();
        for i in 0..C {
            rig.add(parent(rig.pool.clone(), Arc::clone(&seen), i))
                .await;
        }
        let mut done = Vec::new();
        while done.len() < C as usize {
            let c = rig.driver.next().await.expect("the parents end");
            done.push(c.outcome.completed().expect("parents complete"));
        }
        rig.close();
        done.extend(
            (&mut rig.driver)
                .map(|c| c.outcome.completed().expect("children complete"))
                .collect::<Vec<_>>()
                .await,
        );
        done.sort_unstable();
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), C as usize);
        for (gauge, accepted) in &seen {
            assert!(accepted, "{mode:?}: a child was refused: {seen:?}");
            assert!(gauge.queued < C, "{mode:?}: {gauge:?}");
            assert!(gauge.in_flight >= 1, "{mode:?}: {gauge:?}");
        }
        assert_eq!(done, [0, 1, 2, 3, 100, 101, 102, 103], "{mode:?}");
    });
}

/// Counters are current when an outcome is observable: once a job's handle has
/// resolved, `metrics()` and `gauge()` count its outcome, even while the driver is
/// still busy with other jobs (here: polling the very job that looks, in the round
/// that ended the first one). Completions yielded by the stream are counted too when
/// they come out.
pub fn counters_are_current_when_an_outcome_is_observable<E: Executor>(exec: &E, mode: Mode) {
    exec.block_on(async {
        let builder = Pool::builder().max_concurrency(2);
        let mut rig = rig(exec, mode, builder);
        let first = Arc::new(Mutex::new(None::<JobHandle<u64, String>>));
        let seen = Arc::new(Mutex::new(None::<(Metrics, Gauge)>));
        let (pool, handle, record) = (rig.pool.clone(), Arc::clone(&first), Arc::clone(&seen));
        // The observer runs until the first job's handle resolves, then reads the
        // counters at once.
        rig.add(job(async move {
            let mut handle = loop {
                if let Some(handle) = handle.lock().unwrap().take() {
                    break handle;
                }
                yield_now().await;
            };
            loop {
                if let Poll::Ready(done) = poll!(&mut handle) {
                    assert_eq!(done.outcome, Outcome::Completed(1));
                    *record.lock().unwrap() = Some((pool.metrics(), pool.gauge()));
                    return Ok(2);
                }
                yield_now().await;
            }
        }))
        .await;
        let handle = rig
            .pool
            .submit_with_handle(job(async {
                yield_now().await;
                Ok(1)
            }))
            .await
            .unwrap();
        *first.lock().unwrap() = Some(handle);
        let second = rig.driver.next().await.expect("the observer ends");
        assert_eq!(second.outcome, Outcome::Completed(2));
        let m = rig.pool.metrics();
        assert_eq!(
            m.outcomes.completed, 2,
            "{mode:?}: a yielded outcome is counted"
        );
        rig.close();
        assert!(rig.driver.next().await.is_none());
        let (m, gauge) = seen.lock().unwrap().take().expect("the handle resolved");
        assert_eq!(m.outcomes.completed, 1, "{mode:?}: {m:?}");
        assert_eq!(m.outcomes.finished(), 1, "{mode:?}: {m:?}");
        assert_eq!(gauge.finished, 1, "{mode:?}: {gauge:?}");
        assert_eq!(gauge.in_flight, 1, "{mode:?}: {gauge:?}");
    });
}

/// Spins on the CPU for `d` (the pool cannot tell it from real work).
fn spin(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

/// Latency is the job's real latency: at least the time spent in its own polls (40 ms
/// of CPU in its first poll, or in a later one), at most the wall time from before it
/// was submitted to after its outcome came out; the percentiles follow.
pub fn latency_counts_the_time_spent_in_polls<E: Executor>(exec: &E, mode: Mode) {
    const BUSY: Duration = Duration::from_millis(40);
    exec.block_on(async {
        let mut rig = rig(exec, mode, Pool::builder().max_concurrency(2));
        for later in [false, true] {
            let before = Instant::now();
            rig.add(job(async move {
                if later {
                    yield_now().await;
                }
                spin(BUSY);
                Ok(1)
            }))
            .await;
            let done = rig.driver.next().await.expect("the job ends");
            let wall = before.elapsed();
            assert_eq!(done.outcome, Outcome::Completed(1));
            assert!(
                done.latency >= BUSY,
                "{mode:?}, later = {later}: {:?} < {BUSY:?}",
                done.latency
            );
            assert!(
                done.latency <= wall,
                "{mode:?}, later = {later}: {:?} > {wall:?}",
                done.latency
            );
        }
        rig.close();
        assert!(rig.driver.next().await.is_none());
        let latency = rig.pool.metrics().latency;
        assert_eq!(latency.count, 2);
        assert!(latency.p50 >= BUSY, "{mode:?}: {latency:?}");
    });
}

/// Fails the test if `fut` does not finish within a generous bound: what it waits
/// for should come at once, and a hang must be a failure, not a stuck run.
async fn soon<E: Executor, T>(
    exec: &E,
    what: &str,
    fut: impl std::future::Future<Output = T>,
) -> T {
    let limit = exec.timer().sleep(Duration::from_secs(10));
    match futures::future::select(pin!(fut), limit).await {
        futures::future::Either::Left((value, _)) => value,
        futures::future::Either::Right(((), _)) => panic!("{what}: still waiting after 10 s"),
    }
}

/// Cancelling a queued job resolves its handle within one driver wake-up, even when
/// every slot is busy with a job that never ends, and the queue gauge drops with
/// it; the job is never polled.
pub fn cancelling_a_queued_job_resolves_it_now<E: Executor>(exec: &E, mode: Mode) {
    exec.block_on(async {
        let builder = Pool::builder().max_concurrency(1).queue_capacity(4);
        let rig = rig(exec, mode, builder);
        let (started_tx, started_rx) = oneshot::channel::<()>();
        rig.add(job(async move {
            let _ = started_tx.send(());
            future::pending::<()>().await;
            Ok(0)
        }))
        .await;
        let polled = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&polled);
        let pool = rig.pool.clone();
        let control = async move {
            // The only slot is taken for good before the job to cancel is queued.
            started_rx.await.unwrap();
            let queued = pool
                .submit_with_handle(job(async move {
                    flag.store(true, Ordering::SeqCst);
                    Ok(1)
                }))
                .await
                .unwrap();
            assert_eq!(pool.gauge().queued, 1);
            queued.cancel();
            let done = queued.await;
            (done, pool.gauge(), pool.metrics())
        };
        let mut driver = rig.driver;
        let (control, driving) = (pin!(control), driver.next());
        let raced = soon(
            exec,
            "the cancelled handle",
            future::select(control, driving),
        );
        let (done, gauge, m) = match raced.await {
            future::Either::Left((result, _)) => result,
            future::Either::Right((next, _)) => panic!("the driver yielded {next:?}"),
        };
        assert_eq!(done.outcome, Outcome::Cancelled, "{mode:?}");
        assert_eq!(
            (gauge.queued, gauge.in_flight),
            (0, 1),
            "{mode:?}: {gauge:?}"
        );
        assert_eq!(
            (m.outcomes.cancelled, m.submitted),
            (1, 2),
            "{mode:?}: {m:?}"
        );
        assert!(
            !polled.load(Ordering::SeqCst),
            "{mode:?}: the cancelled job ran"
        );
        rig.pool.abort();
        let rest: Vec<_> = driver.map(|c| c.outcome).collect().await;
        assert_eq!(rest, [Outcome::Cancelled], "{mode:?}");
    });
}

/// The pool's metrics once every accepted job is counted: spawned jobs still
/// running when their driver went away account for themselves, on their own
/// threads. Gives up after 10 s (the assertions that follow then fail).
fn settled(pool: &Pool<Job>) -> Metrics {
    for _ in 0..10_000 {
        let m = pool.metrics();
        if m.outcomes.finished() >= m.submitted {
            return m;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    pool.metrics()
}

/// Panics in its drop, with a message that the test output keeps quiet.
struct PanicOnDrop(&'static str);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("{DELIBERATE}: dropping {}", self.0);
    }
}

/// A job that never ends and panics when dropped.
fn bomb(name: &'static str) -> Job {
    let bomb = PanicOnDrop(name);
    job(async move {
        let _bomb = bomb;
        future::pending::<()>().await;
        Ok(0)
    })
}

/// A job that never ends and says when it starts.
fn blocker(started: oneshot::Sender<()>) -> Job {
    job(async move {
        let _ = started.send(());
        future::pending::<()>().await;
        Ok(0)
    })
}

/// A panic in the drop of a job that never started (cancelled in the queue through
/// its handle, dropped by `abort`, or never pulled from the source stream) does not
/// escape the driver: the job ends `Cancelled`, the pool goes on, the counters add
/// up.
pub fn panics_in_the_drop_of_unstarted_jobs_are_caught<E: Executor>(exec: &E, mode: Mode) {
    quiet_deliberate_panics();
    exec.block_on(async {
        let builder = Pool::builder().max_concurrency(1).queue_capacity(8);
        let mut rig = rig(exec, mode, builder);
        let (started_tx, started_rx) = oneshot::channel::<()>();
        rig.add(blocker(started_tx)).await;
        let (pool, feeder) = (rig.pool.clone(), rig.feeder());
        let driver = &mut rig.driver;
        let control = async {
            started_rx.await.unwrap();
            let cancelled = pool.submit_with_handle(bomb("cancelled")).await.unwrap();
            let aborted = pool.submit_with_handle(bomb("aborted")).await.unwrap();
            pool.submit(bomb("queued")).await.unwrap();
            if mode == Mode::Stream {
                // Behind the blocker, never pulled: dropped with the source.
                feeder.add(bomb("in the source")).await;
            }
            cancelled.cancel();
            let first = cancelled.await;
            pool.abort();
            (first, aborted.await)
        };
        let (control, rest) = (pin!(control), driver.collect::<Vec<_>>());
        let ((first, second), rest) =
            soon(exec, "the cancelled jobs", future::join(control, rest)).await;
        assert_eq!(first.outcome, Outcome::Cancelled, "{mode:?}");
        assert_eq!(second.outcome, Outcome::Cancelled, "{mode:?}");
        let rest: Vec<_> = rest.into_iter().map(|c| c.outcome).collect();
        assert_eq!(rest, [Outcome::Cancelled, Outcome::Cancelled], "{mode:?}");
        let m = rig.pool.metrics();
        assert_eq!(
            (m.submitted, m.outcomes.cancelled, m.outcomes.finished()),
            (4, 4, 4),
            "{mode:?}: {m:?}"
        );
        assert_eq!((m.running, m.queued), (0, 0), "{mode:?}: {m:?}");
    });
}

/// Dropping the driver with queued (and, stream-fed, unpulled) jobs whose drop
/// panics: no panic escapes the driver's drop, handles answer `Cancelled`, the
/// counters add up.
pub fn panics_in_the_drop_of_jobs_dropped_with_the_driver_are_caught<E: Executor>(
    exec: &E,
    mode: Mode,
) {
    quiet_deliberate_panics();
    exec.block_on(async {
        let builder = Pool::builder().max_concurrency(1).queue_capacity(8);
        let mut rig = rig(exec, mode, builder);
        let (started_tx, started_rx) = oneshot::channel::<()>();
        rig.add(blocker(started_tx)).await;
        let driver = &mut rig.driver;
        let started = async {
            let (started, next) = (started_rx, driver.next());
            match future::select(started, next).await {
                future::Either::Left((started, _)) => started.unwrap(),
                future::Either::Right((next, _)) => panic!("{mode:?}: yielded {next:?}"),
            }
        };
        soon(exec, "the blocker's start", started).await;
        let handle = rig.pool.submit_with_handle(bomb("queued")).await.unwrap();
        rig.pool.submit(bomb("queued too")).await.unwrap();
        if mode == Mode::Stream {
            rig.add(bomb("in the source")).await;
        }
        drop(rig.driver);
        assert_eq!(handle.await.outcome, Outcome::Cancelled, "{mode:?}");
        let m = settled(&rig.pool);
        assert_eq!(
            (m.submitted, m.outcomes.cancelled, m.outcomes.finished()),
            (3, 3, 3),
            "{mode:?}: {m:?}"
        );
        assert_eq!((m.running, m.queued), (0, 0), "{mode:?}: {m:?}");
    });
}

/// A panic payload whose own drop panics: the job ends `Panicked`, the pool goes on.
pub fn a_panic_payload_that_panics_when_dropped_is_caught<E: Executor>(exec: &E, mode: Mode) {
    quiet_deliberate_panics();
    exec.block_on(async {
        let mut rig = rig(exec, mode, Pool::builder().max_concurrency(1));
        rig.add(job(async {
            std::panic::panic_any(PanicOnDrop("a payload"));
        }))
        .await;
        rig.add(job(async { Ok(2) })).await;
        rig.close();
        let outcomes: Vec<_> = soon(
            exec,
            "the outcomes",
            (&mut rig.driver).map(|c| c.outcome).collect::<Vec<_>>(),
        )
        .await;
        assert_eq!(
            outcomes,
            [
                Outcome::Panicked("<non-string panic payload>".to_owned()),
                Outcome::Completed(2)
            ],
            "{mode:?}"
        );
        let m = rig.pool.metrics();
        assert_eq!(
            (m.outcomes.panicked, m.outcomes.completed),
            (1, 1),
            "{mode:?}"
        );
    });
}

/// The timers of this crate, and the executor's own.
fn every_timer<E: Executor>(exec: &E) -> Vec<(&'static str, Arc<dyn Timer>)> {
    #[allow(unused_mut)]
    let mut timers: Vec<(&'static str, Arc<dyn Timer>)> = vec![("the executor's", exec.timer())];
    #[cfg(feature = "async-io")]
    {
        timers.push(("AsyncIoTimer", Arc::new(tracepool::timer::AsyncIoTimer)));
        timers.push((
            "FinishingTimer",
            Arc::new(tracepool::timer::FinishingTimer::new()),
        ));
    }
    timers
}

/// Deadlines past what `Instant` can hold are no deadline, with every timer: a job
/// under `timeout(Duration::MAX)` (or 2^64 seconds) runs to its end, and nothing
/// overflows.
pub fn a_deadline_past_the_clocks_range_is_no_deadline<E: Executor>(exec: &E, mode: Mode) {
    for (name, timer) in every_timer(exec) {
        for timeout in [
            Duration::MAX,
            Duration::from_secs(u64::MAX),
            Duration::from_secs(u64::MAX / 2),
        ] {
            exec.block_on(async {
                let builder = Pool::builder()
                    .max_concurrency(2)
                    .timeout(timeout)
                    .shared_timer(Arc::clone(&timer));
                let mut rig = super::rig_with_timer(exec, mode, builder);
                let sleeper = Arc::clone(&timer);
                rig.add(job(async move {
                    sleeper.sleep(Duration::from_millis(2)).await;
                    Ok(1)
                }))
                .await;
                rig.add(job(async {
                    yield_now().await;
                    Ok(2)
                }))
                .await;
                rig.close();
                let mut outcomes: Vec<_> = soon(
                    exec,
                    name,
                    (&mut rig.driver).map(|c| c.outcome).collect::<Vec<_>>(),
                )
                .await;
                outcomes.sort_by_key(|o| o.clone().completed());
                assert_eq!(
                    outcomes,
                    [Outcome::Completed(1), Outcome::Completed(2)],
                    "{mode:?}, {name}, {timeout:?}"
                );
            });
        }
    }
}
/// A virtual clock in milliseconds, and a timer on it that reads it lazily: a
/// sleep's deadline is taken at its first poll, as an `async` block would.
#[derive(Debug, Clone, Default)]
struct LazyTimer(Arc<AtomicU64>);

struct LazySleep {
    clock: Arc<AtomicU64>,
    millis: u64,
    deadline: Option<u64>,
}

impl std::future::Future for LazySleep {
    type Output = ();

    fn poll(mut self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> Poll<()> {
        let now = self.clock.load(Ordering::SeqCst);
        let millis = self.millis;
        let deadline = *self.deadline.get_or_insert(now + millis);
        // Nothing wakes it: the jobs here wake themselves, and the pool polls the
        // deadline after every pending poll of its job.
        if now >= deadline {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Timer for LazyTimer {
    fn sleep(&self, duration: Duration) -> tracepool::timer::Sleep {
        Box::pin(LazySleep {
            clock: Arc::clone(&self.0),
            millis: duration.as_millis() as u64,
            deadline: None,
        })
    }
}

/// A timeout counts from the job's start, whenever its timer reads the clock: a job
/// whose first poll takes 300 ms under a 100 ms timeout times out right after that
/// poll (polled once), not 100 ms after it. On a virtual clock with a timer that
/// reads it lazily, then with the real timers (150 ms of CPU under 50 ms).
pub fn a_timeout_counts_from_the_jobs_start<E: Executor>(exec: &E, mode: Mode) {
    let lazy = LazyTimer::default();
    let clock = Arc::clone(&lazy.0);
    let mut timers: Vec<(&'static str, Arc<dyn Timer>)> = vec![("a lazy timer", Arc::new(lazy))];
    timers.extend(every_timer(exec));
    for (name, timer) in timers {
        let is_virtual = name == "a lazy timer";
        let (first, then, timeout) = if is_virtual {
            (300, 50, Duration::from_millis(100))
        } else {
            (150, 1, Duration::from_millis(50))
        };
        exec.block_on(async {
            let builder = Pool::builder()
                .max_concurrency(1)
                .timeout(timeout)
                .shared_timer(Arc::clone(&timer));
            let mut rig = super::rig_with_timer(exec, mode, builder);
            let polls = Arc::new(AtomicU64::new(0));
            let (counter, clock) = (Arc::clone(&polls), Arc::clone(&clock));
            rig.add(job(async move {
                // 300 (virtual) or 150 (real) ms in the first poll, then 50 or 1 ms
                // per poll; 2 s of virtual time in all.
                let mut spent = 0;
                loop {
                    counter.fetch_add(1, Ordering::SeqCst);
                    let step = if spent == 0 { first } else { then };
                    if is_virtual {
                        clock.fetch_add(step, Ordering::SeqCst);
                    } else {
                        spin(Duration::from_millis(step));
                    }
                    spent += step;
                    if is_virtual && spent >= 2_000 {
                        return Ok(spent);
                    }
                    yield_now().await;
                }
            }))
            .await;
            rig.close();
            let outcomes: Vec<_> = soon(
                exec,
                name,
                (&mut rig.driver).map(|c| c.outcome).collect::<Vec<_>>(),
            )
            .await;
            assert_eq!(outcomes, [Outcome::TimedOut], "{mode:?}, {name}");
            assert_eq!(
                polls.load(Ordering::SeqCst),
                1,
                "{mode:?}, {name}: the deadline was taken after the first poll"
            );
        });
    }
}
