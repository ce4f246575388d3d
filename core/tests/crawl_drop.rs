//! Dropping the future of `Crawler::run` (and `LocalCrawler::run`) mid-crawl, under
//! every model and on every executor (polled by hand, `futures::executor`, tokio
//! current-thread and multi-thread, smol): no panic escapes, even from a plugin future whose `Drop`
//! panics; every call the crawl made is dropped (a guard counts the live ones); the
//! task's waker is not kept; the gauge shows nothing in flight or queued.

mod crawl_common;

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures::channel::oneshot;
use futures::future::{BoxFuture, FutureExt};
use futures::task::{ArcWake, SpawnExt};
use tracepool::crawl::{CrawlReport, Crawler, GaugeReader, LocalCrawlConfig, LocalCrawler, Model};
use tracepool::plugin::{LocalRegistry, Plugin, PluginError, Registry};
use tracepool::{Trace, TraceKind};

use crawl_common::{config, quiet_simulated_panics};

/// What the test plugins share: the calls alive, and the signal that the crawl is
/// under way.
#[derive(Debug)]
struct Calls {
    /// Plugin futures created and not dropped yet.
    live: AtomicUsize,
    /// Plugin futures created.
    created: AtomicUsize,
    /// Plugin futures dropped before their end.
    dropped_early: AtomicUsize,
    /// Whether a future dropped before its end panics in its `Drop`.
    panic_on_drop: bool,
    /// Fired at the first poll of the first call that never ends.
    hung: Mutex<Option<oneshot::Sender<()>>>,
}

/// One call of a test plugin. It counts as live from its creation to its drop.
struct Call {
    calls: Arc<Calls>,
    n: u64,
    /// `None`: never ends (and never wakes its task).
    children: Option<Vec<u64>>,
    yields: u32,
    ended: bool,
}

impl Call {
    fn new(calls: &Arc<Calls>, n: u64, children: Option<Vec<u64>>, yields: u32) -> Self {
        calls.live.fetch_add(1, Relaxed);
        calls.created.fetch_add(1, Relaxed);
        Call {
            calls: Arc::clone(calls),
            n,
            children,
            yields,
            ended: false,
        }
    }
}

impl Future for Call {
    type Output = Result<Vec<Trace>, PluginError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        assert!(!self.ended, "call {} polled after its end", self.n);
        let Some(children) = &self.children else {
            if let Some(hung) = self.calls.hung.lock().unwrap().take() {
                let _ = hung.send(());
            }
            return Poll::Pending;
        };
        if self.yields > 0 {
            self.yields -= 1;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let found = children.iter().map(|&c| username(c)).collect();
        self.ended = true;
        Poll::Ready(Ok(found))
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        self.calls.live.fetch_sub(1, Relaxed);
        if self.ended {
            return;
        }
        self.calls.dropped_early.fetch_add(1, Relaxed);
        if self.calls.panic_on_drop && !std::thread::panicking() {
            panic!("simulated panic in the drop of call {}", self.n);
        }
    }
}

fn username(n: u64) -> Trace {
    Trace::new(TraceKind::Username, n.to_string())
}

/// `username:n` finds `2n + 1` and `2n + 2` after two yields: an endless crawl.
struct Grow(Arc<Calls>);

impl Plugin for Grow {
    fn name(&self) -> &str {
        "grow"
    }

    fn accepts(&self) -> TraceKind {
        TraceKind::Username
    }

    fn follow(&self, trace: &Trace) -> BoxFuture<'static, Result<Vec<Trace>, PluginError>> {
        let n: u64 = trace.value().parse().expect("a number");
        Call::new(&self.0, n, Some(vec![2 * n + 1, 2 * n + 2]), 2).boxed()
    }
}

/// On `username:n` with `n % 3 == 2` never ends; on the others finds nothing after a
/// yield.
struct Hang(Arc<Calls>);

impl Plugin for Hang {
    fn name(&self) -> &str {
        "hang"
    }

    fn accepts(&self) -> TraceKind {
        TraceKind::Username
    }

