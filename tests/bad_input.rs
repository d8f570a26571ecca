//! The bad-input corpus: scripts and command lines scry must refuse, each
//! with the exact message it must print (`tests/bad_input/`).
//!
//! A case is `NAME.expected` (the whole expected stderr) with either
//! `NAME.bt` (run as `scry --dry-run NAME.bt` from `tests/bad_input/`) or
//! `NAME.args` (the command line, one argument per line; an empty line is
//! an empty argument). Optional files:
//!
//! - `NAME.requires`: what the case needs, one word a line: `root`, `btf`,
//!   `no-kprobes`, `no-fentry`, `no-hardware`; the case is skipped
//!   elsewhere.
//! - `NAME.pending`: the message scry prints today is not good enough; the
//!   `.expected` file holds what it should print, and this file says why.
//!   The case still must not panic or hang; a mismatch (or an exit 0) is
//!   listed, not failed, and a pending case that starts passing fails
//!   until its `.pending` file is removed.
//!
//! In `.expected` and `.args`, `{gone_pid}` stands for the pid of a process
//! that has exited; in `.expected`, `{..}` matches any text within a line
//! and a last line `...` ends the comparison (the rest is volatile).
//!
//! Every case must exit non-zero, print nothing on stdout and not panic.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(60);

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_input")
}

fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

