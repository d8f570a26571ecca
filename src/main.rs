//! scry: dynamic tracing for Linux. The command line, compatible with
//! bpftrace's.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
