//! Plugins: what turns one trace into new traces, and the registry that maps kinds to
//! plugins.
//!
//! A crawl runs every plugin registered for a trace's kind; each call is one job on
//! the pool. A plugin's [`follow`](Plugin::follow) returns a `'static` boxed future, so
//! a plugin clones what the call needs (an HTTP client, a resolver handle, the trace
//! value) into the future instead of borrowing `self`.
//!
//! # Examples
//!
//! A DNS lookup plugin. `Resolver` stands in for the client of your runtime
//! (`hickory-resolver`, a DNS-over-HTTPS client, ...); what matters is that a cheap
//! handle to it is moved into the future.
//!
//! ```
//! use std::sync::Arc;
//! use futures::future::{BoxFuture, FutureExt};
//! use tracepool::plugin::{Plugin, PluginError, PluginErrorKind, Registry};
//! use tracepool::trace::{Trace, TraceKind};
//!
//! /// A stand-in for a real asynchronous DNS client.
//! #[derive(Debug, Default)]
//! struct Resolver;
//!
//! impl Resolver {
//!     async fn lookup_ip(&self, host: &str) -> Result<Vec<String>, String> {
//!         match host {
//!             "api.example.org" => Ok(vec!["192.0.2.10".into()]),
//!             _ => Err(format!("no such host {host}")),
//!         }
//!     }
//! }
//!
//! struct ResolveSubdomain {
//!     resolver: Arc<Resolver>,
//! }
//!
//! impl Plugin for ResolveSubdomain {
//!     fn name(&self) -> &str {
//!         "resolve"
//!     }
//!
//!     fn accepts(&self) -> TraceKind {
//!         TraceKind::Subdomain
//!     }
//!
//!     fn follow(&self, trace: &Trace) -> BoxFuture<'static, Result<Vec<Trace>, PluginError>> {
//!         // Clone what the call needs: the future must not borrow `self` or `trace`.
//!         let resolver = Arc::clone(&self.resolver);
//!         let host = trace.value().to_owned();
//!         async move {
//!             let ips = resolver
//!                 .lookup_ip(&host)
//!                 .await
//!                 .map_err(|e| PluginError::new(PluginErrorKind::Network, e))?;
//!             Ok(ips.into_iter().map(|ip| Trace::new(TraceKind::Ip, ip)).collect())
//!         }
//!         .boxed()
//!     }
//! }
//!
//! let mut registry = Registry::new();
//! registry.register(ResolveSubdomain { resolver: Arc::new(Resolver) });
//! let plugin = &registry.plugins_for(&TraceKind::Subdomain)[0];
//! let found = futures::executor::block_on(
//!     plugin.follow(&Trace::new(TraceKind::Subdomain, "api.example.org")),
//! )?;
//! assert_eq!(found, [Trace::new(TraceKind::Ip, "192.0.2.10")]);
//! # Ok::<(), PluginError>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::trace::{Trace, TraceKind};

/// Something that follows a trace of one kind to new traces.
///
/// Implementations are shared between concurrent calls (`Send + Sync`), and each call
/// is one independent `'static` future: the crawl engine submits it as one job to the
/// pool, which may time it out (by dropping it) or catch its panic. A plugin should
/// therefore be cancel safe: dropping the future at an `.await` must leave nothing
/// broken.
pub trait Plugin: Send + Sync + 'static {
    /// A short name, unique within a registry (used in reports and logs).
    fn name(&self) -> &str;

    /// The one kind of trace this plugin takes.
    fn accepts(&self) -> TraceKind;

    /// Starts following `trace`; the future resolves to the traces found.
    ///
    /// Return an empty list when nothing was found; return an error when the lookup
    /// itself failed, so reports can count failures by [`PluginErrorKind`].
    fn follow(&self, trace: &Trace) -> BoxFuture<'static, Result<Vec<Trace>, PluginError>>;
}

/// The class of a plugin failure, used to count errors by kind.
///
/// Its serde form is a lowercase string (`network`, `http_429`, `rate_limited`,
/// `timeout`, `invalid`, `other`), so it can key a JSON map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum PluginErrorKind {
    /// A connection, DNS or transport failure.
    Network,
    /// An HTTP answer with an unexpected status code.
    Http(u16),
    /// The remote service refused because of a rate limit.
    RateLimited,
    /// The call took too long.
    Timeout,
    /// The trace was not something this plugin can follow.
    Invalid,
    /// Anything else.
    Other,
}

