//! Any bytes (as lossy UTF-8) through the parser: no panic, and the
//! diagnostics and the AST dump render.
#![no_main]

use libfuzzer_sys::{fuzz_mutator, fuzz_target};
use scry_fuzz::harness::check_parse;

fuzz_target!(|data: &[u8]| {
    scry_fuzz::guarded(|| check_parse(&String::from_utf8_lossy(data)));
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    scry_fuzz::custom_mutate(data, size, max_size, seed, |d, s, m| {
        libfuzzer_sys::fuzzer_mutate(d, s, m)
    })
});
