//! The http workload's server: the seeded trace graph served over HTTP/1.1 on a loopback
//! address, with the latency, the failures and the capacity of a real service.
//!
//! Each plugin call (`GET /follow`, see [`wire`](super::wire)) is answered as the
//! simulated workload's call of the same plugin on the same trace: after its seeded
//! latency, with the traces found, or failing as seeded (a `403`, a `429` with a
//! `Retry-After`, a `500` or `503`, a reset connection, or a response slower than any
//! client's timeout). With failures off, a crawl of the server discovers exactly what the
//! simulated crawl of the same seed discovers.
//!
//! The server has `capacity` workers: a call beyond them waits in a first-come queue,
//! so latency grows with the load as a real server's does; a call arriving while
//! `max_pending` calls are held (served or queued) is answered `503` with
//! `Retry-After: 1` at once. It counts calls in progress and open connections, and their
//! peaks, in [`ServerStats`], served at `GET /stats`.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::ops::RangeInclusive;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use futures::future::{self, Either};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::Serialize;
use tokio::sync::Semaphore;
use tracepool::sim::{SimConfig, SimConfigError, SimWorkload};

use super::reply::{Answer, reply};
use super::reset::{ResetSwitch, ResettableStream};
use super::stats::ServerStats;
use super::wire::{ErrorBody, FOLLOW_PATH, FollowRequest, Found, STATS_PATH};

/// The default [`ServerConfig::capacity`].
pub const DEFAULT_CAPACITY: usize = 100;
/// The default [`ServerConfig::max_pending`].
pub const DEFAULT_MAX_PENDING: usize = 400;
/// The default [`ServerConfig::slow`].
pub const DEFAULT_SLOW: Duration = Duration::from_secs(30);

/// The values [`ServerConfig::capacity`] accepts.
pub const CAPACITY: RangeInclusive<usize> = 1..=1_000_000;
/// The values [`ServerConfig::max_pending`] accepts (at least `capacity` too).
pub const MAX_PENDING: RangeInclusive<usize> = 1..=10_000_000;
/// The values [`ServerConfig::slow`] accepts.
pub const SLOW: RangeInclusive<Duration> = Duration::from_millis(1)..=Duration::from_secs(3600);

/// How the server is set up. [`ServerConfig::default`]: `127.0.0.1` on a free port, the
/// default simulated workload, 100 workers, 503 past 400 calls held, slow responses of
/// 30 s.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    /// Where to listen: a loopback address (`127.0.0.0/8` or `::1`); port 0 takes a
    /// free port.
    pub addr: SocketAddr,
    /// The graph served, its latencies and failures. Its `panic_prob` and
    /// `cpu_per_call` must be 0: a server can make its client neither panic nor spin.
    pub workload: SimConfig,
    /// How long a slow response takes: make it longer than the client's timeout.
    pub slow: Duration,
    /// Calls served at once; more wait in a queue.
    pub capacity: usize,
    /// Calls held at once (served or queued); one more is answered `503`.
    pub max_pending: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            workload: SimConfig::default(),
            slow: DEFAULT_SLOW,
            capacity: DEFAULT_CAPACITY,
            max_pending: DEFAULT_MAX_PENDING,
        }
    }
}

impl ServerConfig {
    /// Checks every field but the workload's own (which [`Server::bind`] checks).
    ///
    /// # Errors
    ///
    /// The first field out of its range, as a [`ServerConfigError`] naming it.
    pub fn validate(&self) -> Result<(), ServerConfigError> {
        let err = |field, value: String, accepted: String| {
            Err(ServerConfigError {
                field,
                value,
                accepted,
            })
        };
        if !self.addr.ip().is_loopback() {
            return err(
                "addr",
                self.addr.ip().to_string(),
                "a loopback address (127.0.0.0/8 or ::1)".to_owned(),
            );
        }
        if self.workload.panic_prob != 0.0 {
            return err(
                "panic_prob",
                self.workload.panic_prob.to_string(),
                "0 (a server cannot make its client panic)".to_owned(),
            );
        }
        if !self.workload.cpu_per_call.is_zero() {
            return err(
                "cpu_per_call",
                format!("{:?}", self.workload.cpu_per_call),
                "0 (a server cannot make its client spin)".to_owned(),
            );
        }
        if !SLOW.contains(&self.slow) {
            return err(
                "slow",
                format!("{:?}", self.slow),
                format!("from {:?} to {:?}", SLOW.start(), SLOW.end()),
            );
        }
        if !CAPACITY.contains(&self.capacity) {
            return err(
                "capacity",
                self.capacity.to_string(),
                format!(
                    "a whole number from {} to {}",
                    CAPACITY.start(),
                    CAPACITY.end()
                ),
            );
        }
        if !(self.capacity..=*MAX_PENDING.end()).contains(&self.max_pending) {
            return err(
                "max_pending",
                self.max_pending.to_string(),
                format!(
                    "a whole number from `capacity` ({}) to {}",
                    self.capacity,
                    MAX_PENDING.end()
                ),
            );
        }
        Ok(())
    }
}

