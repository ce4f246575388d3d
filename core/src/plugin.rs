//! Plugins: what turns one trace into new traces, and the registry that maps kinds to
//! plugins.
//!
//! A crawl runs every plugin registered for a trace's kind; each call is one job on
//! the pool. A plugin's [`follow`](Plugin::follow) returns a `'static` boxed future, so
//! a plugin clones what the call needs (an HTTP client, a resolver handle, the trace
//! value) into the future instead of borrowing `self`.
//!
//! A plugin that can answer a call without waiting may also answer it at once, through
//! [`follow_now`](Plugin::follow_now): the traces found are written into a [`Found`]
//! whose buffers the crawl engine reuses, and the call needs no boxed future.
//!
//! # Sendable and local plugins
//!
//! A [`Plugin`] is `Send + Sync` and its calls are `Send` futures: a crawl of such
//! plugins can run on a multi-thread runtime (the [`Crawler`](crate::crawl::Crawler)'s
//! future is `Send`). A [`LocalPlugin`] asks neither: its calls may hold an `Rc`, a
//! `fetch` promise or any other JavaScript value, for the browser and single-threaded
//! executors; a [`LocalRegistry`] holds them and a
//! [`LocalCrawler`](crate::crawl::LocalCrawler) runs them. Every `Plugin` is a
//! `LocalPlugin` too, and a [`Registry`] converts into a [`LocalRegistry`]. The
//! [`timer`](crate::timer) module says why the two flavours are two traits.
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
use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use futures::future::{BoxFuture, LocalBoxFuture};
use serde::{Deserialize, Serialize};

use crate::trace::{Trace, TraceKind};

mod found;

pub use found::Found;

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

    /// Follows `trace` at once, without a future, when the answer needs no waiting (a
    /// plugin that only parses its trace, a cached answer, a trace the plugin filters
    /// out): writes the traces found into `found` (empty) and returns `Some(Ok(()))`,
    /// or returns `Some(Err(_))` for a failed call. `None` (the default) follows it
    /// through [`follow`](Plugin::follow) instead; what was written into `found` is
    /// then ignored.
    ///
    /// The crawl engine asks this first, when it makes the call: an answer here saves
    /// the call's boxed future, and the engine reuses the buffers of `found` from call
    /// to call (see [`Found`]). The call is still one job on the pool, counted, timed
    /// and guarded like any other, and it ends with this result at its first poll.
    /// Answer only what is cheap to compute: the work is done before the pool starts
    /// the call, outside its limit of `C` calls in flight. A plugin wrapping another,
    /// to add something to each call (a delay, a log), leaves this method out, or its
    /// calls would skip what it adds.
    ///
    /// # Examples
    ///
    /// A plugin that reads the domain of a URL answers at once.
    ///
    /// ```
    /// use futures::future::{self, BoxFuture, FutureExt};
    /// use tracepool::plugin::{Found, Plugin, PluginError, PluginErrorKind};
    /// use tracepool::trace::{Trace, TraceKind};
    ///
    /// struct UrlDomain;
    ///
    /// impl UrlDomain {
    ///     fn host<'t>(&self, trace: &'t Trace) -> Result<&'t str, PluginError> {
    ///         let host = trace.value().split("://").nth(1).and_then(|rest| rest.split('/').next());
    ///         host.filter(|host| !host.is_empty())
    ///             .ok_or_else(|| PluginError::new(PluginErrorKind::Invalid, "no host"))
    ///     }
    /// }
    ///
    /// impl Plugin for UrlDomain {
    ///     fn name(&self) -> &str {
    ///         "url_domain"
    ///     }
    ///
    ///     fn accepts(&self) -> TraceKind {
    ///         TraceKind::Url
    ///     }
    ///
    ///     fn follow(&self, trace: &Trace) -> BoxFuture<'static, Result<Vec<Trace>, PluginError>> {
    ///         let found = self.host(trace).map(|host| vec![Trace::new(TraceKind::Domain, host)]);
    ///         future::ready(found).boxed()
    ///     }
    ///
    ///     fn follow_now(&self, trace: &Trace, found: &mut Found) -> Option<Result<(), PluginError>> {
    ///         Some(self.host(trace).map(|host| found.push(TraceKind::Domain, host)))
    ///     }
    /// }
    ///
    /// let url = Trace::new(TraceKind::Url, "https://example.org/about");
    /// let mut found = Found::new();
    /// UrlDomain.follow_now(&url, &mut found).unwrap()?;
    /// assert_eq!(*found, [Trace::new(TraceKind::Domain, "example.org")]);
    /// # Ok::<(), PluginError>(())
    /// ```
    fn follow_now(&self, trace: &Trace, found: &mut Found) -> Option<Result<(), PluginError>> {
        let _ = (trace, found);
        None
    }
}

