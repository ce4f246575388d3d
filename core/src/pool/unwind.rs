//! Panics in user code (a job's poll or drop, its output's drop, a timer, a source
//! stream): catching them, and dropping what they leave behind, so that none escapes
//! the pool.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `f`, turning a panic into its message.
///
/// Unwind safety is asserted: the pool only runs user code this way, and drops the
/// value that panicked or never looks at it again.
#[inline]
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(into_message)
}

/// Drops `value`, catching a panic in its drop; returns that panic's message.
#[inline]
pub(crate) fn drop_quietly<T>(value: T) -> Option<String> {
    catch(move || drop(value)).err()
}

/// The message of a panic, whose payload is then dropped (a panic in the payload's
/// own drop is caught, and its payload leaked).
pub(crate) fn into_message(payload: Box<dyn Any + Send>) -> String {
    let message = panic_message(payload.as_ref());
    if let Err(nested) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        // Dropping this one could panic again, and so on: leak it.
        std::mem::forget(nested);
    }
    message
}

/// The message of a panic payload: a `&str` or a `String`, or
/// `"<non-string panic payload>"`.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Bomb(u32);

    impl Drop for Bomb {
        fn drop(&mut self) {
            if self.0 > 0 {
                // A payload that panics when dropped, down to depth 0.
                std::panic::panic_any(Bomb(self.0 - 1));
            }
        }
    }

    #[test]
    fn panics_in_drops_and_in_payload_drops_are_caught() {
        let quiet = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        assert_eq!(drop_quietly(Bomb(0)), None);
        assert_eq!(
            drop_quietly(Bomb(3)).as_deref(),
            Some("<non-string panic payload>")
        );
        assert_eq!(
            catch(|| panic!("at {}", 1)),
            Err::<(), _>("at 1".to_owned())
        );
        assert_eq!(catch(|| 7), Ok(7));
        std::panic::set_hook(quiet);
    }
}
