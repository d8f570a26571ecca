//! hardirqs and softirqs: the time spent in interrupt handlers, per
//! interrupt (libbpf-tools' tables: a total in usecs, nsecs with -N, a
//! count with -C; a histogram each with -d).

use crate::params::Params;
use crate::spec::*;
use scry_output::Value;

const NANOSECONDS: Effect = Effect::All(&[
    Effect::Set {
        slot: "unit",
        text: "nsecs",
    },
    Effect::Set {
        slot: "div",
        text: "1",
    },
]);

const FLAGS: &[Flag] = &[
    Flag::switch('d', "distributed", "Show distributions as histograms"),
    Flag::switch_with('N', "nanoseconds", "Output in nanoseconds", NANOSECONDS),
    Flag::switch('C', "counts", "Show event counts instead of timing"),
    Flag::switch('T', "timestamp", "Include a timestamp on output"),
];

const SLOTS: &[Slot] = &[Slot::text("unit", "usecs"), Slot::text("div", "1000")];

pub static HARDIRQS: Tool = Tool {
    name: "hardirqs",
    summary: "Summarize hard interrupt time (or counts, or histograms) per interrupt",
    answers: "Which device interrupts take CPU time, and how much?",
    flags: FLAGS,
    positionals: INTERVAL_COUNT,
    slots: SLOTS,
    plans: &[
        Plan {
            without: &["distributed"],
            ..Plan::new(
                "tracepoint",
                "hardirqs.bt",
                include_str!("../../tools/hardirqs.bt"),
                &[Need::Tracepoint("irq:irq_handler_entry")],
            )
        },
        Plan {
            only_with: &["distributed"],
            ..Plan::new(
                "tracepoint-hist",
                "hardirqs-dist.bt",
                include_str!("../../tools/hardirqs-dist.bt"),
                &[Need::Tracepoint("irq:irq_handler_entry")],
            )
        },
    ],
    output: Output::Switch("distributed", &HARD_HISTS, &HARD_TABLE),
    limits: Limits {
        max_strlen: 32,
        ..Limits::DEFAULT
    },
    examples: &[
        ("scry tool hardirqs", "sum hard irq event time"),
        (
            "scry tool hardirqs -d",
            "show hard irq event time as histograms",
        ),
        (
            "scry tool hardirqs 1 10",
            "print 1 second summaries, 10 times",
        ),
        (
            "scry tool hardirqs -NT 1",
            "1s summaries, nanoseconds, and timestamps",
        ),
    ],
};

pub static SOFTIRQS: Tool = Tool {
    name: "softirqs",
    summary: "Summarize soft interrupt time (or histograms) per kind of softirq",
    answers: "How much CPU goes to timers, networking, RCU and other softirqs?",
    flags: FLAGS,
    positionals: INTERVAL_COUNT,
    slots: SLOTS,
    plans: &[
        Plan {
            without: &["distributed"],
            ..Plan::new(
                "tracepoint",
                "softirqs.bt",
                include_str!("../../tools/softirqs.bt"),
                &[Need::Tracepoint("irq:softirq_entry")],
            )
        },
        Plan {
            only_with: &["distributed"],
            ..Plan::new(
                "tracepoint-hist",
                "softirqs-dist.bt",
                include_str!("../../tools/softirqs-dist.bt"),
                &[Need::Tracepoint("irq:softirq_entry")],
            )
        },
    ],
    output: Output::Switch("distributed", &SOFT_HISTS, &SOFT_TABLE),
    limits: Limits::DEFAULT,
    examples: &[
        ("scry tool softirqs", "sum soft irq event time"),
        (
            "scry tool softirqs -d",
            "show soft irq event time as histograms",
        ),
        (
            "scry tool softirqs 1 10",
            "print 1 second summaries, 10 times",
        ),
        (
            "scry tool softirqs -NT 1",
            "1s summaries, nanoseconds, and timestamps",
        ),
    ],
};

