//! [`Found`]: the traces a call found, written in place.

use std::fmt;
use std::ops::Deref;

use crate::trace::{Trace, TraceKind};

/// The traces a call found, written in place by [`Plugin::follow_now`](super::Plugin::follow_now).
///
/// Clearing a `Found` keeps its buffers (its list, and each trace's value): a crawl that
/// reuses one from call to call, as the engine does, allocates nothing for the traces
/// of its calls once the buffers are large enough. Read it as a slice of [`Trace`]s.
///
/// # Examples
///
/// ```
/// use std::fmt::Write;
/// use tracepool::plugin::Found;
/// use tracepool::trace::{Trace, TraceKind};
///
/// let mut found = Found::new();
/// found.push(TraceKind::Domain, "example.org");
/// found.push_with(TraceKind::Ip, |value| {
///     let _ = write!(value, "192.0.2.{}", 7);
/// });
/// assert_eq!(found.len(), 2);
/// assert_eq!(found[1], Trace::new(TraceKind::Ip, "192.0.2.7"));
///
/// // Cleared, it is empty, and keeps its buffers for the next traces.
/// found.clear();
/// assert!(found.is_empty());
/// found.push(TraceKind::Email, "alice@example.org");
/// assert_eq!(found.into_vec(), [Trace::new(TraceKind::Email, "alice@example.org")]);
/// ```
#[derive(Clone, Default)]
pub struct Found {
    /// The traces found, then, past `len`, the cleared traces whose buffers are kept.
    traces: Vec<Trace>,
    len: usize,
}

impl Found {
    /// No trace.
    pub fn new() -> Self {
        Found::default()
    }

    /// Adds a trace of `kind` with `value`.
    #[inline]
    pub fn push(&mut self, kind: TraceKind, value: &str) {
        self.push_with(kind, |buffer| buffer.push_str(value));
    }

    /// Adds a trace of `kind` whose value `write` writes into an empty string (a
    /// buffer kept from an earlier trace, when there is one).
    #[inline]
    pub fn push_with(&mut self, kind: TraceKind, write: impl FnOnce(&mut String)) {
        match self.traces.get_mut(self.len) {
            Some(trace) => trace.overwrite(kind, write),
            None => {
                let mut value = String::new();
                write(&mut value);
                self.traces.push(Trace::new(kind, value));
            }
        }
        self.len += 1;
    }

    /// Removes every trace, keeping the buffers.
    #[inline]
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// The traces found, without the kept buffers.
    pub fn into_vec(mut self) -> Vec<Trace> {
        self.traces.truncate(self.len);
        self.traces
    }

    /// How many traces the kept buffers hold, found or cleared.
    #[inline]
    pub(crate) fn capacity(&self) -> usize {
        self.traces.len()
    }
}

impl Deref for Found {
    type Target = [Trace];

    #[inline]
    fn deref(&self) -> &[Trace] {
        &self.traces[..self.len]
    }
}

/// The traces of a list, which becomes the buffers.
impl From<Vec<Trace>> for Found {
    fn from(traces: Vec<Trace>) -> Self {
        Found {
            len: traces.len(),
            traces,
        }
    }
}

impl PartialEq for Found {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for Found {}

impl fmt::Debug for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_reused_and_hold_only_the_new_values() {
        let mut found = Found::from(vec![
            Trace::new(
                TraceKind::Other("badge".into()),
                "a long value, kept as a buffer",
            ),
            Trace::new(TraceKind::Url, "https://example.org/"),
        ]);
        assert_eq!(found.len(), 2);
        found.clear();
        found.push(TraceKind::Asn, "AS7");
        found.push_with(TraceKind::Name, |value| {
            assert!(value.is_empty());
            value.push_str("Alice");
        });
        found.push(TraceKind::Key, "0x1");
        assert_eq!(
            *found,
            [
                Trace::new(TraceKind::Asn, "AS7"),
                Trace::new(TraceKind::Name, "Alice"),
                Trace::new(TraceKind::Key, "0x1"),
            ]
        );
        assert_eq!(found.capacity(), 3);
        found.clear();
        assert!(found.is_empty());
        assert_eq!(found.capacity(), 3);
        assert_eq!(found, Found::new());
        assert!(found.into_vec().is_empty());
    }
}
