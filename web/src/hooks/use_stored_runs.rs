use std::rc::Rc;

use tracepool::report::record::Report;
use yew::prelude::*;

use crate::browser;
use crate::persist::{from_stored, to_stored};
use crate::state::{Action, Level, Notice, State};

/// Restores the browser's runs stored by an earlier visit, once, and stores them again
/// whenever they change.
#[hook]
pub(crate) fn use_stored_runs(state: &UseReducerHandle<State>) {
    let dispatcher = state.dispatcher();
    {
        let dispatcher = dispatcher.clone();
        use_effect_with((), move |()| {
            if let Some(text) = browser::load() {
                dispatcher.dispatch(Action::Restored(from_stored(&text)));
            }
        });
    }
    let first = use_mut_ref(|| true);
    let browser_report: Rc<Report> = Rc::clone(&state.browser);
    use_effect_with(browser_report, move |report| {
        // The first report is the empty one of the first render: storing it would
        // erase what the effect above restores.
        if std::mem::replace(&mut *first.borrow_mut(), false) {
            return;
        }
        if let Err(e) = browser::save(&to_stored(report)) {
            dispatcher.dispatch(Action::Notify(Notice {
                level: Level::Error,
                text: format!("Your runs will not survive a reload: {e}."),
            }));
        }
    });
}
