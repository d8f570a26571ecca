//! `scry tool offcputime`: a thread of the test (named `offcwl`) sleeps
//! 20 times 10 ms; its kernel stack through do_nanosleep holds about
//! 200 ms of off-CPU time.

mod tools_support;

use std::time::Duration;
use tools_support::*;

fn sleeper() {
    std::thread::Builder::new()
        .name("offcwl".into())
        .spawn(|| {
            for _ in 0..20 {
                std::thread::sleep(Duration::from_millis(10));
            }
        })
        .unwrap()
        .join()
        .unwrap();
}

/// The summed time of the stacks of `comm` whose frames include `frame`.
fn time_through(text: &str, comm: &str, frame: &str) -> u64 {
    text.split("\n\n")
        .filter(|b| b.contains(&format!("    -                {comm} (")))
        .filter(|b| b.lines().any(|l| l.trim() == frame))
        .map(|b| b.lines().last().unwrap().trim().parse::<u64>().unwrap())
        .sum()
}

#[test]
fn sleeps_of_a_thread_by_kernel_stack() {
    require_root!();
    let _g = serial();
    let me = std::process::id().to_string();
    let mut t = Tool::attached(&["offcputime", "-K", "-p", &me], "Tracing");
    sleeper();
    let out = t.stop();
    out.assert_ok();
    assert!(out.stdout.starts_with(&format!(
        "Tracing off-CPU time (us) of PID {me} by kernel stack... Hit Ctrl-C to end.\n"
    )));
    let us = time_through(&out.stdout, "offcwl", "do_nanosleep");
    // 20 × 10 ms asked; each sleep lasts a little longer.
    assert!((190_000..400_000).contains(&us), "{us} us\n{out}");
}

#[test]
fn folded_with_a_minimum() {
    require_root!();
    let _g = serial();
    let me = std::process::id().to_string();
    // Blocks of 5 ms or more only: the 10 ms sleeps are all there.
    let mut t = Tool::start(&["offcputime", "-K", "-f", "-m", "5000", "-p", &me]);
    // Folded output keeps the "Tracing" line on stderr.
    assert!(t.wait_until(ATTACH_TIMEOUT, |_, err| err.contains("Tracing")));
    sleeper();
    let out = t.stop();
    out.assert_ok();
    let mut total = 0;
    for l in out.lines() {
        let (stack, us) = l.rsplit_once(' ').unwrap();
        let us: u64 = us.parse().unwrap();
        assert!(us >= 5000, "{l}");
        if stack.starts_with("offcwl;") && stack.contains(";do_nanosleep;") {
            total += us;
        }
    }
    assert!(total >= 190_000, "{total}\n{out}");
}
