//! The http workload's server as a child process the runner owns: started, waited for
//! until ready, asked for its counters, and stopped on every way out.
//!
//! The child is `tracepool-bench serve ... --exit-on-eof`: it prints its URL on its
//! standard output once it listens, and exits when its standard input reaches its end.
//! The runner holds the only write end of that pipe, so the child ends whenever the
//! runner does: when [`ServerProcess`] is stopped or dropped, when the runner returns
//! early or panics, and when it is killed (the kernel closes its descriptors). It runs
//! in a process group of its own, so a Ctrl-C at the terminal reaches the runner only,
//! which then stops the crawl and the server in order.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use tracepool::PluginError;

use super::client::HttpClient;
use super::server::ServerConfig;
use super::stats::StatsSnapshot;
use super::wire::STATS_PATH;
use crate::runner::{RunSpec, SpecError};

/// How long a child has to say it is ready (building a large graph takes a while).
pub const READY_WITHIN: Duration = Duration::from_secs(120);
/// How long a child has to exit once asked, before it is killed.
const EXIT_WITHIN: Duration = Duration::from_secs(5);
/// How much of the child's standard error is kept, for the error messages.
const STDERR_TAIL_BYTES: usize = 4096;

/// The settings of `tracepool-bench serve`, as its flags take them.
///
/// [`ServeOptions::args`] writes them as flags; the `serve` command reads them back
/// with the same meaning, so a child serves exactly what its parent asked.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeOptions {
    /// Graph size (`--traces`).
    pub traces: usize,
    /// Seed of the graph, latencies and failures (`--seed`).
    pub seed: u64,
    /// Mean call latency in milliseconds before the time scale (`--latency-ms`).
    pub latency_ms: f64,
    /// Factor applied to every latency (`--time-scale`).
    pub time_scale: f64,
    /// Probability that a call fails (`--failure-rate`).
    pub failure_rate: f64,
    /// How long a slow response takes, in milliseconds (`--slow-ms`).
    pub slow_ms: f64,
    /// Calls served at once (`--capacity`).
    pub capacity: usize,
    /// Calls held at once before `503`s (`--max-pending`).
    pub max_pending: usize,
}

impl ServeOptions {
    /// The server's configuration on `addr`: the simulated workload that `run` builds
    /// for the same settings, and the server's own.
    ///
    /// # Errors
    ///
    /// A [`SpecError`] naming the first of `traces`, `latency_ms`, `time_scale` and
    /// `failure_rate` out of its range. The server's own fields are checked by
    /// [`ServerConfig::validate`].
    pub fn server_config(&self, addr: SocketAddr) -> Result<ServerConfig, SpecError> {
        let workload = RunSpec {
            traces: self.traces,
            seed: self.seed,
            latency_ms: self.latency_ms,
            time_scale: self.time_scale,
            failure_rate: self.failure_rate,
            ..RunSpec::default()
        }
        .sim_config()?;
        Ok(ServerConfig {
            addr,
            workload,
            // Out of range (negative, not a number) reads as zero, which `validate`
            // rejects naming `slow`.
            slow: Duration::try_from_secs_f64(self.slow_ms / 1e3).unwrap_or_default(),
            capacity: self.capacity,
            max_pending: self.max_pending,
        })
    }

    /// The flags of `tracepool-bench serve` that ask for these settings (on a free
    /// loopback port).
    pub fn args(&self) -> Vec<String> {
        // `f64`'s `Display` is the shortest text that reads back as the same number.
        [
            ("--traces", self.traces.to_string()),
            ("--seed", self.seed.to_string()),
            ("--latency-ms", self.latency_ms.to_string()),
            ("--time-scale", self.time_scale.to_string()),
            ("--failure-rate", self.failure_rate.to_string()),
            ("--slow-ms", self.slow_ms.to_string()),
            ("--capacity", self.capacity.to_string()),
            ("--max-pending", self.max_pending.to_string()),
        ]
        .into_iter()
        .flat_map(|(flag, value)| [flag.to_owned(), value])
        .collect()
    }
}

/// Why the server child could not be used.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServerProcessError {
    /// The program could not be started.
    Spawn {
        /// The program.
        program: PathBuf,
        /// The OS's error.
        source: io::Error,
    },
    /// The child ended: before it was ready, or during the run. Holds the end of what it
    /// wrote on its standard error.
    Exited {
        /// How it ended.
        status: ExitStatus,
        /// The end of its standard error.
        stderr: String,
    },
    /// The child did not say it was ready in time (it was killed).
    NotReady {
        /// How long it was waited for.
        waited: Duration,
        /// The end of its standard error.
        stderr: String,
    },
    /// The child's first line was not the URL of a loopback address.
    Malformed {
        /// The line.
        line: String,
    },
    /// The counters could not be read (the server answered something else, or nothing).
    Stats(PluginError),
}

