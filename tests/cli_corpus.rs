//! The bpftrace tools corpus: `scry --dry-run` on every /usr/sbin/*.bt.
//! Not all are expected to compile yet (many need kprobes, which this
//! kernel lacks); the test prints a table of results and fails only if
//! scry panics or hangs on one of them.

mod common;

use common::*;
use std::time::Duration;

#[test]
fn dry_run_bpftrace_tools() {
    require_root!();
    let _g = serial();
    let Ok(rd) = std::fs::read_dir("/usr/sbin") else {
        eprintln!("skipped: no /usr/sbin");
        return;
    };
    let mut scripts: Vec<_> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "bt"))
        .collect();
    scripts.sort();
    if scripts.is_empty() {
        eprintln!("skipped: no /usr/sbin/*.bt");
        return;
    }
    let mut bad = Vec::new();
    let mut ok = 0;
    let mut table = String::from("| script | result |\n|---|---|\n");
    for path in &scripts {
        let p = path.to_str().unwrap();
        let out = Scry::start(&["--dry-run", p]).wait(Duration::from_secs(60));
        let name = path.file_name().unwrap().to_string_lossy();
        let result = if out.timed_out {
            "HANG (killed after 60 s)".to_string()
        } else if out.panicked() {
            format!(
                "PANIC: {}",
                out.stderr
                    .lines()
                    .find(|l| l.contains("panicked"))
                    .unwrap_or("")
            )
        } else if out.ok() {
            ok += 1;
            "ok".to_string()
        } else {
            out.stderr
                .lines()
                .next()
                .unwrap_or("(no message)")
                .to_string()
        };
        if out.timed_out || out.panicked() {
            bad.push(format!("{name}: {result}\n{out}"));
        }
        table.push_str(&format!("| {name} | {} |\n", result.replace('|', "\\|")));
    }
    println!("{table}\n{ok}/{} compiled and verified", scripts.len());
    assert!(bad.is_empty(), "panics or hangs:\n{}", bad.join("\n"));
}
