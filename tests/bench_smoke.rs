//! The benchmark harness (bench/run) checks itself: its parsers on canned
//! outputs of its C helpers, /proc and bpftool, and a BENCHMARKS.md rendered
//! from canned results and read back. No tracing, no root, about a second.

use std::path::Path;
use std::process::Command;

#[test]
fn bench_harness_self_test() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("skipped: no python3");
        return;
    }
    let out = Command::new("python3")
        .arg(root.join("bench/run"))
        .arg("--self-test")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run bench/run --self-test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("self-test ok"),
        "bench/run --self-test failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
}
