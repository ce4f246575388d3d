//! A run of the http workload: the server started as a child process, the crawl made
//! of real requests, the server's counters read at the end.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tracepool::Trace;
use tracepool::crawl::ideal::{IdealLimits, simulate};
use tracepool::crawl::{CrawlConfig, CrawlEvent, Crawler};
use tracepool::sim::{SimWorkload, SleepStats};

use super::{RunError, RunOutput, RunSpec, SpecError};
use crate::http::plugin;
use crate::http::process::{ServeOptions, ServerProcess, ServerProcessError};
use crate::http::server::{CAPACITY, DEFAULT_CAPACITY, DEFAULT_MAX_PENDING, MAX_PENDING};
use crate::interrupt::Interrupt;
use crate::os;

/// The per-call deadline of the http workload's client when the run sets none.
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(1);

/// The server's slow answers take this many times the client's deadline: past it.
const SLOW_OVER_TIMEOUT: f64 = 2.0;

/// The http workload's server, as a run starts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpServerSpec {
    /// The program whose `serve` command runs the server (`None`: the running
    /// executable, which is `tracepool-bench` on the command line).
    pub program: Option<PathBuf>,
    /// Calls the server serves at once; more wait their turn, their latency growing as
    /// a real server's does (the knee of throughput against C).
    pub capacity: usize,
    /// Calls the server holds at once (served or waiting); more are answered 503.
    pub max_pending: usize,
}

impl Default for HttpServerSpec {
    fn default() -> Self {
        HttpServerSpec {
            program: None,
            capacity: DEFAULT_CAPACITY,
            max_pending: DEFAULT_MAX_PENDING,
        }
    }
}

/// Checks what the http workload asks more of a spec: no panics and no CPU time per
/// call (a server cannot cause either in its client), the server's capacity in
/// [`CAPACITY`] and its queue from the capacity to the end of [`MAX_PENDING`].
pub(super) fn validate(spec: &RunSpec) -> Result<(), SpecError> {
    for (field, value) in [("panic_rate", spec.panic_rate), ("cpu_us", spec.cpu_us)] {
        if value != 0.0 {
            return Err(SpecError {
                field,
                value: value.to_string(),
                accepted: "0 with the http workload (a server cannot cause it in its client)"
                    .to_owned(),
            });
        }
    }
    let server = &spec.server;
    if !CAPACITY.contains(&server.capacity) {
        return Err(SpecError {
            field: "server_capacity",
            value: server.capacity.to_string(),
            accepted: format!(
                "a whole number from {} to {}",
                CAPACITY.start(),
                CAPACITY.end()
            ),
        });
    }
    if !(server.capacity..=*MAX_PENDING.end()).contains(&server.max_pending) {
        return Err(SpecError {
            field: "server_max_pending",
            value: server.max_pending.to_string(),
            accepted: format!(
                "a whole number from `server_capacity` ({}) to {}",
                server.capacity,
                MAX_PENDING.end()
            ),
        });
    }
    Ok(())
}

/// The client's per-call deadline of `spec`.
fn client_timeout(spec: &RunSpec) -> Duration {
    spec.timeout_ms
        .map_or(DEFAULT_HTTP_TIMEOUT, |ms| Duration::from_secs_f64(ms / 1e3))
}

/// The program whose `serve` command runs the server.
fn server_program(spec: &RunSpec) -> Result<PathBuf, RunError> {
    match &spec.server.program {
        Some(program) => Ok(program.clone()),
        None => std::env::current_exe().map_err(|source| {
            RunError::Server(ServerProcessError::Spawn {
                program: PathBuf::from("tracepool-bench"),
                source,
            })
        }),
    }
}

