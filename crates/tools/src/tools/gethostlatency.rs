//! gethostlatency: name lookups through libc (getaddrinfo,
//! gethostbyname, gethostbyname2), one row per call with its latency
//! (libbpf-tools' columns).

use crate::params::Params;
use crate::spec::*;

pub static TOOL: Tool = Tool {
    name: "gethostlatency",
    summary: "Show the latency of getaddrinfo()/gethostbyname() name lookups",
    answers: "Which processes resolve which host names, and how long does it take?",
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
        Flag::value(
            'l',
            "libc",
            "LIBC",
            Kind::Text,
            "The libc to trace (a path)",
            Effect::Set {
                slot: "libc",
                text: "{}",
            },
        ),
        Flag::DURATION,
    ],
    positionals: &[],
    slots: &[Slot::predicate("filter"), Slot::text("libc", "libc")],
    plans: &[Plan::new(
        "uprobe",
        "gethostlatency.bt",
        include_str!("../../tools/gethostlatency.bt"),
        &[],
    )],
    output: Output::Rows(Rows {
        tracing: "Tracing getaddrinfo/gethostbyname calls... Hit Ctrl-C to end.",
        announce: false,
        events: &[&["pid", "comm", "ns", "host"]],
        columns: &[
            Column::new("TIME", "time", -8),
            Column::new("PID", "pid", -7),
            Column::new("COMM", "comm", -16),
            Column::new("LATms", "lat_ms", -10),
            Column::new("HOST", "host", 0),
        ],
        assemble: None,
        finish: Some(finish),
    }),
    limits: Limits::DEFAULT,
    examples: &[
        ("scry tool gethostlatency", "time every name lookup"),
        ("scry tool gethostlatency -p 1216", "only trace PID 1216"),
    ],
};

/// LATms: the call's latency in milliseconds, 3 decimals.
fn finish(row: &mut Row, _: &Params) -> bool {
    let ns = int_field(row, "ns");
    set_field(row, "lat_ms", Cell::Num(ns as f64 / 1e6, 3));
    true
}
