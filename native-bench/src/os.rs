//! Process metrics from the OS, and a [`Sampler`] that records them during a run.
//!
//! Everything here describes the *current process* as the kernel sees it: CPU time
//! (user + system, all threads), resident set size, peak resident set size, OS threads
//! and open file descriptors.
//!
//! # Platforms
//!
//! A metric a system does not tell is `None` (`null` in a record, `n/a` in a table),
//! never a made-up 0:
//!
//! | metric | Linux | macOS | Windows |
//! |---|---|---|---|
//! | CPU time | `getrusage(2)` | `getrusage(2)` | `sysinfo` |
//! | RSS | `/proc/self/stat` | `sysinfo` | `sysinfo` (working set) |
//! | peak RSS | `VmHWM` (`/proc/self/status`), resettable | `getrusage(2)`, not resettable | `None` |
//! | OS threads | `/proc/self/stat` | `None` | `None` |
//! | open file descriptors | `/proc/self/fd` | `sysinfo` | `None` (Windows counts handles, not files) |
//!
//! CPU time comes from `getrusage(2)` where there is one: it counts in microseconds,
//! where `/proc/self/stat` (and `sysinfo`, which reads it on Linux) counts 10 ms clock
//! ticks. On Linux one read of `/proc/self/stat` gives a sample's RSS and threads, for
//! about a third of the cost of `sysinfo`'s refresh of the process (which opens four
//! files under `/proc` each time), and `sysinfo` has no count of threads. On Windows `sysinfo` refreshes a process from a snapshot of all of them,
//! which costs more per sample than on the Unix systems.
//!
//! [`reset_peak_rss`] and [`set_precise_timer_slack`] are Linux-only and return an
//! [`io::ErrorKind::Unsupported`] error elsewhere. Without a reset (macOS), a run's
//! peak RSS is known only when the run raised the process's peak; otherwise it is
//! `None` (see [`SamplerReport::peak_rss_bytes`]).

use std::error::Error;
use std::fmt;
use std::io;
use std::panic;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use tracepool::report::record::Sample;

/// A snapshot of the current process's metrics, read from the OS.
///
/// A metric the system does not tell is `None` (see the [module docs](self)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcessMetrics {
    /// CPU time consumed so far by all threads of the process, user plus system.
    pub cpu_time: Duration,
    /// Resident set size, in bytes.
    pub rss_bytes: u64,
    /// Highest resident set size since the process started or since the last
    /// [`reset_peak_rss`], in bytes (`VmHWM` on Linux); `None` on Windows.
    pub peak_rss_bytes: Option<u64>,
    /// OS threads of the process; `None` off Linux.
    pub os_threads: Option<u64>,
    /// Open file descriptors of the process; `None` on Windows.
    pub open_fds: Option<u64>,
}

impl ProcessMetrics {
    /// Reads all metrics of the current process.
    ///
    /// On Linux this reads a few files under `/proc/self` and lists its `fd`
    /// directory; to follow a run over time use a [`Sampler`], which reads only what a
    /// [`Sample`] needs.
    pub fn current() -> Self {
        let mut probe = platform::Probe::new();
        let (rss_bytes, os_threads) = probe.rss_and_threads();
        Self {
            cpu_time: probe.cpu_time(),
            rss_bytes,
            peak_rss_bytes: probe.peak_rss_bytes(),
            os_threads,
            open_fds: probe.open_fds(),
        }
    }
}

/// Resets the process's peak resident set size (`VmHWM`) to its current RSS.
///
/// The peak RSS the kernel reports is process-wide and never decreases, so a second run
/// in the same process would otherwise report the first run's peak if it was higher.
/// Call this before each run to give each its own peak. It writes `5` to
/// `/proc/self/clear_refs`, which Linux supports since 4.0.
///
/// Caveats: the reset is process-wide, so runs that overlap in time in one process
/// still share a peak; and `getrusage(2)`'s `ru_maxrss` is not reset by it (this module
/// reads `VmHWM` on Linux for that reason).
///
/// # Errors
///
/// Returns the I/O error of the write, e.g. on kernels older than 4.0 or when `/proc`
/// is not mounted, and an [`io::ErrorKind::Unsupported`] error on other systems than
/// Linux.
pub fn reset_peak_rss() -> io::Result<()> {
    platform::reset_peak_rss()
}

