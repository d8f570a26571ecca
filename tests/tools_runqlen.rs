//! `scry tool runqlen`: three busy threads of the test pinned to CPU 0
//! keep two tasks waiting in its run queue; per CPU (-C), CPU 0's linear
//! histogram has most of its samples at 2 or more.

mod tools_support;

use tools_support::cpu::spin_on_cpu0;
use tools_support::*;

#[test]
fn cpu0_queue_of_spinning_threads() {
    require_root!();
    let _g = serial();
    let settle = std::time::Duration::from_millis(200);
    let (out, _) = spin_on_cpu0("rqlenwl", settle, || run_tool(&["runqlen", "-C", "1", "1"]));
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
