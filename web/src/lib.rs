//! tracepool in the browser: the benchmark plan's scenarios run on the page's event
//! loop, with live and result charts, and `report.json` files shared with the native
//! runner.
//!
//! Shaped like Yew's own examples: [`state`] holds the app's [`State`](state::State),
//! changed only by [`Action`](state::Action)s (pure, tested natively); `components`
//! draw it; `hooks` run a plan on the browser's event loop. The numbers, findings and
//! charts all come from core's report layer (`tracepool::report`: `record`, `findings`,
//! `chart`), so the browser and `tracepool-bench` show the same views of a report.
#![forbid(unsafe_code)]

pub mod browser;
mod components;
pub mod form;
mod hooks;
pub mod measure;
pub mod persist;
pub mod plan;
pub mod run;
pub mod state;
pub mod views;

pub use components::App;
