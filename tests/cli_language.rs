//! Language features checked end to end on the live kernel, each against a
//! value the test knows by other means: the date, the kernel's symbol table,
//! a cgroup and processes the test made, the test's own pid, an ELF parser.

mod common;

use common::*;
use std::process::Command;
use std::time::Duration;

/// The local date and time (minute resolution) now, as strftime prints it.
fn local_minute() -> String {
    let mut buf = [0u8; 64];
    // SAFETY: valid buffers for time/localtime_r/strftime.
    unsafe {
        let t = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&t, &mut tm);
        let n = libc::strftime(
            buf.as_mut_ptr() as *mut libc::c_char,
            buf.len(),
            c"%Y-%m-%d %H:%M".as_ptr(),
            &tm,
        );
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }
}

/// The address /proc/kallsyms gives a kernel function.
fn kallsyms_address(name: &str) -> Option<String> {
    let text = std::fs::read_to_string("/proc/kallsyms").ok()?;
    text.lines().find_map(|l| {
        let mut f = l.split_whitespace();
        let (addr, _, sym) = (f.next()?, f.next()?, f.next()?);
        (sym == name).then(|| addr.trim_start_matches('0').to_string())
    })
}

#[test]
fn strftime_username_ksym_and_kaddr() {
    require_root!();
    let _g = serial();
    let before = local_minute();
    let out = run_e(
        "BEGIN { printf(\"%s|%s|%s|%lx\\n\", strftime(\"%Y-%m-%d %H:%M\", nsecs), username, \
           ksym(kaddr(\"vfs_read\")), kaddr(\"vfs_read\")); exit(); }",
        &["-q"],
    );
    let after = local_minute();
    out.assert_ok();
    let line = out.lines()[0].to_string();
    let f: Vec<&str> = line.split('|').collect();
    assert_eq!(f.len(), 4, "{out}");
    assert!(
        f[0] == before || f[0] == after,
        "{} not {before}: {out}",
        f[0]
    );
    assert_eq!(f[1], "root", "{out}");
    assert_eq!(f[2], "vfs_read", "{out}");
    let want = kallsyms_address("vfs_read").expect("vfs_read in /proc/kallsyms");
    assert_eq!(f[3], want, "{out}");
}

/// The cgroup v2 hierarchy's mount point, if this machine has one.
fn cgroup2_root() -> Option<String> {
    let mounts = std::fs::read_to_string("/proc/self/mounts").ok()?;
    mounts.lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.len() > 2 && f[2] == "cgroup2").then(|| f[1].to_string())
    })
}

/// A cgroup v2 directory made for one test, removed on drop.
struct Cgroup(String);

