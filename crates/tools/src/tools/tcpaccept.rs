//! tcpaccept: passive TCP connections (accept()), one row each (BCC's
//! columns).
//!
//! BCC reads the socket inet_csk_accept() returns (kept as the fentry and
//! kprobe plans): every accept, whoever makes it. Where kprobes are
//! missing, the tracepoint plan reads the new socket through the file
//! descriptor accept() and accept4() return, in the accepting task: the
//! same rows for programs that call accept(2), but accepts made without
//! those system calls (io_uring, servers inside the kernel) are not seen.

use super::net;
use crate::params::Params;
use crate::spec::*;

const SOCK: &str = include_str!("../../tools/tcpaccept-sock.bt");

pub static TOOL: Tool = Tool {
    name: "tcpaccept",
    summary: "Trace TCP passive connections (accept()): who accepts from where",
    answers: "Which processes accept TCP connections, from which hosts, on which ports?",
    flags: &[
        Flag::switch('T', "time", "Include a time column (HH:MM:SS)"),
        Flag::switch('t', "timestamp", "Include a timestamp column (seconds)"),
        Flag::filter(
            'p',
            "pid",
            "PID",
            Kind::Uint,
            "Trace this process ID only",
            "filter",
            "pid == {}",
        ),
        Flag::value(
            'P',
            "port",
            "PORTS",
            Kind::Text,
            "Trace these local ports only (comma-separated)",
            Effect::FilterWith {
                slot: "filter",
                cond: "{}",
                convert: |l| net::ports("$lport", l),
            },
        ),
        net::IPV4,
        net::IPV6,
        Flag::DURATION,
    ],
    positionals: &[],
    slots: &[
        Slot::and_predicate("filter"),
        Slot::text("probe", "kretprobe:inet_csk_accept"),
    ],
    plans: &[
        Plan {
            set: &[("probe", "fexit:inet_csk_accept")],
            ..Plan::new("fentry", "tcpaccept-sock.bt", SOCK, &[Need::Fentry])
        },
        Plan::new(
            "kprobe",
            "tcpaccept-sock.bt",
            SOCK,
            &[Need::Kprobes, Need::Btf],
        ),
        Plan::new(
            "tracepoint",
            "tcpaccept.bt",
            include_str!("../../tools/tcpaccept.bt"),
            &[Need::Tracepoint("syscalls:sys_exit_accept4"), Need::Btf],
        ),
    ],
    output: Output::Rows(Rows {
        tracing: "Tracing TCP accepts ... Hit Ctrl-C to end",
        announce: false,
        events: &[&["pid", "comm", "ip", "raddr", "rport", "laddr", "lport"]],
        columns: &[
            Column::when("TIME", "time", -8, "time"),
            Column::when("TIME(s)", "time_s", -8, "timestamp"),
            Column::new("PID", "pid", -7),
            Column::new("COMM", "comm", -12),
            Column::new("IP", "ip", -2),
            Column::new("RADDR", "raddr", -16),
            Column::new("RPORT", "rport", -5),
            Column::new("LADDR", "laddr", -16),
            Column::new("LPORT", "lport", 0),
        ],
        assemble: None,
        finish: Some(finish),
    }),
    limits: Limits::DEFAULT,
    examples: &[
        ("scry tool tcpaccept", "trace all TCP accept()s"),
        ("scry tool tcpaccept -t", "include timestamps"),
        (
            "scry tool tcpaccept -P 80,81",
            "only trace local ports 80 and 81",
        ),
        ("scry tool tcpaccept -p 181", "only trace PID 181"),
        (
            "scry tool tcpaccept -4 --json",
            "IPv4 only, one JSON object each",
        ),
    ],
};

fn finish(row: &mut Row, params: &Params) -> bool {
    net::truncate(row, "comm", 12, params);
    true
}
