//! The pool's behavioural suite on `futures::executor`: `block_on` drives the pool,
//! a `ThreadPool` runs spawned jobs, async-io's timer enforces timeouts.

mod pool_common;

use pool_common::Futures;

common_suite!(Futures::new());