struct Output {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs scry with `args` in `dir`, killing it after [`TIMEOUT`].
fn run_scry(program: &Path, args: &[String], dir: &Path, prefix: &[&str]) -> Output {
    let mut cmd = if prefix.is_empty() {
        Command::new(program)
    } else {
        let mut c = Command::new(prefix[0]);
        c.args(&prefix[1..]).arg(program);
        c
    };
    let mut child = cmd
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out_pipe.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err_pipe.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        code: status.and_then(|s| s.code()),
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

/// The pid of a process that has exited and been reaped.
fn gone_pid() -> u32 {
    let mut child = Command::new("true").spawn().expect("cannot run `true`");
    let pid = child.id();
    child.wait().unwrap();
    pid
}

/// Whether the machine has what a case requires (`None`), or why not.
fn unmet(requirement: &str) -> Option<String> {
    let ok = match requirement {
        "root" => is_root(),
        "btf" => Path::new("/sys/kernel/btf/vmlinux").exists(),
        "no-kprobes" => !Path::new("/sys/bus/event_source/devices/kprobe").exists(),
        "no-fentry" => {
            // Only a program load tells; that needs root.
            is_root() && !scry_runtime::sysenv::SysEnv::new().fentry_supported()
        }
        "no-hardware" => {
            !scry_runtime::sysenv::SysEnv::new()
                .features()
                .hardware_events
        }
        other => panic!("unknown requirement '{other}'"),
    };
    (!ok).then(|| requirement.to_string())
}

/// Compares stderr with the expected text (`{..}` wildcards, `...` tail).
fn matches(expected: &str, actual: &str) -> bool {
    let want: Vec<&str> = expected.lines().collect();
    let got: Vec<&str> = actual.lines().collect();
    let (want, prefix_only) = match want.split_last() {
        Some((&"...", rest)) => (rest.to_vec(), true),
        _ => (want, false),
    };
    if got.len() < want.len() || (!prefix_only && got.len() != want.len()) {
        return false;
    }
    want.iter().zip(&got).all(|(w, g)| line_matches(w, g))
}

fn line_matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split("{..}").collect();
    if parts.len() == 1 {
        return pattern == line;
    }
    let Some(mut rest) = line.strip_prefix(parts[0]) else {
        return false;
    };
    let last = parts.len() - 1;
    for (i, part) in parts.iter().enumerate().skip(1) {
        if i == last {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

#[test]
fn bad_input_corpus() {
    let dir = corpus_dir();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".expected").map(str::to_string)
        })
        .collect();
    names.sort();
    assert!(names.len() >= 50, "only {} cases found", names.len());
    let pid = gone_pid().to_string();
    let scry = Path::new(env!("CARGO_BIN_EXE_scry"));
    let (mut failures, mut pending, mut skipped) = (Vec::new(), Vec::new(), Vec::new());
    let mut passed = 0;
    for name in &names {
        let file = |ext: &str| dir.join(format!("{name}.{ext}"));
        if let Some(req) = read(&file("requires")) {
            if let Some(why) = req
                .lines()
                .filter(|l| !l.trim().is_empty())
                .find_map(|r| unmet(r.trim()))
            {
                skipped.push(format!("{name} (needs {why})"));
                continue;
            }
        }
        let args: Vec<String> = match read(&file("args")) {
            Some(text) => text
                .strip_suffix('\n')
                .unwrap_or(&text)
                .split('\n')
                .map(|a| a.replace("{gone_pid}", &pid))
                .collect(),
            None => {
                assert!(
                    file("bt").exists(),
                    "{name}: neither {name}.bt nor {name}.args"
                );
                vec!["--dry-run".into(), format!("{name}.bt")]
            }
        };
        let expected = read(&file("expected")).unwrap().replace("{gone_pid}", &pid);
        let out = run_scry(scry, &args, &dir, &[]);
        let shown = format!(
            "{name}: scry {args:?}\n  exit: {:?}\n  stdout: {:?}\n  stderr:\n{}",
            out.code, out.stdout, out.stderr
        );
        if out.code.is_none() {
            failures.push(format!(
                "{shown}  (killed after {TIMEOUT:?} or by a signal)"
            ));
            continue;
        }
        if out.stderr.contains("panicked at") || out.code == Some(101) {
            failures.push(format!("{shown}  (panicked)"));
            continue;
        }
        let clean_failure = out.code != Some(0) && out.stdout.is_empty();
        let same = matches(&expected, &out.stderr);
        match read(&file("pending")) {
            Some(why) => {
                if clean_failure && same {
                    failures.push(format!(
                        "{name}: now prints the expected message: remove {name}.pending"
                    ));
                } else {
                    pending.push(format!(
                        "{name}: {}  want: {}  got:  exit {:?}: {}",
                        why,
                        expected.lines().next().unwrap_or(""),
                        out.code,
                        out.stderr.lines().next().unwrap_or("")
                    ));
                }
            }
            None if !clean_failure => {
                failures.push(format!("{shown}  (must exit non-zero with no stdout)"))
            }
            None if !same => failures.push(format!("{shown}  expected:\n{expected}")),
            None => passed += 1,
        }
    }
    eprintln!(
        "bad input: {passed} passed, {} pending, {} skipped, {} failed",
        pending.len(),
        skipped.len(),
        failures.len()
    );
    for p in &pending {
        eprintln!("pending {p}");
    }
    for s in &skipped {
        eprintln!("skipped {s}");
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Without root (or CAP_BPF + CAP_PERFMON) scry must say so in one
/// sentence and exit non-zero, whatever the script.
#[test]
fn not_root_says_so() {
    if !is_root() || !Path::new("/usr/bin/setpriv").exists() {
        eprintln!("skipped: needs root and setpriv to drop to nobody");
        return;
    }
    // A copy nobody can run, whatever the permissions of the target dir.
    let dir = std::env::temp_dir().join(format!("scry-not-root-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bin = dir.join("scry");
    std::fs::copy(env!("CARGO_BIN_EXE_scry"), &bin).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let setpriv = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
    ];
    let mut problems = Vec::new();
    for script in [
        "BEGIN { printf(\"hi\\n\"); exit(); }",
        "tracepoint:syscalls:sys_enter_openat { @ = count(); }",
    ] {
        for dry in [true, false] {
            let mut args = Vec::new();
            if dry {
                args.push("--dry-run".to_string());
            }
            args.extend(["-e".to_string(), script.to_string()]);
            let out = run_scry(&bin, &args, &dir, &setpriv);
            let lines: Vec<&str> = out.stderr.lines().collect();
            let says_root = out.stderr.contains("root") && out.stderr.contains("CAP_BPF");
            if out.code == Some(0) || out.code.is_none() || lines.len() != 1 || !says_root {
                problems.push(format!(
                    "scry {args:?} as nobody: exit {:?}, stderr:\n{}",
                    out.code, out.stderr
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