impl PluginErrorKind {
    /// The serde name of the kind (`http_503`).
    pub fn key(&self) -> String {
        match self {
            PluginErrorKind::Network => "network".into(),
            PluginErrorKind::Http(status) => format!("http_{status}"),
            PluginErrorKind::RateLimited => "rate_limited".into(),
            PluginErrorKind::Timeout => "timeout".into(),
            PluginErrorKind::Invalid => "invalid".into(),
            PluginErrorKind::Other => "other".into(),
        }
    }
}

impl fmt::Display for PluginErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PluginErrorKind::Network => f.write_str("network error"),
            PluginErrorKind::Http(status) => write!(f, "http status {status}"),
            PluginErrorKind::RateLimited => f.write_str("rate limited"),
            PluginErrorKind::Timeout => f.write_str("timed out"),
            PluginErrorKind::Invalid => f.write_str("invalid trace"),
            PluginErrorKind::Other => f.write_str("plugin error"),
        }
    }
}

impl From<PluginErrorKind> for String {
    fn from(kind: PluginErrorKind) -> String {
        kind.key()
    }
}

impl TryFrom<String> for PluginErrorKind {
    type Error = String;

    fn try_from(key: String) -> Result<Self, String> {
        Ok(match key.as_str() {
            "network" => PluginErrorKind::Network,
            "rate_limited" => PluginErrorKind::RateLimited,
            "timeout" => PluginErrorKind::Timeout,
            "invalid" => PluginErrorKind::Invalid,
            "other" => PluginErrorKind::Other,
            _ => match key.strip_prefix("http_").map(str::parse) {
                Some(Ok(status)) => PluginErrorKind::Http(status),
                _ => return Err(format!("unknown plugin error kind `{key}`")),
            },
        })
    }
}

/// A failed plugin call: a [`PluginErrorKind`] and a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginError {
    kind: PluginErrorKind,
    message: String,
}

impl PluginError {
    /// An error of `kind` with `message`.
    pub fn new(kind: PluginErrorKind, message: impl Into<String>) -> Self {
        PluginError {
            kind,
            message: message.into(),
        }
    }

    /// The class of the failure.
    pub fn kind(&self) -> PluginErrorKind {
        self.kind
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "{}: {}", self.kind, self.message)
        }
    }
}

impl std::error::Error for PluginError {}

/// The plugins of a crawl, grouped by the kind they accept.
///
/// Plugins of one kind keep their registration order, which is the order in which
/// [`plugins_for`](Registry::plugins_for) returns them.
#[derive(Clone, Default)]
pub struct Registry {
    by_kind: BTreeMap<TraceKind, Vec<Arc<dyn Plugin>>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Registry::default()
    }

    /// Adds `plugin` under the kind it accepts.
    pub fn register(&mut self, plugin: impl Plugin) -> &mut Self {
        self.register_arc(Arc::new(plugin))
    }

    /// Adds an already shared plugin under the kind it accepts.
    pub fn register_arc(&mut self, plugin: Arc<dyn Plugin>) -> &mut Self {
        self.by_kind
            .entry(plugin.accepts())
            .or_default()
            .push(plugin);
        self
    }

    /// The plugins registered for `kind`, in registration order (empty for a dead end).
    pub fn plugins_for(&self, kind: &TraceKind) -> &[Arc<dyn Plugin>] {
        self.by_kind.get(kind).map_or(&[], Vec::as_slice)
    }

    /// The number of registered plugins.
    pub fn len(&self) -> usize {
        self.by_kind.values().map(Vec::len).sum()
    }

    /// Whether no plugin is registered.
    pub fn is_empty(&self) -> bool {
        self.by_kind.is_empty()
    }

    /// The kinds that have at least one plugin, in order.
    pub fn kinds(&self) -> impl Iterator<Item = &TraceKind> + '_ {
        self.by_kind.keys()
    }

    /// The names of all plugins, by kind then registration order.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.by_kind.values().flatten().map(|p| p.name())
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.by_kind.iter().map(|(kind, plugins)| {
                (
                    kind.as_str(),
                    plugins.iter().map(|p| p.name()).collect::<Vec<_>>(),
                )
            }))
            .finish()
    }
}
