//! `scry tool profile`: a fixture (tests/fixtures/spin.c) spins in
//! `scry_spin_here()`, called from main; sampled by pid, its user stacks
//! name both functions, folded (-f) or in BCC's layout.

mod tools_support;

use std::process::{Child, Command, Stdio};
use tools_support::*;

fn spinner(dir: &TempDir, secs: &str) -> Option<Child> {
    let bin = compile_fixture(dir, "spin.c", &[])?;
    Some(
        Command::new(bin)
            .arg(secs)
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

#[test]
fn folded_user_stacks_of_a_spinning_process() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("prof");
    let Some(mut child) = spinner(&dir, "3") else {
        return;
    };
    let pid = child.id().to_string();
    let out = run_tool(&["profile", "-U", "-f", "-F", "199", "-p", &pid, "1"]);
    let _ = child.kill();
    let _ = child.wait();
    out.assert_ok();
    assert_eq!(
        out.stderr.trim(),
        format!("Sampling at 199 Hertz of PID {pid} by user stack for 1 secs."),
        "{out}"
    );
    // spin;...;main;scry_spin_here[;now...] COUNT
    let mut samples = 0;
    for l in out.lines() {
        let (stack, n) = l.rsplit_once(' ').expect("folded line");
        let frames: Vec<&str> = stack.split(';').collect();
        assert_eq!(frames[0], "spin", "{out}");
        if let Some(i) = frames.iter().position(|f| *f == "scry_spin_here") {
            assert_eq!(frames[i - 1], "main", "{out}");
            samples += n.parse::<u64>().unwrap();
        }
    }
    // One second at 199 Hz of a thread that always wants the CPU (shared
    // with the machine's other work).
    assert!(samples >= 40, "{samples} samples\n{out}");
}

#[test]
fn bcc_layout_with_kernel_and_user_stacks() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("profk");
    let Some(mut child) = spinner(&dir, "3") else {
        return;
    };
    let pid = child.id();
    let out = run_tool(&["profile", "-p", &pid.to_string(), "1"]);
    let _ = child.kill();
    let _ = child.wait();
    out.assert_ok();
    let text = &out.stdout;
    assert!(text.starts_with(&format!(
        "Sampling at 49 Hertz of PID {pid} by user + kernel stack for 1 secs.\n"
    )));
    let tail = format!("    -                spin ({pid})\n        ");
    let blocks: Vec<&str> = text.split("\n\n").filter(|b| b.contains(&tail)).collect();
    assert!(!blocks.is_empty(), "{out}");
    let spin = blocks
        .iter()
        .find(|b| b.contains("    scry_spin_here\n    main\n"))
        .unwrap_or_else(|| panic!("no scry_spin_here stack:\n{out}"));
    let count: u64 = spin.lines().last().unwrap().trim().parse().unwrap();
    assert!(count >= 1, "{out}");
}
