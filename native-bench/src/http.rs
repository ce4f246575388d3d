//! The http workload: the simulated trace graph served over HTTP on loopback, and the
//! plugins that crawl it with real requests.
//!
//! - [`server`]: the server (hyper): the seeded graph, latency, error statuses, resets,
//!   slow responses, a capacity with a queue and `503`s, and its counters ([`stats`]).
//! - [`plugin`]: the plugins that make real requests, through [`client`]'s pooling
//!   client with a per-call deadline, mapping statuses, timeouts and transport failures
//!   to [`PluginError`](tracepool::PluginError) kinds.
//! - [`process`]: the server as a child process the runner owns, stopped on every way
//!   out; [`thread`]: a server on a thread of its own, for tests and examples.
//! - [`wire`]: the paths, the query and the JSON bodies both ends share.
//!
//! Only loopback addresses are served: the server refuses to listen anywhere else.

pub mod client;
pub mod plugin;
pub mod process;
mod reply;
mod reset;
pub mod server;
pub mod stats;
pub mod thread;
pub mod wire;
