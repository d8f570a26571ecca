//! uprobes, uretprobes and USDT on a C fixture (tests/fixtures/target.c)
//! compiled into a temporary directory, run with -c or traced with -p. (What
//! scry leaves behind when it ends is tests/leftovers.rs's subject.)

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The fixture binary, compiled once per test (each test its own dir).
struct Target {
    dir: TempDir,
    bin: PathBuf,
}

impl Target {
    fn build() -> Option<Target> {
        let dir = TempDir::new("u");
        let bin = compile_fixture(&dir, "target.c", &[])?;
        Some(Target { dir, bin })
    }

    fn path(&self) -> &str {
        self.bin.to_str().unwrap()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

fn touch(p: &Path) {
    std::fs::write(p, b"").unwrap();
}

fn run_c(prog: &str, cmd: &str) -> Output {
    Scry::start(&["-e", prog, "-c", cmd]).wait(Duration::from_secs(60))
}

#[test]
fn uprobe_args_count() {
    require_root!();
    let Some(t) = Target::build() else { return };
    let _g = serial();
    let out = run_c(
        &format!(
            "uprobe:{}:scry_target_add {{ @[arg0, arg1] = count(); }}",
            t.path()
        ),
        &format!("{} 9", t.path()),
    );
    out.assert_ok();
    assert_eq!(out.attached_count(), Some(1));
    let mut maps = map_lines(&out.stdout);
    maps.sort();
    assert_eq!(maps, ["@[0, 10]: 3", "@[1, 10]: 3", "@[2, 10]: 3"], "{out}");
}

#[test]
fn uretprobe_sum_retval() {
    require_root!();
    let Some(t) = Target::build() else { return };
    let _g = serial();
    let out = run_c(
        &format!(
            "uprobe:{0}:scry_target_add {{ @c = count(); }} uretprobe:{0}:scry_target_add {{ @r = sum(retval); @mx = max(retval); }}",
            t.path()
        ),
        &format!("{} 9", t.path()),
    );
    out.assert_ok();
    // sum over i < 9 of (i % 3 + 10) = 99
    out.assert_line("@c: 9");
    out.assert_line("@r: 99");
    out.assert_line("@mx: 12");
}

/// A long argument and return value: scry_target_mul(i, 7), i = 0..3.
#[test]
fn uprobe_long_args_and_retval() {
    require_root!();
    let Some(t) = Target::build() else { return };
    let _g = serial();
    let out = run_c(
        &format!(
            "uprobe:{0}:scry_target_mul {{ @a = sum(arg0); @b = min(arg1); }} \
             uretprobe:{0}:scry_target_mul {{ @r = hist(retval); @s = stats(retval); }}",
            t.path()
        ),
        &format!("{} 1", t.path()),
    );
    out.assert_ok();
    out.assert_line("@a: 6");
    out.assert_line("@b: 7");
    out.assert_line("@s: count 4, average 10, total 42");
    let hist = "@r: \n\
        [0]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\
        [1]                    0 |                                                    |\n\
        [2, 4)                 0 |                                                    |\n\
        [4, 8)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\
        [8, 16)                1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\
        [16, 32)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n";
    assert!(out.stdout.contains(hist), "expected\n{hist}\n{out}");
}

#[test]
fn uprobe_str_arg() {
    require_root!();
    let Some(t) = Target::build() else { return };
    let _g = serial();
    let out = run_c(
        &format!(
            "uprobe:{}:scry_target_str {{ printf(\"%s|%s\\n\", str(arg0), str(arg0, 6)); }}",
            t.path()
        ),
        t.path(),
    );
    out.assert_ok();
    out.assert_line("hello-uprobe|hello-");
}

/// Wildcards attach to every matching function; `func` and `probe` name
/// them. The target waits for STOP before exiting so that scry can still
/// symbolize its addresses.
#[test]
fn uprobe_wildcard_func_probe() {
    require_root!();
    let Some(t) = Target::build() else { return };
    let _g = serial();
    let stop = t.file("stop");
    let prog = format!(
        "uprobe:{0}:scry_target_* {{ @[func] = count(); @p[probe] = count(); }} \
         uprobe:{0}:scry_target_str {{ printf(\"in %s\\n\", func); }}",
        t.path()
    );
    let cmd = format!("{} 9 - {}", t.path(), stop.display());
    let mut s = Scry::start(&["-e", &prog, "-c", &cmd]);
    s.wait_attached();
    assert_eq!(
        s.stdout_so_far().lines().next(),
        Some("Attaching 5 probes...")
    );
    let seen = s.wait_for_line(Duration::from_secs(30), |l| l == "in scry_target_str");
    touch(&stop);
    let out = s.wait(Duration::from_secs(30));
    assert!(seen, "{out}");
    out.assert_ok();
    let mut maps = map_lines(&out.stdout);
    maps.sort();
    let p = t.path();
    assert_eq!(
        maps,
        [
            "@[scry_target_add]: 9".to_string(),
            "@[scry_target_fn]: 1".to_string(),
            "@[scry_target_mul]: 4".to_string(),
            "@[scry_target_str]: 1".to_string(),
            format!("@p[uprobe:{p}:scry_target_add]: 9"),
            format!("@p[uprobe:{p}:scry_target_fn]: 1"),
            format!("@p[uprobe:{p}:scry_target_mul]: 4"),
            format!("@p[uprobe:{p}:scry_target_str]: 1"),
        ],
        "{out}"
    );
}

/// usym() of a function pointer argument, and ustack, while the target
/// is alive.
#[test]
fn usym_and_ustack() {
    require_root!();
    let Some(t) = Target::build() else { return };
    let _g = serial();
    let stop = t.file("stop");
    let prog = format!(
        "uprobe:{}:scry_target_fn {{ printf(\"sym %s|%s\\n\", usym(arg0), func); printf(\"%s\\n\", ustack); }}",
        t.path()
    );
    let cmd = format!("{} 1 - {}", t.path(), stop.display());
    let mut s = Scry::start(&["-e", &prog, "-c", &cmd]);
    s.wait_attached();
    let seen = s.wait_for_line(Duration::from_secs(30), |l| l.trim().starts_with("main+"));
    touch(&stop);
    let out = s.wait(Duration::from_secs(30));
    assert!(seen, "{out}");
    out.assert_ok();
    out.assert_line("sym scry_target_add|scry_target_fn");
    let frames: Vec<&str> = out
        .lines()
        .into_iter()
        .filter(|l| l.starts_with("        "))
        .map(str::trim)
        .collect();
    assert_eq!(frames.first(), Some(&"scry_target_fn+0"), "{out}");
    assert!(
        frames.get(1).is_some_and(|f| f.starts_with("main+")),
        "{out}"
    );
}

/// ustack(perf): bpftrace's perf mode, each frame `\tADDR name+off (file)`,
/// the address the probe's.
#[test]
fn ustack_perf_mode() {
    require_root!();
    let Some(t) = Target::build() else { return };
    let _g = serial();
    let stop = t.file("stop");
    let prog = format!(
        "uprobe:{}:scry_target_fn {{ printf(\"at %lx\\n\", reg(\"ip\")); printf(\"%s\\n\", ustack(perf, 2)); }}",
        t.path()
    );
    let cmd = format!("{} 1 - {}", t.path(), stop.display());
    let mut s = Scry::start(&["-e", &prog, "-c", &cmd]);
    s.wait_attached();
    let seen = s.wait_for_line(Duration::from_secs(30), |l| l.contains(" main+"));
    touch(&stop);
    let out = s.wait(Duration::from_secs(30));
    assert!(seen, "{out}");
    out.assert_ok();
    let ip = out
        .lines()
        .into_iter()
        .find_map(|l| l.strip_prefix("at "))
        .expect("the probe's address")
        .to_string();
    let frames: Vec<&str> = out
        .lines()
        .into_iter()
        .filter(|l| l.starts_with('\t'))
        .collect();
    let file = format!("({})", t.path());
    assert_eq!(frames.len(), 2, "{out}");
    assert_eq!(
        frames[0],
        format!("\t{ip} scry_target_fn+0 {file}"),
        "{out}"
    );
    assert!(
        frames[1].contains(" main+") && frames[1].ends_with(&file),
        "{out}"
    );
}
/// -p: only the given process is traced. Two copies of the target run the
/// same calls; the counts are those of one. The untraced copy exits when
/// done; the traced one waits for STOP, so that `func` can be symbolized.
#[test]
fn uprobe_dash_p_filters_process() {
    require_root!();
    let Some(t) = Target::build() else { return };
    let _g = serial();
    let start = t.file("start");
    let stop = t.file("stop");
    let spawn = |args: &[&str]| {
        Command::new(&t.bin)
            .args(args)
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn target")
    };
    let (st, sp) = (start.to_str().unwrap(), stop.to_str().unwrap());
    let mut traced = spawn(&["9", st, sp]);
    let mut other = spawn(&["9", st]);
    let pid = traced.id().to_string();
    let prog = format!(
        "uprobe:{0}:scry_target_add {{ @[pid == $1] = count(); @f[func] = count(); }} \
         uprobe:{0}:scry_target_fn {{ printf(\"done\\n\"); }}",
        t.path()
    );
    let mut s = Scry::start(&["-e", &prog, "-p", &pid, &pid]);
    s.wait_attached();
    touch(&start);
    let other_code = wait_child(&mut other, Duration::from_secs(30));
    let seen = s.wait_for_line(Duration::from_secs(30), |l| l == "done");
    let out = s.stop();
    touch(&stop);
    let code = wait_child(&mut traced, Duration::from_secs(30));
    assert!(seen, "{out}");
    assert_eq!(code, Some(0));
    assert_eq!(other_code, Some(0));
    out.assert_ok();
    let mut maps = map_lines(&out.stdout);
    maps.sort();
    assert_eq!(maps, ["@[1]: 9", "@f[scry_target_add]: 9"], "{out}");
    assert_eq!(out.lines_starting("done").len(), 1, "{out}");
}

#[test]
fn usdt_probe_args() {
    require_root!();
    let Some(t) = Target::build() else { return };
    let _g = serial();
    let out = run_c(
        &format!(
            "usdt:{}:scry:tick {{ @[arg0] = sum(arg1); @n = count(); }}",
            t.path()
        ),
        &format!("{} 5", t.path()),
    );
    out.assert_ok();
    let mut maps = map_lines(&out.stdout);
    maps.sort();
    assert_eq!(
        maps,
        [
            "@[0]: 0",
            "@[1]: 100",
            "@[2]: 200",
            "@[3]: 300",
            "@[4]: 400",
            "@n: 5"
        ],
        "{out}"
    );
}

/// `uaddr("sym")` is the address of a global of a non-PIE binary:
/// `scry_sink` at the first scry_target_mul call holds the sum of the nine
/// scry_target_add results before it (0+1+2 three times, plus 90).
#[test]
fn uaddr_reads_a_global() {
    require_root!();
    let dir = TempDir::new("ua");
    let Some(bin) = compile_fixture(&dir, "target.c", &["-no-pie"]) else {
        return;
    };
    let _g = serial();
    let path = bin.display().to_string();
    let out = run_c(
        &format!("uprobe:{path}:scry_target_mul {{ @[arg0] = *(int64 *)uaddr(\"scry_sink\"); }}"),
        &format!("{path} 9"),
    );
    out.assert_ok();
    let mut maps = map_lines(&out.stdout);
    maps.sort();
    // Each call adds the previous product: 0, 7, 14.
    assert_eq!(
        maps,
        ["@[0]: 99", "@[1]: 99", "@[2]: 106", "@[3]: 120"],
        "{out}"
    );
}

/// `-l` lists a binary's functions as uprobes and its USDT notes.
#[test]
fn list_uprobes_and_usdt() {
    require_root!();
    let Some(t) = Target::build() else { return };
    let out = run(&["-l", &format!("uprobe:{}:scry_target_*", t.path())]);
    out.assert_ok();
    let want: Vec<String> = ["add", "fn", "mul", "str"]
        .iter()
        .map(|f| format!("uprobe:{}:scry_target_{f}", t.path()))
        .collect();
    assert_eq!(out.lines(), want, "{out}");
    let out = run(&["-l", &format!("usdt:{}:*", t.path())]);
    out.assert_ok();
    assert_eq!(
        out.lines(),
        [format!("usdt:{}:scry:tick", t.path())],
        "{out}"
    );
}

/// The address of a function in an ELF file, read with an ELF parser.
fn symbol_address(path: &Path, name: &str) -> u64 {
    use object::{Object, ObjectSymbol};
    let bytes = std::fs::read(path).unwrap();
    let file = object::File::parse(&*bytes).unwrap();
    let found = file.symbols().find(|s| s.name() == Ok(name));
    found.map(|s| s.address()).expect("the symbol")
}

/// The other ways to name a uprobe: an address, a function plus an offset
/// into it, and a library by its short name (`libc`, found like the
/// dynamic loader finds it), with `cpid` keeping other processes out.
#[test]
fn uprobe_by_address_offset_and_library() {
    require_root!();
    let Some(t) = Target::build() else { return };
    let _g = serial();
    let addr = symbol_address(&t.bin, "scry_target_add");
    let out = run_c(
        &format!(
            "uprobe:{0}:{addr:#x} {{ @addr = count(); }} \
             uprobe:{0}:scry_target_add+4 {{ @offset = count(); }} \
             uprobe:libc:atoi /pid == cpid/ {{ @atoi = count(); }}",
            t.path()
        ),
        &format!("{} 9", t.path()),
    );
    out.assert_ok();
    let mut maps = map_lines(&out.stdout);
    maps.sort();
    assert_eq!(maps, ["@addr: 9", "@atoi: 1", "@offset: 9"], "{out}");
}

/// -c with a command whose uprobe never fires: scry still exits when the
/// command ends, with the map empty.
#[test]
fn dash_c_exits_with_command() {
    require_root!();
    let Some(t) = Target::build() else { return };
    let _g = serial();
    let start = Instant::now();
    let out = run_c(
        &format!("uprobe:{}:scry_target_add {{ @ = count(); }}", t.path()),
        &format!("{} 0", t.path()),
    );
    out.assert_ok();
    assert!(map_lines(&out.stdout).is_empty(), "{out}");
    assert!(start.elapsed() < Duration::from_secs(30));
}
