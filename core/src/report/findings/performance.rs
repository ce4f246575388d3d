//! The pool is faster than the previous model at the same load.

use super::runs::{
    distinct_loads, finding, median, median_of, overlaps, runs_at, several_workloads, spread_of,
};
use super::{POOL, PREVIOUS, objectives};
use crate::report::ModelName;
use crate::report::format::{format_factor, format_seconds};
use crate::report::record::{Finding, Report, Verdict};

pub(super) fn answer(report: &Report) -> Finding {
    let show_workload = several_workloads(report);
    let mut comparisons = Vec::new();
    let mut repeated = false;
    for load in distinct_loads(report.runs.iter()) {
        let pool = runs_at(report, load, &POOL);
        let previous = runs_at(report, load, &PREVIOUS);
        let wall = |r: &crate::report::record::ScenarioRun| r.record.wall_s;
        let (Some(p), Some(q), Some(ps), Some(qs)) = (
            median_of(&pool, wall),
            median_of(&previous, wall),
            spread_of(&pool, wall),
            spread_of(&previous, wall),
        ) else {
            continue;
        };
        if p <= 0.0 || q <= 0.0 {
            continue;
        }
        repeated |= pool.len() > 1 || previous.len() > 1;
        comparisons.push((load, p, q, overlaps(ps, qs)));
    }

    if comparisons.is_empty() {
        let missing = missing_models(report, &[POOL, PREVIOUS]);
        let why = if missing.is_empty() {
            "no scenario has pool and previous runs at the same C and number of traces".to_owned()
        } else {
            format!("the report has no {} runs", missing.join(" or "))
        };
        return finding(
            objectives::IMPROVED_PERFORMANCE,
            Verdict::Inconclusive,
            vec![format!("Nothing to compare: {why}.")],
        );
    }

    let n = comparisons.len();
    let faster = comparisons
        .iter()
        .filter(|(_, p, q, same)| !same && p < q)
        .count();
    let slower = comparisons
        .iter()
        .filter(|(_, p, q, same)| !same && p > q)
        .count();
    let same = n - faster - slower;
    let ratio = median(comparisons.iter().map(|(_, p, q, _)| q / p)).unwrap_or(1.0);
    let mut text = vec![format!(
        "The pool was faster than the previous model in {faster} of {n} comparisons of median wall time \
         (median speed-up {}){}.",
        format_factor(ratio),
        if same > 0 {
            format!("; in {same} the runs' spreads overlap: no measurable difference")
        } else {
            String::new()
        }
    )];
    let details: Vec<String> = comparisons
        .iter()
        .map(|(load, p, q, same)| {
            let verdict = if *same {
                "no measurable difference".to_owned()
            } else if p <= q {
                format!("{} faster", format_factor(q / p))
            } else {
                format!("{} slower", format_factor(p / q))
            };
            format!(
                "{}: pool {}, previous {}, {verdict}",
                load.describe(show_workload),
                format_seconds(*p),
                format_seconds(*q)
            )
        })
        .collect();
    text.push(format!("{}.", details.join("; ")));
    if repeated {
        text.push(
            "Repeated runs count with their median; a difference within the min-max spread of \
             the runs is no measurable difference."
                .to_owned(),
        );
    }
    let verdict = if faster == n {
        Verdict::Supported
    } else if slower * 2 > n {
        Verdict::NotSupported
    } else {
        Verdict::Inconclusive
    };
    finding(objectives::IMPROVED_PERFORMANCE, verdict, text)
}

fn missing_models<'a>(report: &Report, wanted: &'a [ModelName]) -> Vec<&'a str> {
    let present = report.models();
    wanted
        .iter()
        .filter(|m| !present.contains(m))
        .map(ModelName::as_str)
        .collect()
}
