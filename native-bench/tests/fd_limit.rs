//! Lowering the limit of open file descriptors: met as `EMFILE`, put back after, and
//! the sampler still counts what is open. Alone in their test binary, one at a time:
//! the limit is process-wide, and tests running beside them would meet it too.

#![cfg(unix)]

use std::fs::File;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tracepool_bench::fd_limit::{FdLimitError, current, lower};
use tracepool_bench::os::{AppGauges, Sampler};

/// Held by each test for its whole length.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Opens files until the limit says no.
fn open_all() -> (Vec<File>, std::io::Error) {
    let mut files = Vec::new();
    loop {
        match File::open("/dev/null") {
            Ok(file) => files.push(file),
            Err(e) => return (files, e),
        }
        assert!(files.len() <= 1 << 20, "no limit was met");
    }
}

#[test]
fn a_lowered_limit_is_met_then_put_back() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let (soft, hard) = current().unwrap();
    if hard < 64 {
        return;
    }
    {
        let guard = lower(64).unwrap();
        assert_eq!(guard.previous(), soft);
        assert_eq!(current().unwrap(), (64, hard));
        // Open files until the limit says no: it is met as EMFILE, not a crash.
        let (files, error) = open_all();
        assert!(files.len() < 64, "{} files open", files.len());
        assert_eq!(error.raw_os_error(), Some(nix::errno::Errno::EMFILE as i32));
    }
    assert_eq!(current().unwrap(), (soft, hard));
    match lower(hard.saturating_add(1)) {
        Err(FdLimitError::OutOfRange { .. }) => {}
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        lower(15),
        Err(FdLimitError::OutOfRange { limit: 15, .. })
    ));
}

#[cfg(target_os = "linux")]
#[test]
fn the_sampler_counts_descriptors_when_none_is_left() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let (_, hard) = current().unwrap();
    if hard < 64 {
        return;
    }
    let sampler = Sampler::start(Duration::from_millis(1), AppGauges::default).unwrap();
    let guard = lower(64).unwrap();
    let (files, _) = open_all();
    // The last sample is taken as the sampler stops, with every descriptor in use.
    let report = sampler.stop();
    drop(guard);
    let opened = files.len() as u64;
    drop(files);
    assert!(
        report.peak_open_fds.is_some_and(|peak| peak >= opened),
        "{:?} < {opened}",
        report.peak_open_fds
    );
    let last = report.samples.last().unwrap();
    assert!(
        last.rss_bytes > 0 && last.os_threads.is_some_and(|n| n >= 2),
        "{last:?}"
    );
    assert!(report.peak_rss_bytes.is_some_and(|bytes| bytes > 0));
}