/// Sets the calling thread's timer slack to 1 ns, the smallest the kernel accepts.
///
/// Linux lets every timer wake-up of a thread (`sleep`, `nanosleep`, `epoll_wait` and
/// `futex` timeouts) be late by up to the thread's timer slack, 50 µs by default, so
/// that it can batch wake-ups. A benchmark whose jobs sleep for simulated latencies
/// would measure that slack on every sleep: call this first so that timers fire as close
/// to their deadline as the hardware allows.
///
/// The slack is per thread, and a new thread inherits it from the thread that creates
/// it: call this on the main thread *before* starting runtimes and thread pools, or on
/// each of their threads. Threads created earlier keep their slack.
///
/// # Errors
///
/// Returns the error of `prctl(PR_SET_TIMERSLACK)`, and an
/// [`io::ErrorKind::Unsupported`] error on other systems than Linux.
pub fn set_precise_timer_slack() -> io::Result<()> {
    platform::set_precise_timer_slack()
}

/// The application's gauges at one instant, read by the [`Sampler`] at each sample.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct AppGauges {
    /// Jobs in flight.
    pub in_flight: u64,
    /// Jobs waiting in the queue.
    pub queued: u64,
    /// Jobs finished so far.
    pub completed: u64,
}

/// An error starting a [`Sampler`].
#[derive(Debug)]
#[non_exhaustive]
pub enum SamplerError {
    /// The `interval` was outside [`Sampler::MIN_INTERVAL`]..=[`Sampler::MAX_INTERVAL`];
    /// holds the rejected value.
    IntervalOutOfRange(Duration),
    /// The OS could not start the sampling thread.
    Spawn(io::Error),
}

impl fmt::Display for SamplerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::IntervalOutOfRange(interval) => write!(
                f,
                "sampler `interval` must be within {}..={} ms, got {interval:?}",
                Sampler::MIN_INTERVAL.as_millis(),
                Sampler::MAX_INTERVAL.as_millis(),
            ),
            Self::Spawn(_) => f.write_str("could not start the sampler thread"),
        }
    }
}

impl Error for SamplerError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::IntervalOutOfRange(_) => None,
            Self::Spawn(e) => Some(e),
        }
    }
}

/// What a [`Sampler`] recorded, returned by [`Sampler::stop`].
#[derive(Debug, Clone, Default, PartialEq)]
#[must_use]
pub struct SamplerReport {
    /// The time series, oldest first. The last sample is taken when the sampler stops.
    pub samples: Vec<Sample>,
    /// CPU use of the process over the whole run: CPU time consumed between start and
    /// stop divided by the wall time between them (100 = one core).
    pub mean_cpu_percent: f64,
    /// Peak RSS of the process when the sampler stopped, as the OS reports it.
    ///
    /// On Linux (`VmHWM`): since the process started, or since the last
    /// [`reset_peak_rss`]. Where the peak cannot be reset (macOS, `ru_maxrss`): the
    /// peak if the process reached it while sampling, `None` if it was reached before
    /// (the run's own peak is then unknown). `None` on Windows.
    pub peak_rss_bytes: Option<u64>,
    /// Most OS threads seen in a sample, the sampler's own thread included; `None` off
    /// Linux.
    pub peak_os_threads: Option<u64>,
    /// Most open file descriptors seen in a sample, the sampler's own included; `None`
    /// where the OS does not say.
    pub peak_open_fds: Option<u64>,
}

