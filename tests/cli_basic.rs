//! The command line and the language, end to end: BEGIN/exit, -q, -f json,
//! -o, printf formats, builtins checked against the workload's own ids and
//! clocks, control flow, positional parameters, and the three ways of
//! giving a program (-e, a file, stdin).
//!
//! Expected outputs were checked against bpftrace 0.17 where it accepts
//! the same script.

mod common;

use common::*;
use std::time::Duration;

#[test]
fn begin_printf_exit() {
    require_root!();
    let _g = serial();
    let out = run_e("BEGIN { printf(\"hi\\n\"); exit(); }", &[]);
    out.assert_ok();
    assert_eq!(out.stdout, "Attaching 1 probe...\nhi\n\n\n", "{out}");
    assert_eq!(out.stderr, "", "{out}");
}

#[test]
fn quiet_drops_attaching_line() {
    require_root!();
    let _g = serial();
    let out = run_e("BEGIN { printf(\"hi\\n\"); exit(); }", &["-q"]);
    out.assert_ok();
    assert_eq!(out.stdout, "hi\n\n\n", "{out}");
}

#[test]
fn attaching_counts_probes() {
    require_root!();
    let _g = serial();
    let out = run_e(
        "BEGIN { exit(); } END { printf(\"end\\n\"); } interval:ms:100 { }",
        &[],
    );
    out.assert_ok();
    assert_eq!(out.stdout, "Attaching 3 probes...\nend\n\n\n", "{out}");
}

#[test]
fn end_probe_runs_after_sigint() {
    require_root!();
    let _g = serial();
    let mut s = Scry::start(&[
        "-e",
        "BEGIN { printf(\"begin\\n\"); } END { printf(\"end\\n\"); @x = 3; }",
    ]);
    s.wait_attached();
    assert!(s.wait_for_line(Duration::from_secs(30), |l| l == "begin"));
    let out = s.stop();
    out.assert_ok();
    assert_eq!(
        out.stdout, "Attaching 2 probes...\nbegin\nend\n\n\n@x: 3\n",
        "{out}"
    );
}

#[test]
fn json_output_ndjson() {
    require_root!();
    let _g = serial();
    let out = run_e(
        "BEGIN { printf(\"hi %d\\n\", 5); @a = 1; @b[1, \"x\"] = 2; @h = hist(5); \
           @s = stats(3); @l = lhist(3, 0, 10, 5); @t = (1, \"a\"); @str[\"k\"] = \"v\"; exit(); }",
        &["-f", "json"],
    );
    out.assert_ok();
    let expected = [
        r#"{"type": "attached_probes", "data": {"probes": 1}}"#,
        r#"{"type": "printf", "data": "hi 5\n"}"#,
        "",
        "",
        r#"{"type": "map", "data": {"@a": 1}}"#,
        r#"{"type": "map", "data": {"@b": {"1,x": 2}}}"#,
        r#"{"type": "hist", "data": {"@h": [{"min": 4, "max": 7, "count": 1}]}}"#,
        r#"{"type": "hist", "data": {"@l": [{"min": 0, "max": 4, "count": 1}]}}"#,
        r#"{"type": "stats", "data": {"@s": {"count": 1, "average": 3, "total": 3}}}"#,
        r#"{"type": "map", "data": {"@str": {"k": "v"}}}"#,
        r#"{"type": "map", "data": {"@t": [1,"a"]}}"#,
    ];
    assert_eq!(out.lines(), expected, "{out}");
    // Each non-empty line is one JSON object.
    for l in out.lines().iter().filter(|l| !l.is_empty()) {
        assert!(l.starts_with("{\"type\": \"") && l.ends_with('}'), "{l}");
        assert_eq!(
            l.matches('{').count(),
            l.matches('}').count(),
            "unbalanced: {l}"
        );
    }
}