impl fmt::Display for ServerProcessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tail = |stderr: &str| match stderr.trim().lines().last() {
            Some(last) => format!(": {last}"),
            None => String::new(),
        };
        match self {
            Self::Spawn { program, .. } => {
                write!(f, "cannot start the http server {}", program.display())
            }
            Self::Exited { status, stderr } => {
                write!(f, "the http server ended ({status}){}", tail(stderr))
            }
            Self::NotReady { waited, stderr } => write!(
                f,
                "the http server was not ready after {waited:?}{}",
                tail(stderr)
            ),
            Self::Malformed { line } => write!(
                f,
                "the http server's first line is not the URL of a loopback address: {line:?}"
            ),
            Self::Stats(e) => write!(f, "cannot read the http server's counters: {e}"),
        }
    }
}

impl std::error::Error for ServerProcessError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Spawn { source, .. } => Some(source),
            Self::Stats(e) => Some(e),
            _ => None,
        }
    }
}

/// The server child; stopped when dropped.
///
/// # Examples
///
/// ```no_run
/// use std::path::Path;
/// use tracepool_bench::http::process::{ServeOptions, ServerProcess};
///
/// let options = ServeOptions {
///     traces: 1_000,
///     seed: 42,
///     latency_ms: 20.0,
///     time_scale: 1.0,
///     failure_rate: 0.05,
///     slow_ms: 2_000.0,
///     capacity: 100,
///     max_pending: 400,
/// };
/// let mut server = ServerProcess::start(Path::new("tracepool-bench"), &options)?;
/// println!("serving at http://{}", server.addr());
/// // ... crawl it ...
/// let stats = server.stats()?;
/// println!("peak requests in progress: {}", stats.peak_requests_in_progress);
/// server.stop()?;
/// # Ok::<(), tracepool_bench::http::process::ServerProcessError>(())
/// ```
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    addr: SocketAddr,
    stderr: Arc<Mutex<VecDeque<u8>>>,
}

impl ServerProcess {
    /// Starts `program serve <options> --exit-on-eof` and waits (at most
    /// [`READY_WITHIN`]) until it prints the URL it listens on.
    ///
    /// # Errors
    ///
    /// [`ServerProcessError::Spawn`] when the program cannot start,
    /// [`ServerProcessError::Exited`] when it ends before it is ready (e.g. bad flags),
    /// [`ServerProcessError::NotReady`] when it says nothing in time, and
    /// [`ServerProcessError::Malformed`] when what it says is not a loopback URL. The
    /// child is stopped in every case.
    pub fn start(program: &Path, options: &ServeOptions) -> Result<Self, ServerProcessError> {
        let mut command = Command::new(program);
        command
            .arg("serve")
            .args(options.args())
            .arg("--exit-on-eof")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command
            .spawn()
            .map_err(|source| ServerProcessError::Spawn {
                program: program.to_path_buf(),
                source,
            })?;
        let stdin = child.stdin.take();
        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(pipe) = child.stderr.take() {
            let tail = Arc::clone(&stderr);
            // Drains the child's standard error to its end, keeping the last bytes.
            let _ = thread::Builder::new()
                .name("tracepool-http-err".into())
                .spawn(move || keep_tail(pipe, &tail));
        }
        let (line_tx, line_rx) = mpsc::channel();
        if let Some(pipe) = child.stdout.take() {
            let _ = thread::Builder::new()
                .name("tracepool-http-out".into())
                .spawn(move || {
                    let mut lines = BufReader::new(pipe).lines();
                    if let Some(Ok(line)) = lines.next() {
                        let _ = line_tx.send(line);
                    }
                    // Drain the rest, so that the child never blocks on a full pipe.
                    lines.for_each(drop);
                });
        }
        let mut server = ServerProcess {
            child,
            stdin,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            stderr,
        };
        let started = Instant::now();
        let line = match line_rx.recv_timeout(READY_WITHIN) {
            Ok(line) => line,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // The child closed its standard output without a line: it ended.
                let status = server.wait_for_exit(EXIT_WITHIN);
                return Err(ServerProcessError::Exited {
                    status,
                    stderr: server.stderr_tail(),
                });
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                server.kill();
                return Err(ServerProcessError::NotReady {
                    waited: started.elapsed(),
                    stderr: server.stderr_tail(),
                });
            }
        };
        match parse_url(&line) {
            Some(addr) => {
                server.addr = addr;
                Ok(server)
            }
            None => {
                server.kill();
                Err(ServerProcessError::Malformed { line })
            }
        }
    }

    /// The address the child listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The child's process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The server's counters, read from `GET /stats` (on a connection of its own, with a
    /// 10 s deadline).
    ///
    /// # Errors
    ///
    /// [`ServerProcessError::Exited`] when the child has ended,
    /// [`ServerProcessError::Stats`] when it does not answer with its counters.
    pub fn stats(&mut self) -> Result<StatsSnapshot, ServerProcessError> {
        self.check()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                ServerProcessError::Stats(PluginError::new(
                    tracepool::PluginErrorKind::Exhausted,
                    format!("no runtime to ask with: {e}"),
                ))
            })?;
        let client = HttpClient::new(self.addr, Duration::from_secs(10));
        let stats = runtime.block_on(client.get_json::<StatsSnapshot>(STATS_PATH));
        // A server that died while asked is told as such.
        self.check()?;
        stats.map_err(ServerProcessError::Stats)
    }

    /// Whether the child still runs.
    ///
    /// # Errors
    ///
    /// [`ServerProcessError::Exited`] when it ended, with how.
    pub fn check(&mut self) -> Result<(), ServerProcessError> {
        match self.child.try_wait() {
            Ok(Some(status)) => Err(ServerProcessError::Exited {
                status,
                stderr: self.stderr_tail(),
            }),
            Ok(None) | Err(_) => Ok(()),
        }
    }

    /// Stops the child: closes its standard input, waits for it to exit (killing it
    /// after 5 s).
    ///
    /// # Errors
    ///
    /// [`ServerProcessError::Exited`] when it had ended before it was asked to, or
    /// ended with a failure.
    pub fn stop(mut self) -> Result<(), ServerProcessError> {
        let before = self.check();
        let status = self.halt();
        before?;
        if status.success() {
            Ok(())
        } else {
            Err(ServerProcessError::Exited {
                status,
                stderr: self.stderr_tail(),
            })
        }
    }

    /// Closes the child's standard input and waits for it; kills it if it lingers.
    fn halt(&mut self) -> ExitStatus {
        drop(self.stdin.take());
        self.wait_for_exit(EXIT_WITHIN)
    }

    fn wait_for_exit(&mut self, patience: Duration) -> ExitStatus {
        let started = Instant::now();
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return status,
                Ok(None) if started.elapsed() < patience => {
                    thread::sleep(Duration::from_millis(5));
                }
                _ => return self.kill(),
            }
        }
    }

    fn kill(&mut self) -> ExitStatus {
        let _ = self.child.kill();
        loop {
            match self.child.wait() {
                Ok(status) => return status,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // Not our child any more (already reaped): nothing left to wait for.
                Err(_) => return ExitStatus::default(),
            }
        }
    }

    fn stderr_tail(&self) -> String {
        // Let the draining thread catch up with what the child wrote before it ended.
        thread::sleep(Duration::from_millis(20));
        let tail = self.stderr.lock().unwrap_or_else(PoisonError::into_inner);
        let bytes: Vec<u8> = tail.iter().copied().collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.halt();
        }
    }
}