/// Samples the process's metrics and the application's gauges on a thread of its own.
///
/// Every `interval` it pushes a [`Sample`]: seconds since [`start`](Self::start), CPU
/// use since the previous sample, RSS, OS threads, and the [`AppGauges`] returned by the
/// closure; it counts the open file descriptors too, for their peak. Samples are taken
/// on a fixed grid from the start, so they do not drift; a tick missed because the
/// machine was busy is skipped rather than taken late twice.
///
/// On Linux the files it reads (`/proc/self/stat`, `/proc/self/status` and the
/// `/proc/self/fd` directory) are opened once, at [`start`](Self::start), and read
/// again at each sample: a run that uses up every file descriptor it may open (see
/// [`fd_limit`](crate::fd_limit)) is still measured.
///
/// The sampler's own thread is one of the process's threads: it is counted in
/// `os_threads` and in [`SamplerReport::peak_os_threads`], and the little CPU time it
/// uses is counted in `cpu_percent`.
///
/// [`stop`](Self::stop) stops it promptly (the thread waits on a channel with a timeout,
/// not in a plain sleep) and returns what it recorded. Dropping a `Sampler` stops it too
/// and discards the samples.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use tracepool_bench::os::{AppGauges, Sampler};
///
/// let completed = Arc::new(AtomicU64::new(0));
/// let gauge = Arc::clone(&completed);
/// let sampler = Sampler::start(Sampler::DEFAULT_INTERVAL, move || AppGauges {
///     completed: gauge.load(Ordering::Relaxed),
///     ..AppGauges::default()
/// })?;
/// completed.store(3, Ordering::Relaxed);
/// let report = sampler.stop();
/// assert_eq!(report.samples.last().unwrap().completed, 3);
/// # Ok::<(), tracepool_bench::os::SamplerError>(())
/// ```
#[derive(Debug)]
#[must_use = "dropping a Sampler stops it at once and discards its samples"]
pub struct Sampler {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<Recorded>>,
    started: Instant,
    cpu_at_start: Duration,
    peak_rss_at_start: Option<u64>,
}

impl Sampler {
    /// The interval to use unless there is a reason not to: 50 ms.
    pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(50);
    /// The shortest interval [`start`](Self::start) accepts: 1 ms.
    pub const MIN_INTERVAL: Duration = Duration::from_millis(1);
    /// The longest interval [`start`](Self::start) accepts: 1000 ms.
    pub const MAX_INTERVAL: Duration = Duration::from_millis(1000);

    /// Starts sampling every `interval`, reading the application's gauges with `gauges`.
    ///
    /// `gauges` runs on the sampler's thread once per sample, so it should be cheap,
    /// e.g. a few atomic loads. The run's clock and CPU time start now.
    ///
    /// # Errors
    ///
    /// [`SamplerError::IntervalOutOfRange`] if `interval` is not within
    /// [`MIN_INTERVAL`](Self::MIN_INTERVAL)..=[`MAX_INTERVAL`](Self::MAX_INTERVAL), and
    /// [`SamplerError::Spawn`] if the OS cannot start a thread.
    pub fn start<F>(interval: Duration, gauges: F) -> Result<Self, SamplerError>
    where
        F: Fn() -> AppGauges + Send + Sync + 'static,
    {
        if !(Self::MIN_INTERVAL..=Self::MAX_INTERVAL).contains(&interval) {
            return Err(SamplerError::IntervalOutOfRange(interval));
        }
        let (stop, stopped) = mpsc::channel();
        let mut probe = platform::Probe::new();
        // Where the peak is reset before a run, the peak at stop is the run's own.
        let peak_rss_at_start = if platform::PEAK_RSS_RESETS {
            None
        } else {
            probe.peak_rss_bytes()
        };
        let started = Instant::now();
        let cpu_at_start = probe.cpu_time();
        let thread = thread::Builder::new()
            .name("tracepool-sampler".into())
            .spawn(move || {
                sample_until_stopped(probe, &stopped, interval, &gauges, started, cpu_at_start)
            })
            .map_err(SamplerError::Spawn)?;
        Ok(Self {
            stop: Some(stop),
            thread: Some(thread),
            started,
            cpu_at_start,
            peak_rss_at_start,
        })
    }

