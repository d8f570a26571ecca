//! biolatency: block I/O latency histograms (BCC libbpf-tools' layout).

use crate::block::{disk_name, rwbs_flags};
use crate::params::Params;
use crate::spec::*;
use scry_output::Value;

pub static TOOL: Tool = Tool {
    name: "biolatency",
    summary: "Summarize block device I/O latency as a histogram",
    answers: "How long do disk I/Os take, per disk, per kind of I/O?",
    flags: &[
        Flag::switch('T', "timestamp", "Include a timestamp on output"),
        Flag::switch_with('m', "milliseconds", "Millisecond histogram", MILLISECONDS),
        Flag::switch_with(
            'Q',
            "queued",
            "Include OS queued time in I/O time",
            Effect::Set {
                slot: "start",
                text: "block_io_start",
            },
        ),
        Flag::switch_with(
            'D',
            "disk",
            "Print a histogram per disk device",
            Effect::Key {
                slot: "key",
                part: "$dev",
            },
        ),
        Flag::switch_with(
            'F',
            "flag",
            "Print a histogram per set of I/O flags",
            Effect::Key {
                slot: "key",
                part: "$flags",
            },
        ),
    ],
    positionals: INTERVAL_COUNT,
    slots: &[
        Slot::text("start", "block_rq_issue"),
        Slot::text("unit", "usecs"),
        Slot::text("div", "1000"),
        Slot::key("key"),
    ],
    plans: &[
        Plan {
            without: &["flag"],
            ..Plan::new(
                "rawtracepoint",
                "biolatency.bt",
                include_str!("../../tools/biolatency.bt"),
                &[Need::Btf],
            )
        },
        Plan::new(
            "tracepoint",
            "biolatency-tp.bt",
            include_str!("../../tools/biolatency-tp.bt"),
            &[Need::Tracepoint("block:block_rq_complete")],
        ),
    ],
    output: Output::Hists(Hists {
        tracing: "Tracing block device I/O... Hit Ctrl-C to end.",
        unit,
        section,
        key_json,
        interval_header: "\n",
    }),
    limits: Limits::DEFAULT,
    examples: &[
        (
            "scry tool biolatency",
            "summarize block I/O latency as a histogram",
        ),
        (
            "scry tool biolatency 1 10",
            "print 1 second summaries, 10 times",
        ),
        (
            "scry tool biolatency -mT 1",
            "1s summaries, milliseconds, and timestamps",
        ),
        (
            "scry tool biolatency -Q",
            "include OS queued time in I/O time",
        ),
        (
            "scry tool biolatency -D",
            "show each disk device separately",
        ),
        ("scry tool biolatency -F", "show I/O flags separately"),
    ],
};

/// `-m`: the map is `@msecs`, latencies divided to milliseconds.
pub const MILLISECONDS: Effect = Effect::All(&[
    Effect::Set {
        slot: "unit",
        text: "msecs",
    },
    Effect::Set {
        slot: "div",
        text: "1000000",
    },
]);

pub fn unit(p: &Params) -> &'static str {
    if p.on("milliseconds") {
        "msecs"
    } else {
        "usecs"
    }
}

/// The key's parts: the disk (`-D`), then the flags (`-F`).
fn parts<'a>(key: Option<&'a Value>, p: &Params) -> (Option<&'a Value>, Option<&'a Value>) {
    let list: Vec<&Value> = match key {
        Some(Value::Tuple(v)) => v.iter().collect(),
        Some(v) => vec![v],
        None => vec![],
    };
    let mut it = list.into_iter();
    let disk = if p.on("disk") { it.next() } else { None };
    let flags = if p.on("flag") { it.next() } else { None };
    (disk, flags)
}

/// libbpf-tools: "\ndisk = NAME\t" with -D, "flags = ..." with -F, then a
/// newline.
fn section(key: Option<&Value>, p: &Params) -> String {
    let (disk, flags) = parts(key, p);
    let mut s = String::new();
    if let Some(d) = disk {
        s.push_str(&format!("\ndisk = {}\t", disk_name(d)));
    }
    if let Some(f) = flags {
        s.push_str(&format!("flags = {}", rwbs_flags(&f.to_text())));
    }
    s.push('\n');
    s
}

fn key_json(key: &Value, p: &Params) -> Vec<(&'static str, String)> {
    let (disk, flags) = parts(Some(key), p);
    let mut v = Vec::new();
    if let Some(d) = disk {
        v.push(("disk", scry_output::json_string(&disk_name(d))));
    }
    if let Some(f) = flags {
        v.push(("flags", scry_output::json_string(&rwbs_flags(&f.to_text()))));
    }
    v
}
