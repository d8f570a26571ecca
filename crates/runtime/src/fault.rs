//! Fault injection for the reliability tests. With `SCRY_FAULT=NAME` in the
//! environment, the point of that name panics, so a test can crash scry at a
//! known moment and check that the kernel kept nothing of it (its programs,
//! links and perf events are all scoped to its file descriptors).
//!
//! Points: `event` (the event loop, on the first event it reads).

use std::sync::OnceLock;

static ARMED: OnceLock<Option<String>> = OnceLock::new();

/// Panics if `SCRY_FAULT` names this point. The environment is read once.
pub fn point(name: &str) {
    let armed = ARMED.get_or_init(|| std::env::var("SCRY_FAULT").ok());
    if armed.as_deref() == Some(name) {
        panic!("fault injected at `{name}` (SCRY_FAULT)");
    }
}
