//! tracepool: a runtime-agnostic bounded worker pool and a trace-crawl engine.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod chart;
pub mod record;
pub mod timer;
