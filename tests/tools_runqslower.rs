//! `scry tool runqslower`: three busy threads of the test (named `rqslwl`)
//! pinned to one CPU wait for each other in its run queue; their waits
//! over 1 ms are rows, with the threads' ids, and nothing under 1 ms.

mod tools_support;

use std::time::Duration;
use tools_support::cpu::spin_on_cpu0;
use tools_support::*;

/// Three threads spinning on CPU 0 for `ms`; returns their tids.
fn contend(ms: u64) -> Vec<i32> {
    let spin = || std::thread::sleep(Duration::from_millis(ms));
    spin_on_cpu0("rqslwl", Duration::ZERO, spin).1
}

#[test]
fn waits_of_contending_threads() {
    require_root!();
    let _g = serial();
    let me = std::process::id().to_string();
    let mut t = Tool::attached(&["runqslower", "-P", "-p", &me, "1000"], "TIME");
    let tids = contend(500);
    t.expect_line("a wait", |l| l.contains(" rqslwl "));
    let out = t.stop();
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(
        lines[0], "Tracing run queue latency higher than 1000 us",
        "{out}"
    );
    assert_eq!(
        lines[1], "TIME     COMM             TID           LAT(us) PREV COMM        PREV TID",
        "{out}"
    );
    let mut rows = 0;
    for l in &lines[2..] {
        let f: Vec<&str> = l.split_whitespace().collect();
        let lat: u64 = f[3].parse().unwrap();
        assert!(lat >= 1000, "{l}");
        if f[1] == "rqslwl" {
            assert!(tids.contains(&f[2].parse().unwrap()), "{l}");
            rows += 1;
        }
    }
    assert!(rows >= 3, "{out}");
}

#[test]
fn a_threshold_no_wait_reaches() {
    require_root!();
    let _g = serial();
    let me = std::process::id().to_string();
    // 10 s: no spinning thread waits that long for its CPU.
    let mut t = Tool::attached(&["runqslower", "-p", &me, "10000000"], "TIME");
    contend(300);
    let out = t.stop();
    out.assert_ok();
    assert_eq!(out.lines().len(), 2, "{out}");
    assert_eq!(
        out.lines()[0],
        "Tracing run queue latency higher than 10000000 us"
    );
}
