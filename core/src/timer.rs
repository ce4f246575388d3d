//! The sleep abstraction shared by the pool (job timeouts) and the simulated workload.
//!
//! tracepool never depends on one async runtime: whatever needs to wait for a duration
//! goes through a timer, injected by the user. Natively the `async-io` feature gives
//! `AsyncIoTimer`, `FinishingTimer` and `HeapTimer` (thousands of concurrent sleeps on
//! one OS timer per thread); in the browser the `browser` feature gives `BrowserTimer`,
//! on `setTimeout`.
//!
//! # Choosing a native timer
//!
//! - `AsyncIoTimer`: one reactor timer per sleep. The thread sleeps until the deadline
//!   and ends the sleep as late as the machine wakes an idle thread (tens of µs on a
//!   virtual machine). The least CPU.
//! - `FinishingTimer`: the same, each sleep woken early and yielding until its
//!   deadline: within a few µs while few sleep at once on a machine with a core to
//!   spare. With thousands of sleeps, hundreds yield at once; on a busy machine a
//!   yielding thread loses its core for milliseconds.
//! - `HeapTimer`: each thread's deadlines in a heap on one reactor timer, only the
//!   nearest sleep finishing by yielding, and only while that measurably ends sleeps
//!   sooner. The one for thousands of concurrent sleeps, and for a busy machine.
//! - tokio's `time::sleep` rounds up to whole milliseconds (about 1 ms late), and a
//!   task that drives thousands of futures must opt out of tokio's cooperative budget
//!   (`tokio::task::unconstrained`); `futures-timer` wakes sleeps from a thread of its
//!   own.
//!
//! # Sendable and local timers
//!
//! A timer comes in two flavours, as futures do (`BoxFuture` and `LocalBoxFuture`) and
//! spawners do (`Spawn` and `LocalSpawn`):
//!
//! - [`Timer`] is `Send + Sync` and its sleeps are `Send` ([`Sleep`]). A multi-thread
//!   runtime needs it: [`PoolBuilder::build_spawned`](crate::PoolBuilder::build_spawned)
//!   moves each job, deadline included, to the worker that runs it, and a crawl spawned
//!   with `tokio::spawn` must be `Send`, timer and all. `tokio::time::sleep`,
//!   `async_io::Timer` and `futures-timer` fit.
//! - [`LocalTimer`] asks nothing of the sort: its sleeps ([`LocalSleep`]) may hold an
//!   `Rc` or a JavaScript callback. The browser's `setTimeout`, a virtual clock in an
//!   `Rc<RefCell<_>>`, the timer of a single-threaded executor fit.
//!
//! Every [`Timer`] is a [`LocalTimer`] (a blanket implementation), so whatever takes a
//! local timer takes both. The pool and the crawl engine hold their timer as a
//! [`SharedTimer`]: an `Arc<dyn Timer>` or an `Rc<dyn LocalTimer>`. They are written
//! once, generic over it, so their futures stay `Send` whenever the timer (and the
//! jobs or plugins) are, and become local only when something in them is. The cost is
//! one type parameter on [`PoolBuilder`](crate::PoolBuilder),
//! [`Driver`](crate::Driver) and [`CrawlConfig`](crate::crawl::CrawlConfig),
//! defaulted to the sendable flavour, so code written for it keeps its types.
//!
//! The same split runs through the plugins ([`Plugin`](crate::Plugin) and
//! [`LocalPlugin`](crate::plugin::LocalPlugin)) and the crawler
//! ([`Crawler`](crate::crawl::Crawler) and [`LocalCrawler`](crate::crawl::LocalCrawler)).
//! It is the pattern of the `trait-variant` crate: one trait, and a variant of it whose
//! futures are `Send`. The alternatives were weighed and set aside:
//!
//! - A `MaybeSend` bound that means `Send` natively and nothing on `wasm32`: the same
//!   code would have different bounds on each target (a plugin written for the browser
//!   would not compile natively, a native single-threaded executor would still need a
//!   local variant, and `wasm32` with threads exists).
//! - One set of traits generic over a "sendness" parameter: every user would name the
//!   parameter, and defaults of type parameters do not guide inference in expressions,
//!   so `Registry::new()` or `Crawler::new(..)` would need annotations.
//! - Dropping `Send` altogether: no crawl or spawned pool on a multi-thread runtime.
//!
//! When both traits are in scope, a concrete timer's `sleep` is ambiguous: call
//! `Timer::sleep(&timer, d)` (or `LocalTimer::sleep`). Through `dyn Timer`,
//! `Arc<dyn Timer>` or `Rc<dyn LocalTimer>` it is not.
//!
//! # Examples
//!
//! A local timer: its sleeps hold an `Rc` (here a count of sleeps), so they are not
//! `Send`.
//!
//! ```
//! use std::cell::Cell;
//! use std::rc::Rc;
//! use std::time::Duration;
//! use tracepool::timer::{LocalSleep, LocalTimer};
//!
//! /// Ends every sleep at once, and counts them.
//! #[derive(Debug, Default)]
//! struct Counting(Rc<Cell<u32>>);
//!
//! impl LocalTimer for Counting {
//!     fn sleep(&self, _: Duration) -> LocalSleep {
//!         let count = Rc::clone(&self.0);
//!         Box::pin(async move { count.set(count.get() + 1) })
//!     }
//! }
//!
//! let counting = Counting::default();
//! let sleeps = Rc::clone(&counting.0);
//! let timer: Rc<dyn LocalTimer> = Rc::new(counting);
//! futures::executor::block_on(timer.sleep(Duration::from_millis(5)));
//! assert_eq!(sleeps.get(), 1);
//! ```

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

