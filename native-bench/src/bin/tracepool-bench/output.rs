//! Output paths: checked before the runs, written without half-written files.

use std::path::{Path, PathBuf};

use crate::failure::{InputError, OutDirError};

/// Fails early when the report could not be written where asked.
pub(crate) fn check_output_dir(out: &Path) -> Result<(), InputError> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let error = |reason| InputError::OutDir {
        path: out.to_path_buf(),
        reason,
    };
    if !parent.is_dir() {
        return Err(error(OutDirError::NoParent(parent)));
    }
    if out.exists() && !out.is_dir() {
        return Err(error(OutDirError::NotADirectory));
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
