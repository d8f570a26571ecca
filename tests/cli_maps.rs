//! Maps and aggregations observed on real workloads: the test generates the
//! events (opens, reads of chosen sizes, page faults) on a thread of its own
//! and filters the probes by that thread's tid, so other activity on the
//! machine cannot change the counts.

mod common;

use common::*;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Opens a uniquely named file exactly 25 times: one line, `@[path]: 25`.
#[test]
fn openat_count_by_filename() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("o");
    let path = dir.join(&unique("f"));
    make_file(&path, 1);
    let pid = getpid().to_string();
    let p = path.clone();
    let out = trace(
        "tracepoint:syscalls:sys_enter_openat /pid == $1/ { @[str(args.filename)] = count(); }",
        &[&pid],
        move || {
            for _ in 0..25 {
                drop(std::fs::File::open(&p).unwrap());
            }
        },
    );
    out.assert_ok();
    out.assert_line(&format!("@[{}]: 25", path.display()));
    assert_eq!(out.attached_count(), Some(1), "{out}");
}

/// Runs `prog` (which uses `$1` = the worker's tid) around reads of the
/// given sizes from a scratch file.
fn trace_reads(prog: &str, sizes: &'static [usize]) -> Output {
    let dir = TempDir::new("r");
    let path = dir.join("data");
    make_file(&path, 8192);
    let w = Worker::new("scryreader");
    let tid = w.tid_str();
    trace(prog, &[&tid], move || {
        w.run(move || read_sizes(&path, sizes));
    })
}

#[test]
fn sum_avg_min_max_count_of_read_sizes() {
    require_root!();
    let _g = serial();
    let out = trace_reads(
        "tracepoint:syscalls:sys_enter_read /tid == $1/ { \
           @c = count(); @s = sum(args.count); @a = avg(args.count); \
           @mn = min(args.count); @mx = max(args.count); }",
        &[10, 20, 30, 40, 100],
    );
    out.assert_ok();
    out.assert_line("@c: 5");
    out.assert_line("@s: 200");
    out.assert_line("@a: 40");
    out.assert_line("@mn: 10");
    out.assert_line("@mx: 100");
}

#[test]
fn stats_of_read_sizes() {
    require_root!();
    let _g = serial();
    let out = trace_reads(
        "tracepoint:syscalls:sys_enter_read /tid == $1/ { @st = stats(args.count); }",
        &[7, 8, 9, 100],
    );
    out.assert_ok();
    out.assert_line("@st: count 4, average 31, total 124");
}

const HIST: &str = "\
@h: 
[1]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[2, 4)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[4, 8)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[8, 16)                1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[16, 32)               0 |                                                    |
[32, 64)               0 |                                                    |
[64, 128)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[128, 256)             0 |                                                    |
[256, 512)             0 |                                                    |
[512, 1K)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
";

const LHIST: &str = "\
@l: 
[0, 10)                1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[10, 20)               2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[20, 30)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[30, 40)               0 |                                                    |
[40, 50)               0 |                                                    |
[50, 60)               0 |                                                    |
[60, 70)               0 |                                                    |
[70, 80)               0 |                                                    |
[80, 90)               0 |                                                    |
[90, 100)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[100, ...)             1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
";

/// The rows bpftrace 0.17 prints for the same values (checked against it).
#[test]
fn hist_of_read_sizes() {
    require_root!();
    let _g = serial();
    let out = trace_reads(
        "tracepoint:syscalls:sys_enter_read /tid == $1/ { @h = hist(args.count); }",
        &[1, 2, 3, 4, 5, 8, 100, 1000],
    );
    out.assert_ok();
    assert!(out.stdout.contains(HIST), "expected\n{HIST}\n{out}");
}

#[test]
fn lhist_of_read_sizes() {
    require_root!();
    let _g = serial();
    let out = trace_reads(
        "tracepoint:syscalls:sys_enter_read /tid == $1/ { @l = lhist(args.count, 0, 100, 10); }",
        &[5, 15, 15, 25, 95, 150],
    );
    out.assert_ok();
    assert!(out.stdout.contains(LHIST), "expected\n{LHIST}\n{out}");
}

