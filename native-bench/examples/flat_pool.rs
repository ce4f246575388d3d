//! The pool alone on the flat workload: N jobs, each sleeping its jittered duration
//! on a timer, at most C in flight. Prints wall time, CPU time, the ideal makespan
//! (durations list-scheduled on C slots), efficiency and timer accuracy.
//!
//! ```sh
//! cargo run --release -p tracepool-bench --example flat_pool -- 100000 10000 10
//! /usr/bin/time -v target/release/examples/flat_pool 1000000 1000 1
//! # timers side by side: 5 rounds, each running every timer once, in turn
//! target/release/examples/flat_pool 100000 10000 10 stream reactor,finishing,heap 5
//! ```
//! Arguments: jobs, concurrency, mean latency in ms (defaults 100000 10000 10); the
//! mode: `submit` (a producer task, the default), `try_submit` (the consumer tops the
//! queue up, as the crawl engine does), `stream` (the pool pulls from the jobs'
//! stream, `build_stream`) or `buffer_unordered` (the peer, for a side-by-side ratio);
//! the timers behind the sleeps, comma-separated: `reactor` (async-io's timer, the
//! default), `finishing` or `heap` (as the runner's `--timer`); and the number of
//! rounds (default 1). With several runs, a summary gives each timer's medians and
//! their ratios to the first timer's.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use tracepool::Pool;
use tracepool::sim::{FlatWorkload, SleepStats};
use tracepool::timer::{AsyncIoTimer, FinishingTimer, HeapTimer, Timer};

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

/// One job of the flat workload: sleeps `duration` on `timer` and records how long it
/// really slept. The same job for the pool and its peer.
async fn sleep_job(
    timer: Arc<dyn Timer>,
    duration: Duration,
    stats: Arc<SleepStats>,
) -> Result<(), ()> {
    let start = Instant::now();
    timer.sleep(duration).await;
    stats.record(duration, start.elapsed());
    Ok(())
}

/// CPU time of the process so far, user plus system.
fn cpu_time() -> Duration {
    tracepool_bench::os::ProcessMetrics::current().cpu_time
}

/// The timer named `name`, if there is one.
fn make_timer(name: &str) -> Option<Arc<dyn Timer>> {
    match name {
        "reactor" => Some(Arc::new(AsyncIoTimer)),
        "finishing" => Some(Arc::new(FinishingTimer::new())),
        "heap" => Some(Arc::new(HeapTimer::new())),
        _ => None,
    }
}

const MODES: [&str; 4] = ["submit", "try_submit", "stream", "buffer_unordered"];

/// What one run measured.
#[derive(Debug, Clone, Copy)]
struct Figures {
    wall: Duration,
    cpu: Duration,
    efficiency: f64,
    overshoot_us: f64,
}

