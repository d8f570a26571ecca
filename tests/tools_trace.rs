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

/// The frame lines (after 8 spaces) of each event's block: a row, its
/// stack lines, a blank line.
fn stack_blocks(stdout: &str) -> Vec<(String, Vec<String>)> {
    let mut blocks: Vec<(String, Vec<String>)> = Vec::new();
    for l in stdout.lines().skip(1) {
        match l.strip_prefix("        ") {
            Some(frame) if !blocks.is_empty() => {
                blocks.last_mut().unwrap().1.push(frame.to_string())
            }
            _ if l.is_empty() => {}
            _ => blocks.push((l.to_string(), Vec::new())),
        }
    }
    blocks
}

/// A symbol's value in the fixture (nm), for checking printed addresses.
fn symbol_value(bin: &std::path::Path, name: &str) -> Option<u64> {
    let out = std::process::Command::new("nm").arg(bin).output().ok()?;
    String::from_utf8_lossy(&out.stdout).lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.len() == 3 && f[2] == name).then(|| u64::from_str_radix(f[0], 16).ok())?
    })
}

#[test]
fn user_stacks_with_addresses() {
    require_root!();
    let dir = TempDir::new("trus");
    let Some(bin) = compile_c(&dir, "generic.c") else {
        return;
    };
    let _g = serial();
    let stop = dir.join("stop");
    let spec = format!("{}:scry_gen_args \"n=%d\", arg1", bin.display());
    let mut t = Tool::attached(&["trace", "-U", "-a", &spec], "PID ");
    // Three calls, then the fixture waits for `stop`: its frames can be named.
    let mut p = Program::start(&bin, &["3", "10", "-", stop.to_str().unwrap()]);
    t.expect_line("third call", |l| l.ends_with(" n=2"));
    t.wait_until(Duration::from_secs(5), |out, _| {
        stack_blocks(out).len() == 3 && out.ends_with("\n\n")
    });
    std::fs::write(&stop, "").unwrap();
    assert!(p.wait().is_some_and(|s| s.success()));
    let out = t.stop();
    out.assert_ok();
    let blocks = stack_blocks(&out.stdout);
    assert_eq!(blocks.len(), 3, "{out}");
    // BCC's layout: `%16x name+0xOFF [module]`, the probed function first.
    let frame = |f: &str| -> (u64, String) {
        let (addr, sym) = f.split_at(16);
        let addr = u64::from_str_radix(addr.trim_start(), 16).expect("address");
        (addr, sym.trim_start().to_string())
    };
    for (row, frames) in &blocks {
        assert!(row.contains(" scry_gen_args "), "{out}");
        let (entry, first) = frame(&frames[0]);
        assert_eq!(first, "scry_gen_args+0x0 [generic]", "{out}");
        let (ret, second) = frame(&frames[1]);
        let off = second
            .strip_prefix("main+0x")
            .and_then(|s| s.strip_suffix(" [generic]"))
            .unwrap_or_else(|| panic!("no main frame:\n{out}"));
        let off = u64::from_str_radix(off, 16).unwrap();
        // The addresses are the ones named: main+off and scry_gen_args
        // are as far apart in memory as in the file.
        if let (Some(f), Some(m)) = (
            symbol_value(&bin, "scry_gen_args"),
            symbol_value(&bin, "main"),
        ) {
            assert_eq!(ret.wrapping_sub(entry), (m + off).wrapping_sub(f), "{out}");
        }
    }
    assert!(out.stdout.ends_with("\n\n"), "{out}");
}

#[test]
fn kernel_stacks_of_a_tracepoint() {
    require_root!();
    let dir = TempDir::new("trks");
    let Some(bin) = compile_c(&dir, "generic.c") else {
        return;
    };
    let _g = serial();
    let spec = "t:syscalls:sys_enter_getppid";
    let mut t = Tool::attached(&["trace", "-K", "-n", "generic", "-M", "2", spec], "PID ");
    run_program(&bin, &["2", "10"]);
    let out = t.wait(Duration::from_secs(20));
    out.assert_ok();
    let blocks = stack_blocks(&out.stdout);
    assert_eq!(blocks.len(), 2, "{out}");
    for (row, frames) in &blocks {
        assert!(
            row.contains(" generic ") && row.contains(" sys_enter_getppid"),
            "{out}"
        );
        assert!(frames.iter().all(|f| f.ends_with(" [kernel]")), "{out}");
        assert!(
            frames.iter().any(|f| f.starts_with("do_syscall_64+0x")),
            "{out}"
        );
    }
}

/// `-Z 5`: string arguments are read up to 5 bytes (4 characters and the
/// terminator), as BCC's buffer of STRING_SIZE; `-I` is accepted (types
/// come from BTF).
#[test]
fn string_size_cuts_strings() {
    require_root!();
    let dir = TempDir::new("trz");
    let Some(bin) = compile_c(&dir, "generic.c") else {
        return;
    };
    let _g = serial();
    let spec = format!("{}:scry_gen_args \"text=%s\", arg2", bin.display());
    let mut t = Tool::attached(
        &["trace", "-Z", "5", "-I", "linux/fs.h", "-M", "1", &spec],
        "PID ",
    );
    let mut p = Program::start(&bin, &["1", "10"]);
    assert!(p.wait().is_some_and(|s| s.success()));
    let out = t.wait(Duration::from_secs(20));
    out.assert_ok();
    let msgs: Vec<String> = rows(&out.stdout).into_iter().map(|r| r.4).collect();
    assert_eq!(msgs, ["text=item"], "{out}");

    let out = run_tool(&["trace", "-Z", "0", &spec]);
    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(
        out.stderr.trim(),
        "trace: -Z: 0: the string size must be between 1 and 4096",
        "{out}"
    );
}
