//! Groups `baseline`, `high_load` and `stress`: the plan's scenarios, time-scaled, for
//! every model, with the definitions the scenario runner uses (`tracepool::report::Scenario`).

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use tracepool::report::Scenario;
use tracepool_bench::interrupt::Interrupt;
use tracepool_bench::runner::{self, RunSpec};

/// Latencies are scaled down so that a criterion sample takes well under a second.
const TIME_SCALE: f64 = 0.05;

fn scenario(c: &mut Criterion, scenario: Scenario) {
    let mut group = c.benchmark_group(scenario.group_name());
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(scenario.traces() as u64));
    for (model, concurrency) in scenario.runs() {
        let spec = RunSpec {
            model,
            concurrency,
            traces: scenario.traces(),
            time_scale: TIME_SCALE * scenario.time_scale(),
            ..RunSpec::default()
        };
        group.bench_with_input(
            BenchmarkId::new(model.as_str(), concurrency),
            &spec,
            |b, spec| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| {
                            let out = runner::run(spec, None, |_| {}, &Interrupt::new())
                                .expect("valid scenario");
                            Duration::from_secs_f64(out.record.wall_s)
                        })
                        .sum()
                })
            },
        );
    }
    group.finish();
}

fn baseline(c: &mut Criterion) {
    scenario(c, Scenario::Baseline);
}

fn high_load(c: &mut Criterion) {
    scenario(c, Scenario::HighLoad);
}

fn stress(c: &mut Criterion) {
    scenario(c, Scenario::Stress);
}

criterion_group!(plan, baseline, high_load, stress);
