//! tcpconnect -d: which host name each connect's address was looked up as.
//!
//! Every address getaddrinfo() returns is remembered with the name asked
//! for (tcpconnect-dns.bt sends them as events). A connect row then shows
//! that name in its QUERY column, as BCC's DNS cache does: "No DNS Query"
//! when the address was never looked up ("localhost" for the loopback
//! addresses), and the time since the lookup when it is over 100 ms.

use crate::params::Params;
use crate::spec::*;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

/// BCC's cache: 10240 entries, kept for a day.
const CACHE_SIZE: usize = 10240;
const TTL: Duration = Duration::from_secs(86400);
/// A lookup older than this is shown with its age.
const DELAY: Duration = Duration::from_millis(100);

/// Event 0 is a connect (a row); event 1 an address a lookup returned.
pub fn assemble(a: &mut Assembly, event: usize, row: Row, params: &Params) -> Option<Row> {
    if event == 1 {
        remember(a, &row);
        return None;
    }
    let mut row = row;
    if params.on("dns") {
        let daddr = field(&row, "daddr").map(Cell::text).unwrap_or_default();
        set_field(&mut row, "query", Cell::Text(query(a, &daddr)));
    }
    Some(row)
}

fn remember(a: &mut Assembly, row: &Row) {
    let (a0, a1) = (int_field(row, "a0") as u64, int_field(row, "a1") as u64);
    let addr = match int_field(row, "family") {
        2 => Ipv4Addr::from((a0 as u32).to_le_bytes()).to_string(),
        10 => {
            let mut b = [0u8; 16];
            b[..8].copy_from_slice(&a0.to_le_bytes());
            b[8..].copy_from_slice(&a1.to_le_bytes());
            Ipv6Addr::from(b).to_string()
        }
        _ => return,
    };
    let host = field(row, "host").map(Cell::text).unwrap_or_default();
    // A numeric host ("10.1.2.3") was not looked up.
    if host.parse::<std::net::IpAddr>().is_ok() {
        return;
    }
    if a.names.len() >= CACHE_SIZE && !a.names.contains_key(&addr) {
        // Make room: the oldest lookup goes.
        if let Some(oldest) = a
            .names
            .iter()
            .min_by_key(|(_, v)| v.1)
            .map(|(k, _)| k.clone())
        {
            a.names.remove(&oldest);
        }
    }
    a.names.insert(addr, (host, Instant::now()));
}

fn query(a: &Assembly, daddr: &str) -> String {
    match a.names.get(daddr).filter(|(_, at)| at.elapsed() < TTL) {
        Some((host, at)) => {
            let age = at.elapsed();
            if age > DELAY {
                format!("{host} ({:.3}ms)", age.as_secs_f64() * 1000.0)
            } else {
                host.clone()
            }
        }
        None if daddr == "127.0.0.1" || daddr == "::1" => "localhost".into(),
        None => "No DNS Query".into(),
    }
}
