//! The traps the original tool's worker pool fell into, one test each (see the
//! workload model's "Known traps"), run on every executor in both modes.

mod pool_common;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use futures::channel::{mpsc, oneshot};
use futures::future::{self, Either};
use futures::{StreamExt, poll};
use pool_common::{
    DELIBERATE, DeliberatePanic, Executor, Futures, InFlight, Job, Mode, Smol, Tokio, build, job,
    quiet_deliberate_panics, yield_now,
};
use tracepool::{Outcome, OutcomeKind, Pool, SubmitError, TrySubmitError};

/// Long enough that nothing in these tests finishes near it by accident; only jobs
/// that can never finish are raced against it.
const TIMEOUT: Duration = Duration::from_millis(5);

mod traps {
    use super::*;

    /// Nested submission. The deadlock of the original tool came from a job that
    /// submits children to its own pool and waits for them while holding a slot:
    /// once every slot holds such a parent, no child can start (at once with C = 1).
    /// The pool does not cause that, and the pattern that avoids it is to submit
    /// children from the consumer of the outcome stream, with `try_submit`, keeping
    /// a local backlog of the jobs handed back when the queue is full (never
    /// `submit().await` there: the consumer is what drives the pool). With C = 1 and
    /// a queue of 1, that finishes a binary tree of depth 5 (63 jobs).
    pub(super) fn nested_submission_from_the_consumer_finishes_a_tree<E: Executor>(
        exec: &E,
        mode: Mode,
    ) {
        const DEPTH: u32 = 5;
        fn node(n: u64) -> Job {
            job(async move {
                yield_now().await;
                Ok(n)
            })
        }
        exec.block_on(async {
            let builder = Pool::builder().max_concurrency(1).queue_capacity(1);
            let (pool, mut driver) = build(exec, mode, builder);
            let mut backlog = VecDeque::from([node(1)]);
            let mut outstanding = 0usize;
            let mut handed_back = 0usize;
            let mut done = BTreeSet::new();
            loop {
                while let Some(next) = backlog.pop_front() {
                    match pool.try_submit(next) {
                        Ok(_) => outstanding += 1,
                        Err(TrySubmitError::Full(back)) => {
                            handed_back += 1;
                            backlog.push_front(back);
                            break;
                        }
                        Err(TrySubmitError::Closed(_)) => unreachable!("never closed here"),
                    }
                }
                if outstanding == 0 {
                    break;
                }
                let completion = driver.next().await.expect("jobs are outstanding");
                outstanding -= 1;
                let n = completion.outcome.completed().expect("node completes");
                assert!(done.insert(n), "node {n} twice");
                if n.ilog2() < DEPTH {
                    backlog.extend([node(2 * n), node(2 * n + 1)]);
                }
            }
            pool.close();
            assert!(driver.next().await.is_none());
            assert_eq!(done, (1..(1 << (DEPTH + 1))).collect());
            assert!(handed_back > 0, "the queue never filled up");
            assert_eq!(pool.metrics().peak_in_flight, 1);
        });
    }

    /// The anti-pattern: a job that waits inside its slot for a child it submitted
    /// to the same pool. With C = 1 the child cannot start; the pool's timeout turns
    /// that into a `TimedOut` parent instead of a hang, after which the child runs
    /// and, its handle having been dropped with the parent, reports on the stream.
    pub(super) fn waiting_on_a_child_inside_a_job_times_out<E: Executor>(exec: &E, mode: Mode) {
        exec.block_on(async {
            let builder = Pool::builder().max_concurrency(1).timeout(TIMEOUT);
            let (pool, driver) = build(exec, mode, builder);
            let inner = pool.clone();
            let parent = pool
                .submit(job(async move {
                    let child = inner.submit_with_handle(job(async { Ok(2) })).await;
                    let child = child.map_err(|e| e.to_string())?;
                    Ok(child.await.outcome.completed().unwrap_or(0) + 1)
                }))
                .await
                .unwrap();
            let mut driver = driver;
            let first = driver.next().await.unwrap();
            assert_eq!((first.id, first.outcome), (parent, Outcome::TimedOut));
            let second = driver.next().await.unwrap();
            assert_eq!(second.outcome, Outcome::Completed(2));
            pool.close();
            assert!(driver.next().await.is_none());
        });
    }

