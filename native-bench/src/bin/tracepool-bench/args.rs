//! The command line: commands, flags, their ranges and defaults.

use std::fmt::Display;
use std::net::IpAddr;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::str::FromStr;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use tracepool::crawl::Model;
use tracepool::report::{
    DEFAULT_FAILURE_RATE, DEFAULT_LATENCY_MS, DEFAULT_SEED, DEFAULT_TIME_SCALE, KnownName,
    Scenario, SleepTimer, Workload,
};
use tracepool_bench::http::server;
use tracepool_bench::runner;

/// The environment variable of the original tool that sets the concurrency.
pub(crate) const CONCURRENCY_VAR: &str = "DEEPER_MAX_CONCURRENCY";

pub(crate) const DEFAULT_SLOW_MS: f64 = server::DEFAULT_SLOW.as_millis() as f64;

#[derive(Debug, Parser)]
#[command(
    name = "tracepool-bench",
    version,
    about = "Runs the benchmarking plan's scenarios for tracepool's bounded pool and the models it replaced",
    long_about = "Runs the benchmarking plan's scenarios for tracepool's bounded pool and the \
models it replaced.\n\nWithout a command, runs every scenario (baseline, high-load, stress) for \
every model (pool, previous, unbounded) on the simulated crawl workload and writes \
tracepool-report/ with report.json, report.md and report.html.\n\nExit codes: 0 success \
(also when standard output was closed early, as by `| head`); 1 a run exceeded the pool's \
limit or lost jobs; 2 bad input (a flag, a file it names, the environment); 3 a failure at \
run time (an output that cannot be written, standard output failing, the OS refusing a \
thread, the profiler or the fd limit, the http server failing to start or ending \
mid-run); 130 stopped by Ctrl-C, SIGINT, SIGTERM or SIGHUP (`run` prints its \
partial record, `report` leaves an existing report as it was)."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Runs plan scenarios and writes a report (the default command).
    Report(ReportArgs),
    /// Runs one workload under one model and prints its record.
    Run(RunArgs),
    /// Writes the synthetic workload's traces as a `kind:value` file.
    Gen(GenArgs),
    /// Serves the synthetic workload's graph over HTTP on loopback (the http workload's
    /// server): prints its URL, then serves until Ctrl-C.
    #[command(
        long_about = "Serves the synthetic workload's graph over HTTP on loopback: the server the \
    http workload crawls (`run --workload http` starts one of its own).\n\nPrints its URL \
    (http://127.0.0.1:PORT) as the first line on standard output once it listens, then serves \
    until Ctrl-C. `GET /follow?plugin=NAME&kind=KIND&value=VALUE` answers what that plugin finds \
    for that trace (JSON), after the seeded latency, or fails as seeded: 403, 429 with \
    Retry-After, 500, 503, a reset connection, or an answer slower than --slow-ms. Past \
    --capacity calls at once, calls wait their turn; past --max-pending, they are answered 503. \
    `GET /stats` gives its counters: calls and connections, now and at their peak, answers by \
    status."
    )]
    Serve(ServeArgs),
}

/// The scenarios `report` runs: one of them, or all (`--scenario all`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScenarioSelection {
    /// One scenario.
    One(Scenario),
    /// Every scenario, in the plan's order.
    All,
}

impl ScenarioSelection {
    /// The value of `--scenario` that selects every scenario.
    const ALL: &str = "all";

