//! Every model of the crawl engine runs its calls under the pool's guard: a panic in
//! a plugin future's drop never escapes the crawl (the call ends `Panicked` if it had
//! a result, `TimedOut` or `Cancelled` as it was otherwise), and a timeout counts
//! from the call's start, not from the end of its first poll.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use tracepool::crawl::{Canceller, CrawlConfig, CrawlReport, Crawler, Model};
use tracepool::plugin::{Plugin, PluginError, Registry};
use tracepool::sim::quiet_simulated_panics;
use tracepool::timer::{Sleep, Timer};
use tracepool::{Trace, TraceKind};

/// How this file's deliberate panics start: the shared hook keeps them quiet.
const DELIBERATE: &str = tracepool::sim::SIMULATED_PANIC;

/// async-io's timer, its deadline taken when the sleep is first polled (as an
/// `async` block does): the engine must poll it before the call.
#[derive(Debug)]
struct LazyTimer;

impl Timer for LazyTimer {
    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(async move {
            async_io::Timer::after(duration).await;
        })
    }
}

struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("{DELIBERATE}: dropping a plugin's future");
    }
}

/// How the plugin's one call behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    /// Finds nothing at once; its future panics when dropped.
    DoneThenPanicOnDrop,
    /// Never ends; its future panics when dropped.
    HangThenPanicOnDrop,
    /// Spins 150 ms in its first poll, then yields forever; counts its polls.
    BusyFirstPoll,
}

/// Yields once (waking itself).
struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

struct Probe {
    call: Call,
    polls: Arc<AtomicU64>,
    /// Set for a crawl to cancel from inside its call, once it runs.
    cancel: Arc<OnceLock<Canceller>>,
}

impl Plugin for Probe {
    fn name(&self) -> &str {
        "probe"
    }

    fn accepts(&self) -> TraceKind {
        TraceKind::Email
    }

    fn follow(&self, _: &Trace) -> BoxFuture<'static, Result<Vec<Trace>, PluginError>> {
        let (call, polls, cancel) = (self.call, Arc::clone(&self.polls), Arc::clone(&self.cancel));
        Box::pin(async move {
            if let Some(cancel) = cancel.get() {
                cancel.cancel();
            }
            match call {
                Call::DoneThenPanicOnDrop => {
                    let _bomb = PanicOnDrop;
                    Ok(Vec::new())
                }
                Call::HangThenPanicOnDrop => {
                    let _bomb = PanicOnDrop;
                    futures::future::pending().await
                }
                Call::BusyFirstPoll => loop {
                    let first = polls.fetch_add(1, Ordering::SeqCst) == 0;
                    let spin = if first { 150 } else { 1 };
                    let start = Instant::now();
                    while start.elapsed() < Duration::from_millis(spin) {
                        std::hint::spin_loop();
                    }
                    YieldNow(false).await;
                },
            }
        })
    }
}

/// Crawls from one email with the one probe plugin; `cancel_on_start` cancels the
/// crawl from inside the call, in its first poll. Returns the report and how often the call was
/// polled.
fn crawl(
    model: Model,
    call: Call,
    timeout: Option<u64>,
    cancel_on_start: bool,
) -> (CrawlReport, u64) {
    let polls = Arc::new(AtomicU64::new(0));
    let cancel = Arc::new(OnceLock::new());
    let mut registry = Registry::new();
    registry.register(Probe {
        call,
        polls: Arc::clone(&polls),
        cancel: Arc::clone(&cancel),
    });
    let config = CrawlConfig {
        model,
        max_concurrency: 2,
        timeout: timeout.map(Duration::from_millis),
        timer: timeout.map(|_| Arc::new(LazyTimer) as Arc<dyn Timer>),
        ..CrawlConfig::default()
    };
    let crawler = Crawler::new(registry, config).expect("valid config");
    if cancel_on_start {
        let _ = cancel.set(crawler.canceller());
    }
    let seed = Trace::new(TraceKind::Email, "a@example.com");
    let report = async_io::block_on(crawler.run([seed], |_| {}));
    (report, polls.load(Ordering::SeqCst))
}

const MODELS: [Model; 3] = [Model::Pool, Model::Previous, Model::Unbounded];

#[test]
fn a_panic_in_the_drop_of_a_finished_call_is_its_outcome() {
    quiet_simulated_panics();
    for model in MODELS {
        let (report, _) = crawl(model, Call::DoneThenPanicOnDrop, None, false);
        assert_eq!(
            (
                report.jobs,
                report.outcomes.panicked,
                report.outcomes.completed
            ),
            (1, 1, 0),
            "{model:?}"
        );
        assert_eq!(report.lost, 0, "{model:?}");
    }
}

#[test]
fn a_panic_in_the_drop_of_a_timed_out_call_is_caught() {
    quiet_simulated_panics();
    for model in MODELS {
        let (report, _) = crawl(model, Call::HangThenPanicOnDrop, Some(20), false);
        assert_eq!(
            (report.jobs, report.outcomes.timed_out),
            (1, 1),
            "{model:?}"
        );
        assert_eq!(report.lost, 0, "{model:?}");
    }
}

#[test]
fn a_panic_in_the_drop_of_a_cancelled_call_is_caught() {
    quiet_simulated_panics();
    for model in MODELS {
        let (report, _) = crawl(model, Call::HangThenPanicOnDrop, None, true);
        assert!(report.was_cancelled, "{model:?}");
        assert_eq!(
            (report.jobs, report.outcomes.cancelled),
            (1, 1),
            "{model:?}"
        );
        assert_eq!(report.lost, 0, "{model:?}");
    }
}

/// 150 ms of CPU in the call's first poll under a 50 ms timeout: the call times out
/// right after that poll (polled once), not 50 ms after it.
#[test]
fn a_timeout_counts_from_the_calls_start() {
    for model in MODELS {
        let (report, polls) = crawl(model, Call::BusyFirstPoll, Some(50), false);
        assert_eq!(
            (report.jobs, report.outcomes.timed_out),
            (1, 1),
            "{model:?}"
        );
        assert_eq!(
            polls, 1,
            "{model:?}: the deadline was taken after the first poll"
        );
    }
}
