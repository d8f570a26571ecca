//! The fuzzing harness of scry's compiler: a fake machine, the properties
//! each input must satisfy, and a token-level mutator (see `harness.rs`).

pub mod harness;

use std::cell::RefCell;

use harness::{Mutator, Rng};

/// libFuzzer's custom mutator: half the time one of our token-level
/// mutations (which keeps inputs looking like scripts), otherwise
/// libFuzzer's own byte-level mutation.
pub fn custom_mutate(
    data: &mut [u8],
    size: usize,
    max_size: usize,
    seed: u32,
    fallback: impl FnOnce(&mut [u8], usize, usize) -> usize,
) -> usize {
    let mut rng = Rng::new(seed as u64);
    if rng.chance(2) {
        return fallback(data, size, max_size);
    }
    thread_local! {
        static MUTATOR: RefCell<Mutator> = RefCell::new(Mutator::new(0, harness::seeds()));
    }
    let input = String::from_utf8_lossy(&data[..size]).into_owned();
    let out = MUTATOR.with(|m| {
        let mut m = m.borrow_mut();
        m.rng = Rng::new(rng.next_u64());
        let rounds = 1 + m.rng.below(3);
        let mut s = input;
        for _ in 0..rounds {
            s = m.mutate_once(&s);
        }
        s
    });
    let bytes = out.as_bytes();
    let n = bytes.len().min(max_size);
    data[..n].copy_from_slice(&bytes[..n]);
    n
}

/// Runs one fuzz input: a panic whose message (with its location) is a
/// known bug (`harness::KNOWN_BUGS`) is let go, so the fuzzer goes on
/// looking for new ones; any other panic aborts, which libFuzzer reports
/// as a crash and saves the input.
pub fn guarded(f: impl FnOnce()) {
    use std::sync::Once;
    thread_local! {
        static LAST: RefCell<String> = const { RefCell::new(String::new()) };
    }
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let msg = info
                .payload()
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            let at = info
                .location()
                .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
                .unwrap_or_default();
            let trace = std::backtrace::Backtrace::force_capture();
            LAST.with(|l| *l.borrow_mut() = format!("{msg} at {at}\n{trace}"));
        }));
    });
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_err() {
        let msg = LAST.with(|l| l.borrow().clone());
        if harness::known_bug(&msg).is_some() {
            return;
        }
        eprintln!("panicked: {msg}");
        std::process::abort();
    }
}
