//! Using scry as a library: compile a script, attach it, generate some
//! activity, and read the map it filled. Run as root:
//!
//!     cargo run --release --example count_opens

use scry_lang::spec::Options;
use scry_runtime::session::Session;
use scry_runtime::sysenv::SysEnv;

fn main() {
    let src =
        "tracepoint:syscalls:sys_enter_openat /pid == $1/ { @[str(args.filename)] = count(); }";
    let env = SysEnv::new();
    let opts = Options {
        params: vec![std::process::id().to_string()],
        ..Options::default()
    };
    let compiled = match scry_lang::compile(src, &env, &opts) {
        Ok(c) => c,
        Err(diags) => {
            eprint!("{}", scry_lang::diag::render_all(&diags, "example", src));
            std::process::exit(1);
        }
    };
    let mut session = Session::load(compiled, &env, "example", src).unwrap_or_else(|e| {
        eprintln!("ERROR: {e}");
        std::process::exit(1);
    });
    session.attach().unwrap_or_else(|e| {
        eprintln!("ERROR: {e}");
        std::process::exit(1);
    });
    for _ in 0..10 {
        let _ = std::fs::File::open("/etc/hostname");
    }
    let counts = session.read_map("@").expect("the map is readable");
    for (key, value) in &counts.entries {
        println!("{key:?} => {value:?}");
    }
    print!("{}", scry_output::print_map_text(&counts, 0, 0));
}
