//! The environment probe: where and with what a report was measured.

use std::thread;
use std::time::{Instant, SystemTime};

use sysinfo::{CpuRefreshKind, RefreshKind, System};
use tracepool::report::record::Environment;

/// What a probe reports when it cannot find out.
const UNKNOWN: &str = "unknown";

/// Describes the machine, the build and the moment, for a report's header.
///
/// - `cpu_model`: the CPU's brand as `sysinfo` reads it (the first `model name` of
///   `/proc/cpuinfo` on Linux);
/// - `cores`: [`std::thread::available_parallelism`], so CPU affinity and cgroup
///   quotas are taken into account;
/// - `os`: the system's name and the kernel release, e.g.
///   `Debian GNU/Linux 12 (bookworm), kernel 6.1.0-18-amd64` (on Linux `PRETTY_NAME`
///   of `os-release`; elsewhere `sysinfo`'s long OS version, e.g.
///   `macOS 15.1.1 Sequoia, kernel 24.1.0`);
/// - `rustc` and `git_commit`: captured when this crate was built (`git_commit` ends in
///   `-dirty` when tracked files differed from the commit);
/// - `timestamp`: now, RFC 3339 in UTC to the second;
/// - `load_avg_1m`: the 1-minute load average, `None` where the system has none
///   (Windows).
///
/// Never fails: a probe that cannot find out gives `unknown`, or `None` for the load.
pub fn probe_environment() -> Environment {
    Environment {
        cpu_model: cpu_model().unwrap_or_else(|| UNKNOWN.to_owned()),
        cores: thread::available_parallelism()
            .map_or(0, |n| u64::try_from(n.get()).unwrap_or(u64::MAX)),
        os: os_description(),
        rustc: build_value(env!("TRACEPOOL_BENCH_RUSTC")),
        git_commit: build_value(env!("TRACEPOOL_BENCH_GIT_COMMIT")),
        timestamp: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        load_avg_1m: load_avg_now(),
        ..Environment::default()
    }
}

/// The 1-minute load average now, where the OS has one.
pub fn load_avg_now() -> Option<f64> {
    System::load_average().ok().map(|load| load.one)
}

/// CPU time counters of the whole machine (`/proc/stat` on Linux): steal and total, in
/// ticks. `None` where the OS does not report steal.
pub fn cpu_steal_ticks() -> Option<(u64, u64)> {
    std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|text| steal_ticks(&text))
}

/// The share of CPU time stolen between two [`cpu_steal_ticks`] readings, in percent.
pub fn steal_percent(before: (u64, u64), after: (u64, u64)) -> Option<f64> {
    let total = after.1.checked_sub(before.1)?;
    let steal = after.0.checked_sub(before.0)?;
    (total > 0).then(|| steal as f64 * 100.0 / total as f64)
}

fn steal_ticks(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    // user nice system idle iowait irq softirq steal [guest guest_nice]: guest time is
    // counted in user time already.
    let steal = *fields.get(7)?;
    Some((steal, fields.iter().take(8).sum()))
}

/// Bytes the memory-latency probe reads from: far past a CPU's own caches, and past
/// glibc's largest threshold for serving an allocation from `mmap` (32 MiB), so that
/// the probe's memory goes back to the OS when it ends.
const PROBE_BYTES: usize = 64 << 20;

/// Reads the memory-latency probe makes, one after the other.
const PROBE_READS: usize = 200_000;

/// The machine's memory latency now: nanoseconds per read of a random place in
/// 64 MiB, each read's address given by the one before (so that no two overlap and no
/// prefetcher guesses them), as the crawl's reads of its seen set and graph are.
///
/// On a virtual machine it can move by half again from one minute to the next (the
/// host's memory and shared caches are loaded by others) with neither the load average
/// nor CPU steal showing it, and memory-bound work slows with it. A report takes it
/// between its scenarios ([`Environment::memory_latency_ns`]). About 0.1 s.
///
/// Linux only, where the peak RSS is reset before each run (elsewhere the probe's
/// 64 MiB would count in the next runs' peak RSS): `None` elsewhere, and when the
/// memory cannot be had.
pub fn memory_latency_ns() -> Option<f64> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let slots = PROBE_BYTES / std::mem::size_of::<u32>();
    let mut next: Vec<u32> = Vec::new();
    next.try_reserve_exact(slots).ok()?;
    // Slot `i` holds the next slot to read: `a * i + c` modulo 2^24, a full cycle (c
    // odd, a one more than a multiple of 4) whose steps jump far and unevenly.
    let mask = slots as u64 - 1;
    next.extend((0..slots as u64).map(|i| {
        (i.wrapping_mul(0x5851_F42D_4C95_7F2D)
            .wrapping_add(0x1405_7B7E_F767_814F)
            & mask) as u32
    }));
    let mut at = 0u32;
    let started = Instant::now();
    for _ in 0..PROBE_READS {
        at = next[at as usize];
    }
    let elapsed = started.elapsed();
    std::hint::black_box(at);
    Some(elapsed.as_nanos() as f64 / PROBE_READS as f64)
}

