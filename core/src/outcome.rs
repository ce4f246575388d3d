//! What a job ends in: exactly one [`Outcome`] per accepted job.

use std::fmt;
use std::ops::{Add, AddAssign};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Identifier of an accepted job, unique within its pool and increasing in submission
/// order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(pub(crate) u64);

impl JobId {
    /// The number behind the id.
    pub fn get(self) -> u64 {
        self.0
    }

    /// The id `n` places after this one (of jobs accepted together).
    #[inline]
    pub(crate) fn after(self, n: usize) -> JobId {
        JobId(self.0 + n as u64)
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

/// How many jobs ended in each [`OutcomeKind`]: the one set of outcome counters shared
/// by a pool's [`Metrics`](crate::Metrics), a crawl's
/// [`CrawlReport`](crate::crawl::CrawlReport) and [`PluginStats`](crate::crawl::PluginStats),
/// and a benchmark's run record (where its fields appear inline).
///
/// # Examples
///
/// ```
/// use tracepool::{OutcomeKind, Outcomes};
///
/// let mut outcomes = Outcomes::default();
/// outcomes.record(OutcomeKind::Completed);
/// outcomes.record(OutcomeKind::TimedOut);
/// assert_eq!(outcomes.finished(), 2);
/// assert_eq!(outcomes.errors(), 1);
/// assert_eq!(outcomes.get(OutcomeKind::TimedOut), 1);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Outcomes {
    /// Jobs that completed with `Ok` (a call that returned traces).
    pub completed: u64,
    /// Jobs that completed with `Err` (a call that returned an error).
    pub failed: u64,
    /// Jobs dropped at their deadline.
    pub timed_out: u64,
    /// Jobs that panicked.
    pub panicked: u64,
    /// Jobs cancelled before they finished.
    pub cancelled: u64,
}

impl Outcomes {
    /// Jobs that ended, in any outcome: `completed + failed + timed_out + panicked +
    /// cancelled` (saturating at `u64::MAX`).
    pub fn finished(&self) -> u64 {
        self.completed
            .saturating_add(self.failed)
            .saturating_add(self.timed_out)
            .saturating_add(self.panicked)
            .saturating_add(self.cancelled)
    }

    /// Jobs that ended in an error: `failed + timed_out + panicked` (saturating).
    pub fn errors(&self) -> u64 {
        self.failed
            .saturating_add(self.timed_out)
            .saturating_add(self.panicked)
    }

    /// The count of one kind.
    pub fn get(&self, kind: OutcomeKind) -> u64 {
        match kind {
            OutcomeKind::Completed => self.completed,
            OutcomeKind::Failed => self.failed,
            OutcomeKind::TimedOut => self.timed_out,
            OutcomeKind::Panicked => self.panicked,
            OutcomeKind::Cancelled => self.cancelled,
        }
    }

    /// The counter of one kind, to change it.
    pub fn get_mut(&mut self, kind: OutcomeKind) -> &mut u64 {
        match kind {
            OutcomeKind::Completed => &mut self.completed,
            OutcomeKind::Failed => &mut self.failed,
            OutcomeKind::TimedOut => &mut self.timed_out,
            OutcomeKind::Panicked => &mut self.panicked,
            OutcomeKind::Cancelled => &mut self.cancelled,
        }
    }

    /// Counts one more job of `kind` (saturating).
    pub fn record(&mut self, kind: OutcomeKind) {
        let count = self.get_mut(kind);
        *count = count.saturating_add(1);
    }
}

impl Add for Outcomes {
    type Output = Outcomes;

    /// Kind by kind (saturating).
    fn add(self, other: Outcomes) -> Outcomes {
        Outcomes {
            completed: self.completed.saturating_add(other.completed),
            failed: self.failed.saturating_add(other.failed),
            timed_out: self.timed_out.saturating_add(other.timed_out),
            panicked: self.panicked.saturating_add(other.panicked),
            cancelled: self.cancelled.saturating_add(other.cancelled),
        }
    }
}

impl AddAssign for Outcomes {
    fn add_assign(&mut self, other: Outcomes) {
        *self = *self + other;
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