    fn follow(&self, trace: &Trace) -> BoxFuture<'static, Result<Vec<Trace>, PluginError>> {
        let n: u64 = trace.value().parse().expect("a number");
        let children = (n % 3 != 2).then(Vec::new);
        Call::new(&self.0, n, children, 1).boxed()
    }
}

/// What a crawl that never ends by itself leaves to check.
struct Setup {
    gauge: GaugeReader,
    calls: Arc<Calls>,
    ctx: String,
}

/// The test plugins' shared state, and the signal that a crawl is under way: a call
/// that never ends has started (every model gets there, whatever its `C`).
fn calls(panic_on_drop: bool) -> (Arc<Calls>, oneshot::Receiver<()>) {
    quiet_simulated_panics();
    let (tx, hung) = oneshot::channel();
    let calls = Arc::new(Calls {
        live: AtomicUsize::new(0),
        created: AtomicUsize::new(0),
        dropped_early: AtomicUsize::new(0),
        panic_on_drop,
        hung: Mutex::new(Some(tx)),
    });
    (calls, hung)
}

/// The crawler, what to check once its run is dropped, and the signal to drop it.
fn setup(
    model: Model,
    c: usize,
    panic_on_drop: bool,
) -> (Setup, Arc<Crawler>, oneshot::Receiver<()>) {
    let (calls, hung) = calls(panic_on_drop);
    let mut registry = Registry::new();
    registry.register(Grow(Arc::clone(&calls)));
    registry.register(Hang(Arc::clone(&calls)));
    let crawler = Arc::new(Crawler::new(registry, config(model, c)).unwrap());
    let setup = Setup {
        gauge: crawler.gauge(),
        calls,
        ctx: format!("{model} at C = {c}, panic on drop: {panic_on_drop}"),
    };
    (setup, crawler, hung)
}

/// [`setup`] with a [`LocalCrawler`].
fn local_setup(
    model: Model,
    c: usize,
    panic_on_drop: bool,
) -> (Setup, Rc<LocalCrawler>, oneshot::Receiver<()>) {
    let (calls, hung) = calls(panic_on_drop);
    let mut registry = LocalRegistry::new();
    registry.register(Grow(Arc::clone(&calls)));
    registry.register(Hang(Arc::clone(&calls)));
    let config = LocalCrawlConfig {
        model,
        max_concurrency: c,
        ..LocalCrawlConfig::default()
    };
    let crawler = Rc::new(LocalCrawler::new(registry, config).unwrap());
    let setup = Setup {
        gauge: crawler.gauge(),
        calls,
        ctx: format!("local, {model} at C = {c}, panic on drop: {panic_on_drop}"),
    };
    (setup, crawler, hung)
}

/// The run future, owning its crawler, as a task would hold it.
fn run(crawler: &Arc<Crawler>) -> impl Future<Output = CrawlReport> + Send + 'static {
    let crawler = Arc::clone(crawler);
    async move { crawler.run([username(0)], |_| {}).await }
}

/// Every case: each model, a small and a larger `C`, plugin futures whose `Drop`
/// panics or not.
fn cases() -> impl Iterator<Item = (Model, usize, bool)> {
    Model::ALL.into_iter().flat_map(|model| {
        [1, 4]
            .into_iter()
            .flat_map(move |c| [false, true].map(|panics| (model, c, panics)))
    })
}

/// Nothing of the crawl is left once its future is gone.
fn check_torn_down(setup: &Setup) {
    let ctx = &setup.ctx;
    assert!(
        setup.calls.created.load(Relaxed) >= 3,
        "{ctx}: crawl under way"
    );
    // At least the call that never ends was dropped before its end (and panicked).
    assert!(setup.calls.dropped_early.load(Relaxed) >= 1, "{ctx}");
    assert_eq!(
        setup.calls.live.load(Relaxed),
        0,
        "{ctx}: plugin futures still alive after the run future was dropped"
    );
    let gauge = setup.gauge.read();
    assert_eq!(gauge.in_flight, 0, "{ctx}: {gauge:?}");
    assert_eq!(gauge.queued, 0, "{ctx}: {gauge:?}");
}

