//! `scry tool stackcount`: the stacks of a C fixture's system calls
//! (tests/fixtures/generic.c: main → scry_gen_syscall → getppid) at the
//! syscall tracepoint, for its pid: kernel frames then its user frames and
//! the count; folded per process; kernel stacks only as JSON. The fixture
//! stays alive until the tool has printed, so its frames can be named.

mod tools_support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tools_support::*;

const N: usize = 6;
const TP: &str = "t:syscalls:sys_enter_getppid";

/// The fixture, waiting for `go` to start and for `stop` to exit.
struct Workload {
    program: Program,
    go: PathBuf,
    stop: PathBuf,
}

impl Workload {
    fn start(bin: &Path, dir: &TempDir, tag: &str) -> Workload {
        let (go, stop) = (
            dir.join(&format!("go{tag}")),
            dir.join(&format!("stop{tag}")),
        );
        let args = [
            &N.to_string(),
            "10",
            go.to_str().unwrap(),
            stop.to_str().unwrap(),
        ];
        let program = Program::start(bin, &args);
        Workload { program, go, stop }
    }

    fn pid(&self) -> String {
        self.program.pid().to_string()
    }

    /// Lets it make its calls, and waits (bounded) until they are made.
    fn run(&self) {
        std::fs::write(&self.go, b"").unwrap();
        let ready = PathBuf::from(format!("{}.ready", self.stop.display()));
        let deadline = Instant::now() + Duration::from_secs(30);
        while !ready.exists() {
            assert!(Instant::now() < deadline, "the workload did not run");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn finish(mut self) {
        std::fs::write(&self.stop, b"").unwrap();
        assert!(self.program.wait().is_some_and(|s| s.success()));
    }
}

#[test]
fn kernel_and_user_frames_of_one_process() {
    require_root!();
    let dir = TempDir::new("sc");
    let Some(bin) = compile_c(&dir, "generic.c") else {
        return;
    };
    let _g = serial();
    let w = Workload::start(&bin, &dir, "1");
    let mut t = Tool::attached(&["stackcount", "-p", &w.pid(), TP], "Tracing 1 functions");
    w.run();
    let out = t.stop();
    w.finish();
    out.assert_ok();
    assert!(
        out.stdout.starts_with(&format!(
            "Tracing 1 functions for \"{TP}\"... Hit Ctrl-C to end.\n\n"
        )),
        "{out}"
    );
    assert!(out.stdout.ends_with("\nDetaching...\n"), "{out}");
    // One stack: kernel frames, then the fixture's, then the count.
    let lines: Vec<&str> = out.lines()[2..out.lines().len() - 2].to_vec();
    assert_eq!(lines.last(), Some(&format!("    {N}").as_str()), "{out}");
    let at = lines
        .iter()
        .position(|l| *l == "  scry_gen_syscall")
        .unwrap_or_else(|| panic!("no fixture frame:\n{out}"));
    assert!(at > 0, "no kernel frames:\n{out}");
    assert!(
        lines[..at]
            .iter()
            .all(|l| l.starts_with("  ") && !l.contains('+')),
        "{out}"
    );
    assert_eq!(lines[at + 1], "  main", "{out}");
    // With -p, no `comm [pid]` line.
    assert!(!out.stdout.contains("    generic ["), "{out}");
}

#[test]
fn folded_per_process_and_json() {
    require_root!();
    let dir = TempDir::new("scf");
    let Some(bin) = compile_c(&dir, "generic.c") else {
        return;
    };
    let _g = serial();
    // -f -P -U: `comm;outermost;...;innermost count`, no other text.
    let w = Workload::start(&bin, &dir, "1");
    let mut t = Tool::start(&["stackcount", "-v", "-f", "-P", "-U", TP]);
    assert!(
        t.wait_until(ATTACH_TIMEOUT, |_, err| err.contains("using plan")),
        "{}",
        t.kill()
    );
    w.run();
    let out = t.stop();
    w.finish();
    out.assert_ok();
    let line = out
        .lines()
        .into_iter()
        .find(|l| l.starts_with("generic;"))
        .unwrap_or_else(|| panic!("no folded stack of the fixture:\n{out}"));
    assert!(
        line.ends_with(&format!(";main;scry_gen_syscall {N}")),
        "{out}"
    );
    assert!(
        !out.stdout.contains("Tracing") && !out.stdout.contains("Detaching"),
        "{out}"
    );

    // --json -K: kernel stacks only, per process with -p.
    let w = Workload::start(&bin, &dir, "2");
    let pid = w.pid();
    let mut t = Tool::attached(&["stackcount", "--json", "-K", "-p", &pid, TP], "");
    w.run();
    let out = t.stop();
    w.finish();
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(lines.len(), 1, "{out}");
    let v = Json::parse(lines[0]).unwrap();
    let Some(Json::Arr(stacks)) = v.get("stacks") else {
        panic!("{out}")
    };
    assert_eq!(stacks.len(), 1, "{out}");
    assert_eq!(
        stacks[0].keys(),
        ["count", "kernel", "pid", "comm"],
        "{out}"
    );
    assert_eq!(stacks[0].get("count").and_then(Json::num), Some(N as f64));
    assert_eq!(stacks[0].get("comm").and_then(Json::str), Some("generic"));
    let Some(Json::Arr(frames)) = stacks[0].get("kernel") else {
        panic!("{out}")
    };
    assert!(!frames.is_empty(), "{out}");
}