/// Something that follows a trace of one kind to new traces, on one thread: neither
/// the plugin nor its calls need be `Send`.
///
/// The local flavour of [`Plugin`], for the browser (a call awaiting `fetch`) and
/// single-threaded executors; every `Plugin` is a `LocalPlugin` too. Register it in a
/// [`LocalRegistry`] and crawl with a [`LocalCrawler`](crate::crawl::LocalCrawler).
/// The same contract holds: each call is one independent `'static` future, which the
/// crawl may drop at its timeout, so it should be cancel safe.
///
/// # Examples
///
/// A plugin that counts its calls in an `Rc<Cell<_>>`, so neither it nor its calls are
/// `Send`.
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use futures::future::{FutureExt, LocalBoxFuture};
/// use tracepool::plugin::{LocalPlugin, LocalRegistry, PluginError};
/// use tracepool::trace::{Trace, TraceKind};
///
/// struct Mirror {
///     calls: Rc<Cell<u32>>,
/// }
///
/// impl LocalPlugin for Mirror {
///     fn name(&self) -> &str {
///         "mirror"
///     }
///
///     fn accepts(&self) -> TraceKind {
///         TraceKind::Domain
///     }
///
///     fn follow(&self, trace: &Trace) -> LocalBoxFuture<'static, Result<Vec<Trace>, PluginError>> {
///         let calls = Rc::clone(&self.calls);
///         let url = format!("https://{}/", trace.value());
///         async move {
///             calls.set(calls.get() + 1);
///             Ok(vec![Trace::new(TraceKind::Url, url)])
///         }
///         .boxed_local()
///     }
/// }
///
/// let calls = Rc::new(Cell::new(0));
/// let mut registry = LocalRegistry::new();
/// registry.register(Mirror { calls: Rc::clone(&calls) });
/// let plugin = &registry.plugins_for(&TraceKind::Domain)[0];
/// let found = futures::executor::block_on(
///     plugin.follow(&Trace::new(TraceKind::Domain, "example.org")),
/// )?;
/// assert_eq!(found, [Trace::new(TraceKind::Url, "https://example.org/")]);
/// assert_eq!(calls.get(), 1);
/// # Ok::<(), PluginError>(())
/// ```
pub trait LocalPlugin: 'static {
    /// A short name, unique within a registry (used in reports and logs).
    fn name(&self) -> &str;

    /// The one kind of trace this plugin takes.
    fn accepts(&self) -> TraceKind;

    /// Starts following `trace`; the future resolves to the traces found.
    ///
    /// Return an empty list when nothing was found; return an error when the lookup
    /// itself failed, so reports can count failures by [`PluginErrorKind`].
    fn follow(&self, trace: &Trace) -> LocalBoxFuture<'static, Result<Vec<Trace>, PluginError>>;

    /// Follows `trace` at once, without a future, when the answer needs no waiting,
    /// writing the traces found into `found`; `None` (the default) to follow it
    /// through [`follow`](LocalPlugin::follow). As [`Plugin::follow_now`], which says
    /// when to answer here.
    fn follow_now(&self, trace: &Trace, found: &mut Found) -> Option<Result<(), PluginError>> {
        let _ = (trace, found);
        None
    }
}

impl<P: Plugin + ?Sized> LocalPlugin for P {
    fn name(&self) -> &str {
        Plugin::name(self)
    }