    /// Stops the sampler, waits for its thread to finish and returns what it recorded.
    ///
    /// A last sample is taken as the sampler stops, so the report holds at least one.
    ///
    /// # Panics
    ///
    /// Resumes the panic of the `gauges` closure if it panicked.
    pub fn stop(mut self) -> SamplerReport {
        let Recorded {
            samples,
            peak_open_fds,
        } = match self.halt() {
            Some(Ok(recorded)) => recorded,
            Some(Err(payload)) => panic::resume_unwind(payload),
            None => Recorded::default(),
        };
        let wall = self.started.elapsed();
        let mut probe = platform::Probe::new();
        let cpu = probe.cpu_time().saturating_sub(self.cpu_at_start);
        SamplerReport {
            mean_cpu_percent: cpu_percent(cpu, wall),
            peak_rss_bytes: run_peak(
                self.peak_rss_at_start,
                probe.peak_rss_bytes(),
                platform::PEAK_RSS_RESETS,
            ),
            peak_os_threads: samples.iter().filter_map(|s| s.os_threads).max(),
            peak_open_fds,
            samples,
        }
    }

    /// Signals the thread to stop and joins it; `None` if that was done already.
    fn halt(&mut self) -> Option<thread::Result<Recorded>> {
        // Dropping the sender wakes the thread with `Disconnected`.
        drop(self.stop.take());
        self.thread.take().map(JoinHandle::join)
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        // A panic of the gauges closure is not propagated from `drop`.
        let _ = self.halt();
    }
}

/// The peak RSS of a sampled run, from the process's peak when sampling started and
/// when it stopped: the peak at stop where it can be reset (it was, before the run) or
/// where the run raised it; unknown where an earlier peak may hide the run's.
fn run_peak(at_start: Option<u64>, at_stop: Option<u64>, resettable: bool) -> Option<u64> {
    let at_stop = at_stop?;
    (resettable || at_start.is_some_and(|start| at_stop > start)).then_some(at_stop)
}

/// What the sampler thread hands back: its samples, and the peak of what it counts
/// apart from them.
#[derive(Debug, Default)]
struct Recorded {
    samples: Vec<Sample>,
    peak_open_fds: Option<u64>,
}

/// The sampler thread's body: one sample per tick until the channel says stop.
fn sample_until_stopped(
    mut probe: platform::Probe,
    stopped: &mpsc::Receiver<()>,
    interval: Duration,
    gauges: &dyn Fn() -> AppGauges,
    started: Instant,
    cpu_at_start: Duration,
) -> Recorded {
    let expected = Sampler::MAX_INTERVAL.as_millis() / interval.as_millis().max(1);
    let mut samples = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    let mut prev_t = Duration::ZERO;
    let mut prev_cpu = cpu_at_start;
    let mut next_tick = started + interval;
    let mut peak_open_fds = None;
    loop {
        let wait = next_tick.saturating_duration_since(Instant::now());
        let stopping = match stopped.recv_timeout(wait) {
            Err(RecvTimeoutError::Timeout) => false,
            Ok(()) | Err(RecvTimeoutError::Disconnected) => true,
        };
        let now = Instant::now();
        let t = now.saturating_duration_since(started);
        let cpu = probe.cpu_time();
        let (rss_bytes, os_threads) = probe.rss_and_threads();
        peak_open_fds = peak_open_fds.max(probe.open_fds());
        let app = gauges();
        samples.push(Sample {
            t_s: t.as_secs_f64(),
            cpu_percent: cpu_percent(cpu.saturating_sub(prev_cpu), t.saturating_sub(prev_t)),
            rss_bytes,
            os_threads,
            in_flight: app.in_flight,
            queued: app.queued,
            completed: app.completed,
        });
        if stopping {
            return Recorded {
                samples,
                peak_open_fds,
            };
        }
        prev_t = t;
        prev_cpu = cpu;
        while next_tick <= now {
            next_tick += interval;
        }
    }
}

