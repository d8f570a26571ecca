//! `scry tool tcplife`: sessions the test runs on loopback between two
//! threads with names of our own, with known byte counts; the server
//! closes first. Each socket's row must name its thread (the server's
//! too, though its socket closes while the client is on the CPU), its
//! ports and its kilobytes. -T/-t, -w, -L/-D, -p, -4/-6, --json.

mod tools_support;

use std::time::Duration;
use tools_support::net::*;
use tools_support::*;

const UP: usize = 300_000;
const DOWN: usize = 100_000;

/// The rows of our process, split on whitespace.
fn ours(out: &Output) -> Vec<Vec<String>> {
    let pid = std::process::id().to_string();
    out.lines()
        .iter()
        .map(|l| l.split_whitespace().map(String::from).collect::<Vec<_>>())
        .filter(|f| f.contains(&pid))
        .collect()
}

#[test]
fn sessions_with_bytes_and_threads() {
    require_root!();
    let _g = serial();
    let mut t = Tool::attached(&["tcplife", "-T", "-t"], "TIME");
    let ip = lo(false);
    let s = session(ip, "tl-client", "tl-server", UP, DOWN);
    let (closed, refused_from) = with_closed_port(ip, |p| (p, refused(ip, p, "tl-refused")));
    let want = format!(" {closed} ");
    t.expect_line("refused session", |l| l.contains(&want));
    std::thread::sleep(Duration::from_millis(200));
    let out = t.stop();
    out.assert_ok();
    assert_eq!(
        out.lines()[0],
        "TIME     TIME(s)   PID   COMM       LADDR           LPORT RADDR           RPORT TX_KB RX_KB MS",
        "{out}"
    );
    let pid = std::process::id().to_string();
    let rows = ours(&out);
    let row = |lport: u16| {
        rows.iter()
            .find(|r| r[5] == lport.to_string())
            .unwrap_or_else(|| panic!("no session from port {lport}:\n{out}"))
            .clone()
    };
    let (c, sv) = (s.client_port.to_string(), s.server_port.to_string());
    let (up, down) = ((UP / 1024).to_string(), (DOWN / 1024).to_string());
    // TIME TIME(s) PID COMM LADDR LPORT RADDR RPORT TX_KB RX_KB MS
    let client = row(s.client_port);
    assert_eq!(client[0].len(), 8, "{client:?}");
    assert!(
        client[1].split_once('.').unwrap().1.len() == 6,
        "{client:?}"
    );
    let lo = "127.0.0.1";
    assert_eq!(
        client[2..10],
        [&pid, "tl-client", lo, &c, lo, &sv, &up, &down]
    );
    let server = row(s.server_port);
    assert_eq!(
        server[2..10],
        [&pid, "tl-server", lo, &sv, lo, &c, &down, &up]
    );
    for r in [&client, &server] {
        let ms: f64 = r[10].parse().unwrap();
        assert!(ms > 0.0 && ms < 10_000.0, "{r:?}");
        assert_eq!(r[10].split_once('.').unwrap().1.len(), 2, "{r:?}");
    }
    let refused = row(refused_from);
    assert_eq!(refused[3], "tl-refused");
    assert_eq!(refused[8..10], ["0", "0"]);
    assert_eq!(rows.len(), 3, "{out}");
}

#[test]
fn port_and_pid_filters() {
    require_root!();
    let _g = serial();
    let ip = lo(false);
    // -L and -D: a closed port as the remote port, another as the local.
    let (a, b) = with_closed_port(ip, |a| with_closed_port(ip, |b| (a, b)));
    let pid = std::process::id().to_string();
    let mut t = Tool::attached(&["tcplife", "-D", &format!("1,{a}"), "-p", &pid], "PID");
    session(ip, "tl-c1", "tl-s1", 10, 10);
    refused(ip, a, "tl-wanted");
    refused(ip, b, "tl-other");
    t.expect_line("session to the -D port", |l| l.contains("tl-wanted"));
    std::thread::sleep(Duration::from_millis(300));
    let out = t.stop();
    out.assert_ok();
    assert_eq!(out.lines().len(), 2, "only the -D port:\n{out}");
    // -L: the listener's port, so the server side of one session.
    let l = std::net::TcpListener::bind((ip, 0)).unwrap();
    let port = l.local_addr().unwrap().port();
    let mut t = Tool::attached(&["tcplife", "-L", &format!("{port}")], "PID");
    session(ip, "tl-c2", "tl-s2", 10, 10);
    let s = session_on(l, "tl-c3", "tl-s3", 10, 10);
    t.expect_line("session on the -L port", |l| l.contains("tl-s3"));
    std::thread::sleep(Duration::from_millis(300));
    let out = t.stop();
    out.assert_ok();
    let rows = ours(&out);
    assert_eq!(rows.len(), 1, "{out}");
    assert_eq!(
        rows[0][1..6],
        [
            "tl-s3",
            "127.0.0.1",
            &port.to_string(),
            "127.0.0.1",
            &s.client_port.to_string()
        ]
    );
    // Another pid: nothing of ours.
    let out = run_filtered_out(&["tcplife", "-p", "1"], "PID", || {
        session(ip, "tl-c4", "tl-s4", 10, 10);
    });
    assert!(ours(&out).is_empty(), "-p 1 shows our sessions:\n{out}");
}

