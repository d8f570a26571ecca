//! `scry tool bashreadline`: an interactive bash (on a pseudo-terminal made
//! by script(1), so that it uses readline) runs commands the test types;
//! each is a row with bash's pid.

mod tools_support;

use std::io::Write;
use std::process::{Command, Stdio};
use tools_support::*;

/// Types `lines` into an interactive bash; returns when it has exited.
fn type_into_bash(lines: &[&str]) {
    let mut child = Command::new("script")
        .args(["-qfec", "bash --norc --noprofile -i", "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("script(1) from util-linux");
    let mut stdin = child.stdin.take().unwrap();
    for l in lines {
        writeln!(stdin, "{l}").unwrap();
    }
    writeln!(stdin, "exit").unwrap();
    drop(stdin);
    let _ = child.wait();
}

#[test]
fn typed_commands_are_rows() {
    require_root!();
    let _g = serial();
    let marker = format!("echo scry-bashreadline-{}", std::process::id());
    let mut t = Tool::attached(&["bashreadline"], "TIME");
    type_into_bash(&[&marker, "true"]);
    t.expect_line("typed command", |l| l.ends_with(" exit"));
    let out = t.stop();
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(lines[0], "TIME      PID     COMMAND", "{out}");
    let i = lines
        .iter()
        .position(|l| l.ends_with(&marker))
        .unwrap_or_else(|| panic!("no row for {marker}:\n{out}"));
    let row = lines[i];
    // HH:MM:SS, then bash's pid, then the command as typed.
    assert_eq!(row.as_bytes()[2], b':', "{out}");
    let pid: u32 = row[10..17].trim().parse().unwrap();
    assert_eq!(&row[18..], marker, "{out}");
    let next = lines[i + 1];
    assert_eq!(&next[10..], format!("{pid:<7} true"), "{out}");
}

#[test]
fn missing_library_is_one_line() {
    require_root!();
    let _g = serial();
    let out = run_tool(&["bashreadline", "-s", "/nonexistent/libreadline.so"]);
    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(out.stderr.lines().count(), 1, "{out}");
    assert!(out.stderr.contains("/nonexistent/libreadline.so"), "{out}");
}
