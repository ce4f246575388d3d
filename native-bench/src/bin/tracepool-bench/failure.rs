//! Why the program stops early, and the exit code each reason ends it with.

/// Exit code of a run that broke the pool's promises (bound exceeded, jobs lost).
pub(crate) const EXIT_VIOLATION: u8 = 1;
/// Exit code of bad input (flags, files, environment).
pub(crate) const EXIT_USAGE: u8 = 2;

/// A failure to report on one line, with the exit code it ends the process with.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) message: String,
    pub(crate) code: u8,
}

impl Failure {
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: EXIT_USAGE,
        }
    }
}
