//! bitesize: block I/O sizes as a histogram per process name
//! (libbpf-tools' layout: `Process Name = NAME` over each `Kbytes`
//! histogram).

use crate::block;
use crate::params::Params;
use crate::spec::*;
use scry_output::Value;

pub static TOOL: Tool = Tool {
    name: "bitesize",
    summary: "Summarize block device I/O sizes as a histogram per process",
    answers: "How big are the disk I/Os each process makes?",
    flags: &[
        Flag::filter(
            'c',
            "comm",
            "COMM",
            Kind::Text,
            "Trace this process name only",
            "filter",
            "args.comm == {}",
        ),
        block::DISK,
        Flag::switch('T', "timestamp", "Include a timestamp on output"),
    ],
    positionals: INTERVAL_COUNT,
    slots: &[Slot::predicate("filter")],
    plans: &[Plan::new(
        "tracepoint",
        "bitesize.bt",
        include_str!("../../tools/bitesize.bt"),
        &[Need::Tracepoint("block:block_rq_issue")],
    )],
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
            "scry tool bitesize",
            "summarize block I/O sizes as a histogram",
        ),
        (
            "scry tool bitesize 1 10",
            "print 1 second summaries, 10 times",
        ),
        ("scry tool bitesize -T 1", "1s summaries with timestamps"),
        ("scry tool bitesize -c fio", "trace fio only"),
        ("scry tool bitesize -d vda", "trace the disk vda only"),
    ],
};

fn unit(_: &Params) -> &'static str {
    "Kbytes"
}

fn section(key: Option<&Value>, _: &Params) -> String {
    let comm = key.map_or(String::new(), Value::to_text);
    format!("\nProcess Name = {comm}\n")
}

fn key_json(key: &Value, _: &Params) -> Vec<(&'static str, String)> {
    vec![("comm", scry_output::json_string(&key.to_text()))]
}
