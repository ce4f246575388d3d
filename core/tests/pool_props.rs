//! Property tests of the pool's invariants over random configurations, job mixes and
//! cancellation points: the bound is never exceeded, every accepted job ends exactly
//! once, the counters add up, nothing hangs.
//!
//! Time is virtual: a job lasts a number of polls, and the timer used for timeouts
//! counts polls too (see [`StepTimer`]), so whether a job times out never depends on
//! the machine's speed.
//!
//! Each case draws its own mix: failures up to 50 % of the jobs, panics, jobs that
//! hang until their timeout, jobs whose drop panics unless they finish (cancelled,
//! timed out, aborted or dropped unstarted), and cancellation points (handles
//! cancelled at once or later, an abort or the driver dropped after some outcomes).
//! 64 cases by default; `PROPTEST_CASES` raises it (`scripts/soak` runs 10,000).

mod pool_common;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::channel::mpsc;
use futures::executor::{ThreadPool, block_on};
use futures::future::{self, FutureExt};
use futures::{Stream, StreamExt};
use pool_common::{DELIBERATE, InFlight, Job, job, quiet_deliberate_panics, yield_now};
use proptest::prelude::*;
use tracepool::timer::Sleep;
use tracepool::{Completion, Driver, JobId, Outcome, Pool, Timer};

/// A timer whose sleeps end after as many polls as the duration has milliseconds.
/// The pool polls a job's deadline each time it polls the job and finds it pending,
/// so a job of `s` steps finishes before a timeout of more than `s` "milliseconds",
/// and a job that never finishes always times out.
#[derive(Debug, Clone, Copy)]
struct StepTimer;

struct Steps(u128);

impl Future for Steps {
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

impl Timer for StepTimer {
    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(Steps(duration.as_millis()))
    }
}

/// Longer than any finishing job (at most 7 steps).
const TIMEOUT_STEPS: u64 = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Ok,
    Fail,
    Panic,
    Hang,
}

/// Where a job's outcome goes, and whether its handle cancels it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reply {
    Stream,
    Handle,
    DropHandle,
    CancelAtOnce,
    CancelLater,
}

#[derive(Debug, Clone, Copy)]
struct Spec {
    steps: u8,
    end: End,
    reply: Reply,
    /// The job panics when dropped before it finished.
    bomb: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    None,
    AbortAfter(usize),
    DropDriverAfter(usize),
}

#[derive(Debug, Clone)]
struct Case {
    c: usize,
    queue: usize,
    spawned: bool,
    /// Jobs whose outcome goes to the stream come from the driver's source stream
    /// (`build_stream`) instead of `submit`; inline pools only.
    stream_fed: bool,
    specs: Vec<Spec>,
    stop: Stop,
}

/// The share of jobs, in percent, that fail, panic, hang and panic when dropped
/// unfinished, drawn per case.
#[derive(Debug, Clone, Copy)]
struct Mix {
    fail: u32,
    panic: u32,
    hang: u32,
    bomb: u32,
}

fn mix() -> impl Strategy<Value = Mix> {
    (0u32..=50, 0u32..=20, 0u32..=20, 0u32..=50).prop_map(|(fail, panic, hang, bomb)| Mix {
        fail,
        panic,
        hang,
        bomb,
    })
}

fn spec(mix: Mix) -> impl Strategy<Value = Spec> {
    let reply = prop_oneof![
        6 => Just(Reply::Stream),
        2 => Just(Reply::Handle),
        1 => Just(Reply::DropHandle),
        1 => Just(Reply::CancelAtOnce),
        1 => Just(Reply::CancelLater),
    ];
    (0u8..8, 0u32..100, reply, 0u32..100).prop_map(move |(steps, roll, reply, bomb)| {
        let end = if roll < mix.fail {
            End::Fail
        } else if roll < mix.fail + mix.panic {
            End::Panic
        } else if roll < mix.fail + mix.panic + mix.hang {
            End::Hang
        } else {
            End::Ok
        };
        Spec {
            steps,
            end,
            reply,
            bomb: bomb < mix.bomb,
        }
    })
}

fn case() -> impl Strategy<Value = Case> {
    let stop = prop_oneof![
        2 => Just(Stop::None),
        1 => (0usize..40).prop_map(Stop::AbortAfter),
        1 => (0usize..40).prop_map(Stop::DropDriverAfter),
    ];
    let specs = mix().prop_flat_map(|mix| prop::collection::vec(spec(mix), 0..=80));
    (1usize..=64, 1usize..=64, 0u8..3, specs, stop).prop_map(|(c, queue, mode, specs, stop)| Case {
        c,
        queue,
        spawned: mode == 1,
        stream_fed: mode == 2,
        specs,
        stop,
    })
}

fn threads() -> &'static ThreadPool {
    static THREADS: OnceLock<ThreadPool> = OnceLock::new();
    THREADS.get_or_init(|| {
        ThreadPool::builder()
            .pool_size(2)
            .create()
            .expect("thread pool")
    })
}

