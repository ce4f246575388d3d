use std::rc::Rc;

use tracepool::crawl::{CrawlGauge, Model};
use tracepool::report::record::{Environment, Report, ScenarioRun, Verdict};
use yew::Reducible;

use super::*;
use crate::form::Field;
use crate::measure::empty_record;

/// A report written by `tracepool-bench` (the baseline scenario).
const NATIVE_REPORT: &str = include_str!("../../e2e/fixtures/report.json");

fn reduce(state: State, actions: impl IntoIterator<Item = Action>) -> State {
    let mut state = Rc::new(state);
    for action in actions {
        state = state.reduce(action);
    }
    Rc::try_unwrap(state).unwrap_or_else(|rc| (*rc).clone())
}

fn environment() -> Environment {
    Environment {
        os: "test browser".into(),
        cores: 2,
        ..Environment::default()
    }
}

fn started(state: State) -> State {
    let plan = state.form.validate().unwrap();
    reduce(
        state,
        [Action::Started {
            plan,
            environment: environment(),
        }],
    )
}

fn finished_run(state: &State, model: Model, c: usize, peak: u64) -> ScenarioRun {
    let plan = &state.running.as_ref().unwrap().plan;
    let mut record = empty_record(plan, model, c);
    record.peak_in_flight = peak;
    record.jobs = 300;
    record.outcomes.completed = 300;
    record.discovered = 100;
    record.wall_s = 1.0;
    record.throughput_per_s = 300.0;
    ScenarioRun {
        scenario: plan.scenario.clone(),
        record,
        series: Vec::new(),
    }
}

#[test]
fn edits_presets_and_models_change_the_form_and_its_errors() {
    let state = reduce(
        State::default(),
        [
            Action::ApplyPreset(Scenario::HighLoad),
            Action::Edit(Field::Traces, "0".into()),
            Action::ToggleModel(Model::Previous),
            Action::SetWorkload(Workload::Flat),
        ],
    );
    assert_eq!(state.form.concurrency, "10, 20, 50, 100");
    assert_eq!(state.form.models, [Model::Pool, Model::Unbounded]);
    assert_eq!(state.form.workload, Workload::Flat);
    let errors = state.errors();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, Field::Traces);
    let state = reduce(state, [Action::Edit(Field::Traces, "1000".into())]);
    assert!(state.errors().is_empty());
    assert_eq!(state.form.validate().unwrap().scenario, "high-load");
}

#[test]
fn a_plan_runs_to_its_end_and_its_runs_get_findings() {
    let mut state = started(State::default());
    assert!(state.is_running());
    assert_eq!(state.browser.environment.os, "test browser");
    // A second start while running is ignored.
    let again = started(state.clone());
    assert_eq!(again, state);

    let total = state.form.validate().unwrap().runs().len();
    assert_eq!(total, 3);
    for (i, model) in Model::ALL.into_iter().enumerate() {
        let live = LiveRun {
            index: i,
            model,
            concurrency: 10,
            expected_calls: 200,
            elapsed_s: 0.5,
            gauge: CrawlGauge {
                finished: 100,
                ..CrawlGauge::default()
            },
            series: Rc::new(Vec::new()),
        };
        state = reduce(state, [Action::Live(live)]);
        let progress = state.running.as_ref().unwrap().progress();
        assert!(
            (progress - (i as f64 + 0.5) / 3.0).abs() < 1e-9,
            "{progress}"
        );
        let run = finished_run(&state, model, 10, 10);
        state = reduce(state, [Action::RunDone(run)]);
    }
    assert_eq!(state.browser.runs.len(), 3);
    assert!(!state.browser.findings.is_empty());
    let limits = &state.browser.findings[0];
    assert_eq!(limits.verdict, Verdict::Supported, "{}", limits.text);

    state = reduce(
        state,
        [Action::Ended {
            cancelled: false,
            error: None,
        }],
    );
    assert!(!state.is_running());
    assert_eq!(state.notice.as_ref().unwrap().text, "Finished 3 runs.");
    // Runs of the same settings accumulate.
    let state = started(state);
    assert_eq!(state.browser.runs.len(), 3);
}

#[test]
fn a_pool_above_its_limit_is_a_finding_not_supported() {
    let mut state = started(State::default());
    let run = finished_run(&state, Model::Pool, 10, 11);
    state = reduce(state, [Action::RunDone(run)]);
    assert_eq!(state.browser.findings[0].verdict, Verdict::NotSupported);
}

