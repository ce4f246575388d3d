use web_sys::{DragEvent, File, HtmlInputElement};
use yew::prelude::*;

use crate::state::Action;

/// The largest file accepted for import: reports are a few MB at most.
const MAX_IMPORT_BYTES: f64 = 64.0 * 1024.0 * 1024.0;

/// Properties of [`ReportFile`].
#[derive(Properties, PartialEq)]
pub(crate) struct ReportFileProps {
    /// Receives [`Action::Import`] or [`Action::ImportFailed`].
    pub on_action: Callback<Action>,
    /// Export was pressed.
    pub on_export: Callback<()>,
    /// Whether there are browser runs to export.
    pub can_export: bool,
}

/// Reads `file` and reports it as an import (or why it could not be read).
fn read(file: File, on_action: Callback<Action>) {
    let name = file.name();
    if file.size() > MAX_IMPORT_BYTES {
        on_action.emit(Action::ImportFailed(format!(
            "{name} is too large to be a report ({:.0} MiB; at most 64 MiB)",
            file.size() / 1024.0 / 1024.0
        )));
        return;
    }
    yew::platform::spawn_local(async move {
        let action = match wasm_bindgen_futures::JsFuture::from(file.text()).await {
            Ok(text) => match text.as_string() {
                Some(text) => Action::Import { name, text },
                None => Action::ImportFailed(format!("{name} is not a text file")),
            },
            Err(_) => Action::ImportFailed(format!("{name} could not be read")),
        };
        on_action.emit(action);
    });
}

/// Opening a `report.json` (file picker or drag and drop) and saving the browser's
/// runs as one.
#[component]
pub(crate) fn ReportFile(props: &ReportFileProps) -> Html {
    let dragging = use_state(|| false);
    let onchange = {
        let on_action = props.on_action.clone();
        Callback::from(move |e: Event| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            if let Some(file) = input.files().and_then(|files| files.get(0)) {
                read(file, on_action.clone());
            }
            // Choosing the same file again still fires a change.
            input.set_value("");
        })
    };
    let ondragover = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(true);
        })
    };
    let ondragleave = {
        let dragging = dragging.clone();
        Callback::from(move |_: DragEvent| dragging.set(false))
    };
    let ondrop = {
        let dragging = dragging.clone();
        let on_action = props.on_action.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(false);
            let file = e
                .data_transfer()
                .and_then(|dt| dt.files())
                .and_then(|files| files.get(0));
            match file {
                Some(file) => read(file, on_action.clone()),
                None => on_action.emit(Action::ImportFailed(
                    "nothing to open: drop a report.json file".to_owned(),
                )),
            }
        })
    };
    let export = props.on_export.reform(|_: MouseEvent| ());
    html! {
        <div class="report-file">
            <div class={classes!("drop-zone", dragging.then_some("dragging"))} id="drop-zone"
                {ondragover} {ondragleave} {ondrop}>
                <label for="import">{ "Open a report.json" }</label>
                <input type="file" id="import" accept=".json,application/json" {onchange}
                    aria-describedby="import-help" />
                <p class="help" id="import-help">
                    { "Written by tracepool-bench (tracepool-report/report.json) or exported here; \
                       or drop the file on this box." }
                </p>
            </div>
            <div class="export">
                <button type="button" id="export" onclick={export} disabled={!props.can_export}>
                    { "Export this browser's runs" }
                </button>
                <p class="help">{ "Saves them as report.json, the native runner's schema." }</p>
            </div>
        </div>
    }
}
