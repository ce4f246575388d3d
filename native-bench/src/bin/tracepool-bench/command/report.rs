//! `report`: the plan's scenarios, written as a report directory.

use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use tracepool::report::Workload;
use tracepool::report::comparison::compare;
use tracepool::report::record::{Report, ScenarioRun, Settings};
use tracepool_bench::env;
use tracepool_bench::report::{ReportWriteError, summary_table};
use tracepool_bench::runner::{self, RunError, RunSpec};

use super::{check_violations, stderr_progress};
use crate::INTERRUPT;
use crate::args::ReportArgs;
use crate::console;
use crate::failure::{Failure, FileError, InputError};
use crate::output::check_output_dir;
use crate::profiler::{Profiler, check_profile};

pub(crate) fn report(args: &ReportArgs) -> Result<(), Failure> {
    // Read everything that can be wrong before spending minutes on the runs.
    let old = args
        .compare
        .as_deref()
        .map(|path| {
            let error = |source| InputError::File {
                flag: "--compare",
                path: path.to_path_buf(),
                source,
            };
            let text = std::fs::read_to_string(path).map_err(|e| error(FileError::Read(e)))?;
            Report::from_json(&text).map_err(|e| error(FileError::Report(e)))
        })
        .transpose()?;
    let out = check_output_dir(&args.out)?;
    if let Some(profile) = &args.profile {
        let parent = match profile.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if let (Ok(a), Ok(b)) = (parent.canonicalize(), out.path().canonicalize())
            && a == b
        {
            return Err(InputError::InsideReport {
                flag: "--profile",
                path: profile.clone(),
            }
            .into());
        }
    }
    let profile = args.profile.as_deref().map(check_profile).transpose()?;
    let scenarios = args.scenario.scenarios();
    let base = RunSpec {
        latency_ms: args.latency_ms,
        time_scale: args.time_scale,
        seed: args.seed,
        timer: args.timer,
        workload: args.workload,
        fd_limit: args.fd_limit,
        ..RunSpec::default()
    };
    // The flat workload's calls never fail.
    let base = if base.workload == Workload::Flat {
        RunSpec {
            failure_rate: 0.0,
            ..base
        }
    } else {
        base
    };
    let settings = Settings {
        seed: args.seed,
        time_scale: args.time_scale,
        latency_ms: args.latency_ms,
        failure_rate: base.failure_rate,
        timeout_ms: base.timeout_ms,
        sample_interval_ms: base.sample_interval.as_secs_f64() * 1e3,
        repeat: args.repeat,
        scenario_time_scales: scenarios
            .iter()
            .filter(|s| s.time_scale() != 1.0)
            .map(|s| (s.name().to_owned(), s.time_scale()))
            .collect(),
    };
    let steal_before = env::cpu_steal_ticks();
    let mut report = Report::new(
        env!("CARGO_PKG_VERSION"),
        env::probe_environment(),
        settings,
    );
    report
        .environment
        .memory_latency_ns
        .extend(env::memory_latency_ns());
    let total: u64 = scenarios
        .iter()
        .map(|s| s.runs().count() as u64)
        .sum::<u64>()
        * u64::from(args.repeat);
    let bar = if stderr_progress() {
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template("[{bar:30}] {pos}/{len} runs · {msg} · {elapsed}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    } else {
        ProgressBar::hidden()
    };
    let out_existed = args.out.exists();
    let interrupted = || {
        Failure::Interrupted(if out_existed {
            format!(
                "no report written; {} was left as it was",
                args.out.display()
            )
        } else {
            "no report written".to_owned()
        })
    };
    let profiler = profile.map(Profiler::start).transpose()?;
    // Every configuration once, then again: drift over the minutes hits every model
    // and every C alike.
    let rounds = (1..=args.repeat).flat_map(|round| scenarios.iter().map(move |&s| (round, s)));
    for (round, scenario) in rounds {
        for (model, concurrency) in scenario.runs() {
            let spec = RunSpec {
                model,
                concurrency,
                traces: scenario.traces(),
                time_scale: base.time_scale * scenario.time_scale(),
                ..base.clone()
            };
            bar.set_message(format!(
                "{scenario}: {model} at C = {concurrency} (run {round} of {})",
                args.repeat
            ));
            let output = runner::run(&spec, None, |_| {}, &INTERRUPT)?;
            if output.was_cancelled || INTERRUPT.is_requested() {
                // Dropping the profiler and its output file leaves nothing behind.
                bar.finish_and_clear();
                return Err(interrupted());
            }
            if let Some(e) = output.server_error {
                bar.finish_and_clear();
                return Err(RunError::Server(e).into());
            }
            if bar.is_hidden() {
                console::err(format_args!(
                    "{scenario}: {model} at C = {concurrency}: {:.2} s",
                    output.record.wall_s
                ));
            }
            report.runs.push(ScenarioRun {
                scenario: scenario.name().to_owned(),
                record: output.record,
                series: output.series,
            });
            bar.inc(1);
        }
        report
            .environment
            .memory_latency_ns
            .extend(env::memory_latency_ns());
    }
    bar.finish_and_clear();
    report.environment.load_avg_1m_end = env::load_avg_now();
    report.environment.cpu_steal_percent = steal_before
        .zip(env::cpu_steal_ticks())
        .and_then(|(before, after)| env::steal_percent(before, after));
    if let Some(profiler) = profiler {
        profiler.finish()?;
    }
    report.findings = tracepool::report::findings::findings(&report);
    report.recommendations = tracepool::report::findings::recommendations(&report);
    let changes = old.as_ref().map(|old| compare(old, &report));
    {
        // Written whole or not at all, even on a second signal.
        let _hold = INTERRUPT.hold();
        match out.write(&report, changes.as_deref(), &INTERRUPT) {
            Ok(()) => {}
            Err(ReportWriteError::Interrupted) => return Err(interrupted()),
            Err(e) => return Err(Failure::Report(e)),
        }
    }
    if INTERRUPT.is_requested() {
        return Err(Failure::Interrupted(format!(
            "the report was written to {} as the signal came",
            args.out.display()
        )));
    }
    console::out(format_args!("{}", summary_table(&report)))?;
    for finding in &report.findings {
        console::out(format_args!(
            "- [{:?}] {}: {}",
            finding.verdict, finding.objective, finding.text
        ))?;
    }
    console::out(format_args!(
        "report written to {}/ (report.html, report.md, report.json)",
        args.out.display()
    ))?;
    check_violations(report.runs.iter().map(|r| &r.record))
}
