//! The tracepool scenario runner.

fn main() {
    println!("tracepool-bench: scenario runner not implemented yet");
}
