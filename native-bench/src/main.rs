//! `tracepool-bench`: the benchmarking plan's scenarios, run natively.
//!
//! Without arguments it runs every scenario for every model and writes
//! `tracepool-report/` (report.json, report.md, report.html). See `--help`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tracepool::Trace;
use tracepool::crawl::{CrawlEvent, Model};
use tracepool::record::{Report, ScenarioRun, Settings, compare};
use tracepool::sim::SimWorkload;
use tracepool_bench::env::probe_environment;
use tracepool_bench::os;
use tracepool_bench::report::{summary_table, write_report};
use tracepool_bench::runner::{self, RunSpec, SleepTimer, Workload};
use tracepool_bench::scenarios::Scenario;

/// The environment variable of the original tool that sets the concurrency.
const CONCURRENCY_VAR: &str = "DEEPER_MAX_CONCURRENCY";

/// Exit code of bad input (flags, files, environment).
const EXIT_USAGE: u8 = 2;
/// Exit code of a run that broke the pool's promises (bound exceeded, jobs lost).
const EXIT_VIOLATION: u8 = 1;

const DEFAULT_LATENCY_MS: f64 = 20.0;
const DEFAULT_TIME_SCALE: f64 = 1.0;
const DEFAULT_FAILURE_RATE: f64 = 0.05;
const DEFAULT_SEED: u64 = 42;

