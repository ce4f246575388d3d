//! Running a long computation on the page's event loop without freezing the page.
//!
//! A future spawned with `wasm-bindgen-futures` is polled in microtasks, and a future
//! that wakes itself (as the pool's driver does to stay fair) is polled again in the
//! next microtask: the browser renders no frame and handles no input until the chain
//! ends. [`EventLoop`] marks the turns of the event loop with messages posted on a
//! `MessageChannel` (a macrotask, not clamped like a nested `setTimeout`);
//! [`Sliced`] polls a future for at most a time budget per turn, and [`NextTurn`]
//! waits for the next turn.

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

/// What the message handler and the futures share.
#[derive(Debug, Default)]
struct Turns {
    /// A message is on its way.
    posted: Cell<bool>,
    /// How many messages arrived: each one is a new turn of the event loop.
    count: Cell<u64>,
    /// Tasks to wake at the next turn.
    waiting: RefCell<Vec<Waker>>,
}

/// The turns of the page's event loop, as seen from a `MessageChannel`.
pub struct EventLoop {
    sender: MessagePort,
    receiver: MessagePort,
    turns: Rc<Turns>,
    // Kept alive as long as the receiver may call it; unset in `drop`.
    _handler: Closure<dyn FnMut()>,
}

impl std::fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLoop")
            .field("turns", &self.turns.count.get())
            .finish_non_exhaustive()
    }
}

impl EventLoop {
    /// A channel of the page's event loop; `None` outside a browser.
    pub fn new() -> Option<EventLoop> {
        let channel = MessageChannel::new().ok()?;
        let turns = Rc::new(Turns::default());
        let handler = {
            let turns = Rc::clone(&turns);
            Closure::<dyn FnMut()>::new(move || {
                turns.posted.set(false);
                turns.count.set(turns.count.get() + 1);
                let waiting = std::mem::take(&mut *turns.waiting.borrow_mut());
                for waker in waiting {
                    waker.wake();
                }
            })
        };
        let receiver = channel.port1();
        receiver.set_onmessage(Some(handler.as_ref().unchecked_ref()));
        Some(EventLoop {
            sender: channel.port2(),
            receiver,
            turns,
            _handler: handler,
        })
    }

    /// How many turns were seen so far.
    fn turn(&self) -> u64 {
        self.turns.count.get()
    }

    /// Makes sure a message marks the next turn.
    fn post(&self) {
        if !self.turns.posted.get() && self.sender.post_message(&0.into()).is_ok() {
            self.turns.posted.set(true);
        }
    }

    /// Wakes `waker` at the next turn.
    fn wake_next_turn(&self, waker: &Waker) {
        let mut waiting = self.turns.waiting.borrow_mut();
        if !waiting.iter().any(|w| w.will_wake(waker)) {
            waiting.push(waker.clone());
        }
        drop(waiting);
        self.post();
    }

    /// A future that completes at the next turn of the event loop.
    pub fn next_turn(self: &Rc<Self>) -> NextTurn {
        NextTurn {
            event_loop: Rc::clone(self),
            after: None,
        }
    }
}

impl Drop for EventLoop {
    fn drop(&mut self) {
        self.receiver.set_onmessage(None);
        self.receiver.close();
        self.sender.close();
    }
}

/// Completes at the next turn of the event loop: see [`EventLoop::next_turn`].
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct NextTurn {
    event_loop: Rc<EventLoop>,
    after: Option<u64>,
}

impl Future for NextTurn {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let now = self.event_loop.turn();
        match self.after {
            Some(start) if now > start => Poll::Ready(()),
            _ => {
                self.after.get_or_insert(now);
                self.event_loop.wake_next_turn(cx.waker());
                Poll::Pending
            }
        }
    }
}

/// A future polled for at most a time budget per turn of the event loop.
///
/// Wrap the whole computation; between slices the browser renders and handles input.
/// Without an [`EventLoop`] (outside a browser) it polls the future as is.
#[must_use = "futures do nothing unless polled"]
pub struct Sliced<F> {
    inner: Pin<Box<F>>,
    budget: Duration,
    event_loop: Option<Rc<EventLoop>>,
    /// When the current slice began, and in which turn.
    slice: Option<(Instant, u64)>,
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
    /// Polls `inner` for at most `budget` per turn of `event_loop`.
    pub fn new(inner: F, budget: Duration, event_loop: Option<Rc<EventLoop>>) -> Self {
        Sliced {
            inner: Box::pin(inner),
            budget,
            event_loop,
            slice: None,
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
        if let Some(event_loop) = &this.event_loop {
            let now = Instant::now();
            let turn = event_loop.turn();
            match this.slice {
                Some((start, slice_turn)) if turn == slice_turn => {
                    if now.duration_since(start) >= this.budget {
                        // Still in the turn that began the slice: give the page a turn.
                        event_loop.wake_next_turn(cx.waker());
                        this.yields += 1;
                        return Poll::Pending;
                    }
                }
                _ => {
                    // A new slice; its message tells when the event loop has turned.
                    this.slice = Some((now, turn));
                    event_loop.post();
                }
            }
        }
        this.inner.as_mut().poll(cx)
    }
}