    fn accepts(&self) -> TraceKind {
        Plugin::accepts(self)
    }

    fn follow(&self, trace: &Trace) -> LocalBoxFuture<'static, Result<Vec<Trace>, PluginError>> {
        Plugin::follow(self, trace)
    }

    fn follow_now(&self, trace: &Trace, found: &mut Found) -> Option<Result<(), PluginError>> {
        Plugin::follow_now(self, trace, found)
    }
}

/// A plugin as a registry holds it (`Arc<dyn Plugin>` or `Rc<dyn LocalPlugin>`): what
/// the crawl engine is generic over.
///
/// Implemented for every lifetime of the trait object, not only `'static`: the
/// compiler checks whether the engine's future is `Send` with its lifetimes erased.
pub(crate) trait SharedPlugin: Clone {
    /// A call: `Send` for a [`Plugin`].
    type Call: Future<Output = Result<Vec<Trace>, PluginError>> + Unpin + 'static;

    fn name(&self) -> &str;

    fn accepts(&self) -> TraceKind;

    fn follow(&self, trace: &Trace) -> Self::Call;

    fn follow_now(&self, trace: &Trace, found: &mut Found) -> Option<Result<(), PluginError>>;
}

impl SharedPlugin for Arc<dyn Plugin + '_> {
    type Call = BoxFuture<'static, Result<Vec<Trace>, PluginError>>;

    fn name(&self) -> &str {
        Plugin::name(&**self)
    }

    fn accepts(&self) -> TraceKind {
        Plugin::accepts(&**self)
    }

    fn follow(&self, trace: &Trace) -> Self::Call {
        Plugin::follow(&**self, trace)
    }

    fn follow_now(&self, trace: &Trace, found: &mut Found) -> Option<Result<(), PluginError>> {
        Plugin::follow_now(&**self, trace, found)
    }
}

impl SharedPlugin for Rc<dyn LocalPlugin + '_> {
    type Call = LocalBoxFuture<'static, Result<Vec<Trace>, PluginError>>;

    fn name(&self) -> &str {
        LocalPlugin::name(&**self)
    }

    fn accepts(&self) -> TraceKind {
        LocalPlugin::accepts(&**self)
    }

    fn follow(&self, trace: &Trace) -> Self::Call {
        LocalPlugin::follow(&**self, trace)
    }

    fn follow_now(&self, trace: &Trace, found: &mut Found) -> Option<Result<(), PluginError>> {
        LocalPlugin::follow_now(&**self, trace, found)
    }
}

/// The class of a plugin failure, used to count errors by kind.
///
/// Its serde form is a lowercase string (`network`, `http_429`, `rate_limited`,
/// `timeout`, `exhausted`, `invalid`, `other`), so it can key a JSON map.
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
    /// The caller ran out of a local resource before the call could be made: file
    /// descriptors (`EMFILE`, `ENFILE`), ephemeral ports, memory. Counted apart from
    /// [`Network`](PluginErrorKind::Network) failures, which the remote end or the
    /// path to it caused.
    Exhausted,
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
            PluginErrorKind::Exhausted => "exhausted".into(),
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
            PluginErrorKind::Exhausted => f.write_str("local resources exhausted"),
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
            "exhausted" => PluginErrorKind::Exhausted,
            "invalid" => PluginErrorKind::Invalid,
            "other" => PluginErrorKind::Other,
            _ => match key.strip_prefix("http_").map(str::parse) {
                Some(Ok(status)) => PluginErrorKind::Http(status),
                _ => return Err(format!("unknown plugin error kind `{key}`")),
            },
        })
    }
}

/// A failed plugin call: a [`PluginErrorKind`], a message and, when the remote service
/// said when to come back (an HTTP `Retry-After`), that delay.
///
/// # Examples
///
/// A plugin answered `429 Too Many Requests` with `Retry-After: 3`:
///
/// ```
/// use std::time::Duration;
/// use tracepool::plugin::{PluginError, PluginErrorKind};
///
/// let error = PluginError::new(PluginErrorKind::Http(429), "too many requests")
///     .with_retry_after(Duration::from_secs(3));
/// assert_eq!(error.kind().key(), "http_429");
/// assert_eq!(error.retry_after(), Some(Duration::from_secs(3)));
/// assert_eq!(error.to_string(), "http status 429: too many requests (retry after 3s)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginError {
    kind: PluginErrorKind,
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_after: Option<Duration>,
}

