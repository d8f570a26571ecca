//! `scry tool tcpaccept`: connections the test accepts on loopback in a
//! thread with a name of our own; the rows must name our pid, that
//! thread, the client's port and the listener's. Unix-socket accepts are
//! not TCP. -T/-t, -P, -p, -4/-6, --json.

mod tools_support;

use std::os::unix::net::{UnixListener, UnixStream};
use std::time::Duration;
use tools_support::net::*;
use tools_support::*;

/// The rows of our process, split on whitespace.
fn ours(out: &Output) -> Vec<Vec<String>> {
    let pid = std::process::id().to_string();
    out.lines()
        .iter()
        .map(|l| l.split_whitespace().map(String::from).collect::<Vec<_>>())
        .filter(|f| f.contains(&pid))
        .collect()
}

/// An accept() on a Unix socket, in a thread named `tcpa-unix`.
fn unix_accept() {
    let dir = TempDir::new("tcpaccept");
    let path = dir.join("sock");
    let l = UnixListener::bind(&path).unwrap();
    let _c = UnixStream::connect(&path).unwrap();
    std::thread::Builder::new()
        .name("tcpa-unix".into())
        .spawn(move || l.accept().map(|_| ()))
        .unwrap()
        .join()
        .unwrap()
        .unwrap();
}

#[test]
fn accepts_with_times() {
    require_root!();
    let _g = serial();
    let mut t = Tool::attached(&["tcpaccept", "-T", "-t"], "TIME");
    unix_accept();
    let s = session(lo(false), "tcpa-client", "tcpa-server", 10, 10);
    let want = format!(" {}", s.server_port);
    t.expect_line("accept", |l| l.ends_with(&want));
    std::thread::sleep(Duration::from_millis(200));
    let out = t.stop();
    out.assert_ok();
    assert_eq!(
        out.lines()[0],
        "TIME     TIME(s)  PID     COMM         IP RADDR            RPORT LADDR            LPORT",
        "{out}"
    );
    let rows = ours(&out);
    assert_eq!(
        rows.len(),
        1,
        "one accept of ours, and not the Unix one:\n{out}"
    );
    let row = &rows[0];
    assert_eq!(row[0].len(), 8, "HH:MM:SS: {row:?}");
    assert!(row[1].parse::<f64>().is_ok(), "{row:?}");
    let pid = std::process::id().to_string();
    let (client, server) = (s.client_port.to_string(), s.server_port.to_string());
    assert_eq!(
        row[2..],
        [
            &pid,
            "tcpa-server",
            "4",
            "127.0.0.1",
            &client,
            "127.0.0.1",
            &server
        ]
        .map(String::from)[..],
        "{out}"
    );
}

#[test]
fn port_and_pid_filters() {
    require_root!();
    let _g = serial();
    // -P: the port of a listener made before the tool starts.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let mut t = Tool::attached(&["tcpaccept", "-P", &format!("{port},1")], "PID");
    let other = session(lo(false), "tcpa-c1", "tcpa-other", 1, 1);
    let c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let client = c.local_addr().unwrap().port();
    std::thread::Builder::new()
        .name("tcpa-wanted".into())
        .spawn(move || l.accept().map(|_| ()))
        .unwrap()
        .join()
        .unwrap()
        .unwrap();
    t.expect_line("accept on the -P port", |l| l.contains("tcpa-wanted"));
    std::thread::sleep(Duration::from_millis(200));
    let out = t.stop();
    out.assert_ok();
    let rows = ours(&out);
    assert_eq!(rows.len(), 1, "{out}");
    assert_eq!(rows[0][4], client.to_string(), "{out}");
    assert_eq!(rows[0][6], port.to_string(), "{out}");
    assert!(
        !out.stdout.contains(&other.server_port.to_string()),
        "{out}"
    );
    // Another pid: nothing of ours.
    let out = run_filtered_out(&["tcpaccept", "-p", "1"], "PID", || {
        session(lo(false), "tcpa-c2", "tcpa-server", 1, 1);
    });
    assert!(ours(&out).is_empty(), "-p 1 shows our accepts:\n{out}");
}

#[test]
fn ipv6_as_json() {
    require_root!();
    let _g = serial();
    if !has_ipv6_loopback() {
        eprintln!("skipped: no IPv6 loopback");
        return;
    }
    let mut t = Tool::attached(&["tcpaccept", "-6", "--json"], "");
    let s4 = session(lo(false), "tcpa-c4", "tcpa-srv4", 1, 1);
    let s = session(lo(true), "tcpa-c6", "tcpa-srv6", 1, 1);
    let needle = format!("\"lport\": {}}}", s.server_port);
    t.expect_line("IPv6 accept", |l| l.ends_with(&needle));
    std::thread::sleep(Duration::from_millis(200));
    let out = t.stop();
    out.assert_ok();
    let objects = ipv6_objects(
        &out,
        &["pid", "comm", "ip", "raddr", "rport", "laddr", "lport"],
    );
    for (_, j) in &objects {
        assert_ne!(j.get("lport").unwrap().num(), Some(s4.server_port as f64));
    }
    let (_, j) = objects.iter().find(|(l, _)| l.ends_with(&needle)).unwrap();
    assert_eq!(j.get("pid").unwrap().num(), Some(std::process::id() as f64));
    assert_eq!(j.get("comm").unwrap().str(), Some("tcpa-srv6"));
    assert_eq!(j.get("raddr").unwrap().str(), Some("::1"));
    assert_eq!(j.get("laddr").unwrap().str(), Some("::1"));
    assert_eq!(j.get("rport").unwrap().num(), Some(s.client_port as f64));
}
