//! Jobs of a pool made by
//! [`PoolBuilder::build_spawned`](super::PoolBuilder::build_spawned): each runs as its
//! own task and reports back to the driver.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::channel::mpsc;
use futures::future::{BoxFuture, TryFuture};
use web_time::Instant;

use crate::outcome::{JobId, Outcome};

use super::handle::CancelToken;
use super::queue::Shared;
use super::running::{Done, Running};
use super::unwind::drop_quietly;

/// Spawns a task on an executor; used by [`PoolBuilder::build_spawned`](super::PoolBuilder::build_spawned).
///
/// Implemented for every `Fn(BoxFuture<'static, ()>)`, so a closure is enough:
/// `|task| { tokio::spawn(task); }`, `|task| smol::spawn(task).detach()`,
/// `|task| thread_pool.spawn_ok(task)`.
pub trait Spawn: Send + Sync + 'static {
    /// Runs `task` to completion in the background.
    ///
    /// If the executor drops the task before it completes (e.g. at runtime shutdown),
    /// its job ends as [`Outcome::Cancelled`](crate::Outcome::Cancelled).
    fn spawn(&self, task: BoxFuture<'static, ()>);
}

impl<S> Spawn for S
where
    S: Fn(BoxFuture<'static, ()>) + Send + Sync + 'static,
{
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        self(task)
    }
}

/// A started job spawned on an executor; reports back to the driver even when the
/// executor drops it unfinished.
pub(super) struct SpawnedJob<F: TryFuture, D> {
    pub(super) running: Option<Pin<Box<Running<F, D>>>>,
    pub(super) done_tx: mpsc::UnboundedSender<Done<F::Ok, F::Error>>,
    pub(super) shared: Arc<Shared>,
}

impl<F: TryFuture, D> SpawnedJob<F, D> {
    pub(super) fn report(&mut self, done: Done<F::Ok, F::Error>) {
        if let Err(e) = self.done_tx.unbounded_send(done) {
            // The driver is gone: account for the job here and answer its handle.
            finish_orphan(&self.shared, e.into_inner());
        }
    }
}

/// Accounts for a spawned job that ended after its driver stopped collecting, and
/// answers its handle.
pub(super) fn finish_orphan<T, E>(shared: &Shared, done: Done<T, E>) {
    let (completion, reply) = done.completion(Instant::now());
    let recorder = &shared.recorder;
    recorder.finished_orphan(completion.outcome.kind(), completion.latency);
    let unread = match reply {
        Some(reply) => reply.send(completion).err(),
        None => Some(completion),
    };
    // Nobody reads it: its drop is user code, that must not panic into the executor.
    if let Some(completion) = unread {
        drop_quietly(completion);
    }
}

impl<F: TryFuture, D: Future<Output = ()> + Unpin> Future for SpawnedJob<F, D> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(running) = self.running.as_mut() else {
            return Poll::Ready(());
        };
        let done = std::task::ready!(running.as_mut().poll(cx));
        self.running = None;
        self.report(done);
        Poll::Ready(())
    }
}

impl<F: TryFuture, D> Drop for SpawnedJob<F, D> {
    fn drop(&mut self) {
        if let Some(mut running) = self.running.take() {
            let done = running.as_mut().end(Outcome::Cancelled);
            self.report(done);
        }
    }
}

pub(super) type Launch<F, D> = Box<dyn Fn(Pin<Box<Running<F, D>>>, Arc<Shared>) + Send + Sync>;

pub(super) struct Spawned<F: TryFuture, D> {
    pub(super) launch: Launch<F, D>,
    pub(super) done_rx: mpsc::UnboundedReceiver<Done<F::Ok, F::Error>>,
    pub(super) running: HashMap<JobId, Arc<CancelToken>>,
}
