//! `scry tool statsnoop`: the stat() calls of a thread of the test (named
//! `statwl`) on a file it made and on one that does not exist; the pid
//! filter, -x, -t and -s, and --json.

mod tools_support;

use tools_support::*;

/// stat()s `exists` and `missing` from a thread named `statwl`.
fn stat_from_thread(exists: &str, missing: &str) {
    let (e, m) = (exists.to_string(), missing.to_string());
    std::thread::Builder::new()
        .name("statwl".into())
        .spawn(move || {
            assert!(std::fs::metadata(&e).is_ok());
            assert!(std::fs::metadata(&m).is_err());
        })
        .unwrap()
        .join()
        .unwrap();
}

fn workload_files(dir: &TempDir) -> (String, String) {
    let exists = dir.join("here.txt");
    std::fs::write(&exists, "x").unwrap();
    let missing = dir.join("not-here.txt");
    (
        exists.to_str().unwrap().to_string(),
        missing.to_str().unwrap().to_string(),
    )
}

#[test]
fn rows_of_the_test_stats() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("stsnoop");
    let (exists, missing) = workload_files(&dir);
    let me = std::process::id();
    let mut t = Tool::attached(&["statsnoop", "-p", &me.to_string()], "PID");
    stat_from_thread(&exists, &missing);
    t.expect_line("missing", |l| l.ends_with(&missing));
    let out = t.stop();
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(
        lines[0], "PID     COMM                 RET  ERR  PATH",
        "{out}"
    );
    let ok = lines.iter().find(|l| l.ends_with(&exists)).expect("row");
    assert_eq!(
        *ok,
        format!("{me:<7} {:<20} {:<4} {:<4} {exists}", "statwl", 0, 0),
        "{out}"
    );
    let bad = lines.iter().find(|l| l.ends_with(&missing)).unwrap();
    assert_eq!(
        *bad,
        format!("{me:<7} {:<20} {:<4} {:<4} {missing}", "statwl", -1, 2),
        "{out}"
    );
    // The pid filter is in the kernel: every row is the test's.
    for l in &lines[1..] {
        assert!(l.starts_with(&format!("{me:<7} ")), "{out}");
    }
}

#[test]
fn failed_only_with_time_and_syscall_columns() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("stsnoopx");
    let (exists, missing) = workload_files(&dir);
    let me = std::process::id().to_string();
    let mut t = Tool::attached(&["statsnoop", "-x", "-t", "-s", "-p", &me], "TIME");
    stat_from_thread(&exists, &missing);
    t.expect_line("missing", |l| l.ends_with(&missing));
    let out = t.stop();
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(
        lines[0], "TIME(s)        PID     COMM                 RET  ERR  SYSCALL    PATH",
        "{out}"
    );
    assert!(
        !out.stdout.contains(&exists),
        "-x printed a success:\n{out}"
    );
    let bad = lines.iter().find(|l| l.ends_with(&missing)).unwrap();
    let f: Vec<&str> = bad.split_whitespace().collect();
    // Seconds since the first event, with 9 decimals.
    assert_eq!(f[0].split('.').nth(1).map(str::len), Some(9), "{out}");
    assert_eq!(&f[3..], &["-1", "2", "statx", &missing], "{out}");
}

#[test]
fn json_objects() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("stsnoopj");
    let (exists, missing) = workload_files(&dir);
    let me = std::process::id().to_string();
    let mut t = Tool::start(&["statsnoop", "--json", "-p", &me]);
    assert!(
        t.wait_until(ATTACH_TIMEOUT, |_, err| err.contains("Tracing")),
        "{}",
        t.stdout()
    );
    stat_from_thread(&exists, &missing);
    t.expect_line("missing", |l| l.contains("not-here.txt"));
    let out = t.stop();
    out.assert_ok();
    let row = out
        .lines()
        .into_iter()
        .find(|l| l.contains("not-here.txt"))
        .map(|l| Json::parse(l).unwrap())
        .unwrap();
    assert_eq!(row.keys(), ["pid", "comm", "ret", "err", "path"]);
    assert_eq!(row.get("comm").and_then(Json::str), Some("statwl"));
    assert_eq!(row.get("err").and_then(Json::num), Some(2.0));
    assert_eq!(row.get("path").and_then(Json::str), Some(missing.as_str()));
}
