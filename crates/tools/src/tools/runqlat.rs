//! runqlat: run queue latency histograms (BCC libbpf-tools' layout).

use crate::params::Params;
use crate::spec::*;
use crate::tools::biolatency::{unit, MILLISECONDS};
use scry_output::Value;

pub static TOOL: Tool = Tool {
    name: "runqlat",
    summary: "Summarize run queue (scheduler) latency as a histogram",
    answers: "How long do runnable tasks wait for a CPU?",
    flags: &[
        Flag::switch('T', "timestamp", "Include a timestamp on output"),
        Flag::switch_with('m', "milliseconds", "Millisecond histogram", MILLISECONDS),
        Flag::switch_with(
            'P',
            "pids",
            "Print a histogram per process ID",
            Effect::Key {
                slot: "key",
                part: "$pid, $comm",
            },
        ),
        Flag::switch_with(
            'L',
            "tids",
            "Print a histogram per thread ID",
            Effect::Key {
                slot: "key",
                part: "$tid, $comm",
            },
        ),
        Flag::value(
            'p',
            "pid",
            "PID",
            Kind::Uint,
            "Trace this PID only",
            Effect::All(&[
                Effect::Filter {
                    slot: "wake_filter",
                    cond: "((struct task_struct *)arg0)->tgid == {}",
                },
                Effect::Filter {
                    slot: "prev_filter",
                    cond: "$prev->tgid == {}",
                },
            ]),
        ),
    ],
    positionals: INTERVAL_COUNT,
    slots: &[
        Slot::predicate("wake_filter"),
        Slot::and_predicate("prev_filter"),
        Slot::text("unit", "usecs"),
        Slot::text("div", "1000"),
        Slot::key("key"),
    ],
    plans: &[
        Plan::new(
            "rawtracepoint",
            "runqlat.bt",
            include_str!("../../tools/runqlat.bt"),
            &[Need::Btf],
        ),
        Plan {
            without: &["pid", "pids"],
            ..Plan::new(
                "tracepoint",
                "runqlat-tp.bt",
                include_str!("../../tools/runqlat-tp.bt"),
                &[Need::Tracepoint("sched:sched_switch")],
            )
        },
    ],
    output: Output::Hists(Hists {
        tracing: "Tracing run queue latency... Hit Ctrl-C to end.",
        unit,
        section,
        key_json,
        interval_header: "\n",
    }),
    limits: Limits::DEFAULT,
    examples: &[
        (
            "scry tool runqlat",
            "summarize run queue latency as a histogram",
        ),
        (
            "scry tool runqlat 1 10",
            "print 1 second summaries, 10 times",
        ),
        (
            "scry tool runqlat -mT 1",
            "1s summaries, milliseconds, and timestamps",
        ),
        ("scry tool runqlat -P", "show each PID separately"),
        ("scry tool runqlat -p 185", "trace PID 185 only"),
    ],
};

/// The (id, comm) of a per-process or per-thread key.
fn id_comm(key: &Value) -> Option<(String, String)> {
    match key {
        Value::Tuple(v) if v.len() >= 2 => Some((v[0].to_text(), v[1].to_text())),
        _ => None,
    }
}

/// libbpf-tools: "\npid = N COMM\n" with -P, "\ntid = N COMM\n" with -L.
fn section(key: Option<&Value>, p: &Params) -> String {
    match key.and_then(id_comm) {
        Some((id, comm)) => {
            let what = if p.on("pids") { "pid" } else { "tid" };
            format!("\n{what} = {id} {comm}\n")
        }
        None => String::new(),
    }
}

fn key_json(key: &Value, p: &Params) -> Vec<(&'static str, String)> {
    match id_comm(key) {
        Some((id, comm)) => vec![
            (if p.on("pids") { "pid" } else { "tid" }, id),
            ("comm", scry_output::json_string(&comm)),
        ],
        None => Vec::new(),
    }
}
