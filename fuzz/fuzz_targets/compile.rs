//! Any text through the whole compiler for a fake machine without BTF:
//! a program or diagnostics, never a panic; programs assemble.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::{fuzz_mutator, fuzz_target};
use scry_fuzz::harness::{check_compile, fuzz_options, FakeEnv};

fuzz_target!(|data: &[u8]| {
    static ENV: OnceLock<FakeEnv> = OnceLock::new();
    let env = ENV.get_or_init(FakeEnv::new);
    scry_fuzz::guarded(|| {
        check_compile(&String::from_utf8_lossy(data), env, &fuzz_options());
    });
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    scry_fuzz::custom_mutate(data, size, max_size, seed, |d, s, m| {
        libfuzzer_sys::fuzzer_mutate(d, s, m)
    })
});
