use tracepool::report::format::{format_count, format_number};
use yew::prelude::*;

use super::svg::Svg;
use crate::state::Running;
use crate::views::live_chart_svg;

/// Properties of [`LiveRun`].
#[derive(Properties, PartialEq)]
pub(crate) struct LiveRunProps {
    /// The plan being run.
    pub running: Running,
}

/// The run in progress: a progress bar over the plan, live figures, and the chart of
/// calls in flight over time against the line y = C.
#[component]
pub(crate) fn LiveRun(props: &LiveRunProps) -> Html {
    let running = &props.running;
    let total = running.plan.runs().len();
    let progress = running.progress();
    let percent = format!("{:.0} %", progress * 100.0);
    let (title, figures, chart) = match &running.live {
        None => (
            format!(
                "Preparing run {} of {total}\u{2026}",
                (running.done + 1).min(total)
            ),
            Html::default(),
            Html::default(),
        ),
        Some(live) => {
            let g = &live.gauge;
            let per_s = |n: u64| {
                if live.elapsed_s > 0.0 {
                    format_number(n as f64 / live.elapsed_s)
                } else {
                    "n/a".to_owned()
                }
            };
            let calls = if live.expected_calls > 0 {
                format!(
                    "{} of ~{}",
                    format_count(g.finished),
                    format_count(live.expected_calls)
                )
            } else {
                format_count(g.finished)
            };
            let figures = html! {
                <dl class="figures" id="live-figures">
                    <div><dt>{ "calls finished" }</dt><dd id="live-finished">{ calls }</dd></div>
                    <div><dt>{ "in flight / limit C" }</dt>
                        <dd id="live-in-flight">{ format!("{} / {}", format_count(g.in_flight), format_count(live.concurrency as u64)) }</dd></div>
                    <div><dt>{ "peak in flight" }</dt><dd id="live-peak">{ format_count(g.peak_in_flight) }</dd></div>
                    <div><dt>{ "traces found" }</dt><dd>{ format_count(g.discovered) }</dd></div>
                    <div><dt>{ "traces/s" }</dt><dd>{ per_s(g.discovered) }</dd></div>
                    <div><dt>{ "elapsed" }</dt><dd>{ format!("{:.1} s", live.elapsed_s) }</dd></div>
                </dl>
            };
            let svg = live_chart_svg(&live.as_scenario_run(&running.plan));
            let chart = html! {
                <figure class="chart live-chart" id="live-chart">
                    <Svg svg={AttrValue::from(svg)} />
                </figure>
            };
            (
                format!(
                    "Run {} of {total}: {} at C = {}",
                    live.index + 1,
                    live.model,
                    format_count(live.concurrency as u64)
                ),
                figures,
                chart,
            )
        }
    };
    html! {
        <section class="panel live" aria-labelledby="live-title" id="live">
            <h2 id="live-title">{ title }</h2>
            <div class="progress-row">
                <progress id="progress" max="1" value={progress.to_string()}
                    aria-label="Progress of the plan">{ &percent }</progress>
                <span class="percent">{ percent }</span>
            </div>
            { figures }
            { chart }
        </section>
    }
}
