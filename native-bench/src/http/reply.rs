//! What the server answers to one plugin call: the simulated workload's seeded verdict,
//! told in HTTP.

use std::time::Duration;

use tracepool::Trace;
use tracepool::plugin::PluginErrorKind;
use tracepool::sim::{SimOutcome, SimWorkload};

/// The most seconds a `Retry-After` asks for.
const MAX_RETRY_AFTER_S: u64 = 5;

/// The answer to one call, and how long the server works on it first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    /// How long the call takes once a worker serves it.
    pub(crate) delay: Duration,
    /// What it ends with.
    pub(crate) answer: Answer,
    /// Whether `delay` is the slow delay, past any client's patience.
    pub(crate) slow: bool,
}

/// The end of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    /// `200` with these traces.
    Found(Vec<Trace>),
    /// An error status, with a `Retry-After` in seconds for a 429.
    Status {
        status: u16,
        retry_after_s: Option<u64>,
    },
    /// The connection is reset instead of answered.
    Reset,
}

/// The reply of `plugin` on `trace` in `sim`'s graph, or `None` when the graph has no
/// such trace or the trace's kind no such plugin.
///
/// The simulated outcome is told in HTTP: found traces are a `200`; a failure is a
/// `403`, a `429` with a seeded `Retry-After` of 1 to 5 s, a `500` or a `503` as its
/// kind says, a reset connection for a network failure, and for a timeout a `200`
/// without traces after `slow` (a response slower than the client's timeout); a panic
/// (which a server cannot cause in its client) is a `500`. Every delay but the slow one
/// is the call's seeded latency.
pub(crate) fn reply(
    sim: &SimWorkload,
    trace: &Trace,
    plugin: &str,
    slow: Duration,
) -> Option<Reply> {
    let node = sim.node(trace)?;
    let index = sim
        .plugin_names(trace.kind())
        .iter()
        .position(|name| name == plugin)?;
    let call = sim.call(node, index)?;
    let status = |status| Answer::Status {
        status,
        retry_after_s: None,
    };
    let (answer, is_slow) = match call.outcome {
        SimOutcome::Found(nodes) => (
            Answer::Found(nodes.into_iter().map(|n| sim.trace_of(n)).collect()),
            false,
        ),
        SimOutcome::Panicked => (status(500), false),
        SimOutcome::Failed(error) => match error.kind() {
            PluginErrorKind::Timeout => (Answer::Found(Vec::new()), true),
            PluginErrorKind::Network => (Answer::Reset, false),
            PluginErrorKind::RateLimited | PluginErrorKind::Http(429) => (
                Answer::Status {
                    status: 429,
                    retry_after_s: Some(retry_after_s(sim.config().seed, node.index(), index)),
                },
                false,
            ),
            PluginErrorKind::Http(code) if (400..600).contains(&code) => (status(code), false),
            _ => (status(500), false),
        },
    };
    Some(Reply {
        delay: if is_slow { slow } else { call.latency },
        answer,
        slow: is_slow,
    })
}

/// The seeded `Retry-After` of plugin `plugin` on node `node`: 1 to
/// [`MAX_RETRY_AFTER_S`] seconds.
fn retry_after_s(seed: u64, node: usize, plugin: usize) -> u64 {
    let mixed = splitmix64(seed ^ splitmix64(node as u64 ^ ((plugin as u64) << 40)));
    1 + mixed % MAX_RETRY_AFTER_S
}

/// One step of the SplitMix64 generator: a well-mixed 64-bit hash of `x`.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use tracepool::sim::SimConfig;

    use super::*;

    fn sim(failure_prob: f64) -> SimWorkload {
        SimWorkload::new(SimConfig {
            traces: 2_000,
            failure_prob,
            ..SimConfig::default()
        })
        .unwrap()
    }

    /// Every call of the graph, in node then plugin order.
    fn every_call(sim: &SimWorkload) -> impl Iterator<Item = (Trace, String)> + '_ {
        sim.nodes().flat_map(move |node| {
            let trace = sim.trace_of(node);
            sim.plugin_names(trace.kind())
                .into_iter()
                .map(move |name| (trace.clone(), name))
        })
    }

    #[test]
    fn without_failures_every_reply_is_the_simulated_call() {
        let sim = sim(0.0);
        let slow = Duration::from_secs(9);
        let mut calls = 0;
        for (trace, plugin) in every_call(&sim) {
            let reply = reply(&sim, &trace, &plugin, slow).unwrap();
            let call = sim.call_trace(&trace, &plugin).unwrap();
            let SimOutcome::Found(nodes) = call.outcome else {
                panic!("no failures asked");
            };
            let traces: Vec<Trace> = nodes.into_iter().map(|n| sim.trace_of(n)).collect();
            assert_eq!(reply.answer, Answer::Found(traces));
            assert_eq!(reply.delay, call.latency);
            assert!(!reply.slow);
            calls += 1;
        }
        assert!(calls > 2_000);
    }

    #[test]
    fn failures_become_statuses_resets_and_slow_answers() {
        let sim = sim(0.5);
        let slow = Duration::from_secs(9);
        let mut seen: BTreeMap<&str, u32> = BTreeMap::new();
        for (trace, plugin) in every_call(&sim) {
            let reply = reply(&sim, &trace, &plugin, slow).unwrap();
            let call = sim.call_trace(&trace, &plugin).unwrap();
            let name = match (&call.outcome, &reply.answer) {
                (SimOutcome::Found(_), Answer::Found(_)) => "found",
                (SimOutcome::Failed(e), answer) => match (e.kind(), answer) {
                    (PluginErrorKind::Timeout, Answer::Found(t)) if t.is_empty() => {
                        assert!(reply.slow);
                        assert_eq!(reply.delay, slow);
                        "slow"
                    }
                    (PluginErrorKind::Network, Answer::Reset) => "reset",
                    (
                        PluginErrorKind::RateLimited,
                        Answer::Status {
                            status: 429,
                            retry_after_s: Some(s),
                        },
                    ) => {
                        assert!((1..=MAX_RETRY_AFTER_S).contains(s));
                        "429"
                    }
                    (
                        PluginErrorKind::Http(code),
                        Answer::Status {
                            status,
                            retry_after_s: None,
                        },
                    ) if code == *status => "status",
                    other => panic!("{trace} {plugin}: {other:?}"),
                },
                other => panic!("{trace} {plugin}: {other:?}"),
            };
            *seen.entry(name).or_default() += 1;
        }
        for name in ["found", "slow", "reset", "429", "status"] {
            assert!(seen.get(name).copied().unwrap_or(0) > 10, "{seen:?}");
        }
    }

    #[test]
    fn unknown_traces_and_plugins_have_no_reply() {
        let sim = sim(0.0);
        let slow = Duration::from_secs(1);
        let seed = sim.seeds().remove(0);
        let plugin = sim.plugin_names(seed.kind()).remove(0);
        assert!(reply(&sim, &seed, &plugin, slow).is_some());
        assert!(reply(&sim, &seed, "username/nope", slow).is_none());
        let stranger = Trace::new(seed.kind().clone(), "nobody-at-all");
        assert!(reply(&sim, &stranger, &plugin, slow).is_none());
    }

    #[test]
    fn retry_after_is_seeded_and_spread() {
        let values: Vec<u64> = (0..200).map(|n| retry_after_s(42, n, 1)).collect();
        assert_eq!(
            values,
            (0..200)
                .map(|n| retry_after_s(42, n, 1))
                .collect::<Vec<_>>()
        );
        for s in 1..=MAX_RETRY_AFTER_S {
            assert!(values.contains(&s), "{s} never drawn");
        }
    }
}
