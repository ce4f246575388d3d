//! The run form's fields as typed, and their validation into a [`RunPlan`].
//!
//! Every field keeps the text the user typed; [`Form::validate`] checks all of them at
//! once and names, for each invalid one, what is wrong and the accepted range. The
//! ranges are the browser's: one page, one thread, a few hundred MiB at most.

use std::fmt;

use tracepool::crawl::Model;
use tracepool::report::format::format_count;
use tracepool::report::{DEFAULT_FAILURE_RATE, DEFAULT_LATENCY_MS, DEFAULT_SEED, Scenario};

use crate::plan::{RunPlan, Workload};

/// The scenario name of runs whose traces and limits match none of the plan's
/// scenarios.
pub const CUSTOM: &str = "custom";

/// The plan's scenario whose traces and concurrency settings are exactly these, if any.
pub fn matching(traces: usize, concurrencies: &[usize]) -> Option<Scenario> {
    Scenario::ALL
        .into_iter()
        .find(|s| s.traces() == traces && s.concurrencies() == concurrencies)
}

/// Largest concurrency setting C.
pub const MAX_CONCURRENCY: u64 = 10_000;
/// Most concurrency settings in one sweep.
pub const MAX_SWEEP: usize = 8;
/// Largest synthetic graph (or number of flat calls).
pub const MAX_TRACES: u64 = 100_000;
/// Largest mean latency, in milliseconds.
pub const MAX_LATENCY_MS: f64 = 1_000.0;

/// A field of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The concurrency setting C, one value or a list.
    Concurrency,
    /// The number of traces.
    Traces,
    /// The workload.
    Workload,
    /// The mean latency.
    LatencyMs,
    /// The failure rate.
    FailureRate,
    /// The seed.
    Seed,
    /// The models to run.
    Models,
}

impl Field {
    /// The field's label on the form.
    pub fn label(self) -> &'static str {
        match self {
            Field::Concurrency => "Concurrency C",
            Field::Traces => "Traces",
            Field::Workload => "Workload",
            Field::LatencyMs => "Mean latency (ms)",
            Field::FailureRate => "Failure rate",
            Field::Seed => "Seed",
            Field::Models => "Models",
        }
    }

    /// The accepted values, as the form's help text states them.
    pub fn accepted(self) -> String {
        match self {
            Field::Concurrency => format!(
                "whole numbers from 1 to {}, up to {MAX_SWEEP} separated by commas",
                format_count(MAX_CONCURRENCY)
            ),
            Field::Traces => format!("a whole number from 1 to {}", format_count(MAX_TRACES)),
            Field::Workload => "crawl or flat".to_owned(),
            Field::LatencyMs => {
                format!("a number from 0 to {}", format_count(MAX_LATENCY_MS as u64))
            }
            Field::FailureRate => "a number from 0 to 1".to_owned(),
            Field::Seed => format!("a whole number from 0 to {}", u64::MAX),
            Field::Models => "at least one of pool, previous, unbounded".to_owned(),
        }
    }
}

/// One invalid field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field at fault.
    pub field: Field,
    /// What is wrong, ending with the accepted range.
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field.label(), self.message)
    }
}

/// The form as the user filled it in.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    /// Concurrency settings: one value or a comma-separated list (a sweep).
    pub concurrency: String,
    /// Number of traces.
    pub traces: String,
    /// The workload.
    pub workload: Workload,
    /// Mean latency in milliseconds.
    pub latency_ms: String,
    /// Probability that a call fails.
    pub failure_rate: String,
    /// Seed of the workload.
    pub seed: String,
    /// Selected models, in [`Model::ALL`] order.
    pub models: Vec<Model>,
}

impl Default for Form {
    /// The plan's baseline scenario for every model, with the native runner's defaults.
    fn default() -> Self {
        let mut form = Form {
            concurrency: String::new(),
            traces: String::new(),
            workload: Workload::Crawl,
            latency_ms: DEFAULT_LATENCY_MS.to_string(),
            failure_rate: DEFAULT_FAILURE_RATE.to_string(),
            seed: DEFAULT_SEED.to_string(),
            models: Model::ALL.to_vec(),
        };
        form.apply(Scenario::Baseline);
        form
    }
}

