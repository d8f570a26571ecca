//! Issue 4: assignments to variables the probe never reads, of values
//! without effects, generate no code (crates/lang/src/codegen/dead.rs):
//! the program is the one the script without them gives, and what the
//! script prints and counts is unchanged.

mod common;

use common::*;

/// The probe, with or without its dead assignments.
fn script(tid: i32, with_dead: bool) -> String {
    let dead = if with_dead {
        "$pp = $t->real_parent->tgid; $comm = $t->comm; $unused = $dbl + 1; let $l = nsecs;"
    } else {
        ""
    };
    format!(
        "tracepoint:syscalls:sys_enter_lseek /tid == {tid}/ {{ \
           $t = (struct task_struct *)curtask; $off = args->offset; $dbl = $off * 2; \
           {dead} $x = @n++; printf(\"%d %d %d\\n\", $off, $dbl, $t->tgid); }}"
    )
}

#[test]
fn dead_assignments_generate_no_code() {
    require_root!();
    let _g = serial();
    let asm = |with_dead| {
        let out = run(&["--dry-run", "-q", "-d", "asm", "-e", &script(1, with_dead)]);
        out.assert_ok();
        out.stderr
    };
    let (with, without) = (asm(true), asm(false));
    assert!(with.contains("probe_read"), "{with}");
    assert_eq!(with, without);
}

#[test]
fn output_and_effects_are_unchanged() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("issue4-dead");
    let path = dir.join("f");
    std::fs::write(&path, b"x").unwrap();
    let file = std::fs::File::open(&path).unwrap();
    let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
    let prog = script(gettid(), true);
    let mut s = Scry::start(&["-e", &prog]);
    s.wait_attached();
    for off in 1..=5 {
        unsafe { libc::lseek(fd, off, libc::SEEK_SET) };
    }
    let last = format!("5 10 {}", getpid());
    assert!(
        s.wait_for_line(std::time::Duration::from_secs(30), |l| l == last),
        "{}",
        s.stdout_so_far()
    );
    let out = s.stop();
    out.assert_ok();
    for off in 1..=5 {
        out.assert_line(&format!("{off} {} {}", off * 2, getpid()));
    }
    // `$x = @n++` is never read, but its increment happened.
    out.assert_line("@n: 5");
}
