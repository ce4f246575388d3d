//! The report directory: checked before the runs, replaced whole after them, and only
//! when it holds nothing but a report.

use std::fmt;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use tracepool::report::comparison::MetricChange;
use tracepool::report::record::Report;

use super::{render_html, render_markdown};
use crate::interrupt::Interrupt;

/// The files of a report directory. An existing directory is replaced only when every
/// entry in it is a regular file with one of these names (or when it is empty).
pub const REPORT_FILES: [&str; 3] = ["report.json", "report.md", "report.html"];

/// Why a report directory could not be written.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReportWriteError {
    /// The output path has no final component to name a directory by (e.g. `/` or `..`).
    InvalidPath(PathBuf),
    /// The output path exists and is not a directory; it is left as it is.
    NotADirectory(PathBuf),
    /// The output path is a directory that holds something else than a report: the
    /// entry named is not one of [`REPORT_FILES`] (or not a regular file). Nothing is
    /// changed.
    NotAReportDirectory {
        /// The directory.
        path: PathBuf,
        /// The first entry found that is not a report file.
        entry: PathBuf,
    },
    /// The output path is a symbolic link to nothing (the link's target is held).
    DanglingLink(PathBuf),
    /// A stop was requested before the new report was moved into place; the old one (or
    /// nothing) is left.
    Interrupted,
    /// A file system operation failed.
    Io {
        /// What was being done, e.g. `create directory` or `write`.
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

impl fmt::Display for ReportWriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidPath(p) => write!(f, "invalid report directory {}", p.display()),
            Self::NotADirectory(p) => {
                write!(
                    f,
                    "report path {} exists and is not a directory",
                    p.display()
                )
            }
            Self::NotAReportDirectory { path, entry } => write!(
                f,
                "{} holds {}, which is not a report file: give a new or empty directory, or \
                 one holding only {}",
                path.display(),
                entry.display(),
                REPORT_FILES.join(", ")
            ),
            Self::DanglingLink(target) => write!(
                f,
                "report path is a symbolic link to {}, which does not exist",
                target.display()
            ),
            Self::Interrupted => f.write_str("interrupted before the report was moved into place"),
            Self::Io {
                action,
                path,
                source,
            } => write!(f, "cannot {action} {}: {source}", path.display()),
        }
    }
}

impl std::error::Error for ReportWriteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> ReportWriteError {
    let path = path.to_path_buf();
    move |source| ReportWriteError::Io {
        action,
        path,
        source,
    }
}

/// Distinguishes the temporary directories of concurrent writes in one process.
static WRITE_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A report directory, checked before the runs; [`write`](Self::write) fills it after.
///
/// [`check`](Self::check) finds everything that would make the write fail or lose data
/// before minutes are spent on the runs:
///
/// - The path must name a directory; missing parent directories are created.
/// - An existing directory is replaced only if it holds nothing but [`REPORT_FILES`]
///   (regular files): a project folder given by mistake is refused, never emptied.
/// - A symbolic link is followed: the directory it points to is replaced, the link
///   stays. A link to nothing, or to something else than a directory, is refused.
/// - The temporary directory the report is written into (`.{name}.tmp-{pid}-{n}` beside
///   it) is created at once, proof that the parent takes new entries. Dropping a
///   `ReportDir` that was not written removes it.
///
/// Leftovers of a process that was killed outright (`SIGKILL`, a power cut) while
/// writing the same directory are cleaned up by the next check (on Linux, where a dead
/// process can be told from a live one): its temporary directories are removed, and an
/// old report it had moved aside is moved back if the path is empty. Only directories
/// that hold nothing but report files are touched.
///
/// # Examples
///
/// ```
/// use tracepool::report::record::{Environment, Report, Settings};
/// use tracepool_bench::interrupt::Interrupt;
/// use tracepool_bench::report::ReportDir;
///
/// let out = std::env::temp_dir().join(format!("tracepool-doc-report-{}", std::process::id()));
/// let dir = ReportDir::check(&out)?; // before the runs
/// let report = Report::new("0.1.0", Environment::default(), Settings::default());
/// dir.write(&report, None, &Interrupt::new())?; // after them
/// assert!(out.join("report.json").is_file());
/// # std::fs::remove_dir_all(&out)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[must_use = "a checked report directory is written later"]
pub struct ReportDir {
    /// Where the report goes (a symbolic link's target).
    out: PathBuf,
    /// Its parent directory.
    parent: PathBuf,
    /// Its final component.
    name: String,
    /// The temporary directory the files are written to; empty once moved into place.
    temp: PathBuf,
}

