//! The errors of building a pool and of submitting to it.

use std::fmt;

/// An invalid pool configuration, naming the field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// `max_concurrency` was not set; it has no default.
    MissingMaxConcurrency,
    /// `max_concurrency` was 0; it must be at least 1.
    ZeroMaxConcurrency,
    /// `queue_capacity` was 0; it must be at least 1.
    ZeroQueueCapacity,
    /// `timeout` was zero; it must be longer than zero.
    ZeroTimeout,
    /// A `timeout` was set without a `timer` to enforce it.
    TimeoutWithoutTimer,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BuildError::MissingMaxConcurrency => "max_concurrency is required (at least 1)",
            BuildError::ZeroMaxConcurrency => "max_concurrency must be at least 1 (got 0)",
            BuildError::ZeroQueueCapacity => "queue_capacity must be at least 1 (got 0)",
            BuildError::ZeroTimeout => "timeout must be longer than zero (got 0)",
            BuildError::TimeoutWithoutTimer => "timeout needs a timer: set one with `timer`",
        })
    }
}

impl BuildError {
    /// The name of the builder setting at fault (`max_concurrency`, `queue_capacity`,
    /// `timeout` or `timer`), as [`CrawlConfigError::field`](crate::crawl::CrawlConfigError::field)
    /// and [`SimConfigError::field`](crate::sim::SimConfigError::field) name theirs.
    pub fn field(&self) -> &'static str {
        match self {
            BuildError::MissingMaxConcurrency | BuildError::ZeroMaxConcurrency => "max_concurrency",
            BuildError::ZeroQueueCapacity => "queue_capacity",
            BuildError::ZeroTimeout => "timeout",
            BuildError::TimeoutWithoutTimer => "timer",
        }
    }

    /// What the setting accepts.
    pub fn accepted(&self) -> &'static str {
        match self {
            BuildError::MissingMaxConcurrency
            | BuildError::ZeroMaxConcurrency
            | BuildError::ZeroQueueCapacity => "at least 1",
            BuildError::ZeroTimeout => "longer than zero",
            BuildError::TimeoutWithoutTimer => "set when a timeout is set",
        }
    }
}

impl std::error::Error for BuildError {}

/// The pool is closed: the job was not accepted and is handed back.
#[derive(Clone, PartialEq, Eq)]
pub struct SubmitError<J>(pub J);

impl<J> SubmitError<J> {
    /// The job that was not accepted.
    pub fn into_inner(self) -> J {
        self.0
    }
}

impl<J> fmt::Debug for SubmitError<J> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SubmitError(..)")
    }
}

impl<J> fmt::Display for SubmitError<J> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("pool is closed")
    }
}

impl<J> std::error::Error for SubmitError<J> {}

/// A job [`Pool::try_submit`](super::Pool::try_submit) could not accept, handed back.
#[derive(Clone, PartialEq, Eq)]
pub enum TrySubmitError<J> {
    /// The queue is full; try again later.
    Full(J),
    /// The pool is closed; it will never accept the job.
    Closed(J),
}

impl<J> TrySubmitError<J> {
    /// The job that was not accepted.
    pub fn into_inner(self) -> J {
        match self {
            TrySubmitError::Full(job) | TrySubmitError::Closed(job) => job,
        }
    }

    /// Whether the queue was full (as opposed to the pool closed).
    pub fn is_full(&self) -> bool {
        matches!(self, TrySubmitError::Full(_))
    }
}

impl<J> fmt::Debug for TrySubmitError<J> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySubmitError::Full(_) => f.write_str("Full(..)"),
            TrySubmitError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<J> fmt::Display for TrySubmitError<J> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySubmitError::Full(_) => "pool queue is full",
            TrySubmitError::Closed(_) => "pool is closed",
        })
    }
}

impl<J> std::error::Error for TrySubmitError<J> {}
