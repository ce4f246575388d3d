//! `--profile`: a CPU profile of the process, written as a flamegraph.
//!
//! The profiler (pprof) samples the process with `SIGPROF`, so profiles are taken on
//! Unix systems only; elsewhere `--profile` is refused as bad input before any run.

use std::path::Path;

use tracepool_bench::output::OutputFile;

use crate::failure::InputError;
#[cfg(unix)]
use crate::output::check_file;

/// Checks `--profile`'s file before the work, as any output file; refused on systems
/// without Unix signals, where no profile can be taken.
#[cfg(unix)]
pub(crate) fn check_profile(path: &Path) -> Result<OutputFile, InputError> {
    check_file("--profile", path)
}

/// Checks `--profile`'s file before the work, as any output file; refused on systems
/// without Unix signals, where no profile can be taken.
#[cfg(not(unix))]
pub(crate) fn check_profile(_path: &Path) -> Result<OutputFile, InputError> {
    Err(unsupported())
}

/// `--profile` on a system without Unix signals.
#[cfg(not(unix))]
fn unsupported() -> InputError {
    InputError::Unsupported {
        flag: "--profile",
        reason: "CPU profiles need Unix signals (SIGPROF)",
    }
}

#[cfg(unix)]
pub(crate) use unix::Profiler;

#[cfg(not(unix))]
pub(crate) use other::Profiler;

#[cfg(unix)]
mod unix {
    use std::path::PathBuf;

    use tracepool_bench::output::OutputFile;

    use crate::failure::Failure;
    use crate::output::write_file;

    /// The flamegraph of a run too short for the profiler to take a sample.
    const NO_SAMPLES_SVG: &str = "<?xml version=\"1.0\" standalone=\"no\"?>\n\
<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1200\" height=\"60\" viewBox=\"0 0 1200 60\">\
<text x=\"600\" y=\"35\" text-anchor=\"middle\" font-family=\"Verdana\" font-size=\"17\">\
No CPU samples were taken: the run was too short to profile.</text></svg>\n";

    /// A CPU profile of the process, written as a flamegraph when finished.
    pub(crate) struct Profiler {
        guard: pprof::ProfilerGuard<'static>,
        out: OutputFile,
    }

    impl Profiler {
        /// Starts profiling, to write the flamegraph to `out` (checked already).
        pub(crate) fn start(out: OutputFile) -> Result<Self, Failure> {
            let guard = pprof::ProfilerGuardBuilder::default()
                .frequency(999)
                .blocklist(&["libc", "libgcc", "pthread", "vdso"])
                .build()
                .map_err(|source| Failure::Profiler {
                    path: out.path().to_path_buf(),
                    source,
                })?;
            Ok(Profiler { guard, out })
        }

        /// Stops profiling and writes the flamegraph.
        pub(crate) fn finish(self) -> Result<(), Failure> {
            let path = || PathBuf::from(self.out.path());
            let report = self
                .guard
                .report()
                .build()
                .map_err(|source| Failure::Profiler {
                    path: path(),
                    source,
                })?;
            if report.data.is_empty() {
                // pprof writes nothing for a profile without samples: say so in the file.
                return write_file("--profile", self.out, NO_SAMPLES_SVG.as_bytes());
            }
            let mut svg = Vec::new();
            report
                .flamegraph(&mut svg)
                .map_err(|source| Failure::Profiler {
                    path: path(),
                    source,
                })?;
            write_file("--profile", self.out, &svg)
        }
    }
}

#[cfg(not(unix))]
mod other {
    use std::convert::Infallible;

    use tracepool_bench::output::OutputFile;

    use crate::failure::Failure;

    /// No profiler off Unix: [`check_profile`](super::check_profile) refuses the flag,
    /// so none is ever started.
    pub(crate) struct Profiler(Infallible);

    impl Profiler {
        /// Never starts: `--profile` was refused by its check.
        pub(crate) fn start(_out: OutputFile) -> Result<Self, Failure> {
            Err(Failure::Input(super::unsupported()))
        }

        /// Nothing to finish.
        pub(crate) fn finish(self) -> Result<(), Failure> {
            match self.0 {}
        }
    }
}
