//! Compiling the C fixtures of tests/fixtures (shared by tests/common and
//! tests/tools_support).

use std::path::{Path, PathBuf};
use std::process::Command;

/// Compiles `tests/fixtures/SOURCE` into `dir`, returning the binary path,
/// or None (with a message) if no C compiler is available.
pub fn compile_c(dir: &Path, source: &str, extra: &[&str]) -> Option<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(source);
    let bin = dir.join(source.trim_end_matches(".c"));
    let out = Command::new("cc")
        .args(["-g", "-O0", "-fno-omit-frame-pointer", "-o"])
        .arg(&bin)
        .arg(&src)
        .args(extra)
        .output();
    match out {
        Ok(o) if o.status.success() => Some(bin),
        Ok(o) => panic!(
            "cc {} failed:\n{}",
            src.display(),
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => {
            eprintln!("skipped: no C compiler ({e})");
            None
        }
    }
}
