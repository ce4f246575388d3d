//! The crawl engine: seed traces in, every (trace, plugin) call scheduled under one of
//! three [`Model`]s, discovered traces deduplicated on (kind, value).

pub mod ideal;
mod model;

pub use model::{Model, UnknownModelError};