    /// Result cross-attribution. Many submitters on their own tasks, each awaiting
    /// its own handles: every handle gets its own job's value and id.
    pub(super) fn concurrent_submitters_get_their_own_results<E: Executor>(exec: &E, mode: Mode) {
        const SUBMITTERS: u64 = 8;
        const JOBS: u64 = 25;
        exec.block_on(async {
            let builder = Pool::builder().max_concurrency(4).queue_capacity(8);
            let (pool, driver) = build(exec, mode, builder);
            let running = exec.spawn(driver.run());
            let submitters: Vec<_> = (0..SUBMITTERS)
                .map(|s| {
                    let pool = pool.clone();
                    exec.spawn(async move {
                        let mut handles = Vec::new();
                        for k in 0..JOBS {
                            let value = s * 1000 + k;
                            let work = job(async move {
                                for _ in 0..(s + k) % 4 {
                                    yield_now().await;
                                }
                                Ok(value)
                            });
                            handles.push((value, pool.submit_with_handle(work).await.unwrap()));
                        }
                        // Await in reverse order: replies must not depend on it.
                        for (value, handle) in handles.into_iter().rev() {
                            let id = handle.id();
                            let done = handle.await;
                            assert_eq!(done.id, id);
                            assert_eq!(done.outcome, Outcome::Completed(value));
                        }
                    })
                })
                .collect();
            future::join_all(submitters).await;
            pool.close();
            running.await;
            let m = pool.metrics();
            assert_eq!(
                (m.submitted, m.outcomes.completed),
                (SUBMITTERS * JOBS, SUBMITTERS * JOBS)
            );
        });
    }

    /// Lost replies. Jobs with handles whose sleeps straddle the timeout: each
    /// handle answers, with its value or `TimedOut`, and never with a cancellation.
    /// Jobs that finish on their first poll always complete.
    pub(super) fn reply_racing_a_timeout_always_answers<E: Executor>(exec: &E, mode: Mode) {
        let timer = exec.timer();
        exec.block_on(async {
            let builder = Pool::builder()
                .max_concurrency(8)
                .timeout(Duration::from_millis(2));
            let (pool, driver) = build(exec, mode, builder);
            let mut handles = Vec::new();
            for i in 0..60u64 {
                let timer = Arc::clone(&timer);
                let work = job(async move {
                    if i % 5 != 0 {
                        timer.sleep(Duration::from_millis(i % 5)).await;
                    }
                    Ok(i)
                });
                handles.push(pool.submit_with_handle(work).await.unwrap());
            }
            pool.close();
            let (streamed, answers) =
                future::join(driver.collect::<Vec<_>>(), future::join_all(handles)).await;
            assert!(
                streamed.is_empty(),
                "outcomes of live handles went to the stream"
            );
            for (i, done) in (0u64..).zip(answers) {
                match done.outcome {
                    Outcome::Completed(v) => assert_eq!(v, i),
                    Outcome::TimedOut => assert_ne!(i % 5, 0, "job {i} finished at once"),
                    other => panic!("job {i} answered {other:?}"),
                }
            }
            let m = pool.metrics();
            assert_eq!(m.outcomes.completed + m.outcomes.timed_out, 60);
        });
    }

