//! The OS metrics sampler and the environment probe, against the real OS.
//!
//! Timing is never asserted: these tests share the machine with others.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use tracepool_bench::env::probe_environment;
use tracepool_bench::os::{
    AppGauges, ProcessMetrics, Sampler, SamplerError, SamplerReport, reset_peak_rss,
    set_precise_timer_slack,
};

const INTERVAL: Duration = Duration::from_millis(5);

fn spin(for_how_long: Duration) {
    let start = Instant::now();
    let mut x = 0u64;
    while start.elapsed() < for_how_long {
        x = black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
}

#[test]
fn sampler_records_monotonic_samples() {
    let sampler = Sampler::start(INTERVAL, AppGauges::default).unwrap();
    thread::sleep(INTERVAL * 10);
    let report = sampler.stop();
    assert!(!report.samples.is_empty());
    for pair in report.samples.windows(2) {
        assert!(pair[0].t_s <= pair[1].t_s, "t_s went backwards: {pair:?}");
    }
    assert!(
        report
            .samples
            .iter()
            .all(|s| s.t_s >= 0.0 && s.cpu_percent >= 0.0)
    );
}

#[cfg(target_os = "linux")]
#[test]
fn sampled_values_are_sane() {
    let sampler = Sampler::start(INTERVAL, AppGauges::default).unwrap();
    thread::sleep(INTERVAL * 4);
    let report = sampler.stop();
    for sample in &report.samples {
        assert!(sample.rss_bytes > 0, "{sample:?}");
        // This thread and the sampler's own.
        assert!(sample.os_threads.is_some_and(|n| n >= 2), "{sample:?}");
    }
    assert!(report.peak_os_threads.is_some_and(|n| n >= 2));
    assert!(report.peak_rss_bytes.is_some_and(|b| b > 0));
}

#[cfg(not(target_os = "linux"))]
#[test]
fn figures_the_system_does_not_tell_are_unavailable() {
    let sampler = Sampler::start(INTERVAL, AppGauges::default).unwrap();
    thread::sleep(INTERVAL * 4);
    let report = sampler.stop();
    for sample in &report.samples {
        assert!(sample.rss_bytes > 0, "{sample:?}");
        assert_eq!(sample.os_threads, None, "{sample:?}");
    }
    assert_eq!(report.peak_os_threads, None);
    if cfg!(windows) {
        assert_eq!(report.peak_rss_bytes, None);
        assert_eq!(ProcessMetrics::current().open_fds, None);
    }
}

#[test]
fn busy_spin_shows_cpu_use() {
    let sampler = Sampler::start(INTERVAL, AppGauges::default).unwrap();
    spin(Duration::from_millis(200));
    let report = sampler.stop();
    if cfg!(unix) {
        assert!(report.mean_cpu_percent > 0.0, "{report:?}");
        assert!(
            report.samples.iter().any(|s| s.cpu_percent > 0.0),
            "{report:?}"
        );
    }
}

#[test]
fn stop_returns_with_a_long_interval() {
    // Stopping must not wait for the next tick, a whole interval away. A stop that
    // waited would take at least the interval and take its one sample at t >= 1 s;
    // the bound below leaves most of that second to a busy machine.
    let interval = Sampler::MAX_INTERVAL;
    let sampler = Sampler::start(interval, AppGauges::default).unwrap();
    let stopping = Instant::now();
    let report = sampler.stop();
    let took = stopping.elapsed();
    assert!(
        took < interval,
        "stop took {took:?} with a {interval:?} interval"
    );
    assert_eq!(report.samples.len(), 1, "only the sample taken at stop");
    assert!(
        report.samples[0].t_s < interval.as_secs_f64(),
        "{:?}",
        report.samples
    );
}

#[test]
fn dropping_the_sampler_stops_it() {
    let calls = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&calls);
    let sampler = Sampler::start(INTERVAL, move || {
        counter.fetch_add(1, Ordering::Relaxed);
        AppGauges::default()
    })
    .unwrap();
    drop(sampler);
    let after_drop = calls.load(Ordering::Relaxed);
    thread::sleep(INTERVAL * 4);
    assert_eq!(calls.load(Ordering::Relaxed), after_drop);
}

#[test]
fn gauges_land_in_samples() {
    let completed = Arc::new(AtomicU64::new(0));
    let gauge = Arc::clone(&completed);
    let sampler = Sampler::start(INTERVAL, move || AppGauges {
        in_flight: 7,
        queued: 11,
        completed: gauge.load(Ordering::Relaxed),
    })
    .unwrap();
    thread::sleep(INTERVAL * 2);
    completed.store(42, Ordering::Relaxed);
    let report = sampler.stop();
    assert!(
        report
            .samples
            .iter()
            .all(|s| s.in_flight == 7 && s.queued == 11)
    );
    // The last sample is taken at stop, after the store.
    assert_eq!(report.samples.last().unwrap().completed, 42);
    let completed: Vec<u64> = report.samples.iter().map(|s| s.completed).collect();
    assert!(completed.windows(2).all(|w| w[0] <= w[1]), "{completed:?}");
}