#[test]
fn json_quiet_and_time() {
    require_root!();
    let _g = serial();
    let out = run_e("BEGIN { time(\"%Y\\n\"); exit(); }", &["-f", "json", "-q"]);
    out.assert_ok();
    let first = out.lines()[0].to_string();
    assert!(
        first.starts_with(r#"{"type": "time", "data": "20"#) && first.ends_with(r#"\n"}"#),
        "{out}"
    );
}

/// bpftrace prints `print(value)` as {"type": "value", "data": ...}.
#[test]
fn json_print_value() {
    require_root!();
    let _g = serial();
    let out = run_e(
        "BEGIN { print((\"a\", 1)); print(5); exit(); }",
        &["-f", "json", "-q"],
    );
    out.assert_ok();
    assert_eq!(
        out.lines()[..2],
        [
            r#"{"type": "value", "data": ["a",1]}"#,
            r#"{"type": "value", "data": 5}"#
        ],
        "{out}"
    );
}

#[test]
fn output_file() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("out");
    let path = dir.join("out.txt");
    let out = run_e(
        "BEGIN { printf(\"to file\\n\"); @m = 7; exit(); }",
        &["-o", path.to_str().unwrap()],
    );
    out.assert_ok();
    assert_eq!(out.stdout, "", "{out}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, "Attaching 1 probe...\nto file\n\n\n@m: 7\n");
}

#[test]
fn printf_formats() {
    require_root!();
    let _g = serial();
    let out = run_e(
        "BEGIN { printf(\"%d %u %x|%s|%-10s|%5d|%c|%p\\n\", -5, 7, 255, \"str\", comm, 42, 65, 4096); \
           printf(\"%u|%x|%X|%lld|%llu|%05d|%-5d|%%|%o|%ld|%lu|%5s|%c%c\\n\", \
                  -1, -1, 3054, -9, 9, 42, 7, 8, -3, 3, \"ab\", 72, 105); exit(); }",
        &["-q"],
    );
    out.assert_ok();
    assert_eq!(
        out.lines()[..2],
        [
            "-5 7 ff|str|scry      |   42|A|0x1000",
            "4294967295|ffffffff|BEE|-9|9|00042|7    |%|10|-3|3|   ab|Hi",
        ],
        "{out}"
    );
}

#[test]
fn printf_two_string_literals() {
    require_root!();
    let _g = serial();
    let out = run_e(
        "BEGIN { printf(\"%s %s|%-10s|%5d\\n\", \"a\", \"str\", \"ab\", 42); exit(); }",
        &["-q"],
    );
    out.assert_ok();
    assert_eq!(out.lines()[0], "a str|ab        |   42", "{out}");
}

/// str(), str(s, n), comm, pid and tid of the worker thread that opens a
/// uniquely named file.
#[test]
fn str_comm_pid_tid_of_workload() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("s");
    let path = dir.join("abcdefghij");
    make_file(&path, 1);
    let w = Worker::new("scrystrs");
    let tid = w.tid_str();
    let p = path.clone();
    let out = trace(
        "tracepoint:syscalls:sys_enter_openat /tid == $1/ { \
           printf(\"%s|%s|%s|%d|%d\\n\", str(args.filename), str(args.filename, 5), comm, pid, tid); }",
        &[&tid],
        move || w.run(move || drop(std::fs::File::open(&p).unwrap())),
    );
    out.assert_ok();
    let full = path.display().to_string();
    out.assert_line(&format!(
        "{}|{}|scrystrs|{}|{}",
        full,
        &full[..5],
        getpid(),
        tid
    ));
}

/// A string comparison in the predicate selects exactly the worker's opens
/// of one file among opens of two.
#[test]
fn string_comparison_in_predicates() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("c");
    let a = dir.join("a");
    let b = dir.join("b");
    make_file(&a, 1);
    make_file(&b, 1);
    let w = Worker::new("scrycmp");
    let pa = a.display().to_string();
    let prog = format!(
        "tracepoint:syscalls:sys_enter_openat /comm == \"scrycmp\" && str(args.filename) == \"{pa}\"/ {{ @yes = count(); }} \
         tracepoint:syscalls:sys_enter_openat /comm == \"scrycmp\" && str(args.filename) != \"{pa}\"/ {{ @no = count(); }} \
         tracepoint:syscalls:sys_enter_openat /comm != \"scrycmp\" && tid == $1/ {{ @never = count(); }}"
    );
    let tid = w.tid_str();
    let out = trace(&prog, &[&tid], move || {
        w.run(move || {
            for _ in 0..3 {
                drop(std::fs::File::open(&a).unwrap());
            }
            for _ in 0..4 {
                drop(std::fs::File::open(&b).unwrap());
            }
        })
    });
    out.assert_ok();
    out.assert_line("@yes: 3");
    out.assert_line("@no: 4");
    assert!(out.lines_starting("@never").is_empty(), "{out}");
}

fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// nsecs is CLOCK_MONOTONIC: every value lies between the test's readings
/// of that clock around the workload, and the values increase.
#[test]
fn nsecs_monotonic_within_workload_window() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("n");
    let path = dir.join("d");
    make_file(&path, 100);
    let w = Worker::new("scrynsecs");
    let tid = w.tid_str();
    let window = std::sync::Arc::new(std::sync::Mutex::new((0u64, 0u64)));
    let win = window.clone();
    let out = trace(
        "tracepoint:syscalls:sys_enter_read /tid == $1/ { printf(\"ns %llu\\n\", nsecs); }",
        &[&tid],
        move || {
            w.run(move || {
                let t0 = monotonic_ns();
                read_sizes(&path, &[1, 1, 1, 1, 1]);
                let t1 = monotonic_ns();
                *win.lock().unwrap() = (t0, t1);
            })
        },
    );
    out.assert_ok();
    let (t0, t1) = *window.lock().unwrap();
    let ns: Vec<u64> = out
        .lines_starting("ns ")
        .iter()
        .map(|l| l[3..].parse().unwrap())
        .collect();
    assert_eq!(ns.len(), 5, "{out}");
    for pair in ns.windows(2) {
        assert!(pair[0] < pair[1], "not increasing: {ns:?}");
    }
    assert!(t0 <= ns[0] && ns[4] <= t1, "{ns:?} outside [{t0}, {t1}]");
}

/// elapsed counts nanoseconds since scry started: a 200 ms interval sees
/// at least 200 ms and (on any sane machine) less than 30 s.
#[test]
fn elapsed_since_start() {
    require_root!();
    let _g = serial();
    let out = run_e(
        "interval:ms:200 { printf(\"elapsed %llu\\n\", elapsed); @e = 1; }  interval:ms:200 /@e/ { exit(); }",
        &["-q"],
    );
    out.assert_ok();
    let lines = out.lines_starting("elapsed ");
    assert!(!lines.is_empty(), "{out}");
    let e: u64 = lines[0][8..].parse().unwrap();
    assert!((150_000_000..30_000_000_000).contains(&e), "elapsed {e}");
}

#[test]
fn control_flow_and_tuples() {
    require_root!();
    let _g = serial();
    let out = run_e(
        "BEGIN { $i = 0; while ($i < 5) { $i++; } printf(\"%d\\n\", $i); \
           unroll(3) { printf(\"u\\n\"); } \
           $t = (1, \"two\", 3); printf(\"%d %s %d\\n\", $t.0, $t.1, $t.2); @t = $t; print($t); \
           if ($i > 3) { printf(\"big\\n\"); } else { printf(\"small\\n\"); } \
           if ($i < 3) { printf(\"no\\n\"); } else if ($i == 5) { printf(\"elif\\n\"); } \
           printf(\"%s\\n\", $i == 5 ? \"five\" : \"other\"); exit(); }",
        &[],
    );
    out.assert_ok();
    assert_eq!(
        out.stdout,
        "Attaching 1 probe...\n5\nu\nu\nu\n1 two 3\n(1, two, 3)\nbig\nelif\nfive\n\n\n@t: (1, two, 3)\n",
        "{out}"
    );
}

#[test]
fn operators_strings_and_map_increments() {
    require_root!();
    let _g = serial();
    let out = run_e(
        "BEGIN { $s = \"hello\"; if ($s == \"hello\") { printf(\"eq\\n\"); } \
           if ($s != \"world\") { printf(\"ne\\n\"); } @i++; @i++; @j--; \
           $k = 10; $k += 5; $k -= 3; $k *= 2; $k /= 4; $k %= 4; \
           printf(\"%d %d\\n\", $k, 7 / 2); \
           printf(\"%d %d %d %d\\n\", 1 << 4, 0xff & 0x0f, 5 | 2, 6 ^ 3); \
           printf(\"%d %d %d %d\\n\", !0, ~0, 3 > 2 && 1 < 0, 3 > 2 || 1 < 0); exit(); }",
        &[],
    );
    out.assert_ok();
    assert_eq!(
        out.stdout, "Attaching 1 probe...\neq\nne\n2 3\n16 15 7 5\n1 -1 0 1\n\n\n@i: 2\n@j: -1\n",
        "{out}"
    );
}