    /// A dropped handle's outcome is not lost: it comes out of the stream, whatever
    /// the job ends in.
    pub(super) fn dropped_handle_outcome_goes_to_the_stream<E: Executor>(exec: &E, mode: Mode) {
        quiet_deliberate_panics();
        exec.block_on(async {
            let builder = Pool::builder().max_concurrency(2).timeout(TIMEOUT);
            let (pool, driver) = build(exec, mode, builder);
            let jobs: [Job; 4] = [
                job(async { Ok(1) }),
                job(async { Err("no".to_owned()) }),
                job(async { panic!("{DELIBERATE}: dropped handle") }),
                job(future::pending()),
            ];
            let mut ids = Vec::new();
            for work in jobs {
                let handle = pool.submit_with_handle(work).await.unwrap();
                ids.push(handle.id());
                drop(handle);
            }
            pool.close();
            let mut got: Vec<_> = driver.map(|c| (c.id, c.outcome.kind())).collect().await;
            got.sort();
            let want: Vec<_> = ids
                .into_iter()
                .zip([
                    OutcomeKind::Completed,
                    OutcomeKind::Failed,
                    OutcomeKind::Panicked,
                    OutcomeKind::TimedOut,
                ])
                .collect();
            assert_eq!(got, want);
        });
    }

    /// Queue full is never a silent drop: `try_submit` hands the very job back as
    /// `Full`, and `submit` waits for room, then succeeds.
    pub(super) fn full_queue_hands_the_job_back_and_submit_waits<E: Executor>(
        exec: &E,
        mode: Mode,
    ) {
        exec.block_on(async {
            let builder = Pool::builder().max_concurrency(1).queue_capacity(2);
            let (pool, mut driver) = build(exec, mode, builder);
            pool.try_submit(job(async { Ok(1) })).unwrap();
            pool.try_submit_with_handle(job(async { Ok(2) }))
                .map(drop)
                .unwrap();
            let full = pool.try_submit(job(async { Ok(3) })).unwrap_err();
            assert!(full.is_full());
            assert_eq!(full.to_string(), "pool queue is full");
            let full_handle = pool
                .try_submit_with_handle(job(async { Ok(4) }))
                .unwrap_err();
            assert!(matches!(full_handle, TrySubmitError::Full(_)));
            assert_eq!(pool.gauge().queued, 2);
            assert_eq!(pool.metrics().submitted, 2);

            // The job handed back is the one submitted: resubmit it, waiting for room.
            let mut resubmit = pin!(pool.submit(full.into_inner()));
            assert!(poll!(resubmit.as_mut()).is_pending(), "submit did not wait");
            let (id, first) = future::join(resubmit, driver.next()).await;
            let id = id.unwrap();
            assert_eq!(first.unwrap().outcome, Outcome::Completed(1));
            // The queue is full again (2 and 3): this one waits for the driver too.
            let last = async {
                let job = full_handle.into_inner();
                let handle = pool.submit_with_handle(job).await.unwrap();
                pool.close();
                handle.await
            };
            let (rest, last) = future::join(driver.collect::<Vec<_>>(), last).await;
            let mut values: Vec<_> = rest.iter().map(|c| c.outcome.clone().completed()).collect();
            values.sort();
            assert_eq!(values, [Some(2), Some(3)]);
            assert!(rest.iter().any(|c| c.id == id));
            assert_eq!(last.outcome, Outcome::Completed(4));
            assert_eq!(pool.metrics().submitted, 4);
        });
    }

    /// Timeouts are enforced while a job runs, not checked before it starts: a job
    /// stuck in `pending()` times out, is dropped and frees its slot at once, so
    /// the next queued job starts.
    pub(super) fn stuck_job_times_out_and_frees_its_slot<E: Executor>(exec: &E, mode: Mode) {
        exec.block_on(async {
            let builder = Pool::builder().max_concurrency(1).timeout(TIMEOUT);
            let (pool, driver) = build(exec, mode, builder);
            let in_flight = InFlight::default();
            let slot = in_flight.clone();
            pool.submit(job(async move {
                let _slot = slot.enter();
                future::pending::<()>().await;
                Ok(0)
            }))
            .await
            .unwrap();
            let slot = in_flight.clone();
            // Reports how many jobs were alive when it started: the stuck one must
            // be gone.
            pool.submit(job(async move { Ok(slot.current() as u64) }))
                .await
                .unwrap();
            pool.close();
            let done: Vec<_> = driver.collect().await;
            let outcomes: Vec<_> = done.into_iter().map(|c| c.outcome).collect();
            assert_eq!(outcomes, [Outcome::TimedOut, Outcome::Completed(0)]);
            assert_eq!(in_flight.current(), 0);
            let m = pool.metrics();
            assert_eq!((m.outcomes.timed_out, m.outcomes.completed), (1, 1));
        });
    }

