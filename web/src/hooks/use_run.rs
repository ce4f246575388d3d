use std::cell::RefCell;
use std::rc::Rc;

use yew::prelude::*;

use crate::browser;
use crate::plan::RunPlan;
use crate::run::{RunHandle, run_plan};
use crate::state::{Action, State};

/// What [`use_run`] gives the app.
pub(crate) struct RunControls {
    /// Starts a plan, unless one is running.
    pub start: Callback<RunPlan>,
    /// Cancels the running plan: the current run stops, later ones do not start.
    pub cancel: Callback<()>,
}

/// Runs plans on the page's event loop, reporting their progress and runs to the
/// state; a running plan is cancelled when the app goes away.
#[hook]
pub(crate) fn use_run(dispatcher: UseReducerDispatcher<State>) -> RunControls {
    let current: Rc<RefCell<Option<RunHandle>>> = use_mut_ref(|| None);
    {
        let current = Rc::clone(&current);
        use_effect_with((), move |()| {
            move || {
                if let Some(handle) = current.borrow().as_ref() {
                    handle.cancel();
                }
            }
        });
    }
    let start = {
        let current = Rc::clone(&current);
        let dispatcher = dispatcher.clone();
        Callback::from(move |plan: RunPlan| {
            if current.borrow().is_some() {
                return;
            }
            let handle = RunHandle::default();
            *current.borrow_mut() = Some(handle.clone());
            dispatcher.dispatch(Action::Started {
                plan: plan.clone(),
                environment: browser::environment(),
            });
            let current = Rc::clone(&current);
            let dispatcher = dispatcher.clone();
            yew::platform::spawn_local(async move {
                let sink = dispatcher.clone();
                let sink: Rc<dyn Fn(Action)> = Rc::new(move |action| sink.dispatch(action));
                let ended = run_plan(&plan, &handle, sink).await;
                current.borrow_mut().take();
                dispatcher.dispatch(match ended {
                    Ok(cancelled) => Action::Ended {
                        cancelled,
                        error: None,
                    },
                    Err(error) => Action::Ended {
                        cancelled: false,
                        error: Some(error),
                    },
                });
            });
        })
    };
    let cancel = Callback::from(move |()| {
        if let Some(handle) = current.borrow().as_ref() {
            handle.cancel();
            dispatcher.dispatch(Action::Cancelling);
        }
    });
    RunControls { start, cancel }
}