impl Drop for Cgroup {
    fn drop(&mut self) {
        for _ in 0..100 {
            if std::fs::remove_dir(&self.0).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// `cgroup` is the id of the writer's cgroup and `cgroupid(PATH)` the id of
/// a directory: in a cgroup the test makes and moves a shell into, only the
/// shell's processes match, and the test's own opens do not.
#[test]
fn cgroup_and_cgroupid_select_a_cgroup() {
    require_root!();
    let Some(root) = cgroup2_root() else {
        eprintln!("skipped: no cgroup v2 hierarchy mounted");
        return;
    };
    let _g = serial();
    let cg = Cgroup(format!("{root}/{}", unique("cg")));
    std::fs::create_dir(&cg.0).expect("mkdir cgroup");
    let dir = TempDir::new("cgf");
    let marker = dir.join("marker");
    make_file(&marker, 1);
    let prog = format!(
        "tracepoint:syscalls:sys_enter_openat /cgroup == cgroupid(\"{}\")/ {{ @[comm] = count(); }}",
        cg.0
    );
    let procs = format!("{}/cgroup.procs", cg.0);
    let m = marker.display().to_string();
    let out = trace(&prog, &[], || {
        for _ in 0..5 {
            let _ = std::fs::read(&marker);
        }
        let script = format!("echo $$ > {procs} && for i in 1 2 3; do cat {m} > /dev/null; done");
        let st = Command::new("sh").args(["-c", &script]).status().unwrap();
        assert!(st.success());
        std::thread::sleep(Duration::from_millis(200));
    });
    out.assert_ok();
    let maps = map_lines(&out.stdout);
    let cat: Vec<&&str> = maps.iter().filter(|l| l.starts_with("@[cat]: ")).collect();
    assert_eq!(cat.len(), 1, "{out}");
    let n: u64 = cat[0]["@[cat]: ".len()..].parse().unwrap();
    assert!(n >= 3, "{out}");
    for l in &maps {
        assert!(
            l.starts_with("@[cat]: ") || l.starts_with("@[sh]: "),
            "an open from outside the cgroup: {l}\n{out}"
        );
    }
}

/// Casts to BTF types, `->` walks and `.` as auto-dereference all reach the
/// parent of processes the test itself starts.
#[test]
fn pointer_walks_reach_the_parent_task() {
    require_root!();
    let _g = serial();
    let me = getpid().to_string();
    let prog = "tracepoint:sched:sched_process_exec \
        /((struct task_struct *)curtask)->real_parent->tgid == $1/ { \
          printf(\"%s %d %d %d\\n\", comm, curtask->real_parent->tgid, curtask.real_parent.tgid, \
                 ((struct task_struct *)curtask)->pid == pid); }";
    let out = trace(prog, &[&me], || {
        for _ in 0..3 {
            Command::new("true").status().unwrap();
        }
        std::thread::sleep(Duration::from_millis(200));
    });
    out.assert_ok();
    let want = format!("true {me} {me} 1");
    assert_eq!(out.lines_starting("true ").len(), 3, "{out}");
    for l in out.lines_starting("true ") {
        assert_eq!(l, want, "{out}");
    }
}

/// bpftrace 0.17's spellings still run: lowercase `begin`/`end`, `args->f`.
#[test]
fn old_and_new_spellings() {
    require_root!();
    let _g = serial();
    let out = run_e(
        "begin { printf(\"b\\n\"); exit(); } end { printf(\"e\\n\"); }",
        &["-q"],
    );
    out.assert_ok();
    let lines: Vec<&str> = out.lines().into_iter().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines, ["b", "e"], "{out}");
    let me = getpid().to_string();
    let dir = TempDir::new("sp");
    let f = dir.join("spelled");
    make_file(&f, 1);
    let path = f.display().to_string();
    let out = trace(
        "tracepoint:syscalls:sys_enter_openat /pid == $1/ { \
           if (str(args->filename) == str(args.filename)) { @same[str(args.filename)] = count(); } }",
        &[&me],
        || {
            for _ in 0..4 {
                let _ = std::fs::read(&f);
            }
        },
    );
    out.assert_ok();
    out.assert_line(&format!("@same[{path}]: 4"));
}

/// Every stage named by -d is printed, in pipeline order.
#[test]
fn dump_every_stage() {
    require_root!();
    let _g = serial();
    let out = run(&[
        "--dry-run",
        "-d",
        "ast,types,ir,asm,verifier",
        "-e",
        "tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }",
    ]);
    out.assert_ok();
    let headers: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("--- "))
        .collect();
    assert_eq!(
        headers,
        [
            "--- ast ---",
            "--- types ---",
            "--- ir ---",
            "--- asm ---",
            "--- verifier: tracepoint:syscalls:sys_enter_openat ---"
        ],
        "{out}"
    );
    assert!(out.stderr.contains("processed "), "no verifier log: {out}");
}

/// `--emit-elf` writes a BPF object a normal ELF reader takes (program
/// section, maps, license, BTF) and attaches nothing.
#[test]
fn emit_elf_writes_a_bpf_object() {
    use object::{Object, ObjectSection};
    require_root!();
    let _g = serial();
    let dir = TempDir::new("elf");
    let path = dir.join("prog.o");
    let p = path.display().to_string();
    let out = run(&[
        "--emit-elf",
        &p,
        "-e",
        "tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }",
    ]);
    out.assert_ok();
    assert!(out.stdout.contains("not attached (--emit-elf)"), "{out}");
    let bytes = std::fs::read(&path).expect("the object was written");
    let file = object::File::parse(&*bytes).expect("an ELF object");
    assert_eq!(file.architecture(), object::Architecture::Bpf);
    let names: Vec<String> = file
        .sections()
        .filter_map(|s| s.name().ok().map(str::to_string))
        .collect();
    for want in [
        "tracepoint/syscalls/sys_enter_openat",
        ".maps",
        "license",
        ".BTF",
        ".BTF.ext",
    ] {
        assert!(names.iter().any(|n| n == want), "no {want} in {names:?}");
    }
    let license = file.section_by_name("license").unwrap();
    assert_eq!(license.data().unwrap(), b"GPL\0");
}

/// system() and signal() act only with --unsafe: system's command runs, and
/// signal() kills the traced command at its first sleep.
#[test]
fn unsafe_system_and_signal() {
    require_root!();
    let _g = serial();
    let out = run_e(
        "BEGIN { system(\"echo sys-%d %s\", 42, \"ok\"); exit(); }",
        &["-q", "--unsafe"],
    );
    out.assert_ok();
    assert_eq!(out.lines()[0], "sys-42 ok", "{out}");
    // Without signal() the command would sleep 60 s, past the timeout.
    let mut s = Scry::start(&[
        "-q",
        "--unsafe",
        "-e",
        "tracepoint:syscalls:sys_enter_clock_nanosleep /pid == cpid/ { signal(\"SIGKILL\"); printf(\"sent\\n\"); }",
        "-c",
        "sleep 60",
    ]);
    let out = s.wait(Duration::from_secs(40));
    out.assert_ok();
    out.assert_line("sent");
}

/// `-l` lists each kind of probe this kernel has, and names the kinds it
/// lacks in one line.
#[test]
fn list_probe_kinds() {
    require_root!();
    let out = run(&["-l", "software:*"]);
    out.assert_ok();
    out.assert_line("software:cpu-clock:");
    out.assert_line("software:page-faults:");
    let out = run(&["-l", "rawtracepoint:sched_switch"]);
    out.assert_ok();
    assert_eq!(out.lines(), ["rawtracepoint:sched_switch"], "{out}");
    let out = run(&["-lv", "tracepoint:syscalls:sys_enter_openat"]);
    out.assert_ok();
    assert!(out.stdout.contains("const char * filename"), "{out}");
    let kprobes = std::path::Path::new("/sys/kernel/tracing/kprobe_events").exists()
        || std::path::Path::new("/sys/kernel/debug/tracing/kprobe_events").exists();
    if !kprobes {
        let out = run(&["-l", "kprobe:vfs_*"]);
        assert_eq!(out.code, Some(1), "{out}");
        assert_eq!(
            out.stderr,
            "ERROR: kprobes are not supported by this kernel (CONFIG_KPROBES is not set)\n"
        );
    }
}

/// The library API, as examples/count_opens.rs uses it: compile, load,
/// attach, open a file ten times, read the map. `cargo test` builds the
/// example next to the test binaries.
#[test]
fn library_example_counts_its_opens() {
    require_root!();
    let _g = serial();
    let exe = std::env::current_exe().unwrap();
    let example = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("examples/count_opens"))
        .unwrap();
    assert!(example.exists(), "{} was not built", example.display());
    let out = Command::new(&example).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.lines().any(|l| l == "@[/etc/hostname]: 10"),
        "{stdout}"
    );
}