#[derive(Debug, Parser)]
#[command(
    name = "tracepool-bench",
    version,
    about = "Runs the benchmarking plan's scenarios for tracepool's bounded pool and the models it replaced",
    long_about = "Runs the benchmarking plan's scenarios for tracepool's bounded pool and the \
models it replaced.\n\nWithout a command, runs every scenario (baseline, high-load, stress) for \
every model (pool, previous, unbounded) on the simulated crawl workload and writes \
tracepool-report/ with report.json, report.md and report.html.\n\nExit codes: 0 success, \
1 a run exceeded the pool's limit or lost jobs, 2 bad input."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs plan scenarios and writes a report (the default command).
    Report(ReportArgs),
    /// Runs one workload under one model and prints its record.
    Run(RunArgs),
    /// Writes the synthetic workload's traces as a `kind:value` file.
    Gen(GenArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ScenarioChoice {
    /// C = 10, 100 traces.
    Baseline,
    /// C = 10, 20, 50, 100; 1,000 traces.
    HighLoad,
    /// C = 200, 1,000; 10,000 traces.
    Stress,
    /// Every scenario.
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum WorkloadChoice {
    /// The seeded synthetic trace graph.
    Crawl,
    /// N independent jobs, one call each.
    Flat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModelChoice {
    /// The bounded worker pool.
    Pool,
    /// Batches with barriers and a semaphore per trace.
    Previous,
    /// Every call at once.
    Unbounded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TimerChoice {
    /// async-io's timer: the thread idles until the deadline and wakes up as late as
    /// the machine wakes an idle thread (least CPU).
    Reactor,
    /// async-io's timer woken early, then yielding until the deadline: close to the
    /// requested durations, at a CPU cost that counts in the CPU figures.
    Finishing,
}

impl From<TimerChoice> for SleepTimer {
    fn from(t: TimerChoice) -> SleepTimer {
        match t {
            TimerChoice::Reactor => SleepTimer::Reactor,
            TimerChoice::Finishing => SleepTimer::Finishing,
        }
    }
}

impl From<ModelChoice> for Model {
    fn from(m: ModelChoice) -> Model {
        match m {
            ModelChoice::Pool => Model::Pool,
            ModelChoice::Previous => Model::Previous,
            ModelChoice::Unbounded => Model::Unbounded,
        }
    }
}

#[derive(Debug, Clone, Args)]
struct ReportArgs {
    /// Which scenarios to run.
    #[arg(long, value_enum, default_value = "all")]
    scenario: ScenarioChoice,
    /// Output directory (replaced atomically).
    #[arg(long, value_name = "DIR", default_value = "tracepool-report")]
    out: PathBuf,
    /// Seed of the synthetic workload.
    #[arg(long, allow_negative_numbers = true, value_name = "N", default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Factor applied to every simulated latency, from 0 to 1000 (0.1 = ten times faster).
    #[arg(long, allow_negative_numbers = true, value_name = "F", default_value_t = DEFAULT_TIME_SCALE, value_parser = time_scale)]
    time_scale: f64,
    /// Mean simulated call latency in milliseconds, from 0 to 60000, before the time scale.
    #[arg(long, allow_negative_numbers = true, value_name = "MEAN", default_value_t = DEFAULT_LATENCY_MS, value_parser = latency_ms)]
    latency_ms: f64,
    /// An earlier report.json: adds a regression table against it.
    #[arg(long, value_name = "OLD/report.json")]
    compare: Option<PathBuf>,
    /// Writes a CPU flamegraph (SVG) of the whole report to this file.
    #[arg(long, value_name = "FILE")]
    profile: Option<PathBuf>,
    /// The timer behind the simulated sleeps.
    #[arg(long, value_enum, default_value = "finishing")]
    timer: TimerChoice,
}

impl Default for ReportArgs {
    fn default() -> Self {
        ReportArgs {
            scenario: ScenarioChoice::All,
            out: PathBuf::from("tracepool-report"),
            seed: DEFAULT_SEED,
            time_scale: DEFAULT_TIME_SCALE,
            latency_ms: DEFAULT_LATENCY_MS,
            compare: None,
            profile: None,
            timer: TimerChoice::Finishing,
        }
    }
}

#[derive(Debug, Clone, Args)]
struct RunArgs {
    /// The workload.
    #[arg(long, value_enum, default_value = "crawl")]
    workload: WorkloadChoice,
    /// The scheduling model.
    #[arg(long, value_enum, default_value = "pool")]
    model: ModelChoice,
    /// Synthetic graph size (crawl) or job count (flat), from 1 to 10000000.
    #[arg(long, allow_negative_numbers = true, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    traces: u64,
    /// Concurrency C, from 1 to 1000000 [default: $DEEPER_MAX_CONCURRENCY, else 10].
    #[arg(long, allow_negative_numbers = true, value_name = "C", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    concurrency: Option<u64>,
    /// Mean call latency in milliseconds, from 0 (no sleep at all) to 60000; fractions allowed.
    #[arg(long, allow_negative_numbers = true, value_name = "MEAN", default_value_t = DEFAULT_LATENCY_MS, value_parser = latency_ms)]
    latency_ms: f64,
    /// Factor applied to every latency, from 0 to 1000.
    #[arg(long, allow_negative_numbers = true, value_name = "F", default_value_t = DEFAULT_TIME_SCALE, value_parser = time_scale)]
    time_scale: f64,
    /// Probability that a call fails, from 0 to 1 (crawl only).
    #[arg(long, allow_negative_numbers = true, value_name = "R", default_value_t = DEFAULT_FAILURE_RATE, value_parser = probability)]
    failure_rate: f64,
    /// Probability that a call panics, from 0 to 1 (crawl only).
    #[arg(long, allow_negative_numbers = true, value_name = "R", default_value_t = 0.0, value_parser = probability)]
    panic_rate: f64,
    /// Per-call timeout in milliseconds, from 0.001 to 3600000.
    #[arg(long, allow_negative_numbers = true, value_name = "T", value_parser = timeout_ms)]
    timeout_ms: Option<f64>,
    /// Busy CPU time per call in microseconds, from 0 to 1000000 (crawl only).
    #[arg(long, allow_negative_numbers = true, value_name = "U", default_value_t = 0.0, value_parser = cpu_us)]
    cpu_us: f64,
    /// Seed of the workload.
    #[arg(long, allow_negative_numbers = true, value_name = "S", default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Seed traces from a file (`kind:value` per line) instead of the workload's own.
    #[arg(long, value_name = "FILE")]
    traces_file: Option<PathBuf>,
    /// Prints exactly one JSON object (the run record) on stdout.
    #[arg(long)]
    json: bool,
    /// Writes a CPU flamegraph (SVG) of the run to this file.
    #[arg(long, value_name = "FILE")]
    profile: Option<PathBuf>,
    /// The timer behind the simulated sleeps.
    #[arg(long, value_enum, default_value = "finishing")]
    timer: TimerChoice,
}

#[derive(Debug, Clone, Args)]
struct GenArgs {
    /// Synthetic graph size, from 1 to 10000000.
    #[arg(long, allow_negative_numbers = true, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    traces: u64,
    /// Seed of the workload.
    #[arg(long, allow_negative_numbers = true, value_name = "S", default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Output file [default: standard output].
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Writes every trace of the graph, not only the seeds.
    #[arg(long)]
    graph: bool,
}

fn number_in(s: &str, min: f64, max: f64, what: &str) -> Result<f64, String> {
    let value: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("must be {what} from {min} to {max}"))?;
    if value.is_finite() && (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(format!("must be {what} from {min} to {max}"))
    }
}

fn latency_ms(s: &str) -> Result<f64, String> {
    number_in(s, 0.0, 60_000.0, "a number of milliseconds")
}

fn time_scale(s: &str) -> Result<f64, String> {
    number_in(s, 0.0, 1_000.0, "a factor")
}

fn probability(s: &str) -> Result<f64, String> {
    number_in(s, 0.0, 1.0, "a probability")
}

fn cpu_us(s: &str) -> Result<f64, String> {
    number_in(s, 0.0, 1_000_000.0, "a number of microseconds")
}

fn timeout_ms(s: &str) -> Result<f64, String> {
    number_in(s, 0.001, 3_600_000.0, "a number of milliseconds")
}

/// A failure to report on one line, with the exit code it ends the process with.
struct Failure {
    message: String,
    code: u8,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: EXIT_USAGE,
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            eprintln!("{}", one_line(&e.render().to_string()));
            return ExitCode::from(EXIT_USAGE);
        }
    };
    quiet_simulated_panics();
    // Precise timer wake-ups: the default 50 µs slack would delay every simulated
    // sleep. Threads started from here on inherit it.
    let _ = os::set_precise_timer_slack();
    let result = match cli
        .command
        .unwrap_or(Command::Report(ReportArgs::default()))
    {
        Command::Report(args) => report(&args),
        Command::Run(args) => run(&args),
        Command::Gen(args) => gen_traces(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("tracepool-bench: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// Folds clap's multi-line error into one line: the error and what it names.
fn one_line(rendered: &str) -> String {
    rendered
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more information")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The simulated workload panics on purpose (`--panic-rate`); those panics are
/// caught and counted, so their messages would only flood the terminal. Every other
/// panic is reported as usual.
fn quiet_simulated_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if !message.starts_with("simulated panic") {
            default(info);
        }
    }));
}

fn concurrency_from_env() -> Result<u64, Failure> {
    match std::env::var(CONCURRENCY_VAR) {
        Err(std::env::VarError::NotPresent) => Ok(10),
        Err(std::env::VarError::NotUnicode(_)) => Err(Failure::usage(format!(
            "{CONCURRENCY_VAR} must be a whole number from 1 to 1000000"
        ))),
        Ok(text) => match text.trim().parse::<u64>() {
            Ok(c) if (1..=1_000_000).contains(&c) => Ok(c),
            _ => Err(Failure::usage(format!(
                "{CONCURRENCY_VAR} must be a whole number from 1 to 1000000, got `{text}`"
            ))),
        },
    }
}

fn read_traces_file(path: &Path) -> Result<Vec<Trace>, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::usage(format!(
            "--traces-file {}: cannot read: {e}",
            path.display()
        ))
    })?;
    let traces = tracepool::trace::parse_traces(&text)
        .map_err(|e| Failure::usage(format!("--traces-file {}: {e}", path.display())))?;
    if traces.is_empty() {
        return Err(Failure::usage(format!(
            "--traces-file {}: no traces in the file (one `kind:value` per line)",
            path.display()
        )));
    }
    Ok(traces)
}

