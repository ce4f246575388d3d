//! `serve`: the http workload's server, in the foreground.

use std::io::Read;
use std::net::SocketAddr;
use std::thread;
use std::time::Duration;

use futures::future;
use tokio::sync::oneshot;
use tracepool_bench::fd_limit;
use tracepool_bench::http::process::ServeOptions;
use tracepool_bench::http::server::Server;
use tracepool_bench::runner::RunError;

use crate::INTERRUPT;
use crate::args::ServeArgs;
use crate::console;
use crate::failure::Failure;

pub(crate) fn serve(args: &ServeArgs) -> Result<(), Failure> {
    let options = ServeOptions {
        traces: args.traces,
        seed: args.seed,
        latency_ms: args.latency_ms,
        time_scale: args.time_scale,
        failure_rate: args.failure_rate,
        slow_ms: args.slow_ms,
        capacity: args.capacity,
        max_pending: args.max_pending,
    };
    let config = options
        .server_config(SocketAddr::new(args.bind, args.port))
        .map_err(RunError::from)?;
    // The server holds a connection per client connection: let it have every
    // descriptor it may, so that the clients meet their limits before it does.
    fd_limit::raise_to_hard();
    let server = Server::bind(config).map_err(Failure::Server)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| Failure::Io {
            what: "starting the server's runtime",
            source,
        })?;
    let eof = if args.exit_on_eof {
        let (tx, rx) = oneshot::channel::<()>();
        thread::Builder::new()
            .name("tracepool-stdin".into())
            .spawn(move || {
                // Whatever is written is ignored: only the end matters.
                let _ = std::io::stdin().lock().read_to_end(&mut Vec::new());
                let _ = tx.send(());
            })
            .map_err(|source| Failure::Io {
                what: "watching standard input",
                source,
            })?;
        Some(rx)
    } else {
        None
    };
    console::out(format_args!("{}", server.url()))?;
    console::err(format_args!(
        "tracepool-bench serve: {} traces (seed {}) at {}; {} calls served at once, 503 past {} held; Ctrl-C stops",
        args.traces,
        args.seed,
        server.url(),
        args.capacity,
        args.max_pending
    ));
    let stopped = async {
        let interrupted = std::pin::pin!(async {
            while !INTERRUPT.is_requested() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        let closed = std::pin::pin!(async {
            match eof {
                Some(rx) => {
                    let _ = rx.await;
                }
                None => future::pending().await,
            }
        });
        // Whichever comes first stops the server.
        let _ = future::select(interrupted, closed).await;
    };
    runtime
        .block_on(server.serve(stopped))
        .map_err(|source| Failure::Io {
            what: "serving",
            source,
        })?;
    if INTERRUPT.is_requested() {
        return Err(Failure::Interrupted("the server stopped".to_owned()));
    }
    Ok(())
}