/// Timer probes in each unit: profile:ms, interval:us and interval:s.
#[test]
fn timers_in_every_unit() {
    require_root!();
    let _g = serial();
    let out = run_e(
        "profile:ms:10 { @p = count(); } interval:us:50000 { @u = count(); } interval:s:1 { exit(); }",
        &["-q"],
    );
    out.assert_ok();
    let value = |name: &str| -> u64 {
        let l = out.lines_starting(&format!("@{name}: "));
        assert_eq!(l.len(), 1, "{out}");
        l[0][name.len() + 3..].parse().unwrap()
    };
    // 100 Hz on every CPU for a second; 20 Hz for a second.
    assert!(value("p") >= 50, "{out}");
    assert!((15..=21).contains(&value("u")), "{out}");
}

/// `return` leaves the probe early; `len(@m)` counts a map's keys.
#[test]
fn return_and_len() {
    require_root!();
    let _g = serial();
    let out = run_e(
        "interval:ms:10 { @n++; if (@n < 3) { return; } \
           @m[1] = 1; @m[2] = 2; @m[9] = 2; printf(\"third %d %d\\n\", @n, len(@m)); exit(); }",
        &["-q"],
    );
    out.assert_ok();
    assert_eq!(out.lines_starting("third "), ["third 3 3"], "{out}");
}

