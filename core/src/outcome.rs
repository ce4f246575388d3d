//! What a job ends in: exactly one [`Outcome`] per accepted job.

use std::fmt;
use std::time::Duration;

/// Identifier of an accepted job, unique within its pool and increasing in submission
/// order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(pub(crate) u64);

impl JobId {
    /// The number behind the id.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// How one job ended. Every job the pool accepts ends in exactly one of these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<T, E> {
    /// The job ran to completion and returned `Ok`.
    Completed(T),
    /// The job ran to completion and returned `Err`.
    Failed(E),
    /// The job ran past the pool's timeout and was dropped at the deadline.
    TimedOut,
    /// The job panicked; the payload's message, or `"<non-string panic payload>"`.
    Panicked(String),
    /// The job was cancelled (pool aborted, job handle cancelled, driver dropped)
    /// before it finished. It may or may not have started.
    Cancelled,
}

impl<T, E> Outcome<T, E> {
    /// The kind of the outcome, without its payload.
    pub fn kind(&self) -> OutcomeKind {
        match self {
            Outcome::Completed(_) => OutcomeKind::Completed,
            Outcome::Failed(_) => OutcomeKind::Failed,
            Outcome::TimedOut => OutcomeKind::TimedOut,
            Outcome::Panicked(_) => OutcomeKind::Panicked,
            Outcome::Cancelled => OutcomeKind::Cancelled,
        }
    }

    /// `Some(value)` for a completed job.
    pub fn completed(self) -> Option<T> {
        match self {
            Outcome::Completed(value) => Some(value),
            _ => None,
        }
    }

    /// Whether the job completed successfully.
    pub fn is_completed(&self) -> bool {
        matches!(self, Outcome::Completed(_))
    }
}

/// The kind of an [`Outcome`], without payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OutcomeKind {
    /// See [`Outcome::Completed`].
    Completed,
    /// See [`Outcome::Failed`].
    Failed,
    /// See [`Outcome::TimedOut`].
    TimedOut,
    /// See [`Outcome::Panicked`].
    Panicked,
    /// See [`Outcome::Cancelled`].
    Cancelled,
}

impl fmt::Display for OutcomeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OutcomeKind::Completed => "completed",
            OutcomeKind::Failed => "failed",
            OutcomeKind::TimedOut => "timed out",
            OutcomeKind::Panicked => "panicked",
            OutcomeKind::Cancelled => "cancelled",
        })
    }
}

/// An outcome tagged with the job it belongs to, as yielded by the pool's
/// [`Driver`](crate::Driver) stream and by a [`JobHandle`](crate::JobHandle).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion<T, E> {
    /// The job this outcome belongs to.
    pub id: JobId,
    /// How it ended.
    pub outcome: Outcome<T, E>,
    /// Time from the job's start to its end; zero for a job cancelled before it started.
    pub latency: Duration,
}
