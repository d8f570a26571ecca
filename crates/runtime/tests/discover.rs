//! The discovery layer against this machine: tracefs formats, ELF symbols
//! and USDT notes of binaries the tests compile, library resolution,
//! listing, features. Run as root (tracefs may need mounting).

use std::path::{Path, PathBuf};
use std::process::Command;

use scry_lang::env::Env;
use scry_runtime::glob::glob_match;
use scry_runtime::sysenv::SysEnv;
use scry_runtime::usdt::{parse_arg, UsdtArgLocation};
use scry_runtime::{elfsyms, features, listing, tracefs, usdt};

// ---------------------------------------------------------------- helpers

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scry-discover-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Compiles C sources (name, text) into `dir/out` with extra flags; `None`
/// (with a message) when there is no C compiler.
fn compile(dir: &Path, out: &str, sources: &[(&str, &str)], flags: &[&str]) -> Option<PathBuf> {
    if !have("cc") {
        eprintln!("SKIPPED: no C compiler (`cc`) on this machine");
        return None;
    }
    let mut cmd = Command::new("cc");
    cmd.args(flags);
    for (name, text) in sources {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        cmd.arg(p);
    }
    let exe = dir.join(out);
    cmd.arg("-o").arg(&exe);
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "cc failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    Some(exe)
}

fn run(cmd: &str, args: &[&str]) -> String {
    let o = Command::new(cmd).args(args).output().unwrap();
    assert!(o.status.success(), "{cmd} {args:?} failed");
    String::from_utf8(o.stdout).unwrap()
}

fn hex(s: &str) -> u64 {
    u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap()
}

/// PT_LOAD segments per `readelf -lW`: (offset, vaddr, memsz).
fn readelf_loads(path: &Path) -> Vec<(u64, u64, u64)> {
    run("readelf", &["-lW", path.to_str().unwrap()])
        .lines()
        .filter(|l| l.trim_start().starts_with("LOAD"))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (hex(f[1]), hex(f[2]), hex(f[5]))
        })
        .collect()
}

fn vaddr_to_offset(loads: &[(u64, u64, u64)], addr: u64) -> u64 {
    let &(off, vaddr, _) = loads
        .iter()
        .find(|&&(_, v, sz)| addr >= v && addr < v + sz)
        .expect("address outside PT_LOAD segments");
    addr - vaddr + off
}

// ---------------------------------------------------------------- tracefs

#[test]
fn openat_format() {
    let fields = tracefs::format("syscalls", "sys_enter_openat").expect("sys_enter_openat");
    let f = |n: &str| {
        fields
            .iter()
            .find(|f| f.name == n)
            .unwrap_or_else(|| panic!("no {n}"))
    };
    let filename = f("filename");
    assert_eq!(filename.c_type, "const char *");
    assert_eq!(
        (filename.offset, filename.size, filename.signed),
        (24, 8, false)
    );
    f("dfd");
    f("flags");
    f("mode");
    assert!(fields.iter().all(|f| !f.name.starts_with("common_")));
    assert!(tracefs::format("syscalls", "no_such_event").is_none());
    assert!(tracefs::format("..", "x").is_none());
}

#[test]
fn sched_switch_array_field() {
    let fields = tracefs::format("sched", "sched_switch").expect("sched_switch");
    let comm = fields.iter().find(|f| f.name == "prev_comm").unwrap();
    assert_eq!(comm.c_type, "char[16]");
    assert_eq!(comm.size, 16);
}

#[test]
fn tracepoint_wildcards() {
    let tps = tracefs::tracepoints("syscalls", "sys_enter_open*");
    assert!(tps.contains(&("syscalls".into(), "sys_enter_openat".into())));
    assert!(tps
        .iter()
        .all(|(c, e)| c == "syscalls" && e.starts_with("sys_enter_open")));
    let mut sorted = tps.clone();
    sorted.sort();
    assert_eq!(tps, sorted);
    assert_eq!(
        tracefs::tracepoints("sched", "sched_switch"),
        vec![("sched".to_string(), "sched_switch".to_string())]
    );
    assert!(tracefs::tracepoints("sch?d", "sched_sw[a-i]tch").len() == 1);
}

// ---------------------------------------------------------------- glob

