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
        Box::pin(async move {
            async_io::Timer::after(duration).await;
        })
    }
}
