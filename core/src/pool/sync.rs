//! The synchronisation primitives of the pool's shared state, swapped for loom's
//! under `--cfg tracepool_loom` so that the loom models (`core/tests/loom_pool.rs`, run by
//! `scripts/soak`) explore their interleavings, the way tokio does it.
//!
//! `Arc` stays std's everywhere: only the atomics, the mutexes and the atomic
//! wakers carry the orderings worth checking.

#[cfg(not(tracepool_loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
#[cfg(not(tracepool_loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};

#[cfg(tracepool_loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
#[cfg(tracepool_loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};

use std::task::Waker;

/// An atomic waker: futures' natively, loom's under `--cfg tracepool_loom`.
#[derive(Debug, Default)]
pub(crate) struct AtomicWaker {
    #[cfg(not(tracepool_loom))]
    inner: futures::task::AtomicWaker,
    #[cfg(tracepool_loom)]
    inner: loom::future::AtomicWaker,
}

impl AtomicWaker {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Stores `waker` for the next [`wake`](Self::wake).
    #[inline]
    pub(crate) fn register(&self, waker: &Waker) {
        #[cfg(not(tracepool_loom))]
        self.inner.register(waker);
        #[cfg(tracepool_loom)]
        self.inner.register_by_ref(waker);
    }

    /// Wakes the stored waker, if any.
    #[inline]
    pub(crate) fn wake(&self) {
        self.inner.wake();
    }
}

/// A spin-wait hint; under loom, a yield that lets the other threads run.
#[inline]
pub(crate) fn spin_loop() {
    #[cfg(not(tracepool_loom))]
    std::hint::spin_loop();
    #[cfg(tracepool_loom)]
    loom::thread::yield_now();
}