/// The same histograms built in BEGIN from constants: the whole output.
#[test]
fn hist_lhist_from_constants_exact_output() {
    require_root!();
    let _g = serial();
    let mut prog = String::from("BEGIN { ");
    for v in [1, 2, 3, 4, 5, 8, 100, 1000] {
        prog.push_str(&format!("@h = hist({v}); "));
    }
    for v in [5, 15, 15, 25, 95, 150] {
        prog.push_str(&format!("@l = lhist({v}, 0, 100, 10); "));
    }
    prog.push_str("exit(); }");
    let out = run_e(&prog, &[]);
    out.assert_ok();
    assert_eq!(
        out.stdout,
        format!("Attaching 1 probe...\n\n\n{HIST}\n{LHIST}\n"),
        "{out}"
    );
}

/// Keys of two parts: the worker's pid/tid and its comm (the thread name).
#[test]
fn multi_key_map_pid_tid_comm() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("m");
    let path = dir.join("f");
    make_file(&path, 1);
    let w = Worker::new("scrymkey");
    let tid = w.tid_str();
    let out = trace(
        "tracepoint:syscalls:sys_enter_openat /tid == $1/ { @[pid, tid, comm] = count(); @c[comm] = count(); }",
        &[&tid],
        move || {
            w.run(move || {
                for _ in 0..7 {
                    drop(std::fs::File::open(&path).unwrap());
                }
            })
        },
    );
    out.assert_ok();
    out.assert_line(&format!("@[{}, {}, scrymkey]: 7", getpid(), tid));
    out.assert_line("@c[scrymkey]: 7");
    assert_eq!(map_lines(&out.stdout).len(), 2, "{out}");
}

/// Sum grouped by a key: read sizes grouped by size class.
#[test]
fn sum_and_count_grouped_by_key() {
    require_root!();
    let _g = serial();
    let out = trace_reads(
        "tracepoint:syscalls:sys_enter_read /tid == $1/ { \
           @n[args.count > 50 ? \"big\" : \"small\"] = count(); \
           @s[args.count] = sum(args.count); }",
        &[10, 10, 10, 60, 70],
    );
    out.assert_ok();
    out.assert_line("@n[small]: 3");
    out.assert_line("@n[big]: 2");
    out.assert_line("@s[10]: 30");
    out.assert_line("@s[60]: 60");
    out.assert_line("@s[70]: 70");
}

/// Maps are printed sorted by value (ascending), as bpftrace does.
#[test]
fn map_printed_sorted_by_value() {
    require_root!();
    let _g = serial();
    let out = run_e(
        "BEGIN { @[\"c\"] = 3; @[\"a\"] = 1; @[\"d\"] = 4; @[\"b\"] = 2; exit(); }",
        &[],
    );
    out.assert_ok();
    assert_eq!(
        map_lines(&out.stdout),
        vec!["@[a]: 1", "@[b]: 2", "@[c]: 3", "@[d]: 4"],
        "{out}"
    );
}

#[test]
fn print_clear_zero_delete() {
    require_root!();
    let _g = serial();
    let out = run_e(
        "BEGIN { @a = 1; @b[1] = 2; @b[2] = 3; print(@b); clear(@b); print(@b); \
           @c[5] = 1; @c[6] = 2; zero(@c); print(@c); delete(@a); print(@a); \
           @d[1, 2] = 3; delete(@d[1, 2]); @d[3, 4] = 5; exit(); }",
        &[],
    );
    out.assert_ok();
    // Checked against bpftrace 0.17 (same script, same output).
    assert_eq!(
        out.stdout,
        "Attaching 1 probe...\n@b[1]: 2\n@b[2]: 3\n\n@c[5]: 0\n@c[6]: 0\n\n\n\n\n\n\
         @c[5]: 0\n@c[6]: 0\n@d[3, 4]: 5\n",
        "{out}"
    );
}

