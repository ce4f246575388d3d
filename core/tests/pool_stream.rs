//! A pool fed by a stream (`PoolBuilder::build_stream`): the bound, exactly one
//! outcome per accepted job, nothing pulled that could not start, the end of the
//! stream closing the pool, and `close`/`abort` in the middle. On the three native
//! executors.

mod pool_common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;
use futures::channel::mpsc;
use pool_common::{Executor, Futures, InFlight, Job, Smol, Tokio, job, yield_now};
use tracepool::{Outcome, Pool};

/// `n` jobs that each yield a few times (so that they are pending for a while), and
/// record how many are alive at once and how many the stream produced.
fn jobs(
    n: u64,
    in_flight: &InFlight,
    produced: &Arc<AtomicUsize>,
) -> impl futures::Stream<Item = Job> + Send + 'static {
    let (in_flight, produced) = (in_flight.clone(), Arc::clone(produced));
    futures::stream::iter(0..n).map(move |i| {
        produced.fetch_add(1, Ordering::SeqCst);
        let in_flight = in_flight.clone();
        job(async move {
            let _slot = in_flight.enter();
            for _ in 0..(i % 4) {
                yield_now().await;
            }
            Ok(i)
        })
    })
}

fn every_job_of_the_stream_ends_once_within_the_bound<E: Executor>(exec: &E) {
    for c in [1usize, 3, 16] {
        let in_flight = InFlight::default();
        let produced = Arc::new(AtomicUsize::new(0));
        let (pool, driver) = Pool::builder()
            .max_concurrency(c)
            .build_stream(jobs(200, &in_flight, &produced))
            .unwrap();
        // The returned handle stays alive: the stream's end still closes the pool.
        let done: Vec<_> = exec.block_on(driver.collect());
        assert_eq!(done.len(), 200, "C = {c}");
        let ids: HashSet<u64> = done.iter().map(|d| d.id.get()).collect();
        assert_eq!(ids, (0..200).collect(), "C = {c}: one outcome per id");
        let mut values: Vec<u64> = done
            .into_iter()
            .filter_map(|d| d.outcome.completed())
            .collect();
        values.sort_unstable();
        assert_eq!(values, (0..200).collect::<Vec<_>>(), "C = {c}");
        assert!(
            in_flight.max() <= c,
            "C = {c}: {} alive at once",
            in_flight.max()
        );
        assert!(pool.is_closed(), "C = {c}");
        let m = pool.metrics();
        assert_eq!(
            (m.submitted, m.outcomes.completed, m.queued, m.running),
            (200, 200, 0, 0)
        );
        assert!(m.peak_in_flight <= c as u64, "C = {c}");
    }
}

/// The driver pulls a job only when it can start it: at any time, jobs produced by
/// the stream minus jobs ended is at most C.
fn nothing_is_pulled_that_could_not_start<E: Executor>(exec: &E) {
    const C: usize = 4;
    let in_flight = InFlight::default();
    let produced = Arc::new(AtomicUsize::new(0));
    let (_pool, mut driver) = Pool::builder()
        .max_concurrency(C)
        .build_stream(jobs(100, &in_flight, &produced))
        .unwrap();
    exec.block_on(async {
        let mut ended = 0;
        while driver.next().await.is_some() {
            ended += 1;
            let ahead = produced.load(Ordering::SeqCst) - ended;
            assert!(ahead <= C, "{ahead} jobs pulled and not ended, C = {C}");
        }
        assert_eq!(ended, 100);
    });
}

/// Jobs from the stream and from the `Pool` handle share the bound and each end
/// once; a stream that is pending keeps the driver waiting, its end ends it.
fn stream_and_handle_jobs_mix<E: Executor>(exec: &E) {
    let (tx, rx) = mpsc::unbounded::<Job>();
    let (pool, driver) = Pool::builder().max_concurrency(2).build_stream(rx).unwrap();
    let outcomes = exec.block_on(async {
        let feed = async {
            for i in 0..10u64 {
                tx.unbounded_send(job(async move { Ok(i) })).unwrap();
                pool.submit(job(async move { Ok(100 + i) })).await.unwrap();
                yield_now().await;
            }
            drop(tx);
        };
        futures::join!(feed, driver.collect::<Vec<_>>()).1
    });
    let mut values: Vec<u64> = outcomes
        .into_iter()
        .filter_map(|d| d.outcome.completed())
        .collect();
    values.sort_unstable();
    let expected: Vec<u64> = (0..10).chain(100..110).collect();
    assert_eq!(values, expected);
    assert!(pool.is_closed());
    let m = pool.metrics();
    assert_eq!((m.submitted, m.outcomes.completed), (20, 20));
    assert!(m.peak_in_flight <= 2);
}

