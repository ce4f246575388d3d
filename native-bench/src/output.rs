//! Output files that are checked before the work and never replace what stands at
//! their path unless it is a regular file.
//!
//! [`OutputFile::check`] looks at the path before anything runs, so that a run of
//! minutes is not lost to an output that cannot be written:
//!
//! - Nothing there, or a regular file: a temporary file is created beside it at once
//!   (`.{name}.tmp-{pid}-{n}`, proof that the directory takes new files), filled by
//!   [`OutputFile::write`] and renamed over the path, so the path holds the old content
//!   or the new, never half of it. A regular file that is read-only is refused.
//! - A FIFO or a character device (`/dev/null`, `/dev/stdout`'s target): written
//!   through, in place, as a shell's `>` does; never replaced. Opening a FIFO waits for
//!   its reader.
//! - A symbolic link: followed; what it points to is treated as above and the link
//!   stays. A link to nothing is refused.
//! - A directory, a socket, a block device: refused.
//!
//! Dropping an [`OutputFile`] that was not written removes its temporary file.
//!
//! # Examples
//!
//! ```
//! use tracepool_bench::output::OutputFile;
//!
//! let dir = std::env::temp_dir().join(format!("tracepool-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("seeds.txt");
//! let out = OutputFile::check(&path)?; // before the work
//! out.write(b"username:alice\n")?; // after it
//! assert_eq!(std::fs::read_to_string(&path)?, "username:alice\n");
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Why an output path cannot be used, or could not be written.
#[derive(Debug)]
#[non_exhaustive]
pub enum OutputError {
    /// The path names no file (it is empty or ends in `/`, `.` or `..`).
    NoFileName,
    /// The directory that would hold it does not exist.
    NoParent(PathBuf),
    /// It is a directory.
    IsADirectory,
    /// It is a symbolic link to nothing (the link's target is held).
    DanglingLink(PathBuf),
    /// It is a regular file without write permission.
    ReadOnly,
    /// It is a kind of file that is never written to: a socket or a block device (the
    /// kind is held).
    Unsupported(&'static str),
    /// A file system operation failed.
    Io {
        /// What was being done, e.g. `create a file in` or `write`.
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

impl fmt::Display for OutputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoFileName => f.write_str("not a file name"),
            Self::NoParent(parent) => {
                write!(f, "the directory {} does not exist", parent.display())
            }
            Self::IsADirectory => f.write_str("is a directory"),
            Self::DanglingLink(target) => write!(
                f,
                "is a symbolic link to {}, which does not exist",
                target.display()
            ),
            Self::ReadOnly => f.write_str("is read-only"),
            Self::Unsupported(kind) => write!(f, "is a {kind}; only files are written"),
            Self::Io {
                action,
                path,
                source,
            } => write!(f, "cannot {action} {}: {source}", path.display()),
        }
    }
}

impl std::error::Error for OutputError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> OutputError {
    let path = path.to_path_buf();
    move |source| OutputError::Io {
        action,
        path,
        source,
    }
}

/// Distinguishes the temporary files of one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// An output path, checked; see the [module docs](self).
#[derive(Debug)]
#[must_use = "an output file is checked to be written later"]
pub struct OutputFile {
    target: Target,
}

#[derive(Debug)]
enum Target {
    /// Written to `temp`, then renamed to `path`.
    Replace {
        path: PathBuf,
        temp: PathBuf,
        file: Option<File>,
    },
    /// Opened and written in place.
    Through(PathBuf),
}

