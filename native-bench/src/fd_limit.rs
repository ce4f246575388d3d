//! The process's limit on open file descriptors (`RLIMIT_NOFILE`): lowered for a run,
//! so that a model that opens too many sockets meets the limit as real tools do, and
//! raised by the http workload's server, so that it is not the one that runs out.
//!
//! Only the soft limit is changed, never the hard one: a lowered limit can be restored.
//! On systems other than Unix, the limit cannot be changed: [`lower`] fails and
//! [`raise_to_hard`] does nothing.

use std::fmt;
use std::io;
use std::ops::RangeInclusive;

/// The values [`lower`] accepts (and no more than the hard limit): below 16, the
/// runner itself (its standard streams, its runtime, its sampler, the server's pipes)
/// would have too few descriptors left to work.
pub const FD_LIMIT: RangeInclusive<u64> = 16..=1 << 20;

/// The soft and the hard limit of open file descriptors now.
///
/// # Errors
///
/// The OS's error; [`io::ErrorKind::Unsupported`] on systems other than Unix.
pub fn current() -> io::Result<(u64, u64)> {
    platform::get()
}

/// Lowers the soft limit to `limit` until the returned guard is dropped, which puts
/// the previous one back.
///
/// Descriptors already open stay open; opening one more fails with `EMFILE` once
/// `limit` descriptors are open (more exactly: when no descriptor number below `limit`
/// is free).
///
/// # Errors
///
/// [`FdLimitError::OutOfRange`] when `limit` is outside [`FD_LIMIT`] or above the hard
/// limit, [`FdLimitError::Os`] when the OS refuses.
pub fn lower(limit: u64) -> Result<FdLimitGuard, FdLimitError> {
    let (soft, hard) = current().map_err(FdLimitError::Os)?;
    if !FD_LIMIT.contains(&limit) || limit > hard {
        return Err(FdLimitError::OutOfRange {
            limit,
            max: hard.min(*FD_LIMIT.end()),
        });
    }
    platform::set(limit, hard).map_err(FdLimitError::Os)?;
    Ok(FdLimitGuard {
        previous: soft,
        hard,
    })
}

/// Raises the soft limit to the hard one and returns it (the soft limit as it is when
/// it cannot be raised). Does nothing on systems other than Unix.
pub fn raise_to_hard() -> u64 {
    match current() {
        Ok((soft, hard)) if soft < hard => match platform::set(hard, hard) {
            Ok(()) => hard,
            Err(_) => soft,
        },
        Ok((soft, _)) => soft,
        Err(_) => 0,
    }
}

/// A lowered limit; dropping it puts the previous one back. See [`lower`].
#[derive(Debug)]
#[must_use = "the limit is put back when the guard is dropped"]
pub struct FdLimitGuard {
    previous: u64,
    hard: u64,
}

impl FdLimitGuard {
    /// The soft limit before it was lowered.
    pub fn previous(&self) -> u64 {
        self.previous
    }
}

impl Drop for FdLimitGuard {
    fn drop(&mut self) {
        // Raising a soft limit back up to its old value, below the hard one, is always
        // allowed.
        let _ = platform::set(self.previous, self.hard);
    }
}

/// Why the limit could not be lowered.
#[derive(Debug)]
#[non_exhaustive]
pub enum FdLimitError {
    /// The limit asked is outside [`FD_LIMIT`] or above the hard limit; `max` is the
    /// highest one accepted here.
    OutOfRange {
        /// The limit asked.
        limit: u64,
        /// The highest limit accepted.
        max: u64,
    },
    /// The OS refused (or cannot change the limit).
    Os(io::Error),
}

impl fmt::Display for FdLimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OutOfRange { limit, max } => write!(
                f,
                "must be a whole number from {} to {max} (the hard limit caps it), got {limit}",
                FD_LIMIT.start()
            ),
            Self::Os(_) => f.write_str("cannot change the limit of open file descriptors"),
        }
    }
}

impl std::error::Error for FdLimitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::OutOfRange { .. } => None,
            Self::Os(e) => Some(e),
        }
    }
}

#[cfg(unix)]
mod platform {
    use std::io;

    use nix::sys::resource::{Resource, getrlimit, rlim_t, setrlimit};

    // `rlim_t` is `u64` on Linux and macOS, `i64` on some BSDs.
    #[allow(clippy::useless_conversion)]
    fn to_u64(x: rlim_t) -> u64 {
        u64::try_from(x).unwrap_or(u64::MAX)
    }

    #[allow(clippy::useless_conversion)]
    fn to_rlim(x: u64) -> rlim_t {
        rlim_t::try_from(x).unwrap_or(rlim_t::MAX)
    }

    pub(super) fn get() -> io::Result<(u64, u64)> {
        let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).map_err(io::Error::from)?;
        Ok((to_u64(soft), to_u64(hard)))
    }

    pub(super) fn set(soft: u64, hard: u64) -> io::Result<()> {
        setrlimit(Resource::RLIMIT_NOFILE, to_rlim(soft), to_rlim(hard)).map_err(io::Error::from)
    }
}

#[cfg(not(unix))]
mod platform {
    use std::io;

    fn unsupported() -> io::Error {
        io::Error::new(
            io::ErrorKind::Unsupported,
            "the limit of open file descriptors is only changed on Unix",
        )
    }

    pub(super) fn get() -> io::Result<(u64, u64)> {
        Err(unsupported())
    }

    pub(super) fn set(_soft: u64, _hard: u64) -> io::Result<()> {
        Err(unsupported())
    }
}
