//! What the http workload's server and plugins say to each other: the paths, the query
//! of a call and the JSON bodies.
//!
//! A plugin call is `GET /follow?plugin=<name>&kind=<kind>&value=<value>` (the query
//! form-encoded); the answer is `200` with a [`Found`] body, or an error status. The
//! server's counters are at `GET /stats`, a
//! [`StatsSnapshot`](super::stats::StatsSnapshot).

use std::fmt;

use serde::{Deserialize, Serialize};
use tracepool::{Trace, TraceKind};

/// The path of a plugin call.
pub const FOLLOW_PATH: &str = "/follow";
/// The path of the server's counters.
pub const STATS_PATH: &str = "/stats";

/// One plugin call: which plugin follows which trace.
///
/// # Examples
///
/// ```
/// use tracepool::{Trace, TraceKind};
/// use tracepool_bench::http::wire::FollowRequest;
///
/// let call = FollowRequest {
///     plugin: "email/email_lookup".to_owned(),
///     trace: Trace::new(TraceKind::Email, "alice+1@example.org"),
/// };
/// let uri = call.path_and_query();
/// assert_eq!(
///     uri,
///     "/follow?plugin=email%2Femail_lookup&kind=email&value=alice%2B1%40example.org"
/// );
/// let query = uri.split_once('?').map(|(_, q)| q);
/// assert_eq!(FollowRequest::from_query(query)?, call);
/// # Ok::<(), tracepool_bench::http::wire::WireError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowRequest {
    /// The plugin's name, as the registry knows it (`username/github`).
    pub plugin: String,
    /// The trace followed.
    pub trace: Trace,
}

impl FollowRequest {
    /// The request's path and query.
    pub fn path_and_query(&self) -> String {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("plugin", &self.plugin)
            .append_pair("kind", self.trace.kind().as_str())
            .append_pair("value", self.trace.value())
            .finish();
        format!("{FOLLOW_PATH}?{query}")
    }

    /// Reads a call from the query of its URI (`None`: the URI has no query).
    ///
    /// A kind outside the known list is kept as [`TraceKind::Other`]: the server answers
    /// that it knows no such trace.
    ///
    /// # Errors
    ///
    /// [`WireError::Missing`] naming the first of `plugin`, `kind` and `value` that is
    /// absent, and [`WireError::Repeated`] naming one given twice.
    pub fn from_query(query: Option<&str>) -> Result<Self, WireError> {
        let (mut plugin, mut kind, mut value) = (None, None, None);
        for (key, val) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            let slot = match &*key {
                "plugin" => &mut plugin,
                "kind" => &mut kind,
                "value" => &mut value,
                _ => continue,
            };
            if slot.replace(val.into_owned()).is_some() {
                return Err(WireError::Repeated(match &*key {
                    "plugin" => "plugin",
                    "kind" => "kind",
                    _ => "value",
                }));
            }
        }
        let plugin = plugin.ok_or(WireError::Missing("plugin"))?;
        let kind = kind.ok_or(WireError::Missing("kind"))?;
        let value = value.ok_or(WireError::Missing("value"))?;
        let kind = TraceKind::known(&kind).unwrap_or(TraceKind::Other(kind));
        Ok(FollowRequest {
            plugin,
            trace: Trace::new(kind, value),
        })
    }
}

/// A query that is not a plugin call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireError {
    /// The named parameter is absent.
    Missing(&'static str),
    /// The named parameter is given more than once.
    Repeated(&'static str),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Missing(name) => write!(f, "the query has no `{name}`"),
            WireError::Repeated(name) => write!(f, "the query gives `{name}` more than once"),
        }
    }
}

impl std::error::Error for WireError {}

/// The body of a successful call: the traces the plugin found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found {
    /// The traces found (possibly none, possibly already known ones).
    pub traces: Vec<Trace>,
}

/// The body of an error status: what went wrong, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The reason.
    pub error: String,
}
