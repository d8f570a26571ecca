//! `scry tool execsnoop`: the rows of programs the test starts (a copy of
//! true under a name of our own), their arguments, failed exec()s with -x,
//! the optional columns and --json.

mod tools_support;

use tools_support::*;

#[test]
fn rows_of_a_workload() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("esnoop");
    let name = "esnoopwl";
    let prog = named_program(&dir, "/bin/true", name);
    let path = prog.to_str().unwrap();

    let mut t = Tool::attached(&["execsnoop", "-n", name], "PCOMM");
    let (pid, st) = run_program(&prog, &["one", "two words", "three"]);
    assert!(st.success());
    t.expect_line("workload", |l| l.starts_with(name));
    let out = t.stop();
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(lines[0], "PCOMM            PID    PPID   RET ARGS", "{out}");
    assert_eq!(
        lines[1],
        format!(
            "{name:<16} {pid:<6} {:<6} {:>3} {path} one two words three",
            std::process::id(),
            0
        ),
        "{out}"
    );
    assert_eq!(lines.len(), 2, "{out}");
}

#[test]
fn failed_execs_need_x_and_args_are_cut() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("esnoopx");
    let missing = dir.join("no-such-program");
    let token = missing.to_str().unwrap().to_string();
    let many: Vec<String> = (0..30).map(|i| format!("a{i}")).collect();

    // Without -x: nothing for a failed exec.
    let mut t = Tool::attached(&["execsnoop", "-l", &token], "PCOMM");
    assert!(std::process::Command::new(&missing).spawn().is_err());
    std::thread::sleep(std::time::Duration::from_millis(300));
    let out = t.stop();
    out.assert_ok();
    assert_eq!(out.lines().len(), 1, "a failed exec without -x:\n{out}");

    // With -x: the failure with ENOENT, quoted arguments, cut at --max-args.
    let mut t = Tool::attached(
        &[
            "execsnoop",
            "-x",
            "-q",
            "--max-args",
            "3",
            "-T",
            "-U",
            "-l",
            &token,
        ],
        "TIME",
    );
    assert!(std::process::Command::new(&missing)
        .args(&many)
        .spawn()
        .is_err());
    t.expect_line("failure", |l| l.contains(&token));
    let out = t.stop();
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(
        lines[0], "TIME     UID    PCOMM            PID    PPID   RET ARGS",
        "{out}"
    );
    let row = lines[1];
    assert!(
        row.ends_with(&format!(" -2 \"{token}\" \"a0\" \"a1\" ...")),
        "{out}"
    );
    assert_eq!(&row[8..16], " 0      ", "{out}");
}

#[test]
fn json_rows() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("esnoopj");
    let name = "esnoopjs";
    let prog = named_program(&dir, "/bin/true", name);

    let mut t = Tool::attached(&["execsnoop", "--json", "-t", "-n", name], "");
    let (pid, _) = run_program(&prog, &["x\ty"]);
    t.expect_line("workload", |l| l.contains(name));
    let out = t.stop();
    out.assert_ok();
    let j = Json::parse(out.lines()[0]).unwrap_or_else(|e| panic!("{e}:\n{out}"));
    assert_eq!(
        j.keys(),
        ["time_s", "comm", "pid", "ppid", "ret", "args"],
        "{out}"
    );
    assert_eq!(j.get("pid").unwrap().num(), Some(pid as f64));
    assert_eq!(
        j.get("args").unwrap().str(),
        Some(format!("{} x\ty", prog.display()).as_str())
    );
    assert!(j.get("time_s").unwrap().num().unwrap() >= 0.0);
}
