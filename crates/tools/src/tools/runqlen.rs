//! runqlen: run queue length sampled on every CPU, as a linear histogram
//! (libbpf-tools' layout), for the system or per CPU (-C).

use crate::params::Params;
use crate::spec::*;
use scry_output::Value;

const SCRIPT: &str = include_str!("../../tools/runqlen.bt");

pub static TOOL: Tool = Tool {
    name: "runqlen",
    summary: "Summarize scheduler run queue length as a histogram",
    answers: "How many tasks are waiting for a CPU, and on which CPUs?",
    flags: &[
        Flag::switch_with(
            'C',
            "cpus",
            "Print output for each CPU separately",
            Effect::Key {
                slot: "key",
                part: "cpu",
            },
        ),
        Flag::value(
            'f',
            "frequency",
            "FREQUENCY",
            Kind::Uint,
            "Sample with this frequency, Hertz (default 99)",
            Effect::Set {
                slot: "hz",
                text: "{}",
            },
        ),
        Flag::switch('T', "timestamp", "Include a timestamp on output"),
    ],
    positionals: INTERVAL_COUNT,
    slots: &[
        Slot::text("hz", "99"),
        Slot::text("field", "nr_running"),
        Slot::key("key"),
    ],
    plans: &[
        Plan::new("profile", "runqlen.bt", SCRIPT, &[Need::Btf]),
        // Linux 6.13 renamed cfs_rq.nr_running to nr_queued.
        Plan {
            set: &[("field", "nr_queued")],
            ..Plan::new("profile-nr_queued", "runqlen.bt", SCRIPT, &[Need::Btf])
        },
    ],
    output: Output::Hists(Hists {
        tracing: "Sampling run queue length... Hit Ctrl-C to end.",
        unit,
        section,
        key_json,
        interval_header: "\n",
    }),
    limits: Limits::DEFAULT,
    examples: &[
        (
            "scry tool runqlen",
            "summarize run queue length as a histogram",
        ),
        (
            "scry tool runqlen 1 10",
            "print 1 second summaries, 10 times",
        ),
        ("scry tool runqlen -T 1", "1s summaries and timestamps"),
        ("scry tool runqlen -C", "show each CPU separately"),
        ("scry tool runqlen -f 199", "sample at 199 Hertz"),
    ],
};

fn unit(_: &Params) -> &'static str {
    "runqlen"
}

fn section(key: Option<&Value>, _: &Params) -> String {
    match key {
        Some(cpu) => format!("cpu = {}\n", cpu.to_text()),
        None => String::new(),
    }
}

fn key_json(key: &Value, _: &Params) -> Vec<(&'static str, String)> {
    vec![("cpu", key.to_text())]
}
