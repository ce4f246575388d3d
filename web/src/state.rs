//! The app's state: the form, the run in progress, the browser's runs, an imported
//! report. A plain [`State`] changed only by [`Action`]s through [`Reducible`], so
//! every transition is a pure function, tested natively.

use std::rc::Rc;

use tracepool::crawl::{CrawlGauge, Model};
use tracepool::report::Scenario;
use tracepool::report::findings::{findings, recommendations};
use tracepool::report::record::{Environment, Report, ReportError, Sample, ScenarioRun};
use yew::Reducible;

use crate::form::{Field, FieldError, Form};
use crate::plan::{RunPlan, Workload};

/// The `tool_version` of reports the app writes.
pub const TOOL_VERSION: &str = concat!("tracepool-web ", env!("CARGO_PKG_VERSION"));

/// Which report the result views show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Source {
    /// The runs made in this browser.
    #[default]
    Browser,
    /// The report opened from a file.
    Imported,
}

/// A report opened from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The file's name.
    pub name: String,
    /// Its content.
    pub report: Rc<Report>,
}

/// How a [`Notice`] should be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Something went as asked.
    Info,
    /// Something could not be done.
    Error,
}

/// A message above the results, until dismissed or replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Info or error.
    pub level: Level,
    /// The message.
    pub text: String,
}

/// The figures of the run in progress, sampled from the crawl's gauge.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveRun {
    /// Index of this run in the plan's [`runs`](RunPlan::runs).
    pub index: usize,
    /// The model running.
    pub model: Model,
    /// Its concurrency setting C.
    pub concurrency: usize,
    /// Calls the run is expected to make (the ideal schedule's count), 0 if unknown.
    pub expected_calls: u64,
    /// Seconds since the run started.
    pub elapsed_s: f64,
    /// The crawl's counters at the latest sample.
    pub gauge: CrawlGauge,
    /// Every sample so far (in flight, queued, finished over time).
    pub series: Rc<Vec<Sample>>,
}

impl LiveRun {
    /// The run so far as a [`ScenarioRun`] of `scenario`, for the live chart.
    pub fn as_scenario_run(&self, plan: &RunPlan) -> ScenarioRun {
        let mut record = crate::measure::empty_record(plan, self.model, self.concurrency);
        record.peak_in_flight = self.gauge.peak_in_flight;
        ScenarioRun {
            scenario: plan.scenario.clone(),
            record,
            series: self.series.as_ref().clone(),
        }
    }
}

/// A plan being run.
#[derive(Debug, Clone, PartialEq)]
pub struct Running {
    /// What was asked.
    pub plan: RunPlan,
    /// Runs finished so far.
    pub done: usize,
    /// The run in progress, once it has a first sample.
    pub live: Option<LiveRun>,
    /// Whether Cancel was pressed.
    pub cancelling: bool,
}

impl Running {
    /// Share of the plan done, from 0 to 1: finished runs plus the current run's
    /// finished calls against its expected calls.
    pub fn progress(&self) -> f64 {
        let total = self.plan.runs().len().max(1) as f64;
        let current = self.live.as_ref().map_or(0.0, |l| {
            if l.expected_calls == 0 {
                0.0
            } else {
                (l.gauge.finished as f64 / l.expected_calls as f64).min(1.0)
            }
        });
        ((self.done as f64 + current) / total).min(1.0)
    }
}

/// Everything the app shows.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// The form as typed.
    pub form: Form,
    /// The plan being run, if any.
    pub running: Option<Running>,
    /// The runs made in this browser, as a report (findings included).
    pub browser: Rc<Report>,
    /// The report opened from a file, if any.
    pub imported: Option<Imported>,
    /// Which report the results show.
    pub source: Source,
    /// The latest message.
    pub notice: Option<Notice>,
}

impl Default for State {
    fn default() -> Self {
        State {
            form: Form::default(),
            running: None,
            browser: Rc::new(empty_report()),
            imported: None,
            source: Source::Browser,
            notice: None,
        }
    }
}

fn empty_report() -> Report {
    let settings = Form::default()
        .validate()
        .map(|plan| plan.settings())
        .unwrap_or_default();
    Report::new(TOOL_VERSION, Environment::default(), settings)
}

/// Something that changes the [`State`].
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A text field was edited.
    Edit(Field, String),
    /// The workload was chosen.
    SetWorkload(Workload),
    /// A model was ticked or unticked.
    ToggleModel(Model),
    /// One of the plan's scenarios was applied as a preset.
    ApplyPreset(Scenario),
    /// A plan started; `environment` describes the browser.
    Started {
        /// The plan.
        plan: RunPlan,
        /// The browser it runs in.
        environment: Environment,
    },
    /// A new sample of the run in progress.
    Live(LiveRun),
    /// One run of the plan finished.
    RunDone(ScenarioRun),
    /// Cancel was pressed.
    Cancelling,
    /// The plan ended: all runs done, cancelled, or failed with `error`.
    Ended {
        /// Whether it was cancelled.
        cancelled: bool,
        /// Why it stopped early, if it failed.
        error: Option<String>,
    },
    /// A file was read for import.
    Import {
        /// The file's name.
        name: String,
        /// Its text.
        text: String,
    },
    /// A file could not be read for import.
    ImportFailed(String),
    /// The results should show this report.
    Show(Source),
    /// The browser's runs should be forgotten.
    ClearRuns,
    /// The stored runs were read at start-up.
    Restored(Result<Report, String>),
    /// A message for the user.
    Notify(Notice),
    /// The message was dismissed.
    Dismiss,
}

