//! As `compile`, with this machine's kernel BTF (`/sys/kernel/btf/vmlinux`):
//! casts, struct walks, fentry/fexit, rawtracepoint arguments, curtask.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::{fuzz_mutator, fuzz_target};
use scry_fuzz::harness::{check_compile, fuzz_options, FakeEnv};

fuzz_target!(|data: &[u8]| {
    static ENV: OnceLock<FakeEnv> = OnceLock::new();
    let env = ENV.get_or_init(FakeEnv::with_kernel_btf);
    scry_fuzz::guarded(|| {
        check_compile(&String::from_utf8_lossy(data), env, &fuzz_options());
    });
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    scry_fuzz::custom_mutate(data, size, max_size, seed, |d, s, m| {
        libfuzzer_sys::fuzzer_mutate(d, s, m)
    })
});
