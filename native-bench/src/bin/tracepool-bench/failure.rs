//! Why the program stops early, each reason as a typed error naming the flag (or the
//! variable) at fault, and the one place that maps each to its exit code.

use std::fmt;
use std::io;
use std::path::PathBuf;

use tracepool::report::record::ReportError;
use tracepool::trace::ParseError;
use tracepool_bench::fd_limit::FdLimitError;
use tracepool_bench::http::server::ServerError;
use tracepool_bench::output::OutputError;
use tracepool_bench::report::ReportWriteError;
use tracepool_bench::runner::RunError;

/// Exit code of a run that broke the pool's promises (bound exceeded, jobs lost).
pub(crate) const EXIT_VIOLATION: u8 = 1;
/// Exit code of bad input (flags, files, environment).
pub(crate) const EXIT_USAGE: u8 = 2;
/// Exit code of a run or report stopped by Ctrl-C, SIGINT, SIGTERM or SIGHUP
/// (128 + SIGINT's number, as shells report a Ctrl-C).
pub(crate) const EXIT_INTERRUPTED: u8 = 130;
/// Exit code of a failure at run time: the OS refused a thread or a profiler, an
/// output could not be written, standard output failed.
pub(crate) const EXIT_RUNTIME: u8 = 3;

/// Bad input found before any run: a variable, a flag's combination, a file a flag
/// names.
#[derive(Debug)]
pub(crate) enum InputError {
    /// An environment variable that is not a whole number in its range (`None`: not
    /// Unicode).
    Env {
        var: &'static str,
        value: Option<String>,
        accepted: String,
    },
    /// A flag that only applies to the crawl workload, given with `--workload flat`.
    CrawlOnly { flag: &'static str, value: String },
    /// A file named by a flag that cannot be used.
    File {
        flag: &'static str,
        path: PathBuf,
        source: FileError,
    },
    /// An output file named by a flag that cannot be written.
    Output {
        flag: &'static str,
        path: PathBuf,
        source: OutputError,
    },
    /// An output file named by `flag` inside the report directory, which holds only the
    /// report.
    InsideReport { flag: &'static str, path: PathBuf },
    /// `--out`: the report directory cannot be written where asked.
    OutDir { path: PathBuf, reason: OutDirError },
    /// A flag this system cannot honour (`--profile` off Unix), and why.
    #[cfg(not(unix))]
    Unsupported {
        flag: &'static str,
        reason: &'static str,
    },
}

/// Why a file named by a flag cannot be used.
#[derive(Debug)]
pub(crate) enum FileError {
    /// It cannot be read.
    Read(io::Error),
    /// A line is not a trace.
    Traces(ParseError),
    /// It holds no trace.
    NoTraces,
    /// It is not a report.
    Report(ReportError),
}

/// Why `--out` cannot hold the report.
#[derive(Debug)]
pub(crate) enum OutDirError {
    /// Its parent directory does not exist.
    NoParent(PathBuf),
    /// The report directory's own check failed.
    Report(ReportWriteError),
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Env {
                var,
                value: Some(value),
                accepted,
            } => write!(f, "{var} must be {accepted}, got `{value}`"),
            Self::Env {
                var,
                value: None,
                accepted,
            } => write!(f, "{var} must be {accepted}"),
            Self::CrawlOnly { flag, value } => write!(
                f,
                "{flag} applies to the crawl workload only (got {value} with --workload flat)"
            ),
            Self::File { flag, path, source } => {
                write!(f, "{flag} {}: ", path.display())?;
                match source {
                    FileError::Read(e) => write!(f, "cannot read: {e}"),
                    FileError::Traces(e) => write!(f, "{e}"),
                    FileError::NoTraces => {
                        f.write_str("no traces in the file (one `kind:value` per line)")
                    }
                    FileError::Report(e) => write!(f, "{e}"),
                }
            }
            Self::Output { flag, path, source } => {
                write!(f, "{flag} {}: {source}", path.display())
            }
            Self::InsideReport { flag, path } => write!(
                f,
                "{flag} {}: is inside --out, which holds only the report",
                path.display()
            ),
            Self::OutDir { path, reason } => match reason {
                OutDirError::NoParent(parent) => write!(
                    f,
                    "--out {}: the parent directory {} does not exist",
                    path.display(),
                    parent.display()
                ),
                OutDirError::Report(ReportWriteError::NotADirectory(_)) => {
                    write!(f, "--out {}: exists and is not a directory", path.display())
                }
                OutDirError::Report(e) => write!(f, "--out {}: {e}", path.display()),
            },
            #[cfg(not(unix))]
            Self::Unsupported { flag, reason } => write!(
                f,
                "{flag} is not available on {}: {reason}",
                std::env::consts::OS
            ),
        }
    }
}

