//! The flat workload, run on the scheduling models themselves: N independent jobs,
//! no crawl engine, no dedup set, no per-trace report.
//!
//! - [`Model::Pool`]: the jobs' stream feeds the pool
//!   ([`PoolBuilder::build_stream`](tracepool::PoolBuilder::build_stream)); each job
//!   is made as the pool pulls it, so memory stays flat in N.
//! - [`Model::Previous`]: batches of C jobs, a barrier after each.
//! - [`Model::Unbounded`]: every job at once.
//!
//! Job `i` sleeps its nominal duration ([`FlatWorkload::duration`]) on the run's
//! timer and records its accuracy; a zero latency does not sleep at all.

use std::cell::RefCell;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use futures::future::{Either, select};
use futures::stream::{FuturesUnordered, Stream, StreamExt};
use futures::task::AtomicWaker;
use hdrhistogram::Histogram;
use tracepool::crawl::Model;
use tracepool::sim::{FlatWorkload, SleepStats};
use tracepool::timer::{HeapSleep, HeapTimer, Timer};
use tracepool::{Outcomes, Pool};

use super::{Measured, RunError, RunSpec};
use crate::interrupt::Interrupt;
use crate::os::{AppGauges, Sampler, SamplerReport};

/// What a job needs to sleep: the timer and the accuracy totals, behind one `Arc`
/// (one reference count to change per job).
#[derive(Clone)]
struct Sleeper(Arc<SleeperParts>);

struct SleeperParts {
    timer: JobTimer,
    stats: Arc<SleepStats>,
}

/// The timer a job sleeps on.
enum JobTimer {
    /// A [`HeapTimer`]: each sleep is kept in its job's own future, without an
    /// allocation.
    Heap(HeapTimer),
    /// Any timer: each sleep is boxed.
    Boxed(Arc<dyn Timer>),
}

impl Sleeper {
    /// Sleeps on `heap` when there is one (a clone of `timer`, for sleeps kept in
    /// place), otherwise on `timer`.
    fn new(timer: Arc<dyn Timer>, heap: Option<HeapTimer>, stats: Arc<SleepStats>) -> Self {
        let timer = match heap {
            Some(heap) => JobTimer::Heap(heap),
            None => JobTimer::Boxed(timer),
        };
        Sleeper(Arc::new(SleeperParts { timer, stats }))
    }

    /// Job `i`'s future: sleeps `duration` (not at all when it is zero).
    fn job(&self, duration: Duration) -> FlatJob {
        FlatJob {
            sleeper: (!duration.is_zero()).then(|| Arc::clone(&self.0)),
            sleep: JobSleep::Asked(duration),
        }
    }
}

/// A flat job: sleeps its duration on its sleeper's timer, from its first poll, and
/// records the sleep's accuracy. Written out by hand rather than as an `async` block,
/// whose state machine keeps the duration and the start twice: with 10,000 jobs in
/// flight, each byte of a job is 10 kB more to keep in cache.
struct FlatJob {
    /// `None` for a job that does not sleep.
    sleeper: Option<Arc<SleeperParts>>,
    sleep: JobSleep,
}

enum JobSleep {
    /// Not polled yet: the sleep starts at the first poll.
    Asked(Duration),
    /// Sleeping in place; its duration is its deadline less its start.
    Heap(HeapSleep),
    /// Sleeping in a box.
    Boxed {
        sleep: tracepool::timer::Sleep,
        start: Instant,
        duration: Duration,
    },
    /// Ended.
    Done,
}

impl Future for FlatJob {
    type Output = Result<(), ()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), ()>> {
        let this = self.get_mut();
        let Some(parts) = &this.sleeper else {
            return Poll::Ready(Ok(()));
        };
        if let JobSleep::Asked(duration) = this.sleep {
            this.sleep = match &parts.timer {
                JobTimer::Heap(heap) => JobSleep::Heap(heap.sleep(duration)),
                JobTimer::Boxed(timer) => JobSleep::Boxed {
                    start: Instant::now(),
                    sleep: timer.sleep(duration),
                    duration,
                },
            };
        }
        let (duration, start) = match &mut this.sleep {
            JobSleep::Heap(sleep) => {
                ready!(Pin::new(&mut *sleep).poll(cx));
                // A sleep that ends has a deadline: its start plus its duration.
                let start = sleep.start();
                let deadline = sleep.deadline().unwrap_or(start);
                (deadline - start, start)
            }
            JobSleep::Boxed {
                sleep,
                start,
                duration,
            } => {
                ready!(sleep.as_mut().poll(cx));
                (*duration, *start)
            }
            JobSleep::Asked(_) | JobSleep::Done => return Poll::Ready(Ok(())),
        };
        this.sleep = JobSleep::Done;
        parts.stats.record(duration, start.elapsed());
        Poll::Ready(Ok(()))
    }
}

