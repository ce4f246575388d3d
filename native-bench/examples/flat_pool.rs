//! The pool alone on the flat workload: N jobs, each sleeping its jittered duration
//! on the precise timer, at most C in flight. Prints wall time, the ideal makespan
//! (durations list-scheduled on C slots), efficiency and timer accuracy.
//!
//! ```sh
//! cargo run --release -p tracepool-bench --example flat_pool -- 100000 10000 10
//! /usr/bin/time -v target/release/examples/flat_pool 1000000 1000 1
//! ```
//! Arguments: jobs, concurrency, mean latency in ms (defaults 100000 10000 10), and
//! the mode: `submit` (a producer task, the default), `try_submit` (the consumer tops
//! the queue up, as the crawl engine does), `stream` (the pool pulls from the jobs'
//! stream, `build_stream`) or `buffer_unordered` (the peer, for a side-by-side ratio).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use tracepool::Pool;
use tracepool::sim::{FlatWorkload, SleepStats};

/// Argument `n`, or `default` when it is missing; ends the process with a message when
/// it is not a `what`.
fn arg<T: std::str::FromStr>(n: usize, default: T, what: &str) -> T {
    std::env::args().nth(n).map_or(default, |a| {
        a.parse()
            .unwrap_or_else(|_| usage(&format!("argument {n} must be {what}, got `{a}`")))
    })
}

fn usage(message: &str) -> ! {
    eprintln!("flat_pool: {message}");
    std::process::exit(2)
}

/// One job of the flat workload: sleeps `duration` on async-io's timer and records how
/// long it really slept. The same job for the pool and its peer.
async fn sleep_job(duration: Duration, stats: Arc<SleepStats>) -> Result<(), ()> {
    let start = Instant::now();
    async_io::Timer::after(duration).await;
    stats.record(duration, start.elapsed());
    Ok(())
}

/// CPU time of the process so far, user plus system.
fn cpu_time() -> Duration {
    tracepool_bench::os::ProcessMetrics::current().cpu_time
}

fn main() {
    let jobs: usize = arg(1, 100_000, "a number of jobs");
    let c: usize = arg(2, 10_000, "a concurrency of at least 1");
    let mean_ms: f64 = arg(3, 10.0, "a number of milliseconds");
    if c == 0 {
        usage("argument 2 must be a concurrency of at least 1");
    }
    // The runner's own range: every duration derived from it stays far from overflow.
    let range = tracepool_bench::runner::LATENCY_MS;
    if !(mean_ms.is_finite() && range.contains(&mean_ms)) {
        usage(&format!(
            "argument 3 must be a number of milliseconds from {} to {}, got {mean_ms}",
            range.start(),
            range.end()
        ));
    }
    let _ = tracepool_bench::os::set_precise_timer_slack();
    let flat = FlatWorkload::new(jobs, Duration::from_secs_f64(mean_ms / 1e3));
    let ideal = flat.ideal_makespan(c);
    // Durations are computed as jobs are submitted (a hash each): memory stays flat
    // in the number of jobs.
    let stats = Arc::new(SleepStats::new());
    if std::env::args().nth(4).as_deref() == Some("buffer_unordered") {
        let cpu = cpu_time();
        let started = Instant::now();
        let n = async_io::block_on(
            futures::stream::iter(flat.durations())
                .map(|duration| sleep_job(duration, Arc::clone(&stats)))
                .buffer_unordered(c)
                .count(),
        );
        let wall = started.elapsed();
        let cpu = cpu_time() - cpu;
        println!(
            "buffer_unordered jobs {n} C {c}: wall {:.3} s, cpu {:.3} s, efficiency {:.3}, \
             mean overshoot {:.0} µs",
            wall.as_secs_f64(),
            cpu.as_secs_f64(),
            ideal.as_secs_f64() / wall.as_secs_f64(),
            stats.mean_overshoot_us()
        );
        return;
    }
    if std::env::args().nth(4).as_deref() == Some("stream") {
        // The pool pulls its jobs from their stream (`build_stream`): no producer task.
        let cpu = cpu_time();
        let started = Instant::now();
        let jobs = futures::stream::iter(flat.durations())
            .map(|duration| sleep_job(duration, Arc::clone(&stats)));
        let (pool, driver) = Pool::builder()
            .max_concurrency(c)
            .build_stream(jobs)
            .expect("valid pool");
        let n = async_io::block_on(driver.count());
        let wall = started.elapsed();
        let cpu = cpu_time() - cpu;
        println!(
            "stream jobs {n} C {c}: wall {:.3} s, cpu {:.3} s, efficiency {:.3}, \
             mean overshoot {:.0} µs, peak in flight {}",
            wall.as_secs_f64(),
            cpu.as_secs_f64(),
            ideal.as_secs_f64() / wall.as_secs_f64(),
            stats.mean_overshoot_us(),
            pool.metrics().peak_in_flight,
        );
        return;
    }
    let (pool, mut driver) = Pool::builder()
        .max_concurrency(c)
        .build()
        .expect("valid pool");
    let cpu = cpu_time();
    let started = Instant::now();
    let finished = if std::env::args().nth(4).as_deref() == Some("try_submit") {
        // The pattern of the crawl engine: the consumer of the outcomes tops the queue
        // up with `try_submit` before waiting for the next one; no producer task.
        async_io::block_on(async {
            let mut durations = flat.durations();
            let mut held = None;
            let mut finished = 0usize;
            loop {
                loop {
                    let job = match held.take() {
                        Some(job) => job,
                        None => match durations.next() {
                            Some(duration) => sleep_job(duration, Arc::clone(&stats)),
                            None => {
                                pool.close();
                                break;
                            }
                        },
                    };
                    if let Err(e) = pool.try_submit(job) {
                        held = Some(e.into_inner());
                        break;
                    }
                }
                match driver.next().await {
                    Some(_) => finished += 1,
                    None => break finished,
                }
            }
        })
    } else {
        async_io::block_on(async {
            let producer = async {
                for duration in flat.durations() {
                    pool.submit(sleep_job(duration, Arc::clone(&stats)))
                        .await
                        .expect("pool open");
                }
                pool.close();
            };
            let consumer = async {
                let mut n = 0usize;
                while driver.next().await.is_some() {
                    n += 1;
                }
                n
            };
            futures::join!(producer, consumer).1
        })
    };
    let wall = started.elapsed();
    let cpu = cpu_time() - cpu;
    let metrics = pool.metrics();
    println!(
        "jobs {finished} C {c} mean {mean_ms} ms: wall {:.3} s, cpu {:.3} s, ideal {:.3} s, \
         efficiency {:.3}, simple efficiency {:.3}, mean overshoot {:.0} µs, peak in flight {}",
        wall.as_secs_f64(),
        cpu.as_secs_f64(),
        ideal.as_secs_f64(),
        ideal.as_secs_f64() / wall.as_secs_f64(),
        flat.total_duration().as_secs_f64() / c as f64 / wall.as_secs_f64(),
        stats.mean_overshoot_us(),
        metrics.peak_in_flight,
    );
}
