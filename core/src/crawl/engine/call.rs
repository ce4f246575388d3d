//! A call as the schedulers run it: the plugin's future counted in flight from its
//! first poll, tagged with its trace and plugin, or held while the pool is full.

use std::any::Any;
use std::collections::VecDeque;
use std::future::Future;
use std::panic::resume_unwind;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::{CallOutcome, CallResult, Starts};
use crate::crawl::{InFlightGuard, Probe};
use crate::plugin::{Found, PluginError};
use crate::pool::drop_quietly;
use crate::trace::Trace;

/// One call, as the schedulers run it: the plugin's future, counted in flight from its
/// first poll to its drop, which it reports to the engine.
///
/// Every model runs it under the pool's guard (the pool's own, or
/// [`GuardedCall`](crate::pool::GuardedCall)): panics in its polls and in its drop
/// become the call's outcome there, the one mechanism for every model.
pub(crate) struct Job<'p, C> {
    pub(super) call: Call<C>,
    /// What the first poll needs; taken by it.
    pub(super) start: Option<JobStart<'p>>,
    pub(super) in_flight: Option<InFlightGuard<'p>>,
}

pub(super) enum Call<C> {
    /// The plugin's future.
    Running(C),
    /// The plugin's answer, given at once ([`follow_now`](crate::Plugin::follow_now)):
    /// the call ends with it at its first poll.
    Ready(Option<CallResult>),
    /// The plugin's `follow` panicked before returning a future: the panic is raised
    /// again at the call's first poll, inside its guard, so that it ends as that call's
    /// `Panicked` outcome in every model (the panic hook has reported it already).
    Panicked(Option<Box<dyn Any + Send>>),
}

/// The crawler's probe is borrowed, not shared: every call lives inside the crawl's
/// future, which borrows the crawler.
pub(super) struct JobStart<'p> {
    pub(super) probe: &'p Probe,
    pub(super) starts: &'p Starts,
    pub(super) slot: u32,
    pub(super) plugin: u32,
}

impl<C: Future<Output = Result<Vec<Trace>, PluginError>> + Unpin> Future for Job<'_, C> {
    type Output = CallResult;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<CallResult> {
        let this = self.get_mut();
        if let Some(start) = this.start.take() {
            start.starts.push(start.slot, start.plugin);
            this.in_flight = Some(start.probe.enter());
        }
        match &mut this.call {
            Call::Running(call) => Pin::new(call)
                .poll(cx)
                .map(|result| result.map(Found::from)),
            Call::Ready(result) => match result.take() {
                Some(result) => Poll::Ready(result),
                None => panic!("a call polled after its end"),
            },
            Call::Panicked(payload) => match payload.take() {
                Some(payload) => resume_unwind(payload),
                None => panic!("a call polled after its end"),
            },
        }
    }
}

/// Calls made and not yet accepted by the pool, each with its trace's slot and its
/// plugin (in `calls`, in the same order). Dropped with the crawl's future, the
/// plugins' futures are dropped quietly: a panic in their `Drop` does not escape.
pub(super) struct Batch<J> {
    pub(super) jobs: VecDeque<J>,
    pub(super) calls: VecDeque<(u32, u32)>,
}

impl<J> Drop for Batch<J> {
    fn drop(&mut self) {
        while let Some(job) = self.jobs.pop_front() {
            drop_quietly(job);
        }
    }
}

/// A call tagged with its trace's slot and its plugin, for the models that poll calls
/// directly.
pub(super) struct Tagged<G> {
    pub(super) slot: u32,
    pub(super) plugin: u32,
    pub(super) call: Pin<Box<G>>,
}

impl<G: Future<Output = (CallOutcome, Duration)>> Future for Tagged<G> {
    type Output = (u32, u32, CallOutcome, Duration);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (slot, plugin) = (self.slot, self.plugin);
        self.call
            .as_mut()
            .poll(cx)
            .map(|(outcome, latency)| (slot, plugin, outcome, latency))
    }
}
