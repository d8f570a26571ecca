//! Runs inputs (files, or `-e SCRIPT`) through the fuzzers' checks and
//! prints what happened: the diagnostics, the program count, or the panic.
//! `cargo run --bin triage -- [--btf] [--parse] FILE... | -e SCRIPT`

use scry_fuzz::harness::{check_compile, check_parse, fuzz_options, FakeEnv};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let btf = take_flag(&mut args, "--btf");
    let parse_only = take_flag(&mut args, "--parse");
    let env = if btf {
        FakeEnv::with_kernel_btf()
    } else {
        FakeEnv::new()
    };
    let mut inputs = Vec::new();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        if a == "-e" {
            let src = it.next().expect("-e needs a script");
            inputs.push(("-e".to_string(), src));
        } else {
            let bytes = std::fs::read(&a).unwrap_or_else(|e| panic!("{a}: {e}"));
            inputs.push((a, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    for (name, src) in inputs {
        println!("=== {name} ({} bytes)", src.len());
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if parse_only {
                check_parse(&src);
                return;
            }
            match scry_lang::compile(&src, &env, &fuzz_options()) {
                Ok(c) => println!("compiled: {} program(s)", c.programs.len()),
                Err(d) => print!("{}", scry_lang::diag::render_all(&d, "input", &src)),
            }
            check_compile(&src, &env, &fuzz_options());
        }));
        if result.is_err() {
            println!("PANICKED");
        }
    }
}

fn take_flag(args: &mut Vec<String>, flag: &str) -> bool {
    let before = args.len();
    args.retain(|a| a != flag);
    args.len() != before
}
