//! Raw tracepoints loaded as typed (`tp_btf`) programs: the kernel types
//! their pointer arguments, and scry reads through them with plain loads.
//! Each test checks the loads against what the test knows otherwise: the
//! same fields read through `curtask` with bpf_probe_read(), the child's
//! name and parent, the arithmetic done on the plain argument.

mod common;

use common::*;
use std::time::Duration;

#[test]
fn typed_reads_agree_with_helper_reads() {
    require_root!();
    let _g = serial();
    // In sched_switch the task switched out is the current one.
    let mut s = Scry::start(&[
        "-e",
        "rawtracepoint:sched_switch /args.prev->tgid == cpid && args.prev->comm == \"sleep\"/ { \
           $c = (struct task_struct *)curtask; \
           printf(\"%d %d|%s %s|%d %d\\n\", args.prev->pid, $c->pid, args.prev->comm, $c->comm, \
                  args.prev->real_parent->tgid, $c->real_parent->tgid); exit(); }",
        "-c",
        "sleep 0.2",
    ]);
    let scry_pid = s.pid();
    let out = s.wait(Duration::from_secs(20));
    out.assert_ok();
    let line = out
        .lines()
        .into_iter()
        .find(|l| l.contains('|'))
        .unwrap_or_else(|| panic!("no line: {out}"))
        .to_string();
    let f: Vec<&str> = line.split('|').collect();
    let pair = |i: usize| -> (String, String) {
        let mut w = f[i].split(' ');
        (w.next().unwrap().into(), w.next().unwrap().into())
    };
    let (pid, helper_pid) = pair(0);
    assert_eq!(pid, helper_pid, "{out}");
    assert_eq!(pair(1), ("sleep".into(), "sleep".into()), "{out}");
    assert_eq!(
        pair(2),
        (scry_pid.to_string(), scry_pid.to_string()),
        "{out}"
    );
}

#[test]
fn arithmetic_on_typed_pointers() {
    require_root!();
    let _g = serial();
    // The verifier refuses arithmetic on typed pointers: scry computes
    // with their values as plain numbers.
    let out = run_e(
        "rawtracepoint:sched_wakeup /args.p->tgid == cpid/ { \
           printf(\"%d %d %d %d\\n\", (args.p & 0xfff) == (arg0 & 0xfff), \
                  (uint32)args.p == (uint32)arg0, (args.p + 16) - arg0, args.p / 8 == arg0 >> 3); \
           exit(); }",
        &["-c", "sleep 0.1"],
    );
    out.assert_ok();
    out.assert_line("1 1 16 1");
}

#[test]
fn variables_keep_typed_pointers_or_plain_numbers() {
    require_root!();
    let _g = serial();
    // $t always holds args.next: read through with loads. $p is sometimes
    // 0: a plain number.
    let out = run_e(
        "rawtracepoint:sched_switch { \
           $t = args.next; $p = args.prev; if (args.prev_state == 0) { $p = 0; } \
           @same[$t->pid == args.next->pid && $t->comm == args.next->comm] = count(); \
           @null[$p == 0, args.prev_state == 0] = count(); } \
         interval:ms:300 { exit(); }",
        &["-q"],
    );
    out.assert_ok();
    assert!(out.lines_starting("@same[1]:").len() == 1, "{out}");
    assert!(out.lines_starting("@same[0]").is_empty(), "{out}");
    assert!(out.lines_starting("@null[0, 1]").is_empty(), "{out}");
    assert!(out.lines_starting("@null[1, 0]").is_empty(), "{out}");
}

#[test]
fn typed_programs_read_without_helpers() {
    require_root!();
    let out = run(&[
        "--dry-run",
        "-d",
        "asm",
        "-e",
        "rawtracepoint:sched_switch { @[args.prev->pid, args.next->real_parent->tgid] = count(); }",
    ]);
    out.assert_ok();
    let text = out.to_string();
    assert!(text.contains("(tp_btf/sched_switch)"), "{out}");
    // pid and tgid: 4-byte loads from a register that is not the stack.
    let loads = text
        .lines()
        .filter(|l| l.contains("= *(u32 *)(r") && !l.contains("(r10"))
        .count();
    assert_eq!(loads, 2, "{out}");
    assert!(!text.contains("probe_read"), "{out}");
}