/// Panics when dropped while armed.
struct Bomb(bool);

impl Drop for Bomb {
    fn drop(&mut self) {
        if self.0 {
            panic!("{DELIBERATE}: dropped unfinished");
        }
    }
}

/// Drops a job the pool refused (closed): a panic in its drop is the test's own.
fn discard(job: Job) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(job)));
}

fn make_job(i: usize, spec: Spec, in_flight: InFlight) -> Job {
    let bomb = Bomb(spec.bomb);
    job(async move {
        // Moved in whole (not just its field).
        let mut bomb = bomb;
        let _slot = in_flight.enter();
        for _ in 0..spec.steps {
            yield_now().await;
        }
        // A job that finishes (or panics itself) is dropped quietly.
        bomb.0 = spec.end == End::Hang;
        match spec.end {
            End::Ok => Ok(i as u64),
            End::Fail => Err(format!("failed {i}")),
            End::Panic => panic!("{DELIBERATE} {i}"),
            End::Hang => future::pending().await,
        }
    })
}

fn expected(i: usize, spec: Spec) -> Outcome<u64, String> {
    match spec.end {
        End::Ok => Outcome::Completed(i as u64),
        End::Fail => Outcome::Failed(format!("failed {i}")),
        End::Panic => Outcome::Panicked(format!("{DELIBERATE} {i}")),
        End::Hang => Outcome::TimedOut,
    }
}

/// The source stream of a stream-fed pool, and the indices of the jobs it handed
/// to the driver, in order.
struct Feed {
    /// A job's index and spec: the job is made when the driver pulls it (a channel
    /// holding several jobs whose drop panics could not be dropped without a panic
    /// during a panic).
    tx: mpsc::UnboundedSender<(usize, Spec)>,
    pulled: Arc<Mutex<Vec<usize>>>,
}

fn run(case: &Case) -> Result<(), TestCaseError> {
    let in_flight = InFlight::default();
    let builder = Pool::builder()
        .max_concurrency(case.c)
        .queue_capacity(case.queue)
        .timeout(Duration::from_millis(TIMEOUT_STEPS))
        .timer(StepTimer);
    if case.stream_fed {
        let (tx, rx) = mpsc::unbounded::<(usize, Spec)>();
        let pulled = Arc::new(Mutex::new(Vec::new()));
        let (record, alive) = (Arc::clone(&pulled), in_flight.clone());
        let source = rx.map(move |(i, spec)| {
            record.lock().unwrap().push(i);
            make_job(i, spec, alive.clone())
        });
        let (pool, driver) = builder.build_stream(source).expect("valid configuration");
        return run_with(case, pool, driver, Some(Feed { tx, pulled }), in_flight);
    }
    let (pool, driver) = if case.spawned {
        builder.build_spawned(|task| threads().spawn_ok(task))
    } else {
        builder.build()
    }
    .expect("valid configuration");
    run_with(case, pool, driver, None, in_flight)
}

