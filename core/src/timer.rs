//! The sleep abstraction shared by the pool (job timeouts) and the simulated workload.
//!
//! tracepool never depends on one async runtime: whatever needs to wait for a duration
//! goes through a [`Timer`], injected by the user. Natively the `async-io` feature gives
//! `AsyncIoTimer`; in the browser a timer built on `setTimeout` fits.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// A boxed sleep future, as returned by [`Timer::sleep`].
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Something that can sleep for a duration without blocking a thread.
///
/// Implement it for the timer of your runtime (`tokio::time::sleep`, `async_io::Timer`,
/// `gloo_timers`, ...). The future must complete no earlier than `duration` after the
/// call; how much later is the timer's accuracy, which benchmarks report.
pub trait Timer: Debug + Send + Sync + 'static {
    /// Returns a future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> Sleep;
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
                timer.sleep(duration).await;
                assert!(start.elapsed() >= duration, "{micros} µs");
                assert!(timer.margin() <= FinishingTimer::MAX_MARGIN);
            }
        });
    }
}
