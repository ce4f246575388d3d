use tracepool::report::record::Verdict;
use yew::prelude::*;

use super::ReportRef;

/// Properties of [`Findings`].
#[derive(Properties, PartialEq)]
pub(crate) struct FindingsProps {
    /// The report whose findings to list.
    pub report: ReportRef,
}

fn verdict(v: Verdict) -> (&'static str, &'static str) {
    match v {
        Verdict::Supported => ("supported", "Supported"),
        Verdict::NotSupported => ("not-supported", "Not supported"),
        Verdict::Inconclusive => ("inconclusive", "Inconclusive"),
    }
}

/// What the runs say about each objective of the plan, and the recommended limits:
/// the same text as the native report's (core's `findings` module).
#[component]
pub(crate) fn Findings(props: &FindingsProps) -> Html {
    let report = &props.report;
    html! {
        <section class="findings" id="findings" aria-labelledby="findings-title">
            <h3 id="findings-title">{ "Findings" }</h3>
            <ul>
                { for report.findings.iter().map(|f| {
                    let (class, label) = verdict(f.verdict);
                    html! {
                        <li class={classes!("finding", class)}>
                            <span class="badge">{ label }</span>
                            <strong>{ &f.objective }</strong>
                            <p>{ &f.text }</p>
                        </li>
                    }
                }) }
            </ul>
            if !report.recommendations.is_empty() {
                <h3>{ "Recommended limits" }</h3>
                <ul class="recommendations">
                    { for report.recommendations.iter().map(|r| html! {
                        <li><strong>{ format!("{}: C = {}", r.model, r.concurrency) }</strong>
                            <p>{ &r.reason }</p></li>
                    }) }
                </ul>
            }
        </section>
    }
}
