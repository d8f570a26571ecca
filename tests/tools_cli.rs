//! `scry tool` on the command line: the listing, each tool's generated
//! parser and help, `--show` printing a script that scry runs as it is,
//! errors in one line, and the bpftrace-style flags left as they were.

mod tools_support;

use std::process::Command;
use tools_support::*;

/// The arguments `--show` needs: the generic tools' probe specs.
fn show_args(name: &str) -> &'static [&'static str] {
    match name {
        "funccount" | "stackcount" => &["t:syscalls:sys_enter_getppid"],
        "funclatency" => &["c:malloc"],
        "trace" => &[
            "r:c:malloc (retval == 0) \"%d\", arg1",
            "t:syscalls:sys_enter_openat",
        ],
        "argdist" => &["-C", "p:c:write(int fd):int:fd", "-H", "r:c:read()"],
        _ => &[],
    }
}

fn scry(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_scry"))
        .args(args)
        .output()
        .expect("run scry");
    Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        timed_out: false,
    }
}

#[test]
fn listing_names_every_tool_with_its_summary() {
    let out = scry(&["tool"]);
    out.assert_ok();
    let lines = out.lines();
    assert!(
        lines[0].starts_with("Tools (run: scry tool NAME [FLAGS]"),
        "{out}"
    );
    let tools = scry_tools::all();
    for (line, tool) in lines[1..].iter().zip(tools) {
        let name = tool.name;
        assert!(line.starts_with(&format!("  {name} ")), "{out}");
        assert!(line.ends_with(tool.summary), "{out}");
        assert!(line.len() > name.len() + 20, "no summary: {line}");
    }
    assert_eq!(lines.len(), tools.len() + 1, "{out}");
    // The suite's tools, BCC's names.
    for name in [
        "opensnoop",
        "execsnoop",
        "biolatency",
        "runqlat",
        "profile",
        "offcputime",
        "tcpconnect",
        "tcplife",
        "funccount",
        "funclatency",
        "trace",
        "argdist",
        "stackcount",
    ] {
        assert!(tools.iter().any(|t| t.name == name), "{name} missing");
    }
}

#[test]
fn each_tool_has_its_own_parser_and_help() {
    let out = scry(&["tool", "biolatency", "--help"]);
    out.assert_ok();
    for needle in [
        "Usage: scry tool biolatency [OPTIONS] [interval] [count]",
        "-Q, --queued",
        "-D, --disk",
        "--json",
        "EXAMPLES:\n  scry tool biolatency ",
    ] {
        assert!(out.stdout.contains(needle), "no {needle:?}:\n{out}");
    }
    // A flag of another tool is an error of this one's parser.
    let out = scry(&["tool", "biolatency", "-p", "1"]);
    assert_eq!(out.code, Some(2), "{out}");
    assert!(out.stderr.contains("unexpected argument '-p'"), "{out}");
    let out = scry(&["tool", "opensnoop", "-p", "notapid"]);
    assert_eq!(out.code, Some(2), "{out}");
    let out = scry(&["tool", "killsnoop", "-s", "SIGNOPE", "--show"]);
    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(out.stderr, "ERROR: unknown signal 'SIGNOPE'\n", "{out}");
}

#[test]
fn unknown_tool_is_one_line() {
    let out = scry(&["tool", "nosuchtool"]);
    assert_eq!(out.code, Some(1));
    assert_eq!(
        out.stderr,
        "ERROR: no tool named 'nosuchtool' (scry tool lists them)\n"
    );
}

#[test]
fn shown_scripts_run_as_they_are() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("show");
    for tool in scry_tools::all() {
        let name = tool.name;
        let mut args = vec!["tool", "--show", name];
        args.extend(show_args(name));
        let out = scry(&args);
        out.assert_ok();
        assert!(
            out.stdout.starts_with(&format!("// {name} — probe plan: ")),
            "{out}"
        );
        let file = dir.join(&format!("{name}.bt"));
        std::fs::write(&file, &out.stdout).unwrap();
        let run = scry(&["--dry-run", file.to_str().unwrap()]);
        run.assert_ok();
    }
}

#[test]
fn bpftrace_flags_still_work() {
    require_root!();
    let _g = serial();
    let out = scry(&[
        "-e",
        "BEGIN { printf(\"hi %s\\n\", str($1)); exit(); }",
        "x",
    ]);
    out.assert_ok();
    assert!(out.stdout.contains("hi x\n"), "{out}");
    let out = scry(&["-l", "tracepoint:sched:sched_switch"]);
    out.assert_ok();
    assert_eq!(out.stdout, "tracepoint:sched:sched_switch\n");
    // A script file named like a word is still a script (./tool).
    let dir = TempDir::new("clitool");
    std::fs::write(dir.join("tool"), "BEGIN { printf(\"file\\n\"); exit(); }").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_scry"))
        .arg("./tool")
        .current_dir(&dir.path)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("file\n"));
}
