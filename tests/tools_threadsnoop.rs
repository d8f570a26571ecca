//! `scry tool threadsnoop`: a fixture (tests/fixtures/threads.c) starts
//! four threads in `scry_thread_main`; each is a row naming that function.

mod tools_support;

use tools_support::*;

#[test]
fn rows_name_the_start_function() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("thsnoop");
    let Some(bin) = compile_fixture(&dir, "threads.c", &["-lpthread"]) else {
        return;
    };
    let mut t = Tool::attached(&["threadsnoop"], "TIME");
    let (pid, st) = run_program(&bin, &["4"]);
    assert!(st.success());
    let mine = |l: &str| l.split_whitespace().nth(1) == Some(&pid.to_string());
    assert!(
        t.wait_until(LINE_TIMEOUT, |out, _| out
            .lines()
            .filter(|l| mine(l))
            .count()
            >= 4),
        "{}",
        t.stdout()
    );
    let out = t.stop();
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(lines[0], "TIME(ms)   PID    COMM             FUNC", "{out}");
    let rows: Vec<&str> = lines[1..].iter().copied().filter(|l| mine(l)).collect();
    assert_eq!(rows.len(), 4, "{out}");
    for r in rows {
        let f: Vec<&str> = r.split_whitespace().collect();
        assert!(f[0].parse::<u64>().is_ok(), "{out}");
        assert_eq!(&f[2..], &["threads", "scry_thread_main"], "{out}");
        assert_eq!(
            &r[11..],
            format!("{pid:<6} {:<16} scry_thread_main", "threads")
        );
    }
}

#[test]
fn pid_filter_and_json() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("thsnoopj");
    let Some(bin) = compile_fixture(&dir, "threads.c", &["-lpthread"]) else {
        return;
    };
    // A pid no thread creator has: nothing printed, and the tool still
    // runs (-d ends it).
    let out = run_tool(&["threadsnoop", "-p", "999999999", "-d", "1"]);
    out.assert_ok();
    assert_eq!(out.lines().len(), 1, "{out}");

    let mut t = Tool::start(&["threadsnoop", "--json"]);
    assert!(t.wait_until(ATTACH_TIMEOUT, |_, err| err.contains("Tracing")));
    let (pid, _) = run_program(&bin, &["1"]);
    t.expect_line("thread row", |l| l.contains("scry_thread_main"));
    let out = t.stop();
    out.assert_ok();
    let row = out
        .lines()
        .into_iter()
        .find(|l| l.contains("scry_thread_main"))
        .map(|l| Json::parse(l).unwrap())
        .unwrap();
    assert_eq!(row.keys(), ["ms", "pid", "comm", "func"]);
    assert_eq!(row.get("pid").and_then(Json::num), Some(pid as f64));
}
