//! criterion entry point: the plan's scenarios and the pool's overhead, by theme.
//!
//! `cargo bench -p tracepool-bench` runs every group; `cargo bench -p tracepool-bench
//! -- overhead` one of them.

use criterion::criterion_main;

mod groups;

criterion_main! {
    groups::scenarios::plan,
    groups::overhead::overhead,
}
