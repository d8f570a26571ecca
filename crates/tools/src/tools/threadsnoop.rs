//! threadsnoop: thread creation through pthread_create(), one row each
//! (BCC's columns), with the function the thread starts in.

use crate::params::Params;
use crate::spec::*;

const SCRIPT: &str = include_str!("../../tools/threadsnoop.bt");

pub static TOOL: Tool = Tool {
    name: "threadsnoop",
    summary: "Trace thread creation via pthread_create(), with the thread's start function",
    answers: "Which processes create threads, and what do the threads run?",
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
        Flag::DURATION,
    ],
    positionals: &[],
    slots: &[Slot::predicate("filter"), Slot::text("lib", "libc")],
    plans: &[
        // glibc 2.34 and later: pthread_create is in libc.
        Plan::new("uprobe-libc", "threadsnoop.bt", SCRIPT, &[]),
        // Older glibc, and libcs that keep a separate libpthread.
        Plan {
            set: &[("lib", "libpthread")],
            ..Plan::new("uprobe-libpthread", "threadsnoop.bt", SCRIPT, &[])
        },
    ],
    output: Output::Rows(Rows {
        tracing: "Tracing thread creation... Hit Ctrl-C to end.",
        announce: false,
        events: &[&["ts", "pid", "comm", "func"]],
        columns: &[
            Column::new("TIME(ms)", "ms", -10),
            Column::new("PID", "pid", -6),
            Column::new("COMM", "comm", -16),
            Column::new("FUNC", "func", 0),
        ],
        assemble: None,
        finish: Some(finish),
    }),
    limits: Limits::DEFAULT,
    examples: &[
        ("scry tool threadsnoop", "trace all new threads"),
        (
            "scry tool threadsnoop -p 181",
            "only threads created by PID 181",
        ),
    ],
};

/// TIME(ms): milliseconds since the first event.
fn finish(row: &mut Row, _: &Params) -> bool {
    if let Some(Cell::Num(s, _)) = field(row, "ts_rel") {
        let ms = (s * 1000.0) as i64;
        set_field(row, "ms", Cell::Int(ms));
    }
    true
}
