//! tcpdrop: TCP packets dropped by the kernel, one row each with the drop
//! reason and the kernel stack under it (BCC's columns).
//!
//! BCC uses kprobe tcp_drop() where it exists (kernels before 5.19), else
//! skb:kfree_skb; so do we. Unlike BCC, packets dropped with no socket (a
//! segment for a closed port, reason NO_SOCKET) are shown, with `-` as
//! their state; BCC skips them. Frames are bpftrace's (`func+offset`,
//! offsets in decimal).

use super::net;
use crate::params::Params;
use crate::spec::*;
use scry_lang::env::Env;
use std::collections::HashMap;
use std::sync::OnceLock;

const TRACEPOINT: &str = include_str!("../../tools/tcpdrop.bt");

pub static TOOL: Tool = Tool {
    name: "tcpdrop",
    summary: "Trace TCP packets dropped by the kernel, with the reason and the stack",
    answers: "Which TCP packets does the kernel drop, why, and where in its code?",
    flags: &[
        Flag::switch_with(
            '4',
            "ipv4",
            "Trace IPv4 only",
            Effect::All(&[
                Effect::Filter {
                    slot: "tp_filter",
                    cond: "args.protocol == ETH_P_IP",
                },
                Effect::Filter {
                    slot: "kprobe_filter",
                    cond: "((struct sock *)arg0)->__sk_common.skc_family == AF_INET",
                },
            ]),
        ),
        Flag::switch_with(
            '6',
            "ipv6",
            "Trace IPv6 only",
            Effect::All(&[
                Effect::Filter {
                    slot: "tp_filter",
                    cond: "args.protocol == ETH_P_IPV6",
                },
                Effect::Filter {
                    slot: "kprobe_filter",
                    cond: "((struct sock *)arg0)->__sk_common.skc_family == AF_INET6",
                },
            ]),
        ),
        Flag::DURATION,
    ],
    positionals: &[],
    slots: &[
        Slot::and_predicate("tp_filter"),
        Slot::predicate("kprobe_filter"),
        Slot::text("rx_sk", "args.rx_sk"),
    ],
    plans: &[
        Plan::new(
            "kprobe",
            "tcpdrop-kprobe.bt",
            include_str!("../../tools/tcpdrop-kprobe.bt"),
            &[Need::Kprobes, Need::Btf],
        ),
        Plan::new(
            "tracepoint",
            "tcpdrop.bt",
            TRACEPOINT,
            &[Need::Tracepoint("skb:kfree_skb"), Need::Btf],
        ),
        // Kernels 5.17 to 6.10: a reason, but no rx_sk field.
        Plan {
            set: &[("rx_sk", "0")],
            ..Plan::new(
                "tracepoint-skb",
                "tcpdrop.bt",
                TRACEPOINT,
                &[Need::Tracepoint("skb:kfree_skb"), Need::Btf],
            )
        },
    ],
    output: Output::Rows(Rows {
        tracing: "Tracing TCP drops ... Hit Ctrl-C to end",
        announce: false,
        events: &[&[
            "pid",
            "ip",
            "src",
            "sport",
            "dst",
            "dport",
            "state_nr",
            "flags_nr",
            "reason_nr",
            "stack",
        ]],
        columns: &[
            Column::new("TIME", "time", -8),
            Column::new("PID", "pid", -7),
            Column::new("IP", "ip", -2),
            Column::new("SADDR:SPORT", "saddr", -20),
            Column::literal(">"),
            Column::new("DADDR:DPORT", "daddr", -20),
            Column::new("STATE (FLAGS)", "state", -20),
            Column::new("REASON (CODE)", "reason", 0),
            Column::new("", "stack", 0),
        ],
        assemble: None,
        finish: Some(finish),
    }),
    limits: Limits::DEFAULT,
    examples: &[
        ("scry tool tcpdrop", "trace TCP drops, with kernel stacks"),
        ("scry tool tcpdrop -4", "IPv4 only"),
        ("scry tool tcpdrop --json", "one JSON object per drop"),
    ],
};

/// The kernel's drop reasons by number (enum skb_drop_reason, from BTF).
fn reasons() -> &'static HashMap<i64, String> {
    static REASONS: OnceLock<HashMap<i64, String>> = OnceLock::new();
    REASONS.get_or_init(|| {
        let env = scry_runtime::sysenv::SysEnv::new();
        let Some(btf) = env.btf() else {
            return HashMap::new();
        };
        btf.find_all("skb_drop_reason")
            .into_iter()
            .flat_map(|id| btf.enumerators(id))
            .map(|(name, v)| {
                let short = name.strip_prefix("SKB_DROP_REASON_").unwrap_or(&name);
                (v, short.to_string())
            })
            .collect()
    })
}

/// `ADDR:PORT`, `STATE (FLAGS)`, `REASON (CODE)`.
fn finish(row: &mut Row, _: &Params) -> bool {
    let text = |row: &Row, f: &str| field(row, f).map(Cell::text).unwrap_or_default();
    let saddr = format!("{}:{}", text(row, "src"), int_field(row, "sport"));
    let daddr = format!("{}:{}", text(row, "dst"), int_field(row, "dport"));
    set_field(row, "saddr", Cell::Text(saddr));
    set_field(row, "daddr", Cell::Text(daddr));
    let state = match int_field(row, "state_nr") {
        0 => "-",
        nr => net::state(nr),
    };
    let flags = net::tcp_flags(int_field(row, "flags_nr"));
    set_field(row, "state", Cell::Text(format!("{state} ({flags})")));
    let code = int_field(row, "reason_nr");
    let name = match reasons().get(&code) {
        Some(n) => n.as_str(),
        None if code == 2 => "NOT_SPECIFIED",
        None => "UNKNOWN",
    };
    set_field(row, "reason", Cell::Text(format!("{name} ({code})")));
    true
}
