//! The timer behind a run's simulated sleeps, as run records name it.

use std::fmt;
use std::str::FromStr;

use crate::report::{KnownName, UnknownNameError};

/// The timer behind a run's simulated sleeps (and its timeouts): `reactor`,
/// `finishing` or `heap` natively, `set-timeout` in the browser. A late sleep counts
/// against every model's efficiency, so records say which timer slept.
///
/// # Examples
///
/// ```
/// use tracepool::report::SleepTimer;
///
/// assert_eq!(SleepTimer::default(), SleepTimer::Heap);
/// assert_eq!("reactor".parse::<SleepTimer>()?, SleepTimer::Reactor);
/// assert_eq!("set-timeout".parse::<SleepTimer>()?, SleepTimer::SetTimeout);
/// assert!(!SleepTimer::SetTimeout.is_native());
/// # Ok::<(), tracepool::report::UnknownNameError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SleepTimer {
    /// async-io's timer (`timer::AsyncIoTimer`): the thread idles until the deadline,
    /// and wakes up as late as the machine wakes an idle thread.
    Reactor,
    /// async-io's timer woken early, then yielding until the deadline
    /// (`timer::FinishingTimer`): close to the deadline, at a CPU cost.
    Finishing,
    /// A heap of deadlines on one async-io timer per thread, only the nearest sleep
    /// woken early and yielding until its deadline, while that measurably pays
    /// (`timer::HeapTimer`): close to the deadline at thousands of concurrent sleeps
    /// and on a busy machine too. The default.
    #[default]
    Heap,
    /// The browser's `setTimeout` (`timer::BrowserTimer`, through gloo-timers): the
    /// page's event loop runs the wake-up, as late as the browser schedules it.
    SetTimeout,
}

impl SleepTimer {
    /// Every timer, in a stable order.
    pub const ALL: [SleepTimer; 4] = [
        SleepTimer::Reactor,
        SleepTimer::Finishing,
        SleepTimer::Heap,
        SleepTimer::SetTimeout,
    ];

    /// The timers a native run can sleep on (not [`SleepTimer::SetTimeout`]), in
    /// [`SleepTimer::ALL`] order.
    pub const NATIVE: [SleepTimer; 3] =
        [SleepTimer::Reactor, SleepTimer::Finishing, SleepTimer::Heap];

    /// The name records and the command line use: `reactor`, `finishing`, `heap` or
    /// `set-timeout`.
    pub fn name(self) -> &'static str {
        match self {
            SleepTimer::Reactor => "reactor",
            SleepTimer::Finishing => "finishing",
            SleepTimer::Heap => "heap",
            SleepTimer::SetTimeout => "set-timeout",
        }
    }

    /// Whether a native run can sleep on this timer: all but
    /// [`SleepTimer::SetTimeout`], the browser's.
    pub fn is_native(self) -> bool {
        self != SleepTimer::SetTimeout
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
            SleepTimer::Heap => {
                "a heap of deadlines on one async-io timer: only the nearest sleep is woken \
                 early and yields until its deadline, while that measurably pays; close to \
                 the requested durations at thousands of concurrent sleeps and on a busy \
                 machine too"
            }
            SleepTimer::SetTimeout => {
                "the browser's setTimeout: the page's event loop runs the wake-up, as late as \
                 the browser schedules it (browser runs only)"
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
