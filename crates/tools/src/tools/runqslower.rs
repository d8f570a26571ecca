//! runqslower: one row each time a task waited in a run queue longer than
//! a threshold (libbpf-tools' columns; `-P` adds the task it replaced).

use crate::spec::*;

const MIN_US: Positional = Positional {
    name: "min_us",
    help: "Minimum run queue latency to trace, in us (default 10000)",
};

pub static TOOL: Tool = Tool {
    name: "runqslower",
    summary: "Trace high run queue latency: tasks that waited long for a CPU",
    answers: "Which tasks waited longest to run, and who was running instead?",
    flags: &[
        Flag::value(
            'p',
            "pid",
            "PID",
            Kind::Uint,
            "Trace this process ID only",
            Effect::All(&[
                Effect::Filter {
                    slot: "wake_filter",
                    cond: "((struct task_struct *)arg0)->tgid == {}",
                },
                Effect::Filter {
                    slot: "prev_filter",
                    cond: "$prev->tgid == {}",
                },
            ]),
        ),
        Flag::value(
            't',
            "tid",
            "TID",
            Kind::Uint,
            "Trace this thread ID only",
            Effect::All(&[
                Effect::Filter {
                    slot: "wake_filter",
                    cond: "args.pid == {}",
                },
                Effect::Filter {
                    slot: "prev_filter",
                    cond: "args.prev_pid == {}",
                },
            ]),
        ),
        Flag::switch(
            'P',
            "previous",
            "Also show the previous task's name and TID",
        ),
        Flag::DURATION,
    ],
    positionals: &[MIN_US],
    slots: &[
        Slot::predicate("wake_filter"),
        Slot::and_predicate("prev_filter"),
        Slot::text("min_us", "10000"),
    ],
    plans: &[
        Plan {
            without: &["tid"],
            ..Plan::new(
                "rawtracepoint",
                "runqslower.bt",
                include_str!("../../tools/runqslower.bt"),
                &[Need::Btf],
            )
        },
        Plan {
            without: &["pid"],
            ..Plan::new(
                "tracepoint",
                "runqslower-tp.bt",
                include_str!("../../tools/runqslower-tp.bt"),
                &[Need::Tracepoint("sched:sched_switch")],
            )
        },
    ],
    output: Output::Rows(Rows {
        tracing: "Tracing run queue latency higher than {min_us=10000} us",
        announce: true,
        events: &[&["comm", "tid", "lat_us", "prev_comm", "prev_tid"]],
        columns: &[
            Column::new("TIME", "time", -8),
            Column::new("COMM", "comm", -16),
            Column::new("TID", "tid", -6),
            Column::new("LAT(us)", "lat_us", 14),
            Column::when("PREV COMM", "prev_comm", -16, "previous"),
            Column::when("PREV TID", "prev_tid", -6, "previous"),
        ],
        assemble: None,
        finish: None,
    }),
    limits: Limits::DEFAULT,
    examples: &[
        ("scry tool runqslower", "trace latency higher than 10000 us"),
        (
            "scry tool runqslower 1000",
            "trace latency higher than 1000 us",
        ),
        ("scry tool runqslower -p 123", "trace pid 123"),
        ("scry tool runqslower -t 123", "trace tid 123"),
        ("scry tool runqslower -P", "also show the previous task"),
    ],
};
