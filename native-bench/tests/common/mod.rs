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
