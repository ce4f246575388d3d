//! The timer behind a run's simulated sleeps, as run records name it.

use std::fmt;
use std::str::FromStr;

use crate::report::{KnownName, UnknownNameError};

/// The timer behind a run's simulated sleeps (and its timeouts): `reactor` or
/// `finishing`. A late sleep counts against every model's efficiency, so records say
/// which timer slept.
///
/// # Examples
///
/// ```
/// use tracepool::report::SleepTimer;
///
/// assert_eq!(SleepTimer::default(), SleepTimer::Finishing);
/// assert_eq!("reactor".parse::<SleepTimer>()?, SleepTimer::Reactor);
/// # Ok::<(), tracepool::report::UnknownNameError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SleepTimer {
    /// async-io's timer (`timer::AsyncIoTimer`): the thread idles until the deadline,
    /// and wakes up as late as the machine wakes an idle thread.
    Reactor,
    /// async-io's timer woken early, then yielding until the deadline
    /// (`timer::FinishingTimer`): close to the deadline, at a CPU cost. The default.
    #[default]
    Finishing,
}

impl SleepTimer {
    /// Every timer, in a stable order.
    pub const ALL: [SleepTimer; 2] = [SleepTimer::Reactor, SleepTimer::Finishing];

    /// The name records and the command line use: `reactor` or `finishing`.
    pub fn name(self) -> &'static str {
        match self {
            SleepTimer::Reactor => "reactor",
            SleepTimer::Finishing => "finishing",
        }
    }
}

impl KnownName for SleepTimer {
    const KIND: &'static str = "timer";
    const ALL: &'static [Self] = &SleepTimer::ALL;

    fn name(self) -> &'static str {
        self.name()
    }

    fn summary(self) -> &'static str {
        match self {
            SleepTimer::Reactor => {
                "async-io's timer: the thread idles until the deadline and wakes up as late as \
                 the machine wakes an idle thread (least CPU)"
            }
            SleepTimer::Finishing => {
                "async-io's timer woken early, then yielding until the deadline: close to the \
                 requested durations, at a CPU cost that counts in the CPU figures"
            }
        }
    }
}

impl fmt::Display for SleepTimer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SleepTimer {
    type Err = UnknownNameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_name(s)
    }
}