/// A [`ServerConfig`] field outside its range: the field, the rejected value and what
/// the field accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfigError {
    field: &'static str,
    value: String,
    accepted: String,
}

impl ServerConfigError {
    /// The field at fault (`capacity`; `panic_prob` and `cpu_per_call` for the
    /// workload's).
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// The rejected value, as text.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// What the field accepts.
    pub fn accepted(&self) -> &str {
        &self.accepted
    }
}

impl fmt::Display for ServerConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` must be {}, got {}",
            self.field, self.accepted, self.value
        )
    }
}

impl std::error::Error for ServerConfigError {}

/// Why a server could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServerError {
    /// A field of the [`ServerConfig`] is outside its range.
    Config(ServerConfigError),
    /// The simulated workload rejected its configuration.
    Workload(SimConfigError),
    /// The address cannot be listened on (in use, not permitted...).
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The error of the OS.
        source: io::Error,
    },
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(e) => write!(f, "invalid server: {e}"),
            Self::Workload(_) => f.write_str("invalid simulated workload"),
            Self::Bind { addr, .. } => write!(f, "cannot listen on {addr}"),
        }
    }
}

impl std::error::Error for ServerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Config(e) => Some(e),
            Self::Workload(e) => Some(e),
            Self::Bind { source, .. } => Some(source),
        }
    }
}

/// The server, bound and ready: connections wait in the listen queue until
/// [`serve`](Server::serve) accepts them.
///
/// # Examples
///
/// ```
/// use tracepool_bench::http::server::{Server, ServerConfig};
///
/// let server = Server::bind(ServerConfig::default())?;
/// assert!(server.local_addr().ip().is_loopback());
/// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
/// // Serves until the shutdown future ends: here at once.
/// runtime.block_on(server.serve(async {}))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    addr: SocketAddr,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    sim: SimWorkload,
    stats: Arc<ServerStats>,
    workers: Semaphore,
    slow: Duration,
    max_pending: u64,
}

impl Server {
    /// Checks `config`, builds the graph and listens on the address.
    ///
    /// # Errors
    ///
    /// [`ServerError::Config`] or [`ServerError::Workload`] for a field out of its
    /// range, [`ServerError::Bind`] when the address cannot be listened on.
    pub fn bind(config: ServerConfig) -> Result<Server, ServerError> {
        config.validate().map_err(ServerError::Config)?;
        let sim = SimWorkload::new(config.workload).map_err(ServerError::Workload)?;
        let bind_error = |source| ServerError::Bind {
            addr: config.addr,
            source,
        };
        let listener = TcpListener::bind(config.addr).map_err(bind_error)?;
        listener.set_nonblocking(true).map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        Ok(Server {
            listener,
            addr,
            shared: Arc::new(Shared {
                sim,
                stats: Arc::new(ServerStats::default()),
                workers: Semaphore::new(config.capacity),
                slow: config.slow,
                max_pending: config.max_pending as u64,
            }),
        })
    }

    /// The address listened on (with the port taken when port 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL of the server (`http://127.0.0.1:40123`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server's counters, readable while it serves.
    pub fn stats(&self) -> Arc<ServerStats> {
        Arc::clone(&self.shared.stats)
    }

