//! Nothing is left behind: however scry ends — Ctrl-C, SIGTERM, SIGHUP,
//! SIGKILL, a panic, or the end of the command it traces (`-c`) — none of
//! the programs, maps and links it held stays in the kernel, and none of its
//! uprobes stays registered in tracefs.
//!
//! The ids scry holds are read from /proc/PID/fdinfo while it runs; after it
//! ends, each is looked up again with BPF_*_GET_FD_BY_ID (no bpftool
//! needed). Ids are freed asynchronously (RCU), so each check allows a few
//! seconds.

mod common;

use common::*;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The kernel objects a process holds through its file descriptors.
#[derive(Debug, Default)]
struct Held {
    progs: Vec<u32>,
    maps: Vec<u32>,
    links: Vec<u32>,
}

fn held_by(pid: i32) -> Held {
    let mut h = Held::default();
    let Ok(rd) = std::fs::read_dir(format!("/proc/{pid}/fdinfo")) else {
        return h;
    };
    for e in rd.flatten() {
        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
        for l in text.lines() {
            let (list, v) = if let Some(v) = l.strip_prefix("prog_id:") {
                (&mut h.progs, v)
            } else if let Some(v) = l.strip_prefix("map_id:") {
                (&mut h.maps, v)
            } else if let Some(v) = l.strip_prefix("link_id:") {
                (&mut h.links, v)
            } else {
                continue;
            };
            if let Ok(id) = v.trim().parse() {
                if !list.contains(&id) {
                    list.push(id);
                }
            }
        }
    }
    h
}

/// Whether an object of this kind (a BPF_*_GET_FD_BY_ID command) still
/// exists.
fn exists(cmd: i32, id: u32) -> bool {
    let mut attr = [0u32; 4];
    attr[0] = id;
    // SAFETY: bpf(cmd, attr, size) with a zeroed attr of the given size.
    let fd = unsafe { libc::syscall(libc::SYS_bpf, cmd, attr.as_mut_ptr(), 16) };
    if fd >= 0 {
        unsafe { libc::close(fd as i32) };
        return true;
    }
    std::io::Error::last_os_error().raw_os_error() != Some(libc::ENOENT)
}

const PROG_GET_FD_BY_ID: i32 = 13;
const MAP_GET_FD_BY_ID: i32 = 14;
const LINK_GET_FD_BY_ID: i32 = 30;

/// What of `held` exists now.
fn present(held: &Held) -> Vec<String> {
    let mut found = Vec::new();
    for (kind, cmd, ids) in [
        ("prog", PROG_GET_FD_BY_ID, &held.progs),
        ("map", MAP_GET_FD_BY_ID, &held.maps),
        ("link", LINK_GET_FD_BY_ID, &held.links),
    ] {
        found.extend(
            ids.iter()
                .filter(|&&id| exists(cmd, id))
                .map(|id| format!("{kind} {id}")),
        );
    }
    found
}

impl Held {
    fn len(&self) -> usize {
        self.progs.len() + self.maps.len() + self.links.len()
    }
}

