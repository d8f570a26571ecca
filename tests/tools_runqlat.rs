//! `scry tool runqlat`: run queue latency of a workload the test makes
//! (more spinning threads than CPUs, so each waits for a CPU), per process
//! (-P) and per thread (-L), filtered to the test's pid (-p); and the one
//! line a tool prints when no plan can take its flags.

mod tools_support;

use std::time::{Duration, Instant};
use tools_support::*;

/// Threads named `rqspinN` spinning for `secs` seconds: twice as many as
/// CPUs, so every one of them spends time runnable but not running.
fn spin(secs: f64) {
    let n = 2 * std::thread::available_parallelism().map_or(2, |n| n.get());
    let handles: Vec<_> = (0..n)
        .map(|i| {
            std::thread::Builder::new()
                .name(format!("rqspin{i}"))
                .spawn(move || {
                    let end = Instant::now() + Duration::from_secs_f64(secs);
                    let mut x = 0u64;
                    while Instant::now() < end {
                        x = x.wrapping_mul(31).wrapping_add(1);
                        std::hint::black_box(x);
                    }
                })
                .unwrap()
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

/// (section line, total count) of each histogram of a run.
fn sections(stdout: &str) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = Vec::new();
    for l in stdout.lines() {
        if l.starts_with("pid = ") || l.starts_with("tid = ") {
            v.push((l.to_string(), 0));
        } else if let (Some(last), Some((_, rest))) = (v.last_mut(), l.split_once(" : ")) {
            if l.contains(" -> ") {
                last.1 += rest
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .parse::<u64>()
                    .unwrap();
            }
        }
    }
    v
}

#[test]
fn per_process_histogram_for_one_pid() {
    require_root!();
    let _g = serial();
    let me = std::process::id().to_string();
    let mut t = Tool::attached(&["runqlat", "-P", "-p", &me], "Tracing run queue latency");
    spin(1.0);
    let out = t.stop();
    out.assert_ok();
    let secs = sections(&out.stdout);
    assert!(!secs.is_empty(), "{out}");
    for (line, total) in &secs {
        assert!(
            line.starts_with(&format!("pid = {me} ")),
            "another pid:\n{out}"
        );
        assert!(*total > 0, "{out}");
    }
    // Waits of a millisecond and more: the spinners queue behind each other.
    assert!(
        out.stdout.lines().any(|l| {
            l.trim_start().starts_with("1024 -> 2047")
                || l.trim_start().starts_with("2048 -> 4095")
                || l.trim_start().starts_with("4096 -> 8191")
        }),
        "{out}"
    );
}

#[test]
fn per_thread_histograms_on_both_plans() {
    require_root!();
    let _g = serial();
    for plan in ["rawtracepoint", "tracepoint"] {
        let mut t = Tool::attached(
            &["runqlat", "-L", "-m", "--plan", plan],
            "Tracing run queue latency",
        );
        spin(0.6);
        let out = t.stop();
        out.assert_ok();
        let spinners: Vec<_> = sections(&out.stdout)
            .into_iter()
            .filter(|(l, _)| l.contains(" rqspin"))
            .collect();
        let n = 2 * std::thread::available_parallelism().map_or(2, |n| n.get());
        assert!(spinners.len() >= n, "{plan}: {spinners:?}\n{out}");
        assert!(out
            .stdout
            .contains("     msecs               : count    distribution\n"));
        for (line, total) in &spinners {
            assert!(line.starts_with("tid = "), "{line}");
            assert!(*total > 0, "{plan}: {line}\n{out}");
        }
    }
}

#[test]
fn json_per_interval() {
    require_root!();
    let _g = serial();
    let mut t = Tool::attached(&["runqlat", "--json", "-P", "1", "1"], "");
    spin(0.3);
    let out = t.wait(Duration::from_secs(30));
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(lines.len(), 1, "{out}");
    let j = Json::parse(lines[0]).unwrap_or_else(|e| panic!("{e}\n{out}"));
    let Json::Arr(hists) = j.get("histograms").unwrap() else {
        panic!()
    };
    let me = std::process::id() as f64;
    let mine = hists
        .iter()
        .find(|h| h.get("pid").and_then(Json::num) == Some(me))
        .unwrap_or_else(|| panic!("no pid {me}:\n{out}"));
    assert_eq!(mine.keys(), ["pid", "comm", "buckets"]);
}

#[test]
fn no_plan_for_the_flags_is_one_line_and_an_error() {
    require_root!();
    let _g = serial();
    let out = run_tool(&["runqlat", "-P", "--plan", "tracepoint"]);
    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(out.stdout, "", "{out}");
    assert_eq!(
        out.stderr,
        "runqlat: cannot run on this kernel (rawtracepoint: not the plan asked for (--plan tracepoint); tracepoint: cannot honour -P)\n"
    );
}
