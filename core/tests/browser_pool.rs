//! The pool's behavioural suite in a real browser: headless Chromium through
//! `wasm-bindgen-test`, the page's event loop polling the driver, the browser's timer
//! ([`BrowserTimer`]) sleeping.
//!
//! `scripts/check` runs it: `cargo test -p tracepool --target wasm32-unknown-unknown
//! --features browser --test browser_pool` (the runner is set in `.cargo/config.toml`).
//!
//! Left out here, and why:
//! - the panic cases: on `wasm32-unknown-unknown` a panic aborts the whole module
//!   instead of unwinding, so a job's panic cannot be caught as `Outcome::Panicked`.
//!   `every_accepted_job_ends_exactly_once` runs without its panicking jobs;
//! - the spawned mode: `build_spawned` needs `Send` jobs, and jobs that sleep on the
//!   browser's timer are not.
#![cfg(target_arch = "wasm32")]

mod pool_common;

use std::rc::Rc;
use std::time::Duration;

use futures::StreamExt;
use futures::channel::oneshot;
use futures::future::LocalBoxFuture;
use pool_common::{Executor, MaybeSend, Mode, Task, TimerRef, suite};
use tracepool::timer::{BrowserTimer, LocalTimer};
use tracepool::{Outcome, Pool};
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};
use web_time::Instant;

wasm_bindgen_test_configure!(run_in_browser);

/// The page's event loop: tasks through `spawn_local`, sleeps through `setTimeout`.
struct Browser;

impl Executor for Browser {
    fn spawn<T: MaybeSend + 'static>(
        &self,
        fut: impl Future<Output = T> + MaybeSend + 'static,
    ) -> Task<T> {
        let (tx, rx) = oneshot::channel();
        wasm_bindgen_futures::spawn_local(async move {
            let _ = tx.send(fut.await);
        });
        Box::pin(async move { rx.await.expect("a spawned task runs to its end") })
    }

    fn timer(&self) -> TimerRef {
        Rc::new(BrowserTimer)
    }
}

/// One `#[wasm_bindgen_test]` per function of the suite, inline mode.
macro_rules! browser_suite {
    ($($name:ident),+ $(,)?) => {
        $(
            #[wasm_bindgen_test]
            async fn $name() {
                suite::$name(&Browser, Mode::Inline).await;
            }
        )+
    };
}

browser_suite!(
    bound_is_never_exceeded,
    every_accepted_job_ends_exactly_once_without_panics,
    handle_outcomes_go_to_handles_only,
    cancel_queued_job_never_starts,
    cancel_running_job_drops_it,
    cancel_after_end_keeps_the_outcome,
    run_drives_jobs_with_handles,
    dropping_every_pool_closes_it,
    stream_is_fused_after_its_end,
    ids_increase_in_submission_order,
    gauge_reports_queue_and_in_flight,
);

/// These tests run in a page (a `document` exists), not in Node.js or a worker; the
/// user agent names the browser in the test output.
#[wasm_bindgen_test]
fn runs_in_a_browser_page() {
    use js_sys::Reflect;
    let global = js_sys::global();
    let document = Reflect::get(&global, &"document".into()).expect("a global property");
    assert!(document.is_object(), "no document: not a page");
    let navigator = Reflect::get(&global, &"navigator".into()).expect("a global property");
    let agent = Reflect::get(&navigator, &"userAgent".into()).expect("a property");
    console_log!("user agent: {}", agent.as_string().unwrap_or_default());
}

/// The browser's timer never ends a sleep early, by the page's own clock.
#[wasm_bindgen_test]
async fn browser_timer_never_ends_early() {
    for micros in [0, 1, 500, 1_000, 2_500, 12_000] {
        let duration = Duration::from_micros(micros);
        let start = Instant::now();
        BrowserTimer.sleep(duration).await;
        assert!(start.elapsed() >= duration, "{micros} µs");
    }
}

/// A job that never ends is dropped at the pool's timeout, enforced by the browser's
/// timer; the job queued behind it then runs in the freed slot.
#[wasm_bindgen_test]
async fn browser_timer_enforces_the_pool_timeout() {
    type LocalJob = LocalBoxFuture<'static, Result<u32, ()>>;
    let (pool, driver) = Pool::builder()
        .max_concurrency(1)
        .timeout(Duration::from_millis(20))
        .local_timer(BrowserTimer)
        .build::<LocalJob>()
        .expect("valid configuration");
    // Jobs holding an `Rc`: not `Send`, as the browser's futures are not.
    let value = Rc::new(5);
    pool.try_submit(Box::pin(futures::future::pending()))
        .expect("room in the queue");
    pool.try_submit(Box::pin(async move { Ok(*value) }))
        .expect("room in the queue");
    pool.close();
    let outcomes: Vec<_> = driver.map(|c| c.outcome).collect().await;
    assert_eq!(outcomes, [Outcome::TimedOut, Outcome::Completed(5)]);
    let metrics = pool.metrics();
    assert_eq!(
        (metrics.outcomes.timed_out, metrics.outcomes.completed),
        (1, 1)
    );
}
