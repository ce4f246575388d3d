//! The benchmark groups, one module per theme.

// criterion_group! defines public functions that only the entry point calls.
#![allow(unreachable_pub)]

pub(crate) mod overhead;
pub(crate) mod scenarios;
