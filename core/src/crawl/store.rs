//! The seam between the crawl engine and where a crawl keeps its state: the seen set
//! (which traces are known) and the frontier (which wait to be followed).
//!
//! The module docs of [`crawl`](super) say what an implementation that keeps them
//! outside the process must guarantee.

use std::collections::VecDeque;

use crate::trace::Trace;

/// A trace's id in a seen set: dense, in the order traces were inserted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraceId(pub(crate) u32);

impl TraceId {
    /// The id as an index in insertion order.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// What [`SeenSet::insert_if_absent`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insert {
    /// The trace was new; it is recorded under this id.
    New(TraceId),
    /// A trace of the same kind and value was already recorded.
    Present,
    /// The trace is new but the set holds all it can (for the in-memory set,
    /// `u32::MAX` traces): the crawl counts it as skipped, as past `max_traces`.
    Full,
}

/// The traces a crawl knows: it deduplicates on (kind, value) and records where each
/// trace came from.
///
/// [`Discovered`](super::Discovered) is the in-memory implementation, and the only
/// one a crawler uses for now; the [`crawl`](super) module docs say what another one
/// must guarantee.
pub trait SeenSet {
    /// Records `trace`, found by plugin `origin.1` on trace `origin.0` (`None` for a
    /// seed), unless a trace of the same kind and value is recorded already.
    ///
    /// Idempotent: inserting a trace twice records it once; the second insert is
    /// [`Insert::Present`] and changes nothing.
    fn insert_if_absent(&mut self, trace: &Trace, origin: Option<(TraceId, usize)>) -> Insert;

    /// Whether a trace of the same kind and value is recorded.
    fn contains(&self, trace: &Trace) -> bool;

    /// The number of traces recorded.
    fn len(&self) -> usize;

    /// Whether no trace is recorded.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The trace recorded under `id`.
    ///
    /// # Panics
    ///
    /// When `id` was not returned by this set.
    fn trace(&self, id: TraceId) -> Trace;

    /// Overwrites `into` with the trace recorded under `id`: what
    /// [`trace`](Self::trace) returns, written into a trace whose value's buffer an
    /// implementation may reuse (the crawl engine reuses the traces it followed).
    ///
    /// # Panics
    ///
    /// When `id` was not returned by this set.
    fn trace_into(&self, id: TraceId, into: &mut Trace) {
        *into = self.trace(id);
    }

    /// The depth of the trace recorded under `id`: 0 for a seed, its parent's plus
    /// one otherwise.
    ///
    /// # Panics
    ///
    /// When `id` was not returned by this set.
    fn depth(&self, id: TraceId) -> u32;
}

/// The traces waiting to be followed, in the order the crawl follows them.
///
/// [`FifoFrontier`] is the in-memory implementation, and the only one a crawler uses
/// for now.
pub trait Frontier {
    /// Adds a trace to follow.
    fn push(&mut self, id: TraceId);

    /// The next trace to follow, if any.
    fn pop(&mut self) -> Option<TraceId>;

    /// The number of traces waiting.
    fn len(&self) -> usize;

    /// Whether no trace is waiting.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A first-in, first-out frontier in memory, four bytes per waiting trace: the crawl
/// goes breadth first.
///
/// # Examples
///
/// ```
/// use tracepool::crawl::{Discovered, FifoFrontier, Frontier, Insert, SeenSet};
/// use tracepool::trace::{Trace, TraceKind};
///
/// let mut seen = Discovered::new();
/// let mut frontier = FifoFrontier::default();
/// for name in ["alice", "bob"] {
///     if let Insert::New(id) = seen.insert_if_absent(&Trace::new(TraceKind::Username, name), None) {
///         frontier.push(id);
///     }
/// }
/// let first = frontier.pop().unwrap();
/// assert_eq!(seen.trace(first).value(), "alice");
/// assert_eq!(frontier.len(), 1);
/// ```
#[derive(Debug, Clone, Default)]
pub struct FifoFrontier {
    queue: VecDeque<u32>,
}

impl Frontier for FifoFrontier {
    #[inline]
    fn push(&mut self, id: TraceId) {
        self.queue.push_back(id.0);
    }

    #[inline]
    fn pop(&mut self) -> Option<TraceId> {
        self.queue.pop_front().map(TraceId)
    }

    fn len(&self) -> usize {
        self.queue.len()
    }
}
