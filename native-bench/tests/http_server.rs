//! The http workload's server and plugins in one process: the server answers as the
//! simulated workload does, its failures reach the plugins as error kinds, its capacity
//! queues then rejects, it counts what it holds, and it serves loopback only.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use tracepool::crawl::{CrawlConfig, CrawlReport, Crawler, Model};
use tracepool::plugin::PluginErrorKind;
use tracepool::sim::{SimConfig, SimWorkload};
use tracepool::timer::{Sleep, Timer};
use tracepool::{Trace, TraceKind};
use tracepool_bench::http::client::HttpClient;
use tracepool_bench::http::plugin;
use tracepool_bench::http::server::{Server, ServerConfig, ServerError};
use tracepool_bench::http::thread::ServerThread;
use tracepool_bench::http::wire::{FollowRequest, Found};

/// Generous: the machine may be busy.
const PATIENCE: Duration = Duration::from_secs(30);

/// A timer that never waits: the simulated crawl without its latencies.
#[derive(Debug)]
struct NoWait;

impl Timer for NoWait {
    fn sleep(&self, _: Duration) -> Sleep {
        Box::pin(async {})
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn serve(workload: SimConfig, configure: impl FnOnce(&mut ServerConfig)) -> ServerThread {
    let mut config = ServerConfig {
        workload,
        ..ServerConfig::default()
    };
    configure(&mut config);
    Server::bind(config).unwrap().spawn().unwrap()
}

/// Crawls the server's graph over HTTP with the pool at `c`.
fn crawl_over_http(
    sim: &SimWorkload,
    server: &ServerThread,
    c: usize,
    timeout: Duration,
) -> CrawlReport {
    let registry = plugin::registry(sim, server.addr(), timeout);
    let crawler = Crawler::new(
        registry,
        CrawlConfig {
            model: Model::Pool,
            max_concurrency: c,
            ..CrawlConfig::default()
        },
    )
    .unwrap();
    runtime().block_on(crawler.run(sim.seeds(), |_| {}))
}

/// The same crawl of the simulated plugins, without waiting.
fn crawl_simulated(sim: &SimWorkload) -> CrawlReport {
    let crawler = Crawler::new(sim.registry(Arc::new(NoWait)), CrawlConfig::default()).unwrap();
    futures::executor::block_on(crawler.run(sim.seeds(), |_| {}))
}

fn discovered(report: &CrawlReport) -> BTreeSet<Trace> {
    report
        .discovered
        .iter()
        .map(|d| d.trace.to_trace())
        .collect()
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < PATIENCE, "never: {what}");
        thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_crawl_over_http_finds_what_the_simulated_crawl_finds() {
    let workload = SimConfig {
        traces: 300,
        failure_prob: 0.0,
        latency_mean: Duration::from_millis(1),
        latency_p99: Duration::from_millis(10),
        ..SimConfig::default()
    };
    let sim = SimWorkload::new(workload.clone()).unwrap();
    let server = serve(workload, |_| {});
    let report = crawl_over_http(&sim, &server, 8, Duration::from_secs(10));
    let expected = crawl_simulated(&sim);
    assert_eq!(
        report.outcomes.failed + report.outcomes.timed_out + report.lost,
        0,
        "{:?}",
        report.errors_by_kind
    );
    assert_eq!(discovered(&report), discovered(&expected));
    assert_eq!(report.discovered.len(), 300);
    assert_eq!(report.jobs, expected.jobs);
    let stats = server.stats().snapshot();
    assert_eq!(stats.requests, report.jobs);
    assert_eq!(stats.responses.get("200"), Some(&report.jobs));
    assert!(stats.peak_requests_in_progress <= 8, "{stats:?}");
}

#[test]
fn failures_reach_the_plugins_as_the_kinds_the_simulation_counts() {
    let workload = SimConfig {
        traces: 200,
        failure_prob: 0.3,
        latency_mean: Duration::from_millis(1),
        latency_p99: Duration::from_millis(10),
        ..SimConfig::default()
    };
    let sim = SimWorkload::new(workload.clone()).unwrap();
    let server = serve(workload, |c| c.slow = Duration::from_millis(1500));
    let report = crawl_over_http(&sim, &server, 8, Duration::from_secs(1));
    let expected = crawl_simulated(&sim);
    // Every failure prunes the same branch: the same calls, the same traces.
    assert_eq!(discovered(&report), discovered(&expected));
    assert_eq!(report.jobs, expected.jobs);
    assert_eq!(report.lost, 0);
    assert_eq!(
        report.outcomes.completed + report.outcomes.failed,
        report.jobs
    );
    // The simulation's rate limits are 429s over HTTP; every other kind is the same.
    let mut kinds = expected.errors_by_kind.clone();
    if let Some(n) = kinds.remove("rate_limited") {
        kinds.insert("http_429".to_owned(), n);
    }
    assert_eq!(report.errors_by_kind, kinds);
    for kind in ["http_403", "http_429", "timeout", "network"] {
        assert!(kinds.contains_key(kind), "{kind} never drawn: {kinds:?}");
    }
    // The server counted the same.
    let stats = server.stats().snapshot();
    let count = |kind: &str| kinds.get(kind).copied().unwrap_or(0);
    assert_eq!(stats.resets, count("network"));
    assert_eq!(stats.slow, count("timeout"));
    assert_eq!(
        stats.responses.get("429").copied().unwrap_or(0),
        count("http_429")
    );
    assert_eq!(
        stats.responses.get("403").copied().unwrap_or(0),
        count("http_403")
    );
}

/// The seed trace and its first plugin: a call that waits its latency.
fn first_call(sim: &SimWorkload) -> String {
    let seed = sim.seeds().remove(0);
    FollowRequest {
        plugin: sim.plugin_names(seed.kind()).remove(0),
        trace: seed,
    }
    .path_and_query()
}

fn fixed_latency(latency: Duration) -> SimConfig {
    SimConfig {
        traces: 50,
        failure_prob: 0.0,
        latency_mean: latency,
        latency_p99: latency,
        ..SimConfig::default()
    }
}

#[test]
fn calls_beyond_the_capacity_queue_then_get_503_with_retry_after() {
    let workload = fixed_latency(Duration::from_secs(3600));
    let sim = SimWorkload::new(workload.clone()).unwrap();
    let server = serve(workload, |c| {
        c.capacity = 2;
        c.max_pending = 4;
    });
    let path = first_call(&sim);
    let rt = runtime();
    let client = HttpClient::new(server.addr(), Duration::from_secs(7200));
    let held: Vec<_> = (0..4)
        .map(|_| {
            let (client, path) = (client.clone(), path.clone());
            rt.spawn(async move { client.get_json::<Found>(&path).await })
        })
        .collect();
    // Two served, two queued: all four held.
    rt.block_on(async {
        let started = Instant::now();
        while server.stats().snapshot().requests_in_progress < 4 {
            assert!(started.elapsed() < PATIENCE, "the calls never arrived");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    for _ in 0..2 {
        let error = rt.block_on(client.get_json::<Found>(&path)).unwrap_err();
        assert_eq!(error.kind(), PluginErrorKind::Http(503), "{error}");
        assert_eq!(error.retry_after(), Some(Duration::from_secs(1)));
    }
    let stats = server.stats().snapshot();
    assert_eq!(stats.rejected, 2);
    assert_eq!(stats.requests_in_progress, 4);
    assert_eq!(
        stats.peak_requests_in_progress, 5,
        "each rejected call counted while answered"
    );
    // Clients that give up free the server: it notices their connections close.
    drop(held);
    drop(client);
    drop(rt);
    wait_until("the abandoned calls end", || {
        let s = server.stats().snapshot();
        s.requests_in_progress == 0 && s.open_connections == 0
    });
}

#[test]
fn calls_beyond_the_capacity_wait_their_turn() {
    let latency = Duration::from_millis(100);
    let workload = fixed_latency(latency);
    let sim = SimWorkload::new(workload.clone()).unwrap();
    let server = serve(workload, |c| {
        c.capacity = 1;
        c.max_pending = 10;
    });
    let path = first_call(&sim);
    let client = HttpClient::new(server.addr(), Duration::from_secs(60));
    let started = Instant::now();
    let found = runtime().block_on(futures::future::join_all(
        (0..3).map(|_| client.get_json::<Found>(&path)),
    ));
    // One worker serves three calls one after the other: never sooner than 3 latencies.
    assert!(started.elapsed() >= latency * 3, "{:?}", started.elapsed());
    assert!(found.iter().all(Result::is_ok), "{found:?}");
    assert_eq!(server.stats().snapshot().responses.get("200"), Some(&3));
}

/// `GET`s (or another method) `path` on a connection of its own; the status and body.
fn raw(addr: SocketAddr, method: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {response:?}"));
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

#[test]
fn bad_requests_get_a_status_that_says_why() {
    let workload = fixed_latency(Duration::ZERO);
    let sim = SimWorkload::new(workload.clone()).unwrap();
    let server = serve(workload, |_| {});
    let addr = server.addr();
    let (status, body) = raw(addr, "GET", "/nope");
    assert_eq!(
        (status, body.contains("no such path")),
        (404, true),
        "{body}"
    );
    assert_eq!(raw(addr, "POST", "/follow").0, 405);
    let (status, body) = raw(
        addr,
        "GET",
        "/follow?plugin=username%2Fgithub&kind=username",
    );
    assert_eq!((status, body.contains("`value`")), (400, true), "{body}");
    let stranger = FollowRequest {
        plugin: "username/github".to_owned(),
        trace: Trace::new(TraceKind::Username, "nobody"),
    };
    assert_eq!(raw(addr, "GET", &stranger.path_and_query()).0, 404);
    let (status, body) = raw(addr, "GET", &first_call(&sim));
    assert_eq!(status, 200);
    let found: Found = serde_json::from_str(&body).unwrap();
    assert!(!found.traces.is_empty());
    let (status, body) = raw(addr, "GET", "/stats");
    assert_eq!(status, 200);
    let stats: serde_json::Value = serde_json::from_str(&body).unwrap();
    // The stats endpoint counts only plugin calls: the good one and the unknown trace
    // (the bad query never became a call).
    assert_eq!(stats["requests"], 2, "{stats}");
    let responses: BTreeMap<String, u64> =
        serde_json::from_value(stats["responses"].clone()).unwrap();
    assert_eq!(
        responses,
        BTreeMap::from([("200".into(), 1), ("400".into(), 1), ("404".into(), 1)])
    );
}

#[test]
fn the_server_counts_its_open_connections() {
    let server = serve(fixed_latency(Duration::ZERO), |_| {});
    let clients: Vec<TcpStream> = (0..3)
        .map(|_| TcpStream::connect(server.addr()).unwrap())
        .collect();
    wait_until("three connections open", || {
        server.stats().snapshot().open_connections == 3
    });
    drop(clients);
    wait_until("every connection closed", || {
        server.stats().snapshot().open_connections == 0
    });
    let stats = server.stats().snapshot();
    assert_eq!((stats.connections, stats.peak_open_connections), (3, 3));
}

#[test]
fn the_server_listens_on_loopback_only() {
    for ip in [
        IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
    ] {
        let config = ServerConfig {
            addr: SocketAddr::new(ip, 0),
            ..ServerConfig::default()
        };
        match Server::bind(config) {
            Err(ServerError::Config(e)) => assert_eq!(e.field(), "addr", "{e}"),
            other => panic!("{ip}: {other:?}"),
        }
    }
    let first = Server::bind(ServerConfig::default()).unwrap();
    let taken = ServerConfig {
        addr: first.local_addr(),
        ..ServerConfig::default()
    };
    match Server::bind(taken) {
        Err(ServerError::Bind { source, .. }) => {
            assert_eq!(source.kind(), std::io::ErrorKind::AddrInUse)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_server_config_names_the_field_out_of_range() {
    let cases: [(&str, ServerConfig); 5] = [
        (
            "capacity",
            ServerConfig {
                capacity: 0,
                ..ServerConfig::default()
            },
        ),
        (
            "max_pending",
            ServerConfig {
                capacity: 10,
                max_pending: 9,
                ..ServerConfig::default()
            },
        ),
        (
            "slow",
            ServerConfig {
                slow: Duration::ZERO,
                ..ServerConfig::default()
            },
        ),
        (
            "panic_prob",
            ServerConfig {
                workload: SimConfig {
                    panic_prob: 0.1,
                    ..SimConfig::default()
                },
                ..ServerConfig::default()
            },
        ),
        (
            "cpu_per_call",
            ServerConfig {
                workload: SimConfig {
                    cpu_per_call: Duration::from_millis(1),
                    ..SimConfig::default()
                },
                ..ServerConfig::default()
            },
        ),
    ];
    for (field, config) in cases {
        assert_eq!(config.validate().unwrap_err().field(), field);
    }
    let bad_workload = ServerConfig {
        workload: SimConfig {
            traces: 0,
            ..SimConfig::default()
        },
        ..ServerConfig::default()
    };
    assert!(matches!(
        Server::bind(bad_workload),
        Err(ServerError::Workload(_))
    ));
}
