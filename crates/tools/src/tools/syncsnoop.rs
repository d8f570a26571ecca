//! syncsnoop: calls that flush file data to storage, one row each (the
//! columns of libbpf-tools' syncsnoop: the kernel's clock in seconds).

use crate::params::Params;
use crate::spec::*;

pub static TOOL: Tool = Tool {
    name: "syncsnoop",
    summary: "Trace sync(), fsync(), fdatasync(), syncfs(), sync_file_range(), msync()",
    answers: "Who forces data to disk, and how often?",
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
        Flag::switch('P', "print-pid", "Print a PID column"),
        Flag::DURATION,
    ],
    positionals: &[],
    slots: &[Slot::predicate("filter")],
    plans: &[Plan::new(
        "tracepoint",
        "syncsnoop.bt",
        include_str!("../../tools/syncsnoop.bt"),
        &[Need::Tracepoint("syscalls:sys_enter_fsync")],
    )],
    output: Output::Rows(Rows {
        tracing: "Tracing sync syscalls... Hit Ctrl-C to end.",
        announce: false,
        events: &[&["ts", "pid", "comm", "call"]],
        columns: &[
            Column::new("TIME(s)", "ts_s", -18),
            Column::when("PID", "pid", -7, "print-pid"),
            Column::new("COMM", "comm", -16),
            Column::new("CALL", "call", 0),
        ],
        assemble: None,
        finish: Some(finish),
    }),
    limits: Limits::DEFAULT,
    examples: &[
        ("scry tool syncsnoop", "trace all sync calls"),
        ("scry tool syncsnoop -p 1216", "only trace PID 1216"),
    ],
};

/// TIME(s) is the kernel's monotonic clock, in seconds.
fn finish(row: &mut Row, _: &Params) -> bool {
    let ns = int_field(row, "ts");
    set_field(row, "ts_s", Cell::Num(ns as f64 / 1e9, 9));
    true
}
