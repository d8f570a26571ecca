//! syscount: system call counts (and total latency with -L), top N per
//! interval (BCC libbpf-tools' layout).

use crate::params::Params;
use crate::spec::*;
use crate::syscalls;
use scry_output::Value;

pub static TOOL: Tool = Tool {
    name: "syscount",
    summary: "Summarize system call counts and latencies, by call or by process",
    answers: "Which system calls (or processes) are the busiest, failing, or slowest?",
    flags: &[
        Flag::value(
            'p',
            "pid",
            "PID",
            Kind::Uint,
            "Trace this process ID only",
            Effect::All(&[
                Effect::Filter {
                    slot: "exit_filter",
                    cond: "pid == {}",
                },
                Effect::Filter {
                    slot: "enter_filter",
                    cond: "pid == {}",
                },
            ]),
        ),
        Flag::switch('L', "latency", "Measure and sort by total latency"),
        Flag::switch_with(
            'P',
            "process",
            "Count by process, not by system call",
            Effect::Set {
                slot: "key",
                text: "pid, comm",
            },
        ),
        Flag::switch_with(
            'x',
            "failures",
            "Count failed system calls only",
            Effect::Filter {
                slot: "exit_filter",
                cond: "args.ret < 0",
            },
        ),
        Flag::value(
            'e',
            "errno",
            "ERRNO",
            Kind::Text,
            "Count system calls failing with this errno only (2, ENOENT)",
            Effect::FilterWith {
                slot: "exit_filter",
                cond: "args.ret == -{}",
                convert: errno,
            },
        ),
        Flag::value(
            'i',
            "interval",
            "INTERVAL",
            Kind::Uint,
            "Print a summary every INTERVAL seconds",
            Effect::Output,
        ),
        Flag::DURATION,
        Flag::value(
            'T',
            "top",
            "TOP",
            Kind::Uint,
            "Print only the top TOP entries (default 10)",
            Effect::Output,
        ),
        Flag::switch(
            'm',
            "milliseconds",
            "Show latency in milliseconds (default: microseconds)",
        ),
    ],
    positionals: &[],
    slots: &[
        Slot::predicate("enter_filter"),
        Slot::and_predicate("exit_filter"),
        Slot::text("key", "args.id"),
    ],
    plans: &[
        Plan {
            without: &["latency"],
            ..Plan::new(
                "tracepoint",
                "syscount.bt",
                include_str!("../../tools/syscount.bt"),
                &[Need::Tracepoint("raw_syscalls:sys_exit")],
            )
        },
        Plan {
            only_with: &["latency"],
            ..Plan::new(
                "tracepoint-latency",
                "syscount-latency.bt",
                include_str!("../../tools/syscount-latency.bt"),
                &[Need::Tracepoint("raw_syscalls:sys_enter")],
            )
        },
    ],
    output: Output::Counts(Counts {
        tracing: "Tracing syscalls, printing top {top}... Ctrl+C to quit.",
        count_map: "@count",
        time_map: "@time_ns",
        key_text,
        key_json,
    }),
    limits: Limits::DEFAULT,
    examples: &[
        ("scry tool syscount", "count system calls until Ctrl-C"),
        ("scry tool syscount -i 1", "print the top 10 every second"),
        ("scry tool syscount -p 181", "only process 181"),
        ("scry tool syscount -L", "measure and sort by latency"),
        (
            "scry tool syscount -P",
            "count by process, not by system call",
        ),
        (
            "scry tool syscount -x -i 5",
            "failed system calls only, every 5 seconds",
        ),
        (
            "scry tool syscount -e ENOENT",
            "system calls failing with ENOENT only",
        ),
    ],
};

fn errno(text: &str) -> Result<String, String> {
    syscalls::errno(text).map(|n| n.to_string())
}

/// A system call's name, or `PID    COMM` with -P.
fn key_text(key: &Value, p: &Params) -> String {
    match key {
        Value::Tuple(v) if p.on("process") && v.len() == 2 => {
            format!("{:<6} {:<15}", v[0].to_text(), v[1].to_text())
        }
        k => syscalls::display(k.int_bits().unwrap_or(u64::MAX) as i64),
    }
}

fn key_json(key: &Value, p: &Params) -> Vec<(&'static str, String)> {
    match key {
        Value::Tuple(v) if p.on("process") && v.len() == 2 => vec![
            ("pid", v[0].to_text()),
            ("comm", scry_output::json_string(&v[1].to_text())),
        ],
        k => {
            let nr = k.int_bits().unwrap_or(u64::MAX) as i64;
            vec![
                ("syscall", scry_output::json_string(&syscalls::display(nr))),
                ("nr", nr.to_string()),
            ]
        }
    }
}
