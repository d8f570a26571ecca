//! `scry tool tcptop`: sessions the test runs on loopback between two
//! threads with names of our own, with known byte counts; each thread's
//! row must show its connection and its kilobytes (bytes in JSON) each
//! way. -C, -S, -p, -4/-6, interval and count, --json.

mod tools_support;

use std::time::Duration;
use tools_support::net::*;
use tools_support::*;

const UP: usize = 300_000;
const DOWN: usize = 100_000;

#[test]
fn a_table_with_both_ends() {
    require_root!();
    let _g = serial();
    // One table, printed at Ctrl-C: the interval is longer than the test.
    let mut t = Tool::attached(&["tcptop", "-C", "60"], "Tracing");
    let s = session(lo(false), "tt-client", "tt-server", UP, DOWN);
    std::thread::sleep(Duration::from_millis(300));
    let out = t.stop();
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(
        lines[0], "Tracing... Output every 60 secs. Hit Ctrl-C to end",
        "{out}"
    );
    assert_eq!(lines[1], "", "{out}");
    assert!(
        lines[2].len() > 8 && lines[2][8..].starts_with(" loadavg: "),
        "{out}"
    );
    assert_eq!(lines[3], "", "{out}");
    assert_eq!(
        lines[4], "PID     COMM         LADDR                 RADDR                  RX_KB  TX_KB",
        "{out}"
    );
    let pid = std::process::id();
    let row = |comm: &str, l: u16, r: u16, rx: usize, tx: usize| {
        format!(
            "{pid:<7} {comm:<12} {:<21} {:<21} {:>6} {:>6}",
            format!("127.0.0.1:{l}"),
            format!("127.0.0.1:{r}"),
            rx / 1024,
            tx / 1024
        )
    };
    let client = row("tt-client", s.client_port, s.server_port, DOWN, UP);
    let server = row("tt-server", s.server_port, s.client_port, UP, DOWN);
    assert!(lines.contains(&client.as_str()), "no {client:?}:\n{out}");
    assert!(lines.contains(&server.as_str()), "no {server:?}:\n{out}");
}

/// Bytes (rx, tx) of our connections whose local port is `lport`, summed
/// over the JSON intervals.
fn bytes(out: &Output, lport: u16) -> (f64, f64) {
    let mut sum = (0.0, 0.0);
    for l in out.lines() {
        let j = Json::parse(l).unwrap_or_else(|e| panic!("{e}: {l}"));
        let Some(Json::Arr(conns)) = j.get("connections") else {
            panic!("no connections: {l}");
        };
        for c in conns {
            if c.get("lport").unwrap().num() == Some(lport as f64) {
                sum.0 += c.get("rx_bytes").unwrap().num().unwrap();
                sum.1 += c.get("tx_bytes").unwrap().num().unwrap();
            }
        }
    }
    sum
}

#[test]
fn json_intervals_with_pid_and_count() {
    require_root!();
    let _g = serial();
    let pid = std::process::id().to_string();
    // Two one-second intervals, then the tool ends by itself.
    let mut t = Tool::attached(&["tcptop", "--json", "-S", "-p", &pid, "1", "2"], "");
    let s = session(lo(false), "tt-client", "tt-server", UP, DOWN);
    let out = t.wait(Duration::from_secs(20));
    out.assert_ok();
    assert_eq!(out.lines().len(), 2, "{out}");
    for l in out.lines() {
        let j = Json::parse(l).unwrap();
        assert_eq!(j.keys(), ["time", "connections"], "-S: no loadavg: {l}");
        let Some(Json::Arr(conns)) = j.get("connections") else {
            panic!("{l}");
        };
        for c in conns {
            assert_eq!(
                c.keys(),
                [
                    "pid", "comm", "ip", "laddr", "lport", "raddr", "rport", "rx_kb", "tx_kb",
                    "rx_bytes", "tx_bytes"
                ]
            );
            assert_eq!(
                c.get("pid").unwrap().num(),
                Some(std::process::id() as f64),
                "-p: {l}"
            );
        }
    }
    assert_eq!(
        bytes(&out, s.client_port),
        (DOWN as f64, UP as f64),
        "{out}"
    );
    assert_eq!(
        bytes(&out, s.server_port),
        (UP as f64, DOWN as f64),
        "{out}"
    );
}

#[test]
fn ipv6_only() {
    require_root!();
    let _g = serial();
    if !has_ipv6_loopback() {
        eprintln!("skipped: no IPv6 loopback");
        return;
    }
    let mut t = Tool::attached(&["tcptop", "-6", "--json", "60"], "");
    let s4 = session(lo(false), "tt-c4", "tt-s4", 1000, 1000);
    let s = session(lo(true), "tt-client6", "tt-server6", UP, DOWN);
    std::thread::sleep(Duration::from_millis(300));
    let out = t.stop();
    out.assert_ok();
    assert_eq!(
        bytes(&out, s.client_port),
        (DOWN as f64, UP as f64),
        "{out}"
    );
    assert_eq!(
        bytes(&out, s4.client_port),
        (0.0, 0.0),
        "-6 shows IPv4:\n{out}"
    );
    let l = out.lines()[0];
    let j = Json::parse(l).unwrap();
    let Some(Json::Arr(conns)) = j.get("connections") else {
        panic!("{l}");
    };
    let c = conns
        .iter()
        .find(|c| c.get("comm").unwrap().str() == Some("tt-client6"))
        .unwrap();
    assert_eq!(c.get("ip").unwrap().num(), Some(6.0));
    assert_eq!(c.get("laddr").unwrap().str(), Some("::1"));
    assert_eq!(c.get("raddr").unwrap().str(), Some("::1"));
    assert_eq!(c.get("rport").unwrap().num(), Some(s.server_port as f64));
    assert_eq!(c.get("rx_kb").unwrap().num(), Some((DOWN / 1024) as f64));
}
