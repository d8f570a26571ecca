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

use std::cell::RefCell;
use std::collections::BTreeMap;
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

thread_local! {
    /// The last panic on this thread: message and location.
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Panics caught by `catch_unwind` on the test's worker threads are not
/// printed; their message and location are kept for the report (and to
/// recognise known bugs).
fn quiet_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !std::thread::current()
                .name()
                .is_some_and(|n| n.starts_with("no-panic"))
            {
                return default(info);
            }
            let payload = info.payload();
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "(no message)".into());
            let at = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            LAST_PANIC.with(|p| *p.borrow_mut() = format!("{msg} at {at}"));
        }));
    });
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
        seeds.len() >= 15,
        "seed corpus missing: found {} scripts",
        seeds.len()
    );
    let (failures, complete, known) = std::thread::Builder::new()
        .name(format!("no-panic-{name}"))
        .stack_size(8 << 20)
        .spawn(move || {
            let mut m = Mutator::new(seed, seeds);
            let mut failures: Vec<(String, String)> = Vec::new();
            let mut complete = 0;
            let mut known = BTreeMap::new();
            for _ in 0..n {
                let input = m.generate();
                match catch_unwind(AssertUnwindSafe(|| check(&input))) {
                    Ok(true) => complete += 1,
                    Ok(false) => {}
                    Err(_) => {
                        let msg = LAST_PANIC.with(|p| p.borrow().clone());
                        match harness::known_bug(&msg) {
                            Some(test) => *known.entry(test).or_insert(0) += 1,
                            None => failures.push((input, msg)),
                        }
                    }
                }
            }
            (failures, complete, known)
        })
        .unwrap()
        .join()
        .unwrap();
    eprintln!("{name}: {n} inputs, {complete} went through without an error");
    for (test, count) in &known {
        eprintln!("{name}: {count} inputs hit the known bug of fuzz_regress::{test}");
    }
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

/// The seeds themselves compile on the fake machine (with BTF where there
/// is some): a seed that does not fuzzes only the error paths. Some of the
/// parser's corpus is meant not to type-check, hence a share, not all.
#[test]
fn seeds_compile_on_the_fake_machine() {
    let env = FakeEnv::with_kernel_btf();
    let opts = fuzz_options();
    let files = harness::seed_files();
    let mut failed = Vec::new();
    for path in &files {
        let src = std::fs::read_to_string(path).unwrap();
        if let Err(diags) = scry_lang::compile(&src, &env, &opts) {
            let first = scry_lang::diag::render_all(&diags[..1], &path.display().to_string(), &src);
            failed.push(first.lines().next().unwrap_or("").to_string());
        }
    }
    eprintln!(
        "{} of {} seeds compile; the others:",
        files.len() - failed.len(),
        files.len()
    );
    for f in &failed {
        eprintln!("  {f}");
    }
    assert!(
        failed.len() * 4 <= files.len(),
        "{} of {} seeds do not compile on the fake machine",
        failed.len(),
        files.len()
    );
}
