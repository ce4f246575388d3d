//! Plugins whose calls wait for the next turn of the event loop before they run.
//!
//! A crawl whose calls never sleep (mean latency 0) finishes every call in its first
//! poll. The crawl engine returns to its executor every 128 calls (its cooperative
//! budget), so [`Sliced`](super::Sliced) still ends its slices, but the page then drops
//! frames: in the end-to-end test's 100,000-trace crawl without sleeps the longest frame
//! gap was 17 to 67 ms without this wrapper, against one frame (17 ms) with it. In the
//! browser such a call first waits for the next turn of the event loop (a message, not a
//! timer: no 4 ms clamp), so the crawl advances one wave of calls per turn and the page
//! renders in between. Used only on workloads without sleeps, where nothing else
//! yields; the runs' latencies then include that turn.

use std::rc::Rc;

use futures::future::LocalBoxFuture;
use tracepool::{LocalPlugin, LocalRegistry, PluginError, Trace, TraceKind};

use super::macrotask::EventLoop;

/// A plugin whose calls wait for the next turn before running. It leaves
/// `follow_now` out: a call answered at once would not wait for its turn.
struct Yielding {
    plugin: Rc<dyn LocalPlugin>,
    event_loop: Rc<EventLoop>,
}

impl LocalPlugin for Yielding {
    fn name(&self) -> &str {
        self.plugin.name()
    }

    fn accepts(&self) -> TraceKind {
        self.plugin.accepts()
    }

    fn follow(&self, trace: &Trace) -> LocalBoxFuture<'static, Result<Vec<Trace>, PluginError>> {
        let call = self.plugin.follow(trace);
        let turn = self.event_loop.next_turn();
        Box::pin(async move {
            turn.await;
            call.await
        })
    }
}

/// `registry`'s plugins, in the same order, each call waiting for the next turn of
/// `event_loop` first.
pub(super) fn yielding(registry: &LocalRegistry, event_loop: &Rc<EventLoop>) -> LocalRegistry {
    let mut out = LocalRegistry::new();
    let kinds: Vec<TraceKind> = registry.kinds().cloned().collect();
    for kind in &kinds {
        for plugin in registry.plugins_for(kind) {
            out.register(Yielding {
                plugin: Rc::clone(plugin),
                event_loop: Rc::clone(event_loop),
            });
        }
    }
    out
}