fn stderr_progress() -> bool {
    std::io::stderr().is_terminal()
}

fn run(args: &RunArgs) -> Result<(), Failure> {
    let concurrency = match args.concurrency {
        Some(c) => c,
        None => concurrency_from_env()?,
    };
    let workload = match args.workload {
        WorkloadChoice::Crawl => Workload::Crawl,
        WorkloadChoice::Flat => Workload::Flat,
    };
    if workload == Workload::Flat {
        for (flag, value) in [
            ("--failure-rate", args.failure_rate),
            ("--panic-rate", args.panic_rate),
            ("--cpu-us", args.cpu_us),
        ] {
            if value != 0.0 && !(flag == "--failure-rate" && value == DEFAULT_FAILURE_RATE) {
                return Err(Failure::usage(format!(
                    "{flag} applies to the crawl workload only (got {value} with --workload flat)"
                )));
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
        model: args.model.into(),
        traces: args.traces as usize,
        concurrency: concurrency as usize,
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
        timer: args.timer.into(),
        ..RunSpec::default()
    };
    let profiler = args.profile.as_deref().map(Profiler::start).transpose()?;
    let bar = if args.json || !stderr_progress() {
        ProgressBar::hidden()
    } else {
        spinner(&format!(
            "{} {} · {} traces · C = {}",
            spec.model, spec.workload, spec.traces, spec.concurrency
        ))
    };
    let output = runner::run(&spec, seeds, progress_observer(&bar))
        .map_err(|e| Failure::usage(e.to_string()))?;
    bar.finish_and_clear();
    if let Some(profiler) = profiler {
        profiler.finish()?;
    }
    let record = &output.record;
    if args.json {
        let json = serde_json::to_string(record).expect("a run record serialises");
        println!("{json}");
    } else {
        println!(
            "{} {}: {} traces, C = {}: {:.3} s, {} jobs ({} completed, {} failed, {} timed out, {} panicked, {} cancelled, {} lost), {} discovered, {:.0} jobs/s, peak in flight {}, efficiency {:.2}, CPU {:.0} %, peak RSS {:.1} MiB, {} threads, p50 {:.2} ms, p99 {:.2} ms, timer overshoot {:.0} µs ({} timer)",
            record.model,
            record.workload,
            record.traces,
            record.concurrency,
            record.wall_s,
            record.jobs,
            record.completed,
            record.failed,
            record.timed_out,
            record.panicked,
            record.cancelled,
            record.lost,
            record.discovered,
            record.throughput_per_s,
            record.peak_in_flight,
            record.efficiency,
            record.cpu_percent,
            record.peak_rss_bytes as f64 / 1048576.0,
            record.peak_os_threads,
            record.latency_p50_ms,
            record.latency_p99_ms,
            record.timer_overshoot_us,
            record.timer,
        );
    }
    check_violations(std::slice::from_ref(record))
}

fn check_violations<'a>(
    records: impl IntoIterator<Item = &'a tracepool::record::RunRecord>,
) -> Result<(), Failure> {
    let violations: Vec<String> = records.into_iter().flat_map(runner::violations).collect();
    if violations.is_empty() {
        return Ok(());
    }
    for v in &violations {
        eprintln!("!!! VIOLATION: {v}");
    }
    Err(Failure {
        message: format!("{} violation(s) of the pool's guarantees", violations.len()),
        code: EXIT_VIOLATION,
    })
}

fn spinner(message: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} · {pos} calls finished · {elapsed}")
            .expect("valid template"),
    );
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// Counts finished calls into `bar`, touching it only every 256 events.
fn progress_observer(bar: &ProgressBar) -> impl FnMut(&CrawlEvent<'_>) + '_ {
    let mut finished = 0u64;
    move |event| {
        if let CrawlEvent::JobFinished { .. } = event {
            finished += 1;
            if finished % 256 == 0 && !bar.is_hidden() {
                bar.set_position(finished);
            }
        }
    }
}

fn report(args: &ReportArgs) -> Result<(), Failure> {
    // Read everything that can be wrong before spending minutes on the runs.
    let old = args
        .compare
        .as_deref()
        .map(|path| {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::usage(format!("--compare {}: cannot read: {e}", path.display()))
            })?;
            Report::from_json(&text)
                .map_err(|e| Failure::usage(format!("--compare {}: {e}", path.display())))
        })
        .transpose()?;
    check_output_dir(&args.out)?;
    let scenarios: Vec<Scenario> = match args.scenario {
        ScenarioChoice::Baseline => vec![Scenario::Baseline],
        ScenarioChoice::HighLoad => vec![Scenario::HighLoad],
        ScenarioChoice::Stress => vec![Scenario::Stress],
        ScenarioChoice::All => Scenario::ALL.to_vec(),
    };
    let base = RunSpec {
        latency_ms: args.latency_ms,
        time_scale: args.time_scale,
        failure_rate: DEFAULT_FAILURE_RATE,
        seed: args.seed,
        timer: args.timer.into(),
        ..RunSpec::default()
    };
    let settings = Settings {
        seed: args.seed,
        time_scale: args.time_scale,
        latency_ms: args.latency_ms,
        failure_rate: base.failure_rate,
        timeout_ms: base.timeout_ms,
        sample_interval_ms: base.sample_interval.as_secs_f64() * 1e3,
    };
    let mut report = Report::new(env!("CARGO_PKG_VERSION"), probe_environment(), settings);
    let total: u64 = scenarios.iter().map(|s| s.runs().count() as u64).sum();
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
    let profiler = args.profile.as_deref().map(Profiler::start).transpose()?;
    for scenario in scenarios {
        for (model, concurrency) in scenario.runs() {
            let spec = RunSpec {
                model,
                concurrency,
                traces: scenario.traces(),
                ..base.clone()
            };
            bar.set_message(format!("{scenario}: {model} at C = {concurrency}"));
            let output =
                runner::run(&spec, None, |_| {}).map_err(|e| Failure::usage(e.to_string()))?;
            if bar.is_hidden() {
                eprintln!(
                    "{scenario}: {model} at C = {concurrency}: {:.2} s",
                    output.record.wall_s
                );
            }
            report.runs.push(ScenarioRun {
                scenario: scenario.name().to_owned(),
                record: output.record,
                series: output.series,
            });
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    if let Some(profiler) = profiler {
        profiler.finish()?;
    }
    report.findings = tracepool::findings::findings(&report);
    report.recommendations = tracepool::findings::recommendations(&report);
    let changes = old.as_ref().map(|old| compare(old, &report));
    write_report(&report, changes.as_deref(), &args.out)
        .map_err(|e| Failure::usage(format!("--out: {e}")))?;
    println!("{}", summary_table(&report));
    for finding in &report.findings {
        println!(
            "- [{:?}] {}: {}",
            finding.verdict, finding.objective, finding.text
        );
    }
    println!(
        "report written to {}/ (report.html, report.md, report.json)",
        args.out.display()
    );
    check_violations(report.runs.iter().map(|r| &r.record))
}

/// Fails early when the report could not be written where asked.
fn check_output_dir(out: &Path) -> Result<(), Failure> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(Failure::usage(format!(
            "--out {}: the parent directory {} does not exist",
            out.display(),
            parent.display()
        )));
    }
    if out.exists() && !out.is_dir() {
        return Err(Failure::usage(format!(
            "--out {}: exists and is not a directory",
            out.display()
        )));
    }
    Ok(())
}

