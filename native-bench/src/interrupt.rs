//! Stopping runs on request, e.g. from a Ctrl-C handler: a flag, and the canceller of
//! the crawl running now.
//!
//! [`Interrupt::request`] sets the flag and cancels the crawl that
//! [`run`](crate::runner::run) is driving, through the crawler's
//! [`Canceller`]: the crawl stops scheduling, every accepted call ends in one outcome
//! (the running ones `cancelled`), and the run returns its partial record with
//! [`CrawlReport::was_cancelled`](tracepool::crawl::CrawlReport::was_cancelled) set. A
//! run that starts after the request is cancelled as it starts.
//!
//! An [`Interrupt`] can be a `static`, for a signal handler to reach it.
//!
//! # Examples
//!
//! ```
//! use tracepool_bench::interrupt::Interrupt;
//! use tracepool_bench::runner::{self, RunSpec};
//!
//! static INTERRUPT: Interrupt = Interrupt::new();
//!
//! // e.g. in a Ctrl-C handler:
//! assert!(INTERRUPT.request());
//! assert!(!INTERRUPT.request(), "the second request is not the first");
//!
//! let spec = RunSpec { traces: 100, ..RunSpec::default() };
//! let output = runner::run(&spec, None, |_| {}, &INTERRUPT)?;
//! assert!(output.was_cancelled);
//! let crawl = output.crawl.expect("a crawl run has its report");
//! assert_eq!(output.record.jobs, crawl.outcomes.finished());
//! # Ok::<(), tracepool_bench::runner::RunError>(())
//! ```

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use tracepool::crawl::Canceller;

/// What stops the run in progress.
type Cancel = Box<dyn Fn() + Send>;

/// A request to stop, shared by whoever asks (a signal handler) and the runs it stops.
#[derive(Default)]
pub struct Interrupt {
    requested: AtomicBool,
    running: Mutex<Option<Cancel>>,
    holds: AtomicUsize,
}

impl fmt::Debug for Interrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interrupt")
            .field("requested", &self.is_requested())
            .field("watching", &self.running().is_some())
            .field("holds", &self.holds.load(Ordering::SeqCst))
            .finish()
    }
}

impl Interrupt {
    /// No stop requested yet.
    pub const fn new() -> Self {
        Interrupt {
            requested: AtomicBool::new(false),
            running: Mutex::new(None),
            holds: AtomicUsize::new(0),
        }
    }

    /// Requests the stop: cancels the crawl running now, and every crawl started later.
    ///
    /// Returns whether this is the first request.
    pub fn request(&self) -> bool {
        let first = !self.requested.swap(true, Ordering::SeqCst);
        if let Some(cancel) = self.running().as_ref() {
            cancel();
        }
        first
    }

    /// Whether a stop was requested.
    pub fn is_requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }

    /// Cancels `canceller`'s crawl when a stop is requested (at once if one was), until
    /// the returned guard is dropped.
    pub fn watch(&self, canceller: Canceller) -> Watch<'_> {
        self.watch_with(move || canceller.cancel())
    }

    /// Calls `cancel` when a stop is requested (at once if one was), until the
    /// returned guard is dropped: the same as [`watch`](Self::watch) for a run that is
    /// not a crawl (the flat workload's pool).
    pub fn watch_with(&self, cancel: impl Fn() + Send + 'static) -> Watch<'_> {
        *self.running() = Some(Box::new(cancel));
        // A request that came before the canceller was in place still cancels it.
        if self.is_requested()
            && let Some(cancel) = self.running().as_ref()
        {
            cancel();
        }
        Watch(self)
    }

    /// Marks a step that must not be cut short by a process exit (e.g. renaming a
    /// report into place), until the returned guard is dropped. A handler that would
    /// end the process at once checks [`is_held`](Self::is_held) first.
    pub fn hold(&self) -> Hold<'_> {
        self.holds.fetch_add(1, Ordering::SeqCst);
        Hold(self)
    }

    /// Whether a [`hold`](Self::hold) guard is alive.
    pub fn is_held(&self) -> bool {
        self.holds.load(Ordering::SeqCst) > 0
    }

    fn running(&self) -> MutexGuard<'_, Option<Cancel>> {
        // A panic while holding the lock leaves nothing half-done: the value is an
        // `Option` set or cleared whole.
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Keeps a crawl's canceller registered with an [`Interrupt`]; see
/// [`Interrupt::watch`].
#[derive(Debug)]
#[must_use = "the crawl is no longer watched once the guard is dropped"]
pub struct Watch<'a>(&'a Interrupt);

impl Drop for Watch<'_> {
    fn drop(&mut self) {
        *self.0.running() = None;
    }
}

/// A step that must not be cut short; see [`Interrupt::hold`].
#[derive(Debug)]
#[must_use = "the hold ends when the guard is dropped"]
pub struct Hold<'a>(&'a Interrupt);

impl Drop for Hold<'_> {
    fn drop(&mut self) {
        self.0.holds.fetch_sub(1, Ordering::SeqCst);
    }
}
