//! scry: dynamic tracing for Linux. The command line, compatible with
//! bpftrace's.

mod cli;

fn main() {
    // A panic is a bug in scry. Say so in one place; unwinding then drops
    // the session, and the kernel frees whatever its fds still held.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("ERROR: internal error, a bug in scry (please report it): {info}");
    }));
    std::process::exit(cli::main());
}