#[test]
fn glob_cases() {
    let yes = [
        ("*", ""),
        ("*", "anything"),
        ("sys_enter_*", "sys_enter_openat"),
        ("*open*", "sys_enter_openat"),
        ("vfs_?ead", "vfs_read"),
        ("[a-c]*", "bash"),
        ("tcp_[rs]*", "tcp_recvmsg"),
        ("a*b*c", "aXXbYYc"),
        ("exact", "exact"),
    ];
    let no = [
        ("sys_enter_*", "sys_exit_openat"),
        ("vfs_?ead", "vfs_rread"),
        ("[a-c]*", "dash"),
        ("tcp_[!rs]*", "tcp_sendmsg"),
        ("a*b*c", "aXXbYY"),
        ("exact", "exact2"),
        ("", "x"),
    ];
    for (p, t) in yes {
        assert!(glob_match(p, t), "{p} should match {t}");
    }
    for (p, t) in no {
        assert!(!glob_match(p, t), "{p} should not match {t}");
    }
    // Pathological backtracking stays fast.
    let text = "a".repeat(5000);
    let start = std::time::Instant::now();
    assert!(!glob_match(&("*a".repeat(100) + "b"), &text));
    assert!(start.elapsed().as_secs() < 2);
}

// ---------------------------------------------------------------- ELF

const SYMS_C: &str = r#"
int __attribute__((noinline)) scry_test_fn(int x) { return x * 3 + 1; }
int main(int argc, char **argv) { (void)argv; return scry_test_fn(argc) == 0; }
"#;

fn check_symbol_offset(exe: &Path) {
    let path = exe.to_str().unwrap();
    let syms = elfsyms::symbols(path, "scry_test_*").unwrap();
    assert_eq!(syms.len(), 1, "{syms:?}");
    let s = &syms[0];
    assert_eq!(s.name, "scry_test_fn");
    // Cross-check with nm (address) and readelf (segments).
    let nm = run("nm", &[path]);
    let addr = nm
        .lines()
        .find(|l| l.ends_with(" scry_test_fn"))
        .map(|l| hex(l.split_whitespace().next().unwrap()))
        .unwrap();
    assert_eq!(s.address, addr);
    assert_eq!(s.file_offset, vaddr_to_offset(&readelf_loads(exe), addr));
    assert!(s.size > 0);
    // `main` comes from .symtab too; a pattern without wildcards is exact.
    assert_eq!(elfsyms::symbols(path, "main").unwrap().len(), 1);
}