impl PluginError {
    /// An error of `kind` with `message`.
    pub fn new(kind: PluginErrorKind, message: impl Into<String>) -> Self {
        PluginError {
            kind,
            message: message.into(),
            retry_after: None,
        }
    }

    /// The same error, saying the remote service asked to wait `delay` before trying
    /// again (an HTTP `Retry-After`).
    #[must_use]
    pub fn with_retry_after(mut self, delay: Duration) -> Self {
        self.retry_after = Some(delay);
        self
    }

    /// The class of the failure.
    pub fn kind(&self) -> PluginErrorKind {
        self.kind
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// How long the remote service asked to wait before trying again, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}", self.kind)?;
        } else {
            write!(f, "{}: {}", self.kind, self.message)?;
        }
        match self.retry_after {
            Some(delay) => write!(f, " (retry after {delay:?})"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for PluginError {}

/// Plugins grouped by the kind they accept, in registration order: the storage of
/// [`Registry`] and [`LocalRegistry`].
#[derive(Clone)]
pub(crate) struct ByKind<P> {
    by_kind: BTreeMap<TraceKind, Vec<P>>,
}

impl<P> Default for ByKind<P> {
    fn default() -> Self {
        ByKind {
            by_kind: BTreeMap::new(),
        }
    }
}

impl<P: SharedPlugin> ByKind<P> {
    fn register(&mut self, plugin: P) {
        self.by_kind
            .entry(plugin.accepts())
            .or_default()
            .push(plugin);
    }

    /// The plugins registered for `kind`, in registration order.
    pub(crate) fn plugins_for(&self, kind: &TraceKind) -> &[P] {
        self.by_kind.get(kind).map_or(&[], Vec::as_slice)
    }

    fn len(&self) -> usize {
        self.by_kind.values().map(Vec::len).sum()
    }

    fn is_empty(&self) -> bool {
        self.by_kind.is_empty()
    }

    /// The kinds that have at least one plugin, in order.
    pub(crate) fn kinds(&self) -> impl Iterator<Item = &TraceKind> + '_ {
        self.by_kind.keys()
    }

    fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.by_kind.values().flatten().map(|p| p.name())
    }
}

impl<P: SharedPlugin> fmt::Debug for ByKind<P> {
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

/// The plugins of a crawl, grouped by the kind they accept.
///
/// Plugins of one kind keep their registration order, which is the order in which
/// [`plugins_for`](Registry::plugins_for) returns them. For plugins that are not
/// `Send`, use a [`LocalRegistry`].
#[derive(Clone, Default)]
pub struct Registry {
    pub(crate) plugins: ByKind<Arc<dyn Plugin>>,
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
        self.plugins.register(plugin);
        self
    }

    /// The plugins registered for `kind`, in registration order (empty for a dead end).
    pub fn plugins_for(&self, kind: &TraceKind) -> &[Arc<dyn Plugin>] {
        self.plugins.plugins_for(kind)
    }

    /// The number of registered plugins.
    pub fn len(&self) -> usize {
        self.plugins.len()
    }

    /// Whether no plugin is registered.
    pub fn is_empty(&self) -> bool {
        self.plugins.is_empty()
    }

    /// The kinds that have at least one plugin, in order.
    pub fn kinds(&self) -> impl Iterator<Item = &TraceKind> + '_ {
        self.plugins.kinds()
    }

    /// The names of all plugins, by kind then registration order.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.plugins.names()
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.plugins.fmt(f)
    }
}

