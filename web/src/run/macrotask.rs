//! Running a long computation on the page's event loop without freezing the page.
//!
//! A future spawned with `wasm-bindgen-futures` is polled in microtasks, and a future
//! that wakes itself (as the pool's driver does to stay fair) is polled again in the
//! next microtask: the browser renders no frame and handles no input until the chain
//! ends. [`Sliced`] cuts such chains: it polls its future for at most a time budget
//! per macrotask, then hands the event loop back until a message posted on a
//! `MessageChannel` (a macrotask, not clamped like a nested `setTimeout`) arrives.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{MessageChannel, MessagePort};
use web_time::Instant;

/// What the message handler and the poller share.
#[derive(Debug, Default)]
struct Shared {
    /// A message is on its way.
    posted: Cell<bool>,
    /// The last message arrived: the event loop turned since the slice began.
    turned: Cell<bool>,
    /// The task to wake when the message arrives, if it yielded.
    waker: RefCell<Option<Waker>>,
}

/// A `MessageChannel` whose messages mark turns of the event loop.
struct Channel {
    sender: MessagePort,
    receiver: MessagePort,
    shared: Rc<Shared>,
    // Kept alive as long as the receiver may call it; unset in `drop`.
    _handler: Closure<dyn FnMut()>,
}

impl Channel {
    fn new() -> Option<Channel> {
        let channel = MessageChannel::new().ok()?;
        let shared = Rc::new(Shared::default());
        let handler = {
            let shared = Rc::clone(&shared);
            Closure::<dyn FnMut()>::new(move || {
                shared.posted.set(false);
                shared.turned.set(true);
                if let Some(waker) = shared.waker.borrow_mut().take() {
                    waker.wake();
                }
            })
        };
        let receiver = channel.port1();
        receiver.set_onmessage(Some(handler.as_ref().unchecked_ref()));
        Some(Channel {
            sender: channel.port2(),
            receiver,
            shared,
            _handler: handler,
        })
    }

    /// Posts a message unless one is already on its way.
    fn post(&self) {
        if !self.shared.posted.get() && self.sender.post_message(&0.into()).is_ok() {
            self.shared.posted.set(true);
        }
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        self.receiver.set_onmessage(None);
        self.receiver.close();
        self.sender.close();
    }
}

/// A future polled in slices of at most a time budget per turn of the event loop.
///
/// Wrap the whole computation; between slices the browser renders and handles input.
/// Where no `MessageChannel` exists (outside a browser) it polls the future as is.
#[must_use = "futures do nothing unless polled"]
pub struct Sliced<F> {
    inner: Pin<Box<F>>,
    budget: Duration,
    slice_start: Option<Instant>,
    channel: Option<Channel>,
    yields: u64,
}

impl<F> std::fmt::Debug for Sliced<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sliced")
            .field("budget", &self.budget)
            .field("yields", &self.yields)
            .finish_non_exhaustive()
    }
}

impl<F: Future> Sliced<F> {
    /// Polls `inner` for at most `budget` per turn of the event loop.
    pub fn new(inner: F, budget: Duration) -> Self {
        Sliced {
            inner: Box::pin(inner),
            budget,
            slice_start: None,
            channel: Channel::new(),
            yields: 0,
        }
    }

    /// How often it handed the event loop back so far.
    pub fn yields(&self) -> u64 {
        self.yields
    }
}

impl<F: Future> Future for Sliced<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        if let Some(channel) = &this.channel {
            let now = Instant::now();
            let shared = &channel.shared;
            match this.slice_start {
                Some(start) if !shared.turned.get() => {
                    if now.duration_since(start) >= this.budget {
                        // Still in the chain of microtasks that began the slice: yield.
                        *shared.waker.borrow_mut() = Some(cx.waker().clone());
                        channel.post();
                        this.yields += 1;
                        return Poll::Pending;
                    }
                }
                _ => {
                    // A new slice: its message tells when the event loop has turned.
                    this.slice_start = Some(now);
                    shared.turned.set(false);
                    channel.post();
                }
            }
        }
        this.inner.as_mut().poll(cx)
    }
}