/// The nominal duration of each job of `spec`'s flat workload, by index: computed as
/// the job is made, so that memory stays flat in the number of jobs.
fn durations(spec: &RunSpec) -> impl Fn(usize) -> Duration + use<> {
    let flat = FlatWorkload::new(spec.traces, spec.scaled_latency()).with_seed(spec.seed);
    // A zero mean gives zero durations without a draw.
    move |i: usize| flat.duration(i)
}

/// The jobs of `spec`'s flat workload, in order, made as they are pulled: each sleeps
/// its duration on `timer` (not at all when it is zero) and records the sleep's
/// accuracy into `stats`. The jobs [`run`](super::run) gives the pool, for a peer
/// to run the same way (with a `--timer heap`, the runner's own jobs keep their sleep
/// in place rather than boxed).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use futures::StreamExt;
/// use tracepool::report::Workload;
/// use tracepool::sim::SleepStats;
/// use tracepool::timer::AsyncIoTimer;
/// use tracepool_bench::runner::{RunSpec, flat_jobs};
///
/// let spec = RunSpec { workload: Workload::Flat, traces: 100, latency_ms: 0.0, ..RunSpec::default() };
/// let jobs = flat_jobs(&spec, Arc::new(AsyncIoTimer), Arc::new(SleepStats::new()));
/// let done = futures::executor::block_on(jobs.buffer_unordered(8).count());
/// assert_eq!(done, 100);
/// ```
pub fn flat_jobs(
    spec: &RunSpec,
    timer: Arc<dyn Timer>,
    stats: Arc<SleepStats>,
) -> impl Stream<Item = impl Future<Output = Result<(), ()>> + Send + use<>> + use<> {
    jobs(spec, Sleeper::new(timer, None, stats))
}

/// The jobs of `spec`'s flat workload, sleeping through `sleeper`.
fn jobs(
    spec: &RunSpec,
    sleeper: Sleeper,
) -> impl Stream<Item = impl Future<Output = Result<(), ()>> + Send + use<>> + use<> {
    let duration = durations(spec);
    futures::stream::iter(0..spec.traces).map(move |i| sleeper.job(duration(i)))
}

/// Runs the flat workload of `spec` (valid) under its model, sampling the process.
/// The jobs sleep on `heap` when there is one (a clone of `timer`, which the pool's
/// timeouts use), otherwise on `timer`.
pub(super) fn run(
    spec: &RunSpec,
    timer: Arc<dyn Timer>,
    heap: Option<HeapTimer>,
    stats: Arc<SleepStats>,
    interrupt: &Interrupt,
) -> Result<(Measured, SamplerReport), RunError> {
    let sleeper = Sleeper::new(Arc::clone(&timer), heap, stats);
    let duration = durations(spec);
    match spec.model {
        Model::Pool => run_pool(spec, timer, sleeper, interrupt),
        Model::Previous | Model::Unbounded => {
            run_baseline(spec, timer, sleeper, duration, interrupt)
        }
    }
}

fn run_pool(
    spec: &RunSpec,
    timer: Arc<dyn Timer>,
    sleeper: Sleeper,
    interrupt: &Interrupt,
) -> Result<(Measured, SamplerReport), RunError> {
    let jobs = jobs(spec, sleeper);
    let builder = Pool::builder().max_concurrency(spec.concurrency);
    let builder = match spec.timeout() {
        Some(t) => builder.timeout(t).shared_timer(timer),
        None => builder,
    };
    let (pool, driver) = builder
        .build_stream(jobs)
        .expect("the spec is valid: C is at least 1");
    let gauge = pool.clone();
    let sampler = Sampler::start(spec.sample_interval, move || {
        let g = gauge.gauge();
        AppGauges {
            in_flight: g.in_flight,
            queued: g.queued,
            completed: g.finished,
        }
    })
    .map_err(RunError::Sampler)?;
    let aborter = pool.clone();
    let watch = interrupt.watch_with(move || aborter.abort());
    let mut seen = Outcomes::default();
    let started = Instant::now();
    async_io::block_on(driver.for_each(|done| {
        seen.record(done.outcome.kind());
        futures::future::ready(())
    }));
    let wall = started.elapsed();
    drop(watch);
    let sampled = sampler.stop();
    let m = pool.metrics();
    Ok((
        Measured {
            wall,
            jobs: m.submitted,
            outcomes: seen,
            lost: m.submitted.saturating_sub(seen.finished()),
            discovered: spec.traces as u64,
            peak_in_flight: m.peak_in_flight,
            p50: m.latency.p50,
            p99: m.latency.p99,
            was_cancelled: interrupt.is_requested() || seen.cancelled > 0,
            errors_by_kind: super::job_error_kinds(&seen),
        },
        sampled,
    ))
}

/// Live counters of a baseline run, read by the sampler.
#[derive(Default)]
struct Counters {
    started: AtomicU64,
    completed: AtomicU64,
    timed_out: AtomicU64,
    peak: AtomicU64,
}

