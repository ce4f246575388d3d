use yew::prelude::*;

use super::ReportRef;

use crate::views::{COLUMNS, rows};

/// Properties of [`ResultsTable`].
#[derive(Properties, PartialEq)]
pub(crate) struct ResultsTableProps {
    /// The report whose runs to list.
    pub report: ReportRef,
}

/// One row per run with the plan's metrics a browser can measure.
#[component]
pub(crate) fn ResultsTable(props: &ResultsTableProps) -> Html {
    let rows = rows(&props.report);
    html! {
        <div class="table-wrap" tabindex="0" role="region" aria-labelledby="table-caption">
            <table id="results-table">
                <caption id="table-caption">
                    { "Every run: wall time, throughput, errors, the most calls in flight \
                       (the pool must stay at or under C). n/a: not measurable here." }
                </caption>
                <thead>
                    <tr>{ for COLUMNS.iter().map(|c| html! { <th scope="col">{ *c }</th> }) }</tr>
                </thead>
                <tbody>
                    { for rows.iter().map(|row| html! {
                        <tr class={classes!(row.violation.then_some("violation"))}
                            data-model={row.model.clone()} data-concurrency={row.concurrency.clone()}>
                            { for row.cells().iter().zip(COLUMNS).map(|(cell, column)| html! {
                                <td data-column={column}>{ *cell }</td>
                            }) }
                        </tr>
                    }) }
                </tbody>
            </table>
        </div>
    }
}
