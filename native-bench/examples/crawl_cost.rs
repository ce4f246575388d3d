//! The crawl of `tracepool-bench run --latency-ms 0` (the simulated workload, pool
//! model, `async_io::block_on`) as one process without the runner's OS sampler, for a
//! profiler (callgrind does not run the sampler). Prints the calls, the traces
//! discovered and the wall time per call.
//!
//! ```sh
//! cargo build --release -p tracepool-bench --example crawl_cost
//! valgrind --tool=callgrind target/release/examples/crawl_cost 200000 1000
//! valgrind --tool=callgrind target/release/examples/crawl_cost 20000 1000
//! ```
//! Instructions per call: the difference of the two totals over the difference of the
//! two call counts (which removes the fixed cost of the process). The graph is built
//! before the crawl, in linear time: it is in both totals, not in the runner's CPU
//! figure.
//!
//! Arguments: traces (1 to 10^7, default 200000) and concurrency (1 to 10^6, default
//! 1000).

use std::fmt::Display;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use tracepool::crawl::{CrawlConfig, CrawlEvent, Crawler, Model};
use tracepool::sim::SimWorkload;
use tracepool::timer::HeapTimer;
use tracepool_bench::runner::RunSpec;

#[path = "support/args.rs"]
mod args;

use args::whole;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (traces, c) = match parse(&args) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("crawl_cost: {message}");
            eprintln!("usage: crawl_cost [TRACES] [CONCURRENCY]");
            return ExitCode::from(2);
        }
    };
    // The runner's workload for these flags, and its timer.
    let spec = RunSpec {
        traces,
        concurrency: c,
        latency_ms: 0.0,
        ..RunSpec::default()
    };
    let sim = match spec.sim_config().map(SimWorkload::new) {
        Ok(Ok(sim)) => sim,
        Ok(Err(e)) => return fail(e),
        Err(e) => return fail(e),
    };
    let config = CrawlConfig {
        model: Model::Pool,
        max_concurrency: c,
        ..CrawlConfig::default()
    };
    let crawler = match Crawler::new(sim.registry(Arc::new(HeapTimer::new())), config) {
        Ok(crawler) => crawler,
        Err(e) => return fail(e),
    };
    // An observer as cheap as the runner's progress bar: it counts ended calls.
    let mut finished = 0_u64;
    let start = Instant::now();
    let report = async_io::block_on(crawler.run(sim.seeds(), |event| {
        if let CrawlEvent::JobFinished { .. } = event {
            finished += 1;
        }
    }));
    let wall = start.elapsed();
    println!(
        "{} calls ({finished} ended), {} traces discovered, C = {c}: {:.1} ms, {:.0} ns/call",
        report.jobs,
        report.discovered.len(),
        wall.as_secs_f64() * 1e3,
        wall.as_secs_f64() * 1e9 / report.jobs.max(1) as f64
    );
    ExitCode::SUCCESS
}

fn fail(error: impl Display) -> ExitCode {
    eprintln!("crawl_cost: {error}");
    ExitCode::FAILURE
}

/// The traces (1 to 10^7) and the concurrency (1 to 10^6), or what is wrong.
fn parse(args: &[String]) -> Result<(usize, usize), String> {
    if args.len() > 2 {
        return Err(format!("at most 2 arguments, got {}", args.len()));
    }
    let traces = whole(args.first(), "traces", 200_000, 1..=10_000_000)?;
    let c = whole(args.get(1), "concurrency", 1_000, 1..=1_000_000)?;
    Ok((traces, c))
}
