//! `scry tool killsnoop`: the kill() calls of a thread of the test (named
//! `killwl`): a signal 0 probe, a SIGTERM to a child, a kill of a pid that
//! cannot exist; filtered by sender pid, by signal, and failures only.

mod tools_support;

use std::time::Duration;
use tools_support::*;

/// Sends the workload's signals from a thread named `killwl`; returns the
/// child's pid and the impossible pid.
fn send_signals() -> (i32, i32) {
    let mut child = std::process::Command::new("/bin/sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let cpid = child.id() as i32;
    let max: i32 = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let nobody = max + 1;
    std::thread::Builder::new()
        .name("killwl".into())
        .spawn(move || unsafe {
            assert_eq!(libc::kill(cpid, 0), 0);
            assert_eq!(libc::kill(nobody, libc::SIGUSR1), -1);
            assert_eq!(libc::kill(cpid, libc::SIGTERM), 0);
        })
        .unwrap()
        .join()
        .unwrap();
    let _ = child.wait();
    (cpid, nobody)
}

/// The row after its 9-character time column.
fn row(pid: u32, sig: i32, tpid: i32, ret: i32) -> String {
    format!("{pid:<7} {:<16} {sig:<9} {tpid:<7} {ret:<6}", "killwl")
}

#[test]
fn rows_of_the_test_signals() {
    require_root!();
    let _g = serial();
    let me = std::process::id();
    let mut t = Tool::attached(&["killsnoop", "-p", &me.to_string()], "TIME");
    let (cpid, nobody) = send_signals();
    t.expect_line("SIGTERM", |l| l.contains(&format!(" 15        {cpid} ")));
    let out = t.stop();
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(
        lines[0],
        "TIME     PID     COMM             SIG       TPID    RESULT"
    );
    // (Stopping the tool is a kill() of the test too: only killwl's rows.)
    let rows: Vec<&str> = lines[1..]
        .iter()
        .map(|l| &l[9..])
        .filter(|l| l.contains(" killwl "))
        .collect();
    assert_eq!(
        rows,
        [
            row(me, 0, cpid, 0),
            row(me, libc::SIGUSR1, nobody, -libc::ESRCH),
            row(me, libc::SIGTERM, cpid, 0)
        ],
        "{out}"
    );
}

#[test]
fn failures_and_one_signal() {
    require_root!();
    let _g = serial();
    let me = std::process::id();
    let mut t = Tool::attached(&["killsnoop", "-x", "-p", &me.to_string()], "TIME");
    let (_, nobody) = send_signals();
    t.expect_line("failure", |l| l.contains(&nobody.to_string()));
    std::thread::sleep(Duration::from_millis(200));
    let out = t.stop();
    out.assert_ok();
    assert_eq!(out.lines().len(), 2, "{out}");

    let mut t = Tool::attached(
        &[
            "killsnoop",
            "--json",
            "-s",
            "SIGTERM",
            "-p",
            &me.to_string(),
        ],
        "",
    );
    let (cpid, _) = send_signals();
    t.expect_line("SIGTERM", |l| l.contains("\"sig\": 15"));
    std::thread::sleep(Duration::from_millis(200));
    let out = t.stop();
    out.assert_ok();
    assert_eq!(out.lines().len(), 1, "{out}");
    let j = Json::parse(out.lines()[0]).unwrap();
    assert_eq!(j.keys(), ["time", "pid", "comm", "sig", "tpid", "ret"]);
    assert_eq!(j.get("tpid").unwrap().num(), Some(cpid as f64));
    assert_eq!(j.get("comm").unwrap().str(), Some("killwl"));
}