impl State {
    /// The form's errors, empty when it is valid.
    pub fn errors(&self) -> Vec<FieldError> {
        self.form.validate().err().unwrap_or_default()
    }

    /// The report the results show.
    pub fn shown(&self) -> Rc<Report> {
        match (&self.source, &self.imported) {
            (Source::Imported, Some(imported)) => Rc::clone(&imported.report),
            _ => Rc::clone(&self.browser),
        }
    }

    /// Whether a plan is running.
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Whether the form's plan uses other workload settings than the stored runs: it
    /// would then start a new report, dropping those runs.
    pub fn replaces_runs(&self) -> bool {
        match self.form.validate() {
            Ok(plan) => !self.browser.runs.is_empty() && plan.settings() != self.browser.settings,
            Err(_) => false,
        }
    }
}

fn with_findings(mut report: Report) -> Report {
    report.findings = findings(&report);
    report.recommendations = recommendations(&report);
    report
}

/// The message for a file that is not a readable report.
pub fn import_error(name: &str, error: &ReportError) -> String {
    match error {
        ReportError::MissingSchemaVersion => {
            format!("{name} is not a tracepool report: it has no schema_version field")
        }
        ReportError::Json(e) => format!("{name} is not a valid tracepool report: {e}"),
        _ => format!("{name}: {error}"),
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Edit(field, text) => {
                let form = &mut next.form;
                match field {
                    Field::Concurrency => form.concurrency = text,
                    Field::Traces => form.traces = text,
                    Field::LatencyMs => form.latency_ms = text,
                    Field::FailureRate => form.failure_rate = text,
                    Field::Seed => form.seed = text,
                    Field::Workload => {
                        if let Some(w) = Workload::from_name(&text) {
                            form.workload = w;
                        }
                    }
                    Field::Models => {}
                }
            }
            Action::SetWorkload(w) => next.form.workload = w,
            Action::ToggleModel(m) => next.form.toggle(m),
            Action::ApplyPreset(scenario) => next.form.apply(scenario),
            Action::Started { plan, environment } => {
                if next.running.is_some() {
                    return self;
                }
                let settings = plan.settings();
                let mut report = (*next.browser).clone();
                if report.settings != settings {
                    report = empty_report();
                    report.settings = settings;
                }
                report.environment = environment;
                next.browser = Rc::new(report);
                next.source = Source::Browser;
                next.notice = None;
                next.running = Some(Running {
                    plan,
                    done: 0,
                    live: None,
                    cancelling: false,
                });
            }
            Action::Live(live) => match &mut next.running {
                Some(running) => running.live = Some(live),
                None => return self,
            },
            Action::RunDone(run) => {
                let Some(running) = &mut next.running else {
                    return self;
                };
                running.done += 1;
                running.live = None;
                let mut report = (*next.browser).clone();
                report.runs.push(run);
                next.browser = Rc::new(with_findings(report));
            }
            Action::Cancelling => match &mut next.running {
                Some(running) => running.cancelling = true,
                None => return self,
            },
            Action::Ended { cancelled, error } => {
                let Some(running) = next.running.take() else {
                    return self;
                };
                let total = running.plan.runs().len();
                next.notice = Some(match (error, cancelled) {
                    (Some(e), _) => Notice {
                        level: Level::Error,
                        text: format!("The run stopped: {e}"),
                    },
                    (None, true) => Notice {
                        level: Level::Info,
                        text: format!(
                            "Cancelled: {} of {total} runs finished and kept.",
                            running.done
                        ),
                    },
                    (None, false) => Notice {
                        level: Level::Info,
                        text: format!("Finished {total} run{}.", if total == 1 { "" } else { "s" }),
                    },
                });
            }
            Action::Import { name, text } if !text.trim_start().starts_with('{') => {
                next.notice = Some(Notice {
                    level: Level::Error,
                    text: format!("{name} is not a tracepool report: a report is a JSON object"),
                });
            }
            Action::Import { name, text } => match Report::from_json(&text) {
                Ok(report) => {
                    let report = if report.findings.is_empty() && !report.runs.is_empty() {
                        with_findings(report)
                    } else {
                        report
                    };
                    next.notice = Some(Notice {
                        level: Level::Info,
                        text: format!(
                            "Opened {name}: {} run{}.",
                            report.runs.len(),
                            if report.runs.len() == 1 { "" } else { "s" }
                        ),
                    });
                    next.imported = Some(Imported {
                        name,
                        report: Rc::new(report),
                    });
                    next.source = Source::Imported;
                }
                Err(e) => {
                    next.notice = Some(Notice {
                        level: Level::Error,
                        text: import_error(&name, &e),
                    });
                }
            },
            Action::ImportFailed(text) => {
                next.notice = Some(Notice {
                    level: Level::Error,
                    text,
                });
            }
            Action::Show(source) => {
                if source == Source::Imported && next.imported.is_none() {
                    return self;
                }
                next.source = source;
            }
            Action::ClearRuns => {
                if next.running.is_some() {
                    return self;
                }
                let mut report = empty_report();
                report.settings = next.browser.settings.clone();
                next.browser = Rc::new(report);
            }
            Action::Restored(Ok(report)) => {
                if next.running.is_some() {
                    return self;
                }
                next.browser = Rc::new(with_findings(report));
            }
            Action::Restored(Err(e)) => {
                next.notice = Some(Notice {
                    level: Level::Error,
                    text: format!(
                        "The runs stored by an earlier visit could not be read ({e}); they were dropped."
                    ),
                });
            }
            Action::Notify(notice) => next.notice = Some(notice),
            Action::Dismiss => next.notice = None,
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests;