#[cfg(any(test, all(feature = "browser", target_arch = "wasm32")))]
mod browser;

#[cfg(all(feature = "browser", target_arch = "wasm32"))]
pub use browser::BrowserTimer;

#[cfg(all(feature = "async-io", not(target_arch = "wasm32")))]
mod heap;

#[cfg(all(feature = "async-io", not(target_arch = "wasm32")))]
pub use heap::{HeapSleep, HeapTimer};

/// A boxed sleep future that is `Send`, as returned by [`Timer::sleep`].
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A boxed sleep future that need not be `Send`, as returned by [`LocalTimer::sleep`].
pub type LocalSleep = Pin<Box<dyn Future<Output = ()> + 'static>>;

/// Something that can sleep for a duration without blocking a thread, shareable
/// between threads, with sleeps that are `Send`.
///
/// Implement it for the timer of your runtime (`tokio::time::sleep`, `async_io::Timer`,
/// ...). The future must complete no earlier than `duration` after the call; how much
/// later is the timer's accuracy, which benchmarks report. A timer whose sleeps cannot
/// be `Send` (the browser's `setTimeout`) implements [`LocalTimer`] instead.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tracepool::timer::{Sleep, Timer};
///
/// /// Sleeps on async-io's reactor.
/// #[derive(Debug)]
/// struct Reactor;
///
/// impl Timer for Reactor {
///     fn sleep(&self, duration: Duration) -> Sleep {
///         Box::pin(async move {
///             async_io::Timer::after(duration).await;
///         })
///     }
/// }
/// ```
pub trait Timer: Debug + Send + Sync + 'static {
    /// Returns a future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> Sleep;
}

/// Something that can sleep for a duration without blocking a thread, on one thread:
/// neither the timer nor its sleeps need be `Send`.
///
/// For single-threaded executors and the browser. Every [`Timer`] is a `LocalTimer`
/// too. The future must complete no earlier than `duration` after the call.
pub trait LocalTimer: Debug + 'static {
    /// Returns a future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> LocalSleep;
}

impl<T: Timer + ?Sized> LocalTimer for T {
    fn sleep(&self, duration: Duration) -> LocalSleep {
        Timer::sleep(self, duration)
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for std::sync::Arc<dyn super::Timer + '_> {}
    impl Sealed for std::rc::Rc<dyn super::LocalTimer + '_> {}
}

/// A timer as the pool and the crawl engine hold it: an `Arc<dyn Timer>` (its sleeps
/// are `Send`) or an `Rc<dyn LocalTimer>` (they need not be).
///
/// Sealed: it only exists so that the pool and the crawl engine can be generic over
/// the two, and be `Send` exactly when the timer is.
// Implemented for every lifetime of the trait object, and without a `'static` bound:
// the compiler checks whether a future holding one is `Send` with every lifetime
// erased, the trait object's included, and could not prove it `'static` there.
pub trait SharedTimer: sealed::Sealed + Clone + Debug {
    /// The sleep future: [`Sleep`] or [`LocalSleep`].
    type Sleep: Future<Output = ()> + Unpin + 'static;

    /// Returns a future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> Self::Sleep;
}

impl SharedTimer for Arc<dyn Timer + '_> {
    type Sleep = Sleep;

    fn sleep(&self, duration: Duration) -> Sleep {
        Timer::sleep(&**self, duration)
    }
}

impl SharedTimer for Rc<dyn LocalTimer + '_> {
    type Sleep = LocalSleep;

    fn sleep(&self, duration: Duration) -> LocalSleep {
        LocalTimer::sleep(&**self, duration)
    }
}

/// A precise native timer on async-io's reactor (timerfd on Linux).
///
/// Most precise when the pool's driver runs under `async_io::block_on` (or smol), where
/// the reactor and the polling happen on one thread.
#[cfg(all(feature = "async-io", not(target_arch = "wasm32")))]
#[derive(Debug, Default, Clone, Copy)]
pub struct AsyncIoTimer;

#[cfg(all(feature = "async-io", not(target_arch = "wasm32")))]
impl Timer for AsyncIoTimer {
    fn sleep(&self, duration: Duration) -> Sleep {
        // The deadline is taken now, not at the first poll.
        let timer = async_io::Timer::after(duration);
        Box::pin(async move {
            timer.await;
        })
    }
}

