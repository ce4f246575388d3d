use yew::prelude::*;

use super::ReportRef;
use super::header::Header;
use super::live::LiveRun;
use super::notice::NoticeBar;
use super::report_file::ReportFile;
use super::results::Results;
use super::run_form::RunForm;
use crate::browser;
use crate::hooks::{RunControls, use_run, use_stored_runs};
use crate::persist::to_stored;
use crate::state::{Action, Level, Notice, State};

/// The whole app: the form, the run in progress, the results.
#[component]
pub fn App() -> Html {
    let state = use_reducer(State::default);
    use_stored_runs(&state);
    let RunControls { start, cancel } = use_run(state.dispatcher());

    let on_action = {
        let dispatcher = state.dispatcher();
        Callback::from(move |action: Action| dispatcher.dispatch(action))
    };
    let on_run = {
        let state = state.clone();
        Callback::from(move |()| {
            if let Ok(plan) = state.form.validate() {
                start.emit(plan);
            }
        })
    };
    let on_export = {
        let state = state.clone();
        Callback::from(move |()| {
            let mut report = (*state.browser).clone();
            report.environment.timestamp = browser::environment().timestamp;
            // Compact, as stored: one JSON serialiser in the bundle rather than two. Same
            // schema as the runner's indented report.json; readers see no difference.
            let json = serde_json::to_string(&report).unwrap_or_default();
            if let Err(e) = browser::download("report.json", &json) {
                state.dispatch(Action::Notify(Notice {
                    level: Level::Error,
                    text: e,
                }));
            }
            // Keep what was exported, even if storing failed earlier.
            let _ = browser::save(&to_stored(&report));
        })
    };
    let on_dismiss = {
        let dispatcher = state.dispatcher();
        Callback::from(move |()| dispatcher.dispatch(Action::Dismiss))
    };
    let running = state.running.clone();
    let replaces =
        (state.replaces_runs() && !state.is_running()).then_some(state.browser.runs.len());
    html! {
        <div class="page">
            <Header />
            <main class="layout">
                <section class="panel form-panel">
                    <RunForm
                        form={state.form.clone()}
                        running={state.is_running()}
                        cancelling={running.as_ref().is_some_and(|r| r.cancelling)}
                        {replaces}
                        on_action={on_action.clone()}
                        {on_run}
                        on_cancel={cancel}
                    />
                    <ReportFile on_action={on_action.clone()} {on_export}
                        can_export={!state.browser.runs.is_empty()} />
                </section>
                <div class="main-column">
                    if let Some(notice) = state.notice.clone() {
                        <NoticeBar {notice} {on_dismiss} />
                    }
                    if let Some(running) = running {
                        <LiveRun {running} />
                    }
                    <Results
                        report={ReportRef(state.shown())}
                        source={state.source}
                        browser_runs={state.browser.runs.len()}
                        imported={state.imported.as_ref().map(|i| AttrValue::from(i.name.clone()))}
                        on_action={on_action}
                        running={state.is_running()}
                    />
                </div>
            </main>
            <footer class="app-footer">
                <p>
                    { "tracepool \u{b7} the same report.json as " }<code>{ "tracepool-bench" }</code>
                    { " \u{b7} charts and findings from the shared report layer \u{b7} MIT" }
                </p>
            </footer>
        </div>
    }
}
