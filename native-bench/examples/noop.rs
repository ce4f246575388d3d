//! The `overhead` benchmark's workload as one process, for a profiler: N no-op jobs
//! at most C in flight through the pool or `buffer_unordered`, on one
//! `futures::executor` thread. Prints the wall time per job.
//!
//! ```sh
//! cargo build --release -p tracepool-bench --example noop
//! valgrind --tool=callgrind target/release/examples/noop 200000 64 pool
//! ```
//! Arguments: jobs (1 to 10^9, default 1000000), concurrency (1 to 10^6, default 64)
//! and the mode: `pool` (the default: a producer task submits), `pool_stream` (the
//! pool pulls from the jobs' stream), `buffer_unordered`, `run_flat` (the path of
//! `tracepool-bench run --workload flat --latency-ms 0`: the runner, its sampler and
//! its record) or `run_flat_buffer_unordered` (the same jobs through
//! `buffer_unordered`, its peer).

use std::process::ExitCode;
use std::time::Instant;

use tracepool_bench::overhead;

#[path = "support/args.rs"]
mod args;

use args::whole;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (jobs, c, mode) = match parse(&args) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("noop: {message}");
            eprintln!("usage: noop [JOBS] [CONCURRENCY] [{}]", MODES.join("|"));
            return ExitCode::from(2);
        }
    };
    let start = Instant::now();
    let n = match mode {
        "pool" => overhead::pool(jobs, c),
        "pool_stream" => overhead::pool_stream(jobs, c),
        "buffer_unordered" => overhead::buffer_unordered(jobs, c),
        "run_flat" => overhead::run_flat(jobs, c),
        _ => overhead::run_flat_buffer_unordered(jobs, c),
    };
    if n != jobs {
        eprintln!("noop: {n} outcomes for {jobs} jobs");
        return ExitCode::FAILURE;
    }
    let wall = start.elapsed();
    println!(
        "{mode}: {jobs} jobs, C = {c}: {:.1} ms, {:.0} ns/job",
        wall.as_secs_f64() * 1e3,
        wall.as_secs_f64() * 1e9 / jobs as f64
    );
    ExitCode::SUCCESS
}

const MODES: [&str; 5] = [
    "pool",
    "pool_stream",
    "buffer_unordered",
    "run_flat",
    "run_flat_buffer_unordered",
];

/// The jobs (1 to 10^9), the concurrency (1 to 10^6) and the mode, or what is wrong.
fn parse(args: &[String]) -> Result<(u64, usize, &str), String> {
    if args.len() > 3 {
        return Err(format!("at most 3 arguments, got {}", args.len()));
    }
    let jobs = whole(args.first(), "jobs", 1_000_000, 1..=1_000_000_000)?;
    let c = whole(args.get(1), "concurrency", 64, 1..=1_000_000)?;
    let mode = match args.get(2) {
        None => "pool",
        Some(a) => MODES
            .into_iter()
            .find(|m| m == a)
            .ok_or_else(|| format!("mode: one of {}, got `{a}`", MODES.join(", ")))?,
    };
    Ok((jobs, c, mode))
}
