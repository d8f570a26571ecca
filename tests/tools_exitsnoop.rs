//! `scry tool exitsnoop`: the exits of children the test starts (named
//! copies of true, sh and sleep): a clean exit, an exit code, a SIGKILL
//! with the child's age; failures only; threads with -T.

mod tools_support;

use std::time::Duration;
use tools_support::*;

struct Children {
    ok: u32,
    code: u32,
    killed: u32,
}

fn workload(dir: &TempDir) -> Children {
    let t = named_program(dir, "/bin/true", "exwlok");
    let sh = named_program(dir, "/bin/sh", "exwlcode");
    let sleep = named_program(dir, "/bin/sleep", "exwlkill");
    let (ok, _) = run_program(&t, &[]);
    let (code, st) = run_program(&sh, &["-c", "exit 3"]);
    assert_eq!(st.code(), Some(3));
    let mut child = std::process::Command::new(&sleep)
        .arg("30")
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    child.kill().unwrap();
    let _ = child.wait();
    Children {
        ok,
        code,
        killed: child.id(),
    }
}

#[test]
fn exits_of_the_test_children() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("exsnoop");
    let me = std::process::id();
    let mut t = Tool::attached(&["exitsnoop"], "PCOMM");
    let c = workload(&dir);
    t.expect_line("killed", |l| l.starts_with("exwlkill"));
    let out = t.stop();
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(
        lines[0],
        "PCOMM            PID     PPID    TID     AGE(s)  EXIT_CODE"
    );
    let find = |name: &str| {
        *lines
            .iter()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name}:\n{out}"))
    };
    let ok = find("exwlok ");
    assert!(
        ok.starts_with(&format!(
            "exwlok           {:<7} {me:<7} {:<7} ",
            c.ok, c.ok
        )),
        "{out}"
    );
    assert!(ok.ends_with(" 0"), "{out}");
    let code = find("exwlcode ");
    assert!(code.ends_with(" code 3"), "{out}");
    assert!(
        code.starts_with(&format!("exwlcode         {:<7} ", c.code)),
        "{out}"
    );
    let killed = find("exwlkill ");
    assert!(killed.ends_with(" signal 9 (Killed)"), "{out}");
    let age: f64 = killed.split_whitespace().nth(4).unwrap().parse().unwrap();
    assert!((0.4..5.0).contains(&age), "age {age}:\n{out}");
    assert!(killed.contains(&format!(" {} ", c.killed)), "{out}");
}

#[test]
fn failures_only_with_time() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("exsnoopx");
    let mut t = Tool::attached(&["exitsnoop", "-x", "-t"], "TIME");
    workload(&dir);
    t.expect_line("killed", |l| l.contains(" exwlkill "));
    let out = t.stop();
    out.assert_ok();
    assert!(!out.stdout.contains("exwlok"), "{out}");
    assert!(out.stdout.contains(" exwlcode "), "{out}");
    for l in &out.lines()[1..] {
        assert!(!l.ends_with(" 0"), "a clean exit with -x: {l}");
        assert_eq!(l.as_bytes()[2], b':', "{l}");
    }
}

#[test]
fn threads_only_with_big_t() {
    require_root!();
    let _g = serial();
    let me = std::process::id().to_string();
    let spawn_threads = || {
        for i in 0..3 {
            std::thread::Builder::new()
                .name(format!("exthread{i}"))
                .spawn(|| std::thread::sleep(Duration::from_millis(10)))
                .unwrap()
                .join()
                .unwrap();
        }
    };
    let mut t = Tool::attached(&["exitsnoop", "-p", &me], "PCOMM");
    spawn_threads();
    std::thread::sleep(Duration::from_millis(300));
    let out = t.stop();
    out.assert_ok();
    assert_eq!(out.lines().len(), 1, "a thread exit without -T:\n{out}");

    let mut t = Tool::attached(&["exitsnoop", "-T", "--json", "-p", &me], "");
    spawn_threads();
    t.expect_line("third thread", |l| l.contains("exthread2"));
    let out = t.stop();
    out.assert_ok();
    let rows: Vec<Json> = out
        .lines()
        .iter()
        .map(|l| Json::parse(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3, "{out}");
    for r in &rows {
        assert_eq!(r.keys(), ["comm", "pid", "ppid", "tid", "age", "exit_code"]);
        assert_eq!(
            r.get("pid").unwrap().num(),
            Some(me.parse::<f64>().unwrap())
        );
        assert_ne!(r.get("tid"), r.get("pid"));
        assert_eq!(r.get("exit_code").unwrap().str(), Some("0"));
    }
}
