//! `--profile`: a CPU profile of the process, written as a flamegraph.

use std::path::{Path, PathBuf};

use crate::failure::Failure;
use crate::output::write_atomically;

/// A CPU profile of the process, written as a flamegraph when finished.
pub(crate) struct Profiler {
    guard: pprof::ProfilerGuard<'static>,
    path: PathBuf,
}

impl Profiler {
    pub(crate) fn start(path: &Path) -> Result<Self, Failure> {
        let guard = pprof::ProfilerGuardBuilder::default()
            .frequency(999)
            .blocklist(&["libc", "libgcc", "pthread", "vdso"])
            .build()
            .map_err(|source| Failure::Profiler {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Profiler {
            guard,
            path: path.to_path_buf(),
        })
    }

    pub(crate) fn finish(self) -> Result<(), Failure> {
        let path = self.path;
        let report = self
            .guard
            .report()
            .build()
            .map_err(|source| Failure::Profiler {
                path: path.clone(),
                source,
            })?;
        let mut svg = Vec::new();
        report
            .flamegraph(&mut svg)
            .map_err(|source| Failure::Profiler {
                path: path.clone(),
                source,
            })?;
        write_atomically(&path, &svg).map_err(|source| Failure::Write {
            flag: "--profile",
            path,
            source,
        })
    }
}
