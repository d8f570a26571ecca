//! tcptop: TCP throughput by connection and process, a table every
//! interval (BCC's layout: an IPv4 table, then an IPv6 one).
//!
//! Where kprobes are missing, bytes are counted as sock_sendmsg() and
//! sock_recvmsg() return (sock:sock_send_length, sock:sock_recv_length):
//! what was sent and read, where BCC counts what tcp_sendmsg() is asked
//! to send. Data read by splice() from a socket is not counted there.
//! The screen is cleared between tables only when printing to a
//! terminal; `-C` (or a pipe) prints a blank line instead.

use crate::params::Params;
use crate::runner::{clear_map, clock_time, read_map};
use crate::spec::*;
use scry_output::{json_string, Agg, Value};
use scry_runtime::session::Session;
use std::collections::BTreeMap;

const SOCK: &str = include_str!("../../tools/tcptop-sock.bt");

pub static TOOL: Tool = Tool {
    name: "tcptop",
    summary: "Summarize TCP send/receive throughput by connection and process",
    answers: "Which processes and connections move the most TCP bytes?",
    flags: &[
        Flag::switch('C', "noclear", "Don't clear the screen"),
        Flag::switch(
            'S',
            "nosummary",
            "Skip the system summary line (load average)",
        ),
        Flag::value(
            'p',
            "pid",
            "PID",
            Kind::Uint,
            "Trace this process ID only",
            Effect::All(&[
                Effect::Filter {
                    slot: "filter",
                    cond: "pid == {}",
                },
                Effect::Filter {
                    slot: "entry_filter",
                    cond: "pid == {}",
                },
            ]),
        ),
        Flag::switch_with(
            '4',
            "ipv4",
            "Trace IPv4 only",
            Effect::All(&[
                Effect::Filter {
                    slot: "filter",
                    cond: "args.family == AF_INET",
                },
                Effect::Filter {
                    slot: "sock_filter",
                    cond: "$family == AF_INET",
                },
            ]),
        ),
        Flag::switch_with(
            '6',
            "ipv6",
            "Trace IPv6 only",
            Effect::All(&[
                Effect::Filter {
                    slot: "filter",
                    cond: "args.family == AF_INET6",
                },
                Effect::Filter {
                    slot: "sock_filter",
                    cond: "$family == AF_INET6",
                },
            ]),
        ),
    ],
    positionals: INTERVAL_COUNT,
    slots: &[
        Slot::and_predicate("filter"),
        Slot::predicate("entry_filter"),
        Slot::and_predicate("sock_filter"),
        Slot::text("send", "kprobe:tcp_sendmsg"),
        Slot::text("recv", "kprobe:tcp_cleanup_rbuf"),
        Slot::text("sk", "arg0"),
        Slot::text("send_size", "(int64)arg2"),
        Slot::text("recv_size", "(int32)arg1"),
    ],
    plans: &[
        Plan {
            set: &[
                ("send", "fentry:tcp_sendmsg"),
                ("recv", "fentry:tcp_cleanup_rbuf"),
                ("sk", "args.sk"),
                ("send_size", "(int64)args.size"),
                ("recv_size", "(int32)args.copied"),
            ],
            ..Plan::new("fentry", "tcptop-sock.bt", SOCK, &[Need::Fentry])
        },
        Plan::new(
            "kprobe",
            "tcptop-sock.bt",
            SOCK,
            &[Need::Kprobes, Need::Btf],
        ),
        Plan::new(
            "tracepoint",
            "tcptop.bt",
            include_str!("../../tools/tcptop.bt"),
            &[Need::Tracepoint("sock:sock_send_length"), Need::Btf],
        ),
    ],
    output: Output::Custom(Custom {
        tracing: "Tracing... Output every {interval=1} secs. Hit Ctrl-C to end",
        default_interval: 1,
        tick,
    }),
    limits: Limits::DEFAULT,
    examples: &[
        (
            "scry tool tcptop",
            "trace TCP send/recv by host, every second",
        ),
        (
            "scry tool tcptop -C 5 3",
            "don't clear the screen; 3 tables, 5 s apart",
        ),
        ("scry tool tcptop -p 181", "only trace PID 181"),
        ("scry tool tcptop -4", "IPv4 only"),
        ("scry tool tcptop --json", "one JSON object per interval"),
    ],
};