/// CPU time over wall time, in percent of one core; 0 over an empty interval.
fn cpu_percent(cpu: Duration, wall: Duration) -> f64 {
    if wall.is_zero() {
        0.0
    } else {
        100.0 * cpu.as_secs_f64() / wall.as_secs_f64()
    }
}

#[cfg(target_os = "linux")]
mod platform {
    use std::fs::File;
    use std::io::{self, Seek, SeekFrom};
    use std::time::Duration;

    use nix::dir::Dir;
    use nix::fcntl::OFlag;
    use nix::sys::stat::Mode;
    use procfs::FromRead;
    use procfs::process::{Process, Stat, Status};

    /// `VmHWM` is reset by [`reset_peak_rss`].
    pub(super) const PEAK_RSS_RESETS: bool = true;

    /// Reads the process's metrics: from `/proc/self`, and CPU time from `getrusage(2)`.
    ///
    /// The files it reads are opened once, when it is made, and read again from their
    /// start each time (`/proc` files are made anew then): it needs no new descriptor
    /// to read them. A file that could not be opened is read the usual way instead.
    pub(super) struct Probe {
        stat: Option<File>,
        status: Option<File>,
        fds: Option<Dir>,
    }

    impl Probe {
        pub(super) fn new() -> Self {
            Probe {
                stat: File::open("/proc/self/stat").ok(),
                status: File::open("/proc/self/status").ok(),
                fds: Dir::open(
                    "/proc/self/fd",
                    OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
                    Mode::empty(),
                )
                .ok(),
            }
        }

        fn stat(&mut self) -> procfs::ProcResult<Stat> {
            match &mut self.stat {
                Some(file) => {
                    file.seek(SeekFrom::Start(0))?;
                    Stat::from_read(&*file)
                }
                None => Process::myself()?.stat(),
            }
        }

        fn status(&mut self) -> procfs::ProcResult<Status> {
            match &mut self.status {
                Some(file) => {
                    file.seek(SeekFrom::Start(0))?;
                    Status::from_read(&*file)
                }
                None => Process::myself()?.status(),
            }
        }

        pub(super) fn cpu_time(&mut self) -> Duration {
            super::unix::cpu_time()
        }

        /// RSS and threads from one read of `/proc/self/stat`.
        pub(super) fn rss_and_threads(&mut self) -> (u64, Option<u64>) {
            self.stat()
                .map(|stat| {
                    (
                        stat.rss.saturating_mul(procfs::page_size()),
                        u64::try_from(stat.num_threads).ok(),
                    )
                })
                .unwrap_or((0, None))
        }

        pub(super) fn peak_rss_bytes(&mut self) -> Option<u64> {
            let vmhwm = self.status().ok().and_then(|status| status.vmhwm);
            // `ru_maxrss` is in KiB on Linux.
            Some(
                vmhwm
                    .unwrap_or_else(super::unix::max_rss)
                    .saturating_mul(1024),
            )
        }

        pub(super) fn open_fds(&mut self) -> Option<u64> {
            let Some(dir) = &mut self.fds else {
                return Process::myself()
                    .and_then(|p| p.fd_count())
                    .ok()
                    .map(|n| u64::try_from(n).unwrap_or(u64::MAX));
            };
            // Each iteration reads the directory from its start (nix rewinds it), the
            // directory's own descriptor included, as `fd_count` counts it too.
            let count = dir
                .iter()
                .filter_map(Result::ok)
                .filter(|entry| ![&b"."[..], b".."].contains(&entry.file_name().to_bytes()))
                .count();
            u64::try_from(count).ok()
        }
    }