#[test]
fn invalid_interval_is_rejected() {
    for bad in [
        Duration::ZERO,
        Duration::from_micros(999),
        Duration::from_millis(1001),
    ] {
        match Sampler::start(bad, AppGauges::default) {
            Err(SamplerError::IntervalOutOfRange(rejected)) => {
                assert_eq!(rejected, bad);
                let message = SamplerError::IntervalOutOfRange(rejected).to_string();
                assert!(message.contains("interval"), "{message}");
                assert!(message.contains("1..=1000 ms"), "{message}");
            }
            other => panic!("{bad:?} accepted: {other:?}"),
        }
    }
}

#[test]
#[should_panic(expected = "gauge failed")]
fn a_panic_in_the_gauges_reaches_stop() {
    let sampler = Sampler::start(INTERVAL, || panic!("gauge failed")).unwrap();
    let _ = sampler.stop();
}

#[cfg(target_os = "linux")]
#[test]
fn process_metrics_are_read() {
    let metrics = ProcessMetrics::current();
    assert!(metrics.rss_bytes > 0, "{metrics:?}");
    assert!(metrics.peak_rss_bytes.is_some_and(|b| b > 0), "{metrics:?}");
    assert!(metrics.os_threads.is_some_and(|n| n >= 1), "{metrics:?}");
    assert!(metrics.open_fds.is_some_and(|n| n >= 1), "{metrics:?}");
}

#[cfg(target_os = "linux")]
#[test]
fn peak_rss_can_be_reset() {
    const BIG: usize = 256 << 20;
    const MIB: u64 = 1 << 20;
    let peak = |m: &ProcessMetrics| m.peak_rss_bytes.expect("VmHWM on Linux");
    reset_peak_rss().unwrap();
    let before = peak(&ProcessMetrics::current());
    // A large allocation, touched so that it is resident, then freed: the peak keeps
    // it until the reset.
    let big = black_box(vec![1u8; BIG]);
    drop(big);
    let high = peak(&ProcessMetrics::current());
    assert!(
        high >= before + (BIG as u64) / 2,
        "peak {} MiB after allocating {} MiB from {} MiB",
        high / MIB,
        BIG >> 20,
        before / MIB
    );
    reset_peak_rss().unwrap();
    let after = ProcessMetrics::current();
    assert!(
        peak(&after) + (BIG as u64) / 2 <= high,
        "peak {} MiB after the reset, {} MiB before it",
        peak(&after) / MIB,
        high / MIB
    );
    // The reset peak is the current RSS (at most a little above it by now).
    assert!(peak(&after) >= after.rss_bytes.saturating_sub(16 * MIB));
}

#[cfg(target_os = "linux")]
#[test]
fn timer_slack_can_be_made_precise() {
    use nix::sys::prctl::{get_timerslack, set_timerslack};
    // On a thread of its own: the slack is per thread.
    thread::spawn(|| {
        set_timerslack(50_000).unwrap();
        assert_eq!(get_timerslack().unwrap(), 50_000);
        set_precise_timer_slack().unwrap();
        assert_eq!(get_timerslack().unwrap(), 1, "1 ns, the smallest slack");
        // Threads started from here inherit it.
        let inherited = thread::spawn(|| get_timerslack().unwrap()).join().unwrap();
        assert_eq!(inherited, 1);
    })
    .join()
    .unwrap();
}

#[test]
fn environment_probe_fills_every_field() {
    let env = probe_environment();
    assert!(!env.cpu_model.is_empty());
    assert!(env.cores >= 1);
    assert!(!env.os.is_empty());
    assert!(
        env.rustc.starts_with("rustc ") || env.rustc == "unknown",
        "{}",
        env.rustc
    );
    assert!(!env.git_commit.is_empty());
    assert!(
        env.timestamp.ends_with('Z') && env.timestamp.contains('T'),
        "{}",
        env.timestamp
    );
    if cfg!(unix) {
        assert!(env.load_avg_1m.is_some_and(|load| load >= 0.0), "{env:?}");
    } else {
        assert_eq!(env.load_avg_1m, None, "Windows has no load average");
    }
}

#[test]
fn public_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Sampler>();
    assert_send_sync::<SamplerReport>();
    assert_send_sync::<SamplerError>();
    assert_send_sync::<AppGauges>();
    assert_send_sync::<ProcessMetrics>();
}