/// A waker that does nothing; its `Arc` counts its clones.
struct Noop;

impl ArcWake for Noop {
    fn wake_by_ref(_: &Arc<Self>) {}
}

#[test]
fn dropped_while_polled_by_hand_keeps_no_waker() {
    for (model, c, panics) in cases() {
        let (setup, crawler, mut hung) = setup(model, c, panics);
        let ctx = &setup.ctx;
        let noop = Arc::new(Noop);
        let waker = futures::task::waker(Arc::clone(&noop));
        let mut cx = Context::from_waker(&waker);
        let mut run = Box::pin(run(&crawler));
        let mut polls = 0;
        loop {
            polls += 1;
            assert!(polls < 100_000, "{ctx}: no call hung");
            assert!(
                run.as_mut().poll(&mut cx).is_pending(),
                "{ctx}: crawl ended"
            );
            if hung.poll_unpin(&mut cx).is_ready() {
                break;
            }
        }
        let dropped = catch_unwind(AssertUnwindSafe(move || drop(run)));
        assert!(dropped.is_ok(), "{ctx}: dropping the run future panicked");
        check_torn_down(&setup);
        drop(hung);
        drop(waker);
        assert_eq!(
            Arc::strong_count(&noop),
            1,
            "{ctx}: the task's waker is kept after the run future was dropped"
        );
    }
}

#[test]
fn dropped_by_a_select_on_futures_block_on() {
    for (model, c, panics) in cases() {
        let (setup, crawler, hung) = setup(model, c, panics);
        let run = run(&crawler);
        let result = catch_unwind(AssertUnwindSafe(|| {
            futures::executor::block_on(async {
                futures::select! {
                    _ = run.fuse() => panic!("crawl ended"),
                    _ = hung.fuse() => {},
                }
            })
        }));
        assert!(result.is_ok(), "{}: a panic escaped", setup.ctx);
        check_torn_down(&setup);
    }
}

#[test]
fn dropped_with_its_remote_handle_on_a_local_pool() {
    for (model, c, panics) in cases() {
        let (setup, crawler, hung) = setup(model, c, panics);
        let mut pool = futures::executor::LocalPool::new();
        let handle = pool.spawner().spawn_with_handle(run(&crawler)).unwrap();
        let result = catch_unwind(AssertUnwindSafe(|| {
            pool.run_until(hung).unwrap();
            // Dropping the handle cancels the task: the pool drops its future.
            drop(handle);
            pool.run_until_stalled();
        }));
        assert!(result.is_ok(), "{}: a panic escaped the pool", setup.ctx);
        check_torn_down(&setup);
    }
}

fn tokio_current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

fn tokio_multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
}

#[test]
fn dropped_by_tokio_select_on_a_current_thread_runtime() {
    for (model, c, panics) in cases() {
        let (setup, crawler, hung) = setup(model, c, panics);
        let runtime = tokio_current_thread();
        let run = run(&crawler);
        let result = catch_unwind(AssertUnwindSafe(|| {
            runtime.block_on(async {
                tokio::select! {
                    _ = run => panic!("crawl ended"),
                    _ = hung => {},
                }
            })
        }));
        assert!(result.is_ok(), "{}: a panic escaped", setup.ctx);
        check_torn_down(&setup);
    }
}

/// Spawns the run, waits until it is under way, aborts it: the task ends cancelled
/// (a panic while dropping its future would make it end panicked).
fn spawn_and_abort(
    runtime: &tokio::runtime::Runtime,
    (setup, crawler, hung): (Setup, Arc<Crawler>, oneshot::Receiver<()>),
) {
    let ctx = &setup.ctx;
    let task = runtime.spawn(run(&crawler));
    runtime.block_on(hung).unwrap();
    task.abort();
    let error = runtime.block_on(task).expect_err("aborted");
    assert!(
        error.is_cancelled(),
        "{ctx}: the aborted task ended in {error}"
    );
    check_torn_down(&setup);
}