impl Form {
    /// Sets the traces and concurrency settings of `scenario`; the rest stays as it is.
    pub fn apply(&mut self, scenario: Scenario) {
        self.traces = scenario.traces().to_string();
        self.concurrency = scenario
            .concurrencies()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
    }

    /// Selects or deselects `model`, keeping [`Model::ALL`] order.
    pub fn toggle(&mut self, model: Model) {
        if self.models.contains(&model) {
            self.models.retain(|&m| m != model);
        } else {
            // Rebuilt from `Model::ALL` rather than sorted: no sort code in the bundle.
            self.models = Model::ALL
                .into_iter()
                .filter(|&m| m == model || self.models.contains(&m))
                .collect();
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    ///
    /// One [`FieldError`] per invalid field, in the form's order.
    pub fn validate(&self) -> Result<RunPlan, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut check = |field: Field, result: Result<(), String>| {
            if let Err(message) = result {
                errors.push(FieldError { field, message });
            }
        };
        let concurrencies = concurrencies(&self.concurrency);
        check(
            Field::Concurrency,
            concurrencies.as_ref().map(drop).map_err(Clone::clone),
        );
        let traces = whole(&self.traces, 1, MAX_TRACES, Field::Traces);
        check(
            Field::Traces,
            traces.as_ref().map(drop).map_err(Clone::clone),
        );
        let latency = decimal(&self.latency_ms, 0.0, MAX_LATENCY_MS, Field::LatencyMs);
        check(
            Field::LatencyMs,
            latency.as_ref().map(drop).map_err(Clone::clone),
        );
        let failure = decimal(&self.failure_rate, 0.0, 1.0, Field::FailureRate);
        check(
            Field::FailureRate,
            failure.as_ref().map(drop).map_err(Clone::clone),
        );
        let seed = whole(&self.seed, 0, u64::MAX, Field::Seed);
        check(Field::Seed, seed.as_ref().map(drop).map_err(Clone::clone));
        if self.models.is_empty() {
            check(
                Field::Models,
                Err(format!(
                    "none selected; accepted: {}",
                    Field::Models.accepted()
                )),
            );
        }
        match (concurrencies, traces, latency, failure, seed) {
            (Ok(concurrencies), Ok(traces), Ok(latency_ms), Ok(failure_rate), Ok(seed))
                if errors.is_empty() =>
            {
                let traces = traces as usize;
                let scenario = matching(traces, &concurrencies)
                    .map_or(CUSTOM, Scenario::name)
                    .to_owned();
                Ok(RunPlan {
                    scenario,
                    workload: self.workload,
                    traces,
                    concurrencies,
                    models: self.models.clone(),
                    latency_ms,
                    failure_rate,
                    seed,
                })
            }
            _ => Err(errors),
        }
    }
}

/// A whole number in `[min, max]`.
fn whole(text: &str, min: u64, max: u64, field: Field) -> Result<u64, String> {
    let range = || format!("accepted: {}", field.accepted());
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("required; {}", range()));
    }
    let digits = text.strip_prefix('+').unwrap_or(text);
    if let Some(rest) = digits.strip_prefix('-')
        && !rest.is_empty()
        && rest.bytes().all(|b| b.is_ascii_digit())
        && rest.bytes().any(|b| b != b'0')
    {
        return Err(format!("{text} is negative; {}", range()));
    }
    let digits = digits.replace(['_', ','], "");
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "\u{201c}{text}\u{201d} is not a whole number; {}",
            range()
        ));
    }
    match digits.parse::<u64>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        Ok(v) if v < min => Err(format!("{v} is too small; {}", range())),
        _ => Err(format!("{text} is too large; {}", range())),
    }
}

/// A finite number in `[min, max]`.
fn decimal(text: &str, min: f64, max: f64, field: Field) -> Result<f64, String> {
    let range = || format!("accepted: {}", field.accepted());
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("required; {}", range()));
    }
    match number(text) {
        Some(v) if v.is_finite() && v < min => Err(format!(
            "{text} is {}; {}",
            if v < 0.0 { "negative" } else { "too small" },
            range()
        )),
        Some(v) if v.is_finite() && v > max => Err(format!("{text} is too large; {}", range())),
        Some(v) if v.is_finite() => Ok(v + 0.0),
        _ => Err(format!(
            "\u{201c}{text}\u{201d} is not a number; {}",
            range()
        )),
    }
}