/// A script for one typed raw tracepoint that uses each argument every
/// way: integers as keys, struct pointers as keys, in arithmetic, read
/// through directly and through one more pointer.
fn sweep_script(btf: &scry_btf::Btf, event: &str) -> Option<String> {
    use scry_btf::Kind;
    let func = btf.find(&format!("__probestub_{event}"), Kind::Func)?;
    let proto = btf.func_proto(func)?;
    let record = |ty: u32| {
        let to = btf.skip_modifiers(btf.pointee(ty)?);
        matches!(btf.kind(to), Some(Kind::Struct | Kind::Union)).then_some(to)
    };
    let int_member = |rec: u32| {
        btf.members(rec).into_iter().find(|m| {
            !m.name.is_empty()
                && m.bitfield_size == 0
                && btf.kind(btf.skip_modifiers(m.type_id)) == Some(Kind::Int)
        })
    };
    let mut uses = Vec::new();
    for (i, (name, ty)) in proto.params.iter().enumerate().skip(1) {
        let t = btf.skip_modifiers(*ty);
        match btf.kind(t) {
            Some(Kind::Int | Kind::Enum) => uses.push(format!("@i{i}[args.{name}] = count();")),
            Some(Kind::Ptr) => {
                let Some(rec) = record(t) else { continue };
                uses.push(format!(
                    "@v{i}[args.{name}] = count(); @x{i}[args.{name} & 0xff] = count();"
                ));
                if let Some(m) = int_member(rec) {
                    uses.push(format!("@m{i}[args.{name}->{}] = count();", m.name));
                }
                let next = btf.members(rec).into_iter().find_map(|m| {
                    let inner = record(m.type_id)?;
                    let leaf = int_member(inner)?;
                    (!m.name.is_empty()).then(|| format!("{}->{}", m.name, leaf.name))
                });
                if let Some(path) = next {
                    uses.push(format!("@n{i}[args.{name}->{path}] = count();"));
                }
            }
            _ => {}
        }
    }
    (!uses.is_empty()).then(|| format!("rawtracepoint:{event} {{ {} }}", uses.join(" ")))
}

#[test]
fn typed_raw_tracepoints_verify_with_their_arguments_used() {
    require_root!();
    let btf = scry_btf::Btf::from_file(std::path::Path::new("/sys/kernel/btf/vmlinux"))
        .expect("vmlinux BTF");
    let events: Vec<String> = (1..=btf.len())
        .filter(|&id| btf.kind(id) == Some(scry_btf::Kind::Typedef))
        .filter_map(|id| btf.name(id).strip_prefix("btf_trace_").map(String::from))
        .collect();
    assert!(events.len() > 100, "{} typed raw tracepoints", events.len());
    // One in eight (every one passed, some 1,600 here, when this was written).
    let mut checked = 0;
    for event in events.iter().step_by(8) {
        let Some(script) = sweep_script(&btf, event) else {
            continue;
        };
        let out = run(&["--dry-run", "-e", &script]);
        assert!(out.ok(), "{script}\n{out}");
        checked += 1;
    }
    assert!(checked > 50, "only {checked} scripts");
}

#[test]
fn list_verbose_shows_the_arguments() {
    require_root!();
    let out = run(&["-lv", "rawtracepoint:sched_switch"]);
    out.assert_ok();
    assert_eq!(
        out.lines(),
        [
            "rawtracepoint:sched_switch",
            "    bool preempt",
            "    struct task_struct * prev",
            "    struct task_struct * next",
            "    unsigned int prev_state",
        ],
        "{out}"
    );
}