impl OutputFile {
    /// Checks that `path` can be written, before the work that produces its content.
    ///
    /// For a new or regular file, creates its temporary file beside it.
    ///
    /// # Errors
    ///
    /// [`OutputError::NoFileName`], [`OutputError::NoParent`],
    /// [`OutputError::IsADirectory`], [`OutputError::DanglingLink`],
    /// [`OutputError::ReadOnly`] and [`OutputError::Unsupported`] as their names say,
    /// and [`OutputError::Io`] when the path cannot be inspected or its directory does
    /// not take a new file.
    pub fn check(path: &Path) -> Result<Self, OutputError> {
        let (real, meta) = match fs::symlink_metadata(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => (path.to_path_buf(), None),
            Err(e) => return Err(io_error("inspect", path)(e)),
            Ok(link) if link.file_type().is_symlink() => match fs::metadata(path) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    let target = fs::read_link(path).unwrap_or_default();
                    return Err(OutputError::DanglingLink(target));
                }
                Err(e) => return Err(io_error("follow", path)(e)),
                Ok(meta) => {
                    let real = fs::canonicalize(path).map_err(io_error("follow", path))?;
                    (real, Some(meta))
                }
            },
            Ok(meta) => (path.to_path_buf(), Some(meta)),
        };
        match meta {
            None => Self::replace(real, None),
            Some(meta) => match kind(&meta) {
                Kind::Regular if meta.permissions().readonly() => Err(OutputError::ReadOnly),
                Kind::Regular => Self::replace(real, Some(meta)),
                Kind::WriteThrough => Ok(OutputFile {
                    target: Target::Through(real),
                }),
                Kind::Directory => Err(OutputError::IsADirectory),
                Kind::Other(kind) => Err(OutputError::Unsupported(kind)),
            },
        }
    }

    /// A new or regular file at `path`: its temporary file, created now with the
    /// permissions of the `existing` file.
    fn replace(path: PathBuf, existing: Option<Metadata>) -> Result<Self, OutputError> {
        let name = match path.file_name() {
            Some(name) if !path.ends_with("..") => name.to_string_lossy().into_owned(),
            _ => return Err(OutputError::NoFileName),
        };
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !parent.is_dir() {
            return Err(OutputError::NoParent(parent));
        }
        let temp = parent.join(format!(
            ".{name}.tmp-{}-{}",
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(io_error("create a file in", &parent))?;
        let out = OutputFile {
            target: Target::Replace {
                path,
                temp: temp.clone(),
                file: Some(file),
            },
        };
        if let (
            Some(meta),
            Target::Replace {
                file: Some(file), ..
            },
        ) = (existing, &out.target)
        {
            // On error, dropping `out` removes the temporary file.
            file.set_permissions(meta.permissions())
                .map_err(io_error("set the permissions of", &temp))?;
        }
        Ok(out)
    }

    /// The path written to: the checked path, or what its symbolic link points to.
    pub fn path(&self) -> &Path {
        match &self.target {
            Target::Replace { path, .. } | Target::Through(path) => path,
        }
    }

    /// Writes `bytes` as the file's whole content.
    ///
    /// A new or regular file is replaced at once by a complete new file; a FIFO or a
    /// character device is written in place (a FIFO waits for its reader).
    ///
    /// # Errors
    ///
    /// [`OutputError::Io`] naming the path and the cause; the path is then left as it
    /// was (a FIFO or a device may have taken part of the bytes).
    pub fn write(mut self, bytes: &[u8]) -> Result<(), OutputError> {
        match &mut self.target {
            Target::Replace { path, temp, file } => {
                let mut file = file.take().expect("an output file is written once");
                file.write_all(bytes).map_err(io_error("write", temp))?;
                file.sync_all().map_err(io_error("sync", temp))?;
                drop(file);
                fs::rename(&*temp, &*path).map_err(io_error("rename into place", path))?;
                // Renamed: nothing left to remove.
                temp.clear();
                Ok(())
            }
            Target::Through(path) => {
                let mut file = OpenOptions::new()
                    .write(true)
                    .open(&*path)
                    .map_err(io_error("open", path))?;
                file.write_all(bytes).map_err(io_error("write", path))?;
                file.flush().map_err(io_error("write", path))
            }
        }
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        if let Target::Replace { temp, file, .. } = &mut self.target {
            drop(file.take());
            if !temp.as_os_str().is_empty() {
                let _ = fs::remove_file(&*temp);
            }
        }
    }
}

/// What stands at an output path, as far as writing it goes.
enum Kind {
    Regular,
    /// FIFOs and character devices, which only Unix systems report.
    #[cfg_attr(not(unix), allow(dead_code))]
    WriteThrough,
    Directory,
    Other(&'static str),
}

fn kind(meta: &Metadata) -> Kind {
    let file_type = meta.file_type();
    if file_type.is_file() {
        return Kind::Regular;
    }
    if file_type.is_dir() {
        return Kind::Directory;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() || file_type.is_char_device() {
            return Kind::WriteThrough;
        }
        if file_type.is_socket() {
            return Kind::Other("socket");
        }
        if file_type.is_block_device() {
            return Kind::Other("block device");
        }
    }
    Kind::Other("special file")
}
