//! tcpconnect -c: connects counted in the kernel by source address,
//! destination address and destination port, printed when the run ends
//! (Ctrl-C or `--duration`) as BCC does: `LADDR RADDR RPORT CONNECTS`,
//! most connects first (IPv4 and IPv6 together, where BCC lists IPv4
//! first).

use crate::spec::*;
use std::cmp::Ordering;

/// The scripts' `{{action}}` with -c: count instead of printing a row.
pub const ACTION: &str = "@connects[$saddr, $daddr, $dport] = count();";

pub static COUNTS: Output = Output::Table(Table {
    tracing: "Tracing connect ... Hit Ctrl-C to end",
    maps: &["@connects"],
    key: &["laddr", "raddr", "rport"],
    columns: &[
        Column::new("LADDR", "laddr", -25),
        Column::new("RADDR", "raddr", -25),
        Column::new("RPORT", "rport", -20),
        Column::new("CONNECTS", "connects", -10),
    ],
    finish: |_, _| true,
    order: Some(most_first),
    header_every_interval: true,
    // BCC's blank line after the ^C.
    interval_header: "\n",
    default_interval: 0,
});

/// Most connects first; then by destination, so that the order is stable.
fn most_first(a: &Row, b: &Row) -> Ordering {
    let text = |r: &Row, f: &str| field(r, f).map(Cell::text).unwrap_or_default();
    int_field(b, "connects")
        .cmp(&int_field(a, "connects"))
        .then_with(|| text(a, "raddr").cmp(&text(b, "raddr")))
        .then_with(|| int_field(a, "rport").cmp(&int_field(b, "rport")))
        .then_with(|| text(a, "laddr").cmp(&text(b, "laddr")))
}
