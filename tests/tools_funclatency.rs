//! `scry tool funclatency`: a fixture function that sleeps 2.5 ms
//! (tests/fixtures/generic.c) lands in the 2048 -> 4095 usecs bucket (2 -> 3
//! msecs), one histogram per function and process as BCC keys user
//! functions, the avg/total/count line, `-p`, and JSON. `-l`: nested
//! calls (tests/fixtures/nested.c), the outermost levels timed.

mod tools_support;

use std::time::Duration;
use tools_support::*;

const N: usize = 8;
const SLEEP_US: &str = "2500";

/// (low, count) of each row of the histogram starting at line `from`.
fn buckets(lines: &[&str], from: usize) -> Vec<(u64, u64)> {
    lines[from + 1..]
        .iter()
        .take_while(|l| l.contains(" -> "))
        .map(|l| {
            let (range, rest) = l.split_once(':').unwrap();
            let low = range.split_whitespace().next().unwrap().parse().unwrap();
            let count = rest.split_whitespace().next().unwrap().parse().unwrap();
            (low, count)
        })
        .collect()
}

#[test]
fn sleeping_function_lands_in_its_bucket() {
    require_root!();
    let dir = TempDir::new("fl");
    let Some(bin) = compile_c(&dir, "generic.c") else {
        return;
    };
    let _g = serial();
    let spec = format!("{}:scry_gen_sleep", bin.display());
    let mut t = Tool::attached(&["funclatency", "-u", &spec], "Tracing 1 functions");
    let mut p = Program::start(&bin, &[&N.to_string(), SLEEP_US]);
    let pid = p.pid();
    assert!(p.wait().is_some_and(|s| s.success()));
    let out = t.stop();
    out.assert_ok();
    let lines = out.lines();
    // User functions traced in every process: a section per process.
    let at = lines
        .iter()
        .position(|l| *l == format!("Function = scry_gen_sleep [{pid}]"))
        .unwrap_or_else(|| panic!("no section:\n{out}"));
    assert_eq!(
        lines[at + 1],
        "     usecs               : count    distribution",
        "{out}"
    );
    let b = buckets(&lines, at + 1);
    assert_eq!(b.iter().map(|x| x.1).sum::<u64>(), N as u64, "{out}");
    assert!(b.iter().all(|&(low, c)| c == 0 || low >= 2048), "{out}");
    let peak = b.iter().max_by_key(|x| x.1).unwrap();
    assert_eq!(peak.0, 2048, "most calls take 2.5 ms:\n{out}");
    let avg_line = lines
        .iter()
        .find(|l| l.starts_with("avg = "))
        .unwrap_or_else(|| panic!("{out}"));
    let f: Vec<&str> = avg_line.split_whitespace().collect();
    // avg = A usecs, total: T usecs, count: N
    assert_eq!(
        (f[3], f[6], f[8]),
        ("usecs,", "usecs,", &*N.to_string()),
        "{out}"
    );
    let avg: u64 = f[2].parse().unwrap();
    assert!((2500..10_000).contains(&avg), "{out}");
    assert!(out.stdout.ends_with("\nDetaching...\n"), "{out}");
}

