use yew::prelude::*;

use super::ReportRef;

use super::charts::ResultCharts;
use super::findings::Findings;
use super::table::ResultsTable;
use crate::state::{Action, Source};

/// Properties of [`Results`].
#[derive(Properties, PartialEq)]
pub(crate) struct ResultsProps {
    /// The report shown.
    pub report: ReportRef,
    /// Which one it is.
    pub source: Source,
    /// How many runs this browser made.
    pub browser_runs: usize,
    /// The imported file's name, if one was opened.
    pub imported: Option<AttrValue>,
    /// Tab switches and clearing.
    pub on_action: Callback<Action>,
    /// Whether a plan is running (clearing is then disabled).
    pub running: bool,
}

/// The results of the shown report: where it was measured, the table, the charts and
/// the findings, with a switch between this browser's runs and an opened report.
#[component]
pub(crate) fn Results(props: &ResultsProps) -> Html {
    let report = &props.report;
    let tab = |source: Source, label: String, enabled: bool| {
        let onclick = props
            .on_action
            .reform(move |_: MouseEvent| Action::Show(source));
        let selected = props.source == source;
        html! {
            <button type="button" role="tab" class="tab" aria-selected={if selected { "true" } else { "false" }}
                id={format!("tab-{}", if source == Source::Browser { "browser" } else { "imported" })}
                disabled={!enabled} {onclick}>{ label }</button>
        }
    };
    let clear = props.on_action.reform(|_: MouseEvent| Action::ClearRuns);
    let env = &report.environment;
    let settings = &report.settings;
    html! {
        <section class="panel results" aria-labelledby="results-title" id="results">
            <h2 id="results-title">{ "Results" }</h2>
            <div class="tabs" role="tablist" aria-label="Report shown">
                { tab(Source::Browser, format!("This browser ({} runs)", props.browser_runs), true) }
                { tab(
                    Source::Imported,
                    props.imported.as_ref().map_or_else(|| "No report opened".to_owned(), |n| format!("Opened: {n}")),
                    props.imported.is_some(),
                ) }
                if props.source == Source::Browser && props.browser_runs > 0 {
                    <button type="button" class="link" id="clear" onclick={clear} disabled={props.running}>
                        { "Forget these runs" }
                    </button>
                }
            </div>
            if report.runs.is_empty() {
                <p class="empty" id="no-runs">
                    { "No runs yet: pick a preset or set C and the traces, then press Run." }
                </p>
            } else {
                <p class="meta" id="report-meta">
                    { format!(
                        "{} \u{b7} {} \u{b7} {} cores \u{b7} {} \u{b7} seed {}, mean latency {} ms, failure rate {}, time scale {}",
                        report.tool_version, env.os, env.cores, env.timestamp,
                        settings.seed, settings.latency_ms, settings.failure_rate, settings.time_scale,
                    ) }
                </p>
                <ResultsTable report={report.clone()} />
                <ResultCharts report={report.clone()} />
                <Findings report={report.clone()} />
            }
        </section>
    }
}
