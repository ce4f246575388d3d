//! The pool's behavioural suite on smol (its global executor for spawned jobs) with
//! async-io's timer.

mod pool_common;

use pool_common::Smol;

common_suite!(Smol);
