//! `scry tool opensnoop`: the rows of a workload the test runs (a copy of
//! cat under a name of our own, opening a file that exists and one that
//! does not), the filters (-n, -p in the kernel; -x in user space), the
//! optional columns, --json, and the plan choice.

mod tools_support;

use std::time::Duration;
use tools_support::*;

/// The fields of a row: PID COMM FD ERR PATH (COMM has no spaces here).
fn fields(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

#[test]
fn rows_of_a_workload() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("osnoop");
    let name = "osnoopwl";
    let prog = named_program(&dir, "/bin/cat", name);
    let exists = dir.join("exists.txt");
    std::fs::write(&exists, "x").unwrap();
    let missing = dir.join("missing.txt");
    let (exists, missing) = (exists.to_str().unwrap(), missing.to_str().unwrap());

    let mut t = Tool::attached(&["opensnoop", "-n", name], "PID");
    let (pid, _) = run_program(&prog, &[exists, missing]);
    t.expect_line("missing-file", |l| l.ends_with(missing));
    let out = t.stop();
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(lines[0], "PID    COMM              FD ERR PATH", "{out}");
    // Only the workload's opens: the name filter is in the kernel.
    for l in &lines[1..] {
        assert_eq!(fields(l)[1], name, "{out}");
    }
    let ok = lines
        .iter()
        .find(|l| l.ends_with(exists))
        .expect("exists row");
    let fd: i64 = fields(ok)[2].parse().unwrap();
    assert!(fd >= 3, "{out}");
    assert_eq!(
        *ok,
        format!("{pid:<6} {name:<16} {fd:>3} {:>3} {exists}", 0),
        "{out}"
    );
    let bad = lines.iter().find(|l| l.ends_with(missing)).unwrap();
    assert_eq!(
        *bad,
        format!("{pid:<6} {name:<16} {:>3} {:>3} {missing}", -1, 2),
        "{out}"
    );
}

#[test]
fn failed_only_with_time_and_uid_columns() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("osnoopx");
    let name = "osnoopx";
    let prog = named_program(&dir, "/bin/cat", name);
    let exists = dir.join("here");
    std::fs::write(&exists, "x").unwrap();
    let missing = dir.join("not-here");
    let (exists, missing) = (exists.to_str().unwrap(), missing.to_str().unwrap());

    let mut t = Tool::attached(&["opensnoop", "-x", "-T", "-U", "-n", name], "TIME");
    let (pid, _) = run_program(&prog, &[exists, missing]);
    t.expect_line("failed open", |l| l.ends_with(missing));
    let out = t.stop();
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(
        lines[0], "TIME     UID     PID    COMM              FD ERR PATH",
        "{out}"
    );
    assert!(
        !out.stdout.contains(exists),
        "-x shows a successful open:\n{out}"
    );
    let row = lines.iter().find(|l| l.ends_with(missing)).unwrap();
    let f = fields(row);
    assert_eq!(f[0].len(), 8, "{out}");
    assert_eq!(f[0].as_bytes()[2], b':', "{out}");
    assert_eq!(
        &row[9..],
        format!("{:<7} {pid:<6} {name:<16} {:>3} {:>3} {missing}", 0, -1, 2)
    );
    for l in &lines[1..] {
        assert_ne!(fields(l)[5], "0", "-x shows errno 0: {l}");
    }
}

#[test]
fn pid_filter_is_exact() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("osnoopp");
    let fifo = dir.join("go");
    let target = dir.join("target");
    std::fs::write(&target, "x").unwrap();
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    // A shell that opens `target` itself once the fifo is written.
    let script = format!("read x < {}; exec 3< {}", fifo.display(), target.display());
    let mut sh = std::process::Command::new("/bin/sh")
        .args(["-c", &script])
        .spawn()
        .unwrap();
    let pid = sh.id().to_string();

    let mut t = Tool::attached(&["opensnoop", "-p", &pid], "PID");
    std::fs::write(&fifo, "go\n").unwrap();
    let _ = sh.wait();
    let target = target.to_str().unwrap().to_string();
    t.expect_line("target", |l| l.ends_with(&target));
    // Other processes keep opening files meanwhile; none may show.
    let _ = std::fs::read_to_string("/etc/hostname");
    std::thread::sleep(Duration::from_millis(200));
    let out = t.stop();
    out.assert_ok();
    for l in &out.lines()[1..] {
        assert_eq!(fields(l)[0], pid, "a row of another process:\n{out}");
    }
}

#[test]
fn json_is_one_object_per_open() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("osnoopj");
    let name = "osnoopjs";
    let prog = named_program(&dir, "/bin/cat", name);
    // A path that needs escaping in JSON.
    let odd = dir.join("quote\"back\\slash");
    let odd = odd.to_str().unwrap();

    let mut t = Tool::attached(&["opensnoop", "--json", "-n", name], "");
    let (pid, _) = run_program(&prog, &[odd]);
    t.expect_line("odd path", |l| l.contains("quote"));
    let out = t.stop();
    out.assert_ok();
    assert!(!out.stdout.contains("Tracing"), "{out}");
    let mut seen = false;
    for l in out.lines() {
        let j = Json::parse(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
        assert_eq!(j.keys(), ["pid", "comm", "fd", "err", "path"], "{l}");
        assert_eq!(j.get("comm").unwrap().str(), Some(name));
        if j.get("path").unwrap().str() == Some(odd) {
            assert_eq!(j.get("pid").unwrap().num(), Some(pid as f64));
            assert_eq!(j.get("fd").unwrap().num(), Some(-1.0));
            assert_eq!(j.get("err").unwrap().num(), Some(2.0));
            seen = true;
        }
    }
    assert!(seen, "{out}");
}

#[test]
fn plan_choice_is_reported_and_can_be_forced() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("osnoopv");
    let name = "osnoopvv";
    let prog = named_program(&dir, "/bin/cat", name);
    let missing = dir.join("nothing");
    let missing = missing.to_str().unwrap();

    let mut t = Tool::attached(
        &["opensnoop", "-v", "--plan", "tracepoint-openat", "-n", name],
        "PID",
    );
    run_program(&prog, &[missing]);
    t.expect_line("row", |l| l.ends_with(missing));
    let out = t.stop();
    out.assert_ok();
    assert!(
        out.stderr
            .contains("opensnoop: plan tracepoint not used: not the plan asked for"),
        "{out}"
    );
    assert!(
        out.stderr.contains("opensnoop: using plan tracepoint-openat (opensnoop.bt): tracepoint:syscalls:sys_enter_openat"),
        "{out}"
    );
    assert!(!out.stderr.contains("sys_enter_open,"), "{out}");
}

#[test]
fn show_prints_the_script_that_would_run() {
    let out = run_tool(&["--show", "opensnoop", "-p", "42", "-n", "a\"b"]);
    out.assert_ok();
    assert!(out
        .stdout
        .starts_with("// opensnoop — probe plan: tracepoint (opensnoop.bt)\n"));
    assert!(
        out.stdout
            .contains("\n/pid == 42 && strcontains(comm, \"a\\\"b\")/\n"),
        "{out}"
    );
    assert!(!out.stdout.contains("{{"), "{out}");
    // Without filters the predicate line is gone, not left empty.
    let plain = run_tool(&["opensnoop", "--show"]);
    assert!(
        plain
            .stdout
            .contains("tracepoint:syscalls:sys_enter_openat*\n{\n"),
        "{plain}"
    );
}