impl ReportDir {
    /// Checks that `out` can take a report, and creates its temporary directory.
    ///
    /// # Errors
    ///
    /// [`ReportWriteError::InvalidPath`] when `out` has no final component,
    /// [`ReportWriteError::NotADirectory`] when it names something else than a
    /// directory, [`ReportWriteError::NotAReportDirectory`] when it is a directory
    /// holding anything else than report files, [`ReportWriteError::DanglingLink`] for a
    /// link to nothing, and [`ReportWriteError::Io`] when the parent cannot be created or
    /// takes no new directory. Nothing at `out` is changed.
    pub fn check(out: &Path) -> Result<Self, ReportWriteError> {
        let out = match fs::symlink_metadata(out) {
            Ok(meta) if meta.file_type().is_symlink() => match fs::metadata(out) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    let target = fs::read_link(out).unwrap_or_default();
                    return Err(ReportWriteError::DanglingLink(target));
                }
                Err(e) => return Err(io_error("follow", out)(e)),
                Ok(meta) if meta.is_dir() => {
                    fs::canonicalize(out).map_err(io_error("follow", out))?
                }
                Ok(_) => return Err(ReportWriteError::NotADirectory(out.to_path_buf())),
            },
            Ok(meta) if !meta.is_dir() => {
                return Err(ReportWriteError::NotADirectory(out.to_path_buf()));
            }
            // A directory, or nothing yet: creating the parent below reports a path that
            // cannot be reached.
            _ => out.to_path_buf(),
        };
        let name = match out.file_name() {
            Some(name) if !out.ends_with("..") => name.to_string_lossy().into_owned(),
            _ => return Err(ReportWriteError::InvalidPath(out)),
        };
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(io_error("create directory", &parent))?;
        clean_leftovers(&parent, &name, &out);
        check_contents(&out)?;
        let temp = parent.join(format!(
            ".{name}.tmp-{}-{}",
            std::process::id(),
            WRITE_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir(&temp).map_err(io_error("create directory", &temp))?;
        Ok(ReportDir {
            out,
            parent,
            name,
            temp,
        })
    }

    /// Where the report goes: the checked path, or the directory its link points to.
    pub fn path(&self) -> &Path {
        &self.out
    }

    /// Writes `report.json` ([`Report::to_json_pretty`]), `report.md`
    /// ([`render_markdown`]) and `report.html` ([`render_html`]), all or nothing.
    ///
    /// The files are written and synced into the temporary directory, which then takes
    /// the place of the report directory: on Linux in one atomic exchange; elsewhere (or
    /// on a file system without the exchange) by moving the old directory aside and the
    /// new one in. The old report is removed once the new one is in place. A stop
    /// requested through `interrupt` before the exchange leaves the old report as it
    /// was; from the exchange on, the move is finished, under an
    /// [`Interrupt::hold`].
    ///
    /// # Errors
    ///
    /// [`ReportWriteError::Interrupted`] when a stop was requested first,
    /// [`ReportWriteError::NotAReportDirectory`] when the directory took other entries
    /// since the check, and [`ReportWriteError::Io`], naming the path and the cause, when
    /// writing or renaming fails. On error the temporary directory is removed and the
    /// old report is left as it was.
    pub fn write(
        mut self,
        report: &Report,
        changes: Option<&[MetricChange]>,
        interrupt: &Interrupt,
    ) -> Result<(), ReportWriteError> {
        let files = [
            ("report.json", report.to_json_pretty()),
            ("report.md", render_markdown(report, changes)),
            ("report.html", render_html(report, changes)),
        ];
        for (file, content) in &files {
            let path = self.temp.join(file);
            write_synced(&path, content.as_bytes()).map_err(io_error("write", &path))?;
        }
        let _hold = interrupt.hold();
        if interrupt.is_requested() {
            return Err(ReportWriteError::Interrupted);
        }
        // The directory may have taken other files during the runs.
        check_contents(&self.out)?;
        self.swap()
    }

    /// Puts the temporary directory in the report's place and removes the old report.
    fn swap(&mut self) -> Result<(), ReportWriteError> {
        let exists = self.out.is_dir();
        if exists && exchange(&self.temp, &self.out) {
            // `temp` now holds the old report, checked to be nothing but report files.
            let _ = fs::remove_dir_all(&self.temp);
            self.temp.clear();
            return Ok(());
        }
        let aside = self.parent.join(format!(
            ".{}.old-{}-{}",
            self.name,
            std::process::id(),
            WRITE_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        if exists {
            fs::rename(&self.out, &aside).map_err(io_error("move aside", &self.out))?;
        }
        if let Err(e) = fs::rename(&self.temp, &self.out) {
            if exists {
                let _ = fs::rename(&aside, &self.out);
            }
            return Err(io_error("move into place", &self.out)(e));
        }
        self.temp.clear();
        if exists {
            let _ = fs::remove_dir_all(&aside);
        }
        Ok(())
    }
}

impl Drop for ReportDir {
    fn drop(&mut self) {
        if !self.temp.as_os_str().is_empty() {
            let _ = fs::remove_dir_all(&self.temp);
        }
    }
}

/// Writes `report`'s three files into the directory `out_dir`, all or nothing:
/// [`ReportDir::check`] then [`ReportDir::write`], with no way to interrupt it.
///
/// # Errors
///
/// Those of [`ReportDir::check`] and [`ReportDir::write`].
pub fn write_report(
    report: &Report,
    changes: Option<&[MetricChange]>,
    out_dir: &Path,
) -> Result<(), ReportWriteError> {
    ReportDir::check(out_dir)?.write(report, changes, &Interrupt::new())
}

/// Whether `dir` holds nothing but report files; `Ok` when it does not exist.
fn check_contents(dir: &Path) -> Result<(), ReportWriteError> {
    match foreign_entry(dir) {
        Ok(None) => Ok(()),
        Ok(Some(entry)) => Err(ReportWriteError::NotAReportDirectory {
            path: dir.to_path_buf(),
            entry,
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error("list", dir)(e)),
    }
}

/// The first entry of `dir` that is not a report file (a regular file named in
/// [`REPORT_FILES`]), if any.
fn foreign_entry(dir: &Path) -> io::Result<Option<PathBuf>> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let is_report_file = entry.file_type()?.is_file()
            && REPORT_FILES
                .iter()
                .any(|name| entry.file_name() == std::ffi::OsStr::new(name));
        if !is_report_file {
            return Ok(Some(PathBuf::from(entry.file_name())));
        }
    }
    Ok(None)
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Swaps two directories in one step where the system can (Linux's `renameat2` with
/// `RENAME_EXCHANGE`); `false` when it cannot, and nothing was changed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn exchange(a: &Path, b: &Path) -> bool {
    use nix::fcntl::{AT_FDCWD, RenameFlags, renameat2};
    renameat2(AT_FDCWD, a, AT_FDCWD, b, RenameFlags::RENAME_EXCHANGE).is_ok()
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn exchange(_a: &Path, _b: &Path) -> bool {
    false
}

/// Removes what a killed process left while writing `parent/name`: its temporary
/// directories, and an old report moved aside (moved back when `out` is missing). Only
/// entries of processes that are gone, holding nothing but report files, are touched.
fn clean_leftovers(parent: &Path, name: &str, out: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let (tmp, old) = (format!(".{name}.tmp-"), format!(".{name}.old-"));
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let (rest, is_old) = if let Some(rest) = file_name.strip_prefix(&tmp) {
            (rest, false)
        } else if let Some(rest) = file_name.strip_prefix(&old) {
            (rest, true)
        } else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let path = entry.path();
        if !process_is_gone(pid) || !matches!(foreign_entry(&path), Ok(None)) {
            continue;
        }
        if is_old && !out.exists() && fs::rename(&path, out).is_ok() {
            continue;
        }
        let _ = fs::remove_dir_all(&path);
    }
}

/// Whether no process `pid` runs; `false` where that cannot be told.
fn process_is_gone(pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    if cfg!(target_os = "linux") {
        Path::new("/proc/self").exists() && !Path::new("/proc").join(pid.to_string()).exists()
    } else {
        false
    }
}
