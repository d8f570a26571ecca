//! stackcount: BCC's stackcount. The kernel and user stacks (and, per
//! process, pid and comm) at each hit of the probes matching a pattern
//! are counted in one map; every interval and at the end each stack is
//! printed with its count (by [`super::stackcount_out`]), or in folded
//! form for flame graphs (`-f`).

use crate::generic::{self, Flavor, TextArg};
use crate::params::Params;
use crate::probespec::ProbeSpec;
use crate::spec::*;
use crate::targets;
use scry_lang::env::Env;

/// BCC's positional argument.
const ARGS: &[TextArg] = &[TextArg {
    name: "pattern",
    help: "Where to count stacks: func, lib:func, /path:func, t:cat:event, u:lib:probe",
    many: false,
}];

pub static TOOL: Tool = Tool {
    name: "stackcount",
    summary: "Count the kernel and user stacks that lead to functions, tracepoints or USDT probes",
    answers: "Which code paths lead to this function or event, and how often?",
    flags: &[
        generic::PID,
        Flag::value(
            'c',
            "cpu",
            "CPU",
            Kind::Uint,
            "Trace this CPU only",
            Effect::Output,
        ),
        generic::INTERVAL,
        Flag::value(
            'D',
            "duration",
            "DURATION",
            Kind::Uint,
            "Total duration of trace, in seconds",
            Effect::Output,
        ),
        Flag::switch('T', "timestamp", "Include a timestamp on output"),
        Flag::switch(
            'r',
            "regexp",
            "Use regular expressions (default: '*' wildcards only)",
        ),
        Flag::switch('s', "offset", "Show address offsets"),
        Flag::switch('P', "perpid", "Display stacks separately for each process"),
        Flag::switch('K', "kernel-stacks-only", "Kernel stacks only"),
        Flag::switch('U', "user-stacks-only", "User stacks only"),
        Flag::switch(
            'd',
            "delimited",
            "Insert a delimiter between kernel and user stacks",
        ),
        Flag::switch('f', "folded", "Output folded format (for flame graphs)"),
    ],
    positionals: &[],
    slots: &[],
    plans: &generic::plans(generate, kernel_functions, ARGS),
    output: Output::Printer(super::stackcount_out::printer),
    limits: Limits::DEFAULT,
    examples: &[
        (
            "scry tool stackcount submit_bio",
            "kernel stacks leading to submit_bio()",
        ),
        (
            "scry tool stackcount -d ip_output",
            "with a kernel/user stack delimiter",
        ),
        ("scry tool stackcount -s ip_output", "with symbol offsets"),
        (
            "scry tool stackcount -Ti 5 ip_output",
            "every 5 seconds, with timestamps",
        ),
        (
            "scry tool stackcount -p 185 c:malloc",
            "stacks calling malloc() in process 185",
        ),
        (
            "scry tool stackcount -P t:sched:sched_fork",
            "stacks of forks, per process",
        ),
        (
            "scry tool stackcount -U t:sched:sched_switch",
            "user stacks only",
        ),
        (
            "scry tool stackcount -f -P t:syscalls:sys_enter_read",
            "folded, for a flame graph",
        ),
    ],
};

/// Which stacks are recorded: (kernel, user).
pub fn stacks(params: &Params) -> (bool, bool) {
    match (
        params.on("kernel-stacks-only"),
        params.on("user-stacks-only"),
    ) {
        (false, false) => (true, true),
        (k, u) => (k, u),
    }
}

/// Stacks are kept per process with -P, and with -p (as BCC does).
pub fn per_pid(params: &Params) -> bool {
    params.on("perpid") || params.on("pid")
}

fn spec(params: &Params) -> Result<ProbeSpec, String> {
    ProbeSpec::parse_pattern(params.get_text("pattern").unwrap_or_default())
}

fn kernel_functions(params: &Params) -> bool {
    spec(params).is_ok_and(|s| s.is_kernel_function())
}

fn generate(params: &Params, env: &dyn Env, flavor: Flavor) -> Result<String, String> {
    if params.on("kernel-stacks-only") && params.on("user-stacks-only") {
        return Err("-K and -U are mutually exclusive; both stacks are the default".into());
    }
    let spec = spec(params)?;
    let points = targets::points(&spec, env, flavor, params.on("regexp"))?;
    let (kernel, user) = stacks(params);
    let mut key = Vec::new();
    key.extend(kernel.then_some("kstack"));
    key.extend(user.then_some("ustack"));
    if per_pid(params) {
        key.extend(["pid", "comm"]);
    }
    let pattern = params.get_text("pattern").unwrap_or_default();
    Ok(format!(
        "// stackcount: stacks leading to {pattern}\n\n{}",
        generic::block(
            &points,
            &generic::filters(params),
            &[format!("@stacks[{}] = count();", key.join(", "))]
        )
    ))
}