#[test]
fn for_range_loop() {
    require_root!();
    let _g = serial();
    let out = run_e(
        "BEGIN { $s = 0; for ($i : 1..5) { $s += $i; } printf(\"%d\\n\", $s); exit(); }",
        &["-q"],
    );
    out.assert_ok();
    assert_eq!(out.lines()[0], "10", "{out}");
}

#[test]
fn positional_params() {
    require_root!();
    let _g = serial();
    let out = run_e(
        "BEGIN { printf(\"%d %s %d|%s|%d\\n\", $1, str($2), $#, str($3), $1 + 1); exit(); }",
        &["-q", "42", "hello"],
    );
    out.assert_ok();
    assert_eq!(out.lines()[0], "42 hello 2||43", "{out}");
}

const SCRIPT: &str = "BEGIN { printf(\"args %d %s\\n\", $#, str($1)); @a[\"k\"] = 1; exit(); }\n";
const SCRIPT_OUT: &str = "Attaching 1 probe...\nargs 2 one\n\n\n@a[k]: 1\n";

#[test]
fn program_from_e_file_and_stdin() {
    require_root!();
    let _g = serial();
    let from_e = run(&["-e", SCRIPT, "one", "two"]);
    from_e.assert_ok();
    assert_eq!(from_e.stdout, SCRIPT_OUT, "{from_e}");

    let dir = TempDir::new("f");
    let file = dir.join("prog.bt");
    std::fs::write(&file, SCRIPT).unwrap();
    let from_file = run(&[file.to_str().unwrap(), "one", "two"]);
    from_file.assert_ok();
    assert_eq!(from_file.stdout, SCRIPT_OUT, "{from_file}");

    let from_stdin = run_stdin(&["-", "one", "two"], SCRIPT);
    from_stdin.assert_ok();
    assert_eq!(from_stdin.stdout, SCRIPT_OUT, "{from_stdin}");
}

/// A script file with a shebang line and comments.
#[test]
fn script_file_with_shebang_and_comments() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("f");
    let file = dir.join("prog.bt");
    std::fs::write(
        &file,
        "#!/usr/bin/env scry\n// a comment\n/* block\n comment */\nBEGIN\n{\n  printf(\"ok\\n\"); // trailing\n  exit();\n}\n",
    )
    .unwrap();
    let out = run(&["-q", file.to_str().unwrap()]);
    out.assert_ok();
    assert_eq!(out.stdout, "ok\n\n\n", "{out}");
}

/// --dry-run compiles and verifies but runs nothing: BEGIN's printf does
/// not appear, and it returns at once.
#[test]
fn dry_run_valid_script() {
    require_root!();
    let _g = serial();
    let out = run_e(
        "BEGIN { printf(\"must not run\\n\"); } tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }",
        &["--dry-run"],
    );
    out.assert_ok();
    assert_eq!(
        out.stdout, "stdin: compiled and verified 2 program(s); not attached (--dry-run)\n",
        "{out}"
    );
    assert!(!out.stdout.contains("must not run"));
}

#[test]
fn no_program_is_an_error() {
    let out = run(&[]);
    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(
        out.stderr,
        "ERROR: no program given: use -e 'PROGRAM' or a script file (see --help)\n"
    );
}

#[test]
fn missing_script_file() {
    let out = run(&["/nonexistent/scry-test.bt"]);
    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(
        out.stderr,
        "ERROR: /nonexistent/scry-test.bt: No such file or directory\n"
    );
}

#[test]
fn info_lists_features() {
    let out = run(&["--info"]);
    out.assert_ok();
    for l in [
        "Kernel features",
        "  uprobes: yes",
        "  ringbuf: yes",
        "  btf: yes",
    ] {
        out.assert_line(l);
    }
}

