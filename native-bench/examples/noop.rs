//! The `overhead` benchmark's workload as one process, for a profiler: N no-op jobs
//! at most C in flight through the pool or `buffer_unordered`, on one
//! `futures::executor` thread. Prints the wall time per job.
//!
//! ```sh
//! cargo build --release -p tracepool-bench --example noop
//! valgrind --tool=callgrind target/release/examples/noop 200000 64 pool
//! ```
//! Arguments: jobs, concurrency (defaults 1000000 64), and the mode: `pool` (the
//! default) or `buffer_unordered`.

use std::time::Instant;

use futures::StreamExt;
use tracepool::Pool;

fn arg<T: std::str::FromStr>(n: usize, default: T) -> T {
    std::env::args()
        .nth(n)
        .map(|a| {
            a.parse()
                .unwrap_or_else(|_| panic!("argument {n} is not a number"))
        })
        .unwrap_or(default)
}

fn pool(jobs: u64, c: usize) -> usize {
    let (pool, driver) = Pool::builder()
        .max_concurrency(c)
        .queue_capacity(1024)
        .build()
        .expect("valid pool");
    futures::executor::block_on(async {
        let producer = async {
            for i in 0..jobs {
                pool.submit(async move { Ok::<u64, ()>(i) })
                    .await
                    .expect("open");
            }
            pool.close();
        };
        futures::join!(producer, driver.count()).1
    })
}

fn buffer_unordered(jobs: u64, c: usize) -> usize {
    futures::executor::block_on(
        futures::stream::iter(0..jobs)
            .map(|i| async move { Ok::<u64, ()>(i) })
            .buffer_unordered(c)
            .count(),
    )
}

fn main() {
    let jobs: u64 = arg(1, 1_000_000);
    let c: usize = arg(2, 64);
    let mode = std::env::args().nth(3).unwrap_or_else(|| "pool".into());
    let start = Instant::now();
    let n = match mode.as_str() {
        "pool" => pool(jobs, c),
        "buffer_unordered" => buffer_unordered(jobs, c),
        other => panic!("unknown mode {other:?}: pool or buffer_unordered"),
    };
    assert_eq!(n as u64, jobs);
    let wall = start.elapsed();
    println!(
        "{mode}: {jobs} jobs, C = {c}: {:.1} ms, {:.0} ns/job",
        wall.as_secs_f64() * 1e3,
        wall.as_secs_f64() * 1e9 / jobs as f64
    );
}
