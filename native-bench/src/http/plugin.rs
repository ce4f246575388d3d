//! The http workload's plugins: each one follows its traces with a real request to the
//! server, through one shared [`HttpClient`].

use std::net::SocketAddr;
use std::time::Duration;

use futures::future::{BoxFuture, FutureExt};
use tracepool::plugin::{Plugin, PluginError, Registry};
use tracepool::sim::SimWorkload;
use tracepool::{Trace, TraceKind};

use super::client::HttpClient;
use super::wire::{FollowRequest, Found};

/// A plugin that asks the http workload's server what it finds: `GET /follow` with its
/// name and the trace, through the shared client (pooled connections, a deadline per
/// call). Every failure is a [`PluginError`] whose kind says what happened (see
/// [`HttpClient::get_json`]): `http_429` with the `Retry-After` delay, `http_403`,
/// `http_500`, `http_503`, `timeout`, `network`, `exhausted`.
#[derive(Debug, Clone)]
pub struct HttpPlugin {
    name: String,
    kind: TraceKind,
    client: HttpClient,
}

impl HttpPlugin {
    /// The plugin `name` for traces of `kind`, asking through `client`.
    pub fn new(name: impl Into<String>, kind: TraceKind, client: HttpClient) -> Self {
        HttpPlugin {
            name: name.into(),
            kind,
            client,
        }
    }
}

impl Plugin for HttpPlugin {
    fn name(&self) -> &str {
        &self.name
    }

    fn accepts(&self) -> TraceKind {
        self.kind.clone()
    }

    fn follow(&self, trace: &Trace) -> BoxFuture<'static, Result<Vec<Trace>, PluginError>> {
        // Clone what the call needs: a handle to the pooled client and the request.
        let client = self.client.clone();
        let path = FollowRequest {
            plugin: self.name.clone(),
            trace: trace.clone(),
        }
        .path_and_query();
        async move {
            let found: Found = client.get_json(&path).await?;
            Ok(found.traces)
        }
        .boxed()
    }
}

/// The plugins of `sim`'s table (the same names and kinds as
/// [`SimWorkload::registry`]), each asking the server at `addr` with a deadline of
/// `timeout` per call, all through one client.
///
/// The plugins' calls must run on a tokio runtime with IO and time enabled.
pub fn registry(sim: &SimWorkload, addr: SocketAddr, timeout: Duration) -> Registry {
    let client = HttpClient::new(addr, timeout);
    let mut registry = Registry::new();
    for kind in TraceKind::KNOWN.iter() {
        for name in sim.plugin_names(kind) {
            registry.register(HttpPlugin::new(name, kind.clone(), client.clone()));
        }
    }
    registry
}
