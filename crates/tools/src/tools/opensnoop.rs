//! opensnoop: open() syscalls, one row each (BCC libbpf-tools' columns).

use crate::params::Params;
use crate::spec::*;

const SCRIPT: &str = include_str!("../../tools/opensnoop.bt");

pub static TOOL: Tool = Tool {
    name: "opensnoop",
    summary: "Trace open() syscalls: who opened which path, with the fd or errno",
    answers: "Which files are processes opening, and which opens fail?",
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
        Flag::filter(
            'u',
            "uid",
            "UID",
            Kind::Uint,
            "Trace this user ID only",
            "filter",
            "uid == {}",
        ),
        Flag::filter(
            'n',
            "name",
            "NAME",
            Kind::Text,
            "Trace process names containing this",
            "filter",
            "strcontains(comm, {})",
        ),
        Flag::switch('x', "failed", "Show failed opens only"),
        Flag::switch('T', "timestamp", "Print a timestamp column (HH:MM:SS)"),
        Flag::switch('U', "print-uid", "Print a UID column"),
        Flag::DURATION,
    ],
    positionals: &[],
    slots: &[
        Slot::predicate("filter"),
        Slot::text("open_enter", "tracepoint:syscalls:sys_enter_open,"),
        Slot::text("open_exit", "tracepoint:syscalls:sys_exit_open,"),
    ],
    plans: &[
        Plan::new(
            "tracepoint",
            "opensnoop.bt",
            SCRIPT,
            &[Need::Tracepoint("syscalls:sys_enter_open")],
        ),
        // Architectures without open(2) (arm64, riscv): openat and openat2.
        Plan {
            set: &[("open_enter", ""), ("open_exit", "")],
            ..Plan::new(
                "tracepoint-openat",
                "opensnoop.bt",
                SCRIPT,
                &[Need::Tracepoint("syscalls:sys_enter_openat")],
            )
        },
    ],
    output: Output::Rows(Rows {
        tracing: "Tracing open() syscalls... Hit Ctrl-C to end.",
        announce: false,
        events: &[&["uid", "pid", "comm", "fd", "err", "path"]],
        columns: &[
            Column::when("TIME", "time", -8, "timestamp"),
            Column::when("UID", "uid", -7, "print-uid"),
            Column::new("PID", "pid", -6),
            Column::new("COMM", "comm", -16),
            Column::new("FD", "fd", 3),
            Column::new("ERR", "err", 3),
            Column::new("PATH", "path", 0),
        ],
        assemble: None,
        finish: Some(finish),
    }),
    limits: Limits::DEFAULT,
    examples: &[
        ("scry tool opensnoop", "trace all open() syscalls"),
        ("scry tool opensnoop -T", "include timestamps"),
        ("scry tool opensnoop -x", "only show failed opens"),
        ("scry tool opensnoop -p 181", "only trace PID 181"),
        (
            "scry tool opensnoop -n main",
            "only process names containing \"main\"",
        ),
        ("scry tool opensnoop --json", "one JSON object per open"),
    ],
};

/// `-x`: failed opens only (in user space, as BCC does).
fn finish(row: &mut Row, params: &Params) -> bool {
    !params.on("failed") || int_field(row, "err") != 0
}