#[test]
fn list_tracepoints() {
    require_root!();
    let out = run(&["-l", "tracepoint:syscalls:sys_enter_openat*"]);
    out.assert_ok();
    assert!(
        out.lines()
            .contains(&"tracepoint:syscalls:sys_enter_openat"),
        "{out}"
    );
    assert!(
        out.lines()
            .iter()
            .all(|l| l.starts_with("tracepoint:syscalls:sys_enter_openat")),
        "{out}"
    );
}

/// -c runs a command, traces it from its exec, and exits when it ends.
#[test]
fn dash_c_runs_command_and_exits() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("c");
    let target = dir.join(&unique("m"));
    make_file(&target, 1);
    let cmd = format!("/bin/cat {}", target.display());
    let prog = format!(
        "tracepoint:syscalls:sys_enter_openat /str(args.filename) == \"{}\"/ {{ @[comm] = count(); }} \
         END {{ printf(\"end\\n\"); }}",
        target.display()
    );
    let out = Scry::start(&["-e", &prog, "-c", &cmd]).wait(Duration::from_secs(60));
    out.assert_ok();
    // cat's own output (one 'x') comes first: it inherits scry's stdout.
    assert_eq!(
        out.stdout, "Attaching 2 probes...\nxend\n\n\n@[cat]: 1\n",
        "{out}"
    );
}

/// bpftrace's `cpid` builtin: the pid of the -c command.
#[test]
fn dash_c_cpid_builtin() {
    require_root!();
    let _g = serial();
    let out = Scry::start(&[
        "-e",
        "tracepoint:syscalls:sys_enter_openat /pid == cpid/ { @[comm] = count(); } END { printf(\"cpid ok %d\\n\", cpid > 0); }",
        "-c",
        "/bin/true",
    ])
    .wait(Duration::from_secs(60));
    out.assert_ok();
    out.assert_line("cpid ok 1");
    assert_eq!(out.lines_starting("@[true]: ").len(), 1, "{out}");
}

#[test]
fn string_and_misc_functions() {
    require_root!();
    let _g = serial();
    let out = run_e(
        "BEGIN { @m[1] = 2; \
           printf(\"%d %d %d\\n\", strncmp(\"hello\", \"help\", 3), strncmp(\"hello\", \"help\", 4), sizeof(int32)); \
           printf(\"%s\\n\", ntop(0x0100007f)); \
           printf(\"%d %d\\n\", has_key(@m, 1), has_key(@m, 3)); \
           printf(\"%d %d\\n\", strcontains(\"hello\", \"ell\"), strcontains(\"hello\", \"xyz\")); \
           exit(); }",
        &["-q"],
    );
    out.assert_ok();
    assert_eq!(
        out.stdout, "0 1 4\n127.0.0.1\n1 0\n1 0\n\n\n@m[1]: 2\n",
        "{out}"
    );
}

/// Postfix increment on a map and exit() from inside an `if`.
#[test]
fn interval_increments_and_exits_from_if() {
    require_root!();
    let _g = serial();
    let out = run_e(
        "interval:ms:50 { @i++; if (@i >= 3) { printf(\"tick %d\\n\", @i); exit(); } }",
        &[],
    );
    out.assert_ok();
    assert_eq!(
        out.stdout, "Attaching 1 probe...\ntick 3\n\n\n@i: 3\n",
        "{out}"
    );
}

/// buf() of a string literal, of `comm` (a string builtin) and of a
/// pointer, with and without a length: printed as bpftrace prints buffers
/// (`\x00` for a NUL byte).
#[test]
fn buf_of_strings_and_pointers() {
    require_root!();
    let _g = serial();
    let out = run_e(
        "BEGIN { print(buf(\"abc\", 3)); print(buf(\"ab\")); print(buf(comm, 4)); print(buf(curtask, 4)); exit(); }",
        &["-q"],
    );
    out.assert_ok();
    let lines: Vec<&str> = out.lines().into_iter().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[..3], ["abc", "ab\\x00", "scry"], "{out}");
    // Four bytes, each shown raw or as \xNN.
    assert!(lines.len() == 4 && !lines[3].is_empty(), "{out}");
}