#[test]
fn cancelling_keeps_the_finished_runs() {
    let mut state = started(State::default());
    let run = finished_run(&state, Model::Pool, 10, 10);
    state = reduce(state, [Action::RunDone(run), Action::Cancelling]);
    assert!(state.running.as_ref().unwrap().cancelling);
    state = reduce(
        state,
        [Action::Ended {
            cancelled: true,
            error: None,
        }],
    );
    assert_eq!(state.browser.runs.len(), 1);
    assert_eq!(
        state.notice.unwrap().text,
        "Cancelled: 1 of 3 runs finished and kept."
    );
}

#[test]
fn other_settings_start_a_new_report() {
    let mut state = started(State::default());
    let run = finished_run(&state, Model::Pool, 10, 10);
    state = reduce(
        state,
        [
            Action::RunDone(run),
            Action::Ended {
                cancelled: false,
                error: None,
            },
        ],
    );
    assert!(!state.replaces_runs());
    state = reduce(state, [Action::Edit(Field::Seed, "7".into())]);
    assert!(state.replaces_runs());
    let state = started(state);
    assert!(state.browser.runs.is_empty());
    assert_eq!(state.browser.settings.seed, 7);
}

#[test]
fn a_native_report_opens_with_its_findings() {
    let state = reduce(
        State::default(),
        [Action::Import {
            name: "report.json".into(),
            text: NATIVE_REPORT.into(),
        }],
    );
    let imported = state.imported.as_ref().unwrap();
    assert_eq!(state.source, Source::Imported);
    assert!(!imported.report.runs.is_empty());
    assert!(!imported.report.findings.is_empty());
    assert_eq!(*state.shown(), *imported.report);
    assert_eq!(state.notice.as_ref().unwrap().level, Level::Info);
    let back = reduce(state, [Action::Show(Source::Browser)]);
    assert_eq!(*back.shown(), *back.browser);
}

#[test]
fn a_malformed_or_foreign_file_gets_a_message_naming_the_problem() {
    let cases = [
        (
            "notes.txt",
            "hello",
            "notes.txt is not a tracepool report: a report is a JSON object",
        ),
        (
            "list.json",
            "[1, 2]",
            "list.json is not a tracepool report: a report is a JSON object",
        ),
        (
            "package.json",
            r#"{"name": "x"}"#,
            "package.json is not a tracepool report: it has no schema_version field",
        ),
        (
            "old.json",
            r#"{"schema_version": 0}"#,
            "old.json: unsupported report schema version 0 (this version reads 1 to 2)",
        ),
        (
            "cut.json",
            r#"{"schema_version": 1, "tool_version": "x""#,
            "cut.json is not a valid tracepool report: EOF while parsing an object at line 1 column 41",
        ),
        (
            "partial.json",
            r#"{"schema_version": 1}"#,
            "partial.json is not a valid tracepool report: missing field `tool_version` at line 1 column 21",
        ),
    ];
    for (name, text, expected) in cases {
        let state = reduce(
            State::default(),
            [Action::Import {
                name: name.into(),
                text: text.into(),
            }],
        );
        assert!(state.imported.is_none());
        assert_eq!(state.source, Source::Browser);
        let notice = state.notice.unwrap();
        assert_eq!(
            (notice.level, notice.text.as_str()),
            (Level::Error, expected)
        );
    }
}

#[test]
fn clearing_and_restoring_runs() {
    let native = Report::from_json(NATIVE_REPORT).unwrap();
    let mut stored = native.clone();
    stored.findings.clear();
    let state = reduce(State::default(), [Action::Restored(Ok(stored))]);
    assert_eq!(state.browser.runs, native.runs);
    assert!(
        !state.browser.findings.is_empty(),
        "findings are recomputed"
    );
    let state = reduce(state, [Action::ClearRuns]);
    assert!(state.browser.runs.is_empty());
    let state = reduce(state, [Action::Restored(Err("bad json".into()))]);
    assert!(state.notice.unwrap().text.contains("bad json"));
}

#[test]
fn showing_an_import_needs_one() {
    let state = reduce(State::default(), [Action::Show(Source::Imported)]);
    assert_eq!(state.source, Source::Browser);
}