impl std::error::Error for InputError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::File { source, .. } => match source {
                FileError::Read(e) => Some(e),
                FileError::Traces(e) => Some(e),
                FileError::Report(e) => Some(e),
                FileError::NoTraces => None,
            },
            Self::Output { source, .. } => Some(source),
            Self::OutDir {
                reason: OutDirError::Report(e),
                ..
            } => Some(e),
            _ => None,
        }
    }
}

/// Why the program stops before its work is done.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Bad input, found before any run.
    Input(InputError),
    /// A run could not be set up.
    Run(RunError),
    /// `--profile`: the profiler could not start or its flamegraph could not be made.
    #[cfg(unix)]
    Profiler { path: PathBuf, source: pprof::Error },
    /// An output file could not be written.
    Write {
        flag: &'static str,
        source: OutputError,
    },
    /// The report directory could not be written.
    Report(ReportWriteError),
    /// Standard output could not be written.
    Stdout(io::Error),
    /// Runs broke the pool's promises (each was printed as it was found).
    Violations(usize),
    /// Stopped by a signal; says what was left.
    Interrupted(String),
    /// `serve`: the server could not start as asked.
    Server(ServerError),
    /// The OS refused what the work needs (a runtime, a thread).
    Io {
        what: &'static str,
        source: io::Error,
    },
}

impl Failure {
    /// The exit code the failure ends the process with.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Self::Violations(_) => EXIT_VIOLATION,
            Self::Interrupted(_) => EXIT_INTERRUPTED,
            Self::Input(_) => EXIT_USAGE,
            Self::Run(
                RunError::Sampler(_)
                | RunError::Server(_)
                | RunError::Runtime(_)
                | RunError::FdLimit(FdLimitError::Os(_)),
            ) => EXIT_RUNTIME,
            Self::Run(_) => EXIT_USAGE,
            Self::Report(ReportWriteError::Io { .. }) => EXIT_RUNTIME,
            Self::Report(_) => EXIT_USAGE,
            #[cfg(unix)]
            Self::Profiler { .. } => EXIT_RUNTIME,
            Self::Server(_) => EXIT_USAGE,
            Self::Write { .. } | Self::Stdout(_) | Self::Io { .. } => EXIT_RUNTIME,
        }
    }
}

impl From<InputError> for Failure {
    fn from(e: InputError) -> Self {
        Self::Input(e)
    }
}

impl From<RunError> for Failure {
    fn from(e: RunError) -> Self {
        Self::Run(e)
    }
}

/// The flag of the command line that sets a field of the run (its `RunSpec` field, or
/// the simulated workload's and the crawl's field it becomes).
fn flag_of(field: &str) -> Option<&'static str> {
    Some(match field {
        "traces" => "--traces",
        "concurrency" | "max_concurrency" => "--concurrency",
        "latency_ms" | "latency_mean" | "latency_p99" => "--latency-ms",
        "time_scale" => "--time-scale",
        "failure_rate" | "failure_prob" => "--failure-rate",
        "panic_rate" | "panic_prob" => "--panic-rate",
        "timeout_ms" | "timeout" | "timer" => "--timeout-ms",
        "cpu_us" | "cpu_per_call" => "--cpu-us",
        "addr" => "--bind",
        "capacity" => "--capacity",
        "max_pending" => "--max-pending",
        "slow" => "--slow-ms",
        "fd_limit" => "--fd-limit",
        "server_capacity" => "--server-capacity",
        "server_max_pending" => "--server-max-pending",
        _ => return None,
    })
}

/// `text` with every `` `field` `` that a flag sets replaced by the flag.
fn in_flags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut parts = text.split('`');
    out.push_str(parts.next().unwrap_or_default());
    let mut quoted = true;
    for part in parts {
        match flag_of(part) {
            Some(flag) if quoted => out.push_str(flag),
            _ if quoted => {
                out.push('`');
                out.push_str(part);
                out.push('`');
            }
            _ => out.push_str(part),
        }
        quoted = !quoted;
    }
    out
}

/// A run's error in the words of the command line: the flag first where there is one.
fn write_run_error(f: &mut fmt::Formatter<'_>, e: &RunError) -> fmt::Result {
    match e {
        RunError::Spec(spec) => match flag_of(spec.field()) {
            Some(flag) => write!(
                f,
                "{flag} {}: must be {}",
                spec.value(),
                in_flags(spec.accepted())
            ),
            None => write!(f, "{e}: {spec}"),
        },
        RunError::Workload(sim) => match flag_of(sim.field()) {
            Some(flag) => write!(f, "{flag}: {sim}"),
            None => write!(f, "{e}: {sim}"),
        },
        RunError::Crawl(crawl) => match flag_of(crawl.field()) {
            Some(flag) => write!(f, "{flag}: {crawl}"),
            None => write!(f, "{e}: {crawl}"),
        },
        RunError::SeedsForFlat => f.write_str("--traces-file: the flat workload takes no seeds"),
        RunError::FdLimit(limit @ FdLimitError::OutOfRange { .. }) => {
            write!(f, "--fd-limit: {limit}")
        }
        _ => match std::error::Error::source(e) {
            Some(source) => write!(f, "{e}: {source}"),
            None => write!(f, "{e}"),
        },
    }
}

