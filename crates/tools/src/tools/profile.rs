//! profile: a CPU profile: stacks sampled at a fixed frequency, counted,
//! printed as BCC prints them or folded (-f) for flame graphs.

use crate::params::Params;
use crate::spec::*;
use crate::stacks;

pub static TOOL: Tool = Tool {
    name: "profile",
    summary: "Profile CPU usage by sampling stack traces at a timed interval",
    answers: "Where is CPU time going, by code path?",
    flags: &[
        Flag::filter(
            'p',
            "pid",
            "PID",
            Kind::Uint,
            "Profile this process ID only",
            "filter",
            "pid == {}",
        ),
        Flag::filter(
            'L',
            "tid",
            "TID",
            Kind::Uint,
            "Profile this thread ID only",
            "filter",
            "tid == {}",
        ),
        stacks::USER_STACKS_ONLY,
        stacks::KERNEL_STACKS_ONLY,
        Flag::switch_with(
            'I',
            "include-idle",
            "Include CPU idle stacks",
            Effect::FilterUnless {
                slot: "filter",
                cond: "pid != 0",
            },
        ),
        Flag::value(
            'F',
            "frequency",
            "FREQUENCY",
            Kind::Uint,
            "Sample frequency, Hertz (default 49)",
            Effect::Set {
                slot: "hz",
                text: "{}",
            },
        ),
        stacks::DELIMITED,
        stacks::FOLDED,
    ],
    positionals: DURATION_POSITIONAL,
    slots: &[
        Slot::predicate("filter"),
        Slot::text("hz", "49"),
        Slot::text("kstack", "kstack"),
        Slot::text("ustack", "ustack"),
    ],
    plans: &[Plan::new(
        "profile",
        "profile.bt",
        include_str!("../../tools/profile.bt"),
        &[],
    )],
    output: Output::Stacks(Stacks {
        tracing,
        map: "@stacks",
        value_name: "samples",
    }),
    limits: Limits::DEFAULT,
    examples: &[
        (
            "scry tool profile",
            "profile stack traces at 49 Hertz until Ctrl-C",
        ),
        (
            "scry tool profile -F 99",
            "profile stack traces at 99 Hertz",
        ),
        (
            "scry tool profile 5",
            "profile at 49 Hertz for 5 seconds only",
        ),
        (
            "scry tool profile -f 5",
            "output in folded format for flame graphs",
        ),
        (
            "scry tool profile -p 185",
            "only profile process with PID 185",
        ),
        (
            "scry tool profile -U",
            "only show user space stacks (no kernel)",
        ),
        (
            "scry tool profile -K",
            "only show kernel space stacks (no user)",
        ),
    ],
};

/// "Sampling at 49 Hertz of all threads by user + kernel stack... Hit
/// Ctrl-C to end."
fn tracing(p: &Params) -> String {
    let hz = p.get_int("frequency").unwrap_or(49);
    let end = stacks::stack_line_end(p, "all threads");
    format!("Sampling at {hz} Hertz of {end}")
}
