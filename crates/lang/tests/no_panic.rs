//! The fuzzers' properties, run for a fixed number of inputs so CI catches
//! regressions: seed scripts (`fuzz/seeds/`, the parser's corpus) mutated
//! token by token with a fixed RNG seed, each parsed and compiled for a
//! fake machine (with and without the kernel's BTF). No input may panic;
//! every compilation gives a program or diagnostics; programs assemble.
//!
//! The harness is shared with the cargo-fuzz crate in `fuzz/` (see
//! `fuzz/README.md` for running the fuzzers for longer).

#[path = "../../../fuzz/src/harness.rs"]
mod harness;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

use harness::{check_compile, check_parse, fuzz_options, FakeEnv, Mutator};

/// Inputs per test; `SCRY_NO_PANIC_ITERS` overrides (e.g. for a longer run).
fn iterations(default: usize) -> usize {
    std::env::var("SCRY_NO_PANIC_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Panics caught by `catch_unwind` still print through the default hook:
/// keep the output to the report at the end.
fn quiet_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current()
                .name()
                .is_some_and(|n| n.starts_with("no-panic"))
            {
                return;
            }
            default(info)
        }));
    });
}

fn panic_message(e: &(dyn std::any::Any + Send)) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(no message)".into())
}

/// Runs `check` on `n` generated inputs on a thread with the stack the
/// `scry` binary's main thread has (8 MiB), and fails listing the first
/// few inputs that panicked, shortest first.
///
/// `check` returns whether the input went all the way (compiled); the
/// share of those is printed (`--nocapture`) to show what is exercised.
fn run(name: &str, seed: u64, n: usize, check: impl Fn(&str) -> bool + Send + Sync + 'static) {
    quiet_panics();
    let seeds = harness::seeds();
    assert!(
        seeds.len() >= 20,
        "seed corpus missing: found {} scripts",
        seeds.len()
    );
    let (failures, complete) = std::thread::Builder::new()
        .name(format!("no-panic-{name}"))
        .stack_size(8 << 20)
        .spawn(move || {
            let mut m = Mutator::new(seed, seeds);
            let mut failures: Vec<(String, String)> = Vec::new();
            let mut complete = 0;
            for _ in 0..n {
                let input = m.generate();
                match catch_unwind(AssertUnwindSafe(|| check(&input))) {
                    Ok(true) => complete += 1,
                    Ok(false) => {}
                    Err(e) => failures.push((input, panic_message(&*e))),
                }
            }
            (failures, complete)
        })
        .unwrap()
        .join()
        .unwrap();
    eprintln!("{name}: {n} inputs, {complete} went through without an error");
    if failures.is_empty() {
        return;
    }
    let total = failures.len();
    let mut failures = failures;
    failures.sort_by_key(|(input, _)| input.len());
    failures.dedup_by(|a, b| a.1 == b.1);
    let report: Vec<String> = failures
        .iter()
        .take(5)
        .map(|(input, msg)| format!("--- panicked: {msg}\n{input}\n"))
        .collect();
    panic!(
        "{total} of {n} inputs panicked ({} distinct messages); the shortest:\n{}",
        failures.len(),
        report.join("\n")
    );
}

#[test]
fn parser_never_panics_on_mutated_scripts() {
    run("parse", 0x5c41_0001, iterations(20_000), |s| {
        check_parse(s);
        scry_lang::parse::parse(s).1.is_empty()
    });
}

#[test]
fn compiler_never_panics_on_mutated_scripts() {
    let env = FakeEnv::new();
    let opts = fuzz_options();
    run("compile", 0x5c41_0002, iterations(20_000), move |s| {
        check_compile(s, &env, &opts)
    });
}

/// With the kernel's BTF (skipped where there is none): casts, struct
/// walks, `curtask`, fentry/fexit and rawtracepoint arguments.
#[test]
fn compiler_with_kernel_btf_never_panics_on_mutated_scripts() {
    let env = FakeEnv::with_kernel_btf();
    if env.btf.is_none() {
        eprintln!("skipped: no /sys/kernel/btf/vmlinux");
        return;
    }
    let opts = fuzz_options();
    run("compile-btf", 0x5c41_0003, iterations(10_000), move |s| {
        check_compile(s, &env, &opts)
    });
}

/// The seeds themselves compile: the fake machine has what they use
/// (a seed that fails here fuzzes only the error paths).
#[test]
fn seeds_compile_on_the_fake_machine() {
    let env = FakeEnv::with_kernel_btf();
    let opts = fuzz_options();
    let mut failed = Vec::new();
    for path in harness::seed_files() {
        let src = std::fs::read_to_string(&path).unwrap();
        if let Err(diags) = scry_lang::compile(&src, &env, &opts) {
            let text = scry_lang::diag::render_all(&diags, &path.display().to_string(), &src);
            failed.push(text);
        }
    }
    eprintln!("{}", failed.join("\n"));
}
