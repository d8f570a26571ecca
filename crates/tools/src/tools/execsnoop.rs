//! execsnoop: exec() syscalls, one row each (BCC libbpf-tools' columns).

use crate::params::Params;
use crate::spec::*;

const SCRIPT: &str = include_str!("../../tools/execsnoop.bt");

pub static TOOL: Tool = Tool {
    name: "execsnoop",
    summary: "Trace exec() syscalls: new programs, their parent, result and arguments",
    answers: "Which programs are started, by whom, with which arguments (short-lived ones too)?",
    flags: &[
        Flag::filter(
            'u',
            "uid",
            "UID",
            Kind::Uint,
            "Trace this user ID only",
            "filter",
            "uid == {}",
        ),
        Flag::switch('x', "fails", "Include failed exec()s"),
        Flag::switch('T', "time", "Print a time column (HH:MM:SS)"),
        Flag::switch(
            't',
            "timestamp",
            "Print a timestamp column (seconds since the start)",
        ),
        Flag::switch('U', "print-uid", "Print a UID column"),
        Flag::switch('q', "quote", "Put quotemarks (\") around arguments"),
        Flag::value(
            'n',
            "name",
            "NAME",
            Kind::Text,
            "Only print commands whose name contains NAME",
            Effect::Output,
        ),
        Flag::value(
            'l',
            "line",
            "LINE",
            Kind::Text,
            "Only print commands whose arguments contain LINE",
            Effect::Output,
        ),
        Flag {
            short: None,
            long: "max-args",
            value_name: Some("MAX_ARGS"),
            kind: Kind::Uint,
            help: "Maximum number of arguments shown (default 20)",
            effect: Effect::Set {
                slot: "max_args",
                text: "{}",
            },
        },
    ],
    positionals: &[],
    slots: &[Slot::predicate("filter"), Slot::text("max_args", "20")],
    plans: &[Plan::new(
        "tracepoint",
        "execsnoop.bt",
        SCRIPT,
        &[Need::Tracepoint("syscalls:sys_enter_execve"), Need::Btf],
    )],
    output: Output::Rows(Rows {
        tracing: "Tracing exec() syscalls... Hit Ctrl-C to end.",
        announce: false,
        events: &[
            &["tid", "arg"],
            &["tid", "uid", "comm", "pid", "ppid", "ret"],
        ],
        columns: &[
            Column::when("TIME", "time", -8, "time"),
            Column::when("TIME(s)", "time_s", -8, "timestamp"),
            Column::when("UID", "uid", -6, "print-uid"),
            Column::new("PCOMM", "comm", -16),
            Column::new("PID", "pid", -6),
            Column::new("PPID", "ppid", -6),
            Column::new("RET", "ret", 3),
            Column::new("ARGS", "args", 0),
        ],
        assemble: Some(assemble),
        finish: Some(finish),
    }),
    limits: Limits::DEFAULT,
    examples: &[
        ("scry tool execsnoop", "trace all exec() syscalls"),
        ("scry tool execsnoop -x", "include failed exec()s"),
        ("scry tool execsnoop -T", "include a time column (HH:MM:SS)"),
        (
            "scry tool execsnoop -U -u 1000",
            "only UID 1000, with a UID column",
        ),
        (
            "scry tool execsnoop -n main",
            "only commands whose name contains \"main\"",
        ),
        (
            "scry tool execsnoop -l tpkg",
            "only commands whose arguments contain \"tpkg\"",
        ),
    ],
};

/// Collects the `arg` events of a thread; the `exec` event makes the row.
fn assemble(a: &mut Assembly, event: usize, row: Row, params: &Params) -> Option<Row> {
    let tid = int_field(&row, "tid") as u64;
    if event == 0 {
        let arg = field(&row, "arg").map(Cell::text).unwrap_or_default();
        a.args.entry(tid).or_default().push(arg);
        return None;
    }
    let args = a.args.remove(&tid).unwrap_or_default();
    let text: Vec<String> = args
        .iter()
        .map(|s| {
            if params.on("quote") && s != "..." {
                format!("\"{}\"", s.replace('"', "\\\""))
            } else {
                s.clone()
            }
        })
        .collect();
    let mut row = row;
    set_field(&mut row, "args", Cell::Text(text.join(" ")));
    Some(row)
}

/// Failed exec()s only with -x; -n and -l match as BCC does (substrings).
fn finish(row: &mut Row, params: &Params) -> bool {
    let ret = int_field(row, "ret");
    if ret != 0 && !params.on("fails") {
        return false;
    }
    if let Some(name) = params.get_text("name") {
        if !field(row, "comm").is_some_and(|c| c.text().contains(name)) {
            return false;
        }
    }
    if let Some(line) = params.get_text("line") {
        if !field(row, "args").is_some_and(|c| c.text().contains(line)) {
            return false;
        }
    }
    true
}
