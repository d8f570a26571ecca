//! `scry tool capable`: a copy of chown(1) named `capwl` gives a file of
//! the test to nobody, as root (CAP_CHOWN allowed), then nobody tries to
//! give it back to root (CAP_CHOWN denied); -D keeps the denial only.
//! -K -U: a C fixture (tests/fixtures/chowner.c) chowns from a function of
//! its own; its stacks are printed under its row.

mod tools_support;

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use tools_support::*;

/// Runs `capwl TO FILE` as `uid`; returns its pid.
fn chown_as(prog: &std::path::Path, file: &str, uid: u32, to: &str) -> u32 {
    let mut child = Command::new(prog)
        .args([to, file])
        .uid(uid)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

fn workload(tag: &str) -> (TempDir, std::path::PathBuf, String) {
    let dir = TempDir::new(tag);
    let prog = named_program(&dir, "/bin/chown", "capwl");
    let file = dir.join("owned");
    std::fs::write(&file, "x").unwrap();
    // nobody must be able to reach the file to be denied CAP_CHOWN.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir.path, std::fs::Permissions::from_mode(0o755)).unwrap();
    let file = file.to_str().unwrap().to_string();
    (dir, prog, file)
}

fn rows_of(out: &Output, pid: u32) -> Vec<Vec<String>> {
    out.lines()
        .iter()
        .map(|l| l.split_whitespace().map(String::from).collect::<Vec<_>>())
        .filter(|f| f.get(2) == Some(&pid.to_string()))
        .collect()
}

#[test]
fn allowed_and_denied_chown() {
    require_root!();
    let _g = serial();
    let (_dir, prog, file) = workload("capab");
    let mut t = Tool::attached(&["capable"], "TIME");
    let root_pid = chown_as(&prog, &file, 0, "65534");
    let nobody_pid = chown_as(&prog, &file, 65534, "0");
    t.expect_line("denial", |l| {
        l.contains(&format!(" {nobody_pid} ")) && l.contains("CAP_CHOWN")
    });
    let out = t.stop();
    out.assert_ok();
    assert_eq!(
        out.lines()[0],
        "TIME     UID   PID     COMM             CAP     NAME                 AUDIT   VERDICT",
        "{out}"
    );
    let allowed = rows_of(&out, root_pid);
    assert!(
        allowed.iter().any(|r| r[1..]
            == [
                "0",
                &root_pid.to_string(),
                "capwl",
                "0",
                "CAP_CHOWN",
                "-",
                "allow"
            ]),
        "{out}"
    );
    let denied = rows_of(&out, nobody_pid);
    assert!(
        denied.iter().any(|r| r[1..]
            == [
                "65534",
                &nobody_pid.to_string(),
                "capwl",
                "0",
                "CAP_CHOWN",
                "-",
                "deny"
            ]),
        "{out}"
    );
}

#[test]
fn denied_only() {
    require_root!();
    let _g = serial();
    let (_dir, prog, file) = workload("capabd");
    let mut t = Tool::attached(&["capable", "-D"], "TIME");
    let root_pid = chown_as(&prog, &file, 0, "65534");
    let nobody_pid = chown_as(&prog, &file, 65534, "0");
    t.expect_line("denial", |l| l.contains(&format!(" {nobody_pid} ")));
    let out = t.stop();
    out.assert_ok();
    assert!(rows_of(&out, root_pid).is_empty(), "{out}");
    for l in &out.lines()[1..] {
        assert!(l.contains(" deny"), "{out}");
    }
}

/// The frames (lines after 8 spaces) under the first row of `pid` for `cap`.
fn frames_under(out: &Output, pid: u32, cap: &str) -> Vec<String> {
    let lines = out.lines();
    let row = lines
        .iter()
        .position(|l| l.contains(&format!(" {pid} ")) && l.contains(cap))
        .unwrap_or_else(|| panic!("no {cap} row of {pid}:\n{out}"));
    lines[row + 1..]
        .iter()
        .take_while(|l| l.starts_with("        "))
        .map(|l| l.trim().to_string())
        .collect()
}

#[test]
fn kernel_and_user_stacks() {
    require_root!();
    let dir = TempDir::new("capstk");
    let Some(bin) = compile_c(&dir, "chowner.c") else {
        return;
    };
    let _g = serial();
    let file = dir.join("owned");
    std::fs::write(&file, "x").unwrap();
    let stop = dir.join("stop");
    let mut t = Tool::attached(&["capable", "-K", "-U"], "TIME");
    let args = [file.to_str().unwrap(), "65534", stop.to_str().unwrap()];
    let mut p = Program::start(&bin, &args);
    let pid = p.pid();
    // The user frames are named while the fixture waits for `stop`.
    t.expect_line("user frame", |l| l.contains("scry_cap_chown+0x"));
    std::fs::write(&stop, "").unwrap();
    assert!(p.wait().is_some_and(|s| s.success()));
    let out = t.stop();
    out.assert_ok();
    let frames = frames_under(&out, pid, "CAP_CHOWN");
    // Kernel frames first (the chown path), then the fixture's own.
    let user = frames
        .iter()
        .position(|f| f.starts_with("scry_cap_chown+0x"))
        .unwrap_or_else(|| panic!("no scry_cap_chown frame:\n{out}"));
    assert!(user > 0, "{out}");
    assert!(
        frames[..user].iter().all(|f| f.ends_with(" [kernel]")),
        "{out}"
    );
    assert!(
        frames[..user]
            .iter()
            .any(|f| f.starts_with("chown_common+0x")),
        "{out}"
    );
    assert!(frames[user].ends_with(" [chowner]"), "{out}");
    assert!(
        frames
            .get(user + 1)
            .is_some_and(|f| f.starts_with("main+0x") && f.ends_with(" [chowner]")),
        "{out}"
    );
}

#[test]
fn kernel_stack_only() {
    require_root!();
    let _g = serial();
    let (_dir, prog, file) = workload("capabk");
    let mut t = Tool::attached(&["capable", "-K"], "TIME");
    let pid = chown_as(&prog, &file, 0, "65534");
    t.expect_line("chown row", |l| {
        l.contains(&format!(" {pid} ")) && l.contains("CAP_CHOWN")
    });
    let out = t.stop();
    out.assert_ok();
    let frames = frames_under(&out, pid, "CAP_CHOWN");
    assert!(!frames.is_empty(), "{out}");
    assert!(frames.iter().all(|f| f.ends_with(" [kernel]")), "{out}");
    assert!(
        frames.iter().any(|f| f.starts_with("chown_common+0x")),
        "{out}"
    );
}

/// `--unique`: root's chown of three files checks CAP_CHOWN three times;
/// the process is printed once for it.
#[test]
fn unique_per_process() {
    require_root!();
    let _g = serial();
    let (dir, prog, _) = workload("capabu");
    let files: Vec<String> = (0..3)
        .map(|i| {
            let f = dir.join(&format!("f{i}"));
            std::fs::write(&f, "x").unwrap();
            f.to_str().unwrap().to_string()
        })
        .collect();
    let chown3 = || {
        let mut child = Command::new(&prog)
            .arg("65534")
            .args(&files)
            .spawn()
            .unwrap();
        child.wait().unwrap();
        child.id()
    };
    let chowns = |stdout: &str, pid: u32| {
        stdout
            .lines()
            .filter(|l| l.contains(&format!(" {pid} ")) && l.contains(" CAP_CHOWN "))
            .count()
    };
    let mut t = Tool::attached(&["capable"], "TIME");
    let pid = chown3();
    let three = t.wait_until(std::time::Duration::from_secs(10), |out, _| {
        chowns(out, pid) == 3
    });
    let out = t.stop();
    assert!(three, "{out}");

    let mut t = Tool::attached(&["capable", "--unique"], "TIME");
    let pid = chown3();
    t.expect_line("the check", |l| l.contains(&format!(" {pid} ")));
    std::thread::sleep(std::time::Duration::from_millis(300));
    let out = t.stop();
    out.assert_ok();
    assert_eq!(chowns(&out.stdout, pid), 1, "{out}");
}
