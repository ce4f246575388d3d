//! Simulated workloads: a seeded trace graph with synthetic plugins, and a flat set
//! of independent sleeping jobs.
//!
//! [`SimWorkload`] imitates the original OSINT tool's scans: plugins per kind as in
//! its plugin table (seven for a username, five for a domain, dead ends for phones,
//! keys, DNS records, ...), cycles (username → repository → username, url → domain →
//! url), duplicate results, long-tailed (log-normal) latency, failures and panics.
//! Everything is a pure function of the seed, so runs are comparable across
//! concurrency models, pool sizes and machines.
//!
//! [`FlatWorkload`] is the simpler reference: `N` independent jobs with durations
//! uniform in [0.5 L, 1.5 L), and [`ideal_makespan`] gives the time a perfect pool
//! would take to run them.

mod config;
mod flat;
mod graph;
mod kinds;
mod panics;
mod rng;
mod stats;
mod values;
mod workload;

pub use config::{MAX_P99_OVER_MEAN, MAX_TRACES, SimConfig, SimConfigError};
pub use flat::{FLAT_DEFAULT_SEED, FlatWorkload, flat_job_duration, ideal_makespan};
pub use panics::{SIMULATED_PANIC, SimulatedPanic, is_simulated_panic, quiet_simulated_panics};
pub use stats::{SleepStats, SleepSummary};
pub use workload::{NodeId, SimCall, SimEdge, SimOutcome, SimWorkload};
