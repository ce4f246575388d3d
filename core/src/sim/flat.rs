//! The flat workload: independent jobs of known duration, and their ideal makespan.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use futures::future::{self, BoxFuture, FutureExt, LocalBoxFuture};

use super::rng::{Draws, Salt};
use super::stats::SleepStats;
use super::workload::wait_and_work;
use crate::plugin::{LocalPlugin, LocalRegistry, Plugin, PluginError, PluginErrorKind, Registry};
use crate::timer::{LocalTimer, SharedTimer, Timer};
use crate::trace::{Trace, TraceKind};

/// The seed of [`FlatWorkload::new`].
pub const FLAT_DEFAULT_SEED: u64 = 0x5EED;

const JOB_URL_PREFIX: &str = "https://jobs.example/job/";

/// The nominal duration of job `i` of a flat workload: `mean * (0.5 + u)` with `u`
/// uniform in [0, 1) drawn from (`seed`, `i`), so durations are uniform in
/// [0.5 `mean`, 1.5 `mean`). A duration past what a `Duration` holds (a `mean` above
/// `Duration::MAX / 1.5`) is `Duration::MAX`. A zero `mean` gives zero, without a draw:
/// no-op jobs cost nothing to make.
pub fn flat_job_duration(seed: u64, mean: Duration, i: usize) -> Duration {
    if mean.is_zero() {
        // No draw needed: every duration is zero.
        return Duration::ZERO;
    }
    let u = Draws::new(seed, i as u64, 0, Salt::Flat).unit();
    // `Duration::mul_f64`, saturating instead of panicking.
    Duration::try_from_secs_f64((0.5 + u) * mean.as_secs_f64()).unwrap_or(Duration::MAX)
}

/// The makespan of `durations` list-scheduled in order on `slots` slots with zero
/// overhead: each job starts, in submission order, at the earliest time a slot is
/// free. The lower bound a bounded pool of `slots` workers can reach.
///
/// A `slots` of 0 is treated as 1.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tracepool::sim::ideal_makespan;
///
/// let ms = Duration::from_millis;
/// // Slot A runs 3; slot B runs 2, then 1 (until 3); the last job of 2 starts at 3.
/// assert_eq!(ideal_makespan([ms(3), ms(2), ms(1), ms(2)], 2), ms(5));
/// // Submission order matters: longest first finishes at 4.
/// assert_eq!(ideal_makespan([ms(3), ms(2), ms(2), ms(1)], 2), ms(4));
/// ```
pub fn ideal_makespan(durations: impl IntoIterator<Item = Duration>, slots: usize) -> Duration {
    let slots = slots.max(1);
    // Free times of the slots in use; a slot not yet used is free at zero.
    let mut free: BinaryHeap<Reverse<Duration>> = BinaryHeap::new();
    let mut makespan = Duration::ZERO;
    for d in durations {
        if d.is_zero() {
            // It would take the earliest free slot and free it again at once: no
            // slot's free time changes, and it ends no later than the makespan so far.
            // A run of no-op jobs costs no heap operation.
            continue;
        }
        let start = if free.len() < slots {
            Duration::ZERO
        } else {
            free.pop().map_or(Duration::ZERO, |Reverse(t)| t)
        };
        let end = start.saturating_add(d);
        makespan = makespan.max(end);
        free.push(Reverse(end));
    }
    makespan
}

/// `N` independent traces, one plugin, no children: each call sleeps its job's
/// nominal duration ([`flat_job_duration`]) and returns nothing.
///
/// To measure a pool without traces, build `N` sleeping jobs from
/// [`duration`](FlatWorkload::duration) directly.
#[derive(Debug, Clone)]
pub struct FlatWorkload {
    jobs: usize,
    mean: Duration,
    seed: u64,
    stats: Arc<SleepStats>,
}

impl FlatWorkload {
    /// `jobs` jobs of mean duration `mean`, with [`FLAT_DEFAULT_SEED`].
    pub fn new(jobs: usize, mean: Duration) -> Self {
        FlatWorkload {
            jobs,
            mean,
            seed: FLAT_DEFAULT_SEED,
            stats: Arc::new(SleepStats::new()),
        }
    }

    /// The same jobs count and mean with another seed.
    #[must_use]
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The number of jobs.
    pub fn jobs(&self) -> usize {
        self.jobs
    }