/// The plugins of a crawl on one thread, grouped by the kind they accept: the local
/// flavour of [`Registry`], for [`LocalPlugin`]s (and plugins of both flavours mixed).
///
/// Plugins of one kind keep their registration order, which is the order in which
/// [`plugins_for`](LocalRegistry::plugins_for) returns them.
#[derive(Clone, Default)]
pub struct LocalRegistry {
    pub(crate) plugins: ByKind<Rc<dyn LocalPlugin>>,
}

impl LocalRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        LocalRegistry::default()
    }

    /// Adds `plugin` under the kind it accepts.
    pub fn register(&mut self, plugin: impl LocalPlugin) -> &mut Self {
        self.register_rc(Rc::new(plugin))
    }

    /// Adds an already shared plugin under the kind it accepts.
    pub fn register_rc(&mut self, plugin: Rc<dyn LocalPlugin>) -> &mut Self {
        self.plugins.register(plugin);
        self
    }

    /// The plugins registered for `kind`, in registration order (empty for a dead end).
    pub fn plugins_for(&self, kind: &TraceKind) -> &[Rc<dyn LocalPlugin>] {
        self.plugins.plugins_for(kind)
    }

    /// The number of registered plugins.
    pub fn len(&self) -> usize {
        self.plugins.len()
    }

    /// Whether no plugin is registered.
    pub fn is_empty(&self) -> bool {
        self.plugins.is_empty()
    }

    /// The kinds that have at least one plugin, in order.
    pub fn kinds(&self) -> impl Iterator<Item = &TraceKind> + '_ {
        self.plugins.kinds()
    }

    /// The names of all plugins, by kind then registration order.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.plugins.names()
    }
}

impl fmt::Debug for LocalRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.plugins.fmt(f)
    }
}

/// Every plugin of a [`Registry`], in the same order, as local plugins.
impl From<Registry> for LocalRegistry {
    fn from(registry: Registry) -> Self {
        let mut local = LocalRegistry::new();
        for plugins in registry.plugins.by_kind.into_values() {
            for plugin in plugins {
                local.register(Shared(plugin));
            }
        }
        local
    }
}

/// A shared [`Plugin`] registered in a [`LocalRegistry`].
struct Shared(Arc<dyn Plugin>);

impl LocalPlugin for Shared {
    fn name(&self) -> &str {
        Plugin::name(&*self.0)
    }

    fn accepts(&self) -> TraceKind {
        Plugin::accepts(&*self.0)
    }

    fn follow(&self, trace: &Trace) -> LocalBoxFuture<'static, Result<Vec<Trace>, PluginError>> {
        Plugin::follow(&*self.0, trace)
    }

    fn follow_now(&self, trace: &Trace, found: &mut Found) -> Option<Result<(), PluginError>> {
        Plugin::follow_now(&*self.0, trace, found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_keys_a_map_and_reads_back() {
        let kinds = [
            PluginErrorKind::Network,
            PluginErrorKind::Http(429),
            PluginErrorKind::RateLimited,
            PluginErrorKind::Timeout,
            PluginErrorKind::Exhausted,
            PluginErrorKind::Invalid,
            PluginErrorKind::Other,
        ];
        for kind in kinds {
            assert_eq!(PluginErrorKind::try_from(kind.key()), Ok(kind), "{kind}");
        }
        assert_eq!(PluginErrorKind::Exhausted.key(), "exhausted");
        assert!(PluginErrorKind::try_from("http_x".to_owned()).is_err());
    }

    #[test]
    fn retry_after_is_kept_through_serde_and_absent_by_default() {
        let plain = PluginError::new(PluginErrorKind::Http(500), "boom");
        assert_eq!(plain.retry_after(), None);
        let json = serde_json::to_string(&plain).unwrap();
        assert!(!json.contains("retry_after"), "{json}");
        assert_eq!(serde_json::from_str::<PluginError>(&json).unwrap(), plain);

        let limited = PluginError::new(PluginErrorKind::Http(429), "slow down")
            .with_retry_after(Duration::from_secs(2));
        let json = serde_json::to_string(&limited).unwrap();
        let back: PluginError = serde_json::from_str(&json).unwrap();
        assert_eq!(back.retry_after(), Some(Duration::from_secs(2)));
        assert_eq!(back, limited);
    }
}
