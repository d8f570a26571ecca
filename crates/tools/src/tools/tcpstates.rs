//! tcpstates: TCP state changes, one row each, with the time spent in
//! the old state (BCC's columns, `-w` wide, `-s` comma separated values
//! with the IP column and whole process names, as BCC). `-Y` also logs
//! each change to the systemd journal, with BCC's fields.

use super::net;
use crate::params::Params;
use crate::spec::*;

const SOCK: &str = include_str!("../../tools/tcpstates-sock.bt");

pub static TOOL: Tool = Tool {
    name: "tcpstates",
    summary: "Trace TCP state changes, with the time spent in each state",
    answers: "How do TCP sockets move through their states, and how long do they stay?",
    flags: &[
        Flag::switch('T', "time", "Include a time column (HH:MM:SS)"),
        Flag::switch('t', "timestamp", "Include a timestamp column (seconds)"),
        Flag::switch('w', "wide", "Wide columns (fit IPv6 addresses)"),
        Flag::switch('s', "csv", "Comma separated values output"),
        Flag::value(
            'L',
            "localport",
            "PORTS",
            Kind::Text,
            "Trace these local ports only (comma-separated)",
            Effect::All(&[
                Effect::FilterWith {
                    slot: "tp_filter",
                    cond: "{}",
                    convert: |l| net::ports("args.sport", l),
                },
                Effect::FilterWith {
                    slot: "sock_filter",
                    cond: "{}",
                    convert: |l| net::ports("$lport", l),
                },
            ]),
        ),
        Flag::value(
            'D',
            "remoteport",
            "PORTS",
            Kind::Text,
            "Trace these remote ports only (comma-separated)",
            Effect::All(&[
                Effect::FilterWith {
                    slot: "tp_filter",
                    cond: "{}",
                    convert: |l| net::ports("args.dport", l),
                },
                Effect::FilterWith {
                    slot: "sock_filter",
                    cond: "{}",
                    convert: |l| net::ports("$rport", l),
                },
            ]),
        ),
        net::IPV4_TP_SOCK,
        net::IPV6_TP_SOCK,
        Flag::switch_with(
            'Y',
            "journal",
            "Log session state changes to the systemd journal",
            Effect::Check(|| crate::journal::check().map_err(|e| format!("-Y: {e}"))),
        ),
        Flag::DURATION,
    ],
    positionals: &[],
    slots: &[
        Slot::and_predicate("tp_filter"),
        Slot::and_predicate("sock_filter"),
        Slot::text("probe", "kprobe:tcp_set_state"),
        Slot::text("sk", "arg0"),
        Slot::text("state", "arg1"),
    ],
    plans: &[
        Plan {
            set: net::SET_STATE_FENTRY,
            ..Plan::new("fentry", "tcpstates-sock.bt", SOCK, &[Need::Fentry])
        },
        Plan::new(
            "kprobe",
            "tcpstates-sock.bt",
            SOCK,
            &[Need::Kprobes, Need::Btf],
        ),
        Plan::new(
            "tracepoint",
            "tcpstates.bt",
            include_str!("../../tools/tcpstates.bt"),
            &[Need::Tracepoint("sock:inet_sock_set_state")],
        ),
    ],
    output: Output::Rows(Rows {
        tracing: "Tracing TCP state changes ... Hit Ctrl-C to end",
        announce: false,
        events: &[&[
            "skaddr_nr",
            "pid",
            "comm",
            "ip",
            "laddr",
            "lport",
            "raddr",
            "rport",
            "oldstate_nr",
            "newstate_nr",
            "span_us",
        ]],
        columns: &[
            Column::when("TIME", "time", -8, "time"),
            Column::when("TIME(s)", "time_s", -9, "timestamp"),
            Column::new("SKADDR", "skaddr", -16),
            Column::new("C-PID", "pid", -5),
            Column::when("C-COMM", "comm", -10, "!wide"),
            Column::when("C-COMM", "comm", -16, "wide"),
            Column::when("IP", "ip", -2, "wide"),
            // BCC's CSV has the IP column, wide or not.
            Column::when("IP", "ip", -2, "csv,!wide"),
            Column::when("LADDR", "laddr", -15, "!wide"),
            Column::when("LADDR", "laddr", -39, "wide"),
            Column::new("LPORT", "lport", -5),
            Column::when("RADDR", "raddr", -15, "!wide"),
            Column::when("RADDR", "raddr", -39, "wide"),
            Column::new("RPORT", "rport", -5),
            Column::new("OLDSTATE", "oldstate", -11),
            Column::literal("->"),
            Column::new("NEWSTATE", "newstate", -11),
            Column::new("MS", "ms", 0),
        ],
        assemble: None,
        finish: Some(finish),
    }),
    limits: Limits::DEFAULT,
    examples: &[
        ("scry tool tcpstates", "trace all TCP state changes"),
        (
            "scry tool tcpstates -t",
            "include a timestamp column (seconds)",
        ),
        ("scry tool tcpstates -T", "include a time column (HH:MM:SS)"),
        ("scry tool tcpstates -w", "wide columns (IPv6)"),
        (
            "scry tool tcpstates -stT",
            "CSV output, with times and timestamps",
        ),
        ("scry tool tcpstates -L 80", "only local port 80"),
        (
            "scry tool tcpstates -Y",
            "also log each change to the systemd journal",
        ),
        (
            "scry tool tcpstates -D 80,443",
            "only remote ports 80 and 443",
        ),
    ],
};

