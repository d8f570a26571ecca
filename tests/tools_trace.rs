//! `scry tool trace`: BCC's trace probes on a C fixture
//! (tests/fixtures/generic.c): the arguments (BCC's 1-based arg1, arg2) and
//! return values it prints, a filter, `-M` ending the run, `-T`; a
//! tracepoint's field for the test's own pid; JSON.

mod tools_support;

use std::time::Duration;
use tools_support::*;

/// The rows (after the header) split into their columns: PID TID COMM
/// FUNC and the message.
fn rows(stdout: &str) -> Vec<(String, String, String, String, String)> {
    stdout
        .lines()
        .skip(1)
        .map(|l| {
            let (fixed, msg) = (l.get(..49).unwrap_or(l), l.get(49..).unwrap_or(""));
            let f: Vec<&str> = fixed.split_whitespace().collect();
            let get = |i: usize| f.get(i).unwrap_or(&"").to_string();
            (get(0), get(1), get(2), get(3), msg.to_string())
        })
        .collect()
}

#[test]
fn prints_arguments_and_return_values_of_user_functions() {
    require_root!();
    let dir = TempDir::new("tr");
    let Some(bin) = compile_c(&dir, "generic.c") else {
        return;
    };
    let _g = serial();
    let b = bin.display();
    let entry = format!("{b}:scry_gen_args (arg1 != 1) \"n=%d text=%s\", arg1, arg2");
    let ret = format!("r:{b}:scry_gen_args \"ret %d\", retval");
    let mut t = Tool::attached(&["trace", &entry, &ret], "PID ");
    let mut p = Program::start(&bin, &["6", "10"]);
    let pid = p.pid().to_string();
    assert!(p.wait().is_some_and(|s| s.success()));
    t.expect_line("last return", |l| {
        l.ends_with(" ret 20") && l.contains(&pid)
    });
    let out = t.stop();
    out.assert_ok();
    assert_eq!(
        out.lines()[0],
        "PID     TID     COMM            FUNC             -",
        "{out}"
    );
    let rows = rows(&out.stdout);
    assert!(
        rows.iter()
            .all(|r| r.0 == pid && r.1 == pid && r.2 == "generic"),
        "{out}"
    );
    assert!(rows.iter().all(|r| r.3 == "scry_gen_args"), "{out}");
    let msgs: Vec<&str> = rows.iter().map(|r| r.4.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "n=0 text=item-0",
            "ret 0",
            "ret 10",
            "n=2 text=item-2",
            "ret 20",
            "n=0 text=item-0",
            "ret 0",
            "ret 10",
            "n=2 text=item-2",
            "ret 20"
        ],
        "{out}"
    );

    // -M 3: three rows, then the tool ends by itself; -T adds the time.
    let mut t = Tool::attached(&["trace", "-M", "3", "-T", &ret], "TIME     PID ");
    let mut p = Program::start(&bin, &["6", "10"]);
    assert!(p.wait().is_some_and(|s| s.success()));
    let out = t.wait(Duration::from_secs(20));
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(
        lines[1].as_bytes()[2] == b':' && lines[1].ends_with(" ret 0"),
        "{out}"
    );
    assert!(lines[3].ends_with(" ret 20"), "{out}");
}

#[test]
fn tracepoint_fields_for_one_pid_and_json() {
    require_root!();
    let _g = serial();
    let me = std::process::id().to_string();
    let path = format!("/nonexistent/scry-trace-{me}");
    let open = || {
        let c = std::ffi::CString::new(path.clone()).unwrap();
        for _ in 0..3 {
            unsafe { libc::open(c.as_ptr(), libc::O_RDONLY) };
        }
    };
    let spec = "t:syscalls:sys_enter_openat \"open %s\", args->filename";
    let mut t = Tool::attached(&["trace", "-p", &me, spec], "PID ");
    open();
    t.expect_line("open", |l| l.ends_with(&path));
    let out = t.stop();
    out.assert_ok();
    let mine: Vec<_> = rows(&out.stdout)
        .into_iter()
        .filter(|r| r.4 == format!("open {path}"))
        .collect();
    assert_eq!(mine.len(), 3, "{out}");
    assert!(
        mine.iter().all(|r| r.0 == me && r.3 == "sys_enter_openat"),
        "{out}"
    );

    let mut t = Tool::attached(&["trace", "--json", "-p", &me, "-M", "3", spec], "");
    open();
    let out = t.wait(Duration::from_secs(20));
    out.assert_ok();
    for line in out.lines() {
        let v = Json::parse(line).unwrap();
        assert_eq!(v.keys(), ["pid", "tid", "comm", "func", "msg"], "{out}");
        assert_eq!(
            v.get("pid").and_then(Json::num),
            Some(me.parse::<f64>().unwrap())
        );
        assert_eq!(
            v.get("msg").and_then(Json::str),
            Some(&*format!("open {path}"))
        );
    }
    assert_eq!(out.lines().len(), 3, "{out}");
}

#[test]
fn bad_probes_are_one_line_errors() {
    require_root!();
    let _g = serial();
    let out = run_tool(&["trace", "t:sched:sched_switch(int x)"]);
    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(out.stderr.lines().count(), 1, "{out}");
    assert!(out.stderr.starts_with("trace: error in probe"), "{out}");
    let out = run_tool(&["trace", "c:malloc \"%d %d\", arg1"]);
    assert_eq!(out.code, Some(1), "{out}");
    assert!(out.stderr.contains("too few arguments"), "{out}");
}

#[test]
fn usdt_probe_arguments() {
    require_root!();
    if !cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
        return;
    }
    let dir = TempDir::new("tru");
    let Some(bin) = compile_c(&dir, "target.c") else {
        return;
    };
    let _g = serial();
    // target.c fires scry:tick(i, i * 100) for i in 0..K.
    let spec = format!("u:{}:tick \"i=%d x=%ld\", arg1, arg2", bin.display());
    let mut t = Tool::attached(&["trace", "-M", "3", &spec], "PID ");
    run_program(&bin, &["5"]);
    let out = t.wait(Duration::from_secs(20));
    out.assert_ok();
    let msgs: Vec<String> = rows(&out.stdout).into_iter().map(|r| r.4).collect();
    assert_eq!(msgs, ["i=0 x=0", "i=1 x=100", "i=2 x=200"], "{out}");
    assert!(rows(&out.stdout).iter().all(|r| r.3 == "tick"), "{out}");
}

#[test]
fn kernel_functions_without_fentry_or_kprobes_fail_in_one_line() {
    require_root!();
    if kernel_functions_traceable() {
        eprintln!("skipped: this kernel has kprobes or fentry");
        return;
    }
    let _g = serial();
    let out = run_tool(&[
        "trace",
        "r::vfs_read \"%d\", retval",
        "t:sched:sched_switch",
    ]);
    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(out.stdout, "", "{out}");
    assert_eq!(out.stderr.lines().count(), 1, "{out}");
    assert!(
        out.stderr.starts_with("trace: cannot run on this kernel ("),
        "{out}"
    );
    assert!(out.stderr.contains("kprobes are not supported"), "{out}");
}
