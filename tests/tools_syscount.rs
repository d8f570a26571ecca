//! `scry tool syscount`: counts of system calls the test itself makes
//! (access() of a missing file, getppid()), filtered to its pid, by
//! errno, by process, with latency, and as JSON.

mod tools_support;

use std::time::Duration;
use tools_support::*;

const ACCESS: usize = 3000;
const GETPPID: usize = 1500;

fn workload() {
    let missing = std::ffi::CString::new("/nonexistent/scry-syscount").unwrap();
    for _ in 0..ACCESS {
        unsafe { libc::syscall(libc::SYS_access, missing.as_ptr(), libc::F_OK) };
    }
    for _ in 0..GETPPID {
        unsafe { libc::syscall(libc::SYS_getppid) };
    }
}

/// (first column, count) of each row of the last table.
fn table(stdout: &str) -> Vec<(String, u64)> {
    let table = &stdout[stdout.rfind("COUNT").expect("a table")..];
    table
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| {
            let (name, rest) = l.split_at(22);
            let count = rest.split_whitespace().next().unwrap().parse().unwrap();
            (name.trim_end().to_string(), count)
        })
        .collect()
}

#[test]
fn counts_by_syscall_for_one_pid() {
    require_root!();
    let _g = serial();
    let me = std::process::id().to_string();
    let mut t = Tool::attached(&["syscount", "-p", &me], "Tracing syscalls");
    workload();
    let out = t.stop();
    out.assert_ok();
    assert!(
        out.stdout
            .starts_with("Tracing syscalls, printing top 10... Ctrl+C to quit.\n["),
        "{out}"
    );
    assert!(
        out.stdout.contains("\nSYSCALL                   COUNT\n"),
        "{out}"
    );
    let rows = table(&out.stdout);
    let get = |n: &str| rows.iter().find(|r| r.0 == n).map_or(0, |r| r.1);
    assert!(get("access") >= ACCESS as u64, "{out}");
    assert!(get("getppid") >= GETPPID as u64, "{out}");
    assert_eq!(rows[0].0, "access", "{out}");
    // Sorted by count, at most 10.
    assert!(rows.windows(2).all(|w| w[0].1 >= w[1].1), "{out}");
    assert!(rows.len() <= 10);
}

#[test]
fn errno_filter_latency_and_process_keys() {
    require_root!();
    let _g = serial();
    let me = std::process::id().to_string();
    let mut t = Tool::attached(
        &["syscount", "-p", &me, "-e", "ENOENT", "-L"],
        "Tracing syscalls",
    );
    workload();
    let out = t.stop();
    out.assert_ok();
    assert!(
        out.stdout
            .contains("\nSYSCALL                   COUNT        TIME (us)\n"),
        "{out}"
    );
    let rows = table(&out.stdout);
    assert!(
        rows.iter().any(|r| r.0 == "access" && r.1 >= ACCESS as u64),
        "{out}"
    );
    assert!(
        !rows.iter().any(|r| r.0 == "getppid"),
        "getppid never fails:\n{out}"
    );

    let mut t = Tool::attached(
        &["syscount", "-P", "-p", &me, "-T", "3"],
        "Tracing syscalls",
    );
    workload();
    let out = t.stop();
    out.assert_ok();
    assert!(
        out.stdout.contains("\nPID    COMM               COUNT\n"),
        "{out}"
    );
    let by_pid = table(&out.stdout);
    assert_eq!(by_pid.len(), 1, "{out}");
    assert!(by_pid[0].0.starts_with(&format!("{me:<6} ")), "{out}");
    assert!(by_pid[0].1 >= (ACCESS + GETPPID) as u64, "{out}");
}

#[test]
fn intervals_end_with_duration_and_json() {
    require_root!();
    let _g = serial();
    let me = std::process::id().to_string();
    let mut t = Tool::attached(&["syscount", "--json", "-p", &me, "-d", "2"], "");
    workload();
    let out = t.wait(Duration::from_secs(30));
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(lines.len(), 1, "{out}");
    let j = Json::parse(lines[0]).unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(j.keys(), ["time", "counts"]);
    let Json::Arr(counts) = j.get("counts").unwrap() else {
        panic!()
    };
    let access = counts
        .iter()
        .find(|c| c.get("syscall").and_then(Json::str) == Some("access"))
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(access.keys(), ["syscall", "nr", "count"]);
    assert_eq!(
        access.get("nr").unwrap().num(),
        Some(libc::SYS_access as f64)
    );
    assert!(access.get("count").unwrap().num().unwrap() >= ACCESS as f64);

    // -i 1: one table a second until -d ends the run.
    let mut t = Tool::attached(&["syscount", "-i", "1", "-d", "3"], "Tracing syscalls");
    let out = t.wait(Duration::from_secs(30));
    out.assert_ok();
    let tables = out.lines().iter().filter(|l| l.starts_with('[')).count();
    assert!((2..=4).contains(&tables), "{tables} tables:\n{out}");
}