/// Aggregations cleared and zeroed at run time, printed by an interval.
#[test]
fn count_then_clear_in_interval() {
    require_root!();
    let _g = serial();
    let out = run_e(
        "BEGIN { @x[1] = count(); @x[1] = count(); @y = sum(5); } \
         interval:ms:100 { print(@x); print(@y); clear(@x); zero(@y); print(@x); print(@y); exit(); }",
        &[],
    );
    out.assert_ok();
    assert_eq!(
        out.stdout, "Attaching 2 probes...\n@x[1]: 2\n@y: 5\n\n@y: 0\n\n\n\n@y: 0\n",
        "{out}"
    );
}

/// The idiom: count ticks, exit() inside an `if` on the fifth.
#[test]
fn interval_exits_after_n_ticks() {
    require_root!();
    let _g = serial();
    let start = Instant::now();
    let out = Scry::start(&[
        "-e",
        "interval:ms:100 { @n = count(); if (@n == 5) { exit(); } }",
    ])
    .wait(Duration::from_secs(30));
    out.assert_ok();
    out.assert_line("@n: 5");
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(450), "exited after {took:?}");
}

/// Five ticks, then exit, without exit() inside an `if`: the second probe's
/// predicate sees the counter the first one keeps.
#[test]
fn interval_exits_after_n_ticks_predicate() {
    require_root!();
    let _g = serial();
    let start = Instant::now();
    let out = Scry::start(&[
        "-e",
        "interval:ms:100 /@n < 5/ { @n = @n + 1; printf(\"tick %d\\n\", @n); } \
         interval:ms:100 /@n >= 5/ { exit(); }",
    ])
    .wait(Duration::from_secs(30));
    out.assert_ok();
    for i in 1..=5 {
        out.assert_line(&format!("tick {i}"));
    }
    assert_eq!(out.lines_starting("tick ").len(), 5, "{out}");
    out.assert_line("@n: 5");
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(450), "exited after {took:?}");
}

/// profile:hz:99 fires (the worker keeps a CPU busy meanwhile).
#[test]
fn profile_fires() {
    require_root!();
    let _g = serial();
    let out = trace("profile:hz:99 { @p = count(); }", &[], || {
        let end = Instant::now() + Duration::from_millis(500);
        let mut x = 0u64;
        while Instant::now() < end {
            x = x.wrapping_mul(31).wrapping_add(1);
        }
        std::hint::black_box(x);
    });
    out.assert_ok();
    let line = out.lines_starting("@p: ");
    assert_eq!(line.len(), 1, "{out}");
    let n: u64 = line[0][4..].parse().unwrap();
    assert!(n > 0, "{out}");
}

/// software:cpu-clock with a 1 ms period while the worker spins for 300 ms.
#[test]
fn software_cpu_clock_fires_for_worker() {
    require_root!();
    let _g = serial();
    let w = Worker::new("scryspin");
    let tid = w.tid_str();
    let out = trace(
        "software:cpu-clock:1000000 /tid == $1/ { @[comm] = count(); }",
        &[&tid],
        move || {
            w.run(|| {
                let end = Instant::now() + Duration::from_millis(300);
                let mut x = 0u64;
                while Instant::now() < end {
                    x = x.wrapping_mul(31).wrapping_add(1);
                }
                std::hint::black_box(x);
            })
        },
    );
    out.assert_ok();
    let line = out.lines_starting("@[scryspin]: ");
    assert_eq!(line.len(), 1, "{out}");
    let n: u64 = line[0]["@[scryspin]: ".len()..].parse().unwrap();
    // 300 ms at one sample per ms; a loaded machine may run it less.
    assert!(n >= 10, "only {n} samples\n{out}");
}

