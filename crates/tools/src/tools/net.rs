//! What the TCP tools share: state names, port lists as script
//! conditions, TCP flags, BCC's truncated columns.

use crate::params::Params;
use crate::spec::{field, set_field, Cell, Effect, Flag, Row};

/// `-4`/`-6` for scripts that name the socket's family `$family` in a
/// `filter` slot (tcpaccept, tcplife).
pub const IPV4: Flag = Flag::switch_with(
    '4',
    "ipv4",
    "Trace IPv4 only",
    Effect::Filter {
        slot: "filter",
        cond: "$family == AF_INET",
    },
);

pub const IPV6: Flag = Flag::switch_with(
    '6',
    "ipv6",
    "Trace IPv6 only",
    Effect::Filter {
        slot: "filter",
        cond: "$family == AF_INET6",
    },
);

/// `-4`/`-6` for tools with a tracepoint plan (`args.family`, slot
/// `tp_filter`) and socket plans (`$family`, slot `sock_filter`):
/// tcpconnect, tcpstates.
pub const IPV4_TP_SOCK: Flag = Flag::switch_with(
    '4',
    "ipv4",
    "Trace IPv4 only",
    Effect::All(&[
        Effect::Filter {
            slot: "tp_filter",
            cond: "args.family == AF_INET",
        },
        Effect::Filter {
            slot: "sock_filter",
            cond: "$family == AF_INET",
        },
    ]),
);

pub const IPV6_TP_SOCK: Flag = Flag::switch_with(
    '6',
    "ipv6",
    "Trace IPv6 only",
    Effect::All(&[
        Effect::Filter {
            slot: "tp_filter",
            cond: "args.family == AF_INET6",
        },
        Effect::Filter {
            slot: "sock_filter",
            cond: "$family == AF_INET6",
        },
    ]),
);

/// TCP states, as BCC names them (index = the kernel's TCP_* value).
pub const STATES: &[&str] = &[
    "UNKNOWN",
    "ESTABLISHED",
    "SYN_SENT",
    "SYN_RECV",
    "FIN_WAIT1",
    "FIN_WAIT2",
    "TIME_WAIT",
    "CLOSE",
    "CLOSE_WAIT",
    "LAST_ACK",
    "LISTEN",
    "CLOSING",
    "NEW_SYN_RECV",
];

/// A TCP state's name.
pub fn state(nr: i64) -> &'static str {
    usize::try_from(nr)
        .ok()
        .and_then(|i| STATES.get(i))
        .copied()
        .unwrap_or("UNKNOWN")
}

/// A comma-separated port list (`80,443`) as a condition on `expr`:
/// `expr == 80 || expr == 443`, in parentheses when there are several.
pub fn ports(expr: &str, list: &str) -> Result<String, String> {
    let conds = list
        .split(',')
        .map(|p| match p.trim().parse::<u16>() {
            Ok(n) => Ok(format!("{expr} == {n}")),
            Err(_) => Err(format!("invalid port '{}' in '{list}'", p.trim())),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(match conds.as_slice() {
        [one] => one.clone(),
        _ => format!("({})", conds.join(" || ")),
    })
}

/// TCP header flags as BCC spells them: `SYN|ACK`.
pub fn tcp_flags(bits: i64) -> String {
    const NAMES: [&str; 8] = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"];
    let set: Vec<&str> = (0..8)
        .filter(|i| bits & (1 << i) != 0)
        .map(|i| NAMES[i])
        .collect();
    set.join("|")
}

/// BCC's `%-N.Ns`: a text field cut to `n` characters in text output
/// (JSON and CSV, BCC's `%s` there, keep it whole).
pub fn truncate(row: &mut Row, name: &'static str, n: usize, params: &Params) {
    if params.json || params.on("csv") {
        return;
    }
    if let Some(Cell::Text(t)) = field(row, name) {
        if t.chars().count() > n {
            let cut: String = t.chars().take(n).collect();
            set_field(row, name, Cell::Text(cut));
        }
    }
}

/// `TIME(s)` with BCC's six decimals (tcplife, tcpstates).
pub fn seconds6(row: &mut Row) {
    if let Some(Cell::Num(s, _)) = field(row, "time_s") {
        let s = *s;
        set_field(row, "time_s", Cell::Num(s, 6));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_lists() {
        assert_eq!(ports("$dport", "80").unwrap(), "$dport == 80");
        assert_eq!(
            ports("args.dport", "80, 443").unwrap(),
            "(args.dport == 80 || args.dport == 443)"
        );
        assert_eq!(
            ports("$lport", "80,http").unwrap_err(),
            "invalid port 'http' in '80,http'"
        );
        assert!(ports("$lport", "70000").is_err());
    }

    #[test]
    fn flags_and_states() {
        assert_eq!(tcp_flags(0x12), "SYN|ACK");
        assert_eq!(tcp_flags(0x14), "RST|ACK");
        assert_eq!(tcp_flags(0), "");
        assert_eq!(state(2), "SYN_SENT");
        assert_eq!(state(-1), "UNKNOWN");
        assert_eq!(state(99), "UNKNOWN");
    }
}

/// The fentry plan's slots for the scripts that probe `tcp_set_state()`
/// (tcplife, tcpstates): the kprobe's `arg0`/`arg1` become BTF arguments.
pub const SET_STATE_FENTRY: &[(&str, &str)] = &[
    ("probe", "fentry:tcp_set_state"),
    ("sk", "args.sk"),
    ("state", "args.state"),
];