    pub(super) fn reset_peak_rss() -> io::Result<()> {
        std::fs::write("/proc/self/clear_refs", "5")
    }

    pub(super) fn set_precise_timer_slack() -> io::Result<()> {
        nix::sys::prctl::set_timerslack(1).map_err(io::Error::from)
    }
}

#[cfg(all(unix, not(target_os = "linux")))]
mod platform {
    use std::io;
    use std::time::Duration;

    use super::portable::Myself;

    /// `ru_maxrss` is the process's peak since it started.
    pub(super) const PEAK_RSS_RESETS: bool = false;

    /// Reads the process's metrics: CPU time and peak RSS from `getrusage(2)`, RSS and
    /// open files from `sysinfo`.
    pub(super) struct Probe(Myself);

    impl Probe {
        pub(super) fn new() -> Self {
            Probe(Myself::new())
        }

        pub(super) fn cpu_time(&mut self) -> Duration {
            super::unix::cpu_time()
        }

        pub(super) fn rss_and_threads(&mut self) -> (u64, Option<u64>) {
            (self.0.rss_bytes(), None)
        }

        pub(super) fn peak_rss_bytes(&mut self) -> Option<u64> {
            // `ru_maxrss` is in bytes on Apple systems and in KiB on the other BSDs.
            Some(if cfg!(any(target_os = "macos", target_os = "ios")) {
                super::unix::max_rss()
            } else {
                super::unix::max_rss().saturating_mul(1024)
            })
        }

        pub(super) fn open_fds(&mut self) -> Option<u64> {
            self.0.open_files()
        }
    }

    pub(super) fn reset_peak_rss() -> io::Result<()> {
        Err(super::unsupported("resetting the peak RSS"))
    }

    pub(super) fn set_precise_timer_slack() -> io::Result<()> {
        Err(super::unsupported("setting the timer slack"))
    }
}

#[cfg(not(unix))]
mod platform {
    use std::io;
    use std::time::Duration;

    use super::portable::Myself;

    /// No peak RSS is read here.
    pub(super) const PEAK_RSS_RESETS: bool = false;

    /// Reads the process's metrics from `sysinfo`: CPU time and RSS (the working set).
    pub(super) struct Probe(Myself);

    impl Probe {
        pub(super) fn new() -> Self {
            Probe(Myself::new())
        }

        pub(super) fn cpu_time(&mut self) -> Duration {
            self.0.cpu_time()
        }

        pub(super) fn rss_and_threads(&mut self) -> (u64, Option<u64>) {
            (self.0.rss_bytes(), None)
        }

        pub(super) fn peak_rss_bytes(&mut self) -> Option<u64> {
            None
        }

        /// Windows counts a process's handles (files, threads, events, keys...), not
        /// its open files: not the same figure.
        pub(super) fn open_fds(&mut self) -> Option<u64> {
            None
        }
    }

    pub(super) fn reset_peak_rss() -> io::Result<()> {
        Err(super::unsupported("resetting the peak RSS"))
    }

    pub(super) fn set_precise_timer_slack() -> io::Result<()> {
        Err(super::unsupported("setting the timer slack"))
    }
}

/// The current process through `sysinfo`, where `/proc` is not there to read.
#[cfg(not(target_os = "linux"))]
mod portable {
    use sysinfo::{Pid, Process, ProcessRefreshKind, ProcessesToUpdate, System};

    /// The process's entry in a `sysinfo` system, refreshed at each read; `None` where
    /// `sysinfo` cannot see the process.
    pub(super) struct Myself(Option<(System, Pid)>);

    impl Myself {
        pub(super) fn new() -> Self {
            Myself(System::new().ok().zip(sysinfo::get_current_pid().ok()))
        }