/// `close` in the middle: the stream is no longer read, every accepted job still
/// ends once. `abort` in the middle (the jobs after the tenth never end by
/// themselves): every accepted job ends once, the running ones as `Cancelled`.
fn close_and_abort_stop_reading_the_stream<E: Executor>(exec: &E) {
    for abort in [false, true] {
        let in_flight = InFlight::default();
        let produced = Arc::new(AtomicUsize::new(0));
        let stream = jobs(1_000, &in_flight, &produced)
            .enumerate()
            .map(move |(i, job)| {
                if abort && i >= 10 {
                    pool_common::job(async move {
                        let _job = job;
                        futures::future::pending().await
                    })
                } else {
                    job
                }
            });
        let (pool, mut driver) = Pool::builder()
            .max_concurrency(3)
            .build_stream(stream)
            .unwrap();
        let outcomes = exec.block_on(async {
            let mut outcomes = Vec::new();
            while let Some(done) = driver.next().await {
                outcomes.push(done.outcome);
                if outcomes.len() == 10 {
                    if abort {
                        pool.abort();
                    } else {
                        pool.close();
                    }
                }
            }
            outcomes
        });
        let m = pool.metrics();
        assert_eq!(m.outcomes.finished(), m.submitted, "abort = {abort}");
        assert_eq!(outcomes.len() as u64, m.submitted, "abort = {abort}");
        assert!(
            m.submitted < 1_000,
            "abort = {abort}: the stream was read to its end"
        );
        assert!(
            produced.load(Ordering::SeqCst) as u64 <= m.submitted + 3,
            "abort = {abort}: pulled {} for {} accepted",
            produced.load(Ordering::SeqCst),
            m.submitted
        );
        let cancelled = outcomes
            .iter()
            .filter(|o| **o == Outcome::Cancelled)
            .count();
        if abort {
            // The jobs running at the abort (at least one: they never end by
            // themselves after the tenth) were cancelled; none ended otherwise.
            assert!(cancelled >= 1);
            assert!(m.outcomes.completed <= 10);
            assert_eq!(cancelled as u64 + m.outcomes.completed, m.submitted);
        } else {
            assert_eq!(cancelled, 0);
        }
        assert_eq!(in_flight.current(), 0, "abort = {abort}");
    }
}

/// A timeout applies to stream jobs as to any other.
fn stream_jobs_time_out<E: Executor>(exec: &E) {
    let stuck = futures::stream::iter([
        job(async { Ok(1) }),
        job(futures::future::pending()),
        job(async { Ok(3) }),
    ]);
    let (_pool, driver) = Pool::builder()
        .max_concurrency(1)
        .timeout(Duration::from_millis(20))
        .shared_timer(exec.timer())
        .build_stream(stuck)
        .unwrap();
    let outcomes: Vec<_> = exec.block_on(driver.map(|d| d.outcome).collect());
    assert_eq!(
        outcomes,
        [
            Outcome::Completed(1),
            Outcome::TimedOut,
            Outcome::Completed(3)
        ]
    );
}

macro_rules! stream_suite {
    ($name:ident, $make:expr) => {
        mod $name {
            use super::*;

            #[test]
            fn every_job_ends_once_within_the_bound() {
                every_job_of_the_stream_ends_once_within_the_bound(&$make);
            }

            #[test]
            fn nothing_pulled_that_could_not_start() {
                nothing_is_pulled_that_could_not_start(&$make);
            }

            #[test]
            fn stream_and_handle_jobs() {
                stream_and_handle_jobs_mix(&$make);
            }

            #[test]
            fn close_and_abort() {
                close_and_abort_stop_reading_the_stream(&$make);
            }

            #[test]
            fn timeouts() {
                stream_jobs_time_out(&$make);
            }
        }
    };
}

stream_suite!(tokio_rt, Tokio::new());
stream_suite!(smol_rt, Smol);
stream_suite!(futures_rt, Futures::new());

/// A panic in the source stream's `poll_next`, or in the drop of jobs it still
/// holds when the pool closes, does not escape the driver: the stream ends there,
/// the jobs it gave end once each.
#[test]
fn a_panicking_source_ends_there() {
    pool_common::quiet_deliberate_panics();
    let source = futures::stream::iter(0..5u64).map(|i| {
        if i == 3 {
            panic!("{}: in the source", pool_common::DELIBERATE);
        }
        job(async move { Ok(i) })
    });
    let (pool, driver) = Pool::builder()
        .max_concurrency(2)
        .build_stream(source)
        .unwrap();
    let mut values: Vec<u64> = futures::executor::block_on(driver.collect::<Vec<_>>())
        .into_iter()
        .filter_map(|c| c.outcome.completed())
        .collect();
    values.sort_unstable();
    assert_eq!(values, [0, 1, 2]);
    assert!(pool.is_closed());
    let m = pool.metrics();
    assert_eq!(
        (m.submitted, m.outcomes.completed, m.outcomes.finished()),
        (3, 3, 3)
    );
}

/// A build error names the field, as for the other builds.
#[test]
fn bad_configuration_is_refused() {
    let err = Pool::builder()
        .max_concurrency(0)
        .build_stream(futures::stream::empty::<Job>())
        .unwrap_err();
    assert_eq!(err, tracepool::BuildError::ZeroMaxConcurrency);
}
