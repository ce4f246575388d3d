//! Names in run records: a model, a workload or a timer this crate knows, or another
//! one, kept as written.
//!
//! A record names its model, workload and timer as strings (`"pool"`, `"crawl"`,
//! `"finishing"`). [`Named<T>`] reads such a name as the enum `T` when it is one of
//! `T`'s names, and keeps any other name (one a newer version writes) as
//! [`Named::Other`], so that a report naming a model, workload or timer this version
//! does not know still opens, and is written back unchanged.
//!
//! # Examples
//!
//! ```
//! use tracepool::crawl::Model;
//! use tracepool::report::{ModelName, Named};
//!
//! let known: ModelName = "pool".into();
//! assert_eq!(known, Model::Pool);
//! assert_eq!(known.known(), Some(Model::Pool));
//!
//! let newer: ModelName = "work_stealing".into();
//! assert_eq!(newer, Named::Other("work_stealing".to_owned()));
//! assert_eq!(newer.as_str(), "work_stealing");
//! assert_eq!(newer.known(), None);
//! ```

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::crawl::Model;
use crate::report::{SleepTimer, Workload};

/// An enum whose values have names: the names run records and the command line use.
///
/// Implemented by [`Model`], [`Workload`], [`SleepTimer`] and
/// [`Scenario`](crate::report::Scenario).
pub trait KnownName: Copy + Eq + fmt::Debug + 'static {
    /// What the values are, for messages: `model`, `workload`, `timer`, `scenario`.
    const KIND: &'static str;

    /// Every value, in a stable order.
    const ALL: &'static [Self];

    /// The value's name (`pool`, `high-load`).
    fn name(self) -> &'static str;

    /// One line saying what the value is, as `--help` lists it (no final period).
    fn summary(self) -> &'static str;

    /// The value named `name`, if any.
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.name() == name)
    }

    /// The value named `name`.
    ///
    /// # Errors
    ///
    /// [`UnknownNameError`] naming `name` and the accepted names when no value has it.
    fn parse_name(name: &str) -> Result<Self, UnknownNameError> {
        Self::from_name(name).ok_or_else(|| UnknownNameError {
            kind: Self::KIND,
            name: name.to_owned(),
            expected: Self::ALL.iter().map(|v| v.name()).collect(),
        })
    }
}

/// A name that is none of the names of a [`KnownName`] enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownNameError {
    kind: &'static str,
    name: String,
    expected: Vec<&'static str>,
}

impl UnknownNameError {
    /// What was named: `model`, `workload`, `timer`, `scenario`.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The name given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The names accepted, in order.
    pub fn expected(&self) -> &[&'static str] {
        &self.expected
    }
}

impl fmt::Display for UnknownNameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} `{}` (expected ", self.kind, self.name)?;
        for (i, name) in self.expected.iter().enumerate() {
            let sep = match i {
                0 => "",
                _ if i + 1 == self.expected.len() => " or ",
                _ => ", ",
            };
            write!(f, "{sep}{name}")?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for UnknownNameError {}

/// A name in a run record: one of `T`'s, or another one kept as written.
///
/// Serialised as the bare name, so the JSON is a plain string. Reading never fails on
/// an unknown name: it becomes [`Named::Other`]. Two `Named` are equal, hashed and
/// ordered by their names, so `Other("pool")` (built by hand) equals `Known(Pool)`.
#[derive(Debug, Clone)]
pub enum Named<T> {
    /// A name this crate knows.
    Known(T),
    /// Any other name, as written.
    Other(String),
}

/// The scheduling model a record names: `pool`, `previous`, `unbounded`, or another.
pub type ModelName = Named<Model>;
/// The workload a record names: `crawl`, `flat`, or another.
pub type WorkloadName = Named<Workload>;
/// The timer a record names: `reactor`, `finishing`, `heap`, or another.
pub type TimerName = Named<SleepTimer>;

impl<T: KnownName> Named<T> {
    /// The name, known or not.
    pub fn as_str(&self) -> &str {
        match self {
            Named::Known(v) => v.name(),
            Named::Other(name) => name,
        }
    }

    /// The known value, or `None` for a name this crate does not know.
    pub fn known(&self) -> Option<T> {
        match self {
            Named::Known(v) => Some(*v),
            Named::Other(name) => T::from_name(name),
        }
    }
}

impl<T: KnownName> From<T> for Named<T> {
    fn from(value: T) -> Self {
        Named::Known(value)
    }
}

impl<T: KnownName> From<&str> for Named<T> {
    fn from(name: &str) -> Self {
        T::from_name(name).map_or_else(|| Named::Other(name.to_owned()), Named::Known)
    }
}

impl<T: KnownName> From<String> for Named<T> {
    fn from(name: String) -> Self {
        T::from_name(&name).map_or(Named::Other(name), Named::Known)
    }
}

impl<T: KnownName> fmt::Display for Named<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<T: KnownName> PartialEq for Named<T> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl<T: KnownName> Eq for Named<T> {}

impl<T: KnownName> PartialEq<T> for Named<T> {
    fn eq(&self, other: &T) -> bool {
        self.as_str() == other.name()
    }
}

impl<T: KnownName> PartialEq<str> for Named<T> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl<T: KnownName> PartialEq<&str> for Named<T> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl<T: KnownName> Hash for Named<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl<T: KnownName> PartialOrd for Named<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T: KnownName> Ord for Named<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl<T: KnownName> Serialize for Named<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de, T: KnownName> Deserialize<'de> for Named<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Named::from)
    }
}

impl KnownName for Model {
    const KIND: &'static str = "model";
    const ALL: &'static [Self] = &Model::ALL;

    fn name(self) -> &'static str {
        self.as_str()
    }

    fn summary(self) -> &'static str {
        match self {
            Model::Pool => "The bounded worker pool",
            Model::Previous => "Batches with barriers and a semaphore per trace",
            Model::Unbounded => "Every call at once",
        }
    }
}
