//! tcplife: TCP sessions, one row each as they close, with their bytes
//! and lifespan (BCC's columns, `-w` wide).
//!
//! As BCC, the process is noted in connect() (SYN_SENT) and as the
//! session's close() sends the last FIN (LAST_ACK); unlike BCC, also as
//! close() sends the first FIN (FIN_WAIT1), so a server that closes first
//! is named, not the task that happened to be on the CPU when the socket
//! closed. TX_KB is the bytes the peer acknowledged, RX_KB the bytes
//! received (the kernel's counters, a FIN or SYN counting one). `-s`
//! prints comma separated values, with the IP column and whole process
//! names, as BCC does.

use super::net;
use crate::params::Params;
use crate::spec::*;

const SOCK: &str = include_str!("../../tools/tcplife-sock.bt");

pub static TOOL: Tool = Tool {
    name: "tcplife",
    summary: "Trace TCP sessions: their processes, bytes and lifespans",
    answers:
        "Which TCP sessions ended, between which processes and ports, how many bytes, how long?",
    flags: &[
        Flag::switch('T', "time", "Include a time column (HH:MM:SS)"),
        Flag::switch('t', "timestamp", "Include a timestamp column (seconds)"),
        Flag::switch('w', "wide", "Wide columns (fit IPv6 addresses)"),
        Flag::switch('s', "csv", "Comma separated values output"),
        Flag::filter(
            'p',
            "pid",
            "PID",
            Kind::Uint,
            "Trace this process ID only",
            "filter",
            "$pid == {}",
        ),
        Flag::value(
            'L',
            "localport",
            "PORTS",
            Kind::Text,
            "Trace these local ports only (comma-separated)",
            Effect::FilterWith {
                slot: "filter",
                cond: "{}",
                convert: |l| net::ports("$lport", l),
            },
        ),
        Flag::value(
            'D',
            "remoteport",
            "PORTS",
            Kind::Text,
            "Trace these remote ports only (comma-separated)",
            Effect::FilterWith {
                slot: "filter",
                cond: "{}",
                convert: |l| net::ports("$rport", l),
            },
        ),
        net::IPV4,
        net::IPV6,
        Flag::DURATION,
    ],
    positionals: &[],
    slots: &[
        Slot::and_predicate("filter"),
        Slot::text("probe", "kprobe:tcp_set_state"),
        Slot::text("sk", "arg0"),
        Slot::text("state", "arg1"),
    ],
    plans: &[
        Plan {
            set: net::SET_STATE_FENTRY,
            ..Plan::new("fentry", "tcplife-sock.bt", SOCK, &[Need::Fentry])
        },
        Plan::new(
            "kprobe",
            "tcplife-sock.bt",
            SOCK,
            &[Need::Kprobes, Need::Btf],
        ),
        Plan::new(
            "tracepoint",
            "tcplife.bt",
            include_str!("../../tools/tcplife.bt"),
            &[Need::Tracepoint("sock:inet_sock_set_state"), Need::Btf],
        ),
    ],
    output: Output::Rows(Rows {
        tracing: "Tracing TCP sessions ... Hit Ctrl-C to end",
        announce: false,
        events: &[&[
            "pid", "comm", "ip", "laddr", "lport", "raddr", "rport", "tx_bytes", "rx_bytes",
            "span_us",
        ]],
        columns: &[
            Column::when("TIME", "time", -8, "time"),
            Column::when("TIME(s)", "time_s", -9, "timestamp"),
            Column::new("PID", "pid", -5),
            Column::when("COMM", "comm", -10, "!wide"),
            Column::when("COMM", "comm", -16, "wide"),
            Column::when("IP", "ip", -2, "wide"),
            // BCC's CSV has the IP column, wide or not.
            Column::when("IP", "ip", -2, "csv,!wide"),
            Column::when("LADDR", "laddr", -15, "!wide"),
            Column::when("LADDR", "laddr", -39, "wide"),
            Column::new("LPORT", "lport", -5),
            Column::when("RADDR", "raddr", -15, "!wide"),
            Column::when("RADDR", "raddr", -39, "wide"),
            Column::new("RPORT", "rport", -5),
            Column::when("TX_KB", "tx_kb", 5, "!wide"),
            Column::when("TX_KB", "tx_kb", 6, "wide"),
            Column::when("RX_KB", "rx_kb", 5, "!wide"),
            Column::when("RX_KB", "rx_kb", 6, "wide"),
            Column::new("MS", "ms", 0),
        ],
        assemble: None,
        finish: Some(finish),
    }),
    limits: Limits::DEFAULT,
    examples: &[
        ("scry tool tcplife", "trace all TCP sessions"),
        (
            "scry tool tcplife -t",
            "include a timestamp column (seconds)",
        ),
        ("scry tool tcplife -w", "wide columns (IPv6)"),
        (
            "scry tool tcplife -stT",
            "CSV output, with times and timestamps",
        ),
        ("scry tool tcplife -p 181", "only sessions of PID 181"),
        ("scry tool tcplife -L 80", "only local port 80"),
        (
            "scry tool tcplife -D 80,443",
            "only remote ports 80 and 443",
        ),
    ],
};

/// Kilobytes (rounded down, as BCC), milliseconds, the columns' widths.
fn finish(row: &mut Row, params: &Params) -> bool {
    let (tx, rx, us) = (
        int_field(row, "tx_bytes"),
        int_field(row, "rx_bytes"),
        int_field(row, "span_us"),
    );
    set_field(row, "tx_kb", Cell::Int(tx / 1024));
    set_field(row, "rx_kb", Cell::Int(rx / 1024));
    set_field(row, "ms", Cell::Num(us as f64 / 1000.0, 2));
    net::seconds6(row);
    let width = if params.on("wide") { 16 } else { 10 };
    net::truncate(row, "comm", width, params);
    true
}
