//! A network plugin to copy: a `tracepool::Plugin` that makes real HTTP calls.
//!
//! What a plugin that calls a web service needs, in one file:
//! - one pooled client shared by every call (hyper-util's; connections kept alive),
//!   a cheap handle of it cloned into each call's future;
//! - a deadline per call, covering connect, send and the whole answer;
//! - every failure mapped to a `PluginError` kind, so that reports count them by
//!   kind: `http_<status>` (with the `Retry-After` delay of a 429 or 503), `timeout`,
//!   `exhausted` (no file descriptor or port left for a socket), `network`, `other`.
//!
//! It crawls the runner's local server (`tracepool-bench serve`, started here in the
//! same process on 127.0.0.1) with the bounded pool, and prints what it found and how
//! the calls failed:
//!
//! ```sh
//! cargo run --release -p tracepool-bench --example http_plugin -- [TRACES] [C] [FAILURE_RATE]
//! ```

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use futures::future::{BoxFuture, FutureExt};
use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper::header::RETRY_AFTER;
use hyper::{StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tracepool::crawl::{CrawlConfig, Crawler, Model};
use tracepool::plugin::{Plugin, PluginError, PluginErrorKind, Registry};
use tracepool::sim::{SimConfig, SimWorkload};
use tracepool::{Trace, TraceKind};

/// A plugin that asks a web service what it knows about a trace.
#[derive(Clone)]
struct RemotePlugin {
    /// Unique within the registry; also the plugin the service is asked for.
    name: String,
    kind: TraceKind,
    /// Cheap to clone: clones share one connection pool.
    client: Client<HttpConnector, Empty<Bytes>>,
    service: SocketAddr,
    timeout: Duration,
}

/// The service's answer: the traces found.
#[derive(serde::Deserialize)]
struct Found {
    traces: Vec<Trace>,
}

impl Plugin for RemotePlugin {
    fn name(&self) -> &str {
        &self.name
    }

    fn accepts(&self) -> TraceKind {
        self.kind.clone()
    }

    fn follow(&self, trace: &Trace) -> BoxFuture<'static, Result<Vec<Trace>, PluginError>> {
        // The future must not borrow `self` or `trace`: clone what the call needs.
        let plugin = self.clone();
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("plugin", &self.name)
            .append_pair("kind", trace.kind().as_str())
            .append_pair("value", trace.value())
            .finish();
        async move {
            let uri: Uri = format!("http://{}/follow?{query}", plugin.service)
                .parse()
                .map_err(|e| PluginError::new(PluginErrorKind::Invalid, format!("{e}")))?;
            // The deadline covers the whole call. Dropping the call (a timeout, a
            // cancelled crawl) drops its connection: nothing is left half-read.
            match tokio::time::timeout(plugin.timeout, plugin.call(uri)).await {
                Ok(result) => result,
                Err(_) => Err(PluginError::new(
                    PluginErrorKind::Timeout,
                    format!("no answer within {:?}", plugin.timeout),
                )),
            }
        }
        .boxed()
    }
}

impl RemotePlugin {
    async fn call(&self, uri: Uri) -> Result<Vec<Trace>, PluginError> {
        let response = self
            .client
            .get(uri)
            .await
            .map_err(|e| transport_error(&e))?;
        let (head, body) = response.into_parts();
        if head.status != StatusCode::OK {
            let error = PluginError::new(
                PluginErrorKind::Http(head.status.as_u16()),
                head.status
                    .canonical_reason()
                    .unwrap_or("unexpected status"),
            );
            // 429 and 503 say when to come back; keep it for whoever retries.
            let retry_after = head
                .headers
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|s| s.trim().parse().ok())
                .map(Duration::from_secs);
            return Err(match retry_after {
                Some(delay) => error.with_retry_after(delay),
                None => error,
            });
        }
        // Never read an unbounded answer into memory.
        let bytes = Limited::new(body, 1 << 20)
            .collect()
            .await
            .map_err(|e| {
                PluginError::new(PluginErrorKind::Network, format!("reading the answer: {e}"))
            })?
            .to_bytes();
        let found: Found = serde_json::from_slice(&bytes).map_err(|e| {
            PluginError::new(PluginErrorKind::Other, format!("malformed answer: {e}"))
        })?;
        Ok(found.traces)
    }
}

/// A call that got no answer: out of local resources (`EMFILE`: too many open files,
/// `EADDRNOTAVAIL`: no port left), or a network failure (refused, reset, cut).
fn transport_error(error: &(dyn std::error::Error + 'static)) -> PluginError {
    let mut exhausted = false;
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            // 24 EMFILE, 23 ENFILE, 99 EADDRNOTAVAIL: Linux's numbers.
            exhausted |= matches!(io.raw_os_error(), Some(24 | 23 | 99));
        }
        cause = e.source();
    }
    let kind = if exhausted {
        PluginErrorKind::Exhausted
    } else {
        PluginErrorKind::Network
    };
    PluginError::new(kind, error.to_string())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut next = |default: &str| args.next().unwrap_or_else(|| default.to_owned());
    let traces: usize = next("2000").parse()?;
    let c: usize = next("32").parse()?;
    let failure_prob: f64 = next("0.05").parse()?;

    // The service this example calls: the runner's local server, in this process.
    let workload = SimConfig {
        traces,
        failure_prob,
        latency_mean: Duration::from_millis(10),
        latency_p99: Duration::from_millis(100),
        ..SimConfig::default()
    };
    let sim = SimWorkload::new(workload.clone())?;
    let server =
        tracepool_bench::http::server::Server::bind(tracepool_bench::http::server::ServerConfig {
            workload,
            slow: Duration::from_secs(2),
            ..Default::default()
        })?
        .spawn()?;

    // One client for every plugin: one pool of kept-alive connections.
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let client = Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .build(connector);
    let mut registry = Registry::new();
    for kind in TraceKind::KNOWN {
        for name in sim.plugin_names(kind) {
            registry.register(RemotePlugin {
                name,
                kind: kind.clone(),
                client: client.clone(),
                service: server.addr(),
                timeout: Duration::from_secs(1),
            });
        }
    }

    let crawler = Crawler::new(
        registry,
        CrawlConfig {
            model: Model::Pool,
            max_concurrency: c,
            ..CrawlConfig::default()
        },
    )?;
    // The client's connections are tasks of this runtime.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(crawler.run(sim.seeds(), |_| {}));
    let stats = server.stats().snapshot();
    println!(
        "{} traces found in {:.2} s with {} calls at C = {c}: {} completed, {} failed",
        report.discovered.len(),
        report.wall.as_secs_f64(),
        report.jobs,
        report.outcomes.completed,
        report.outcomes.failed,
    );
    let by_kind: BTreeMap<_, _> = report.errors_by_kind.iter().collect();
    println!("errors by kind: {by_kind:?}");
    println!(
        "seen by the server: at most {} calls in progress, {} connections open",
        stats.peak_requests_in_progress, stats.peak_open_connections
    );
    Ok(())
}
