//! Errors: exact stderr text (one `file:line:col: error:` line, the source
//! line, a caret under the culprit), a non-zero exit, nothing on stdout.
//! Kernel-support refusals are a single `ERROR:` line.

mod common;

use common::*;
use std::path::Path;

/// Runs `-e prog` and checks it fails with exactly this stderr.
fn assert_error(prog: &str, extra: &[&str], expected_stderr: &str) {
    let mut args = vec!["-e", prog];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert!(!out.timed_out, "{out}");
    assert!(!out.panicked(), "scry panicked:\n{out}");
    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(out.stdout, "", "{out}");
    assert_eq!(out.stderr, expected_stderr, "{out}");
}

/// The rendered diagnostic for a one-line program from -e.
fn diag(prog: &str, col: usize, width: usize, msg: &str) -> String {
    let caret = format!("^{}", "~".repeat(width.saturating_sub(1)));
    format!(
        "stdin:1:{col}: error: {msg}\n{prog}\n{}{caret}\n",
        " ".repeat(col - 1)
    )
}

fn check(prog: &str, col: usize, width: usize, msg: &str) {
    assert_error(prog, &[], &diag(prog, col, width, msg));
}

#[test]
fn syntax_error_missing_semicolon() {
    let p = "BEGIN { printf(\"hi\\n\") ";
    check(
        p,
        23,
        1,
        "syntax error, unexpected end of file, expecting ';'",
    );
}

#[test]
fn unknown_function() {
    check("BEGIN { foo(1); }", 9, 6, "unknown function: foo()");
}

#[test]
fn unknown_builtin() {
    check(
        "BEGIN { printf(\"%d\\n\", nosuchbuiltin); }",
        24,
        13,
        "unknown identifier 'nosuchbuiltin'",
    );
}

#[test]
fn undefined_variable() {
    check("BEGIN { $x; }", 9, 2, "undefined variable: $x");
}

#[test]
fn wrong_argument_counts() {
    check(
        "BEGIN { printf(\"%d\\n\", strncmp(\"a\")); }",
        24,
        12,
        "strncmp() takes 3 arguments, 1 given",
    );
    check(
        "BEGIN { @x = count(1); }",
        14,
        8,
        "count() takes no arguments",
    );
    check(
        "BEGIN { @ = hist(); }",
        13,
        6,
        "hist() takes 1 or 2 arguments, 0 given",
    );
    check(
        "BEGIN { @ = lhist(1, 0, 10); }",
        13,
        15,
        "lhist() takes 4 arguments, 3 given",
    );
}

#[test]
fn printf_argument_count() {
    check(
        "BEGIN { printf(\"%d %d\\n\", 1); }",
        9,
        20,
        "printf: Not enough arguments for format string (1 supplied, 2 expected)",
    );
}

#[test]
fn type_mismatch() {
    check(
        "BEGIN { $x = 1; $x = \"str\"; }",
        17,
        10,
        "type mismatch for $x: trying to assign string[4], but it holds int64",
    );
    check(
        "BEGIN { @a = 1; @a = \"s\"; }",
        17,
        8,
        "type mismatch for @a: trying to assign string[2], but it holds int64",
    );
}

#[test]
fn unsafe_function_needs_flag() {
    check(
        "BEGIN { system(\"ls\"); }",
        9,
        12,
        "system() is an unsafe function: run with --unsafe to allow it",
    );
}

#[test]
fn missing_tracepoint() {
    require_root!();
    let p = "tracepoint:syscalls:sys_enter_nope { }";
    check(p, 1, 34, "tracepoint not found: syscalls:sys_enter_nope");
    let p = "tracepoint:syscalls:sys_enter_nope* { }";
    check(
        p,
        1,
        35,
        "no tracepoint matches tracepoint:syscalls:sys_enter_nope*",
    );
}

#[test]
fn unknown_tracepoint_field() {
    require_root!();
    check(
        "tracepoint:syscalls:sys_enter_openat { printf(\"%d\\n\", args.nope); }",
        55,
        9,
        "tracepoint:syscalls:sys_enter_openat has no field named 'nope' \
         (fields: __syscall_nr, dfd, filename, flags, mode)",
    );
}

#[test]
fn bad_probe_specs() {
    check(
        "interval:ms:abc {}",
        1,
        15,
        "invalid rate 'abc' in interval:ms:abc",
    );
    check("software:nope:1 {}", 1, 15, "unknown software event 'nope'");
}

/// Errors in a script file name the file, with the right line and column.
#[test]
fn error_in_script_file_names_file_and_line() {
    let dir = TempDir::new("e");
    let file = dir.join("bad.bt");
    std::fs::write(&file, "BEGIN\n{\n  printf(\"x\\n\");\n  nope(1);\n}\n").unwrap();
    let f = file.to_str().unwrap();
    let out = run(&[f]);
    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(
        out.stderr,
        format!("{f}:4:3: error: unknown function: nope()\n  nope(1);\n  ^~~~~~~\n"),
        "{out}"
    );
}

#[test]
fn kprobe_refused_in_one_line() {
    if Path::new("/sys/bus/event_source/devices/kprobe").exists() {
        eprintln!("skipped: this kernel has kprobes");
        return;
    }
    for p in ["kprobe:vfs_read {}", "kretprobe:vfs_read {}"] {
        assert_error(
            p,
            &[],
            "ERROR: kprobes are not supported by this kernel (CONFIG_KPROBES is not set)\n",
        );
    }
}