fn build_value(value: &str) -> String {
    if value.is_empty() { UNKNOWN } else { value }.to_owned()
}

/// The brand of the first CPU.
fn cpu_model() -> Option<String> {
    let system =
        System::new_with_specifics(RefreshKind::nothing().with_cpu(CpuRefreshKind::nothing()))
            .ok()?;
    let brand = system.cpus().first()?.brand().trim();
    (!brand.is_empty()).then(|| brand.to_owned())
}

fn os_description() -> String {
    let name = os_name();
    let kernel = System::kernel_version()
        .ok()
        .map(|release| release.trim().to_owned())
        .filter(|release| !release.is_empty());
    match (name, kernel) {
        (Some(name), Some(kernel)) => format!("{name}, kernel {kernel}"),
        (Some(name), None) => name,
        (None, Some(kernel)) => format!("{}, kernel {kernel}", std::env::consts::OS),
        (None, None) => std::env::consts::OS.to_owned(),
    }
}

/// The distribution's own name for itself, `PRETTY_NAME` of `os-release` (which
/// `sysinfo` does not give: its long version reads `Linux (Debian GNU/Linux 12)`).
#[cfg(target_os = "linux")]
fn os_name() -> Option<String> {
    std::fs::read_to_string("/etc/os-release")
        .or_else(|_| std::fs::read_to_string("/usr/lib/os-release"))
        .ok()
        .and_then(|text| pretty_name(&text))
        .or_else(|| System::long_os_version().ok())
}

/// The system's long name, e.g. `macOS 15.1.1 Sequoia` or `Windows 11 Pro`.
#[cfg(not(target_os = "linux"))]
fn os_name() -> Option<String> {
    System::long_os_version()
        .ok()
        .filter(|name| !name.trim().is_empty())
}

/// The value of `PRETTY_NAME` in an `os-release` file, without its quotes.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn pretty_name(os_release: &str) -> Option<String> {
    os_release.lines().find_map(|line| {
        let value = line.trim().strip_prefix("PRETTY_NAME=")?;
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(value)
            .trim();
        (!value.is_empty()).then(|| value.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steal_is_the_eighth_counter() {
        let stat = "cpu  100 0 50 800 10 0 0 40 7 0\ncpu0 1 2 3\n";
        assert_eq!(steal_ticks(stat), Some((40, 1000)));
        assert_eq!(steal_ticks("cpu  1 2 3\n"), None);
        assert_eq!(steal_percent((40, 1000), (90, 2000)), Some(5.0));
        assert_eq!(steal_percent((40, 1000), (40, 1000)), None);
    }

    #[test]
    fn pretty_name_strips_quotes() {
        let os_release =
            "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n";
        assert_eq!(
            pretty_name(os_release).as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(pretty_name("PRETTY_NAME=Alpine").as_deref(), Some("Alpine"));
        assert_eq!(pretty_name("PRETTY_NAME=''\nID=x"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_memory_probe_times_its_reads() {
        // Each read waits for the one before: at least a cache hit's nanosecond, and
        // under a millisecond on any machine that runs the tests.
        let ns = memory_latency_ns().unwrap();
        assert!((1.0..1e6).contains(&ns), "{ns} ns per read");
    }

    #[test]
    fn empty_build_values_are_unknown() {
        assert_eq!(build_value(""), "unknown");
        assert_eq!(build_value("abc"), "abc");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_cpu_model_is_the_first_model_name_of_cpuinfo() {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap();
        let first = cpuinfo.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == "model name").then(|| value.trim().to_owned())
        });
        if let Some(first) = first {
            assert_eq!(cpu_model(), Some(first));
        }
    }
}
