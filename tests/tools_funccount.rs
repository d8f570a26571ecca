//! `scry tool funccount`: calls counted by uprobes on a C fixture
//! (tests/fixtures/generic.c) with wildcards and regular expressions, a
//! syscall tracepoint filtered to the test's own pid, intervals, JSON, and
//! the one-line error for kernel functions on a kernel without fentry and
//! kprobes.

mod tools_support;

use std::time::Duration;
use tools_support::*;

const N: usize = 7;

/// (FUNC, COUNT) rows of the last table.
fn table(stdout: &str) -> Vec<(String, u64)> {
    let at = stdout.rfind("\nFUNC ").expect("a table") + 1;
    stdout[at..]
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty() && *l != "Detaching...")
        .map(|l| {
            let (name, count) = l.rsplit_once(' ').unwrap();
            (name.trim_end().to_string(), count.parse().unwrap())
        })
        .collect()
}

#[test]
fn counts_user_functions_by_wildcard_and_regex() {
    require_root!();
    let dir = TempDir::new("fc");
    let Some(bin) = compile_c(&dir, "generic.c") else {
        return;
    };
    let _g = serial();
    let spec = format!("{}:scry_gen_*", bin.display());
    let mut t = Tool::attached(&["funccount", &spec], "Tracing");
    run_program(&bin, &[&N.to_string(), "100"]);
    let out = t.stop();
    out.assert_ok();
    assert!(
        out.stdout
            .starts_with(&format!("Tracing 4 functions for \"{spec}\"... Hit Ctrl-C to end.\n\nFUNC                                    COUNT\n")),
        "{out}"
    );
    assert!(out.stdout.ends_with("Detaching...\n"), "{out}");
    let rows = table(&out.stdout);
    for f in [
        "scry_gen_count",
        "scry_gen_args",
        "scry_gen_sleep",
        "scry_gen_syscall",
    ] {
        assert!(rows.contains(&(f.to_string(), N as u64)), "{f}:\n{out}");
    }
    assert_eq!(rows.len(), 4, "{out}");
    assert!(
        out.stdout
            .contains(&format!("\nscry_gen_count{} 7\n", " ".repeat(29))),
        "{out}"
    );

    // -r: a regular expression, matched from the name's start.
    let spec = format!("{}:scry_gen_(count|args)$", bin.display());
    let mut t = Tool::attached(&["funccount", "-r", &spec], "Tracing 2 functions");
    run_program(&bin, &["3", "100"]);
    let out = t.stop();
    out.assert_ok();
    let mut rows = table(&out.stdout);
    rows.sort();
    assert_eq!(
        rows,
        [
            ("scry_gen_args".to_string(), 3),
            ("scry_gen_count".to_string(), 3)
        ],
        "{out}"
    );
}

#[test]
fn counts_a_tracepoint_for_one_pid_with_intervals_and_json() {
    require_root!();
    let _g = serial();
    let me = std::process::id().to_string();
    let calls = || {
        for _ in 0..N {
            unsafe { libc::syscall(libc::SYS_getppid) };
        }
    };
    let mut t = Tool::attached(
        &["funccount", "-p", &me, "t:syscalls:sys_enter_getppid"],
        "Tracing 1 functions",
    );
    calls();
    let out = t.stop();
    out.assert_ok();
    assert_eq!(
        table(&out.stdout),
        [("syscalls:sys_enter_getppid".to_string(), N as u64)],
        "{out}"
    );

    // -i 1 -d 3 -T: one timestamped table per second, then Detaching.
    let mut t = Tool::attached(
        &[
            "funccount",
            "-T",
            "-i",
            "1",
            "-d",
            "3",
            "-p",
            &me,
            "t:syscalls:sys_enter_getpp*",
        ],
        "Tracing",
    );
    calls();
    let out = t.wait(Duration::from_secs(30));
    out.assert_ok();
    assert!(
        (2..=4).contains(&out.stdout.matches("\nFUNC ").count()),
        "{out}"
    );
    let stamp = out.stdout.lines().nth(2).unwrap();
    assert!(stamp.len() == 8 && stamp.as_bytes()[2] == b':', "{out}");
    let total: u64 = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("syscalls:sys_enter_getppid "))
        .map(|l| l.rsplit_once(' ').unwrap().1.parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, N as u64, "{out}");

    let mut t = Tool::attached(
        &[
            "funccount",
            "--json",
            "-d",
            "2",
            "-p",
            &me,
            "t:syscalls:sys_enter_getppid",
        ],
        "",
    );
    calls();
    let out = t.wait(Duration::from_secs(30));
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(lines.len(), 1, "{out}");
    let v = Json::parse(lines[0]).unwrap();
    assert_eq!(v.keys(), ["time", "counts"], "{out}");
    let Some(Json::Arr(counts)) = v.get("counts") else {
        panic!("{out}")
    };
    assert_eq!(counts.len(), 1, "{out}");
    assert_eq!(
        counts[0].get("func").and_then(Json::str),
        Some("syscalls:sys_enter_getppid")
    );
    assert_eq!(counts[0].get("count").and_then(Json::num), Some(N as f64));
}

#[test]
fn kernel_functions_without_fentry_or_kprobes_fail_in_one_line() {
    require_root!();
    if kernel_functions_traceable() {
        eprintln!("skipped: this kernel has kprobes or fentry");
        return;
    }
    let _g = serial();
    for args in [
        &["funccount", "vfs_read"][..],
        &["funccount", "-p", "1", "p::vfs_*"],
    ] {
        let out = run_tool(args);
        assert_eq!(out.code, Some(1), "{out}");
        assert_eq!(out.stdout, "", "{out}");
        assert_eq!(out.stderr.lines().count(), 1, "{out}");
        assert!(
            out.stderr
                .starts_with("funccount: cannot run on this kernel ("),
            "{out}"
        );
        assert!(
            out.stderr.contains("fentry/fexit are not supported"),
            "{out}"
        );
        assert!(out.stderr.contains("kprobes are not supported"), "{out}");
    }
    // A bad spec is a user error, in one line too.
    let out = run_tool(&["funccount", "x:y:z"]);
    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(
        out.stderr, "funccount: probe type must be 'p', 't' or 'u', not 'x' (in 'x:y:z')\n",
        "{out}"
    );
}