/// Touching 200 fresh pages faults at least 200 times on the worker.
#[test]
fn software_page_faults_of_worker() {
    require_root!();
    let _g = serial();
    let w = Worker::new("scryfault");
    let tid = w.tid_str();
    let out = trace(
        "software:page-faults:1 /tid == $1/ { @f = count(); }",
        &[&tid],
        move || {
            w.run(|| {
                // Fresh (mmap'd, untouched) memory: one write a page faults.
                let mut v = vec![0u8; 200 * 4096];
                for i in (0..v.len()).step_by(4096) {
                    v[i] = 1;
                }
                std::hint::black_box(&v);
            })
        },
    );
    out.assert_ok();
    let line = out.lines_starting("@f: ");
    assert_eq!(line.len(), 1, "{out}");
    let n: u64 = line[0][4..].parse().unwrap();
    assert!(n >= 200, "only {n} faults\n{out}");
}

/// `for ($kv : @m)`: the body runs once per element, in the kernel, as a
/// callback of bpf_for_each_map_elem; break stops the walk.
#[test]
fn for_loop_over_a_map() {
    require_root!();
    let _g = serial();
    let out = run_e(
        "BEGIN { @a[1] = 10; @a[2] = 20; @a[3] = 30; @s[\"x\", 7] = \"seven\"; \
           for ($kv : @a) { @sum += $kv.1; @keys += $kv.0; } \
           for ($e : @s) { printf(\"%s %d %s\\n\", $e.0.0, $e.0.1, $e.1); } \
           for ($kv : @a) { @visited++; break; } exit(); }",
        &[],
    );
    out.assert_ok();
    out.assert_line("x 7 seven");
    out.assert_line("@sum: 60");
    out.assert_line("@keys: 6");
    out.assert_line("@visited: 1");
}

/// What a loop body cannot see is said at compile time.
#[test]
fn for_loop_limits_are_errors() {
    let out = run_e(
        "BEGIN { @a[1] = count(); for ($kv : @a) { } }",
        &["--dry-run"],
    );
    assert!(!out.ok());
    assert!(
        out.stderr
            .contains("for loops over count() maps are not supported"),
        "{out}"
    );
    let out = run_e(
        "BEGIN { $x = 1; @a[1] = 1; for ($kv : @a) { print($x); } }",
        &["--dry-run"],
    );
    assert!(!out.ok());
    assert!(out.stderr.contains("undefined variable: $x"), "{out}");
}

/// A full map refuses updates: the drops are counted in the kernel and
/// reported with the map's name, never silent (issue 5).
#[test]
fn map_full_is_reported() {
    require_root!();
    let _g = serial();
    let out = run_e(
        "BEGIN { $i = 0; while ($i < 50) { @m[$i] = $i; $i++; } exit(); }",
        &["--map-entries", "10"],
    );
    out.assert_ok();
    assert_eq!(out.lines_starting("@m[").len(), 10, "{out}");
    assert!(
        out.stderr.contains(
            "WARNING: 40 updates of @m were dropped: the map is full (10 entries; raise it with --map-entries)"
        ),
        "{out}"
    );
}

/// A burst larger than a deliberately small ring buffer: what was lost is
/// counted exactly (delivered + lost = sent), on stderr and in JSON.
#[test]
fn ring_buffer_overflow_is_counted() {
    require_root!();
    let _g = serial();
    let prog = "BEGIN { $i = 0; while ($i < 500) { printf(\"line %d padding padding padding\\n\", $i); $i++; } exit(); }";
    let out = run_e(prog, &["--ringbuf-size", "4096"]);
    out.assert_ok();
    let delivered = out.lines_starting("line ").len() as u64;
    let lost: u64 = out
        .stderr
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no loss count: {out}"));
    assert!(lost > 0, "{out}");
    // 500 lines and exit()'s own event, which found the buffer full too;
    // the run still ends, through exit()'s flag.
    assert_eq!(delivered + lost, 501, "{out}");
    let out = run_e(prog, &["--ringbuf-size", "4096", "-f", "json"]);
    assert!(out.stdout.contains("{\"type\": \"lost_events\""), "{out}");
}

