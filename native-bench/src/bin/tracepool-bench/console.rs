//! Writing to standard output and standard error without ever panicking.
//!
//! A closed standard output (the reader went away, as in `tracepool-bench gen | head`)
//! ends the output quietly, as Unix tools do: that write and every later one are
//! dropped, and the exit code is what the work itself earned. Any other error writing
//! standard output (a full disk, an I/O error) is a [`Failure::Stdout`]. Errors writing
//! standard error are ignored: there is nowhere left to report them, and the exit code
//! still tells what happened.

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::failure::Failure;

/// Set once standard output turned out to be closed.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `text` and a newline to standard output, and flushes it.
///
/// # Errors
///
/// [`Failure::Stdout`] for any error but a closed standard output.
pub(crate) fn out(text: fmt::Arguments<'_>) -> Result<(), Failure> {
    write_out(|stdout| {
        stdout.write_fmt(text)?;
        stdout.write_all(b"\n")
    })
}

/// Writes `bytes` as they are to standard output, and flushes it.
///
/// # Errors
///
/// [`Failure::Stdout`] for any error but a closed standard output.
pub(crate) fn out_bytes(bytes: &[u8]) -> Result<(), Failure> {
    write_out(|stdout| stdout.write_all(bytes))
}

fn write_out(
    write: impl FnOnce(&mut io::StdoutLock<'static>) -> io::Result<()>,
) -> Result<(), Failure> {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut stdout = io::stdout().lock();
    match write(&mut stdout).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(e) => Err(Failure::Stdout(e)),
    }
}

/// Writes `text` and a newline to standard error, ignoring errors.
pub(crate) fn err(text: fmt::Arguments<'_>) {
    let mut stderr = io::stderr().lock();
    let _ = stderr
        .write_fmt(text)
        .and_then(|()| stderr.write_all(b"\n"))
        .and_then(|()| stderr.flush());
}