    pub(crate) fn scenarios(self) -> Vec<Scenario> {
        match self {
            ScenarioSelection::One(scenario) => vec![scenario],
            ScenarioSelection::All => Scenario::ALL.to_vec(),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub(crate) struct ReportArgs {
    /// Which scenarios to run.
    #[arg(long, value_parser = scenario_selection(), default_value = ScenarioSelection::ALL)]
    pub(crate) scenario: ScenarioSelection,
    /// Output directory: created, or replaced whole when it holds nothing but report.json,
    /// report.md and report.html (any other directory is refused).
    #[arg(long, value_name = "DIR", default_value = "tracepool-report")]
    pub(crate) out: PathBuf,
    /// Seed of the synthetic workload.
    #[arg(long, allow_hyphen_values = true, value_name = "N", default_value_t = DEFAULT_SEED, value_parser = seed)]
    pub(crate) seed: u64,
    /// Factor applied to every simulated latency, from 0 to 1000 (0.1 = ten times faster).
    #[arg(long, allow_hyphen_values = true, value_name = "F", default_value_t = DEFAULT_TIME_SCALE, value_parser = time_scale)]
    pub(crate) time_scale: f64,
    /// Mean simulated call latency in milliseconds, from 0 to 60000, before the time scale.
    #[arg(long, allow_hyphen_values = true, value_name = "MEAN", default_value_t = DEFAULT_LATENCY_MS, value_parser = latency_ms)]
    pub(crate) latency_ms: f64,
    /// An earlier report.json: adds a regression table against it.
    #[arg(long, value_name = "OLD/report.json")]
    pub(crate) compare: Option<PathBuf>,
    /// Writes a CPU flamegraph (SVG) of the whole report to this file (Unix only: the profiler
    /// samples with SIGPROF).
    #[arg(long, value_name = "FILE")]
    pub(crate) profile: Option<PathBuf>,
    /// The timer behind the simulated sleeps.
    #[arg(long, value_parser = native_timer(), default_value = "heap")]
    pub(crate) timer: SleepTimer,
    /// Runs each configuration N times, from 1 to 100, interleaved across models; the
    /// report keeps every run and shows the median and the min-max spread.
    #[arg(long, allow_hyphen_values = true, value_name = "N", default_value_t = DEFAULT_REPEAT, value_parser = repeat)]
    pub(crate) repeat: u32,
    /// The workload every run crawls: `http` makes an http report (the limit seen from
    /// the server, file descriptors, failures by status), which is not part of the
    /// default one.
    #[arg(long, value_parser = named::<Workload>(), default_value = "crawl")]
    pub(crate) workload: Workload,
    /// Lowers the limit of open file descriptors for each run's crawl, as `run
    /// --fd-limit` does, from 16 to 1048576 [default: leave it].
    #[arg(long, allow_hyphen_values = true, value_name = "N", value_parser = fd_limit)]
    pub(crate) fd_limit: Option<u64>,
}

/// The default of `report --repeat`.
pub(crate) const DEFAULT_REPEAT: u32 = 3;

/// The values `report --repeat` accepts.
const REPEAT: RangeInclusive<u32> = 1..=100;

fn repeat(s: &str) -> Result<u32, String> {
    whole_in(s, &REPEAT)
}

impl Default for ReportArgs {
    fn default() -> Self {
        ReportArgs {
            scenario: ScenarioSelection::All,
            out: PathBuf::from("tracepool-report"),
            seed: DEFAULT_SEED,
            time_scale: DEFAULT_TIME_SCALE,
            latency_ms: DEFAULT_LATENCY_MS,
            compare: None,
            profile: None,
            timer: SleepTimer::default(),
            repeat: DEFAULT_REPEAT,
            workload: Workload::default(),
            fd_limit: None,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub(crate) struct RunArgs {
    /// The workload.
    #[arg(long, value_parser = named::<Workload>(), default_value = "crawl")]
    pub(crate) workload: Workload,
    /// The scheduling model.
    #[arg(long, value_parser = named::<Model>(), default_value = "pool")]
    pub(crate) model: Model,
    /// Synthetic graph size (crawl, http) or job count (flat), from 1 to 10000000; required
    /// unless --traces-file is given [with --traces-file, default: 1000].
    #[arg(long, allow_hyphen_values = true, value_name = "N", value_parser = traces, required_unless_present = "traces_file")]
    pub(crate) traces: Option<usize>,
    /// Concurrency C, from 1 to 1000000 [default: $DEEPER_MAX_CONCURRENCY, else 10].
    #[arg(long, allow_hyphen_values = true, value_name = "C", value_parser = concurrency)]
    pub(crate) concurrency: Option<usize>,
    /// Mean call latency in milliseconds, from 0 (no sleep at all) to 60000; fractions allowed.
    #[arg(long, allow_hyphen_values = true, value_name = "MEAN", default_value_t = DEFAULT_LATENCY_MS, value_parser = latency_ms)]
    pub(crate) latency_ms: f64,
    /// Factor applied to every latency, from 0 to 1000.
    #[arg(long, allow_hyphen_values = true, value_name = "F", default_value_t = DEFAULT_TIME_SCALE, value_parser = time_scale)]
    pub(crate) time_scale: f64,
    /// Probability that a call fails, from 0 to 1 (crawl and http: the server's seeded
    /// 403, 429, 500, 503, resets and slow answers).
    #[arg(long, allow_hyphen_values = true, value_name = "R", default_value_t = DEFAULT_FAILURE_RATE, value_parser = probability)]
    pub(crate) failure_rate: f64,
    /// Probability that a call panics, from 0 to 1 (crawl only).
    #[arg(long, allow_hyphen_values = true, value_name = "R", default_value_t = 0.0, value_parser = probability)]
    pub(crate) panic_rate: f64,
    /// Per-call timeout in milliseconds, from 0.001 to 3600000 [default: none; for http,
    /// the client's deadline per call, 1000].
    #[arg(long, allow_hyphen_values = true, value_name = "T", value_parser = timeout_ms)]
    pub(crate) timeout_ms: Option<f64>,
    /// Busy CPU time per call in microseconds, from 0 to 1000000 (crawl only).
    #[arg(long, allow_hyphen_values = true, value_name = "U", default_value_t = 0.0, value_parser = cpu_us)]
    pub(crate) cpu_us: f64,
    /// Seed of the workload.
    #[arg(long, allow_hyphen_values = true, value_name = "S", default_value_t = DEFAULT_SEED, value_parser = seed)]
    pub(crate) seed: u64,
    /// Seed traces from a file (`kind:value` per line) instead of the workload's own.
    #[arg(long, value_name = "FILE")]
    pub(crate) traces_file: Option<PathBuf>,
    /// Prints exactly one JSON object (the run record) on stdout.
    #[arg(long)]
    pub(crate) json: bool,
    /// Writes a CPU flamegraph (SVG) of the command to this file, the workload's
    /// preparation (graph, ideal simulation) included, which the record's `wall_s` and
    /// `cpu_percent` leave out (Unix only: the profiler samples with SIGPROF).
    #[arg(long, value_name = "FILE")]
    pub(crate) profile: Option<PathBuf>,
    /// The timer behind the simulated sleeps.
    #[arg(long, value_parser = native_timer(), default_value = "heap")]
    pub(crate) timer: SleepTimer,
    /// Lowers the limit of open file descriptors (RLIMIT_NOFILE) for the crawl, from 16
    /// to 1048576 and at most the hard limit [default: leave it]. Set once the http
    /// server and the sampler have started, so that only the crawl's sockets meet it.
    #[arg(long, allow_hyphen_values = true, value_name = "N", value_parser = fd_limit)]
    pub(crate) fd_limit: Option<u64>,
    /// The http workload's server: calls it serves at once, from 1 to 1000000; more
    /// wait their turn, so their latency grows (http only).
    #[arg(long, allow_hyphen_values = true, value_name = "K", default_value_t = server::DEFAULT_CAPACITY, value_parser = capacity)]
    pub(crate) server_capacity: usize,
    /// The http workload's server: calls it holds at once (served or waiting), from
    /// --server-capacity to 10000000; more are answered 503 (http only).
    #[arg(long, allow_hyphen_values = true, value_name = "N", default_value_t = server::DEFAULT_MAX_PENDING, value_parser = max_pending)]
    pub(crate) server_max_pending: usize,
}

#[derive(Debug, Clone, Args)]
pub(crate) struct GenArgs {
    /// Synthetic graph size, from 1 to 10000000.
    #[arg(long, allow_hyphen_values = true, value_name = "N", value_parser = traces)]
    pub(crate) traces: usize,
    /// Seed of the workload.
    #[arg(long, allow_hyphen_values = true, value_name = "S", default_value_t = DEFAULT_SEED, value_parser = seed)]
    pub(crate) seed: u64,
    /// Output file [default: standard output].
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// Writes every trace of the graph, not only the seeds.
    #[arg(long)]
    pub(crate) graph: bool,
}

/// `T`'s names, each with its summary for `--help` (as clap lists a `ValueEnum`).
fn possible_values<T: KnownName>() -> impl Iterator<Item = PossibleValue> {
    T::ALL
        .iter()
        .map(|v| PossibleValue::new(v.name()).help(v.summary()))
}

/// A flag taking one of `T`'s names.
fn named<T: KnownName + Send + Sync>() -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(possible_values::<T>()).try_map(|name| T::parse_name(&name))
}

/// `--timer`: a timer a native run can sleep on ([`SleepTimer::NATIVE`]); the
/// browser's `set-timeout` is not one.
fn native_timer() -> impl TypedValueParser<Value = SleepTimer> {
    let values = SleepTimer::NATIVE
        .iter()
        .map(|&t| PossibleValue::new(t.name()).help(KnownName::summary(t)));
    PossibleValuesParser::new(values).try_map(|name| SleepTimer::parse_name(&name))
}

/// `--scenario`: a scenario's name, or `all`.
fn scenario_selection() -> impl TypedValueParser<Value = ScenarioSelection> {
    let all = PossibleValue::new(ScenarioSelection::ALL).help("Every scenario");
    PossibleValuesParser::new(possible_values::<Scenario>().chain([all])).try_map(|name| {
        if name == ScenarioSelection::ALL {
            Ok(ScenarioSelection::All)
        } else {
            Scenario::parse_name(&name).map(ScenarioSelection::One)
        }
    })
}

#[derive(Debug, Clone, Args)]
pub(crate) struct ServeArgs {
    /// Synthetic graph size, from 1 to 10000000.
    #[arg(long, allow_hyphen_values = true, value_name = "N", value_parser = traces)]
    pub(crate) traces: usize,
    /// Seed of the graph, its latencies and failures.
    #[arg(long, allow_hyphen_values = true, value_name = "S", default_value_t = DEFAULT_SEED, value_parser = seed)]
    pub(crate) seed: u64,
    /// Mean call latency in milliseconds, from 0 to 60000; fractions allowed.
    #[arg(long, allow_hyphen_values = true, value_name = "MEAN", default_value_t = DEFAULT_LATENCY_MS, value_parser = latency_ms)]
    pub(crate) latency_ms: f64,
    /// Factor applied to every latency, from 0 to 1000.
    #[arg(long, allow_hyphen_values = true, value_name = "F", default_value_t = DEFAULT_TIME_SCALE, value_parser = time_scale)]
    pub(crate) time_scale: f64,
    /// Probability that a call fails, from 0 to 1.
    #[arg(long, allow_hyphen_values = true, value_name = "R", default_value_t = DEFAULT_FAILURE_RATE, value_parser = probability)]
    pub(crate) failure_rate: f64,
    /// How long a slow answer takes, in milliseconds, from 1 to 3600000.
    #[arg(long, allow_hyphen_values = true, value_name = "T", default_value_t = DEFAULT_SLOW_MS, value_parser = slow_ms)]
    pub(crate) slow_ms: f64,
    /// Calls served at once, from 1 to 1000000; more wait their turn.
    #[arg(long, allow_hyphen_values = true, value_name = "K", default_value_t = server::DEFAULT_CAPACITY, value_parser = capacity)]
    pub(crate) capacity: usize,
    /// Calls held at once (served or waiting), from --capacity to 10000000; more are answered 503.
    #[arg(long, allow_hyphen_values = true, value_name = "N", default_value_t = server::DEFAULT_MAX_PENDING, value_parser = max_pending)]
    pub(crate) max_pending: usize,
    /// Address to listen on: a loopback address only (127.0.0.0/8 or ::1).
    #[arg(long, value_name = "IP", default_value = "127.0.0.1", value_parser = loopback)]
    pub(crate) bind: IpAddr,
    /// Port to listen on, from 0 to 65535 (0: a free port).
    #[arg(long, allow_hyphen_values = true, value_name = "PORT", default_value_t = 0, value_parser = port)]
    pub(crate) port: u16,
    /// Exits when standard input reaches its end: for a parent process that owns the
    /// server (closing the pipe, or dying, stops it).
    #[arg(long)]
    pub(crate) exit_on_eof: bool,
}

// Values are taken as written: surrounding whitespace is rejected by every flag (and
// by DEEPER_MAX_CONCURRENCY), as clap's own choices and file names do.

fn whole_in<T>(s: &str, range: &RangeInclusive<T>) -> Result<T, String>
where
    T: FromStr + PartialOrd + Display,
{
    match s.parse::<T>() {
        Ok(value) if range.contains(&value) => Ok(value),
        _ => Err(format!(
            "must be a whole number from {} to {}",
            range.start(),
            range.end()
        )),
    }
}

fn number_in(s: &str, range: &RangeInclusive<f64>, what: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(value) if value.is_finite() && range.contains(&value) => Ok(value),
        _ => Err(format!(
            "must be {what} from {} to {}",
            range.start(),
            range.end()
        )),
    }
}

fn traces(s: &str) -> Result<usize, String> {
    whole_in(s, &runner::TRACES)
}

pub(crate) fn concurrency(s: &str) -> Result<usize, String> {
    whole_in(s, &runner::CONCURRENCY)
}

fn seed(s: &str) -> Result<u64, String> {
    whole_in(s, &(0..=u64::MAX))
}

fn latency_ms(s: &str) -> Result<f64, String> {
    number_in(s, &runner::LATENCY_MS, "a number of milliseconds")
}

fn time_scale(s: &str) -> Result<f64, String> {
    number_in(s, &runner::TIME_SCALE, "a factor")
}

fn probability(s: &str) -> Result<f64, String> {
    number_in(s, &runner::RATE, "a probability")
}

fn cpu_us(s: &str) -> Result<f64, String> {
    number_in(s, &runner::CPU_US, "a number of microseconds")
}

fn timeout_ms(s: &str) -> Result<f64, String> {
    number_in(s, &runner::TIMEOUT_MS, "a number of milliseconds")
}

fn slow_ms(s: &str) -> Result<f64, String> {
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    number_in(
        s,
        &(ms(*server::SLOW.start())..=ms(*server::SLOW.end())),
        "a number of milliseconds",
    )
}

fn capacity(s: &str) -> Result<usize, String> {
    whole_in(s, &server::CAPACITY)
}

fn max_pending(s: &str) -> Result<usize, String> {
    whole_in(s, &server::MAX_PENDING)
}

fn fd_limit(s: &str) -> Result<u64, String> {
    whole_in(s, &tracepool_bench::fd_limit::FD_LIMIT)
}

fn port(s: &str) -> Result<u16, String> {
    whole_in(s, &(0..=u16::MAX))
}

fn loopback(s: &str) -> Result<IpAddr, String> {
    match s.parse::<IpAddr>() {
        Ok(ip) if ip.is_loopback() => Ok(ip),
        _ => Err("must be a loopback address (127.0.0.0/8 or ::1)".to_owned()),
    }
}