/// The kernel does not nest a BPF program inside another on the same CPU:
/// signal() in one probe raises signal:signal_generate, whose program the
/// kernel skips. Each skip is counted and reported, on stderr and in JSON.
/// (SIGURG, 23, is ignored by default: the test process is not disturbed.)
#[test]
fn skipped_runs_are_reported() {
    require_root!();
    let _g = serial();
    let tid = gettid();
    let prog = "tracepoint:syscalls:sys_enter_getppid /tid == $1/ { signal(\"SIGURG\"); } \
                tracepoint:signal:signal_generate /tid == $1 && args.sig == 23/ { @direct = count(); }";
    let workload = || {
        for _ in 0..5 {
            unsafe { libc::getppid() };
        }
        // Signals sent by the test itself reach the second probe.
        for _ in 0..2 {
            unsafe { libc::syscall(libc::SYS_tgkill, getpid(), tid, libc::SIGURG) };
        }
    };
    let t = tid.to_string();
    let out = trace(prog, &["--unsafe", &t], workload);
    out.assert_ok();
    out.assert_line("@direct: 2");
    let want = "WARNING: the kernel skipped tracepoint:signal:signal_generate 5 times: \
                it fired while another BPF program was running on the same CPU";
    assert!(out.stderr.lines().any(|l| l == want), "{out}");
    let out = trace(prog, &["--unsafe", "-f", "json", &t], workload);
    out.assert_ok();
    let want = r#"{"type": "skipped_runs", "data": {"probe": "tracepoint:signal:signal_generate", "runs": 5}}"#;
    assert!(out.stdout.lines().any(|l| l == want), "{out}");
}

/// Wildcards that would attach too many probes are refused up front.
#[test]
fn too_many_probes_are_refused() {
    require_root!();
    let out = run_e(
        "tracepoint:syscalls:sys_enter_* { @ = count(); }",
        &["--max-probes", "10"],
    );
    assert!(!out.ok());
    assert!(out.stderr.contains("more than --max-probes 10"), "{out}");
}

/// At a terminal (script(1)'s pseudo-terminal here), scry asks instead of
/// refusing: "n" refuses, "y" attaches them all.
#[test]
fn too_many_probes_ask_at_a_terminal() {
    require_root!();
    let _g = serial();
    let prog = "tracepoint:syscalls:sys_enter_read* { @ = count(); exit(); }";
    let ask = |answer: &str| {
        let cmd = format!("{} -e '{prog}' --max-probes 2", scry_bin());
        let mut child = Command::new("script")
            .args(["-qfec", &cmd, "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("script(1) from util-linux");
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{answer}").unwrap();
        let out = child.wait_with_output().unwrap();
        drop(stdin);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, text) = ask("n");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("Attach them all? [y/N]"), "{text}");
    assert!(text.contains("ERROR: not attaching"), "{text}");
    assert!(!text.contains("Attaching"), "{text}");
    let (code, text) = ask("y");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("probes, more than --max-probes 2"), "{text}");
    assert!(text.contains("Attaching "), "{text}");
    assert!(text.lines().any(|l| l.starts_with("@: ")), "{text}");
}

/// `len(@m)`: the number of elements, counted in the kernel.
#[test]
fn len_counts_elements() {
    require_root!();
    let _g = serial();
    let out = run_e(
        "BEGIN { @a[1] = 1; @a[2] = 2; @c[\"x\"] = count(); @c[\"y\"] = count(); @c[\"z\"] = count(); \
           printf(\"%d %d\\n\", len(@a), len(@c)); exit(); }",
        &["-q"],
    );
    out.assert_ok();
    out.assert_line("2 3");
}

/// A string map holds the longest string assigned to it; reading a value
/// back copies all of it, not only whole 8-byte words (a `string[11]`
/// value once came back as its first 8 bytes: "abcdefgh").
#[test]
fn string_map_values_read_back_whole() {
    require_root!();
    let _g = serial();
    let out = run_e(
        "BEGIN { @c[1] = \"ab\"; @c[2] = \"abcdefghij\"; @c[3] = \"abcdefghijklm\"; \
         printf(\"%s|%s|%s|%s\\n\", @c[1], @c[2], @c[3], @c[4]); clear(@c); exit(); }",
        &[],
    );
    out.assert_ok();
    out.assert_line("ab|abcdefghij|abcdefghijklm|");
}
