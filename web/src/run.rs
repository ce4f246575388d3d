//! Running a plan on the page's event loop.

mod macrotask;

use std::cell::Cell;
use std::rc::Rc;

use crate::plan::RunPlan;
use crate::state::Action;

pub use macrotask::Sliced;

/// Cancels a running plan; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct RunHandle {
    cancelled: Rc<Cell<bool>>,
}

impl RunHandle {
    /// Stops the run in progress and the plan's later runs.
    pub fn cancel(&self) {
        self.cancelled.set(true);
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.get()
    }
}

/// Runs every run of `plan` in turn, reporting through `sink`. Returns whether it was
/// cancelled.
///
/// # Errors
///
/// Why a run could not start.
pub async fn run_plan(
    _plan: &RunPlan,
    _handle: &RunHandle,
    _sink: impl Fn(Action),
) -> Result<bool, String> {
    Err("the browser's timer is not available yet".to_owned())
}
