//! filelife: short-lived files, one row when a file created while tracing
//! is deleted, with its age (libbpf-tools' columns). Without kprobes the
//! syscall plan knows files by the path given to open() and unlink(): a
//! file created by one name and deleted by another (relative and absolute
//! paths) is not matched.

use crate::params::Params;
use crate::spec::*;

pub static TOOL: Tool = Tool {
    name: "filelife",
    summary: "Trace the lifespan of short-lived files: created, then deleted",
    answers: "Which temporary files come and go, who deletes them, how old are they?",
    flags: &[
        Flag::value(
            'p',
            "pid",
            "PID",
            Kind::Uint,
            "Trace files created by this process ID only",
            Effect::All(&[
                Effect::Filter {
                    slot: "filter",
                    cond: "pid == {}",
                },
                Effect::Filter {
                    slot: "and_filter",
                    cond: "pid == {}",
                },
            ]),
        ),
        Flag::DURATION,
    ],
    positionals: &[],
    slots: &[Slot::predicate("filter"), Slot::and_predicate("and_filter")],
    plans: &[
        Plan::new(
            "kprobe",
            "filelife-kprobe.bt",
            include_str!("../../tools/filelife-kprobe.bt"),
            &[Need::Kprobes],
        ),
        Plan::new(
            "tracepoint",
            "filelife.bt",
            include_str!("../../tools/filelife.bt"),
            &[Need::Tracepoint("syscalls:sys_enter_unlinkat")],
        ),
    ],
    output: Output::Rows(Rows {
        tracing: "Tracing the lifespan of short-lived files ... Hit Ctrl-C to end.",
        announce: true,
        events: &[&["pid", "comm", "ns", "file"]],
        columns: &[
            Column::new("TIME", "time", -8),
            Column::new("PID", "pid", -6),
            Column::new("COMM", "comm", -16),
            Column::new("AGE(s)", "age_s", -7),
            Column::new("FILE", "file", 0),
        ],
        assemble: None,
        finish: Some(finish),
    }),
    limits: Limits {
        max_strlen: 128,
        ..Limits::DEFAULT
    },
    examples: &[
        ("scry tool filelife", "trace all short-lived files"),
        ("scry tool filelife -p 123", "only files created by PID 123"),
    ],
};

/// AGE(s): seconds, 2 decimals.
fn finish(row: &mut Row, _: &Params) -> bool {
    let ns = int_field(row, "ns");
    set_field(row, "age_s", Cell::Num(ns as f64 / 1e9, 2));
    true
}