#[test]
fn aborted_on_a_tokio_current_thread_runtime() {
    for (model, c, panics) in cases() {
        spawn_and_abort(&tokio_current_thread(), setup(model, c, panics));
    }
}

#[test]
fn aborted_on_a_tokio_multi_thread_runtime() {
    let runtime = tokio_multi_thread();
    for (model, c, panics) in cases() {
        spawn_and_abort(&runtime, setup(model, c, panics));
    }
}

#[test]
fn dropped_with_its_tokio_multi_thread_runtime() {
    for (model, c, panics) in cases() {
        let (setup, crawler, hung) = setup(model, c, panics);
        let runtime = tokio_multi_thread();
        let _detached = runtime.spawn(run(&crawler));
        runtime.block_on(hung).unwrap();
        // Shutting the runtime down drops its tasks' futures, on its own threads.
        drop(runtime);
        check_torn_down(&setup);
    }
}

#[test]
fn cancelled_on_a_smol_executor() {
    for (model, c, panics) in cases() {
        let (setup, crawler, hung) = setup(model, c, panics);
        let executor = smol::Executor::new();
        let result = catch_unwind(AssertUnwindSafe(|| {
            smol::block_on(executor.run(async {
                let task = executor.spawn(run(&crawler));
                hung.await.unwrap();
                // `cancel` returns once the task's future is dropped.
                assert!(task.cancel().await.is_none(), "crawl ended");
            }))
        }));
        assert!(
            result.is_ok(),
            "{}: a panic escaped the executor",
            setup.ctx
        );
        check_torn_down(&setup);
    }
}

#[test]
fn dropped_with_its_smol_task() {
    for (model, c, panics) in cases() {
        let (setup, crawler, hung) = setup(model, c, panics);
        let executor = smol::Executor::new();
        let result = catch_unwind(AssertUnwindSafe(|| {
            let task = executor.spawn(run(&crawler));
            smol::block_on(executor.run(hung)).unwrap();
            drop(task);
            // The executor drops the cancelled task's future when it next runs it.
            while executor.try_tick() {}
        }));
        assert!(
            result.is_ok(),
            "{}: a panic escaped the executor",
            setup.ctx
        );
        drop(executor);
        check_torn_down(&setup);
    }
}

#[test]
fn a_local_crawl_dropped_while_polled_by_hand_keeps_no_waker() {
    for (model, c, panics) in cases() {
        let (setup, crawler, mut hung) = local_setup(model, c, panics);
        let ctx = &setup.ctx;
        let noop = Arc::new(Noop);
        let waker = futures::task::waker(Arc::clone(&noop));
        let mut cx = Context::from_waker(&waker);
        let mut run = Box::pin(crawler.run([username(0)], |_| {}));
        let mut polls = 0;
        loop {
            polls += 1;
            assert!(polls < 100_000, "{ctx}: no call hung");
            assert!(
                run.as_mut().poll(&mut cx).is_pending(),
                "{ctx}: crawl ended"
            );
            if hung.poll_unpin(&mut cx).is_ready() {
                break;
            }
        }
        let dropped = catch_unwind(AssertUnwindSafe(move || drop(run)));
        assert!(dropped.is_ok(), "{ctx}: dropping the run future panicked");
        check_torn_down(&setup);
        drop(hung);
        drop(waker);
        assert_eq!(Arc::strong_count(&noop), 1, "{ctx}: the waker is kept");
    }
}

#[test]
fn a_local_crawl_aborted_on_a_tokio_local_set() {
    for (model, c, panics) in cases() {
        let (setup, crawler, hung) = local_setup(model, c, panics);
        let ctx = &setup.ctx;
        let local = tokio::task::LocalSet::new();
        let task = local.spawn_local(async move { crawler.run([username(0)], |_| {}).await });
        let runtime = tokio_current_thread();
        local.block_on(&runtime, hung).unwrap();
        task.abort();
        let error = local.block_on(&runtime, task).expect_err("aborted");
        assert!(
            error.is_cancelled(),
            "{ctx}: the aborted task ended in {error}"
        );
        check_torn_down(&setup);
    }
}
