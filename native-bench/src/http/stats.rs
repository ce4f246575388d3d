//! What the http workload's server counts: requests in progress, open connections,
//! their peaks, and the answers it gave.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};

/// The server's counters, shared by its connections (thread-safe).
///
/// Requests are plugin calls only (`/follow`); the stats endpoint counts none. A request
/// is in progress from its arrival until its answer is sent or its connection is gone,
/// whether it waits for a worker or is being served; a connection is open from its
/// accept until it closes.
#[derive(Debug, Default)]
pub struct ServerStats {
    requests: AtomicU64,
    in_progress: AtomicU64,
    peak_in_progress: AtomicU64,
    connections: AtomicU64,
    open_connections: AtomicU64,
    peak_connections: AtomicU64,
    rejected: AtomicU64,
    resets: AtomicU64,
    slow: AtomicU64,
    accept_errors: AtomicU64,
    statuses: Mutex<BTreeMap<u16, u64>>,
}

impl ServerStats {
    /// A request arrived: counted in progress until the guard is dropped. The guard
    /// tells how many were in progress with it.
    pub(crate) fn request_started(&self) -> InProgress<'_> {
        self.requests.fetch_add(1, Relaxed);
        let now = self.in_progress.fetch_add(1, Relaxed) + 1;
        self.peak_in_progress.fetch_max(now, Relaxed);
        InProgress { stats: self, now }
    }

    /// A connection was accepted: counted open until the guard is dropped.
    pub(crate) fn connection_opened(&self) -> OpenConnection<'_> {
        self.connections.fetch_add(1, Relaxed);
        let now = self.open_connections.fetch_add(1, Relaxed) + 1;
        self.peak_connections.fetch_max(now, Relaxed);
        OpenConnection(self)
    }

    /// An answer with `status` was sent.
    pub(crate) fn answered(&self, status: u16) {
        *self
            .statuses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(status)
            .or_default() += 1;
    }

    /// A request was answered 503 because the server was full.
    pub(crate) fn rejected(&self) {
        self.rejected.fetch_add(1, Relaxed);
    }

    /// A connection was reset instead of answered.
    pub(crate) fn reset(&self) {
        self.resets.fetch_add(1, Relaxed);
    }

    /// A request was made to wait past any client's patience.
    pub(crate) fn slow(&self) {
        self.slow.fetch_add(1, Relaxed);
    }

    /// Accepting a connection failed (e.g. the server ran out of file descriptors).
    pub(crate) fn accept_failed(&self) {
        self.accept_errors.fetch_add(1, Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            requests: self.requests.load(Relaxed),
            requests_in_progress: self.in_progress.load(Relaxed),
            peak_requests_in_progress: self.peak_in_progress.load(Relaxed),
            connections: self.connections.load(Relaxed),
            open_connections: self.open_connections.load(Relaxed),
            peak_open_connections: self.peak_connections.load(Relaxed),
            responses: self
                .statuses
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .map(|(status, n)| (status.to_string(), *n))
                .collect(),
            rejected: self.rejected.load(Relaxed),
            resets: self.resets.load(Relaxed),
            slow: self.slow.load(Relaxed),
            accept_errors: self.accept_errors.load(Relaxed),
        }
    }
}

/// A request in progress; see [`ServerStats::request_started`].
#[derive(Debug)]
pub(crate) struct InProgress<'a> {
    stats: &'a ServerStats,
    now: u64,
}

impl InProgress<'_> {
    /// Requests in progress when this one arrived, itself included.
    pub(crate) fn count(&self) -> u64 {
        self.now
    }
}

impl Drop for InProgress<'_> {
    fn drop(&mut self) {
        self.stats.in_progress.fetch_sub(1, Relaxed);
    }
}

/// An open connection; see [`ServerStats::connection_opened`].
#[derive(Debug)]
pub(crate) struct OpenConnection<'a>(&'a ServerStats);

impl Drop for OpenConnection<'_> {
    fn drop(&mut self) {
        self.0.open_connections.fetch_sub(1, Relaxed);
    }
}

/// The server's counters at one instant: the JSON body of `GET /stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsSnapshot {
    /// Plugin calls received.
    pub requests: u64,
    /// Plugin calls in progress now (waiting for a worker or being served).
    pub requests_in_progress: u64,
    /// The most plugin calls in progress at one instant.
    pub peak_requests_in_progress: u64,
    /// Connections accepted.
    pub connections: u64,
    /// Connections open now.
    pub open_connections: u64,
    /// The most connections open at one instant.
    pub peak_open_connections: u64,
    /// Answers sent, by status code (`"200"`, `"429"`, ...).
    pub responses: BTreeMap<String, u64>,
    /// Calls answered 503 because the server held too many (included in `responses`).
    pub rejected: u64,
    /// Calls whose connection was reset instead of answered.
    pub resets: u64,
    /// Calls made to wait the slow delay, past any client's patience (those still
    /// answered when it ended are in `responses` too).
    pub slow: u64,
    /// Connections that could not be accepted.
    pub accept_errors: u64,
}