    /// A job that never goes idle (it yields forever) still times out.
    pub(super) fn busy_job_times_out<E: Executor>(exec: &E, mode: Mode) {
        exec.block_on(async {
            let builder = Pool::builder().max_concurrency(1).timeout(TIMEOUT);
            let (pool, driver) = build(exec, mode, builder);
            pool.submit(job(async {
                loop {
                    yield_now().await;
                }
            }))
            .await
            .unwrap();
            pool.close();
            let done: Vec<_> = driver.map(|c| c.outcome).collect().await;
            assert_eq!(done, [Outcome::TimedOut]);
        });
    }

    /// Panics are caught, reported with their message, and the pool keeps going.
    pub(super) fn panics_are_caught_and_the_pool_keeps_going<E: Executor>(exec: &E, mode: Mode) {
        quiet_deliberate_panics();
        exec.block_on(async {
            let (pool, driver) = build(exec, mode, Pool::builder().max_concurrency(1));
            pool.submit(job(async { panic!("{DELIBERATE}: static") }))
                .await
                .unwrap();
            pool.submit(job(async move {
                let n = 42;
                panic!("{DELIBERATE}: formatted {n}")
            }))
            .await
            .unwrap();
            pool.submit(job(async { std::panic::panic_any(DeliberatePanic) }))
                .await
                .unwrap();
            for i in 0..5 {
                pool.submit(job(async move { Ok(i) })).await.unwrap();
            }
            let handle = pool
                .submit_with_handle(job(async { panic!("{DELIBERATE}: handle") }))
                .await
                .unwrap();
            pool.close();
            let (done, answer) = future::join(driver.collect::<Vec<_>>(), handle).await;
            let outcomes: Vec<_> = done.into_iter().map(|c| c.outcome).collect();
            assert_eq!(
                outcomes[..3],
                [
                    Outcome::Panicked(format!("{DELIBERATE}: static")),
                    Outcome::Panicked(format!("{DELIBERATE}: formatted 42")),
                    Outcome::Panicked("<non-string panic payload>".to_owned()),
                ]
            );
            assert_eq!(
                outcomes[3..],
                (0..5).map(Outcome::Completed).collect::<Vec<_>>()
            );
            assert_eq!(
                answer.outcome,
                Outcome::Panicked(format!("{DELIBERATE}: handle"))
            );
            let m = pool.metrics();
            assert_eq!((m.outcomes.panicked, m.outcomes.completed), (4, 5));
        });
    }

    /// A job whose drop panics: once it has produced its result, the panic is its
    /// outcome; once it timed out, it stays timed out. The pool keeps going.
    pub(super) fn panics_in_a_jobs_drop_are_caught<E: Executor>(exec: &E, mode: Mode) {
        struct PanicOnDrop;
        impl Drop for PanicOnDrop {
            fn drop(&mut self) {
                panic!("{DELIBERATE}: in drop");
            }
        }
        quiet_deliberate_panics();
        exec.block_on(async {
            let builder = Pool::builder().max_concurrency(1).timeout(TIMEOUT);
            let (pool, driver) = build(exec, mode, builder);
            let bomb = PanicOnDrop;
            pool.submit(job(async move {
                let _bomb = bomb;
                Ok(1)
            }))
            .await
            .unwrap();
            let bomb = PanicOnDrop;
            pool.submit(job(async move {
                let _bomb = bomb;
                future::pending::<()>().await;
                Ok(2)
            }))
            .await
            .unwrap();
            pool.submit(job(async { Ok(3) })).await.unwrap();
            pool.close();
            let outcomes: Vec<_> = driver.map(|c| c.outcome).collect().await;
            assert_eq!(
                outcomes,
                [
                    Outcome::Panicked(format!("{DELIBERATE}: in drop")),
                    Outcome::TimedOut,
                    Outcome::Completed(3),
                ]
            );
            let m = pool.metrics();
            assert_eq!(
                (
                    m.outcomes.panicked,
                    m.outcomes.timed_out,
                    m.outcomes.completed
                ),
                (1, 1, 1)
            );
        });
    }