#[test]
fn ipv6_wide_as_json_and_text() {
    require_root!();
    let _g = serial();
    if !has_ipv6_loopback() {
        eprintln!("skipped: no IPv6 loopback");
        return;
    }
    let mut j = Tool::attached(&["tcplife", "-6", "-w", "--json"], "");
    let mut t = Tool::attached(&["tcplife", "-w"], "PID");
    session(lo(false), "tl-c4", "tl-s4", 1, 1);
    let s = session(lo(true), "tl-client6", "tl-server6", UP, DOWN);
    let needle = format!("\"lport\": {},", s.client_port);
    j.expect_line("IPv6 session", |l| l.contains(&needle));
    t.expect_line("IPv6 session", |l| l.contains("tl-client6"));
    std::thread::sleep(Duration::from_millis(200));
    let (out, text) = (j.stop(), t.stop());
    out.assert_ok();
    text.assert_ok();
    let objects = ipv6_objects(
        &out,
        &[
            "pid", "comm", "ip", "laddr", "lport", "raddr", "rport", "tx_kb", "rx_kb", "ms",
        ],
    );
    let (_, j) = objects.iter().find(|(l, _)| l.contains(&needle)).unwrap();
    assert_eq!(j.get("pid").unwrap().num(), Some(std::process::id() as f64));
    assert_eq!(j.get("comm").unwrap().str(), Some("tl-client6"));
    assert_eq!(j.get("laddr").unwrap().str(), Some("::1"));
    assert_eq!(j.get("rport").unwrap().num(), Some(s.server_port as f64));
    assert_eq!(j.get("tx_kb").unwrap().num(), Some((UP / 1024) as f64));
    assert_eq!(j.get("rx_kb").unwrap().num(), Some((DOWN / 1024) as f64));
    // -w: BCC's wide columns.
    let lines = text.lines();
    assert_eq!(
        lines[0],
        format!(
            "PID   COMM             IP {:<39} LPORT {:<39} RPORT  TX_KB  RX_KB MS",
            "LADDR", "RADDR"
        )
    );
    let row = lines.iter().find(|l| l.contains("tl-client6")).unwrap();
    let expect = format!(
        "{:<5} {:<16} 6  {:<39} {:<5} {:<39} {:<5} {:>6} {:>6} ",
        std::process::id(),
        "tl-client6",
        "::1",
        s.client_port,
        "::1",
        s.server_port,
        UP / 1024,
        DOWN / 1024
    );
    assert!(row.starts_with(&expect), "{row}\n{expect}");
}

/// -s: BCC's comma separated values (here with -T -t): the IP column,
/// whole thread names (longer than the 10 of the text columns), no
/// padding.
#[test]
fn csv_with_times() {
    require_root!();
    let _g = serial();
    let pid = std::process::id().to_string();
    let mut t = Tool::attached(&["tcplife", "-s", "-T", "-t", "-p", &pid], "TIME,");
    let s = session(lo(false), "tl-csv-client", "tl-csv-server", UP, DOWN);
    t.expect_line("server session", |l| l.contains(",tl-csv-server,"));
    t.expect_line("client session", |l| l.contains(",tl-csv-client,"));
    let out = t.stop();
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(
        lines[0], "TIME,TIME(s),PID,COMM,IP,LADDR,LPORT,RADDR,RPORT,TX_KB,RX_KB,MS",
        "{out}"
    );
    let fields = |comm: &str| -> Vec<String> {
        let row = lines.iter().find(|l| l.contains(&format!(",{comm},")));
        row.unwrap().split(',').map(String::from).collect()
    };
    let (c, sv) = (s.client_port.to_string(), s.server_port.to_string());
    let (up, down) = ((UP / 1024).to_string(), (DOWN / 1024).to_string());
    let lo = "127.0.0.1";
    for (comm, from, to, tx, rx) in [
        ("tl-csv-client", &c, &sv, &up, &down),
        ("tl-csv-server", &sv, &c, &down, &up),
    ] {
        let f = fields(comm);
        assert_eq!(f.len(), 12, "{out}");
        assert_eq!(f[0].len(), 8, "{out}");
        assert_eq!(f[1].split_once('.').unwrap().1.len(), 6, "{out}");
        assert_eq!(
            f[2..11],
            [&pid, comm, "4", lo, from, lo, to, tx, rx],
            "{out}"
        );
        assert_eq!(f[11].split_once('.').unwrap().1.len(), 2, "{out}");
    }
}