/// Starts the server, crawls it, reads its counters, stops it. `spec` is valid.
///
/// The server is stopped on every way out: by [`ServerProcess`]'s drop on an early
/// return or a panic, and by the kernel closing its standard input when the runner is
/// killed.
pub(super) fn run<O>(
    spec: &RunSpec,
    seeds: Option<Vec<Trace>>,
    observer: O,
    interrupt: &Interrupt,
) -> Result<RunOutput, RunError>
where
    O: FnMut(&CrawlEvent<'_>),
{
    let timeout = client_timeout(spec);
    let sim = SimWorkload::new(spec.sim_config()?).map_err(RunError::Workload)?;
    // The ideal is the model's own schedule of the same graph in virtual time (the
    // server's capacity aside); seeds from a file crawl from elsewhere: not known.
    let ideal = match &seeds {
        Some(custom) if *custom != sim.seeds() => Duration::ZERO,
        _ => {
            let limits = IdealLimits {
                timeout: Some(timeout),
                ..IdealLimits::default()
            };
            simulate(&sim, spec.model, spec.concurrency, &limits).makespan
        }
    };
    let seeds = seeds.unwrap_or_else(|| sim.seeds());
    let options = ServeOptions {
        traces: spec.traces,
        seed: spec.seed,
        latency_ms: spec.latency_ms,
        time_scale: spec.time_scale,
        failure_rate: spec.failure_rate,
        slow_ms: timeout.as_secs_f64() * 1e3 * SLOW_OVER_TIMEOUT,
        capacity: spec.server.capacity,
        max_pending: spec.server.max_pending,
    };
    let mut server =
        ServerProcess::start(&server_program(spec)?, &options).map_err(RunError::Server)?;
    // The client's runtime: one thread, as the other workloads' crawls.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(RunError::Runtime)?;
    let crawler = Crawler::new(
        plugin::registry(&sim, server.addr(), timeout),
        CrawlConfig {
            model: spec.model,
            max_concurrency: spec.concurrency,
            ..CrawlConfig::default()
        },
    )
    .map_err(RunError::Crawl)?;
    let gauge = crawler.gauge();
    let _ = os::reset_peak_rss();
    let sampler = super::sample_crawl(spec, gauge)?;
    // Lowered once the server, the runtime and the sampler have what they need: the
    // crawl's sockets meet it, nothing else.
    let limit = super::lower_fd_limit(spec)?;
    let watch = interrupt.watch(crawler.canceller());
    let started = Instant::now();
    let crawl = runtime.block_on(crawler.run(seeds, observer));
    let wall = started.elapsed();
    drop(watch);
    drop(limit);
    let sampled = sampler.stop();
    // Closes the client's pooled connections (their tasks end with the runtime).
    drop(crawler);
    drop(runtime);
    let stats = server.stats();
    let stopped = server.stop();
    let (stats, server_error) = match stats.and_then(|stats| stopped.map(|()| stats)) {
        Ok(stats) => (Some(stats), None),
        Err(e) => (None, Some(e)),
    };
    let measured = super::Measured::of_crawl(&crawl, wall);
    // The client sleeps nowhere (the latency is the server's): no timer figures.
    let mut output = super::output(
        spec,
        &measured,
        sampled,
        ideal,
        &SleepStats::new(),
        Some(crawl),
    );
    output.record.server_peak_requests = stats.as_ref().map(|s| s.peak_requests_in_progress);
    output.record.server_peak_connections = stats.as_ref().map(|s| s.peak_open_connections);
    output.server_error = server_error;
    Ok(output)
}

#[cfg(test)]
mod tests {
    use tracepool::crawl::Model;
    use tracepool::report::record::RunRecord;

    use super::*;
    use crate::runner::violations;

    fn pool_record(c: u64, server_peak: u64, timeouts: u64) -> RunRecord {
        let json = format!(
            r#"{{"model":"pool","workload":"http","traces":100,"concurrency":{c},"wall_s":1.0,"jobs":200,"completed":200,"failed":0,"timed_out":0,"panicked":0,"cancelled":0,"lost":0,"discovered":100,"throughput_per_s":200.0,"error_rate":0.0,"peak_in_flight":{c},"ideal_s":1.0,"efficiency":1.0,"cpu_percent":1.0,"peak_rss_bytes":1,"peak_os_threads":3,"latency_p50_ms":1.0,"latency_p99_ms":2.0,"timer_overshoot_us":0.0,"server_peak_requests":{server_peak}}}"#
        );
        let mut record: RunRecord = serde_json::from_str(&json).unwrap();
        if timeouts > 0 {
            record.outcomes.failed = timeouts;
            record.outcomes.completed -= timeouts;
            record.errors_by_kind.insert("timeout".to_owned(), timeouts);
        }
        record
    }

    #[test]
    fn the_pool_above_c_at_the_server_is_a_violation_beyond_the_abandoned_calls() {
        assert!(violations(&pool_record(10, 10, 0)).is_empty());
        let found = violations(&pool_record(10, 11, 0));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("at the server: 11 requests"), "{found:?}");
        // Two calls abandoned at the deadline may still be at the server.
        assert!(violations(&pool_record(10, 12, 2)).is_empty());
        assert_eq!(violations(&pool_record(10, 13, 2)).len(), 1);
        // The other models have no limit to keep.
        let mut unbounded = pool_record(10, 500, 0);
        unbounded.model = Model::Unbounded.into();
        assert!(violations(&unbounded).is_empty());
    }

    #[test]
    fn the_http_workload_takes_no_panics_no_cpu_and_a_sound_server() {
        let http = RunSpec {
            workload: tracepool::report::Workload::Http,
            ..RunSpec::default()
        };
        assert_eq!(http.validate(), Ok(()));
        let field = |spec: RunSpec| spec.validate().unwrap_err().field();
        assert_eq!(
            field(RunSpec {
                panic_rate: 0.1,
                ..http.clone()
            }),
            "panic_rate"
        );
        assert_eq!(
            field(RunSpec {
                cpu_us: 5.0,
                ..http.clone()
            }),
            "cpu_us"
        );
        assert_eq!(
            field(RunSpec {
                fd_limit: Some(8),
                ..http.clone()
            }),
            "fd_limit"
        );
        let server = |capacity, max_pending| RunSpec {
            server: HttpServerSpec {
                capacity,
                max_pending,
                program: None,
            },
            ..http.clone()
        };
        assert_eq!(field(server(0, 10)), "server_capacity");
        assert_eq!(field(server(10, 5)), "server_max_pending");
        assert_eq!(server(10, 10).validate(), Ok(()));
    }
}
