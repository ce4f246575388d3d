//! Output paths: checked before the runs, written without half-written files and
//! without replacing what stands at their path.

use std::path::{Path, PathBuf};

use tracepool_bench::output::OutputFile;
use tracepool_bench::report::ReportDir;

use crate::failure::{Failure, InputError, OutDirError};

/// Checks the report directory before the runs: its parent exists (it is not
/// created, so that a mistyped path fails at once), and it can take the report.
pub(crate) fn check_output_dir(out: &Path) -> Result<ReportDir, InputError> {
    let error = |reason| InputError::OutDir {
        path: out.to_path_buf(),
        reason,
    };
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(error(OutDirError::NoParent(parent)));
    }
    ReportDir::check(out).map_err(|e| error(OutDirError::Report(e)))
}

/// Checks an output file named by `flag` before the work that fills it.
pub(crate) fn check_file(flag: &'static str, path: &Path) -> Result<OutputFile, InputError> {
    OutputFile::check(path).map_err(|source| InputError::Output {
        flag,
        path: path.to_path_buf(),
        source,
    })
}

/// Writes the checked output file named by `flag`.
pub(crate) fn write_file(flag: &'static str, out: OutputFile, bytes: &[u8]) -> Result<(), Failure> {
    out.write(bytes)
        .map_err(|source| Failure::Write { flag, source })
}
