//! biopattern: per disk, the share of random and sequential block I/O in
//! each interval (libbpf-tools' table).

use crate::block::{self, disk_name};
use crate::params::Params;
use crate::spec::*;
use scry_output::Value;

pub static TOOL: Tool = Tool {
    name: "biopattern",
    summary: "Show block device I/O pattern: random vs sequential, per disk",
    answers: "Is a disk's I/O random or sequential?",
    flags: &[
        block::DISK,
        Flag::switch('T', "timestamp", "Include a timestamp on output"),
    ],
    positionals: INTERVAL_COUNT,
    slots: &[Slot::predicate("filter")],
    plans: &[Plan::new(
        "tracepoint",
        "biopattern.bt",
        include_str!("../../tools/biopattern.bt"),
        &[Need::Tracepoint("block:block_rq_complete")],
    )],
    output: Output::Table(Table {
        tracing: "Tracing block device I/O requested seeks... Hit Ctrl-C to end.",
        maps: &["@rnd", "@seq", "@bytes"],
        key: &["dev"],
        columns: &[
            Column::when("TIME", "time", -9, "timestamp"),
            Column::new("DISK", "disk", -7),
            Column::new("%RND", "rnd_pct", 5),
            Column::new("%SEQ", "seq_pct", 5),
            Column::new("COUNT", "count", 8),
            Column::new("KBYTES", "kbytes", 10),
        ],
        finish,
        order: None,
        header_every_interval: false,
        interval_header: "",
        default_interval: 0,
    }),
    limits: Limits::DEFAULT,
    examples: &[
        ("scry tool biopattern", "show block I/O pattern"),
        (
            "scry tool biopattern 1 10",
            "print 1 second summaries, 10 times",
        ),
        ("scry tool biopattern -T 1", "1s summaries with timestamps"),
        ("scry tool biopattern -d sdc", "trace sdc only"),
    ],
};

/// The disk's name and the shares; disks without I/O are left out.
fn finish(row: &mut Row, _: &Params) -> bool {
    let (rnd, seq) = (int_field(row, "rnd"), int_field(row, "seq"));
    let total = rnd + seq;
    if total == 0 {
        return false;
    }
    let dev = Value::UInt(int_field(row, "dev") as u64);
    set_field(row, "disk", Cell::Text(disk_name(&dev)));
    set_field(row, "rnd_pct", Cell::Int(rnd * 100 / total));
    set_field(row, "seq_pct", Cell::Int(seq * 100 / total));
    set_field(row, "count", Cell::Int(total));
    let kbytes = int_field(row, "bytes") / 1024;
    set_field(row, "kbytes", Cell::Int(kbytes));
    true
}
