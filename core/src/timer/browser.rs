//! The browser's timer: `setTimeout`, through `gloo-timers`.

//!
//! The module is also compiled by native unit tests, for the arithmetic of the delays.

use std::time::Duration;

#[cfg(all(feature = "browser", target_arch = "wasm32"))]
use {
    super::{LocalSleep, LocalTimer},
    gloo_timers::future::TimeoutFuture,
    web_time::Instant,
};

/// The longest delay `setTimeout` takes: a longer one overflows to 0 and fires at once.
const MAX_TIMEOUT_MS: u32 = i32::MAX as u32;

/// A [`LocalTimer`] on the browser's `setTimeout` (through `gloo-timers`), for pools
/// and crawls on the page's event loop.
///
/// Its sleeps hold JavaScript callbacks and are not `Send`: use it where a local timer
/// goes, e.g. [`PoolBuilder::local_timer`](crate::PoolBuilder::local_timer),
/// [`LocalCrawlConfig`](crate::crawl::LocalCrawlConfig)'s `timer` or
/// [`SimWorkload::local_registry`](crate::SimWorkload::local_registry). Available with
/// the `browser` feature, on `wasm32` only.
///
/// A sleep never ends early: `setTimeout` counts whole milliseconds, so the delay is
/// rounded up, and a timeout that fires before the deadline by the page's clock
/// (`performance.now()`) is followed by another for the rest. A delay beyond
/// `setTimeout`'s range (2^31 - 1 ms, about 24.8 days) is split. How late a sleep ends
/// is up to the browser: nested timeouts are clamped to at least 4 ms, and a background
/// tab may run its timers once a second or less. A zero duration ends at once, without
/// a timeout.
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
/// use tracepool::timer::BrowserTimer;
/// use tracepool::Pool;
///
/// let (pool, driver) = Pool::builder()
///     .max_concurrency(4)
///     .timeout(Duration::from_secs(10))
///     .local_timer(BrowserTimer)
///     .build::<futures::future::LocalBoxFuture<'static, Result<(), ()>>>()?;
/// // Poll `driver` from a task of the page, e.g. with `wasm_bindgen_futures::spawn_local`.
/// # drop((pool, driver));
/// # Ok::<(), tracepool::BuildError>(())
/// ```
#[cfg(all(feature = "browser", target_arch = "wasm32"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "browser", target_arch = "wasm32"))))]
#[derive(Debug, Default, Clone, Copy)]
pub struct BrowserTimer;

#[cfg(all(feature = "browser", target_arch = "wasm32"))]
impl LocalTimer for BrowserTimer {
    fn sleep(&self, duration: Duration) -> LocalSleep {
        // The deadline counts from the call, not from the first poll.
        let deadline = Instant::now().checked_add(duration);
        Box::pin(async move {
            if duration.is_zero() {
                return;
            }
            let Some(deadline) = deadline else {
                // Past the clock's range: it never comes.
                return std::future::pending().await;
            };
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return;
                }
                TimeoutFuture::new(timeout_ms(left)).await;
            }
        })
    }
}

/// The `setTimeout` delay for `left`: whole milliseconds rounded up, at least 1, at
/// most what `setTimeout` takes.
fn timeout_ms(left: Duration) -> u32 {
    let ms = left.as_nanos().div_ceil(1_000_000);
    u32::try_from(ms)
        .unwrap_or(u32::MAX)
        .clamp(1, MAX_TIMEOUT_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_round_up_within_set_timeout_range() {
        assert_eq!(timeout_ms(Duration::from_nanos(1)), 1);
        assert_eq!(timeout_ms(Duration::from_micros(1_001)), 2);
        assert_eq!(timeout_ms(Duration::from_millis(7)), 7);
        assert_eq!(timeout_ms(Duration::from_secs(40 * 86_400)), MAX_TIMEOUT_MS);
    }
}