#[test]
fn one_process_in_msecs_and_json() {
    require_root!();
    let dir = TempDir::new("flp");
    let Some(bin) = compile_c(&dir, "generic.c") else {
        return;
    };
    let _g = serial();
    let go = dir.join("go");
    let go_s = go.to_str().unwrap();
    let spec = format!("{}:scry_gen_s*", bin.display());

    // -p: one histogram for the process (no section), in msecs.
    let mut p = Program::start(&bin, &[&N.to_string(), SLEEP_US, go_s]);
    let pid = p.pid().to_string();
    let mut t = Tool::attached(
        &["funclatency", "-m", "-p", &pid, &spec],
        "Tracing 2 functions",
    );
    std::fs::write(&go, b"").unwrap();
    assert!(p.wait().is_some_and(|s| s.success()));
    let out = t.stop();
    out.assert_ok();
    let lines = out.lines();
    assert!(!out.stdout.contains("Function = "), "{out}");
    let at = lines
        .iter()
        .position(|l| l.trim_start().starts_with("msecs "))
        .unwrap_or_else(|| panic!("{out}"));
    let b = buckets(&lines, at);
    // N sleeps of 2.5 ms (2 -> 3, later on a loaded machine) and N
    // syscalls (0 -> 1).
    assert_eq!(b[0], (0, N as u64), "{out}");
    assert_eq!(b[1].0, 2, "{out}");
    assert_eq!(b[1..].iter().map(|x| x.1).sum::<u64>(), N as u64, "{out}");
    assert!(
        out.stdout.contains(&format!(", count: {}\n", 2 * N)),
        "{out}"
    );

    // --json -F: one object for the run, a histogram per function.
    std::fs::remove_file(&go).unwrap();
    let mut p = Program::start(&bin, &[&N.to_string(), SLEEP_US, go_s]);
    let pid = p.pid().to_string();
    let mut t = Tool::attached(
        &["funclatency", "--json", "-F", "-p", &pid, "-d", "3", &spec],
        "",
    );
    std::fs::write(&go, b"").unwrap();
    assert!(p.wait().is_some_and(|s| s.success()));
    let out = t.wait(Duration::from_secs(30));
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(lines.len(), 1, "{out}");
    let v = Json::parse(lines[0]).unwrap();
    assert_eq!(
        v.keys(),
        ["time", "unit", "histograms", "avg", "total", "count"],
        "{out}"
    );
    assert_eq!(v.get("unit").and_then(Json::str), Some("nsecs"));
    assert_eq!(v.get("count").and_then(Json::num), Some(2.0 * N as f64));
    let Some(Json::Arr(h)) = v.get("histograms") else {
        panic!("{out}")
    };
    let funcs: Vec<&str> = h.iter().filter_map(|x| x.get("func")?.str()).collect();
    assert_eq!(funcs, ["scry_gen_sleep", "scry_gen_syscall"], "{out}");
    assert_eq!(
        h[0].get("pid").and_then(Json::num),
        Some(pid.parse::<f64>().unwrap())
    );
}

/// The times of all calls of a run, as the histogram's (low, count) rows
/// and the count of its avg line.
fn latencies(args: &[&str], bin: &std::path::Path, run: &[&str]) -> (Vec<(u64, u64)>, String) {
    let mut t = Tool::attached(args, "Tracing 1 functions");
    let (_, status) = run_program(bin, run);
    assert!(status.success());
    let out = t.stop();
    out.assert_ok();
    let lines = out.lines();
    let at = lines
        .iter()
        .position(|l| l.trim_start().starts_with("usecs "))
        .unwrap_or_else(|| panic!("{out}"));
    let count = lines
        .iter()
        .find_map(|l| l.split_once(", count: "))
        .map_or(String::new(), |(_, c)| c.to_string());
    (buckets(&lines, at), count)
}

/// Three levels of calls of 10, 20 and 30 ms (innermost first): alone
/// only the innermost is timed; -l 2 times the outer two, not the inner.
#[test]
fn nested_calls_with_levels() {
    require_root!();
    let dir = TempDir::new("fll");
    let Some(bin) = compile_c(&dir, "nested.c") else {
        return;
    };
    let _g = serial();
    let spec = format!("{}:scry_nest", bin.display());
    let run = ["3", "3", "10000"];
    // 16384 us: above the innermost call (10 ms), below the others.
    let split = 16384;
    let (b, count) = latencies(&["funclatency", "-u", &spec], &bin, &run);
    assert_eq!(count, "3", "{b:?}");
    assert!(b.iter().all(|&(low, c)| c == 0 || low < split), "{b:?}");
    let (b, count) = latencies(&["funclatency", "-u", "-l", "2", &spec], &bin, &run);
    assert_eq!(count, "6", "{b:?}");
    assert!(b.iter().all(|&(low, c)| c == 0 || low >= split), "{b:?}");
    // -l 3: every level.
    let (b, count) = latencies(&["funclatency", "-u", "-l", "3", &spec], &bin, &run);
    assert_eq!(count, "9", "{b:?}");
    let inner: u64 = b.iter().filter(|x| x.0 < split).map(|x| x.1).sum();
    assert_eq!(inner, 3, "{b:?}");
}
