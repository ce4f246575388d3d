//! Property tests: on random small graphs, every model finds every reachable trace,
//! accounts for every call, and the pool never runs more than C calls at once.

mod crawl_common;

use std::sync::Arc;

use proptest::prelude::*;
use tracepool::crawl::Model;
use tracepool::sim::SimConfig;

use crawl_common::{
    MAX_PLUGINS_PER_KIND, Yield, check_complete, config, crawl_with, expected, sim,
};

fn sim_config() -> impl Strategy<Value = SimConfig> {
    (
        any::<u64>(),
        1_usize..400,
        1_usize..4,
        0.5_f64..3.0,
        0.0_f64..2.0,
        0.0_f64..0.3,
        0.0_f64..0.3,
    )
        .prop_map(
            |(seed, traces, seed_traces, fan_out, duplicate_edges, failure_prob, panic_prob)| {
                SimConfig {
                    seed,
                    traces,
                    seed_traces: seed_traces.min(traces),
                    fan_out,
                    duplicate_edges,
                    failure_prob,
                    panic_prob,
                    ..SimConfig::default()
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_model_finds_every_reachable_trace(
        sim_config in sim_config(),
        c in 1_usize..=16,
        model in prop::sample::select(Model::ALL.to_vec()),
        yields in 1_usize..4,
    ) {
        let sim = sim(sim_config);
        let exp = expected(&sim);
        let report = crawl_with(&sim, Arc::new(Yield(yields)), config(model, c));
        // Discovered == reachable, the same calls and outcomes as the graph, lost == 0,
        // counters adding up, and for the pool a peak of at most C.
        check_complete(&sim, &report, &exp);
        prop_assert_eq!(report.discovered.len(), sim.reachable_count());
        prop_assert_eq!(report.lost, 0);
        prop_assert_eq!(report.finished(), report.jobs);
        match model {
            Model::Pool => prop_assert!(report.peak_in_flight <= c as u64),
            Model::Previous => prop_assert!(
                report.peak_in_flight <= c as u64 * MAX_PLUGINS_PER_KIND.min(c as u64)
            ),
            Model::Unbounded => {}
        }
    }
}
