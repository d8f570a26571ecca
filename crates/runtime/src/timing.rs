//! Start-up phase marks on stderr, with `SCRY_TIMING=1`.
//!
//! Each [`mark`] prints `scry-timing: <phase> <+ms since the previous mark>
//! <ms since T0>`, where T0 is `SCRY_T0` (a CLOCK_MONOTONIC time in ns,
//! which `bench/startup.sh` sets just before it forks scry) or else the
//! first mark. Without `SCRY_TIMING` a mark costs one atomic load.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// The reference time (ns), when marks are on.
fn origin() -> Option<u64> {
    static ORIGIN: OnceLock<Option<u64>> = OnceLock::new();
    *ORIGIN.get_or_init(|| {
        let on = std::env::var_os("SCRY_TIMING").is_some_and(|v| !v.is_empty() && v != "0");
        on.then(|| {
            std::env::var("SCRY_T0")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(crate::session::monotonic_ns)
        })
    })
}

/// Whether `SCRY_TIMING` is set.
pub fn enabled() -> bool {
    origin().is_some()
}

/// Prints one phase mark when `SCRY_TIMING` is set.
pub fn mark(phase: &str) {
    static PREVIOUS: AtomicU64 = AtomicU64::new(0);
    let Some(t0) = origin() else { return };
    let now = crate::session::monotonic_ns();
    let prev = match PREVIOUS.swap(now, Ordering::Relaxed) {
        0 => t0,
        p => p,
    };
    let ms = |ns: u64| ns as f64 / 1e6;
    eprintln!(
        "scry-timing: {phase:<24} +{:8.3} ms  {:8.3} ms",
        ms(now.saturating_sub(prev)),
        ms(now.saturating_sub(t0))
    );
}
