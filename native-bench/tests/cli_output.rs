//! Standard output and standard error: a closed reader or a failing device never makes
//! the runner panic; each failure has its exit code.

use std::io::Read;
use std::path::Path;
use std::process::{Output, Stdio};

mod common;
use common::{bench, bench_std};

/// Runs `args` with standard output a pipe whose reader is gone before anything is
/// written.
fn with_closed_stdout(args: &[&str]) -> Output {
    let mut child = bench_std()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    drop(child.stdout.take());
    child.wait_with_output().expect("ends")
}

fn assert_no_panic(output: &Output) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "no panic: {stderr}");
    assert_ne!(output.status.code(), Some(101), "no panic: {stderr}");
}

#[test]
fn a_closed_stdout_ends_quietly() {
    for args in [
        &["run", "--traces", "200", "--latency-ms", "0", "--json"][..],
        &["run", "--traces", "200", "--latency-ms", "0"],
        &["gen", "--traces", "20000", "--graph"],
    ] {
        let output = with_closed_stdout(args);
        assert_no_panic(&output);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.stderr.is_empty(), "{args:?}: quiet");
    }
}

#[test]
fn a_closed_stdout_still_writes_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let output = with_closed_stdout(&[
        "report",
        "--scenario",
        "baseline",
        "--latency-ms",
        "0.2",
        "--time-scale",
        "0.05",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_no_panic(&output);
    assert_eq!(output.status.code(), Some(0));
    assert!(out.join("report.json").is_file());
}

/// `/dev/full` fails every write with "no space left on device".
fn dev_full() -> Option<std::fs::File> {
    let path = Path::new("/dev/full");
    path.exists()
        .then(|| std::fs::OpenOptions::new().write(true).open(path).ok())
        .flatten()
}

#[test]
fn a_failing_stdout_is_an_io_failure() {
    let Some(full) = dev_full() else {
        eprintln!("no /dev/full: skipped");
        return;
    };
    let output = bench_std()
        .args(["run", "--traces", "50", "--latency-ms", "0", "--json"])
        .stdout(full)
        .output()
        .unwrap();
    assert_no_panic(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("standard output"), "{stderr}");
}

#[test]
fn a_failing_or_closed_stderr_keeps_the_exit_code() {
    // Bad input: the message cannot be written, the code still says bad input.
    let mut child = bench_std()
        .args(["run", "--traces", "abc"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let mut stdout = Vec::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut stdout)
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(2));
    assert!(stdout.is_empty());

    let Some(full) = dev_full() else {
        eprintln!("no /dev/full: skipped");
        return;
    };
    let output = bench_std()
        .args(["run", "--traces", "abc"])
        .stderr(full)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    // A run whose one-line progress cannot be written still succeeds.
    let dir = tempfile::tempdir().unwrap();
    let output = bench_std()
        .args([
            "report",
            "--scenario",
            "baseline",
            "--latency-ms",
            "0",
            "--out",
        ])
        .arg(dir.path().join("report"))
        .stderr(dev_full().unwrap())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn help_lists_every_exit_code() {
    let output = bench().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for code in [
        "0 success",
        "1 a run",
        "2 bad input",
        "3 a failure at run time",
        "130 stopped by Ctrl-C",
    ] {
        assert!(
            help.contains(code),
            "--help names exit code `{code}`: {help}"
        );
    }
}
