//! Unit tests of the pool's crate-internal hand-over, which the crawl engine uses: a
//! batch of jobs submitted under one lock (`Pool::try_submit_from`), and the outcomes
//! of a round taken without a poll (`Driver::take_ready`).

use std::collections::VecDeque;

use futures::StreamExt;
use futures::executor::block_on;
use futures::future::{Ready, ready};

use super::{Pool, TrySubmitError};
use crate::Outcome;

type Job = Ready<Result<u32, ()>>;

#[test]
fn a_batch_is_accepted_as_far_as_the_queue_has_room_under_consecutive_ids() {
    let (pool, mut driver) = Pool::builder()
        .max_concurrency(2)
        .queue_capacity(3)
        .build::<Job>()
        .unwrap();
    let first = pool.try_submit(ready(Ok(0))).unwrap();
    let mut jobs: VecDeque<Job> = (1..=4).map(|i| ready(Ok(i))).collect();
    let (next, accepted) = pool.try_submit_from(&mut jobs).unwrap();
    // One place taken of three: two of the four go in, with the ids that follow.
    assert_eq!(accepted, 2);
    assert_eq!(next, first.after(1));
    assert_eq!(jobs.len(), 2);
    assert_eq!(pool.queued(), 3);
    assert!(matches!(
        pool.try_submit(ready(Ok(9))),
        Err(TrySubmitError::Full(_))
    ));
    pool.close();
    assert!(pool.try_submit_from(&mut jobs).is_err());
    assert_eq!(jobs.len(), 2, "a closed pool takes none");
    let done: Vec<_> = block_on(driver.by_ref().collect());
    let mut got: Vec<_> = done
        .iter()
        .map(|d| match d.outcome {
            Outcome::Completed(v) => (d.id.get() - first.get(), v),
            ref other => panic!("{other:?}"),
        })
        .collect();
    got.sort_unstable();
    assert_eq!(got, [(0, 0), (1, 1), (2, 2)]);
}

#[test]
fn an_empty_batch_or_a_full_queue_accepts_none() {
    let (pool, _driver) = Pool::builder()
        .max_concurrency(1)
        .queue_capacity(1)
        .build::<Job>()
        .unwrap();
    let mut jobs = VecDeque::new();
    assert_eq!(pool.try_submit_from(&mut jobs).unwrap().1, 0);
    jobs.extend([ready(Ok(1)), ready(Ok(2))]);
    assert_eq!(pool.try_submit_from(&mut jobs).unwrap().1, 1);
    assert_eq!(pool.try_submit_from(&mut jobs).unwrap().1, 0);
    assert_eq!(jobs.len(), 1);
}

#[test]
fn take_ready_gives_what_a_round_ended_without_polling_and_each_once() {
    let (pool, mut driver) = Pool::builder()
        .max_concurrency(4)
        .queue_capacity(8)
        .build::<Ready<Result<u64, ()>>>()
        .unwrap();
    for i in 0..6 {
        pool.try_submit(ready(Ok(i))).unwrap();
    }
    // Nothing has run: nothing is ready without a poll.
    assert!(driver.take_ready().is_none());
    assert_eq!(pool.metrics().outcomes.completed, 0);
    let first = block_on(driver.next()).unwrap();
    let mut ids = vec![first.id.get()];
    while let Some(done) = driver.take_ready() {
        assert_eq!(done.outcome, Outcome::Completed(done.id.get()));
        ids.push(done.id.get());
    }
    // The jobs end at once: the rounds of the first poll ended them all, and
    // each taken one is counted as the stream's are.
    assert_eq!(ids, [0, 1, 2, 3, 4, 5]);
    assert_eq!(pool.metrics().outcomes.completed, 6);
    pool.close();
    assert!(block_on(driver.next()).is_none());
    assert!(driver.take_ready().is_none());
}