    /// The mean duration.
    pub fn mean(&self) -> Duration {
        self.mean
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The nominal duration of job `i`.
    pub fn duration(&self, i: usize) -> Duration {
        flat_job_duration(self.seed, self.mean, i)
    }

    /// All nominal durations, in job order.
    pub fn durations(&self) -> impl Iterator<Item = Duration> + '_ {
        (0..self.jobs).map(|i| self.duration(i))
    }

    /// The sum of all nominal durations (`Duration::MAX` when it is past what a
    /// `Duration` holds).
    pub fn total_duration(&self) -> Duration {
        self.durations()
            .fold(Duration::ZERO, Duration::saturating_add)
    }

    /// [`ideal_makespan`] of the jobs on `slots` slots.
    pub fn ideal_makespan(&self, slots: usize) -> Duration {
        ideal_makespan(self.durations(), slots)
    }

    /// The traces of the jobs, one per job (`url:https://jobs.example/job/<i>`).
    pub fn seeds(&self) -> Vec<Trace> {
        (0..self.jobs).map(job_trace).collect()
    }

    /// The sleep-accuracy totals the flat plugin records into.
    pub fn sleep_stats(&self) -> &Arc<SleepStats> {
        &self.stats
    }

    /// A registry with the one flat plugin, sleeping with `timer`.
    pub fn registry(&self, timer: Arc<dyn Timer>) -> Registry {
        let mut registry = Registry::new();
        registry.register(FlatPlugin {
            workload: self.clone(),
            timer,
        });
        registry
    }

    /// The same plugin as [`registry`](FlatWorkload::registry), sleeping with a
    /// [`LocalTimer`] (such as the browser's), for a
    /// [`LocalCrawler`](crate::crawl::LocalCrawler).
    pub fn local_registry(&self, timer: Rc<dyn LocalTimer>) -> LocalRegistry {
        let mut registry = LocalRegistry::new();
        registry.register(FlatPlugin {
            workload: self.clone(),
            timer,
        });
        registry
    }
}

fn job_trace(i: usize) -> Trace {
    Trace::new(TraceKind::Url, format!("{JOB_URL_PREFIX}{i}"))
}

/// The flat plugin, sleeping on a sendable (`Arc`) or local (`Rc`) timer.
struct FlatPlugin<T> {
    workload: FlatWorkload,
    timer: T,
}

const FLAT_PLUGIN: &str = "flat/sleep";

type CallResult = Result<Vec<Trace>, PluginError>;

impl<T: SharedTimer> FlatPlugin<T> {
    /// The call on `trace`: at once when it is not a flat job, else the sleeping future.
    fn call(
        &self,
        trace: &Trace,
    ) -> Result<impl Future<Output = CallResult> + use<T>, PluginError> {
        let index = trace
            .value()
            .strip_prefix(JOB_URL_PREFIX)
            .and_then(|i| i.parse::<usize>().ok())
            .filter(|&i| i < self.workload.jobs);
        let Some(index) = index else {
            return Err(PluginError::new(
                PluginErrorKind::Invalid,
                format!("{trace} is not a flat job"),
            ));
        };
        let latency = self.workload.duration(index);
        let stats = Arc::clone(&self.workload.stats);
        let timer = self.timer.clone();
        Ok(async move {
            wait_and_work(&timer, &stats, latency, Duration::ZERO).await;
            Ok(Vec::new())
        })
    }
}

impl Plugin for FlatPlugin<Arc<dyn Timer>> {
    fn name(&self) -> &str {
        FLAT_PLUGIN
    }

    fn accepts(&self) -> TraceKind {
        TraceKind::Url
    }

    fn follow(&self, trace: &Trace) -> BoxFuture<'static, CallResult> {
        match self.call(trace) {
            Ok(call) => call.boxed(),
            Err(error) => future::ready(Err(error)).boxed(),
        }
    }
}

impl LocalPlugin for FlatPlugin<Rc<dyn LocalTimer>> {
    fn name(&self) -> &str {
        FLAT_PLUGIN
    }

    fn accepts(&self) -> TraceKind {
        TraceKind::Url
    }

    fn follow(&self, trace: &Trace) -> LocalBoxFuture<'static, CallResult> {
        match self.call(trace) {
            Ok(call) => call.boxed_local(),
            Err(error) => future::ready(Err(error)).boxed_local(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_stay_in_range() {
        let flat = FlatWorkload::new(10_000, Duration::from_millis(10));
        for d in flat.durations() {
            assert!(d >= Duration::from_millis(5) && d < Duration::from_millis(15));
        }
        let mean = flat.total_duration().as_secs_f64() / 10_000.0;
        assert!((mean - 0.010).abs() < 0.0002, "mean {mean}");
    }
}
