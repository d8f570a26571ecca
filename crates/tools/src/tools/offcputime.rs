//! offcputime: blocked (off-CPU) time summed per stack, in microseconds,
//! printed as BCC prints it or folded (-f) for off-CPU flame graphs.

use crate::params::Params;
use crate::spec::*;
use crate::stacks;

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
        stacks::USER_STACKS_ONLY,
        stacks::KERNEL_STACKS_ONLY,
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
        stacks::DELIMITED,
        stacks::FOLDED,
    ],
    positionals: DURATION_POSITIONAL,
    slots: &[
        Slot::and_predicate("filter"),
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
    let others = if p.on("user-threads-only") {
        "user threads"
    } else if p.on("kernel-threads-only") {
        "kernel threads"
    } else {
        "all threads"
    };
    format!(
        "Tracing off-CPU time (us) of {}",
        stacks::stack_line_end(p, others)
    )
}
