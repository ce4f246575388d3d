//! `run`: one workload under one model, its record on stdout.

use std::path::Path;

use indicatif::ProgressBar;
use serde::Serialize;
use tracepool::Trace;
use tracepool::report::record::RunRecord;
use tracepool::report::{DEFAULT_FAILURE_RATE, Workload};
use tracepool::sim::SimConfig;
use tracepool_bench::report::NOT_AVAILABLE;
use tracepool_bench::runner::{self, HttpServerSpec, RunError, RunSpec};

use super::{check_violations, concurrency_from_env, progress_observer, spinner, stderr_progress};
use crate::INTERRUPT;
use crate::args::RunArgs;
use crate::console;
use crate::failure::{Failure, FileError, InputError};
use crate::profiler::{Profiler, check_profile};

fn read_traces_file(path: &Path) -> Result<Vec<Trace>, InputError> {
    let error = |source| InputError::File {
        flag: "--traces-file",
        path: path.to_path_buf(),
        source,
    };
    let text = std::fs::read_to_string(path).map_err(|e| error(FileError::Read(e)))?;
    let traces = tracepool::trace::parse_traces(&text).map_err(|e| error(FileError::Traces(e)))?;
    if traces.is_empty() {
        return Err(error(FileError::NoTraces));
    }
    Ok(traces)
}

pub(crate) fn run(args: &RunArgs) -> Result<(), Failure> {
    let concurrency = match args.concurrency {
        Some(c) => c,
        None => concurrency_from_env()?,
    };
    let workload = args.workload;
    if workload == Workload::Flat {
        if let Some(path) = &args.traces_file {
            return Err(InputError::CrawlOnly {
                flag: "--traces-file",
                value: path.display().to_string(),
            }
            .into());
        }
        for (flag, value) in [
            ("--failure-rate", args.failure_rate),
            ("--panic-rate", args.panic_rate),
            ("--cpu-us", args.cpu_us),
        ] {
            if value != 0.0 && !(flag == "--failure-rate" && value == DEFAULT_FAILURE_RATE) {
                return Err(InputError::CrawlOnly {
                    flag,
                    value: value.to_string(),
                }
                .into());
            }
        }
    }
    let seeds = args
        .traces_file
        .as_deref()
        .map(read_traces_file)
        .transpose()?;
    let spec = RunSpec {
        workload,
        model: args.model,
        // With seeds from a file, the graph they are crawled in has the workload's
        // own size unless the flag says otherwise.
        traces: args.traces.unwrap_or(SimConfig::default().traces),
        concurrency,
        latency_ms: args.latency_ms,
        time_scale: args.time_scale,
        failure_rate: if workload == Workload::Flat {
            0.0
        } else {
            args.failure_rate
        },
        panic_rate: args.panic_rate,
        timeout_ms: args.timeout_ms,
        cpu_us: args.cpu_us,
        seed: args.seed,
        timer: args.timer,
        fd_limit: args.fd_limit,
        server: HttpServerSpec {
            capacity: args.server_capacity,
            max_pending: args.server_max_pending,
            ..HttpServerSpec::default()
        },
        ..RunSpec::default()
    };
    // Everything that can be wrong is found before the run.
    spec.validate().map_err(RunError::from)?;
    let profile = args.profile.as_deref().map(check_profile).transpose()?;
    let profiler = profile.map(Profiler::start).transpose()?;
    let bar = if args.json || !stderr_progress() {
        ProgressBar::hidden()
    } else {
        spinner(&format!(
            "{} {} · {} traces · C = {}",
            spec.model, spec.workload, spec.traces, spec.concurrency
        ))
    };
    let output = runner::run(&spec, seeds, progress_observer(&bar), &INTERRUPT)?;
    bar.finish_and_clear();
    // A signal after the crawl ended still marks the record: the user asked to stop.
    let interrupted = output.was_cancelled || INTERRUPT.is_requested();
    // The partial run's profile is written too: it is what the record describes.
    if let Some(profiler) = profiler {
        profiler.finish()?;
    }
    let record = &output.record;
    if args.json {
        let printed = Printed {
            record,
            interrupted,
        };
        let json = serde_json::to_string(&printed).expect("a run record serialises");
        console::out(format_args!("{json}"))?;
    } else {
        console::out(format_args!(
            "{}{} {}: {} traces, C = {}: {:.3} s, {} jobs ({} completed, {} failed, {} timed out, {} panicked, {} cancelled, {} lost), {} discovered, {:.0} jobs/s, peak in flight {}, efficiency {:.2}, CPU {:.0} %, peak RSS {}, {} threads, p50 {:.2} ms, p99 {:.2} ms, timer overshoot {:.0} µs ({} timer)",
            if interrupted {
                "interrupted, partial: "
            } else {
                ""
            },
            record.model,
            record.workload,
            record.traces,
            record.concurrency,
            record.wall_s,
            record.jobs,
            record.outcomes.completed,
            record.outcomes.failed,
            record.outcomes.timed_out,
            record.outcomes.panicked,
            record.outcomes.cancelled,
            record.lost,
            record.discovered,
            record.throughput_per_s,
            record.peak_in_flight,
            record.efficiency,
            record.cpu_percent,
            record.peak_rss_bytes.map_or_else(
                || NOT_AVAILABLE.to_owned(),
                |bytes| format!("{:.1} MiB", bytes as f64 / 1048576.0)
            ),
            record
                .peak_os_threads
                .map_or_else(|| NOT_AVAILABLE.to_owned(), |threads| threads.to_string()),
            record.latency_p50_ms,
            record.latency_p99_ms,
            record.timer_overshoot_us,
            record.timer,
        ))?;
    }
    check_violations(std::slice::from_ref(record))?;
    if let Some(e) = output.server_error {
        return Err(RunError::Server(e).into());
    }
    if interrupted {
        return Err(Failure::Interrupted(
            "the record above is partial".to_owned(),
        ));
    }
    Ok(())
}

/// The run record as printed by `--json`: `"interrupted": true` added after its fields
/// when a signal stopped the run.
#[derive(Serialize)]
struct Printed<'a> {
    #[serde(flatten)]
    record: &'a RunRecord,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    interrupted: bool,
}
