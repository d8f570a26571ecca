//! cpudist: on-CPU (or off-CPU, -O) time of tasks as a histogram, for the
//! whole system, per process (-P) or per thread (-L) (libbpf-tools'
//! layout).

use crate::params::Params;
use crate::spec::*;
use crate::tools::biolatency::MILLISECONDS;
use scry_output::Value;

pub static TOOL: Tool = Tool {
    name: "cpudist",
    summary: "Summarize on-CPU (or off-CPU) time per task as a histogram",
    answers: "How long do tasks run before they yield or are preempted?",
    flags: &[
        Flag::switch_with(
            'O',
            "offcpu",
            "Measure off-CPU time",
            Effect::All(&[
                Effect::Set {
                    slot: "end_arg",
                    text: "2",
                },
                Effect::Set {
                    slot: "begin_arg",
                    text: "1",
                },
                Effect::Set {
                    slot: "end",
                    text: "next",
                },
                Effect::Set {
                    slot: "begin",
                    text: "prev",
                },
            ]),
        ),
        Flag::switch('T', "timestamp", "Include a timestamp on output"),
        Flag::switch_with('m', "milliseconds", "Millisecond histogram", MILLISECONDS),
        Flag::switch_with(
            'P',
            "pids",
            "Print a histogram per process ID",
            Effect::Key {
                slot: "key",
                part: "$pid, $e->group_leader->comm",
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
            "Trace this process ID only",
            Effect::All(&[
                Effect::Filter {
                    slot: "end_filter",
                    cond: "$e->tgid == {}",
                },
                Effect::Filter {
                    slot: "begin_filter",
                    cond: "$b->tgid == {}",
                },
            ]),
        ),
    ],
    positionals: INTERVAL_COUNT,
    slots: &[
        Slot::text("end_arg", "1"),
        Slot::text("begin_arg", "2"),
        Slot::text("end", "prev"),
        Slot::text("begin", "next"),
        Slot::and_predicate("end_filter"),
        Slot::and_predicate("begin_filter"),
        Slot::text("unit", "usecs"),
        Slot::text("div", "1000"),
        Slot::key("key"),
    ],
    plans: &[
        Plan::new(
            "rawtracepoint",
            "cpudist.bt",
            include_str!("../../tools/cpudist.bt"),
            &[Need::Btf],
        ),
        Plan {
            without: &["pid", "pids"],
            ..Plan::new(
                "tracepoint",
                "cpudist-tp.bt",
                include_str!("../../tools/cpudist-tp.bt"),
                &[Need::Tracepoint("sched:sched_switch")],
            )
        },
    ],
    output: Output::Hists(Hists {
        tracing: "Tracing {offcpu?off:on}-CPU time... Hit Ctrl-C to end.",
        unit: crate::tools::biolatency::unit,
        section,
        key_json,
        interval_header: "\n",
    }),
    limits: Limits::DEFAULT,
    examples: &[
        ("scry tool cpudist", "summarize on-CPU time as a histogram"),
        (
            "scry tool cpudist -O",
            "summarize off-CPU time as a histogram",
        ),
        (
            "scry tool cpudist 1 10",
            "print 1 second summaries, 10 times",
        ),
        (
            "scry tool cpudist -mT 1",
            "1s summaries, milliseconds, and timestamps",
        ),
        ("scry tool cpudist -P", "show each PID separately"),
        ("scry tool cpudist -p 185", "trace PID 185 only"),
    ],
};

/// `pid = 185 name` (or `tid = ...`) over each histogram with -P / -L.
fn section(key: Option<&Value>, p: &Params) -> String {
    let Some(Value::Tuple(parts)) = key else {
        return String::new();
    };
    let id = parts.first().map_or(String::new(), Value::to_text);
    let comm = parts.get(1).map_or(String::new(), Value::to_text);
    let what = if p.on("pids") { "pid" } else { "tid" };
    format!("\n{what} = {id} {comm}\n")
}

fn key_json(key: &Value, p: &Params) -> Vec<(&'static str, String)> {
    let Value::Tuple(parts) = key else {
        return vec![];
    };
    let what = if p.on("pids") { "pid" } else { "tid" };
    let id = parts.first().map_or("null".into(), Value::to_text);
    let comm = parts.get(1).map_or(String::new(), Value::to_text);
    vec![(what, id), ("comm", scry_output::json_string(&comm))]
}
