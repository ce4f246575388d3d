//! Output paths: checked before the runs, written without half-written files.

use std::path::{Path, PathBuf};

use crate::failure::Failure;

/// Fails early when the report could not be written where asked.
pub(crate) fn check_output_dir(out: &Path) -> Result<(), Failure> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(Failure::usage(format!(
            "--out {}: the parent directory {} does not exist",
            out.display(),
            parent.display()
        )));
    }
    if out.exists() && !out.is_dir() {
        return Err(Failure::usage(format!(
            "--out {}: exists and is not a directory",
            out.display()
        )));
    }
    Ok(())
}

/// Writes `bytes` to a temporary file beside `path`, then renames it into place.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"))?;
    let tmp = path.with_file_name(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}
