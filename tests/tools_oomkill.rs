//! `scry tool oomkill`: a fixture (tests/fixtures/hog.c) runs in a memory
//! cgroup the test makes with a 16 MiB limit and touches memory until the
//! OOM killer kills it; the tool prints the sentence naming it.

mod tools_support;

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use tools_support::*;

/// A memory cgroup with a small limit, removed on drop.
struct Cgroup(PathBuf);

impl Cgroup {
    /// cgroup v1's memory controller, else v2's (None when neither is
    /// mounted with memory control).
    fn small() -> Option<Cgroup> {
        let name = format!("scryoom{}", std::process::id());
        let limit = (16u64 << 20).to_string();
        for (root, file) in [
            ("/sys/fs/cgroup/memory", "memory.limit_in_bytes"),
            ("/sys/fs/cgroup", "memory.max"),
            ("/sys/fs/cgroup/unified", "memory.max"),
        ] {
            let dir = PathBuf::from(root).join(&name);
            if std::fs::create_dir(&dir).is_err() {
                continue;
            }
            if std::fs::write(dir.join(file), &limit).is_ok() {
                return Some(Cgroup(dir));
            }
            let _ = std::fs::remove_dir(&dir);
        }
        None
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

#[test]
fn the_oom_victim_is_named() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("oomk");
    let Some(bin) = compile_fixture(&dir, "hog.c", &[]) else {
        return;
    };
    let Some(cg) = Cgroup::small() else {
        eprintln!("skipped: no memory cgroup controller to confine the OOM kill");
        return;
    };
    let mut t = Tool::attached(&["oomkill"], "Tracing");
    let procs = cg.0.join("cgroup.procs");
    let mut cmd = Command::new(&bin);
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    // Joins the cgroup between fork and exec.
    unsafe {
        cmd.pre_exec(move || std::fs::write(&procs, "0"));
    }
    let mut child = cmd.spawn().unwrap();
    let pid = child.id();
    let status = child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        status.signal(),
        Some(libc::SIGKILL),
        "the hog was not OOM-killed"
    );
    let want = format!("OOM kill of PID {pid} (\"hog\")");
    t.expect_line("victim", |l| l.contains(&want));
    let out = t.stop();
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(lines[0], "Tracing OOM kills... Ctrl-C to stop.", "{out}");
    let row = lines.iter().find(|l| l.contains(&want)).unwrap();
    // HH:MM:SS Triggered by PID P ("hog"), OOM kill of PID P ("hog"), N pages, loadavg: ...
    let prefix = format!(" Triggered by PID {pid} (\"hog\"), {want}, ");
    assert_eq!(&row[8..8 + prefix.len()], prefix, "{out}");
    let rest = &row[8 + prefix.len()..];
    let (pages, load) = rest.split_once(" pages, loadavg: ").expect("pages");
    assert!(pages.parse::<u64>().unwrap() > 0, "{out}");
    assert_eq!(load.split_whitespace().count(), 5, "{out}");
}