/// The socket in hex, the states' names, milliseconds.
fn finish(row: &mut Row, params: &Params) -> bool {
    let sk = int_field(row, "skaddr_nr") as u64;
    set_field(row, "skaddr", Cell::Text(format!("{sk:x}")));
    for (nr, name) in [("oldstate_nr", "oldstate"), ("newstate_nr", "newstate")] {
        let state = net::state(int_field(row, nr));
        set_field(row, name, Cell::Text(state.into()));
    }
    set_field(
        row,
        "ms",
        Cell::Num(int_field(row, "span_us") as f64 / 1000.0, 3),
    );
    net::seconds6(row);
    if params.on("journal") {
        journal(row);
    }
    let width = if params.on("wide") { 16 } else { 10 };
    net::truncate(row, "comm", width, params);
    true
}

/// The journal entry of a change, with BCC's fields (`journalctl -t
/// tcpstates -o verbose` shows them).
fn journal(row: &Row) {
    let text = |f: &str| field(row, f).map(Cell::text).unwrap_or_default();
    let ip = if int_field(row, "ip") == 6 {
        "IPV6"
    } else {
        "IPV4"
    };
    let (src, dst) = (
        format!("OBJECT_{ip}_SOURCE_ADDRESS"),
        format!("OBJECT_{ip}_DESTINATION_ADDRESS"),
    );
    let message = format!(
        "{} {} {} → {} {} {} → {}",
        text("comm"),
        text("laddr"),
        text("lport"),
        text("raddr"),
        text("rport"),
        text("oldstate"),
        text("newstate")
    );
    crate::journal::send(&[
        ("MESSAGE", message),
        ("SYSLOG_IDENTIFIER", "tcpstates".into()),
        ("PRIORITY", "5".into()),
        ("OBJECT_PID", text("pid")),
        ("OBJECT_COMM", text("comm")),
        (&src, text("laddr")),
        ("OBJECT_TCP_SOURCE_PORT", text("lport")),
        (&dst, text("raddr")),
        ("OBJECT_TCP_DESTINATION_PORT", text("rport")),
        ("OBJECT_TCP_OLD_STATE", text("oldstate")),
        ("OBJECT_TCP_NEW_STATE", text("newstate")),
        ("OBJECT_TCP_SPAN_TIME", text("span_us")),
    ]);
}
