//! `scry tool runqlen`: three busy threads of the test pinned to CPU 0
//! keep two tasks waiting in its run queue; per CPU (-C), CPU 0's linear
//! histogram has most of its samples at 2 or more.

mod tools_support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tools_support::*;

/// Runs `f` while three threads spin on CPU 0.
fn with_contention(f: impl FnOnce()) {
    let stop = Arc::new(AtomicBool::new(false));
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || unsafe {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                libc::CPU_SET(0, &mut set);
                libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set);
                while !stop.load(Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(200));
    f();
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn cpu0_queue_of_spinning_threads() {
    require_root!();
    let _g = serial();
    let mut out = None;
    with_contention(|| out = Some(run_tool(&["runqlen", "-C", "1", "1"])));
    let out = out.unwrap();
    out.assert_ok();
    let text = &out.stdout;
    assert!(text.starts_with("Sampling run queue length... Hit Ctrl-C to end.\n\n"));
    let at = text.find("cpu = 0\n").unwrap_or_else(|| panic!("{out}"));
    let block: Vec<(u64, u64)> = text[at..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with("        "))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].parse().unwrap(), f[2].parse().unwrap())
        })
        .collect();
    assert_eq!(
        text[at..].lines().nth(1),
        Some("     runqlen       : count     distribution"),
        "{out}"
    );
    let total: u64 = block.iter().map(|(_, c)| c).sum();
    let waiting: u64 = block.iter().filter(|(v, _)| *v >= 2).map(|(_, c)| c).sum();
    assert!(total >= 50, "{out}");
    assert!(waiting * 2 >= total, "{waiting} of {total}\n{out}");
}
