//! `gen`: the synthetic workload's traces as a `kind:value` file.

use tracepool::Trace;
use tracepool::sim::SimWorkload;
use tracepool_bench::runner::{RunError, RunSpec};

use crate::INTERRUPT;
use crate::args::GenArgs;
use crate::console;
use crate::failure::Failure;
use crate::output::{check_file, write_file};

pub(crate) fn gen_traces(args: &GenArgs) -> Result<(), Failure> {
    let spec = RunSpec {
        traces: args.traces,
        seed: args.seed,
        ..RunSpec::default()
    };
    let config = spec.sim_config().map_err(RunError::from)?;
    let sim = SimWorkload::new(config).map_err(RunError::Workload)?;
    let out = args
        .out
        .as_deref()
        .map(|path| check_file("--out", path))
        .transpose()?;
    let mut text = String::new();
    text.push_str(&format!(
        "# tracepool synthetic workload: seed {}, {} traces{}\n",
        args.seed,
        args.traces,
        if args.graph {
            ", every trace"
        } else {
            ", seed traces"
        }
    ));
    let traces: Box<dyn Iterator<Item = Trace>> = if args.graph {
        Box::new(sim.traces())
    } else {
        Box::new(sim.seeds().into_iter())
    };
    for (i, trace) in traces.enumerate() {
        if i % 4096 == 0 && INTERRUPT.is_requested() {
            // Dropping the output file leaves nothing behind.
            return Err(Failure::Interrupted("nothing written".to_owned()));
        }
        text.push_str(&trace.to_string());
        text.push('\n');
    }
    if INTERRUPT.is_requested() {
        return Err(Failure::Interrupted("nothing written".to_owned()));
    }
    match out {
        None => console::out_bytes(text.as_bytes()),
        Some(out) => write_file("--out", out, text.as_bytes()),
    }
}
