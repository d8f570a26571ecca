//! biosnoop: block I/O requests, one row each when it completes
//! (libbpf-tools' columns): the process that started it, the disk, the
//! kind (rwbs), sector, size and latency.

use crate::block::{self, disk_name};
use crate::params::Params;
use crate::runner::clock_time_ms;
use crate::spec::*;
use scry_output::Value;

pub static TOOL: Tool = Tool {
    name: "biosnoop",
    summary: "Trace block device I/O: one line per request, with its latency",
    answers: "Which process does which disk I/O, where on the disk, how slow?",
    flags: &[
        Flag::switch('Q', "queued", "Include OS queued time in I/O time"),
        block::DISK,
        Flag::filter(
            'm',
            "min",
            "MIN",
            Kind::Uint,
            "Only I/Os with at least this latency, in ms",
            "min",
            "nsecs - @issued[args.dev, args.sector] >= {} * 1000000",
        ),
        Flag::switch('t', "timestamp", "Print the time of day (HH:MM:SS.mmm)"),
    ],
    // -d is the disk, as in BCC: the duration is positional.
    positionals: DURATION_POSITIONAL,
    slots: &[Slot::predicate("filter"), Slot::and_predicate("min")],
    plans: &[Plan::new(
        "tracepoint",
        "biosnoop.bt",
        include_str!("../../tools/biosnoop.bt"),
        &[
            Need::Tracepoint("block:block_io_start"),
            Need::Tracepoint("block:block_rq_issue"),
        ],
    )],
    output: Output::Rows(Rows {
        tracing: "Tracing block I/O... Hit Ctrl-C to end.",
        announce: false,
        events: &[&[
            "ts",
            "pid",
            "comm",
            "dev",
            "rwbs",
            "sector",
            "bytes",
            "ns",
            "queued_ns",
        ]],
        columns: &[
            Column::when("TIMESTAMP", "timestamp", -12, "timestamp"),
            Column::when("TIME(s)", "time_s6", -11, "!timestamp"),
            Column::new("COMM", "comm", -14),
            Column::new("PID", "pid", -7),
            Column::new("DISK", "disk", -7),
            Column::new("T", "rwbs", -4),
            Column::new("SECTOR", "sector", -10),
            Column::new("BYTES", "bytes", -7),
            Column::when("QUE(ms)", "que_ms", 7, "queued"),
            Column::new("LAT(ms)", "lat_ms", 7),
        ],
        assemble: None,
        finish: Some(finish),
    }),
    limits: Limits::DEFAULT,
    examples: &[
        ("scry tool biosnoop", "trace all block I/O"),
        ("scry tool biosnoop -Q", "include OS queued time"),
        ("scry tool biosnoop 10", "trace for 10 seconds only"),
        ("scry tool biosnoop -d sdc", "trace sdc only"),
        ("scry tool biosnoop -m 10", "only I/Os slower than 10 ms"),
    ],
};

fn finish(row: &mut Row, _: &Params) -> bool {
    if let Some(Cell::Num(s, _)) = field(row, "ts_rel") {
        let s = *s;
        set_field(row, "time_s6", Cell::Num(s, 6));
    }
    set_field(row, "timestamp", Cell::Text(clock_time_ms()));
    let dev = Value::UInt(int_field(row, "dev") as u64);
    set_field(row, "disk", Cell::Text(disk_name(&dev)));
    let comm: String = field(row, "comm").map_or(String::new(), Cell::text);
    set_field(row, "comm", Cell::Text(comm.chars().take(14).collect()));
    let lat = int_field(row, "ns") as f64 / 1e6;
    set_field(row, "lat_ms", Cell::Num(lat, 3));
    let queued = int_field(row, "queued_ns");
    let que = if queued < 0 {
        -1.0
    } else {
        queued as f64 / 1e6
    };
    set_field(row, "que_ms", Cell::Num(que, 3));
    true
}