        /// The process, refreshed with `what`.
        fn refresh(&mut self, what: ProcessRefreshKind) -> Option<&Process> {
            let (system, pid) = self.0.as_mut()?;
            system.refresh_processes_specifics(ProcessesToUpdate::Some(&[*pid]), true, what);
            system.process(*pid)
        }

        /// Resident set size (the working set on Windows); 0 if unreadable.
        pub(super) fn rss_bytes(&mut self) -> u64 {
            self.refresh(ProcessRefreshKind::nothing().with_memory())
                .map_or(0, Process::memory)
        }

        /// CPU time of all threads, user plus system; zero if unreadable.
        #[cfg_attr(unix, allow(dead_code))]
        pub(super) fn cpu_time(&mut self) -> std::time::Duration {
            self.refresh(ProcessRefreshKind::nothing().with_cpu())
                .map_or(std::time::Duration::ZERO, |p| {
                    std::time::Duration::from_millis(p.accumulated_cpu_time())
                })
        }

        /// Open files, where `sysinfo` counts them.
        #[cfg_attr(not(unix), allow(dead_code))]
        pub(super) fn open_files(&mut self) -> Option<u64> {
            self.refresh(ProcessRefreshKind::nothing())
                .and_then(Process::open_files)
                .map(|n| u64::try_from(n).unwrap_or(u64::MAX))
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn unsupported(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("{what} is only supported on Linux"),
    )
}

/// `getrusage(2)`, shared by all Unix systems.
#[cfg(unix)]
mod unix {
    use std::time::Duration;

    use nix::sys::resource::{UsageWho, getrusage};
    use nix::sys::time::TimeVal;

    /// User plus system CPU time of the whole process; zero if unavailable.
    pub(super) fn cpu_time() -> Duration {
        getrusage(UsageWho::RUSAGE_SELF).map_or(Duration::ZERO, |usage| {
            to_duration(usage.user_time()).saturating_add(to_duration(usage.system_time()))
        })
    }

    /// `ru_maxrss`, in the platform's unit; 0 if unavailable.
    pub(super) fn max_rss() -> u64 {
        getrusage(UsageWho::RUSAGE_SELF)
            .map_or(0, |usage| u64::try_from(usage.max_rss()).unwrap_or(0))
    }

    fn to_duration(tv: TimeVal) -> Duration {
        let secs = u64::try_from(tv.tv_sec()).unwrap_or(0);
        let micros = u64::try_from(tv.tv_usec()).unwrap_or(0);
        Duration::from_secs(secs).saturating_add(Duration::from_micros(micros))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_percent_is_relative_to_one_core() {
        let half = cpu_percent(Duration::from_millis(50), Duration::from_millis(100));
        assert!((half - 50.0).abs() < 1e-9);
        let two_cores = cpu_percent(Duration::from_millis(200), Duration::from_millis(100));
        assert!((two_cores - 200.0).abs() < 1e-9);
    }

    #[test]
    fn cpu_percent_of_an_empty_interval_is_zero() {
        assert_eq!(cpu_percent(Duration::from_millis(5), Duration::ZERO), 0.0);
    }

    #[test]
    fn a_run_peak_is_known_after_a_reset_or_when_the_run_raised_it() {
        // Reset before the run: the peak at stop is the run's.
        assert_eq!(run_peak(None, Some(10), true), Some(10));
        // Not resettable: known only if the run raised the process's peak.
        assert_eq!(run_peak(Some(10), Some(12), false), Some(12));
        assert_eq!(run_peak(Some(12), Some(12), false), None);
        assert_eq!(run_peak(None, Some(12), false), None);
        // No peak at all (Windows).
        assert_eq!(run_peak(None, None, false), None);
        assert_eq!(run_peak(None, None, true), None);
    }

    #[test]
    fn interval_bounds_are_inclusive() {
        for ok in [Sampler::MIN_INTERVAL, Sampler::MAX_INTERVAL] {
            let _ = Sampler::start(ok, AppGauges::default).unwrap().stop();
        }
    }
}
