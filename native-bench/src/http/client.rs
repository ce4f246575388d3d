//! The HTTP client of the http workload's plugins: hyper-util's pooling client with a
//! per-request timeout, and the mapping of everything that can go wrong on the wire to
//! a [`PluginError`].

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper::header::{self, HeaderMap};
use hyper::{StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use serde::de::DeserializeOwned;
use tracepool::plugin::{PluginError, PluginErrorKind};

/// The largest response body read: a larger one is a malformed response.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// An HTTP/1.1 client for one server: connections are pooled and kept alive between
/// calls, each call (connecting, sending, reading the whole answer) has a deadline.
/// Cheap to clone: clones share the pool.
///
/// Its requests must run on a tokio runtime with IO and time enabled: each connection is
/// a task spawned on it.
#[derive(Clone)]
pub struct HttpClient {
    client: Client<HttpConnector, Empty<Bytes>>,
    addr: SocketAddr,
    timeout: Duration,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("addr", &self.addr)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// A client of the server at `addr`, giving each call `timeout` from its start to
    /// the end of its answer.
    pub fn new(addr: SocketAddr, timeout: Duration) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(timeout));
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);
        HttpClient {
            client,
            addr,
            timeout,
        }
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The per-call deadline.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// `GET path_and_query`, its `200` answer's JSON body read as a `T`.
    ///
    /// # Errors
    ///
    /// Every failure as a [`PluginError`] (see [`error_for_status`] and
    /// [`error_for_transport`]): [`PluginErrorKind::Timeout`] past the deadline,
    /// [`PluginErrorKind::Http`] for another status than `200` (with the `Retry-After`
    /// it carried), [`PluginErrorKind::Exhausted`] when the client could not open a
    /// socket (out of file descriptors or ports), [`PluginErrorKind::Network`] for a
    /// refused, reset or cut connection, and [`PluginErrorKind::Other`] for an answer
    /// that is not the JSON expected (or larger than [`MAX_BODY_BYTES`]).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future drops the request: its connection is closed, never reused.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path_and_query: &str,
    ) -> Result<T, PluginError> {
        let uri: Uri = format!("http://{}{path_and_query}", self.addr)
            .parse()
            .map_err(|e| {
                PluginError::new(PluginErrorKind::Invalid, format!("bad request uri: {e}"))
            })?;
        let exchange = async {
            let response = self
                .client
                .get(uri)
                .await
                .map_err(|e| error_for_transport(&e))?;
            let (head, body) = response.into_parts();
            if head.status != StatusCode::OK {
                return Err(error_for_status(head.status, &head.headers));
            }
            let bytes = Limited::new(body, MAX_BODY_BYTES)
                .collect()
                .await
                .map_err(|e| match e.downcast::<hyper::Error>() {
                    Ok(e) => error_for_transport(&*e),
                    Err(e) => {
                        PluginError::new(PluginErrorKind::Other, format!("malformed response: {e}"))
                    }
                })?
                .to_bytes();
            serde_json::from_slice(&bytes).map_err(|e| {
                PluginError::new(PluginErrorKind::Other, format!("malformed response: {e}"))
            })
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(PluginError::new(
                PluginErrorKind::Timeout,
                format!("no answer within {:?}", self.timeout),
            )),
        }
    }
}

/// The error of an answer with another status than `200`: [`PluginErrorKind::Http`]
/// with the status, carrying the `Retry-After` delay when the answer gave one in
/// seconds (as `429` and `503` answers do).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use hyper::header::{HeaderMap, HeaderValue, RETRY_AFTER};
/// use hyper::StatusCode;
/// use tracepool_bench::http::client::error_for_status;
///
/// let mut headers = HeaderMap::new();
/// headers.insert(RETRY_AFTER, HeaderValue::from_static("3"));
/// let error = error_for_status(StatusCode::TOO_MANY_REQUESTS, &headers);
/// assert_eq!(error.kind().key(), "http_429");
/// assert_eq!(error.retry_after(), Some(Duration::from_secs(3)));
/// ```
pub fn error_for_status(status: StatusCode, headers: &HeaderMap) -> PluginError {
    let error = PluginError::new(
        PluginErrorKind::Http(status.as_u16()),
        status
            .canonical_reason()
            .unwrap_or("unexpected status")
            .to_ascii_lowercase(),
    );
    match retry_after(headers) {
        Some(delay) => error.with_retry_after(delay),
        None => error,
    }
}

/// A `Retry-After` given in seconds (the HTTP-date form is not read).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds = headers.get(header::RETRY_AFTER)?.to_str().ok()?;
    seconds.trim().parse().ok().map(Duration::from_secs)
}

/// The error of a request that got no answer: [`PluginErrorKind::Exhausted`] when a
/// local resource ran out (no file descriptor or port for a socket),
/// [`PluginErrorKind::Network`] otherwise (refused, reset, closed without an answer).
/// The message is the innermost cause.
pub fn error_for_transport(error: &(dyn std::error::Error + 'static)) -> PluginError {
    let mut cause: &(dyn std::error::Error + 'static) = error;
    let mut exhausted = false;
    loop {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            exhausted |= io.raw_os_error().is_some_and(is_exhaustion);
        }
        match cause.source() {
            Some(inner) => cause = inner,
            None => break,
        }
    }
    let kind = if exhausted {
        PluginErrorKind::Exhausted
    } else {
        PluginErrorKind::Network
    };
    let message = if std::ptr::addr_eq(cause, error) {
        error.to_string()
    } else {
        format!("{error}: {cause}")
    };
    PluginError::new(kind, message)
}

/// Whether an OS error number says a local resource ran out.
#[cfg(unix)]
fn is_exhaustion(errno: i32) -> bool {
    use nix::errno::Errno;
    [
        Errno::EMFILE,
        Errno::ENFILE,
        Errno::EADDRNOTAVAIL,
        Errno::ENOBUFS,
        Errno::ENOMEM,
    ]
    .iter()
    .any(|&e| e as i32 == errno)
}

/// Whether an OS error number says a local resource ran out.
#[cfg(not(unix))]
fn is_exhaustion(_errno: i32) -> bool {
    false
}