    /// Abort cancels queued and running jobs, each with exactly one `Cancelled`, on
    /// the stream or its handle; queued ones never start, running ones are dropped.
    pub(super) fn abort_cancels_queued_and_running_jobs_once_each<E: Executor>(
        exec: &E,
        mode: Mode,
    ) {
        exec.block_on(async {
            let builder = Pool::builder().max_concurrency(2).queue_capacity(8);
            let (pool, driver) = build(exec, mode, builder);
            let in_flight = InFlight::default();
            let (started_tx, mut started_rx) = mpsc::unbounded::<u64>();
            let mut ids = BTreeSet::new();
            let mut handles = Vec::new();
            for i in 0..6u64 {
                let (slot, started) = (in_flight.clone(), started_tx.clone());
                let work = job(async move {
                    let _slot = slot.enter();
                    started.unbounded_send(i).unwrap();
                    future::pending::<()>().await;
                    Ok(i)
                });
                if i % 2 == 0 {
                    let handle = pool.submit_with_handle(work).await.unwrap();
                    ids.insert(handle.id());
                    handles.push(handle);
                } else {
                    ids.insert(pool.submit(work).await.unwrap());
                }
            }
            drop(started_tx);
            let control = async {
                started_rx.next().await.unwrap();
                started_rx.next().await.unwrap();
                pool.abort();
                assert!(pool.is_closed());
                let refused = pool.submit(job(async { Ok(9) })).await;
                assert!(matches!(refused, Err(SubmitError(_))));
                future::join_all(handles).await
            };
            let (answers, streamed) = future::join(control, driver.collect::<Vec<_>>()).await;
            let mut seen = BTreeSet::new();
            for done in answers.into_iter().chain(streamed) {
                assert_eq!(done.outcome, Outcome::Cancelled, "{}", done.id);
                assert!(seen.insert(done.id), "{} twice", done.id);
            }
            assert_eq!(seen, ids);
            assert_eq!(in_flight.current(), 0, "a running job was not dropped");
            // Only the two that held slots ever started.
            let later: Vec<u64> = started_rx.collect().await;
            assert!(later.is_empty(), "a queued job started after the abort");
            let m = pool.metrics();
            assert_eq!(
                (m.submitted, m.outcomes.cancelled, m.outcomes.finished()),
                (6, 6, 6)
            );
            assert_eq!(m.latency.count, 2);
        });
    }

    /// Dropping the driver resolves every handle with `Cancelled`, drops running
    /// jobs, refuses new jobs, and the counters still add up.
    pub(super) fn dropping_the_driver_cancels_handles<E: Executor>(exec: &E, mode: Mode) {
        exec.block_on(async {
            let builder = Pool::builder().max_concurrency(1).queue_capacity(8);
            let (pool, mut driver) = build(exec, mode, builder);
            let in_flight = InFlight::default();
            let (started_tx, started_rx) = oneshot::channel::<()>();
            let slot = in_flight.clone();
            let mut handles = vec![
                pool.submit_with_handle(job(async move {
                    let _slot = slot.enter();
                    let _ = started_tx.send(());
                    future::pending::<()>().await;
                    Ok(0)
                }))
                .await
                .unwrap(),
            ];
            for i in 1..4u64 {
                let work = job(async move { Ok(i) });
                handles.push(pool.submit_with_handle(work).await.unwrap());
            }
            pool.submit(job(async { Ok(9) })).await.unwrap();
            match future::select(driver.next(), started_rx).await {
                Either::Left((done, _)) => panic!("nothing should end yet: {done:?}"),
                Either::Right((started, _)) => started.unwrap(),
            }
            drop(driver);
            for done in future::join_all(handles).await {
                assert_eq!(done.outcome, Outcome::Cancelled);
            }
            assert_eq!(in_flight.current(), 0);
            let refused = pool.try_submit(job(async { Ok(10) }));
            assert!(matches!(refused, Err(TrySubmitError::Closed(_))));
            // The job without a handle has nobody to tell; it is still counted.
            let m = pool.metrics();
            assert_eq!(
                (m.submitted, m.outcomes.cancelled, m.outcomes.finished()),
                (5, 5, 5)
            );
            assert_eq!(m.running, 0);
        });
    }

