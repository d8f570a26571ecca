//! statsnoop: the stat() family of syscalls, one row each (the columns of
//! libbpf-tools' statsnoop). Relative paths are printed as the process
//! gave them.

use crate::params::Params;
use crate::spec::*;

pub static TOOL: Tool = Tool {
    name: "statsnoop",
    summary: "Trace stat() syscalls: who looked up which path, and the result",
    answers: "Which paths are processes probing, and which lookups fail?",
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
        Flag::switch('x', "failed", "Show failed stats only"),
        Flag::switch('t', "timestamp", "Print a timestamp column (seconds)"),
        Flag::switch('s', "sysname", "Print the syscall's name"),
        Flag::DURATION,
    ],
    positionals: &[],
    slots: &[Slot::predicate("filter")],
    plans: &[Plan::new(
        "tracepoint",
        "statsnoop.bt",
        include_str!("../../tools/statsnoop.bt"),
        &[Need::Tracepoint("syscalls:sys_enter_newfstatat")],
    )],
    output: Output::Rows(Rows {
        tracing: "Tracing stat syscalls... Hit Ctrl-C to end.",
        announce: false,
        events: &[&["ts", "pid", "comm", "ret", "err", "syscall", "path"]],
        columns: &[
            Column::when("TIME(s)", "ts_rel", -14, "timestamp"),
            Column::new("PID", "pid", -7),
            Column::new("COMM", "comm", -20),
            Column::new("RET", "ret", -4),
            Column::new("ERR", "err", -4),
            Column::when("SYSCALL", "syscall", -10, "sysname"),
            Column::new("PATH", "path", 0),
        ],
        assemble: None,
        finish: Some(finish),
    }),
    limits: Limits::DEFAULT,
    examples: &[
        ("scry tool statsnoop", "trace all stat syscalls"),
        ("scry tool statsnoop -t", "include timestamps"),
        ("scry tool statsnoop -x", "only show failed stats"),
        ("scry tool statsnoop -p 1216", "only trace PID 1216"),
    ],
};

/// RET is -1 on failure, as BCC prints it; `-x` keeps failures only.
fn finish(row: &mut Row, params: &Params) -> bool {
    let ret = int_field(row, "ret");
    if ret < 0 {
        set_field(row, "ret", Cell::Int(-1));
    }
    !params.on("failed") || ret < 0
}
