//! A server serving on a thread of its own, for tests, examples and benches that want
//! one in the same process.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use tokio::sync::oneshot;

use super::server::Server;
use super::stats::ServerStats;

/// A [`Server`] serving on its own thread, with its own single-threaded tokio runtime,
/// until [`stop`](ServerThread::stop) or drop.
///
/// The runner starts its server as a child process instead, so that the client's
/// resources are measured apart from the server's; in one process, they add up.
///
/// # Examples
///
/// ```
/// use tracepool_bench::http::server::{Server, ServerConfig};
///
/// let server = Server::bind(ServerConfig::default())?.spawn()?;
/// assert!(server.addr().ip().is_loopback());
/// assert_eq!(server.stats().snapshot().requests, 0);
/// server.stop();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ServerThread {
    addr: SocketAddr,
    stats: Arc<ServerStats>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl fmt::Debug for ServerThread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerThread")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Serves on a new thread until the returned handle stops or is dropped.
    ///
    /// # Errors
    ///
    /// The OS refused the thread or the runtime's IO driver.
    pub fn spawn(self) -> io::Result<ServerThread> {
        let addr = self.local_addr();
        let stats = self.stats();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = thread::Builder::new()
            .name("tracepool-http".into())
            .spawn(move || {
                runtime.block_on(self.serve(async {
                    // A dropped sender stops the server too.
                    let _ = stopped.await;
                }))
            })?;
        Ok(ServerThread {
            addr,
            stats,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl ServerThread {
    /// The address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's counters.
    pub fn stats(&self) -> &Arc<ServerStats> {
        &self.stats
    }

    /// Stops the server: it stops accepting, its open connections are closed, its
    /// thread ends.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            // The runtime, and every connection task with it, ends with the thread.
            let _ = thread.join();
        }
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        self.halt();
    }
}
