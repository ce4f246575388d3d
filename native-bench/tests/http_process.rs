//! The http workload's server as a child process: `serve` on the command line, and the
//! runner's handle on it, which stops it on every way out.

#![cfg(unix)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};

use tracepool_bench::http::process::{ServeOptions, ServerProcess, ServerProcessError};

mod common;
use common::{bench, bench_std};

/// Generous: the machine may be busy.
const PATIENCE: Duration = Duration::from_secs(30);

fn program() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tracepool-bench"))
}

fn options() -> ServeOptions {
    ServeOptions {
        traces: 100,
        seed: 42,
        latency_ms: 1.0,
        time_scale: 1.0,
        failure_rate: 0.0,
        slow_ms: 1000.0,
        capacity: 10,
        max_pending: 20,
    }
}

/// Whether a process with this id exists (a zombie counts as gone).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit(')')
            .next()
            .is_some_and(|rest| !rest.trim_start().starts_with('Z'))
    })
}

fn wait_gone(pid: u32) {
    let started = Instant::now();
    while alive(pid) {
        assert!(started.elapsed() < PATIENCE, "process {pid} is still there");
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_started_server_answers_its_counters_and_stops() {
    let mut server = ServerProcess::start(&program(), &options()).unwrap();
    assert!(server.addr().ip().is_loopback());
    let pid = server.id();
    assert!(alive(pid));
    let stats = server.stats().unwrap();
    assert_eq!(stats.requests, 0);
    server.stop().unwrap();
    wait_gone(pid);
}

#[test]
fn a_dropped_server_is_stopped() {
    let server = ServerProcess::start(&program(), &options()).unwrap();
    let pid = server.id();
    drop(server);
    wait_gone(pid);
}

#[test]
fn a_server_that_dies_is_told_as_such() {
    let mut server = ServerProcess::start(&program(), &options()).unwrap();
    let pid = server.id();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let started = Instant::now();
    let error = loop {
        match server.stats() {
            Err(e @ ServerProcessError::Exited { .. }) => break e,
            _ => assert!(started.elapsed() < PATIENCE, "the death was never seen"),
        }
        thread::sleep(Duration::from_millis(10));
    };
    assert!(
        error.to_string().contains("the http server ended"),
        "{error}"
    );
    assert!(matches!(
        server.stop(),
        Err(ServerProcessError::Exited { .. })
    ));
}

#[test]
fn a_child_that_fails_to_start_says_why() {
    let bad = ServeOptions {
        capacity: 30,
        ..options()
    };
    match ServerProcess::start(&program(), &bad) {
        Err(e @ ServerProcessError::Exited { .. }) => {
            let text = e.to_string();
            assert!(text.contains("--max-pending 20"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    match ServerProcess::start(Path::new("false"), &options()) {
        Err(ServerProcessError::Exited { status, .. }) => assert!(!status.success()),
        other => panic!("{other:?}"),
    }
    // `echo` prints its arguments: a first line that is no URL.
    match ServerProcess::start(Path::new("echo"), &options()) {
        Err(ServerProcessError::Malformed { line }) => assert!(line.starts_with("serve --traces")),
        other => panic!("{other:?}"),
    }
    match ServerProcess::start(Path::new("/nonexistent/tracepool-bench"), &options()) {
        Err(e @ ServerProcessError::Spawn { .. }) => {
            assert!(e.to_string().contains("/nonexistent/tracepool-bench"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn serve_prints_its_url_and_ends_with_its_input() {
    let mut child = bench_std()
        .args(["serve", "--traces", "50", "--exit-on-eof"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("http://127.0.0.1:"), "{line:?}");
    // Input is ignored; only its end stops the server.
    stdin.write_all(b"anything\n").unwrap();
    thread::sleep(Duration::from_millis(50));
    assert_eq!(child.try_wait().unwrap(), None);
    drop(stdin);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "serve did not end with its input"
        );
        thread::sleep(Duration::from_millis(10));
    };
    assert!(status.success(), "{status}");
}

#[test]
fn serve_rejects_bad_input_naming_the_flag() {
    let cases: [(&[&str], &str); 5] = [
        (&["--bind", "0.0.0.0"], "--bind"),
        (&["--bind", "192.0.2.1"], "loopback"),
        (&["--capacity", "0"], "--capacity"),
        (
            &["--capacity", "10", "--max-pending", "5"],
            "--max-pending 5: must be a whole number from --capacity (10)",
        ),
        (&["--slow-ms", "0"], "--slow-ms"),
    ];
    for (args, said) in cases {
        let output = bench()
            .args(["serve", "--traces", "10"])
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(said), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn serve_on_a_port_in_use_says_so() {
    let server = ServerProcess::start(&program(), &options()).unwrap();
    let port = server.addr().port().to_string();
    let output = bench()
        .args(["serve", "--traces", "10", "--port", &port])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("--port {port}")) && stderr.contains("in use"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}