#[test]
fn elf_symbols_pie_and_non_pie() {
    let dir = temp_dir("syms");
    let Some(pie) = compile(&dir, "pie", &[("syms.c", SYMS_C)], &["-g", "-O1"]) else {
        return;
    };
    check_symbol_offset(&pie);
    // Non-PIE: text is mapped at 0x401000 from file offset 0x1000.
    let exe = compile(
        &dir,
        "nopie",
        &[("syms.c", SYMS_C)],
        &["-g", "-O1", "-no-pie"],
    )
    .unwrap();
    check_symbol_offset(&exe);
    let s = &elfsyms::symbols(exe.to_str().unwrap(), "scry_test_fn").unwrap()[0];
    assert_ne!(s.address, s.file_offset);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn elf_errors_name_the_file() {
    assert_eq!(
        elfsyms::symbols("/no/such/file", "*").unwrap_err(),
        "/no/such/file: No such file or directory"
    );
    assert_eq!(
        elfsyms::symbols("/etc/hostname", "*").unwrap_err(),
        "/etc/hostname: not an ELF file"
    );
    assert_eq!(
        elfsyms::resolve_binary("/etc/hostname").unwrap_err(),
        "/etc/hostname: not an ELF file"
    );
    assert!(elfsyms::resolve_binary("no-such-program-scry")
        .unwrap_err()
        .starts_with("no-such-program-scry: "));
}

#[test]
fn resolve_binaries_and_libraries() {
    for name in ["libc", "libc.so.6", "c"] {
        let p = elfsyms::resolve_binary(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(Path::new(&p).exists(), "{p}");
        assert!(p.contains("libc.so"), "{name} -> {p}");
        // It is a real ELF with malloc.
        assert!(!elfsyms::symbols(&p, "malloc").unwrap().is_empty());
    }
    let sh = elfsyms::resolve_binary("sh").unwrap();
    assert!(sh.starts_with('/'), "{sh}");
    let cache = elfsyms::ld_so_cache();
    if Path::new("/etc/ld.so.cache").exists() {
        assert!(
            cache.iter().any(|(k, _)| k.starts_with("libc.so")),
            "{cache:?}"
        );
    }
}

// ---------------------------------------------------------------- USDT

const USDT_MAIN_C: &str = r#"
#include <sys/sdt.h>
int scry_sem_fn(int x);
int __attribute__((noinline)) scry_test_fn(int x, long y) {
  DTRACE_PROBE2(myprov, myprobe, x, y);
  return x + (int)y + scry_sem_fn(x);
}
int main(int argc, char **argv) { (void)argv; return scry_test_fn(argc, 5) == 0; }
"#;

const USDT_SEM_C: &str = r#"
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>
__extension__ unsigned short myprov_withsem_semaphore
    __attribute__((unused)) __attribute__((section(".probes")));
int __attribute__((noinline)) scry_sem_fn(int x) {
  if (myprov_withsem_semaphore) DTRACE_PROBE1(myprov, withsem, x);
  return x;
}
"#;

/// `readelf -n` notes: (provider, name, location, base, semaphore, args).
fn readelf_notes(path: &Path) -> Vec<(String, String, u64, u64, u64, String)> {
    let text = run("readelf", &["-nW", path.to_str().unwrap()]);
    let mut out = Vec::new();
    let mut cur: (String, String) = Default::default();
    let mut loc = (0, 0, 0);
    for line in text.lines().map(str::trim) {
        if let Some(i) = line.find("Provider: ") {
            cur.0 = line[i + "Provider: ".len()..].trim().into();
        } else if let Some(v) = line.strip_prefix("Name: ") {
            cur.1 = v.into();
        } else if line.starts_with("Location: ") {
            let nums: Vec<u64> = line
                .split(", ")
                .map(|p| hex(p.split(": ").nth(1).unwrap()))
                .collect();
            loc = (nums[0], nums[1], nums[2]);
        } else if let Some(v) = line.strip_prefix("Arguments: ") {
            out.push((cur.0.clone(), cur.1.clone(), loc.0, loc.1, loc.2, v.into()));
        }
    }
    out
}

fn build_usdt(dir: &Path) -> Option<PathBuf> {
    let header_ok = Command::new("sh")
        .args([
            "-c",
            "echo '#include <sys/sdt.h>' | cc -E -x c - >/dev/null 2>&1",
        ])
        .status()
        .is_ok_and(|s| s.success());
    if !have("cc") || !header_ok {
        eprintln!("SKIPPED: needs `cc` and <sys/sdt.h> (apt-get install systemtap-sdt-dev)");
        return None;
    }
    compile(
        dir,
        "usdt",
        &[("main.c", USDT_MAIN_C), ("sem.c", USDT_SEM_C)],
        &["-g", "-O1"],
    )
}

#[test]
fn usdt_probes_of_compiled_binary() {
    let dir = temp_dir("usdt");
    let Some(exe) = build_usdt(&dir) else { return };
    let path = exe.to_str().unwrap();
    let probes = usdt::probes(path).unwrap();
    assert_eq!(probes.len(), 2, "{probes:?}");
    let notes = readelf_notes(&exe);
    assert_eq!(notes.len(), 2);
    let loads = readelf_loads(&exe);
    let base_section = run("readelf", &["-SW", path])
        .lines()
        .find(|l| l.contains(".stapsdt.base"))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let i = f.iter().position(|x| *x == ".stapsdt.base").unwrap();
            hex(f[i + 2])
        })
        .unwrap();
    for (p, n) in probes.iter().zip(&notes) {
        let (prov, name, location, base, sema, args) = n;
        assert_eq!(&p.provider, prov);
        assert_eq!(&p.name, name);
        assert_eq!(p.args.join(" "), *args);
        let pc = location + base_section - base;
        assert_eq!(p.file_offset, vaddr_to_offset(&loads, pc));
        let sem_off = if *sema == 0 {
            0
        } else {
            vaddr_to_offset(&loads, sema + base_section - base)
        };
        assert_eq!(p.semaphore_offset, sem_off);
    }
    let first = &probes[0];
    assert_eq!(
        (first.provider.as_str(), first.name.as_str()),
        ("myprov", "myprobe")
    );
    assert_eq!(first.args.len(), 2);
    assert_eq!(first.semaphore_offset, 0);
    // x is an int in a register, y a long.
    let a0 = parse_arg(&first.args[0]).unwrap();
    assert_eq!((a0.size, a0.signed), (4, true));
    assert!(matches!(
        a0.location,
        UsdtArgLocation::Reg { .. } | UsdtArgLocation::Mem { .. }
    ));
    assert_eq!(parse_arg(&first.args[1]).unwrap().size, 8);
    let second = &probes[1];
    assert_eq!(second.name, "withsem");
    assert_ne!(second.semaphore_offset, 0);
    // The probe sits inside scry_test_fn.
    let f = &elfsyms::symbols(path, "scry_test_fn").unwrap()[0];
    assert!(first.file_offset >= f.file_offset && first.file_offset < f.file_offset + f.size);
    // Listing.
    let env = SysEnv::new();
    let lines = listing::list(Some(&format!("usdt:{path}:*")), false, &env).unwrap();
    assert_eq!(
        lines,
        vec![
            format!("usdt:{path}:myprov:myprobe"),
            format!("usdt:{path}:myprov:withsem")
        ]
    );
    let lines = listing::list(Some(&format!("usdt:{path}:*:withsem")), false, &env).unwrap();
    assert_eq!(lines, vec![format!("usdt:{path}:myprov:withsem")]);
    let lines = listing::list(Some(&format!("uprobe:{path}:scry_*")), false, &env).unwrap();
    assert_eq!(
        lines,
        vec![
            format!("uprobe:{path}:scry_sem_fn"),
            format!("uprobe:{path}:scry_test_fn")
        ]
    );
    // A binary without notes has no probes.
    assert!(usdt::probes("/bin/sh").is_ok());
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn usdt_arg_specs() {
    let reg = |s: &str| match parse_arg(s).unwrap().location {
        UsdtArgLocation::Reg { pt_regs_offset } => pt_regs_offset,
        other => panic!("{s}: {other:?}"),
    };
    assert_eq!(reg("-4@%edi"), 112);
    assert_eq!(reg("8@%rax"), 80);
    assert_eq!(reg("2@%ax"), 80);
    assert_eq!(reg("1@%al"), 80);
    assert_eq!(reg("8@%r15"), 0);
    assert_eq!(reg("4@%r10d"), 56);
    assert_eq!(reg("8@%rsp"), 152);
    assert_eq!(
        parse_arg("8@-16(%rbp)").unwrap().location,
        UsdtArgLocation::Mem {
            base_reg_pt_regs_offset: 32,
            offset: -16
        }
    );
    assert_eq!(
        parse_arg("4@$5").unwrap().location,
        UsdtArgLocation::Const(5)
    );
    assert!(parse_arg("8@foo(%rip)").is_err());
    assert!(parse_arg("-8@8(%rsp,%rax,4)").is_err());
}

// ---------------------------------------------------------------- listing

#[test]
fn list_tracepoints() {
    let env = SysEnv::new();
    let lines = listing::list(Some("tracepoint:syscalls:sys_enter_open*"), false, &env).unwrap();
    assert!(
        lines.contains(&"tracepoint:syscalls:sys_enter_openat".to_string()),
        "{lines:?}"
    );
    assert!(lines
        .iter()
        .all(|l| l.starts_with("tracepoint:syscalls:sys_enter_open")));
    let lines = listing::list(Some("t:syscalls:sys_enter_openat"), true, &env).unwrap();
    assert_eq!(lines[0], "tracepoint:syscalls:sys_enter_openat");
    assert!(
        lines.contains(&"    const char * filename".to_string()),
        "{lines:?}"
    );
    assert!(lines.contains(&"    int dfd".to_string()), "{lines:?}");
    let lines = listing::list(Some("tracepoint:sched:sched_switch"), true, &env).unwrap();
    assert!(
        lines.contains(&"    char prev_comm[16]".to_string()),
        "{lines:?}"
    );
    // Tracepoint listing does not load BTF.
    assert!(!env.btf_loaded());
}

#[test]
fn list_other_kinds() {
    let env = SysEnv::new();
    let sw = listing::list(Some("software:*"), false, &env).unwrap();
    assert!(sw.contains(&"software:cpu-clock:".to_string()));
    assert!(sw.contains(&"software:cpu:".to_string()));
    assert!(sw.contains(&"software:page-faults:".to_string()));
    let rt = listing::list(Some("rawtracepoint:sched_switch"), false, &env).unwrap();
    assert_eq!(rt, vec!["rawtracepoint:sched_switch".to_string()]);
    let raw_sys = listing::list(Some("rawtracepoint:sys_enter_*"), false, &env).unwrap();
    assert!(raw_sys.is_empty(), "{raw_sys:?}");
    // No provider: search every kernel provider.
    let any = listing::list(Some("*sched_switch"), false, &env).unwrap();
    assert!(
        any.contains(&"tracepoint:sched:sched_switch".to_string()),
        "{any:?}"
    );
    assert!(
        any.contains(&"rawtracepoint:sched_switch".to_string()),
        "{any:?}"
    );
    // Providers this machine lacks say so in one line; present ones list.
    let f = features::detect();
    let kp = listing::list(Some("kprobe:vfs_read"), false, &env);
    if f.kprobes {
        assert_eq!(kp.unwrap(), vec!["kprobe:vfs_read".to_string()]);
    } else {
        assert_eq!(
            kp.unwrap_err(),
            features::missing_message(features::Feature::Kprobes)
        );
    }
    let hw = listing::list(Some("hardware:*"), false, &env);
    if f.hardware_events {
        assert!(hw.unwrap().contains(&"hardware:cpu-cycles:".to_string()));
    } else {
        assert!(hw.unwrap_err().contains("hardware performance counters"));
    }
    assert!(listing::list(Some("bogus:x"), false, &env).is_err());
}

#[test]
fn list_everything() {
    let env = SysEnv::new();
    let all = listing::list(None, false, &env).unwrap();
    assert!(all.contains(&"tracepoint:sched:sched_switch".to_string()));
    assert!(all.contains(&"software:cpu-clock:".to_string()));
    assert!(all.contains(&"rawtracepoint:sched_switch".to_string()));
    let f = env.features();
    assert_eq!(all.iter().any(|l| l.starts_with("kprobe:")), f.kprobes);
    assert_eq!(
        all.iter().any(|l| l.starts_with("fentry:")),
        f.fentry == Some(true)
    );
}

// ---------------------------------------------------------------- features, env

#[test]
fn features_are_consistent() {
    let f = features::detect();
    let kprobe_pmu = Path::new("/sys/bus/event_source/devices/kprobe").exists();
    if kprobe_pmu {
        assert!(f.kprobes);
    }
    if !f.kprobes {
        assert!(!kprobe_pmu);
    }
    if Path::new("/sys/bus/event_source/devices/uprobe").exists() {
        assert!(f.uprobes);
    }
    assert_eq!(f.btf, Path::new("/sys/kernel/btf/vmlinux").exists());
    assert_eq!(f.fentry, None);
    assert_eq!(
        features::missing_message(features::Feature::Kprobes),
        "kprobes are not supported by this kernel (CONFIG_KPROBES is not set)"
    );
    let err = f.require(features::Feature::Kprobes);
    assert_eq!(err.is_ok(), f.kprobes);
    if let Err(e) = err {
        assert_eq!(
            e.to_string(),
            features::missing_message(features::Feature::Kprobes)
        );
    }
}

#[test]
fn sysenv_answers() {
    let env = SysEnv::new();
    let fields = env
        .tracepoint_fields("syscalls", "sys_enter_openat")
        .unwrap();
    assert!(fields.iter().any(|f| f.name == "filename"));
    assert!(!env.btf_loaded(), "a tracepoint lookup must not load BTF");
    let possible = std::fs::read_to_string("/sys/devices/system/cpu/possible").unwrap();
    let max: u32 = possible
        .trim()
        .split([',', '-'])
        .map(|s| s.parse::<u32>().unwrap())
        .max()
        .unwrap();
    assert_eq!(env.ncpus(), max + 1);
    let funcs = env.kernel_functions("vfs_rea?");
    assert!(funcs.contains(&"vfs_read".to_string()), "{funcs:?}");
    assert_eq!(
        env.kernel_functions("vfs_read"),
        vec!["vfs_read".to_string()]
    );
    if Path::new("/sys/kernel/btf/vmlinux").exists() {
        let btf = env.btf().expect("BTF parses");
        assert!(btf.len() > 1000);
        assert!(env.btf_loaded());
    }
}
