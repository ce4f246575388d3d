//! tracepool: a runtime-agnostic bounded worker pool and a trace-crawl engine.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod plugin;
pub mod record;
pub mod sim;
pub mod timer;
pub mod trace;

pub use plugin::{Plugin, PluginError, PluginErrorKind, Registry};
pub use sim::{FlatWorkload, SimConfig, SimWorkload};
pub use trace::{Trace, TraceKind};
