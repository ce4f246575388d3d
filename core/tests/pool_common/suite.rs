//! The behavioural contract of the pool, one async function per property, generic
//! over the executor and the mode. Instantiated by `common_suite!` in
//! `pool_<executor>.rs`, and in the browser by `browser_pool.rs`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::channel::{mpsc, oneshot};
use futures::future::{self, Either};
use futures::stream::{FusedStream, StreamExt};
use tracepool::{JobId, Outcome, OutcomeKind, Pool};

use super::{Executor, InFlight, Mode, build, job, quiet_deliberate_panics, yield_now};

/// However many jobs wait, no more than `C` run at once: counted inside the jobs and
/// by the pool itself.
pub async fn bound_is_never_exceeded<E: Executor>(exec: &E, mode: Mode) {
    const C: usize = 3;
    const N: u64 = 40;
    let timer = exec.timer();
    let builder = Pool::builder()
        .max_concurrency(C)
        .queue_capacity(N as usize);
    let (pool, driver) = build(exec, mode, builder);
    let in_flight = InFlight::default();
    for i in 0..N {
        let (in_flight, timer) = (in_flight.clone(), timer.clone());
        pool.submit(job(async move {
            let _slot = in_flight.enter();
            for _ in 0..i % 3 {
                yield_now().await;
            }
            timer.sleep(Duration::from_millis(1)).await;
            Ok(i)
        }))
        .await
        .unwrap();
    }
    pool.close();
    let done: Vec<_> = driver.collect().await;
    assert_eq!(done.len(), N as usize);
    assert!(done.iter().all(|c| c.outcome.is_completed()));

    let metrics = pool.metrics();
    assert!(in_flight.max() <= C, "{} jobs ran at once", in_flight.max());
    assert!(in_flight.max() as u64 <= metrics.peak_in_flight);
    // Every job was queued before the driver first ran, so it filled all slots.
    assert_eq!(metrics.peak_in_flight, C as u64);
    assert_eq!(in_flight.current(), 0);
    assert_eq!((metrics.running, metrics.queued), (0, 0));
}

/// A mix of successes, failures and panics, some with handles: every accepted id
/// appears exactly once across the stream and the handles, with its own outcome, and
/// the counters add up.
pub async fn every_accepted_job_ends_exactly_once<E: Executor>(exec: &E, mode: Mode) {
    jobs_end_exactly_once(exec, mode, true).await;
}

/// The same with successes and failures only, for targets where a panic aborts the
/// process instead of unwinding (`wasm32-unknown-unknown`).
pub async fn every_accepted_job_ends_exactly_once_without_panics<E: Executor>(
    exec: &E,
    mode: Mode,
) {
    jobs_end_exactly_once(exec, mode, false).await;
}

async fn jobs_end_exactly_once<E: Executor>(exec: &E, mode: Mode, panics: bool) {
    const N: u64 = 60;
    // Job `i` completes, fails or (with `panics`) panics as `i % kinds` says.
    let kinds = if panics { 3 } else { 2 };
    if panics {
        quiet_deliberate_panics();
    }
    let builder = Pool::builder().max_concurrency(4).queue_capacity(8);
    let (pool, driver) = build(exec, mode, builder);
    let submitter = async {
        let mut expected = BTreeMap::new();
        let mut handles = Vec::new();
        for i in 0..N {
            let work = job(async move {
                yield_now().await;
                match i % kinds {
                    0 => Ok(i),
                    1 => Err(format!("error {i}")),
                    _ => panic!("{} {i}", super::DELIBERATE),
                }
            });
            let id = if i % 4 == 0 {
                let handle = pool.submit_with_handle(work).await.unwrap();
                let id = handle.id();
                handles.push(handle);
                id
            } else {
                pool.submit(work).await.unwrap()
            };
            expected.insert(id, i);
        }
        pool.close();
        (expected, handles)
    };
    let ((expected, handles), streamed) = future::join(submitter, driver.collect::<Vec<_>>()).await;

    let mut seen = BTreeMap::new();
    for done in streamed.into_iter().chain(future::join_all(handles).await) {
        assert!(
            seen.insert(done.id, done.outcome).is_none(),
            "{} twice",
            done.id
        );
    }
    assert_eq!(seen.len(), expected.len());
    for (id, i) in &expected {
        let want = match i % kinds {
            0 => Outcome::Completed(*i),
            1 => Outcome::Failed(format!("error {i}")),
            _ => Outcome::Panicked(format!("{} {i}", super::DELIBERATE)),
        };
        assert_eq!(seen[id], want, "job {id}");
    }

    let m = pool.metrics();
    assert_eq!(m.submitted, N);
    let each = N / kinds;
    let panicked = if panics { each } else { 0 };
    assert_eq!(
        (m.outcomes.completed, m.outcomes.failed, m.outcomes.panicked),
        (each, each, panicked)
    );
    assert_eq!((m.outcomes.timed_out, m.outcomes.cancelled), (0, 0));
    assert_eq!(m.outcomes.finished(), m.submitted);
    assert_eq!(m.latency.count, N);
    let gauge = pool.gauge();
    assert_eq!((gauge.in_flight, gauge.queued, gauge.finished), (0, 0, N));
}

