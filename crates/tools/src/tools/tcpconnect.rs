//! tcpconnect: active TCP connections (connect()), one row each (BCC's
//! columns).
//!
//! Unlike BCC, which reads the socket as tcp_v4/v6_connect() return, the
//! tracepoint plans see the socket enter SYN_SENT (sock:inet_sock_set_state),
//! in the connecting task too. The local port is chosen just after that, so
//! with -L the row waits until the socket leaves SYN_SENT (connected,
//! refused or timed out: a connection to an unresponsive host shows when it
//! gives up). `-c` counts connects by source, destination and port instead,
//! printed at the end as BCC does ([`super::tcpconnect_count`]). `-d` adds
//! a QUERY column: the host name whose lookup returned the address
//! connected to, from uprobes on the C library's getaddrinfo()
//! (tcpconnect-dns.bt), as BCC's DNS cache gives it. The run length is
//! `--duration`, since BCC's `-d` means DNS here.

use super::net;
use crate::params::Params;
use crate::spec::*;

const SOCK: &str = include_str!("../../tools/tcpconnect-sock.bt");

pub static TOOL: Tool = Tool {
    name: "tcpconnect",
    summary: "Trace TCP active connections (connect()): who connects where",
    answers: "Which processes connect to which hosts and ports?",
    flags: &[
        Flag::switch('t', "timestamp", "Include a timestamp column (seconds)"),
        Flag::value(
            'p',
            "pid",
            "PID",
            Kind::Uint,
            "Trace this process ID only",
            Effect::All(&[
                Effect::Filter {
                    slot: "tp_filter",
                    cond: "pid == {}",
                },
                Effect::Filter {
                    slot: "entry_filter",
                    cond: "pid == {}",
                },
            ]),
        ),
        Flag::value(
            'P',
            "port",
            "PORTS",
            Kind::Text,
            "Trace these destination ports only (comma-separated)",
            Effect::All(&[
                Effect::FilterWith {
                    slot: "tp_filter",
                    cond: "{}",
                    convert: |l| net::ports("args.dport", l),
                },
                Effect::FilterWith {
                    slot: "sock_filter",
                    cond: "{}",
                    convert: |l| net::ports("$dport", l),
                },
            ]),
        ),
        net::IPV4_TP_SOCK,
        net::IPV6_TP_SOCK,
        Flag::switch('L', "lport", "Include a local port column"),
        Flag::switch('U', "print-uid", "Include a UID column"),
        Flag::value(
            'u',
            "uid",
            "UID",
            Kind::Uint,
            "Trace this user ID only",
            Effect::All(&[
                Effect::Filter {
                    slot: "tp_filter",
                    cond: "uid == {}",
                },
                Effect::Filter {
                    slot: "entry_filter",
                    cond: "uid == {}",
                },
            ]),
        ),
        Flag::switch_with(
            'c',
            "count",
            "Count connects per source address and destination address/port",
            Effect::Set {
                slot: "action",
                text: super::tcpconnect_count::ACTION,
            },
        ),
        Flag::switch_with(
            'd',
            "dns",
            "Include the likely DNS query of each connect (QUERY column)",
            Effect::All(&[
                Effect::Set {
                    slot: "dns",
                    text: include_str!("../../tools/tcpconnect-dns.bt"),
                },
                Effect::Excludes("count"),
            ]),
        ),
        Flag {
            short: None,
            ..Flag::DURATION
        },
    ],
    positionals: &[],
    slots: &[
        Slot::and_predicate("tp_filter"),
        Slot::predicate("entry_filter"),
        Slot::and_predicate("sock_filter"),
        Slot::text("entry", "kprobe:tcp_v4_connect,\nkprobe:tcp_v6_connect"),
        Slot::text(
            "exit",
            "kretprobe:tcp_v4_connect,\nkretprobe:tcp_v6_connect",
        ),
        Slot::text("sk", "arg0"),
        // What is done with a connect: a row, or (-c) a count.
        Slot::text(
            "action",
            "printf(\"%d %d %s %d %s %d %s %d\\n\", $pid, $uid, $comm, $ip, $saddr, $lport, $daddr, $dport);",
        ),
        Slot::text("dns", ""),
    ],
    plans: &[
        Plan {
            set: &[
                ("entry", "fentry:tcp_v4_connect,\nfentry:tcp_v6_connect"),
                ("exit", "fexit:tcp_v4_connect,\nfexit:tcp_v6_connect"),
                ("sk", "args.sk"),
            ],
            ..Plan::new("fentry", "tcpconnect-sock.bt", SOCK, &[Need::Fentry])
        },
        Plan::new(
            "kprobe",
            "tcpconnect-sock.bt",
            SOCK,
            &[Need::Kprobes, Need::Btf],
        ),
        Plan {
            without: &["lport"],
            ..Plan::new(
                "tracepoint",
                "tcpconnect.bt",
                include_str!("../../tools/tcpconnect.bt"),
                &[Need::Tracepoint("sock:inet_sock_set_state")],
            )
        },
        Plan {
            only_with: &["lport"],
            ..Plan::new(
                "tracepoint-lport",
                "tcpconnect-lport.bt",
                include_str!("../../tools/tcpconnect-lport.bt"),
                &[Need::Tracepoint("sock:inet_sock_set_state")],
            )
        },
    ],
    output: Output::Switch("count", &super::tcpconnect_count::COUNTS, &ROWS),
    limits: Limits::DEFAULT,
    examples: &[
        ("scry tool tcpconnect", "trace all TCP connect()s"),
        ("scry tool tcpconnect -t", "include timestamps"),
        ("scry tool tcpconnect -p 181", "only trace PID 181"),
        (
            "scry tool tcpconnect -P 80,81",
            "only trace ports 80 and 81",
        ),
        (
            "scry tool tcpconnect -6 -L",
            "IPv6 only, with the local port",
        ),
        (
            "scry tool tcpconnect -U -u 1000",
            "only UID 1000, with a UID column",
        ),
        (
            "scry tool tcpconnect -c",
            "count connects per source and destination address/port",
        ),
        (
            "scry tool tcpconnect -d",
            "include the DNS query associated with each connect",
        ),
    ],
};

static ROWS: Output = Output::Rows(Rows {
    tracing: "Tracing connect ... Hit Ctrl-C to end",
    announce: true,
    events: &[
        &[
            "pid", "uid", "comm", "ip", "saddr", "lport", "daddr", "dport",
        ],
        &["family", "a0", "a1", "host"],
    ],
    columns: &[
        Column::when("TIME(s)", "time_s", -8, "timestamp"),
        Column::when("UID", "uid", -5, "print-uid"),
        Column::new("PID", "pid", -7),
        Column::new("COMM", "comm", -12),
        Column::new("IP", "ip", -2),
        Column::new("SADDR", "saddr", -16),
        Column::when("LPORT", "lport", -6, "lport"),
        Column::new("DADDR", "daddr", -16),
        Column::when("DPORT", "dport", 0, "!dns"),
        Column::when("DPORT", "dport", -6, "dns"),
        Column::when("QUERY", "query", 0, "dns"),
    ],
    assemble: Some(super::tcpconnect_dns::assemble),
    finish: Some(finish),
});

fn finish(row: &mut Row, params: &Params) -> bool {
    net::truncate(row, "comm", 12, params);
    true
}
