//! The bounded worker pool: at most `C` jobs in flight, exactly one outcome per job,
//! on any executor.
//!
//! A pool is two halves made by [`PoolBuilder::build`]:
//!
//! - [`Pool`], a cheap, clonable handle to submit jobs from any number of producers;
//! - [`Driver`], a [`Stream`](futures::Stream) of [`Completion`](crate::Completion)s that runs the jobs while it is polled.
//!   Poll it from one task (`while let Some(c) = driver.next().await`), or spawn
//!   [`Driver::run`] when every job has its own [`JobHandle`].
//!
//! [`PoolBuilder::build_stream`] feeds the driver from a stream of jobs as well: it
//! pulls the next one whenever a slot is free, like `buffer_unordered`.
//!
//! The driver starts queued jobs only while fewer than `C` are in flight, so the bound
//! holds on every executor: tokio, smol, `futures::executor`, the browser. By default
//! jobs are polled inside the driver, like `buffer_unordered` does: one task, no
//! spawning, the least overhead, one core. For CPU-heavy jobs on a multi-thread
//! executor, [`PoolBuilder::build_spawned`] spawns each started job as its own task
//! through a [`Spawn`]er, so jobs run on every core while the driver still holds the
//! bound.
//!
//! # Layout
//!
//! | file | what |
//! |---|---|
//! | `builder.rs` | [`PoolBuilder`]: the settings, their validation, the three ways to build |
//! | `error.rs` | [`BuildError`], [`SubmitError`], [`TrySubmitError`] |
//! | `submit.rs` | [`Pool`]: the submitting half (submit, close, abort, metrics) |
//! | `queue.rs` | the state both halves share: the queue of accepted jobs and its counters |
//! | `handle.rs` | [`JobHandle`] and the cancel token it shares with its job |
//! | `running.rs` | a started job: its deadline, cancellation and panic capture (the guard the crawl engine's other models use too) |
//! | `slots.rs` | the inline executor: reusable slots with one waker each |
//! | `spawned.rs` | [`Spawn`] and the jobs [`PoolBuilder::build_spawned`] spawns |
//! | `driver.rs` | [`Driver`]: starts jobs while fewer than `C` run, yields outcomes |
//! | `sync.rs` | the shared state's atomics and locks: std's, or loom's under `--cfg tracepool_loom` |
//! | `unwind.rs` | catching panics in user code, and dropping what they leave behind |

mod builder;
mod driver;
mod error;
mod handle;
#[cfg(test)]
mod handover_tests;
mod queue;
mod running;
mod slots;
mod spawned;
mod submit;
pub(crate) mod sync;
mod unwind;

pub use builder::{DEFAULT_QUEUE_CAPACITY, PoolBuilder};
pub use driver::Driver;
pub use error::{BuildError, SubmitError, TrySubmitError};
pub use handle::JobHandle;
pub(crate) use running::GuardedCall;
pub use spawned::Spawn;
pub use submit::Pool;
pub(crate) use unwind::drop_quietly;