/// A job submitted with a handle reports to that handle, never to the stream.
pub async fn handle_outcomes_go_to_handles_only<E: Executor>(exec: &E, mode: Mode) {
    let builder = Pool::builder().max_concurrency(2);
    let (pool, driver) = build(exec, mode, builder);
    let mut handles = Vec::new();
    let mut streamed_ids = Vec::new();
    for i in 0..6u64 {
        let work = job(async move { Ok(i) });
        if i % 2 == 0 {
            handles.push((i, pool.submit_with_handle(work).await.unwrap()));
        } else {
            streamed_ids.push(pool.submit(work).await.unwrap());
        }
    }
    pool.close();
    let (streamed, handled) = future::join(
        driver.collect::<Vec<_>>(),
        future::join_all(handles.into_iter().map(|(i, h)| {
            let id = h.id();
            async move { (i, id, h.await) }
        })),
    )
    .await;
    let mut got: Vec<JobId> = streamed.iter().map(|c| c.id).collect();
    got.sort();
    assert_eq!(got, streamed_ids);
    for (i, id, done) in handled {
        assert_eq!(done.id, id);
        assert_eq!(done.outcome, Outcome::Completed(i));
    }
}

/// Cancelling the handle of a queued job: the job is never polled and ends as
/// `Cancelled` with zero latency.
pub async fn cancel_queued_job_never_starts<E: Executor>(exec: &E, mode: Mode) {
    let (pool, mut driver) = build(exec, mode, Pool::builder().max_concurrency(1));
    let (started_tx, started_rx) = oneshot::channel::<()>();
    let (release_tx, release_rx) = oneshot::channel::<()>();
    pool.submit(job(async move {
        let _ = started_tx.send(());
        release_rx.await.map_err(|e| e.to_string())?;
        Ok(1)
    }))
    .await
    .unwrap();
    let polled = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&polled);
    let queued = pool
        .submit_with_handle(job(async move {
            flag.store(true, Ordering::SeqCst);
            Ok(2)
        }))
        .await
        .unwrap();

    let control = async {
        started_rx.await.unwrap();
        queued.cancel();
        release_tx.send(()).unwrap();
        let done = queued.await;
        pool.close();
        done
    };
    let (done, streamed) = future::join(control, (&mut driver).collect::<Vec<_>>()).await;
    assert_eq!(done.outcome, Outcome::Cancelled);
    assert_eq!(done.latency, Duration::ZERO);
    assert!(
        !polled.load(Ordering::SeqCst),
        "a cancelled queued job was polled"
    );
    assert_eq!(streamed.len(), 1);
    assert_eq!(streamed[0].outcome, Outcome::Completed(1));
    let m = pool.metrics();
    assert_eq!(
        (m.outcomes.completed, m.outcomes.cancelled, m.submitted),
        (1, 1, 2)
    );
}

/// Cancelling the handle of a running job drops the job (its slot is free for the
/// next one) and the handle answers `Cancelled`.
pub async fn cancel_running_job_drops_it<E: Executor>(exec: &E, mode: Mode) {
    let (pool, driver) = build(exec, mode, Pool::builder().max_concurrency(1));
    let in_flight = InFlight::default();
    let (started_tx, started_rx) = oneshot::channel::<()>();
    let slot = in_flight.clone();
    let running = pool
        .submit_with_handle(job(async move {
            let _slot = slot.enter();
            let _ = started_tx.send(());
            future::pending::<()>().await;
            Ok(1)
        }))
        .await
        .unwrap();
    let slot = in_flight.clone();
    pool.submit(job(async move {
        // Only starts once the cancelled job has given back its slot.
        Ok(slot.current() as u64)
    }))
    .await
    .unwrap();
    pool.close();

    let control = async {
        started_rx.await.unwrap();
        running.cancel();
        running.await
    };
    let (done, streamed) = future::join(control, driver.collect::<Vec<_>>()).await;
    assert_eq!(done.outcome, Outcome::Cancelled);
    assert_eq!(in_flight.current(), 0, "the cancelled job was not dropped");
    assert_eq!(streamed.len(), 1);
    assert_eq!(streamed[0].outcome, Outcome::Completed(0));
    assert_eq!(pool.metrics().outcomes.cancelled, 1);
}

/// Cancelling after the job ended changes nothing: the handle still has the outcome.
pub async fn cancel_after_end_keeps_the_outcome<E: Executor>(exec: &E, mode: Mode) {
    let (pool, driver) = build(exec, mode, Pool::builder().max_concurrency(1));
    let first = pool.submit_with_handle(job(async { Ok(7) })).await.unwrap();
    // With C = 1 this one starts only after the first has ended and answered.
    pool.submit(job(async { Ok(8) })).await.unwrap();
    pool.close();
    let streamed: Vec<_> = driver.collect().await;
    assert_eq!(streamed.len(), 1);
    first.cancel();
    assert_eq!(first.await.outcome, Outcome::Completed(7));
    let m = pool.metrics();
    assert_eq!((m.outcomes.completed, m.outcomes.cancelled), (2, 0));
}