/// join() prints a `char **` array, as the argv of an exec the test starts.
#[test]
fn join_prints_argv() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("join");
    let script = dir.join("run.sh");
    let tag = unique("j");
    std::fs::write(
        &script,
        format!("#!/bin/sh\n/bin/echo {tag} b-c d >/dev/null\n"),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = Scry::start(&[
        "-q",
        "-e",
        "tracepoint:syscalls:sys_enter_execve /str(args.filename) == \"/bin/echo\"/ { \
           join(args.argv); join(args.argv, \",\"); }",
        "-c",
        script.to_str().unwrap(),
    ])
    .wait(Duration::from_secs(60));
    out.assert_ok();
    let lines: Vec<&str> = out.lines().into_iter().filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines,
        [
            format!("/bin/echo {tag} b-c d"),
            format!("/bin/echo,{tag},b-c,d")
        ],
        "{out}"
    );
}

/// Several probes share one body and one predicate; `probe` names the one
/// that fired.
#[test]
fn probes_sharing_a_body() {
    require_root!();
    let _g = serial();
    let tid = gettid().to_string();
    let out = trace(
        "tracepoint:syscalls:sys_enter_getppid, tracepoint:syscalls:sys_enter_getpgid \
           /tid == $1/ { @[probe] = count(); }",
        &[&tid],
        || {
            for _ in 0..3 {
                unsafe { libc::getppid() };
            }
            for _ in 0..2 {
                unsafe { libc::getpgid(0) };
            }
        },
    );
    out.assert_ok();
    assert_eq!(out.attached_count(), Some(2), "{out}");
    let mut maps = map_lines(&out.stdout);
    maps.sort();
    assert_eq!(
        maps,
        [
            "@[tracepoint:syscalls:sys_enter_getpgid]: 2",
            "@[tracepoint:syscalls:sys_enter_getppid]: 3"
        ],
        "{out}"
    );
}

/// A variable first assigned inside a block keeps its value in later
/// blocks: its stack slot was once given back with the block's temporaries,
/// and the next printf's buffer overwrote it (`$s` printed 10, then 20).
#[test]
fn variables_from_blocks_keep_their_slots() {
    require_root!();
    let _g = serial();
    let out = run_e(
        "BEGIN { $i = 0; unroll(3) { if ($i < 5) { $f = $i * 10; $s = 1; \
           printf(\"%d %d\\n\", $f, $s); $i++; } } \
           if ($i == 3) { $t = \"str\"; } printf(\"%s %d %d\\n\", $t, $s, $f); exit(); }",
        &["-q"],
    );
    out.assert_ok();
    let lines: Vec<&str> = out.lines().into_iter().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines, ["0 1", "10 1", "20 1", "str 1 20"], "{out}");
}

/// `let $x: T;` declares a variable that reads as zero (or "") until
/// assigned.
#[test]
fn declared_variables_read_as_zero() {
    require_root!();
    let _g = serial();
    let out = run_e(
        "BEGIN { let $s: string; let $n: int32; printf(\"[%s] %d\\n\", $s, $n); \
           $n = 5; $s = \"x\"; printf(\"[%s] %d\\n\", $s, $n); exit(); }",
        &["-q"],
    );
    out.assert_ok();
    let lines: Vec<&str> = out.lines().into_iter().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines, ["[] 0", "[x] 5"], "{out}");
}
