//! The commands, and what they share: progress on stderr, the concurrency from
//! the environment, the check of the pool's promises.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tracepool::crawl::{CrawlEvent, DEFAULT_MAX_CONCURRENCY};
use tracepool::report::record::RunRecord;
use tracepool_bench::runner;

use crate::args::{CONCURRENCY_VAR, concurrency};
use crate::console;
use crate::failure::{Failure, InputError};

mod generate;
mod report;
mod run;
mod serve;

pub(crate) use generate::gen_traces;
pub(crate) use report::report;
pub(crate) use run::run;
pub(crate) use serve::serve;

pub(crate) fn concurrency_from_env() -> Result<usize, InputError> {
    let error = |value, accepted| InputError::Env {
        var: CONCURRENCY_VAR,
        value,
        accepted,
    };
    match std::env::var(CONCURRENCY_VAR) {
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_MAX_CONCURRENCY),
        Err(std::env::VarError::NotUnicode(_)) => Err(error(
            None,
            format!(
                "a whole number from {} to {}",
                runner::CONCURRENCY.start(),
                runner::CONCURRENCY.end()
            ),
        )),
        Ok(text) => concurrency(&text)
            .map_err(|must| error(Some(text), must.trim_start_matches("must be ").to_owned())),
    }
}

pub(crate) fn stderr_progress() -> bool {
    std::io::stderr().is_terminal()
}

pub(crate) fn check_violations<'a>(
    records: impl IntoIterator<Item = &'a RunRecord>,
) -> Result<(), Failure> {
    let violations: Vec<String> = records.into_iter().flat_map(runner::violations).collect();
    if violations.is_empty() {
        return Ok(());
    }
    for v in &violations {
        console::err(format_args!("!!! VIOLATION: {v}"));
    }
    Err(Failure::Violations(violations.len()))
}

pub(crate) fn spinner(message: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} · {pos} calls finished · {elapsed}")
            .expect("valid template"),
    );
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// Counts finished calls into `bar`, touching it only every 256 events.
pub(crate) fn progress_observer(bar: &ProgressBar) -> impl FnMut(&CrawlEvent<'_>) + '_ {
    let mut finished = 0u64;
    move |event| {
        if let CrawlEvent::JobFinished { .. } = event {
            finished += 1;
            if finished.is_multiple_of(256) && !bar.is_hidden() {
                bar.set_position(finished);
            }
        }
    }
}