/// Reads `pipe` to its end, keeping its last [`STDERR_TAIL_BYTES`] in `tail`.
fn keep_tail(mut pipe: impl Read, tail: &Mutex<VecDeque<u8>>) {
    let mut buffer = [0u8; 1024];
    loop {
        match pipe.read(&mut buffer) {
            Ok(0) => return,
            Ok(n) => {
                let mut tail = tail.lock().unwrap_or_else(PoisonError::into_inner);
                tail.extend(&buffer[..n]);
                let excess = tail.len().saturating_sub(STDERR_TAIL_BYTES);
                tail.drain(..excess);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// The address of a `http://<loopback ip>:<port>` line.
fn parse_url(line: &str) -> Option<SocketAddr> {
    let addr: SocketAddr = line.trim().strip_prefix("http://")?.parse().ok()?;
    (addr.ip().is_loopback() && addr.port() != 0).then_some(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_loopback_url_with_a_port_is_ready() {
        assert_eq!(
            parse_url("http://127.0.0.1:4000\n"),
            Some(SocketAddr::from(([127, 0, 0, 1], 4000)))
        );
        assert!(parse_url("http://[::1]:4000").is_some());
        for bad in [
            "",
            "127.0.0.1:4000",
            "http://10.0.0.1:4000",
            "http://127.0.0.1:0",
            "http://localhost:80",
        ] {
            assert_eq!(parse_url(bad), None, "{bad}");
        }
    }

    #[test]
    fn options_are_written_as_the_serve_flags() {
        let options = ServeOptions {
            traces: 10,
            seed: 7,
            latency_ms: 0.1,
            time_scale: 2.5,
            failure_rate: 0.05,
            slow_ms: 1500.0,
            capacity: 3,
            max_pending: 9,
        };
        assert_eq!(
            options.args().join(" "),
            "--traces 10 --seed 7 --latency-ms 0.1 --time-scale 2.5 --failure-rate 0.05 \
             --slow-ms 1500 --capacity 3 --max-pending 9"
        );
    }

    #[test]
    fn the_tail_keeps_the_last_bytes() {
        let tail = Mutex::new(VecDeque::new());
        let text = "x".repeat(STDERR_TAIL_BYTES) + "the end";
        keep_tail(text.as_bytes(), &tail);
        let kept: Vec<u8> = tail.lock().unwrap().iter().copied().collect();
        assert_eq!(kept.len(), STDERR_TAIL_BYTES);
        assert!(kept.ends_with(b"the end"));
    }
}
