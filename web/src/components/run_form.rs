use tracepool::crawl::Model;
use tracepool::report::{KnownName, Scenario};
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::field::TextField;
use crate::form::{self, Field, FieldError, Form};
use crate::plan::Workload;
use crate::state::Action;

/// Properties of [`RunForm`].
#[derive(Properties, PartialEq)]
pub(crate) struct RunFormProps {
    /// The form as typed.
    pub form: Form,
    /// Whether a plan is running (the form is then read-only).
    pub running: bool,
    /// Whether Cancel was pressed and the run is winding down.
    pub cancelling: bool,
    /// How many stored runs the next plan would replace (other settings), if any.
    pub replaces: Option<usize>,
    /// Edits of the form.
    pub on_action: Callback<Action>,
    /// Run was pressed on a valid form.
    pub on_run: Callback<()>,
    /// Cancel was pressed.
    pub on_cancel: Callback<()>,
}

fn model_help(model: Model) -> &'static str {
    match model {
        Model::Pool => "the bounded worker pool: at most C calls in flight",
        Model::Previous => "batches of C traces, C calls per trace, barriers between batches",
        Model::Unbounded => "every call starts at once: no limit",
    }
}

/// The run form: presets, the workload's settings, the models, Run and Cancel.
#[component]
pub(crate) fn RunForm(props: &RunFormProps) -> Html {
    let form = &props.form;
    let errors: Vec<FieldError> = form.validate().err().unwrap_or_default();
    let error_of = |field: Field| {
        errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
    };
    let edit = |field: Field| {
        props
            .on_action
            .reform(move |text: String| Action::Edit(field, text))
    };
    let disabled = props.running;
    let current = form
        .validate()
        .ok()
        .and_then(|plan| form::matching(plan.traces, &plan.concurrencies));

    let presets = Scenario::ALL.into_iter().map(|scenario| {
        let onclick = props
            .on_action
            .reform(move |_: MouseEvent| Action::ApplyPreset(scenario));
        let pressed = current == Some(scenario);
        html! {
            <button type="button" class="preset" id={format!("preset-{scenario}")}
                aria-pressed={if pressed { "true" } else { "false" }} {disabled} {onclick}>
                <span class="preset-name">{ scenario.name() }</span>
                <span class="preset-summary">{ KnownName::summary(scenario) }</span>
            </button>
        }
    });

    let models = Model::ALL.into_iter().map(|model| {
        let id = format!("model-{model}");
        let onchange = props
            .on_action
            .reform(move |_: Event| Action::ToggleModel(model));
        html! {
            <label class="check" for={id.clone()}>
                <input type="checkbox" id={id} checked={form.models.contains(&model)}
                    {disabled} {onchange} />
                <span><strong>{ model.as_str() }</strong>{ ": " }{ model_help(model) }</span>
            </label>
        }
    });

    let on_workload = props.on_action.reform(|e: Event| {
        let name = e.target_unchecked_into::<HtmlSelectElement>().value();
        Action::SetWorkload(Workload::from_name(&name).unwrap_or_default())
    });
    let onsubmit = {
        let on_run = props.on_run.clone();
        let valid = errors.is_empty();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if valid {
                on_run.emit(());
            }
        })
    };
    let on_cancel = props.on_cancel.reform(|_: MouseEvent| ());
    let plan = form.validate().ok();
    let summary = match (&plan, errors.len()) {
        (Some(plan), _) => {
            let runs = plan.runs().len();
            format!(
                "{runs} run{} ({} model{} \u{d7} {} value{} of C) on {} traces, recorded as scenario \u{201c}{}\u{201d}.",
                if runs == 1 { "" } else { "s" },
                plan.models.len(),
                if plan.models.len() == 1 { "" } else { "s" },
                plan.concurrencies.len(),
                if plan.concurrencies.len() == 1 {
                    ""
                } else {
                    "s"
                },
                plan.traces,
                plan.scenario,
            )
        }
        (None, n) => format!(
            "Fix the {n} field{} marked above to run.",
            if n == 1 { "" } else { "s" }
        ),
    };

    html! {
        <form class="run-form" {onsubmit} novalidate=true aria-labelledby="form-title">
            <h2 id="form-title">{ "Run the scenarios" }</h2>
            <fieldset class="presets">
                <legend>{ "Presets: the benchmarking plan's scenarios" }</legend>
                { for presets }
            </fieldset>
            <div class="fields">
                <TextField id="concurrency" label={Field::Concurrency.label()}
                    help="The limit C: one value, or several separated by commas for a sweep (1 to 10,000)."
                    value={form.concurrency.clone()} error={error_of(Field::Concurrency)}
                    inputmode="text" {disabled} on_input={edit(Field::Concurrency)} />
                <TextField id="traces" label={Field::Traces.label()}
                    help="Size of the synthetic trace graph, or number of calls for the flat workload (1 to 100,000)."
                    value={form.traces.clone()} error={error_of(Field::Traces)}
                    {disabled} on_input={edit(Field::Traces)} />
                <div class="field">
                    <label for="workload">{ Field::Workload.label() }</label>
                    <select id="workload" name="workload" {disabled} onchange={on_workload}
                        aria-describedby="workload-help">
                        { for Workload::ALL.into_iter().map(|w| html! {
                            <option value={w.name()} selected={form.workload == w}>{ w.name() }</option>
                        }) }
                    </select>
                    <p class="help" id="workload-help">
                        { "crawl: the seeded trace graph (fan-out, cycles, failures); flat: independent calls." }
                    </p>
                </div>
                <TextField id="latency" label={Field::LatencyMs.label()}
                    help="Mean simulated call latency, long-tailed (p99 = 10 \u{d7} mean), 0 to 1,000. At 0 no call sleeps; each waits one turn of the page's event loop instead."
                    value={form.latency_ms.clone()} error={error_of(Field::LatencyMs)}
                    inputmode="decimal" {disabled} on_input={edit(Field::LatencyMs)} />
                <TextField id="failure-rate" label={Field::FailureRate.label()}
                    help="Probability that a call fails, crawl only (0 to 1; 0.05 = 5 %)."
                    value={form.failure_rate.clone()} error={error_of(Field::FailureRate)}
                    inputmode="decimal" disabled={disabled || form.workload == Workload::Flat}
                    on_input={edit(Field::FailureRate)} />
                <TextField id="seed" label={Field::Seed.label()}
                    help="Seed of the graph, latencies and failures: the same seed crawls the same graph."
                    value={form.seed.clone()} error={error_of(Field::Seed)}
                    {disabled} on_input={edit(Field::Seed)} />
                <div class="field">
                    <label for="panic-rate">{ "Panic rate" }</label>
                    <input id="panic-rate" type="text" value="0" disabled=true
                        aria-describedby="panic-help" />
                    <p class="help" id="panic-help">
                        { "Not available here: in WebAssembly a panic aborts the whole app. \
                           The native runner measures panics (--panic-rate)." }
                    </p>
                </div>
            </div>
            <fieldset class={classes!("models", error_of(Field::Models).is_some().then_some("invalid"))}
                aria-describedby={error_of(Field::Models).map(|_| "models-error")}>
                <legend>{ Field::Models.label() }</legend>
                { for models }
                if let Some(error) = error_of(Field::Models) {
                    <p class="error" id="models-error">{ error }</p>
                }
            </fieldset>
            if let Some(n) = props.replaces {
                <p class="warning" id="replaces">
                    { format!("These settings differ from those of the {n} stored run{}: running replaces them (export them first to keep them).", if n == 1 { "" } else { "s" }) }
                </p>
            }
            <div class="actions">
                <button type="submit" id="run" class="primary"
                    disabled={props.running || !errors.is_empty()}>
                    { if props.running { "Running\u{2026}" } else { "Run" } }
                </button>
                <button type="button" id="cancel" disabled={!props.running || props.cancelling}
                    onclick={on_cancel}>
                    { if props.cancelling { "Cancelling\u{2026}" } else { "Cancel" } }
                </button>
                <p class="summary" id="plan-summary" aria-live="polite">{ summary }</p>
            </div>
        </form>
    }
}