/// The number `text` spells in decimal notation (`20`, `-.5`, `1e3`), as
/// `f64::from_str` reads it; `None` for anything else (`inf`, `0x10`, `1,5`).
///
/// In the browser the page's own `Number` reads it: over these characters its grammar
/// is Rust's, and both round correctly, while Rust's float parser would add about 18 KB
/// to the bundle.
fn number(text: &str) -> Option<f64> {
    let decimal_notation = text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if text.is_empty() || !decimal_notation {
        return None;
    }
    #[cfg(target_arch = "wasm32")]
    {
        // `new Number(text)`, JavaScript's own reading of a number.
        let value = text.parse::<js_sys::Number>().ok()?.value_of();
        (!value.is_nan()).then_some(value)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        text.parse().ok()
    }
}

/// One concurrency setting or a list of them: sorted, without repeats.
fn concurrencies(text: &str) -> Result<Vec<usize>, String> {
    let items: Vec<&str> = text
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .collect();
    let range = || format!("accepted: {}", Field::Concurrency.accepted());
    if items.is_empty() {
        return Err(format!("required; {}", range()));
    }
    // Sorted as u64 by the standard library's heapsort, like core's report layer: the
    // bundle keeps one sort of them, and a small one.
    let mut values = Vec::with_capacity(items.len());
    for item in items {
        values.push(whole(item, 1, MAX_CONCURRENCY, Field::Concurrency)?);
    }
    let mut values = std::collections::BinaryHeap::from(values).into_sorted_vec();
    values.dedup();
    if values.len() > MAX_SWEEP {
        return Err(format!("{} values; {}", values.len(), range()));
    }
    Ok(values.into_iter().map(|c| c as usize).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_for(form: &Form, field: Field) -> Option<String> {
        form.validate()
            .err()?
            .into_iter()
            .find(|e| e.field == field)
            .map(|e| e.message)
    }

    #[test]
    fn the_default_form_is_the_baseline_scenario() {
        let plan = Form::default().validate().unwrap();
        assert_eq!(plan.scenario, "baseline");
        assert_eq!(
            (plan.traces, plan.concurrencies.as_slice()),
            (100, &[10][..])
        );
        assert_eq!(plan.models, Model::ALL);
        assert_eq!(
            (plan.latency_ms, plan.failure_rate, plan.seed),
            (20.0, 0.05, 42)
        );
    }

    #[test]
    fn a_scenario_matches_only_its_own_values() {
        assert_eq!(
            matching(1_000, &[10, 20, 50, 100]),
            Some(Scenario::HighLoad)
        );
        assert_eq!(matching(1_000, &[10, 20, 50]), None);
        assert_eq!(matching(100, &[20]), None);
    }

    #[test]
    fn presets_fill_traces_and_limits_and_name_the_scenario() {
        for scenario in Scenario::ALL {
            let mut form = Form::default();
            form.apply(scenario);
            let plan = form.validate().unwrap();
            assert_eq!(plan.scenario, scenario.name());
            assert_eq!(plan.traces, scenario.traces());
            assert_eq!(plan.concurrencies, scenario.concurrencies());
        }
        let form = Form {
            traces: "101".into(),
            ..Form::default()
        };
        assert_eq!(form.validate().unwrap().scenario, "custom");
    }

    #[test]
    fn absurd_traces_and_zero_concurrency_are_rejected_with_the_range() {
        let form = Form {
            traces: "1000000000".into(),
            concurrency: "0".into(),
            ..Form::default()
        };
        let errors = form.validate().unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].field, Field::Concurrency);
        assert_eq!(
            errors[0].message,
            "0 is too small; accepted: whole numbers from 1 to 10,000, up to 8 separated by commas"
        );
        assert_eq!(errors[1].field, Field::Traces);
        assert_eq!(
            errors[1].message,
            "1000000000 is too large; accepted: a whole number from 1 to 100,000"
        );
    }

    #[test]
    fn empty_negative_and_non_numeric_values_are_named() {
        let cases = [
            (
                Field::Traces,
                "",
                "required; accepted: a whole number from 1 to 100,000",
            ),
            (
                Field::Traces,
                "-5",
                "-5 is negative; accepted: a whole number from 1 to 100,000",
            ),
            (
                Field::Traces,
                "ten",
                "\u{201c}ten\u{201d} is not a whole number; accepted: a whole number from 1 to 100,000",
            ),
            (
                Field::Traces,
                "2.5",
                "\u{201c}2.5\u{201d} is not a whole number; accepted: a whole number from 1 to 100,000",
            ),
            (
                Field::Traces,
                "99999999999999999999999",
                "99999999999999999999999 is too large; accepted: a whole number from 1 to 100,000",
            ),
            (
                Field::LatencyMs,
                "-1",
                "-1 is negative; accepted: a number from 0 to 1,000",
            ),
            (
                Field::LatencyMs,
                "NaN",
                "\u{201c}NaN\u{201d} is not a number; accepted: a number from 0 to 1,000",
            ),
            (
                Field::LatencyMs,
                "inf",
                "\u{201c}inf\u{201d} is not a number; accepted: a number from 0 to 1,000",
            ),
            (
                Field::FailureRate,
                "1.5",
                "1.5 is too large; accepted: a number from 0 to 1",
            ),
            (
                Field::Seed,
                "-1",
                "-1 is negative; accepted: a whole number from 0 to 18446744073709551615",
            ),
            (
                Field::Concurrency,
                "10, x",
                "\u{201c}x\u{201d} is not a whole number; accepted: whole numbers from 1 to 10,000, up to 8 separated by commas",
            ),
            (
                Field::Concurrency,
                " , ",
                "required; accepted: whole numbers from 1 to 10,000, up to 8 separated by commas",
            ),
            (
                Field::Concurrency,
                "1,2,3,4,5,6,7,8,9",
                "9 values; accepted: whole numbers from 1 to 10,000, up to 8 separated by commas",
            ),
        ];
        for (field, text, expected) in cases {
            let mut form = Form::default();
            match field {
                Field::Traces => form.traces = text.into(),
                Field::LatencyMs => form.latency_ms = text.into(),
                Field::FailureRate => form.failure_rate = text.into(),
                Field::Seed => form.seed = text.into(),
                Field::Concurrency => form.concurrency = text.into(),
                _ => unreachable!(),
            }
            assert_eq!(
                error_for(&form, field).as_deref(),
                Some(expected),
                "{field:?} {text:?}"
            );
        }
    }

    #[test]
    fn lists_are_sorted_and_deduplicated_and_bounds_are_inclusive() {
        let form = Form {
            concurrency: "100 20;10,20, 10000 1".into(),
            traces: "100000".into(),
            latency_ms: "0".into(),
            failure_rate: "1".into(),
            seed: "18446744073709551615".into(),
            ..Form::default()
        };
        let plan = form.validate().unwrap();
        assert_eq!(plan.concurrencies, [1, 10, 20, 100, 10_000]);
        assert_eq!(plan.traces, 100_000);
        assert_eq!(plan.seed, u64::MAX);
        assert_eq!((plan.latency_ms, plan.failure_rate), (0.0, 1.0));
    }

    #[test]
    fn numbers_in_decimal_notation_are_read_as_rust_reads_them() {
        for text in [
            "0", "20", "+20", "-3", "007", "0.05", ".5", "-.5", "5.", "1e3", "1E-3", "2.5e+2",
        ] {
            assert_eq!(number(text), Some(text.parse::<f64>().unwrap()), "{text}");
        }
        // Not decimal notation: rejected, as Rust rejects it or reads no finite number.
        for text in [
            "", "+", "-", ".", "e5", "1e", "1e+", "--1", "1-", "1.2.3", "1,5", " 1", "0x10", "inf",
            "NaN", "Infinity", "1_000", "\u{661}",
        ] {
            assert_eq!(number(text), None, "{text:?}");
            assert!(
                text.parse::<f64>().map_or(true, |v| !v.is_finite()),
                "{text:?}"
            );
        }
    }

    #[test]
    fn at_least_one_model_is_needed() {
        let mut form = Form::default();
        for m in Model::ALL {
            form.toggle(m);
        }
        assert!(form.models.is_empty());
        assert!(
            error_for(&form, Field::Models)
                .unwrap()
                .starts_with("none selected")
        );
        form.toggle(Model::Unbounded);
        form.toggle(Model::Pool);
        assert_eq!(form.models, [Model::Pool, Model::Unbounded]);
        assert!(form.validate().is_ok());
    }
}
