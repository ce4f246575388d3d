//! What a run crawls: the simulated crawl or the flat workload.

use std::fmt;
use std::str::FromStr;

use crate::report::{KnownName, UnknownNameError};

/// What a run crawls, as run records name it (`crawl`, `flat`).
///
/// # Examples
///
/// ```
/// use tracepool::report::Workload;
///
/// assert_eq!("flat".parse::<Workload>()?, Workload::Flat);
/// assert_eq!(Workload::Crawl.to_string(), "crawl");
/// # Ok::<(), tracepool::report::UnknownNameError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Workload {
    /// The seeded synthetic trace graph ([`SimWorkload`](crate::sim::SimWorkload)):
    /// fan-out, cycles, long-tailed latency, failures. The default.
    #[default]
    Crawl,
    /// N independent jobs, one call each, latency uniform in [0.5 L, 1.5 L)
    /// ([`FlatWorkload`](crate::sim::FlatWorkload)).
    Flat,
}

impl Workload {
    /// Both workloads, in a stable order.
    pub const ALL: [Workload; 2] = [Workload::Crawl, Workload::Flat];

    /// The name records and the command line use: `crawl` or `flat`.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Crawl => "crawl",
            Workload::Flat => "flat",
        }
    }
}

impl KnownName for Workload {
    const KIND: &'static str = "workload";
    const ALL: &'static [Self] = &Workload::ALL;

    fn name(self) -> &'static str {
        self.name()
    }

    fn summary(self) -> &'static str {
        match self {
            Workload::Crawl => "The seeded synthetic trace graph",
            Workload::Flat => "N independent jobs, one call each",
        }
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Workload {
    type Err = UnknownNameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_name(s)
    }
}
