//! The panics a simulation raises on purpose, and a panic hook that keeps them quiet.

use std::any::Any;
use std::sync::Once;

/// How the message of every panic raised on purpose starts: the simulated workload's
/// (`simulated panic in plugin ...`), and any other code's that wants
/// [`quiet_simulated_panics`] to keep it quiet.
pub const SIMULATED_PANIC: &str = "simulated panic";

/// A panic payload without a message, for code that panics on purpose with
/// [`std::panic::panic_any`]; [`quiet_simulated_panics`] keeps it quiet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SimulatedPanic;

/// Whether a panic's payload is one raised on purpose: a message (`&str` or `String`)
/// that starts with [`SIMULATED_PANIC`], or a [`SimulatedPanic`].
///
/// # Examples
///
/// ```
/// use tracepool::sim::{SimulatedPanic, is_simulated_panic};
///
/// let caught = std::panic::catch_unwind(|| std::panic::panic_any(SimulatedPanic));
/// assert!(is_simulated_panic(&*caught.unwrap_err()));
/// assert!(!is_simulated_panic(&"index out of bounds"));
/// assert!(is_simulated_panic(&String::from("simulated panic in plugin x")));
/// ```
pub fn is_simulated_panic(payload: &(dyn Any + Send)) -> bool {
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
    message.is_some_and(|m| m.starts_with(SIMULATED_PANIC)) || payload.is::<SimulatedPanic>()
}

/// Keeps the panics raised on purpose (see [`is_simulated_panic`]) out of standard
/// error; every other panic still goes to the hook that was there before.
///
/// A simulated workload with panicking calls
/// ([`SimConfig::panic_prob`](crate::sim::SimConfig::panic_prob)) panics on
/// purpose, the pool catches and counts those panics, and their messages would only
/// flood the terminal. The hook is installed once per process, however often this is
/// called; call it before the panics happen.
///
/// # Examples
///
/// ```
/// tracepool::sim::quiet_simulated_panics();
/// let caught = std::panic::catch_unwind(|| panic!("simulated panic: printed nowhere"));
/// assert!(caught.is_err());
/// ```
pub fn quiet_simulated_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !is_simulated_panic(info.payload()) {
                previous(info);
            }
        }));
    });
}