fn gen_traces(args: &GenArgs) -> Result<(), Failure> {
    let spec = RunSpec {
        traces: args.traces as usize,
        seed: args.seed,
        ..RunSpec::default()
    };
    let sim = SimWorkload::new(spec.sim_config()).map_err(|e| Failure::usage(e.to_string()))?;
    let mut text = String::new();
    text.push_str(&format!(
        "# tracepool synthetic workload: seed {}, {} traces{}\n",
        args.seed,
        args.traces,
        if args.graph {
            ", every trace"
        } else {
            ", seed traces"
        }
    ));
    let traces: Box<dyn Iterator<Item = Trace>> = if args.graph {
        Box::new(sim.traces())
    } else {
        Box::new(sim.seeds().into_iter())
    };
    for trace in traces {
        text.push_str(&trace.to_string());
        text.push('\n');
    }
    match &args.out {
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|e| Failure::usage(format!("writing to standard output: {e}")))
        }
        Some(path) => write_atomically(path, text.as_bytes())
            .map_err(|e| Failure::usage(format!("--out {}: {e}", path.display()))),
    }
}

/// Writes `bytes` to a temporary file beside `path`, then renames it into place.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"))?;
    let tmp = path.with_file_name(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// A CPU profile of the process, written as a flamegraph when finished.
struct Profiler {
    guard: pprof::ProfilerGuard<'static>,
    path: PathBuf,
}

impl Profiler {
    fn start(path: &Path) -> Result<Self, Failure> {
        let guard = pprof::ProfilerGuardBuilder::default()
            .frequency(999)
            .blocklist(&["libc", "libgcc", "pthread", "vdso"])
            .build()
            .map_err(|e| Failure::usage(format!("--profile: cannot start the profiler: {e}")))?;
        Ok(Profiler {
            guard,
            path: path.to_path_buf(),
        })
    }

    fn finish(self) -> Result<(), Failure> {
        let fail = |e: String| Failure::usage(format!("--profile {}: {e}", self.path.display()));
        let report = self
            .guard
            .report()
            .build()
            .map_err(|e| fail(e.to_string()))?;
        let mut svg = Vec::new();
        report
            .flamegraph(&mut svg)
            .map_err(|e| fail(e.to_string()))?;
        write_atomically(&self.path, &svg).map_err(|e| fail(e.to_string()))
    }
}
