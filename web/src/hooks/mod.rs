//! The app's effects, as hooks: running a plan on the page's event loop, and keeping
//! the browser's runs across reloads.

mod use_run;
mod use_stored_runs;

pub(crate) use use_run::{RunControls, use_run};
pub(crate) use use_stored_runs::use_stored_runs;