/// One connection of one process in an interval.
struct Conn {
    /// pid, comm, ip, laddr, lport, raddr, rport.
    key: Vec<String>,
    rx: i64,
    tx: i64,
}

/// The interval's connections, busiest first, from `@rx` and `@tx`
/// (cleared).
fn connections(session: &Session) -> Result<Vec<Conn>, String> {
    let mut by_key: BTreeMap<Vec<String>, (i64, i64)> = BTreeMap::new();
    for (map, rx) in [("@rx", true), ("@tx", false)] {
        for (key, agg) in read_map(session, map)?.entries {
            let (Some(Value::Tuple(parts)), Agg::Sum(bytes)) = (key, agg) else {
                continue;
            };
            let key: Vec<String> = parts.iter().map(Value::to_text).collect();
            let e = by_key.entry(key).or_default();
            if rx {
                e.0 += bytes;
            } else {
                e.1 += bytes;
            }
        }
        clear_map(session, map)?;
    }
    let mut conns: Vec<Conn> = by_key
        .into_iter()
        .map(|(key, (rx, tx))| Conn { key, rx, tx })
        .collect();
    conns.sort_by_key(|c| std::cmp::Reverse(c.rx + c.tx));
    Ok(conns)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .trim_end()
        .to_string()
}

/// One interval: BCC's tables, or one JSON object.
fn tick(session: &Session, p: &Params) -> Result<String, String> {
    let conns = connections(session)?;
    if p.json {
        return Ok(json(&conns, p));
    }
    // SAFETY: isatty() on a descriptor number.
    let tty = unsafe { libc::isatty(1) } == 1;
    let mut s = if p.on("noclear") || !tty {
        String::from("\n")
    } else {
        String::from("\x1b[H\x1b[2J")
    };
    if !p.on("nosummary") {
        s.push_str(&format!("{:<8} loadavg: {}\n\n", clock_time(), loadavg()));
    }
    for (ip, width, suffix) in [("4", 21, ""), ("6", 32, "6")] {
        let rows: Vec<&Conn> = conns.iter().filter(|c| c.key[2] == ip).collect();
        if rows.is_empty() {
            continue;
        }
        if ip == "6" {
            s.push('\n');
        }
        let (l, r) = (format!("LADDR{suffix}"), format!("RADDR{suffix}"));
        s.push_str(&format!(
            "{:<7} {:<12} {l:<width$} {r:<width$} {:>6} {:>6}\n",
            "PID", "COMM", "RX_KB", "TX_KB"
        ));
        for c in rows {
            let comm: String = c.key[1].chars().take(12).collect();
            let laddr = format!("{}:{}", c.key[3], c.key[4]);
            let raddr = format!("{}:{}", c.key[5], c.key[6]);
            s.push_str(&format!(
                "{:<7} {comm:<12} {laddr:<width$} {raddr:<width$} {:>6} {:>6}\n",
                c.key[0],
                c.rx / 1024,
                c.tx / 1024
            ));
        }
    }
    Ok(s)
}

fn json(conns: &[Conn], p: &Params) -> String {
    let items: Vec<String> = conns
        .iter()
        .map(|c| {
            let k = &c.key;
            format!(
                "{{\"pid\": {}, \"comm\": {}, \"ip\": {}, \"laddr\": {}, \"lport\": {}, \
                 \"raddr\": {}, \"rport\": {}, \"rx_kb\": {}, \"tx_kb\": {}, \
                 \"rx_bytes\": {}, \"tx_bytes\": {}}}",
                k[0],
                json_string(&k[1]),
                k[2],
                json_string(&k[3]),
                k[4],
                json_string(&k[5]),
                k[6],
                c.rx / 1024,
                c.tx / 1024,
                c.rx,
                c.tx
            )
        })
        .collect();
    let load = if p.on("nosummary") {
        String::new()
    } else {
        format!(", \"loadavg\": {}", json_string(&loadavg()))
    };
    format!(
        "{{\"time\": \"{}\"{load}, \"connections\": [{}]}}\n",
        clock_time(),
        items.join(", ")
    )
}
