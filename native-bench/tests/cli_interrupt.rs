//! Ctrl-C, SIGINT and SIGTERM: a run stops and prints its partial record; a report
//! stops and leaves the old report as it was. The child is signalled once its run has
//! started (its sampler thread exists), never after a fixed delay alone.

#![cfg(target_os = "linux")]

use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

mod common;
use common::bench_std;

/// Generous: the machine may be busy.
const PATIENCE: Duration = Duration::from_secs(60);

/// Whether the process has a thread named `name` (as `/proc` shows it: at most 15
/// bytes).
fn has_thread(pid: u32, name: &str) -> bool {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    tasks.flatten().any(|task| {
        fs::read_to_string(task.path().join("comm")).is_ok_and(|comm| comm.trim() == name)
    })
}

/// Waits until the child's run has started: its sampler thread is up.
fn wait_for_the_run(child: &mut Child) {
    let started = Instant::now();
    while !has_thread(child.id(), "tracepool-sampl") {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the child ended before its run started: {status}");
        }
        assert!(started.elapsed() < PATIENCE, "the run never started");
        thread::sleep(Duration::from_millis(10));
    }
    // Let the crawl get going.
    thread::sleep(Duration::from_millis(300));
}

struct Ended {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Sends `signal` and waits for the child to end on its own.
fn signal_and_wait(mut child: Child, signal: Signal) -> Ended {
    kill(Pid::from_raw(child.id() as i32), signal).unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > PATIENCE {
            let _ = child.kill();
            panic!("the child did not stop after {signal}");
        }
        thread::sleep(Duration::from_millis(20));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    Ended {
        code: status.code(),
        stdout,
        stderr,
    }
}

/// A run that would take minutes: 100,000 traces at C = 10, 20 ms per call.
fn long_run(extra: &[&str]) -> Child {
    bench_std()
        .args(["run", "--traces", "100000", "--concurrency", "10"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn check_partial_record(record: &Value) {
    let get = |f: &str| {
        record[f]
            .as_u64()
            .unwrap_or_else(|| panic!("{f}: {record}"))
    };
    assert_eq!(record["interrupted"], true, "{record}");
    assert_eq!(
        get("completed") + get("failed") + get("timed_out") + get("panicked") + get("cancelled"),
        get("jobs"),
        "every accepted call has one outcome: {record}"
    );
    assert_eq!(get("lost"), 0, "{record}");
    assert!(get("peak_in_flight") <= 10, "{record}");
    // The fields of a complete record are all there.
    for field in ["model", "wall_s", "discovered", "cpu_percent", "timer"] {
        assert!(!record[field].is_null(), "{field}: {record}");
    }
}

#[test]
fn sigint_stops_a_run_with_one_partial_json_record() {
    let mut child = long_run(&["--json"]);
    wait_for_the_run(&mut child);
    let ended = signal_and_wait(child, Signal::SIGINT);
    assert_eq!(ended.code, Some(130), "{}", ended.stderr);
    assert_eq!(ended.stdout.trim().lines().count(), 1, "{}", ended.stdout);
    let record: Value = serde_json::from_str(ended.stdout.trim()).expect("one JSON object");
    check_partial_record(&record);
    assert!(ended.stderr.contains("interrupted"), "{}", ended.stderr);
    assert!(!ended.stderr.contains("panicked"), "{}", ended.stderr);
}

#[test]
fn sigterm_stops_a_run_with_its_partial_text_record() {
    let mut child = long_run(&[]);
    wait_for_the_run(&mut child);
    let ended = signal_and_wait(child, Signal::SIGTERM);
    assert_eq!(ended.code, Some(130), "{}", ended.stderr);
    assert_eq!(ended.stdout.trim().lines().count(), 1, "{}", ended.stdout);
    assert!(
        ended.stdout.starts_with("interrupted, partial: pool crawl"),
        "{}",
        ended.stdout
    );
    assert!(ended.stdout.contains("0 lost"), "{}", ended.stdout);
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    entries(dir)
        .into_iter()
        .map(|name| {
            let bytes = fs::read(dir.join(&name)).unwrap();
            (name, bytes)
        })
        .collect()
}

#[test]
fn sigint_stops_a_report_and_keeps_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let status = bench_std()
        .args([
            "report",
            "--scenario",
            "baseline",
            "--latency-ms",
            "0",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(status.status.success());
    let old = snapshot(&out);
    let profile = dir.path().join("cpu.svg");

    // The high-load scenario at 20 ms per call takes minutes.
    let mut child = bench_std()
        .args(["report", "--scenario", "high-load", "--out"])
        .arg(&out)
        .arg("--profile")
        .arg(&profile)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_the_run(&mut child);
    let ended = signal_and_wait(child, Signal::SIGINT);
    assert_eq!(ended.code, Some(130), "{}", ended.stderr);
    assert!(ended.stdout.is_empty(), "{}", ended.stdout);
    assert!(
        ended.stderr.contains("no report written"),
        "{}",
        ended.stderr
    );
    assert_eq!(snapshot(&out), old, "the old report is intact");
    assert_eq!(entries(dir.path()), ["report"], "nothing else left behind");
}

/// A signal at any moment of a short report, from before its first run to its last
/// rename: the directory always holds the old report or a complete new one, and
/// nothing else is left beside it.
#[test]
fn an_interrupt_at_any_moment_leaves_the_old_or_the_new_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let write = |extra: &[&str]| {
        bench_std()
            .args([
                "report",
                "--scenario",
                "baseline",
                "--repeat",
                "1",
                "--latency-ms",
                "0",
                "--out",
            ])
            .arg(&out)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let first = write(&["--seed", "1"]).wait_with_output().unwrap();
    assert!(first.status.success());
    let old = snapshot(&out);
    let (mut kept, mut replaced) = (0, 0);
    for i in 0..40u64 {
        let child = write(&["--seed", "2"]);
        // Spread over the child's start-up, its runs and its write (about 50 ms).
        thread::sleep(Duration::from_micros(i * i * 50));
        let pid = child.id();
        let _ = kill(Pid::from_raw(pid as i32), Signal::SIGINT);
        let output = child.wait_with_output().unwrap();
        assert_ne!(output.status.code(), Some(101), "no panic");
        assert_eq!(entries(dir.path()), ["report"], "nothing else left");
        let now = snapshot(&out);
        if now == old {
            kept += 1;
        } else {
            let names: Vec<&str> = now.iter().map(|(name, _)| name.as_str()).collect();
            assert_eq!(names, ["report.html", "report.json", "report.md"]);
            let json = String::from_utf8(now[1].1.clone()).unwrap();
            let report = tracepool::report::record::Report::from_json(&json).expect("complete");
            assert_eq!(report.settings.seed, 2);
            assert_eq!(report.runs.len(), 3);
            replaced += 1;
            // The next rounds start from this report.
            return_old(&out, &old);
        }
    }
    eprintln!(
        "{kept} interrupts kept the old report, {replaced} came after the new one was in place"
    );
}

/// Puts `old` back as the report's content.
fn return_old(out: &Path, old: &[(String, Vec<u8>)]) {
    for (name, bytes) in old {
        fs::write(out.join(name), bytes).unwrap();
    }
}

/// The largest latency, time scale, timeout and CPU time, under every timer: the run
/// starts, computes its deadlines without overflow, and stops on a signal.
#[test]
fn extreme_settings_run_and_stop() {
    for timer in ["finishing", "reactor", "heap"] {
        let mut child = bench_std()
            .args([
                "run",
                "--traces",
                "50",
                "--latency-ms",
                "60000",
                "--time-scale",
                "1000",
                "--timeout-ms",
                "3600000",
                "--cpu-us",
                "1000000",
                "--json",
                "--timer",
                timer,
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_for_the_run(&mut child);
        let ended = signal_and_wait(child, Signal::SIGINT);
        assert_eq!(ended.code, Some(130), "{timer}: {}", ended.stderr);
        assert!(!ended.stderr.contains("panicked"), "{}", ended.stderr);
        let record: Value = serde_json::from_str(ended.stdout.trim()).expect("one JSON object");
        assert_eq!(record["interrupted"], true);
        assert_eq!(record["lost"], 0);
    }
}