impl Counters {
    fn finished(&self) -> u64 {
        self.completed.load(Ordering::Relaxed) + self.timed_out.load(Ordering::Relaxed)
    }

    fn in_flight(&self) -> u64 {
        self.started
            .load(Ordering::Relaxed)
            .saturating_sub(self.finished())
    }
}

/// A stop request for a baseline run: a flag and the waker of the run's thread.
#[derive(Default)]
struct Stop {
    requested: AtomicBool,
    waker: AtomicWaker,
}

impl Stop {
    fn request(&self) {
        self.requested.store(true, Ordering::SeqCst);
        self.waker.wake();
    }

    async fn requested(&self) {
        futures::future::poll_fn(|cx| {
            self.waker.register(cx.waker());
            if self.requested.load(Ordering::SeqCst) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
    }
}

/// The previous and the unbounded models on the flat jobs: every job counted as it
/// starts and ends; a stop drops the jobs in flight, each counted cancelled.
fn run_baseline(
    spec: &RunSpec,
    timer: Arc<dyn Timer>,
    sleeper: Sleeper,
    duration: impl Fn(usize) -> Duration,
    interrupt: &Interrupt,
) -> Result<(Measured, SamplerReport), RunError> {
    let counters = Arc::new(Counters::default());
    let stop = Arc::new(Stop::default());
    let latencies = RefCell::new(
        Histogram::<u64>::new_with_max(MAX_LATENCY_US, 3).expect("valid bounds and precision"),
    );
    let timeout = spec.timeout();
    let job = |i: usize| {
        let work = sleeper.job(duration(i));
        let (counters, latencies, timer) = (&counters, &latencies, &timer);
        async move {
            let started = counters.started.fetch_add(1, Ordering::Relaxed) + 1;
            counters.peak.fetch_max(
                started.saturating_sub(counters.finished()),
                Ordering::Relaxed,
            );
            let start = Instant::now();
            let in_time = match timeout {
                None => {
                    let _ = work.await;
                    true
                }
                Some(t) => matches!(select(pin!(work), timer.sleep(t)).await, Either::Left(_)),
            };
            let micros = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
            latencies.borrow_mut().saturating_record(micros);
            let count = if in_time {
                &counters.completed
            } else {
                &counters.timed_out
            };
            count.fetch_add(1, Ordering::Relaxed);
        }
    };
    let (n, c) = (spec.traces, spec.concurrency);
    let work = async {
        match spec.model {
            Model::Unbounded => {
                (0..n)
                    .map(&job)
                    .collect::<FuturesUnordered<_>>()
                    .for_each(futures::future::ready)
                    .await;
            }
            _ => {
                for first in (0..n).step_by(c) {
                    (first..n.min(first + c))
                        .map(&job)
                        .collect::<FuturesUnordered<_>>()
                        .for_each(futures::future::ready)
                        .await;
                }
            }
        }
    };
    let gauge = Arc::clone(&counters);
    let sampler = Sampler::start(spec.sample_interval, move || AppGauges {
        in_flight: gauge.in_flight(),
        queued: 0,
        completed: gauge.finished(),
    })
    .map_err(RunError::Sampler)?;
    let stopper = Arc::clone(&stop);
    let watch = interrupt.watch_with(move || stopper.request());
    let started = Instant::now();
    let was_cancelled = async_io::block_on(async {
        match select(pin!(work), pin!(stop.requested())).await {
            Either::Left(_) => false,
            Either::Right(_) => true,
        }
    });
    let wall = started.elapsed();
    drop(watch);
    let sampled = sampler.stop();
    let jobs = counters.started.load(Ordering::Relaxed);
    let (completed, timed_out) = (
        counters.completed.load(Ordering::Relaxed),
        counters.timed_out.load(Ordering::Relaxed),
    );
    let latencies = latencies.into_inner();
    let at = |q: f64| Duration::from_micros(latencies.value_at_quantile(q));
    let outcomes = Outcomes {
        completed,
        timed_out,
        // The jobs dropped by the stop: started, never finished.
        cancelled: jobs - completed - timed_out,
        ..Outcomes::default()
    };
    Ok((
        Measured {
            wall,
            jobs,
            outcomes,
            lost: 0,
            discovered: spec.traces as u64,
            peak_in_flight: counters.peak.load(Ordering::Relaxed),
            p50: at(0.5),
            p99: at(0.99),
            was_cancelled,
            errors_by_kind: super::job_error_kinds(&outcomes),
        },
        sampled,
    ))
}

/// The longest latency the baselines' histogram tells apart: an hour, in
/// microseconds (longer ones count as an hour).
const MAX_LATENCY_US: u64 = 3_600_000_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_in_flight_stays_small() {
        // 10,000 jobs in flight: each byte of a job is 10 kB more for the caches. At
        // 64 bytes (with room for `Option`'s tag), the pool keeps it in 128.
        assert!(std::mem::size_of::<FlatJob>() <= 64);
        assert!(std::mem::size_of::<Option<FlatJob>>() <= 64);
    }
}