/// `Driver::run` spawned as a task drives jobs with handles; outcomes meant for the
/// stream are discarded but still counted.
pub async fn run_drives_jobs_with_handles<E: Executor>(exec: &E, mode: Mode) {
    let builder = Pool::builder().max_concurrency(3).queue_capacity(4);
    let (pool, driver) = build(exec, mode, builder);
    let running = exec.spawn(driver.run());
    let mut handles = Vec::new();
    for i in 0..20u64 {
        let work = job(async move {
            yield_now().await;
            Ok(i * i)
        });
        handles.push(pool.submit_with_handle(work).await.unwrap());
    }
    pool.submit(job(async { Ok(0) })).await.unwrap();
    pool.close();
    let results = future::join_all(handles).await;
    for (i, done) in (0u64..).zip(results) {
        assert_eq!(done.outcome, Outcome::Completed(i * i));
    }
    running.await;
    let m = pool.metrics();
    assert_eq!((m.submitted, m.outcomes.completed), (21, 21));
}

/// Dropping every `Pool` closes it: the stream ends once accepted jobs are done.
pub async fn dropping_every_pool_closes_it<E: Executor>(exec: &E, mode: Mode) {
    let (pool, driver) = build(exec, mode, Pool::builder().max_concurrency(2));
    let other = pool.clone();
    pool.submit(job(async { Ok(1) })).await.unwrap();
    other.submit(job(async { Ok(2) })).await.unwrap();
    drop(pool);
    drop(other);
    let mut values: Vec<_> = driver
        .map(|c| c.outcome.completed().unwrap())
        .collect()
        .await;
    values.sort();
    assert_eq!(values, [1, 2]);
}

/// Once the stream has ended it stays ended and says so.
pub async fn stream_is_fused_after_its_end<E: Executor>(exec: &E, mode: Mode) {
    let (pool, mut driver) = build(exec, mode, Pool::builder().max_concurrency(1));
    pool.submit(job(async { Ok(1) })).await.unwrap();
    assert!(!driver.is_terminated());
    pool.close();
    assert!(driver.next().await.is_some());
    assert!(driver.next().await.is_none());
    assert!(driver.is_terminated());
    assert!(driver.next().await.is_none());
}

/// Ids are unique and increase in submission order, whatever the submit method.
pub async fn ids_increase_in_submission_order<E: Executor>(exec: &E, mode: Mode) {
    let (pool, driver) = build(exec, mode, Pool::builder().max_concurrency(2));
    let mut ids = Vec::new();
    let mut handles = Vec::new();
    for i in 0..12u64 {
        let work = job(async move { Ok(i) });
        match i % 4 {
            0 => ids.push(pool.submit(work).await.unwrap()),
            1 => ids.push(pool.try_submit(work).unwrap()),
            2 => handles.push(pool.submit_with_handle(work).await.unwrap()),
            _ => handles.push(pool.try_submit_with_handle(work).unwrap()),
        }
        if i % 4 >= 2 {
            ids.push(handles.last().unwrap().id());
        }
    }
    pool.close();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let (streamed, _) = future::join(driver.collect::<Vec<_>>(), future::join_all(handles)).await;
    for done in streamed {
        let i = done.outcome.completed().unwrap();
        assert_eq!(done.id, ids[i as usize]);
    }
}

/// The gauge tells how many jobs wait and run.
pub async fn gauge_reports_queue_and_in_flight<E: Executor>(exec: &E, mode: Mode) {
    let builder = Pool::builder().max_concurrency(2).queue_capacity(8);
    let (pool, mut driver) = build(exec, mode, builder);
    let (started_tx, mut started_rx) = mpsc::unbounded::<u64>();
    for i in 0..5u64 {
        let started = started_tx.clone();
        pool.submit(job(async move {
            started.unbounded_send(i).unwrap();
            future::pending::<()>().await;
            Ok(i)
        }))
        .await
        .unwrap();
    }
    let gauge = pool.gauge();
    assert_eq!((gauge.queued, gauge.in_flight), (5, 0));

    let two_started = async {
        started_rx.next().await.unwrap();
        started_rx.next().await.unwrap();
    };
    futures::pin_mut!(two_started);
    match future::select(driver.next(), two_started).await {
        Either::Left((done, _)) => panic!("a job that never ends ended: {done:?}"),
        Either::Right(((), _)) => {}
    }
    let gauge = pool.gauge();
    assert_eq!(
        (gauge.queued, gauge.in_flight, gauge.peak_in_flight),
        (3, 2, 2)
    );
    assert_eq!(pool.metrics().running, 2);

    pool.abort();
    let kinds: Vec<_> = driver.map(|c| c.outcome.kind()).collect().await;
    assert_eq!(kinds, [OutcomeKind::Cancelled; 5]);
    let gauge = pool.gauge();
    assert_eq!((gauge.queued, gauge.in_flight, gauge.finished), (0, 0, 5));
}
