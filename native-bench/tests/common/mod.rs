//! What the command-line tests share: the binary under test, with a clean environment.

use assert_cmd::Command;

/// The `tracepool-bench` binary, without `DEEPER_MAX_CONCURRENCY` from the caller.
#[allow(dead_code)]
pub(crate) fn bench() -> Command {
    let mut cmd = Command::cargo_bin("tracepool-bench").expect("binary built");
    cmd.env_remove("DEEPER_MAX_CONCURRENCY");
    cmd
}

/// The same binary as a plain `std::process::Command`, to spawn and signal.
#[allow(dead_code)]
pub(crate) fn bench_std() -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("tracepool-bench"));
    cmd.env_remove("DEEPER_MAX_CONCURRENCY");
    cmd
}

/// Asserts a usage error: exit code 2, nothing on stdout, one line on stderr that names
/// `names`, and no panic.
#[allow(dead_code)]
pub(crate) fn assert_usage_error(output: &std::process::Output, names: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(2),
        "exit code 2 for {names}: {stderr}"
    );
    assert!(output.stdout.is_empty(), "nothing on stdout for {names}");
    assert_eq!(
        stderr.trim().lines().count(),
        1,
        "one line for {names}: {stderr}"
    );
    assert!(stderr.contains(names), "error names {names}: {stderr}");
    assert!(!stderr.contains("panicked"), "no panic: {stderr}");
}