fn run_with<S: Stream<Item = Job>>(
    case: &Case,
    pool: Pool<Job>,
    driver: Driver<Job, S>,
    feed: Option<Feed>,
    in_flight: InFlight,
) -> Result<(), TestCaseError> {
    let (tx, pulled) = match feed {
        Some(Feed { tx, pulled }) => (Some(tx), Some(pulled)),
        None => (None, None),
    };

    let producer = async {
        let mut accepted = BTreeMap::new();
        let mut handles = Vec::new();
        let mut later = Vec::new();
        for (i, spec) in case.specs.iter().copied().enumerate() {
            if let (Some(tx), Reply::Stream) = (&tx, spec.reply) {
                // Accepted if and when the driver pulls it.
                let _ = tx.unbounded_send((i, spec));
                continue;
            }
            let work = make_job(i, spec, in_flight.clone());
            if spec.reply == Reply::Stream {
                match pool.submit(work).await {
                    Ok(id) => {
                        accepted.insert(id, i);
                    }
                    Err(refused) => discard(refused.into_inner()),
                }
                continue;
            }
            let handle = match pool.submit_with_handle(work).await {
                Ok(handle) => handle,
                Err(refused) => {
                    discard(refused.into_inner());
                    continue;
                }
            };
            accepted.insert(handle.id(), i);
            match spec.reply {
                Reply::DropHandle => drop(handle),
                Reply::CancelAtOnce => {
                    handle.cancel();
                    handles.push(handle);
                }
                Reply::CancelLater => later.push(handle),
                Reply::Handle | Reply::Stream => handles.push(handle),
            }
        }
        for handle in &later {
            handle.cancel();
        }
        handles.extend(later);
        match tx {
            // The source's end closes the pool.
            Some(tx) => drop(tx),
            None => {
                pool.close();
            }
        }
        (accepted, handles)
    };
    let consumer = async {
        let mut streamed = Vec::new();
        let mut driver = Some(driver);
        while let Some(d) = driver.as_mut() {
            let Some(done) = d.next().await else { break };
            streamed.push(done);
            match case.stop {
                Stop::AbortAfter(k) if streamed.len() == k => pool.abort(),
                Stop::DropDriverAfter(k) if streamed.len() == k => driver = None,
                _ => {}
            }
        }
        streamed
    };
    let ((accepted, handles), streamed) = block_on(future::join(producer, consumer));
    let answered: Vec<Completion<u64, String>> = block_on(future::join_all(handles));

    // Jobs spawned before the driver went away may still be finishing on the thread
    // pool; they account for themselves. Wait for that; the limit only turns a job
    // that is never counted into a failure instead of a hang.
    for _ in 0..10_000 {
        let m = pool.metrics();
        if m.outcomes.finished() >= m.submitted {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }

    // The bound.
    let m = pool.metrics();
    prop_assert!(
        in_flight.max() <= case.c,
        "{} > C = {}",
        in_flight.max(),
        case.c
    );
    prop_assert!(m.peak_in_flight <= case.c as u64);
    prop_assert!(in_flight.max() as u64 <= m.peak_in_flight);
    prop_assert_eq!(in_flight.current(), 0, "a job was never dropped");

    // Exactly one outcome per accepted job. Jobs pulled from a source stream have
    // ids the test never saw: they are matched as a whole.
    let pulled = pulled
        .map(|p| p.lock().unwrap().clone())
        .unwrap_or_default();
    let dropped_driver = matches!(case.stop, Stop::DropDriverAfter(_));
    let stopped = case.stop != Stop::None;
    let mut seen = BTreeMap::<JobId, Outcome<u64, String>>::new();
    let mut from_source = Vec::new();
    for done in streamed.iter().chain(&answered) {
        if !accepted.contains_key(&done.id) {
            prop_assert!(case.stream_fed, "{} was never accepted", done.id);
            from_source.push(format!("{:?}", done.outcome));
        }
        let first = seen.insert(done.id, done.outcome.clone());
        prop_assert!(first.is_none(), "{} ended twice", done.id);
    }
    let answered_ids: BTreeSet<_> = answered.iter().map(|c| c.id).collect();
    prop_assert_eq!(answered_ids.len(), answered.len());
    if !dropped_driver {
        prop_assert_eq!(
            seen.len(),
            accepted.len() + pulled.len(),
            "an outcome is missing"
        );
        prop_assert_eq!(from_source.len(), pulled.len());
    }
    if !stopped {
        let mut want: Vec<_> = pulled
            .iter()
            .map(|&i| format!("{:?}", expected(i, case.specs[i])))
            .collect();
        want.sort();
        from_source.sort();
        prop_assert_eq!(from_source, want, "the source's jobs' own outcomes");
    }

    // Each outcome is the job's own, or a cancellation where one was asked for.
    for (id, outcome) in &seen {
        let Some(&i) = accepted.get(id) else {
            continue;
        };
        let spec = case.specs[i];
        let want = expected(i, spec);
        match spec.reply {
            Reply::CancelAtOnce => prop_assert_eq!(outcome, &Outcome::Cancelled),
            Reply::CancelLater => {
                prop_assert!(
                    *outcome == want || *outcome == Outcome::Cancelled,
                    "{outcome:?}"
                )
            }
            _ if stopped => {
                prop_assert!(
                    *outcome == want || *outcome == Outcome::Cancelled,
                    "{outcome:?}"
                )
            }
            _ => prop_assert_eq!(outcome, &want),
        }
    }

    // The counters add up.
    prop_assert_eq!(m.submitted, (accepted.len() + pulled.len()) as u64);
    prop_assert_eq!(m.outcomes.finished(), m.submitted);
    prop_assert_eq!((m.running, m.queued), (0, 0));
    if !dropped_driver {
        let count = |kind| seen.values().filter(|o| o.kind() == kind).count() as u64;
        use tracepool::OutcomeKind as K;
        prop_assert_eq!(m.outcomes.completed, count(K::Completed));
        prop_assert_eq!(m.outcomes.failed, count(K::Failed));
        prop_assert_eq!(m.outcomes.timed_out, count(K::TimedOut));
        prop_assert_eq!(m.outcomes.panicked, count(K::Panicked));
        prop_assert_eq!(m.outcomes.cancelled, count(K::Cancelled));
    }
    Ok(())
}

/// 64 cases, or `PROPTEST_CASES` when it is set (`scripts/soak` runs 10,000).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").map_or(64, |value| match value.trim().parse() {
        Ok(cases) if cases >= 1 => cases,
        _ => panic!("PROPTEST_CASES must be a whole number from 1 to 4294967295, not `{value}`"),
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn pool_invariants_hold(case in case()) {
        quiet_deliberate_panics();
        run(&case)?;
    }
}

/// The step timer itself: a sleep of n ms takes n + 1 polls.
#[test]
fn step_timer_counts_polls() {
    let mut sleep = StepTimer.sleep(Duration::from_millis(3));
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    for _ in 0..3 {
        assert!(sleep.poll_unpin(&mut cx).is_pending());
    }
    assert!(sleep.poll_unpin(&mut cx).is_ready());
}