/// The totals' columns: the name, then one of the three totals.
const fn totals(name: &'static str, width: i32) -> [Column; 4] {
    [
        Column::new(name, "name", width),
        Column::when("TOTAL_count", "count", 11, "counts"),
        Column::when("TOTAL_nsecs", "total", 11, "nanoseconds,!counts"),
        Column::when("TOTAL_usecs", "total_us", 11, "!nanoseconds,!counts"),
    ]
}

static HARD_TABLE: Output = Output::Table(Table {
    // libbpf-tools' words, counting (-C) or timing.
    tracing: "Tracing hard irq {counts?events:event time}... Hit Ctrl-C to end.",
    maps: &["@total", "@count"],
    key: &["irq"],
    columns: &totals("HARDIRQ", -26),
    finish: hard_row,
    order: None,
    header_every_interval: true,
    interval_header: "\n",
    default_interval: 0,
});

static SOFT_TABLE: Output = Output::Table(Table {
    tracing: "Tracing soft irq event time... Hit Ctrl-C to end.",
    maps: &["@total", "@count"],
    key: &["vec"],
    columns: &totals("SOFTIRQ", -16),
    finish: soft_row,
    order: Some(by_vec),
    header_every_interval: true,
    interval_header: "\n",
    default_interval: 0,
});

static HARD_HISTS: Output = Output::Hists(Hists {
    tracing: "Tracing hard irq event time... Hit Ctrl-C to end.",
    unit,
    section: hard_section,
    key_json: hard_json,
    interval_header: "\n",
});

static SOFT_HISTS: Output = Output::Hists(Hists {
    tracing: "Tracing soft irq event time... Hit Ctrl-C to end.",
    unit,
    section: soft_section,
    key_json: soft_json,
    // A blank line before every histogram, as libbpf-tools prints one
    // after each.
    interval_header: "",
});

/// The kinds of softirq, by vector number (linux/interrupt.h).
const SOFTIRQ_NAMES: &[&str] = &[
    "hi", "timer", "net_tx", "net_rx", "block", "irq_poll", "tasklet", "sched", "hrtimer", "rcu",
];

fn softirq_name(vec: i64) -> String {
    usize::try_from(vec)
        .ok()
        .and_then(|v| SOFTIRQ_NAMES.get(v))
        .map_or_else(|| format!("vec{vec}"), |n| n.to_string())
}

fn with_usecs(row: &mut Row) {
    let ns = int_field(row, "total");
    set_field(row, "total_us", Cell::Int(ns / 1000));
}

fn hard_row(row: &mut Row, _: &Params) -> bool {
    let name = field(row, "irq").map_or(String::new(), Cell::text);
    set_field(row, "name", Cell::Text(name));
    with_usecs(row);
    true
}

fn soft_row(row: &mut Row, _: &Params) -> bool {
    let vec = field(row, "vec").and_then(Cell::int).unwrap_or(-1);
    set_field(row, "name", Cell::Text(softirq_name(vec)));
    with_usecs(row);
    true
}

fn by_vec(a: &Row, b: &Row) -> std::cmp::Ordering {
    let vec = |r: &Row| field(r, "vec").and_then(Cell::int);
    vec(a).cmp(&vec(b))
}

fn unit(p: &Params) -> &'static str {
    if p.on("nanoseconds") {
        "nsecs"
    } else {
        "usecs"
    }
}

fn hard_section(key: Option<&Value>, _: &Params) -> String {
    format!("hardirq = {}\n", key.map_or(String::new(), Value::to_text))
}

fn soft_section(key: Option<&Value>, _: &Params) -> String {
    let vec = key.and_then(Value::int_bits).map_or(-1, |v| v as i64);
    format!("\nsoftirq = {}\n", softirq_name(vec))
}

fn hard_json(key: &Value, _: &Params) -> Vec<(&'static str, String)> {
    vec![("irq", scry_output::json_string(&key.to_text()))]
}

fn soft_json(key: &Value, _: &Params) -> Vec<(&'static str, String)> {
    let vec = key.int_bits().map_or(-1, |v| v as i64);
    vec![("softirq", scry_output::json_string(&softirq_name(vec)))]
}