/// What of `held` still exists, waiting up to 5 s for it to go.
fn remaining(held: &Held) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = present(held);
        if left.is_empty() || Instant::now() >= deadline {
            return left;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The fixture, and a target process of it waiting for its start file.
struct Target {
    _dir: TempDir,
    bin: PathBuf,
    start: PathBuf,
}

impl Target {
    fn build() -> Option<Target> {
        let dir = TempDir::new("left");
        let bin = compile_fixture(&dir, "target.c", &[])?;
        let start = dir.join("start");
        Some(Target {
            _dir: dir,
            bin,
            start,
        })
    }

    fn path(&self) -> &str {
        self.bin.to_str().unwrap()
    }

    /// The command line that runs 9 iterations once `start` exists.
    fn command(&self) -> String {
        format!("{} 9 {}", self.path(), self.start.display())
    }

    fn spawn(&self) -> Child {
        Command::new("/bin/sh")
            .args(["-c", &format!("exec {}", self.command())])
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn target")
    }

    fn go(&self) {
        std::fs::write(&self.start, b"").unwrap();
    }

    /// Every probe kind that works on this kernel, on this target.
    fn script(&self) -> String {
        format!(
            "uprobe:{0}:scry_target_* {{ @[func] = count(); }} \
             uretprobe:{0}:scry_target_add {{ @r = sum(retval); }} \
             uprobe:{0}:scry_target_str {{ printf(\"str\\n\"); }} \
             usdt:{0}:scry:tick {{ @t = count(); }} \
             tracepoint:syscalls:sys_enter_openat {{ @o = count(); }} \
             interval:ms:50 {{ @i = count(); }}",
            self.path()
        )
    }
}

/// Starts scry on the target (with `extra` arguments and environment),
/// checks it holds programs, maps and links, lets `end` finish the run,
/// and checks that nothing it held remains.
fn check(t: &Target, extra: &[&str], env: &[(&str, &str)], end: impl FnOnce(&mut Scry)) -> Output {
    let script = t.script();
    let mut args = vec!["-e", script.as_str()];
    args.extend_from_slice(extra);
    let mut cmd = scry(&args);
    cmd.envs(env.iter().copied());
    let mut s = Scry::spawn(cmd, None);
    s.wait_attached();
    let held = held_by(s.pid());
    assert!(
        !held.progs.is_empty() && !held.maps.is_empty() && !held.links.is_empty(),
        "scry holds too little while attached: {held:?}"
    );
    // The lookup itself works: everything is there while scry runs.
    assert_eq!(present(&held).len(), held.len(), "{held:?}");
    end(&mut s);
    let out = s.wait(Duration::from_secs(30));
    assert!(!out.timed_out, "scry did not end:\n{out}");
    let left = remaining(&held);
    assert!(
        left.is_empty(),
        "still in the kernel: {left:?} (held {held:?})\n{out}"
    );
    let events = uprobe_events_matching(&[t.path()]);
    assert!(events.is_empty(), "uprobe_events still has: {events:?}");
    out
}

/// A signal scry handles: it ends cleanly (exit 0, maps printed).
fn clean_stop(sig: i32) {
    let Some(t) = Target::build() else { return };
    let _g = serial();
    let mut target = t.spawn();
    let out = check(&t, &[], &[], |s| {
        t.go();
        assert_eq!(wait_child(&mut target, Duration::from_secs(30)), Some(0));
        s.signal(sig);
    });
    out.assert_ok();
    out.assert_line("@r: 99");
    out.assert_line("@t: 9");
    out.assert_line("str");
}

#[test]
fn after_sigint() {
    require_root!();
    clean_stop(libc::SIGINT);
}

#[test]
fn after_sigterm() {
    require_root!();
    clean_stop(libc::SIGTERM);
}

#[test]
fn after_sighup() {
    require_root!();
    clean_stop(libc::SIGHUP);
}

/// SIGKILL runs none of scry's code: the kernel alone must free everything,
/// which it does because every attachment is owned by a file descriptor.
#[test]
fn after_sigkill() {
    require_root!();
    let Some(t) = Target::build() else { return };
    let _g = serial();
    let mut target = t.spawn();
    let out = check(&t, &[], &[], |s| s.signal(libc::SIGKILL));
    assert_eq!(out.signal, Some(libc::SIGKILL), "{out}");
    // The target, still waiting, runs on unprobed.
    t.go();
    assert_eq!(wait_child(&mut target, Duration::from_secs(30)), Some(0));
}

/// A panic (injected on the first event) reports itself as a bug, exits
/// 101, and leaves nothing.
#[test]
fn after_panic() {
    require_root!();
    let Some(t) = Target::build() else { return };
    let _g = serial();
    let mut target = t.spawn();
    let out = check(&t, &[], &[("SCRY_FAULT", "event")], |_| t.go());
    assert_eq!(out.code, Some(101), "{out}");
    assert!(
        out.stderr.contains("ERROR: internal error, a bug in scry")
            && out.stderr.contains("fault injected at `event`"),
        "{out}"
    );
    assert_eq!(wait_child(&mut target, Duration::from_secs(30)), Some(0));
}

/// With -c, scry ends when the command does, and leaves nothing.
#[test]
fn after_dash_c_command_ends() {
    require_root!();
    let Some(t) = Target::build() else { return };
    let _g = serial();
    let cmd = t.command();
    let out = check(&t, &["-c", &cmd], &[], |_| t.go());
    out.assert_ok();
    out.assert_line("@r: 99");
    out.assert_line("@t: 9");
}

/// A tool (its own runner) is held to the same rule.
#[test]
fn tool_after_sigkill() {
    require_root!();
    let _g = serial();
    let mut s = Scry::start(&["tool", "opensnoop"]);
    assert!(
        s.wait_for_line(Duration::from_secs(30), |l| l.starts_with("PID")),
        "no header:\n{}",
        s.kill_and_collect()
    );
    let held = held_by(s.pid());
    assert!(!held.progs.is_empty(), "{held:?}");
    assert_eq!(present(&held).len(), held.len(), "{held:?}");
    s.signal(libc::SIGKILL);
    let out = s.wait(Duration::from_secs(30));
    assert_eq!(out.signal, Some(libc::SIGKILL), "{out}");
    assert_eq!(remaining(&held), Vec::<String>::new());
}
