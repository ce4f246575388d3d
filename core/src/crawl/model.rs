//! The three scheduling models a crawl can run under.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How a crawl schedules its (trace, plugin) calls. All three crawl the same graph
/// with the same semantics (dedup, limits, timeouts, panic capture); only the
/// scheduling differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    /// The bounded worker pool: at most `C` calls in flight; new traces are scheduled
    /// as soon as the call that found them ends. No batches, no barriers.
    Pool,
    /// The original tool's previous model: batches of the first `C` frontier traces
    /// (dead ends included: they take a place in a batch and finish at once);
    /// each trace runs all its plugins under a semaphore private to that trace (size
    /// `C`), so up to `C * min(P, C)` calls run at once; a trace waits for all its
    /// plugins, a batch for all its traces; dedup and frontier growth happen only
    /// after each batch.
    Previous,
    /// Every call starts the moment it is known, without limit.
    Unbounded,
}

impl Model {
    /// Every model, in a stable order.
    pub const ALL: [Model; 3] = [Model::Pool, Model::Previous, Model::Unbounded];

    /// The model's name: `pool`, `previous` or `unbounded`.
    pub fn as_str(self) -> &'static str {
        match self {
            Model::Pool => "pool",
            Model::Previous => "previous",
            Model::Unbounded => "unbounded",
        }
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A model name that is not one of `pool`, `previous`, `unbounded`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownModelError(pub String);

impl fmt::Display for UnknownModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown model `{}` (expected pool, previous or unbounded)",
            self.0
        )
    }
}

impl std::error::Error for UnknownModelError {}

impl FromStr for Model {
    type Err = UnknownModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Model::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| UnknownModelError(s.to_owned()))
    }
}