    /// Serves connections until `shutdown` ends; then stops accepting and returns.
    /// Connections still open are served as long as the runtime runs them.
    ///
    /// Runs on tokio, with its IO and time drivers enabled (each connection is a task
    /// spawned on the current runtime). A failed accept (e.g. out of file descriptors)
    /// is counted and retried after 10 ms, never fatal.
    ///
    /// # Errors
    ///
    /// The error of registering the listener with the runtime.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        let listener = tokio::net::TcpListener::from_std(self.listener)?;
        let mut shutdown = pin!(shutdown);
        loop {
            let accepted = match future::select(pin!(listener.accept()), shutdown.as_mut()).await {
                Either::Left((accepted, _)) => accepted,
                Either::Right(((), _)) => return Ok(()),
            };
            match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(connection(Arc::clone(&self.shared), stream));
                }
                Err(_) => {
                    self.shared.stats.accept_failed();
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    }
}

/// Serves one connection until it closes.
async fn connection(shared: Arc<Shared>, stream: tokio::net::TcpStream) {
    let stats = Arc::clone(&shared.stats);
    let _open = stats.connection_opened();
    let (stream, switch) = ResettableStream::new(stream);
    let service = service_fn(move |request| answer(Arc::clone(&shared), switch.clone(), request));
    // An error ends the connection: a reset, a client gone mid-request, bad HTTP.
    let _ = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(None)
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// The connection is reset instead of answered: hyper closes it without a response.
#[derive(Debug)]
struct ResetConnection;

impl fmt::Display for ResetConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection reset by the server (seeded)")
    }
}

impl std::error::Error for ResetConnection {}

type Answered = Result<Response<Full<Bytes>>, ResetConnection>;

async fn answer(shared: Arc<Shared>, switch: ResetSwitch, request: Request<Incoming>) -> Answered {
    let path = request.uri().path();
    if path == FOLLOW_PATH && request.method() == Method::GET {
        return follow(&shared, &switch, request.uri().query()).await;
    }
    if path == STATS_PATH && request.method() == Method::GET {
        return Ok(json(StatusCode::OK, &shared.stats.snapshot()));
    }
    let (status, error) = if path == FOLLOW_PATH || path == STATS_PATH {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{path} takes GET only"),
        )
    } else {
        (StatusCode::NOT_FOUND, format!("no such path: {path}"))
    };
    Ok(json(status, &ErrorBody { error }))
}

async fn follow(shared: &Shared, switch: &ResetSwitch, query: Option<&str>) -> Answered {
    let stats = &shared.stats;
    let call = match FollowRequest::from_query(query) {
        Ok(call) => call,
        Err(e) => {
            stats.answered(400);
            let error = e.to_string();
            return Ok(json(StatusCode::BAD_REQUEST, &ErrorBody { error }));
        }
    };
    let in_progress = stats.request_started();
    if in_progress.count() > shared.max_pending {
        stats.rejected();
        stats.answered(503);
        let mut response = json(
            StatusCode::SERVICE_UNAVAILABLE,
            &ErrorBody {
                error: "the server is full".to_owned(),
            },
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(1u64));
        return Ok(response);
    }
    let Some(reply) = reply(&shared.sim, &call.trace, &call.plugin, shared.slow) else {
        stats.answered(404);
        let error = format!("no plugin {} for {}", call.plugin, call.trace);
        return Ok(json(StatusCode::NOT_FOUND, &ErrorBody { error }));
    };
    // Wait for a worker (first come, first served), then work. The semaphore is never
    // closed, so the permit always comes.
    let _worker = shared.workers.acquire().await;
    if reply.slow {
        stats.slow();
    }
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    match reply.answer {
        Answer::Found(traces) => {
            stats.answered(200);
            Ok(json(StatusCode::OK, &Found { traces }))
        }
        Answer::Status {
            status,
            retry_after_s,
        } => {
            stats.answered(status);
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let error = status
                .canonical_reason()
                .unwrap_or("error")
                .to_ascii_lowercase();
            let mut response = json(status, &ErrorBody { error });
            if let Some(seconds) = retry_after_s {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            Ok(response)
        }
        Answer::Reset => {
            stats.reset();
            switch.reset();
            Err(ResetConnection)
        }
    }
}

/// A JSON response.
fn json(status: StatusCode, body: &impl Serialize) -> Response<Full<Bytes>> {
    // These plain types always serialise.
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut response = Response::new(Full::new(Bytes::from(bytes)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
