//! tracepool in the browser: the benchmark scenarios run on the page's event loop.
//!
//! The interactive app comes with its own issue; this crate already builds for
//! `wasm32-unknown-unknown` against the shared core.
#![forbid(unsafe_code)]

pub use tracepool;
