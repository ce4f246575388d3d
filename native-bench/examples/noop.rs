//! The `overhead` benchmark's workload as one process, for a profiler: N no-op jobs
//! at most C in flight through the pool or `buffer_unordered`, on one
//! `futures::executor` thread. Prints the wall time per job.
//!
//! ```sh
//! cargo build --release -p tracepool-bench --example noop
//! valgrind --tool=callgrind target/release/examples/noop 200000 64 pool
//! ```
//! Arguments: jobs, concurrency (defaults 1000000 64), and the mode: `pool` (the
//! default: a producer task submits), `pool_stream` (the pool pulls from the jobs'
//! stream), `buffer_unordered`, `run_flat` (the path of `tracepool-bench run
//! --workload flat --latency-ms 0`: the runner, its sampler and its record) or
//! `run_flat_buffer_unordered` (the same jobs through `buffer_unordered`, its peer).

use std::time::Instant;

use tracepool_bench::overhead;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let jobs: u64 = args
        .first()
        .map_or(Ok(1_000_000), |a| a.parse())
        .expect("jobs: a whole number");
    let c: usize = args
        .get(1)
        .map_or(Ok(64), |a| a.parse())
        .expect("concurrency: a whole number");
    let mode = args.get(2).map_or("pool", String::as_str);
    assert!(c > 0, "concurrency: at least 1");
    let start = Instant::now();
    let n = match mode {
        "pool" => overhead::pool(jobs, c),
        "pool_stream" => overhead::pool_stream(jobs, c),
        "buffer_unordered" => overhead::buffer_unordered(jobs, c),
        "run_flat" => overhead::run_flat(jobs, c),
        "run_flat_buffer_unordered" => overhead::run_flat_buffer_unordered(jobs, c),
        other => panic!(
            "mode {other:?}: pool, pool_stream, buffer_unordered, run_flat or run_flat_buffer_unordered"
        ),
    };
    assert_eq!(n, jobs);
    let wall = start.elapsed();
    println!(
        "{mode}: {jobs} jobs, C = {c}: {:.1} ms, {:.0} ns/job",
        wall.as_secs_f64() * 1e3,
        wall.as_secs_f64() * 1e9 / jobs as f64
    );
}
