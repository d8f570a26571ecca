//! trace: BCC's trace. Each probe argument (`'p:c:open (arg2 == 42) "%s",
//! arg1'`, `'r::vfs_read "%d", retval'`, `'t:sched:sched_switch'`) becomes a
//! scry probe whose `printf()` writes BCC's `PID TID COMM FUNC -` row; the
//! printer adds the time columns, filters by name or message, and stops
//! after `-M` events; `-K` / `-U` print the kernel / user stack under each
//! row (`-a`: with addresses), as BCC does. Rows are printed by
//! [`super::trace_rows`].

use crate::generic::{self, Flavor, TextArg};
use crate::params::Params;
use crate::spec::*;
use crate::targets;
use crate::traceprobe::TraceProbe;
use scry_lang::env::Env;

/// The start of every probe's format: BCC's fixed columns.
pub const PREFIX: &str = "%-7d %-7d %-15s %-16s ";
/// With `-C`, the CPU first.
pub const CPU_PREFIX: &str = "%-3d ";
/// With `-K` / `-U`, each stack after the fixed columns (printed by the
/// printer under the row).
pub const STACK_PREFIX: &str = "%s";

/// The stacks asked for, in the order they are printed: (flag, builtin).
pub fn stacks(params: &Params) -> Vec<(&'static str, &'static str)> {
    [
        ("kernel-stack", "kstack(perf)"),
        ("user-stack", "ustack(perf)"),
    ]
    .into_iter()
    .filter(|(flag, _)| params.on(flag))
    .collect()
}

/// BCC's positional arguments.
const ARGS: &[TextArg] = &[TextArg {
    name: "probe",
    help: "Probe specifier: [p|r|t|u]:[lib]:func[(signature)] [(filter)] [\"format\", args...]",
    many: true,
}];

pub static TOOL: Tool = Tool {
    name: "trace",
    summary: "Trace functions, tracepoints and USDT probes, printing a message per event",
    answers: "When is this function or event hit, by whom, with which arguments or return value?",
    flags: &[
        generic::PID,
        Flag::value(
            'L',
            "tid",
            "TID",
            Kind::Uint,
            "Trace this thread ID only",
            Effect::Output,
        ),
        Flag {
            short: None,
            long: "uid",
            value_name: Some("UID"),
            kind: Kind::Uint,
            help: "Trace this user ID only",
            effect: Effect::Output,
        },
        Flag::value(
            'M',
            "max-events",
            "MAX_EVENTS",
            Kind::Uint,
            "Number of events to print before quitting",
            Effect::Output,
        ),
        Flag::switch(
            't',
            "timestamp",
            "Print a timestamp column (seconds since the start)",
        ),
        Flag::switch(
            'u',
            "unix-timestamp",
            "Print UNIX timestamps instead of offsets (with -t)",
        ),
        Flag::switch('T', "time", "Print a time column (HH:MM:SS)"),
        Flag::switch('C', "print-cpu", "Print the CPU id"),
        Flag::value(
            'n',
            "name",
            "NAME",
            Kind::Text,
            "Only print process names containing NAME",
            Effect::Output,
        ),
        Flag::value(
            'f',
            "msg-filter",
            "MSG_FILTER",
            Kind::Text,
            "Only print messages containing MSG_FILTER",
            Effect::Output,
        ),
        Flag::switch(
            'S',
            "include-self",
            "Do not filter trace's own pid from the trace",
        ),
        Flag::switch(
            'K',
            "kernel-stack",
            "Output the kernel stack under each event",
        ),
        Flag::switch('U', "user-stack", "Output the user stack under each event"),
        Flag::switch('a', "address", "Print virtual addresses in stacks"),
        Flag::string_size('Z'),
        Flag::INCLUDE,
    ],
    positionals: &[],
    slots: &[],
    plans: &generic::plans(generate, kernel_functions, ARGS),
    output: Output::Printer(super::trace_rows::printer),
    limits: Limits {
        max_strlen: 80,
        ..Limits::DEFAULT
    },
    examples: &[
        (
            "scry tool trace do_sys_open",
            "trace do_sys_open() with a default message",
        ),
        (
            "scry tool trace 'c:malloc \"size = %d\", arg1'",
            "print malloc's size argument",
        ),
        (
            "scry tool trace 'r:c:malloc (retval) \"allocated = %x\", retval'",
            "non-NULL results of malloc",
        ),
        (
            "scry tool trace 'p:c:write (arg1 == 1) \"writing %d bytes to STDOUT\", arg3'",
            "writes to stdout",
        ),
        (
            "scry tool trace 't:block:block_rq_complete \"sectors=%d\", args->nr_sector'",
            "a tracepoint's field",
        ),
        (
            "scry tool trace 'u:pthread:pthread_create (arg4 != 0)'",
            "a USDT probe with a filter",
        ),
        (
            "scry tool trace -M 10 -T 'r::vfs_read \"%d\", retval'",
            "10 returns of vfs_read, with times",
        ),
        (
            "scry tool trace -U -a 'r:c:malloc \"%d\", retval'",
            "user stacks of malloc's returns, with addresses",
        ),
    ],
};

pub fn probes(params: &Params) -> Result<Vec<TraceProbe>, String> {
    params
        .get_list("probe")
        .iter()
        .map(|p| TraceProbe::parse(p))
        .collect()
}

fn kernel_functions(params: &Params) -> bool {
    probes(params).is_ok_and(|ps| ps.iter().any(|p| p.spec.is_kernel_function()))
}

fn generate(params: &Params, env: &dyn Env, flavor: Flavor) -> Result<String, String> {
    let probes = probes(params)?;
    let me = std::process::id();
    let mut conds = generic::filters(params);
    if let Some(uid) = params.get_int("uid") {
        conds.push(format!("uid == {uid}"));
    }
    let mut s = String::from("// trace: BCC's trace probes, one row per event");
    if !params.on("include-self") {
        conds.push(format!("pid != {me}"));
        s.push_str(&format!("; pid {me} is scry itself (-S traces it too)"));
    }
    s.push('\n');
    for p in &probes {
        let points = targets::points(&p.spec, env, flavor, false)?;
        let mut c = conds.clone();
        c.extend(p.filter.clone());
        let (mut prefix, lead) = match params.on("print-cpu") {
            true => (format!("{CPU_PREFIX}{PREFIX}"), "cpu, pid, tid, comm"),
            false => (PREFIX.to_string(), "pid, tid, comm"),
        };
        let stacks = stacks(params);
        prefix.push_str(&STACK_PREFIX.repeat(stacks.len()));
        let format = crate::template::string_literal(&format!("{prefix}{}\n", p.format));
        let mut args = vec![
            format,
            lead.to_string(),
            crate::template::string_literal(p.func()),
        ];
        args.extend(stacks.iter().map(|(_, s)| s.to_string()));
        args.extend(p.args.iter().cloned());
        s.push('\n');
        s.push_str(&generic::block(
            &points,
            &c,
            &[format!("printf({});", args.join(", "))],
        ));
    }
    Ok(s)
}
