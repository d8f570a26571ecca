//! capable: the kernel's capability checks, one row each (libbpf-tools'
//! columns). Through the tracepoint the audit and setuid-origin flags are
//! unknown: shown as `-` (null in --json). `-K` / `-U` print the kernel /
//! user stack under each row as BCC does (`name+0xOFF [module]`, kernel
//! stack first); a stack that cannot be read (a kernel thread's user
//! stack) shows as `[Missed User Stack]`. `--unique` prints each
//! capability once per process (and stacks, with -K/-U).

use crate::params::Params;
use crate::spec::*;

/// `--unique`: the first check of each capability (with the same stacks)
/// by each process is printed, as BCC's `seen` map keeps it; `$cap`,
/// `$kstack` and `$ustack` are the check's.
const UNIQUE: &str = "if (@seen[pid, $cap, $kstack, $ustack]) { return; }
	@seen[pid, $cap, $kstack, $ustack] = 1;";

pub static TOOL: Tool = Tool {
    name: "capable",
    summary: "Trace security capability checks (cap_capable())",
    answers: "Which capabilities do processes need, and which are denied?",
    flags: &[
        Flag::filter(
            'p',
            "pid",
            "PID",
            Kind::Uint,
            "Trace this process ID only",
            "filter",
            "pid == {}",
        ),
        Flag::switch('x', "extra-fields", "Show TID and INSETID columns"),
        Flag::switch('D', "denied", "Show denied checks only"),
        Flag::switch_with(
            'K',
            "kernel-stack",
            "Output the kernel stack under each check",
            Effect::Set {
                slot: "kstack",
                text: "kstack(perf)",
            },
        ),
        Flag::switch_with(
            'U',
            "user-stack",
            "Output the user stack under each check",
            Effect::Set {
                slot: "ustack",
                text: "ustack(perf)",
            },
        ),
        Flag {
            short: None,
            long: "unique",
            value_name: None,
            kind: Kind::Switch,
            help: "Don't repeat a capability (and its stacks) for the same process",
            effect: Effect::Set {
                slot: "unique",
                text: UNIQUE,
            },
        },
        Flag::DURATION,
    ],
    positionals: &[],
    // Without -K / -U the stacks are empty strings (hidden columns).
    slots: &[
        Slot::predicate("filter"),
        Slot::text("kstack", "\"\""),
        Slot::text("ustack", "\"\""),
        Slot::text("unique", ""),
    ],
    plans: &[
        Plan::new(
            "kprobe",
            "capable-kprobe.bt",
            include_str!("../../tools/capable-kprobe.bt"),
            &[Need::Kprobes],
        ),
        Plan::new(
            "tracepoint",
            "capable.bt",
            include_str!("../../tools/capable.bt"),
            &[Need::Tracepoint("capability:cap_capable")],
        ),
    ],
    output: Output::Rows(Rows {
        tracing: "Tracing capability checks... Hit Ctrl-C to end.",
        announce: false,
        events: &[&[
            "uid", "pid", "tid", "comm", "cap", "audit", "ret", "insetid", "kstack", "ustack",
        ]],
        columns: &[
            Column::new("TIME", "time", -8),
            Column::new("UID", "uid", -5),
            Column::new("PID", "pid", -7),
            Column::when("TID", "tid", -7, "extra-fields"),
            Column::new("COMM", "comm", -16),
            Column::new("CAP", "cap", -7),
            Column::new("NAME", "name", -20),
            Column::new("AUDIT", "audit", -7),
            Column::new("VERDICT", "verdict", -7),
            Column::when("INSETID", "insetid", -7, "extra-fields"),
            Column::when("", "kstack", 0, "kernel-stack"),
            Column::when("", "ustack", 0, "user-stack"),
        ],
        assemble: None,
        finish: Some(finish),
    }),
    limits: Limits::DEFAULT,
    examples: &[
        ("scry tool capable", "trace capability checks"),
        ("scry tool capable -p 185", "only trace PID 185"),
        ("scry tool capable -x", "add TID and INSETID columns"),
        ("scry tool capable -D", "only show denied checks"),
        ("scry tool capable -K", "add kernel stacks"),
        ("scry tool capable -U", "add user-space stacks"),
    ],
};

/// The capabilities of linux/capability.h, by number.
const CAPS: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// The capability's name, the verdict, unknown flags as `-`; `-D` keeps
/// denials only.
fn finish(row: &mut Row, params: &Params) -> bool {
    let cap = int_field(row, "cap");
    let name = usize::try_from(cap)
        .ok()
        .and_then(|c| CAPS.get(c))
        .map_or_else(|| format!("CAP_{cap}"), |n| n.to_string());
    set_field(row, "name", Cell::Text(name));
    let denied = int_field(row, "ret") != 0;
    let verdict = if denied { "deny" } else { "allow" };
    set_field(row, "verdict", Cell::Text(verdict.to_string()));
    for flag in ["audit", "insetid"] {
        if int_field(row, flag) < 0 {
            let unknown = if params.json {
                Cell::Num(f64::NAN, 0)
            } else {
                Cell::Text("-".to_string())
            };
            set_field(row, flag, unknown);
        }
    }
    for (name, kernel) in [("kstack", true), ("ustack", false)] {
        if matches!(field(row, name), Some(Cell::Frames(f)) if f.is_empty()) {
            let missed = vec![crate::bccstack::missed(kernel)];
            set_field(row, name, Cell::Frames(missed));
        }
    }
    !params.on("denied") || denied
}
