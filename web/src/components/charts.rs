use yew::prelude::*;

use super::ReportRef;

use super::svg::Svg;
use crate::views::chart_groups;

/// Properties of [`ResultCharts`].
#[derive(Properties, PartialEq)]
pub(crate) struct ResultChartsProps {
    /// The report to draw.
    pub report: ReportRef,
}

fn figure(chart: &tracepool::report::chart::NamedChart) -> Html {
    html! {
        <figure class="chart" id={format!("chart-{}", chart.id)} key={chart.id.clone()}>
            <Svg svg={AttrValue::from(chart.svg.clone())} />
            <figcaption class="visually-hidden">{ &chart.title }</figcaption>
        </figure>
    }
}

/// The report's charts, as the native HTML report draws them: throughput and peak in
/// flight against C per model, wall time and error rate per run, and the time series.
#[component]
pub(crate) fn ResultCharts(props: &ResultChartsProps) -> Html {
    // Drawn again only when the report changes, not on every live sample.
    let groups = use_memo(props.report.clone(), |report| chart_groups(report));
    let (summary, series) = &*groups;
    let last = series.len().saturating_sub(1);
    html! {
        <div id="result-charts">
            <div class="charts">{ for summary.iter().map(figure) }</div>
            if !series.is_empty() {
                <h3>{ "Time series" }</h3>
                { for series.iter().enumerate().map(|(i, group)| html! {
                    <details class="series-group" open={i == last} key={group.label.clone()}>
                        <summary>{ &group.label }</summary>
                        <div class="charts">{ for group.charts.iter().map(figure) }</div>
                    </details>
                }) }
            }
        </div>
    }
}
