//! `scry tool cpudist`: a thread of the test (named `cpudwl`) alternates
//! 5 ms of spinning and 5 ms of sleep, 40 times; its on-CPU histogram
//! (-L, per thread) and its off-CPU histogram (-O) both peak around 5 ms.

mod tools_support;

use std::time::{Duration, Instant};
use tools_support::*;

/// Spins 5 ms and sleeps 5 ms, 40 times, in a thread; returns its tid.
fn spin_and_sleep() -> i32 {
    std::thread::Builder::new()
        .name("cpudwl".into())
        .spawn(|| {
            for _ in 0..40 {
                let t = Instant::now();
                while t.elapsed() < Duration::from_millis(5) {
                    std::hint::spin_loop();
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            unsafe { libc::gettid() }
        })
        .unwrap()
        .join()
        .unwrap()
}

/// The (low, count) rows of the histogram after `section`.
fn hist_after(out: &str, section: &str) -> Vec<(u64, u64)> {
    let Some(at) = out.find(section) else {
        panic!("no '{section}' in:\n{out}");
    };
    out[at..]
        .lines()
        .skip_while(|l| !l.contains(" : count "))
        .skip(1)
        .take_while(|l| l.contains(" -> "))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].parse().unwrap(), f[4].parse().unwrap())
        })
        .collect()
}

/// Counts in the rows from 2048 to 16383 usecs (5 ms, give or take).
fn around_5ms(rows: &[(u64, u64)]) -> u64 {
    rows.iter()
        .filter(|(lo, _)| (2048..=8192).contains(lo))
        .map(|(_, c)| c)
        .sum()
}

#[test]
fn on_cpu_per_thread() {
    require_root!();
    let _g = serial();
    let me = std::process::id().to_string();
    let mut t = Tool::attached(&["cpudist", "-L", "-p", &me], "Tracing");
    let tid = spin_and_sleep();
    let out = t.stop();
    out.assert_ok();
    assert!(out
        .stdout
        .starts_with("Tracing on-CPU time... Hit Ctrl-C to end.\n"));
    let rows = hist_after(&out.stdout, &format!("\ntid = {tid} cpudwl\n"));
    // 40 slices of 5 ms (a slice may be cut by preemption on a busy
    // machine: most, not all).
    assert!(around_5ms(&rows) >= 30, "{out}");
}

#[test]
fn off_cpu_of_the_process() {
    require_root!();
    let _g = serial();
    let me = std::process::id().to_string();
    let mut t = Tool::attached(&["cpudist", "-O", "-P", "-p", &me], "Tracing");
    spin_and_sleep();
    let out = t.stop();
    out.assert_ok();
    assert!(out
        .stdout
        .starts_with("Tracing off-CPU time... Hit Ctrl-C to end.\n"));
    // -P: one histogram for the process (named after its main thread).
    let at = out
        .stdout
        .find(&format!("\npid = {me} "))
        .expect("pid section");
    let section = out.stdout[at..].lines().nth(1).unwrap().to_string();
    let rows = hist_after(&out.stdout, &format!("{section}\n"));
    assert!(around_5ms(&rows) >= 30, "{out}");
    assert_eq!(out.stdout.matches("\npid = ").count(), 1, "{out}");
}
