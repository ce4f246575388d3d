//! The recommended concurrency limit per model: the knee of its throughput curve.

use super::KNEE_SHARE;
use super::curve::{knee, sweep};
use super::runs::first_max;
use crate::report::format::{format_count, format_mib_of, format_number, format_rate};
use crate::report::record::{Recommendation, Report};

/// One recommended concurrency limit per model, in the order models first appear.
///
/// Each model's runs in the report's sweep over C ([`Scenario::sweep_of`]) make its
/// throughput curve; the recommendation is the curve's knee: the smallest C whose
/// throughput is within 5 % ([`KNEE_SHARE`]) of the best. Repeated runs of one C count
/// with their median, and a C whose throughput spread (min-max) overlaps the best's
/// is as good as the best: no measurable difference. A model measured there at fewer
/// than two C gets no recommendation, nor does a model that ignores C
/// ([`Model::Unbounded`]).
///
/// [`Model::Unbounded`]: crate::crawl::Model::Unbounded
///
/// [`Scenario::sweep_of`]: crate::report::Scenario::sweep_of
pub fn recommendations(report: &Report) -> Vec<Recommendation> {
    let mut out = Vec::new();
    for model in report.models() {
        if model.known() == Some(crate::crawl::Model::Unbounded) {
            continue;
        }
        let Some((scenario, curve)) = sweep(report, model) else {
            continue;
        };
        let Some(knee) = knee(&curve) else {
            continue;
        };
        let best = first_max(curve.iter(), |p| p.throughput).unwrap_or(knee);
        let traces = curve.first().map_or(0, |p| p.traces);
        let mut reason = format!("In {scenario} ({} traces), ", format_count(traces));
        if knee.concurrency == best.concurrency {
            reason.push_str(&format!(
                "C = {} gives the best throughput, {}/s; no smaller C comes within {} % of it",
                format_count(knee.concurrency),
                format_rate(best.throughput),
                format_number((1.0 - KNEE_SHARE) * 100.0),
            ));
        } else {
            reason.push_str(&format!(
                "C = {} reaches {}/s, {} % of the best {}/s (at C = {}); a larger C buys at most {} % more",
                format_count(knee.concurrency),
                format_rate(knee.throughput),
                format_number(knee.throughput / best.throughput * 100.0),
                format_rate(best.throughput),
                format_count(best.concurrency),
                format_number((best.throughput / knee.throughput - 1.0) * 100.0),
            ));
            if knee.throughput < best.throughput * KNEE_SHARE {
                reason
                    .push_str(", within the min-max spread of the runs: no measurable difference");
            }
        }
        reason.push_str(&format!(
            ". At C = {}: peak RSS {}, CPU {} %.",
            format_count(knee.concurrency),
            format_mib_of(knee.peak_rss_bytes),
            format_number(knee.cpu_percent),
        ));
        let largest = curve.iter().map(|p| p.concurrency).max().unwrap_or(0);
        if best.concurrency == largest && knee.concurrency == largest {
            reason.push_str(
                " Throughput was still rising at the largest C measured; a larger C may do better.",
            );
        }
        out.push(Recommendation {
            model: model.clone(),
            concurrency: knee.concurrency,
            reason,
        });
    }
    out
}
