//! `run --workload http`: a real crawl over HTTP against a server the runner owns. The
//! limit is seen from the server, failures are counted by status, the file descriptor
//! limit is met cleanly, and no server outlives its runner, however the runner ends.

#![cfg(target_os = "linux")]

use std::fs;
use std::process::{Child, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

mod common;
use common::{bench, bench_std};

/// Generous: the machine may be busy.
const PATIENCE: Duration = Duration::from_secs(60);

/// `run --workload http --json` with `args`; the exit code and the record.
fn run_http(args: &[&str]) -> (Option<i32>, Value, String) {
    let output = bench()
        .args(["run", "--workload", "http", "--json"])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let record = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: stdout {stdout:?}, stderr {stderr:?}"));
    (output.status.code(), record, stderr)
}

fn count(record: &Value, field: &str) -> u64 {
    record[field]
        .as_u64()
        .unwrap_or_else(|| panic!("no {field} in {record}"))
}

/// The record's failures by kind (the field is left out when there are none).
fn errors_by_kind(record: &Value) -> Vec<(String, u64)> {
    let Some(kinds) = record.get("errors_by_kind") else {
        return Vec::new();
    };
    kinds
        .as_object()
        .unwrap_or_else(|| panic!("errors_by_kind is no map in {record}"))
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect()
}

/// Every accepted call ended in exactly one outcome.
fn nothing_lost(record: &Value) {
    let outcomes: u64 = ["completed", "failed", "timed_out", "panicked", "cancelled"]
        .iter()
        .map(|f| count(record, f))
        .sum();
    assert_eq!(outcomes, count(record, "jobs"), "{record}");
    assert_eq!(count(record, "lost"), 0, "{record}");
}

#[test]
fn the_server_sees_exactly_the_pools_limit_and_the_simulated_graph() {
    for c in ["1", "8"] {
        let args = [
            "--traces",
            "150",
            "--concurrency",
            c,
            "--failure-rate",
            "0",
            "--latency-ms",
            "20",
        ];
        let (code, record, stderr) = run_http(&args);
        assert_eq!(code, Some(0), "{stderr}");
        nothing_lost(&record);
        let c: u64 = c.parse().unwrap();
        assert_eq!(record["workload"], "http");
        // Seen from the other end of the wire: the pool holds C calls at once, no more.
        assert_eq!(count(&record, "server_peak_requests"), c, "{record}");
        assert!(count(&record, "peak_in_flight") <= c);
        assert!(count(&record, "server_peak_connections") >= 1);
        assert!(count(&record, "peak_open_fds") > 0);
        // With failures off, the crawl finds every trace of the graph, as the simulated
        // crawl of the same seed does.
        let output = bench()
            .args(["run", "--workload", "crawl", "--json", "--latency-ms", "0"])
            .args(&args[..6])
            .output()
            .unwrap();
        let simulated: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(record["discovered"], simulated["discovered"]);
        assert_eq!(record["jobs"], simulated["jobs"]);
        assert_eq!(count(&record, "discovered"), 150);
        assert_eq!(count(&record, "failed"), 0);
    }
}

#[test]
fn statuses_timeouts_and_resets_are_counted_by_kind_with_nothing_lost() {
    let (code, record, stderr) = run_http(&[
        "--traces",
        "300",
        "--concurrency",
        "16",
        "--failure-rate",
        "0.4",
        "--latency-ms",
        "2",
        "--timeout-ms",
        "300",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    nothing_lost(&record);
    let kinds = errors_by_kind(&record);
    let names: Vec<&str> = kinds.iter().map(|(k, _)| k.as_str()).collect();
    for kind in ["http_403", "http_429", "timeout", "network"] {
        assert!(names.contains(&kind), "{kind} missing from {kinds:?}");
    }
    let errors: u64 = kinds.iter().map(|(_, n)| n).sum();
    assert_eq!(errors, count(&record, "failed"), "{record}");
    assert!(count(&record, "server_peak_requests") <= 16);
}

#[test]
fn the_unbounded_model_meets_a_low_fd_limit_as_errors_while_the_pool_does_not() {
    let (code, record, stderr) = run_http(&[
        "--traces",
        "3000",
        "--model",
        "unbounded",
        "--failure-rate",
        "0",
        "--latency-ms",
        "50",
        "--fd-limit",
        "64",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    nothing_lost(&record);
    let kinds = errors_by_kind(&record);
    let exhausted = kinds
        .iter()
        .find(|(k, _)| k == "exhausted")
        .map_or(0, |(_, n)| *n);
    assert!(exhausted > 0, "{kinds:?}");

    let (code, record, stderr) = run_http(&[
        "--traces",
        "500",
        "--concurrency",
        "8",
        "--failure-rate",
        "0",
        "--latency-ms",
        "5",
        "--fd-limit",
        "64",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    nothing_lost(&record);
    assert_eq!(errors_by_kind(&record), vec![], "{record}");
    assert_eq!(count(&record, "discovered"), 500);
}

#[test]
fn bad_http_input_names_the_flag() {
    let cases: [(&[&str], &str); 6] = [
        (&["--fd-limit", "5"], "--fd-limit"),
        (&["--fd-limit", "100000000"], "--fd-limit"),
        (&["--panic-rate", "0.1"], "--panic-rate"),
        (&["--cpu-us", "10"], "--cpu-us"),
        (&["--server-capacity", "0"], "--server-capacity"),
        (
            &["--server-capacity", "10", "--server-max-pending", "5"],
            "--server-max-pending",
        ),
    ];
    for (args, flag) in cases {
        let output = bench()
            .args(["run", "--workload", "http", "--traces", "10"])
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

/// The children of `pid` running `serve`.
fn servers_of(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        // The parent id is the second field after the command in parentheses.
        let ppid = stat
            .rsplit(')')
            .next()
            .and_then(|rest| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        let cmdline = fs::read_to_string(format!("/proc/{child}/cmdline")).unwrap_or_default();
        if ppid == Some(pid) && cmdline.split('\0').any(|arg| arg == "serve") {
            found.push(child);
        }
    }
    found
}

/// Whether `pid` exists and is not a zombie.
fn alive(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit(')')
            .next()
            .is_some_and(|rest| !rest.trim_start().starts_with('Z'))
    })
}

/// A long http run, and its server's process id once the crawl is under way.
fn long_run() -> (Child, u32) {
    let mut child = bench_std()
        .args([
            "run",
            "--workload",
            "http",
            "--json",
            "--traces",
            "50000",
            "--latency-ms",
            "100",
            "--concurrency",
            "4",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let server = loop {
        if let Some(&server) = servers_of(child.id()).first() {
            break server;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the runner ended before its server started: {status}");
        }
        assert!(started.elapsed() < PATIENCE, "no server was started");
        thread::sleep(Duration::from_millis(10));
    };
    // The crawl is under way once the server holds a connection besides its listener.
    while sockets(server) < 2 {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the runner ended before its crawl started: {status}");
        }
        assert!(started.elapsed() < PATIENCE, "the crawl did not start");
        thread::sleep(Duration::from_millis(10));
    }
    (child, server)
}

/// The sockets `pid` has open.
fn sockets(pid: u32) -> usize {
    fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |fds| {
        fds.flatten()
            .filter(|fd| {
                fs::read_link(fd.path())
                    .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"))
            })
            .count()
    })
}

fn wait_gone(pid: u32, what: &str) {
    let started = Instant::now();
    while alive(pid) {
        assert!(
            started.elapsed() < PATIENCE,
            "{what}: process {pid} is still there"
        );
        thread::sleep(Duration::from_millis(10));
    }
}

fn wait_for(child: &mut Child) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if started.elapsed() > PATIENCE {
            let _ = child.kill();
            panic!("the runner did not end");
        }
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_killed_runner_leaves_no_server_behind() {
    let (mut child, server) = long_run();
    assert!(alive(server));
    kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL).unwrap();
    wait_for(&mut child);
    wait_gone(server, "after the runner was killed");
}

#[test]
fn an_interrupted_runner_stops_its_server_and_prints_its_partial_record() {
    let (mut child, server) = long_run();
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let status = wait_for(&mut child);
    assert_eq!(status.code(), Some(130));
    wait_gone(server, "after Ctrl-C");
    let output = child.wait_with_output().unwrap();
    let record: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(record["interrupted"], true);
    nothing_lost(&record);
}

#[test]
fn a_server_that_dies_mid_run_is_reported_and_nothing_is_lost() {
    let (mut child, server) = long_run();
    kill(Pid::from_raw(server as i32), Signal::SIGKILL).unwrap();
    let status = wait_for(&mut child);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("the http server ended"), "{stderr}");
    // The record is printed all the same: every call counted, most of them failed.
    let record: Value = serde_json::from_slice(&output.stdout).unwrap();
    nothing_lost(&record);
    assert!(count(&record, "failed") > 0);
    wait_gone(server, "the dead server");
}

#[test]
fn report_workload_http_adds_the_http_section() {
    let out = std::env::temp_dir().join(format!("tracepool-http-report-{}", std::process::id()));
    let _ = fs::remove_dir_all(&out);
    let output = bench()
        .args([
            "report",
            "--workload",
            "http",
            "--scenario",
            "baseline",
            "--repeat",
            "1",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let markdown = fs::read_to_string(out.join("report.md")).unwrap();
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    let json: Value =
        serde_json::from_str(&fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    fs::remove_dir_all(&out).unwrap();
    assert!(markdown.contains("## HTTP: the limit seen from the server"));
    assert!(html.contains("<section id=\"http\">"));
    // Every model at the baseline's C, each with the server's view and the client's fds.
    let runs = json["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    for run in runs {
        let record = &run["record"];
        assert_eq!(record["workload"], "http");
        nothing_lost(record);
        assert!(count(record, "server_peak_requests") > 0);
        assert!(count(record, "peak_open_fds") > 0);
        if record["model"] == "pool" {
            assert_eq!(count(record, "server_peak_requests"), 10);
            assert!(
                markdown.contains("| baseline | pool | 10 | 10 | yes |"),
                "{markdown}"
            );
        }
    }
}