#[test]
fn fentry_refused_in_one_line() {
    if Path::new("/sys/bus/event_source/devices/kprobe").exists() {
        // A kernel with kprobes most likely has trampolines too.
        eprintln!("skipped: this kernel may support fentry");
        return;
    }
    for p in ["fentry:vfs_read {}", "fexit:vfs_read {}"] {
        assert_error(
            p,
            &[],
            "ERROR: fentry/fexit are not supported by this kernel (BPF trampolines unavailable)\n",
        );
    }
}

#[test]
fn hardware_refused_in_one_line() {
    if Path::new("/sys/bus/event_source/devices/cpu").exists() {
        eprintln!("skipped: this machine has a hardware PMU");
        return;
    }
    assert_error(
        "hardware:cycles:1000 {}",
        &[],
        "ERROR: hardware performance counters are not supported by this machine\n",
    );
}

#[test]
fn uprobe_missing_binary() {
    check(
        "uprobe:/nonexistent/scry-bin:foo { }",
        1,
        32,
        "/nonexistent/scry-bin: No such file or directory",
    );
}

#[test]
fn uprobe_missing_symbol() {
    let dir = TempDir::new("e");
    let Some(bin) = compile_fixture(&dir, "target.c", &[]) else {
        return;
    };
    let b = bin.to_str().unwrap();
    let p = format!("uprobe:{b}:no_such_symbol {{ }}");
    check(
        &p,
        1,
        p.len() - 4,
        &format!("{b}: no function matches 'no_such_symbol'"),
    );
    // The second of two probes is the culprit: the caret says so.
    let p = format!("uprobe:{b}:scry_target_* {{ }} uprobe:{b}:nope {{ }}");
    let col = p.find(" uprobe:").unwrap() + 2;
    check(
        &p,
        col,
        format!("uprobe:{b}:nope").len(),
        &format!("{b}: no function matches 'nope'"),
    );
    let p = format!("uprobe:{b} {{ }}");
    check(
        &p,
        1,
        p.len() - 4,
        &format!("uprobe:{b}: expected uprobe:BINARY:FUNCTION"),
    );
}

#[test]
fn dash_p_no_such_process() {
    // A pid that just exited (and was reaped) is free.
    let mut c = std::process::Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    let p = pid.to_string();
    let out = run(&["-p", &p, "-e", "BEGIN { exit(); }"]);
    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(out.stderr, format!("ERROR: -p {pid}: no such process\n"));
}

#[test]
fn bad_output_format_is_usage_error() {
    let out = run(&["-f", "xml", "-e", "BEGIN { exit(); }"]);
    assert!(out.code.is_some_and(|c| c != 0), "{out}");
    assert!(out.stderr.contains("xml"), "{out}");
    assert!(!out.panicked(), "{out}");
}

/// --dry-run reports compile errors as a normal run does.
#[test]
fn dry_run_of_invalid_script_fails() {
    assert_error(
        "BEGIN { foo(1); }",
        &["--dry-run"],
        &diag("BEGIN { foo(1); }", 9, 6, "unknown function: foo()"),
    );
}

/// --dry-run of a valid script: exit 0, one line, nothing attached (the
/// BEGIN printf does not run).
#[test]
fn dry_run_valid_script_exits_zero() {
    require_root!();
    let out = run_e(
        "BEGIN { printf(\"ran\\n\"); exit(); } tracepoint:syscalls:sys_enter_read { @ = count(); }",
        &["--dry-run"],
    );
    out.assert_ok();
    assert_eq!(
        out.stdout, "stdin: compiled and verified 2 program(s); not attached (--dry-run)\n",
        "{out}"
    );
    let q = run_e("BEGIN { exit(); }", &["--dry-run", "-q"]);
    q.assert_ok();
    assert_eq!(q.stdout, "", "{q}");
}

/// Several independent errors are all reported, each rendered.
#[test]
fn multiple_errors_all_reported() {
    let p = "BEGIN { foo(1); bar(2); }";
    let out = run_e(p, &[]);
    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(
        out.stderr,
        format!(
            "{}{}",
            diag(p, 9, 6, "unknown function: foo()"),
            diag(p, 17, 6, "unknown function: bar()")
        ),
        "{out}"
    );
}

/// An unknown identifier or function yields one diagnostic, not a second
/// one about the `none` type it left behind (bpftrace reports one).
#[test]
fn unknown_identifier_does_not_cascade() {
    let p = "BEGIN { if (nosuch == 1) { } }";
    check(p, 13, 6, "unknown identifier 'nosuch'");
    let p = "BEGIN { printf(\"%d\\n\", foo(1) + 1); }";
    check(p, 24, 6, "unknown function: foo()");
}

#[test]
fn stack_modes() {
    check(
        "BEGIN { print(kstack(raw)); }",
        22,
        3,
        "the raw stack mode is not supported: use bpftrace or perf",
    );
    check(
        "BEGIN { print(ustack(pid, 3)); }",
        22,
        3,
        "ustack() takes a mode (bpftrace, perf) and/or a constant depth",
    );
}
