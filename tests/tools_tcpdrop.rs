//! `scry tool tcpdrop`: drops the test causes on loopback. A SYN to a
//! closed port is dropped with no socket (NO_SOCKET); a session whose
//! server closes first ends with the client's FIN queued on the server's
//! orphaned socket and purged as that socket is destroyed (QUEUE_PURGE).
//! Each row must name the packet's addresses and ports, the state and
//! flags, the reason, and carry the kernel stack. -4/-6, --json.

mod tools_support;

use std::time::Duration;
use tools_support::net::*;
use tools_support::*;

/// The row (with its stack lines) whose line contains `needle`.
fn block<'a>(out: &'a Output, needle: &str) -> Vec<&'a str> {
    let lines = out.lines();
    let start = lines
        .iter()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no {needle:?}:\n{out}"));
    lines[start..]
        .iter()
        .take_while(|l| !l.is_empty())
        .copied()
        .collect()
}

#[test]
fn closed_ports_and_purged_fins() {
    require_root!();
    let _g = serial();
    let mut t = Tool::attached(&["tcpdrop", "-4"], "TIME");
    let ip = lo(false);
    let (closed, from) = with_closed_port(ip, |p| (p, refused(ip, p, "td-refused")));
    let s = session(ip, "td-client", "td-server", 10, 10);
    let syn = format!("127.0.0.1:{from} ");
    let fin = format!("127.0.0.1:{} ", s.client_port);
    t.expect_line("SYN drop", |l| l.contains(&syn));
    t.expect_line("FIN drop", |l| l.contains(&fin));
    std::thread::sleep(Duration::from_millis(200));
    let out = t.stop();
    out.assert_ok();
    assert_eq!(
        out.lines()[0],
        "TIME     PID     IP SADDR:SPORT          > DADDR:DPORT          STATE (FLAGS)        REASON (CODE)",
        "{out}"
    );
    let pid = std::process::id();
    // On loopback the SYN is received (and dropped) in connect().
    let rows = block(&out, &syn);
    assert_eq!(
        &rows[0][9..],
        format!(
            "{pid:<7} 4  {:<20} > {:<20} {:<20} NO_SOCKET (3)",
            format!("127.0.0.1:{from}"),
            format!("127.0.0.1:{closed}"),
            "- (SYN)"
        ),
        "{out}"
    );
    assert!(rows[1..].iter().all(|l| l.starts_with('\t')), "{out}");
    assert!(rows.iter().any(|l| l.starts_with("\ttcp_v4_rcv+")), "{out}");
    assert!(
        rows.iter().any(|l| l.starts_with("\ttcp_v4_connect+")),
        "{out}"
    );
    // The client's FIN, purged from the server's closed socket.
    let rows = block(&out, &fin);
    let f: Vec<&str> = rows[0].split_whitespace().collect();
    let server = format!("127.0.0.1:{}", s.server_port);
    assert_eq!(
        f[2..],
        [
            "4",
            fin.trim_end(),
            ">",
            server.as_str(),
            "CLOSE",
            "(FIN|ACK)",
            "QUEUE_PURGE",
            f[9]
        ],
        "{out}"
    );
    assert!(f[9].starts_with('(') && f[9].ends_with(')'), "{out}");
    assert!(rows.iter().any(|l| l.starts_with("\ttcp_fin+")), "{out}");
}

#[test]
fn ipv6_as_json() {
    require_root!();
    let _g = serial();
    if !has_ipv6_loopback() {
        eprintln!("skipped: no IPv6 loopback");
        return;
    }
    let mut t = Tool::attached(&["tcpdrop", "-6", "--json"], "");
    let ip = lo(true);
    with_closed_port(lo(false), |p| refused(lo(false), p, "td-v4"));
    let (closed, from) = with_closed_port(ip, |p| (p, refused(ip, p, "td-refused6")));
    let needle = format!("\"saddr\": \"::1:{from}\"");
    t.expect_line("IPv6 SYN drop", |l| l.contains(&needle));
    std::thread::sleep(Duration::from_millis(200));
    let out = t.stop();
    out.assert_ok();
    let objects = ipv6_objects(
        &out,
        &[
            "time", "pid", "ip", "saddr", "daddr", "state", "reason", "stack",
        ],
    );
    let (_, j) = objects.iter().find(|(l, _)| l.contains(&needle)).unwrap();
    assert_eq!(j.get("pid").unwrap().num(), Some(std::process::id() as f64));
    assert_eq!(
        j.get("daddr").unwrap().str(),
        Some(format!("::1:{closed}").as_str())
    );
    assert_eq!(j.get("state").unwrap().str(), Some("- (SYN)"));
    assert_eq!(j.get("reason").unwrap().str(), Some("NO_SOCKET (3)"));
    let Some(Json::Arr(stack)) = j.get("stack") else {
        panic!("no stack: {out}");
    };
    assert!(
        stack
            .iter()
            .any(|f| f.str().is_some_and(|f| f.starts_with("tcp_v6_rcv+"))),
        "{out}"
    );
}
