//! tcpretrans: TCP retransmits, one row each (BCC's columns).

use crate::params::Params;
use crate::spec::*;

const SOCK: &str = include_str!("../../tools/tcpretrans-sock.bt");

pub static TOOL: Tool = Tool {
    name: "tcpretrans",
    summary: "Trace TCP retransmits: addresses, ports and connection state",
    answers: "Which TCP connections are retransmitting (packet loss, unreachable peers)?",
    flags: &[
        Flag::switch('4', "ipv4", "Trace IPv4 only"),
        Flag::switch('6', "ipv6", "Trace IPv6 only"),
        Flag::DURATION,
    ],
    positionals: &[],
    slots: &[
        Slot::text("probe", "kprobe:tcp_retransmit_skb"),
        Slot::text("sk", "(struct sock *)arg0"),
    ],
    plans: &[
        Plan {
            set: &[("probe", "fentry:tcp_retransmit_skb"), ("sk", "args.sk")],
            ..Plan::new("fentry", "tcpretrans-sock.bt", SOCK, &[Need::Fentry])
        },
        Plan::new(
            "kprobe",
            "tcpretrans-sock.bt",
            SOCK,
            &[Need::Kprobes, Need::Btf],
        ),
        Plan::new(
            "tracepoint",
            "tcpretrans.bt",
            include_str!("../../tools/tcpretrans.bt"),
            &[Need::Tracepoint("tcp:tcp_retransmit_skb")],
        ),
    ],
    output: Output::Rows(Rows {
        tracing: "Tracing retransmits ... Hit Ctrl-C to end",
        announce: true,
        events: &[&["pid", "ip", "saddr", "lport", "daddr", "dport", "state_nr"]],
        columns: &[
            Column::new("TIME", "time", -8),
            Column::new("PID", "pid", -7),
            Column::new("IP", "ip", -2),
            Column::new("LADDR:LPORT", "laddr", -20),
            Column::new("T>", "type", 2),
            Column::new("RADDR:RPORT", "raddr", -20),
            Column::new("STATE", "state", 0),
        ],
        assemble: None,
        finish: Some(finish),
    }),
    limits: Limits::DEFAULT,
    examples: &[
        ("scry tool tcpretrans", "trace TCP retransmits"),
        ("scry tool tcpretrans -4", "trace IPv4 retransmits only"),
        (
            "scry tool tcpretrans --json",
            "one JSON object per retransmit",
        ),
    ],
};

/// `ADDR:PORT` columns, the `R>` type, the state's name; `-4`/`-6`.
fn finish(row: &mut Row, params: &Params) -> bool {
    let ip = field(row, "ip").and_then(Cell::int).unwrap_or(4);
    if (params.on("ipv4") && ip != 4) || (params.on("ipv6") && ip != 6) {
        return false;
    }
    let text = |row: &Row, f: &str| field(row, f).map(Cell::text).unwrap_or_default();
    let laddr = format!("{}:{}", text(row, "saddr"), text(row, "lport"));
    let raddr = format!("{}:{}", text(row, "daddr"), text(row, "dport"));
    set_field(row, "laddr", Cell::Text(laddr));
    set_field(row, "raddr", Cell::Text(raddr));
    set_field(row, "type", Cell::Text("R>".into()));
    let nr = int_field(row, "state_nr");
    set_field(row, "state", Cell::Text(super::net::state(nr).into()));
    true
}