/// Runs the flat workload once in `mode` with `timer`; prints and returns its figures.
fn run(mode: &str, timer_name: &str, flat: &FlatWorkload, c: usize) -> Figures {
    let timer = make_timer(timer_name).expect("checked in main");
    let ideal = flat.ideal_makespan(c);
    // Durations are computed as jobs are submitted (a hash each): memory stays flat
    // in the number of jobs.
    let stats = Arc::new(SleepStats::new());
    let job = |duration| sleep_job(Arc::clone(&timer), duration, Arc::clone(&stats));
    let cpu = cpu_time();
    let started = Instant::now();
    let (finished, peak) = match mode {
        "buffer_unordered" => {
            let n = async_io::block_on(
                futures::stream::iter(flat.durations())
                    .map(job)
                    .buffer_unordered(c)
                    .count(),
            );
            (n, None)
        }
        "stream" => {
            // The pool pulls its jobs from their stream (`build_stream`): no producer task.
            let (pool, driver) = Pool::builder()
                .max_concurrency(c)
                .build_stream(futures::stream::iter(flat.durations()).map(job))
                .expect("valid pool");
            let n = async_io::block_on(driver.count());
            (n, Some(pool.metrics().peak_in_flight))
        }
        "try_submit" => {
            // The pattern of the crawl engine: the consumer of the outcomes tops the
            // queue up with `try_submit` before waiting for the next one; no producer.
            let (pool, mut driver) = Pool::builder()
                .max_concurrency(c)
                .build()
                .expect("valid pool");
            let n = async_io::block_on(async {
                let mut durations = flat.durations();
                let mut held = None;
                let mut finished = 0usize;
                loop {
                    loop {
                        let next = match held.take() {
                            Some(next) => next,
                            None => match durations.next() {
                                Some(duration) => job(duration),
                                None => {
                                    pool.close();
                                    break;
                                }
                            },
                        };
                        if let Err(e) = pool.try_submit(next) {
                            held = Some(e.into_inner());
                            break;
                        }
                    }
                    match driver.next().await {
                        Some(_) => finished += 1,
                        None => break finished,
                    }
                }
            });
            (n, Some(pool.metrics().peak_in_flight))
        }
        "submit" => {
            let (pool, mut driver) = Pool::builder()
                .max_concurrency(c)
                .build()
                .expect("valid pool");
            let n = async_io::block_on(async {
                let producer = async {
                    for duration in flat.durations() {
                        pool.submit(job(duration)).await.expect("pool open");
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
            });
            (n, Some(pool.metrics().peak_in_flight))
        }
        other => unreachable!("mode {other} checked in main"),
    };
    let wall = started.elapsed();
    let cpu = cpu_time() - cpu;
    let figures = Figures {
        wall,
        cpu,
        efficiency: ideal.as_secs_f64() / wall.as_secs_f64(),
        overshoot_us: stats.mean_overshoot_us(),
    };
    let peak = peak.map_or(String::new(), |p| format!(", peak in flight {p}"));
    println!(
        "{mode} {timer_name}: jobs {finished} C {c}: wall {:.3} s, cpu {:.3} s, ideal {:.3} s, \
         efficiency {:.3}, mean overshoot {:.0} µs, early wake-ups {}{peak}",
        wall.as_secs_f64(),
        cpu.as_secs_f64(),
        ideal.as_secs_f64(),
        figures.efficiency,
        figures.overshoot_us,
        stats.snapshot().early_wakeups,
    );
    figures
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn main() {
    let jobs: usize = arg(1, 100_000, "a number of jobs");
    let c: usize = arg(2, 10_000, "a concurrency of at least 1");
    let mean_ms: f64 = arg(3, 10.0, "a number of milliseconds");
    let mode = std::env::args().nth(4).unwrap_or_else(|| "submit".into());
    let timers: Vec<String> = std::env::args()
        .nth(5)
        .unwrap_or_else(|| "reactor".into())
        .split(',')
        .map(str::to_owned)
        .collect();
    let rounds: usize = arg(6, 1, "a number of rounds of at least 1");
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
    if !MODES.contains(&mode.as_str()) {
        usage(&format!(
            "argument 4 must be a mode ({}), got `{mode}`",
            MODES.join(", ")
        ));
    }
    if let Some(name) = timers.iter().find(|name| make_timer(name).is_none()) {
        usage(&format!(
            "argument 5 must be timers, comma-separated (reactor, finishing, heap), got `{name}`"
        ));
    }
    if rounds == 0 {
        usage("argument 6 must be a number of rounds of at least 1");
    }
    let _ = tracepool_bench::os::set_precise_timer_slack();
    let flat = FlatWorkload::new(jobs, Duration::from_secs_f64(mean_ms / 1e3));
    let mut runs: Vec<Vec<Figures>> = vec![Vec::new(); timers.len()];
    for _ in 0..rounds {
        for (name, runs) in timers.iter().zip(&mut runs) {
            runs.push(run(&mode, name, &flat, c));
        }
    }
    if rounds * timers.len() < 2 {
        return;
    }
    println!(
        "medians of {rounds} alternating rounds ({mode}, {jobs} jobs, C = {c}, {mean_ms} ms):"
    );
    let medians: Vec<[f64; 4]> = runs
        .iter()
        .map(|runs| {
            let of = |f: fn(&Figures) -> f64| median(runs.iter().map(f).collect());
            [
                of(|r| r.wall.as_secs_f64()),
                of(|r| r.cpu.as_secs_f64()),
                of(|r| r.efficiency),
                of(|r| r.overshoot_us),
            ]
        })
        .collect();
    let base = medians[0];
    for (name, m) in timers.iter().zip(&medians) {
        println!(
            "  {name}: wall {:.3} s, cpu {:.3} s ({:.2}x {first}), efficiency {:.3}, \
             mean overshoot {:.0} µs",
            m[0],
            m[1],
            m[1] / base[1],
            m[2],
            m[3],
            first = timers[0],
        );
    }
}