    /// Close, then drain: every accepted job completes, the stream then ends.
    pub(super) fn close_then_drain_completes_every_job<E: Executor>(exec: &E, mode: Mode) {
        let timer = exec.timer();
        exec.block_on(async {
            let builder = Pool::builder().max_concurrency(3).queue_capacity(64);
            let (pool, driver) = build(exec, mode, builder);
            let mut ids = BTreeSet::new();
            for i in 0..30u64 {
                let timer = Arc::clone(&timer);
                let work = job(async move {
                    if i % 3 == 0 {
                        timer.sleep(Duration::from_millis(1)).await;
                    }
                    Ok(i)
                });
                ids.insert(pool.submit(work).await.unwrap());
            }
            assert!(pool.close());
            assert!(!pool.close());
            let done: BTreeMap<_, _> = driver.map(|c| (c.id, c.outcome)).collect().await;
            assert_eq!(done.keys().copied().collect::<BTreeSet<_>>(), ids);
            assert!(done.values().all(Outcome::is_completed));
            assert_eq!(pool.metrics().outcomes.completed, 30);
        });
    }

    /// A closed pool hands every job back, through each submit method, untouched.
    pub(super) fn closed_pool_hands_the_job_back<E: Executor>(exec: &E, mode: Mode) {
        exec.block_on(async {
            let (pool, driver) = build(exec, mode, Pool::builder().max_concurrency(1));
            pool.close();
            assert!(pool.is_closed());
            let back = pool.submit(job(async { Ok(1) })).await.unwrap_err();
            assert_eq!(back.to_string(), "pool is closed");
            assert_eq!(back.into_inner().await, Ok(1));
            let back = pool.try_submit(job(async { Ok(2) })).unwrap_err();
            assert!(!back.is_full());
            assert_eq!(back.to_string(), "pool is closed");
            assert_eq!(back.into_inner().await, Ok(2));
            let back = pool
                .submit_with_handle(job(async { Ok(3) }))
                .await
                .unwrap_err();
            assert_eq!(back.0.await, Ok(3));
            let back = pool
                .try_submit_with_handle(job(async { Ok(4) }))
                .unwrap_err();
            assert!(matches!(back, TrySubmitError::Closed(_)));
            assert_eq!(back.into_inner().await, Ok(4));
            assert_eq!(driver.collect::<Vec<_>>().await, []);
            assert_eq!(pool.metrics().submitted, 0);
        });
    }
}

macro_rules! all_traps {
    ($make:expr) => {
        crate::pool_suite!(
            $make,
            traps;
            nested_submission_from_the_consumer_finishes_a_tree,
            waiting_on_a_child_inside_a_job_times_out,
            concurrent_submitters_get_their_own_results,
            reply_racing_a_timeout_always_answers,
            dropped_handle_outcome_goes_to_the_stream,
            full_queue_hands_the_job_back_and_submit_waits,
            stuck_job_times_out_and_frees_its_slot,
            busy_job_times_out,
            panics_are_caught_and_the_pool_keeps_going,
            panics_in_a_jobs_drop_are_caught,
            abort_cancels_queued_and_running_jobs_once_each,
            dropping_the_driver_cancels_handles,
            close_then_drain_completes_every_job,
            closed_pool_hands_the_job_back,
        );
    };
}

mod tokio_rt {
    use super::*;
    all_traps!(Tokio::new());
}

mod smol_rt {
    use super::*;
    all_traps!(Smol);
}

mod futures_rt {
    use super::*;
    all_traps!(Futures::new());
}
