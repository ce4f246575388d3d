//! `tracepool-bench`: the benchmarking plan's scenarios, run natively.
//!
//! Without arguments it runs every scenario for every model and writes
//! `tracepool-report/` (report.json, report.md, report.html). See `--help`.

use std::process::ExitCode;

use clap::Parser;
use tracepool_bench::interrupt::Interrupt;
use tracepool_bench::os;

mod args;
mod command;
mod console;
mod failure;
mod output;
mod profiler;

use args::{Cli, Command, ReportArgs};
use failure::{EXIT_INTERRUPTED, EXIT_USAGE};

/// Stops the runs on Ctrl-C, SIGINT, SIGTERM or SIGHUP.
static INTERRUPT: Interrupt = Interrupt::new();

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            console::err(format_args!("{}", one_line(&e.render().to_string())));
            return ExitCode::from(EXIT_USAGE);
        }
    };
    // The simulated workload panics on purpose (`--panic-rate`); those panics are
    // caught and counted, so their messages would only flood the terminal. Every other
    // panic is reported as usual.
    tracepool::sim::quiet_simulated_panics();
    // The first signal stops the work at its next step (the crawl is cancelled, the
    // partial results are reported, outputs are left whole); a second one quits at
    // once, unless a report is being renamed into place. Without a handler (the OS
    // refused it), a signal ends the process as it would any program.
    let _ = ctrlc::set_handler(|| {
        if !INTERRUPT.request() && !INTERRUPT.is_held() {
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
    });
    // Precise timer wake-ups: the default 50 µs slack would delay every simulated
    // sleep. Threads started from here on inherit it.
    let _ = os::set_precise_timer_slack();
    let result = match cli
        .command
        .unwrap_or(Command::Report(ReportArgs::default()))
    {
        Command::Report(args) => command::report(&args),
        Command::Run(args) => command::run(&args),
        Command::Gen(args) => command::gen_traces(&args),
        Command::Serve(args) => command::serve(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            console::err(format_args!("tracepool-bench: {failure}"));
            ExitCode::from(failure.exit_code())
        }
    }
}

/// Folds clap's multi-line error into one line: the error and what it names.
fn one_line(rendered: &str) -> String {
    rendered
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more information")
        })
        .collect::<Vec<_>>()
        .join(" ")
}
