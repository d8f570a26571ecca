//! offcputime: blocked (off-CPU) time summed per stack, in microseconds,
//! printed as BCC prints it or folded (-f) for off-CPU flame graphs.

use crate::params::Params;
use crate::spec::*;

pub static TOOL: Tool = Tool {
    name: "offcputime",
    summary: "Summarize off-CPU (blocked) time by stack trace",
    answers: "Why and where do threads block, and for how long in total?",
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
        Flag::filter(
            't',
            "tid",
            "TID",
            Kind::Uint,
            "Trace this thread ID only",
            "filter",
            "tid == {}",
        ),
        Flag::switch_with(
            'u',
            "user-threads-only",
            "User threads only (no kernel threads)",
            Effect::Filter {
                slot: "filter",
                // PF_KTHREAD (include/linux/sched.h): a kernel thread.
                cond: "(((struct task_struct *)curtask)->flags & 0x00200000) == 0",
            },
        ),
        Flag::switch_with(
            'k',
            "kernel-threads-only",
            "Kernel threads only (no user threads)",
            Effect::Filter {
                slot: "filter",
                cond: "(((struct task_struct *)curtask)->flags & 0x00200000) != 0",
            },
        ),
        Flag::switch_with(
            'U',
            "user-stacks-only",
            "Show stacks from user space only (no kernel space stacks)",
            Effect::Set {
                slot: "kstack",
                text: "0",
            },
        ),
        Flag::switch_with(
            'K',
            "kernel-stacks-only",
            "Show stacks from kernel space only (no user space stacks)",
            Effect::Set {
                slot: "ustack",
                text: "0",
            },
        ),
        Flag::value(
            'm',
            "min-block-time",
            "MIN",
            Kind::Uint,
            "Only blocks of at least this many us (default 1)",
            Effect::Set {
                slot: "min_us",
                text: "{}",
            },
        ),
        Flag::value(
            'M',
            "max-block-time",
            "MAX",
            Kind::Uint,
            "Only blocks of at most this many us",
            Effect::Set {
                slot: "max_us",
                text: "{}",
            },
        ),
        Flag::switch(
            'd',
            "delimited",
            "Insert a '-' between kernel and user stacks",
        ),
        Flag::switch(
            'f',
            "folded",
            "Output folded format, one line per stack (for flame graphs)",
        ),
    ],
    positionals: &[Positional {
        name: "duration",
        help: "Duration of trace, in seconds",
    }],
    slots: &[
        Slot {
            name: "filter",
            kind: SlotKind::AndPredicate,
        },
        Slot::text("kstack", "kstack"),
        Slot::text("ustack", "ustack"),
        Slot::text("min_us", "1"),
        Slot::text("max_us", "0xffffffffffffffff"),
    ],
    plans: &[Plan::new(
        "tracepoint",
        "offcputime.bt",
        include_str!("../../tools/offcputime.bt"),
        &[Need::Tracepoint("sched:sched_switch")],
    )],
    output: Output::Stacks(Stacks {
        tracing,
        map: "@stacks",
        value_name: "us",
    }),
    limits: Limits::DEFAULT,
    examples: &[
        (
            "scry tool offcputime",
            "trace off-CPU stack time until Ctrl-C",
        ),
        ("scry tool offcputime 5", "trace for 5 seconds only"),
        (
            "scry tool offcputime -f 5",
            "5 seconds, folded (for flame graphs)",
        ),
        (
            "scry tool offcputime -m 1000",
            "only blocks longer than 1000 us",
        ),
        (
            "scry tool offcputime -p 185",
            "only trace threads of PID 185",
        ),
        (
            "scry tool offcputime -u",
            "only trace user threads (no kernel)",
        ),
        (
            "scry tool offcputime -k",
            "only trace kernel threads (no user)",
        ),
    ],
};

/// "Tracing off-CPU time (us) of all threads by user + kernel stack...
/// Hit Ctrl-C to end."
fn tracing(p: &Params) -> String {
    let who = match (p.get_int("pid"), p.get_int("tid")) {
        (Some(pid), _) => format!("PID {pid}"),
        (None, Some(tid)) => format!("TID {tid}"),
        _ if p.on("user-threads-only") => "user threads".to_string(),
        _ if p.on("kernel-threads-only") => "kernel threads".to_string(),
        _ => "all threads".to_string(),
    };
    let what = if p.on("user-stacks-only") {
        "user"
    } else if p.on("kernel-stacks-only") {
        "kernel"
    } else {
        "user + kernel"
    };
    let until = match p.get_int("duration") {
        Some(d) => format!(" for {d} secs."),
        None => "... Hit Ctrl-C to end.".to_string(),
    };
    format!("Tracing off-CPU time (us) of {who} by {what} stack{until}")
}