/// async-io's timer with a busy finish: it sleeps on the reactor until shortly before
/// the deadline, then yields to the executor until the deadline has passed.
///
/// A thread that sleeps in the kernel wakes up late, by the machine's idle wake-up
/// latency (on some virtual machines well over 100 µs even with a 1 ns timer slack).
/// This timer covers that lateness by waking early and spending the rest of the
/// interval yielding, which costs CPU: at most the margin per sleep. The margin
/// adapts to the lateness it observes: about twice its recent average, at most
/// [`MAX_MARGIN`](Self::MAX_MARGIN). Under load, when the thread seldom idles and
/// wakes up on time, the margin and its cost shrink.
///
/// Its yields only let the thread idle again when the executor checks its reactor
/// between polls, as `async_io::block_on` and smol do.
#[cfg(all(feature = "async-io", not(target_arch = "wasm32")))]
#[derive(Debug, Clone)]
pub struct FinishingTimer {
    /// Recent lateness of the reactor's wake-ups, in nanoseconds (moving average).
    lateness_ns: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

#[cfg(all(feature = "async-io", not(target_arch = "wasm32")))]
impl FinishingTimer {
    /// The largest margin it wakes up early by.
    pub const MAX_MARGIN: Duration = Duration::from_micros(500);

    /// A timer that has not observed any lateness yet (its first sleeps wake up
    /// [`MAX_MARGIN`](Self::MAX_MARGIN) early).
    pub fn new() -> Self {
        let lateness_ns = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(
            Self::MAX_MARGIN.as_nanos() as u64 / 2,
        ));
        FinishingTimer { lateness_ns }
    }

    /// How early the next sleep wakes up.
    pub fn margin(&self) -> Duration {
        let lateness = self.lateness_ns.load(std::sync::atomic::Ordering::Relaxed);
        Duration::from_nanos(lateness.saturating_mul(2)).min(Self::MAX_MARGIN)
    }

    fn observe(&self, late: Duration) {
        use std::sync::atomic::Ordering::Relaxed;
        let late = u64::try_from(late.as_nanos()).unwrap_or(u64::MAX);
        // A moving average over about 16 wake-ups; racing updates only lose one.
        let old = self.lateness_ns.load(Relaxed);
        let new = old - old / 16 + late / 16;
        self.lateness_ns.store(new, Relaxed);
    }
}

#[cfg(all(feature = "async-io", not(target_arch = "wasm32")))]
impl Default for FinishingTimer {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(all(feature = "async-io", not(target_arch = "wasm32")))]
impl Timer for FinishingTimer {
    fn sleep(&self, duration: Duration) -> Sleep {
        let this = self.clone();
        // The deadline is taken now, not at the first poll.
        let deadline = std::time::Instant::now().checked_add(duration);
        Box::pin(async move {
            let Some(deadline) = deadline else {
                // Past what the clock can tell: never.
                return futures::future::pending().await;
            };
            let margin = this.margin();
            if duration > margin {
                let wake = deadline - margin;
                async_io::Timer::at(wake).await;
                this.observe(std::time::Instant::now().saturating_duration_since(wake));
            }
            futures::future::poll_fn(|cx| {
                if std::time::Instant::now() >= deadline {
                    std::task::Poll::Ready(())
                } else {
                    cx.waker().wake_by_ref();
                    std::task::Poll::Pending
                }
            })
            .await;
        })
    }
}

#[cfg(all(test, feature = "async-io", not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    /// A sleep counts from the call, not from its first poll.
    #[test]
    fn sleeps_count_from_the_call() {
        for timer in [&FinishingTimer::new() as &dyn Timer, &AsyncIoTimer] {
            let mut sleep = timer.sleep(Duration::from_millis(30));
            std::thread::sleep(Duration::from_millis(30));
            let mut cx = std::task::Context::from_waker(futures::task::noop_waker_ref());
            assert!(sleep.as_mut().poll(&mut cx).is_ready(), "{timer:?}");
        }
    }

    /// A sleep past what `Instant` can hold never ends, and nothing overflows.
    #[test]
    fn sleeps_past_the_clocks_range_never_end() {
        let mut cx = std::task::Context::from_waker(futures::task::noop_waker_ref());
        for timer in [&FinishingTimer::new() as &dyn Timer, &AsyncIoTimer] {
            for duration in [Duration::MAX, Duration::from_secs(u64::MAX)] {
                let mut sleep = timer.sleep(duration);
                assert!(sleep.as_mut().poll(&mut cx).is_pending(), "{timer:?}");
                assert!(sleep.as_mut().poll(&mut cx).is_pending(), "{timer:?}");
            }
        }
    }

    /// Sleeps end no earlier than asked, whether shorter or longer than the margin,
    /// and the margin stays within its bound.
    #[test]
    fn finishing_timer_never_wakes_early() {
        let timer = FinishingTimer::new();
        async_io::block_on(async {
            for micros in [0, 50, 300, 800, 2_000, 5_000] {
                let duration = Duration::from_micros(micros);
                let start = std::time::Instant::now();
                Timer::sleep(&timer, duration).await;
                assert!(start.elapsed() >= duration, "{micros} µs");
                assert!(timer.margin() <= FinishingTimer::MAX_MARGIN);
            }
        });
    }
}
