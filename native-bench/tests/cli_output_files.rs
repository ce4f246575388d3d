//! The runner's output files (`--profile`, `gen --out`): checked before any run, and
//! never replacing a FIFO, a device or a symbolic link.

#![cfg(unix)]

use std::fs::{self, OpenOptions};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::mpsc;
use std::time::Duration;

mod common;
use common::bench;

/// A run that would take hours: it must never start when an output is bad.
const ENDLESS_RUN: [&str; 5] = ["run", "--traces", "10000000", "--latency-ms", "60000"];

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn assert_bad_output(output: &Output, flag: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{flag}: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(flag), "names {flag}: {stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn bad_output_paths_fail_before_the_runs() {
    let dir = tempfile::tempdir().unwrap();
    let dangling = dir.path().join("dangling.svg");
    symlink(dir.path().join("nowhere"), &dangling).unwrap();
    let mut bad: Vec<PathBuf> = vec![
        dir.path().join("missing/cpu.svg"),
        dir.path().to_path_buf(),
        dangling,
    ];
    if cfg!(target_os = "linux") {
        bad.push(PathBuf::from("/proc/self/cpu.svg"));
    }
    for path in &bad {
        let report_out = dir.path().join("report");
        let report = ["report", "--scenario", "stress", "--out"];
        for command in [&ENDLESS_RUN[..], &report] {
            let output = bench()
                .args(command)
                .args(command.ends_with(&["--out"]).then_some(&report_out))
                .arg("--profile")
                .arg(path)
                .timeout(Duration::from_secs(60))
                .output()
                .unwrap();
            assert_bad_output(&output, "--profile");
        }
        let output = bench()
            .args(["gen", "--traces", "10", "--out"])
            .arg(path)
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        assert_bad_output(&output, "--out");
    }
    assert_eq!(entries(dir.path()), ["dangling.svg"], "nothing left behind");
}

#[test]
fn gen_writes_through_a_symlink_and_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("seeds.txt");
    fs::write(&target, "old").unwrap();
    let link = dir.path().join("link.txt");
    symlink(&target, &link).unwrap();
    bench()
        .args(["gen", "--traces", "10", "--out"])
        .arg(&link)
        .assert()
        .success();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(fs::read_to_string(&target).unwrap().contains("username:"));

    // A link to a device: the device is written, the link stays.
    let null = dir.path().join("null");
    symlink("/dev/null", &null).unwrap();
    bench()
        .args(["gen", "--traces", "10", "--out"])
        .arg(&null)
        .assert()
        .success();
    assert!(
        fs::symlink_metadata(&null)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
    assert_eq!(entries(dir.path()), ["link.txt", "null", "seeds.txt"]);
}

#[test]
fn a_failing_device_is_an_io_failure() {
    if !Path::new("/dev/full").exists() {
        eprintln!("no /dev/full: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full");
    symlink("/dev/full", &full).unwrap();
    let output = bench()
        .args(["gen", "--traces", "10", "--out"])
        .arg(&full)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("--out"), "{stderr}");
    assert!(
        fs::symlink_metadata(&full)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn outputs_are_written_through_a_fifo() {
    let dir = tempfile::tempdir().unwrap();
    for command in [
        &["gen", "--traces", "10", "--out"][..],
        &[
            "run",
            "--traces",
            "500",
            "--latency-ms",
            "0",
            "--cpu-us",
            "20",
            "--json",
            "--profile",
        ],
    ] {
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let (sent, received) = mpsc::channel();
        let reader = fifo.clone();
        std::thread::spawn(move || {
            let _ = sent.send(fs::read(reader));
        });
        let output = bench().args(command).arg(&fifo).output().unwrap();
        // A reader still waiting means the FIFO was never opened: release it.
        let _ = OpenOptions::new()
            .write(true)
            .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
            .open(&fifo);
        assert!(
            output.status.success(),
            "{command:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let read = received
            .recv_timeout(Duration::from_secs(60))
            .expect("the reader ends")
            .unwrap();
        assert!(!read.is_empty(), "{command:?}: written through the FIFO");
        assert!(
            fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(),
            "{command:?}: still a FIFO"
        );
        assert_eq!(entries(dir.path()), ["fifo"]);
        fs::remove_file(&fifo).unwrap();
    }
}

#[test]
fn profile_writes_through_a_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("cpu.svg");
    let link = dir.path().join("link.svg");
    fs::write(&target, "old").unwrap();
    symlink(&target, &link).unwrap();
    let output = bench()
        .args([
            "run",
            "--traces",
            "500",
            "--latency-ms",
            "0",
            "--cpu-us",
            "20",
            "--json",
            "--profile",
        ])
        .arg(&link)
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(fs::read_to_string(&target).unwrap().contains("<svg"));
}
