//! What a run crawls: the simulated crawl, the flat workload, or the crawl over HTTP.

use std::fmt;
use std::str::FromStr;

use crate::report::{KnownName, UnknownNameError};

/// What a run crawls, as run records name it (`crawl`, `flat`, `http`).
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
    /// The seeded synthetic trace graph served over HTTP on loopback by a local server,
    /// crawled with real requests: sockets, file descriptors and a server with a
    /// capacity of its own. Run by the native runner only.
    Http,
}

impl Workload {
    /// Every workload, in a stable order.
    pub const ALL: [Workload; 3] = [Workload::Crawl, Workload::Flat, Workload::Http];

    /// The name records and the command line use: `crawl`, `flat` or `http`.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Crawl => "crawl",
            Workload::Flat => "flat",
            Workload::Http => "http",
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
            Workload::Http => "The seeded graph crawled over HTTP from a local server",
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