/// A server's error in the words of the command line.
fn write_server_error(f: &mut fmt::Formatter<'_>, e: &ServerError) -> fmt::Result {
    match e {
        ServerError::Config(config) => match flag_of(config.field()) {
            Some(flag) => write!(
                f,
                "{flag} {}: must be {}",
                config.value(),
                in_flags(config.accepted())
            ),
            None => write!(f, "{e}: {config}"),
        },
        ServerError::Workload(sim) => match flag_of(sim.field()) {
            Some(flag) => write!(f, "{flag}: {sim}"),
            None => write!(f, "{e}: {sim}"),
        },
        ServerError::Bind { addr, source } => {
            write!(
                f,
                "--bind {}, --port {}: {e}: {source}",
                addr.ip(),
                addr.port()
            )
        }
        _ => write!(f, "{e}"),
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Input(e) => write!(f, "{e}"),
            Self::Run(e) => write_run_error(f, e),
            #[cfg(unix)]
            Self::Profiler { path, source } => write!(f, "--profile {}: {source}", path.display()),
            Self::Write { flag, source, .. } => write!(f, "{flag}: {source}"),
            Self::Report(e) => write!(f, "--out: {e}"),
            Self::Stdout(e) => write!(f, "writing to standard output: {e}"),
            Self::Violations(n) => write!(f, "{n} violation(s) of the pool's guarantees"),
            Self::Interrupted(left) => write!(f, "interrupted: {left}"),
            Self::Server(e) => write_server_error(f, e),
            Self::Io { what, source } => write!(f, "{what}: {source}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use tracepool_bench::os::SamplerError;
    use tracepool_bench::runner::RunSpec;

    use super::*;

    fn io_error() -> io::Error {
        io::Error::new(io::ErrorKind::StorageFull, "no space left on device")
    }

    #[test]
    fn each_failure_has_its_exit_code() {
        let spec = RunSpec {
            traces: 0,
            ..RunSpec::default()
        }
        .validate()
        .unwrap_err();
        let cases = [
            (Failure::Violations(2), 1),
            (
                Failure::Input(InputError::CrawlOnly {
                    flag: "--cpu-us",
                    value: "3".to_owned(),
                }),
                2,
            ),
            (Failure::Run(RunError::Spec(spec)), 2),
            (
                Failure::Run(RunError::Sampler(SamplerError::Spawn(io_error()))),
                3,
            ),
            (
                Failure::Input(InputError::Output {
                    flag: "--profile",
                    path: PathBuf::from("cpu.svg"),
                    source: OutputError::IsADirectory,
                }),
                2,
            ),
            (
                Failure::Write {
                    flag: "--out",
                    source: OutputError::Io {
                        action: "write",
                        path: PathBuf::from("seeds.txt"),
                        source: io_error(),
                    },
                },
                3,
            ),
            (
                Failure::Report(ReportWriteError::Io {
                    action: "write",
                    path: PathBuf::from("report/report.json"),
                    source: io_error(),
                }),
                3,
            ),
            (
                Failure::Report(ReportWriteError::NotADirectory(PathBuf::from("x"))),
                2,
            ),
            (Failure::Stdout(io_error()), 3),
            (Failure::Interrupted("nothing written".to_owned()), 130),
            (Failure::Run(RunError::Runtime(io_error())), 3),
            (
                Failure::Run(RunError::FdLimit(FdLimitError::Os(io_error()))),
                3,
            ),
            (
                Failure::Run(RunError::FdLimit(FdLimitError::OutOfRange {
                    limit: 4096,
                    max: 1024,
                })),
                2,
            ),
        ];
        for (failure, code) in cases {
            assert_eq!(failure.exit_code(), code, "{failure}");
        }
    }

    #[test]
    fn an_fd_limit_above_the_hard_limit_names_the_flag() {
        let message = Failure::Run(RunError::FdLimit(FdLimitError::OutOfRange {
            limit: 4096,
            max: 1024,
        }))
        .to_string();
        assert_eq!(
            message,
            "--fd-limit: must be a whole number from 16 to 1024 (the hard limit caps it), got 4096"
        );
    }

    #[test]
    fn a_spec_error_names_the_flag() {
        let spec = RunSpec {
            failure_rate: 0.7,
            panic_rate: 0.6,
            ..RunSpec::default()
        }
        .validate()
        .unwrap_err();
        let message = Failure::Run(RunError::Spec(spec)).to_string();
        assert_eq!(
            message,
            "--panic-rate 0.6: must be a number from 0 to 0.3 (1 minus --failure-rate)"
        );
    }
}
