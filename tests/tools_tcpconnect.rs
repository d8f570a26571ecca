//! `scry tool tcpconnect`: connections the test makes on loopback from
//! threads with names of our own, to its own listener and to a closed
//! port; the rows must name our pid, thread, addresses and ports.
//! -t -U, -P, -p, -L, -4/-6, --json, -c, -d.

mod tools_support;

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

#[test]
fn connects_and_refusals_with_timestamps_and_uids() {
    require_root!();
    let _g = serial();
    let mut t = Tool::attached(&["tcpconnect", "-t", "-U"], "TIME(s)");
    let ip = lo(false);
    let s = session(ip, "tcpc-client", "tcpc-server", 100, 100);
    let closed = with_closed_port(ip, |port| {
        refused(ip, port, "tcpc-refused");
        port
    });
    let want = format!(" {closed}");
    t.expect_line("refused connect", |l| l.ends_with(&want));
    let out = t.stop();
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(lines[0], "Tracing connect ... Hit Ctrl-C to end", "{out}");
    assert_eq!(
        lines[1],
        "TIME(s)  UID   PID     COMM         IP SADDR            DADDR            DPORT"
    );
    let pid = std::process::id().to_string();
    let rows = ours(&out);
    // TIME(s) UID PID COMM IP SADDR DADDR DPORT
    let expect = |comm: &str, port: u16| {
        let row = rows
            .iter()
            .find(|r| r[7] == port.to_string())
            .unwrap_or_else(|| panic!("no connect to {port}:\n{out}"));
        assert!(row[0].parse::<f64>().is_ok(), "{row:?}");
        assert_eq!(
            row[1..7],
            ["0", &pid, comm, "4", "127.0.0.1", "127.0.0.1"].map(String::from)[..],
            "{row:?}"
        );
    };
    expect("tcpc-client", s.server_port);
    expect("tcpc-refused", closed);
    // Exactly one row per connect of ours (not one per state change).
    assert_eq!(rows.len(), 2, "{out}");
}

#[test]
fn port_and_pid_filters() {
    require_root!();
    let _g = serial();
    let ip = lo(false);
    with_closed_port(ip, |closed| {
        with_closed_port(ip, |other| {
            let pid = std::process::id().to_string();
            let port = closed.to_string();
            let mut t = Tool::attached(
                &["tcpconnect", "-P", &format!("1,{port}"), "-p", &pid],
                "PID",
            );
            refused(ip, other, "tcpc-other");
            refused(ip, closed, "tcpc-wanted");
            t.expect_line("connect to the -P port", |l| l.contains("tcpc-wanted"));
            std::thread::sleep(Duration::from_millis(200));
            let out = t.stop();
            out.assert_ok();
            assert_eq!(out.lines().len(), 3, "only the -P port:\n{out}");
            let rows = ours(&out);
            assert_eq!(
                rows[0][..],
                [
                    pid.as_str(),
                    "tcpc-wanted",
                    "4",
                    "127.0.0.1",
                    "127.0.0.1",
                    port.as_str()
                ]
            );
            // Another pid: nothing of ours.
            let out = run_filtered_out(&["tcpconnect", "-p", "1"], "PID", || {
                refused(ip, closed, "tcpc-wanted");
            });
            assert!(ours(&out).is_empty(), "-p 1 shows our connects:\n{out}");
        })
    });
}

#[test]
fn local_ports_with_l_as_json_over_ipv6() {
    require_root!();
    let _g = serial();
    if !has_ipv6_loopback() {
        eprintln!("skipped: no IPv6 loopback");
        return;
    }
    let mut t = Tool::attached(&["tcpconnect", "-L", "-6", "--json"], "");
    let s4 = session(lo(false), "tcpc-v4", "tcpc-srv4", 10, 10);
    let s = session(lo(true), "tcpc-v6", "tcpc-srv6", 10, 10);
    let needle = format!("\"dport\": {}}}", s.server_port);
    t.expect_line("IPv6 connect", |l| l.ends_with(&needle));
    std::thread::sleep(Duration::from_millis(200));
    let out = t.stop();
    out.assert_ok();
    let objects = ipv6_objects(
        &out,
        &["pid", "comm", "ip", "saddr", "lport", "daddr", "dport"],
    );
    for (_, j) in &objects {
        assert_ne!(j.get("dport").unwrap().num(), Some(s4.server_port as f64));
    }
    let (_, j) = objects.iter().find(|(l, _)| l.ends_with(&needle)).unwrap();
    assert_eq!(j.get("pid").unwrap().num(), Some(std::process::id() as f64));
    assert_eq!(j.get("comm").unwrap().str(), Some("tcpc-v6"));
    assert_eq!(j.get("saddr").unwrap().str(), Some("::1"));
    assert_eq!(j.get("daddr").unwrap().str(), Some("::1"));
    assert_eq!(j.get("lport").unwrap().num(), Some(s.client_port as f64));
}

#[test]
fn bad_port_list_is_one_line() {
    require_root!();
    let out = run_tool(&["tcpconnect", "-P", "80,http"]);
    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(
        out.stderr, "tcpconnect: invalid port 'http' in '80,http'\n",
        "{out}"
    );
}

/// -c: connects counted per source, destination and port, printed at
/// Ctrl-C in BCC's table, most first; -p keeps other processes out.
#[test]
fn counts_at_the_end() {
    require_root!();
    let _g = serial();
    let ip = lo(false);
    let pid = std::process::id().to_string();
    with_closed_port(ip, |a| {
        with_closed_port(ip, |b| {
            let mut t = Tool::attached(&["tcpconnect", "-c", "-p", &pid], "Tracing connect");
            refused(ip, b, "tcpc-once");
            for _ in 0..3 {
                refused(ip, a, "tcpc-thrice");
            }
            // Counted in the kernel: nothing is printed before the end.
            std::thread::sleep(Duration::from_millis(200));
            assert_eq!(t.stdout(), "Tracing connect ... Hit Ctrl-C to end\n");
            let out = t.stop();
            out.assert_ok();
            let lines = out.lines();
            assert_eq!(lines[1], "", "{out}");
            assert_eq!(
                lines[2],
                "LADDR                     RADDR                     RPORT                CONNECTS",
                "{out}"
            );
            let rows: Vec<Vec<&str>> = lines[3..]
                .iter()
                .map(|l| l.split_whitespace().collect())
                .collect();
            assert_eq!(
                rows,
                [
                    ["127.0.0.1", "127.0.0.1", &a.to_string(), "3"],
                    ["127.0.0.1", "127.0.0.1", &b.to_string(), "1"]
                ],
                "{out}"
            );
        })
    });
}

/// Runs `bin` in a mount namespace of its own where /etc/hosts is `hosts`:
/// names only this process resolves, without touching the machine's file.
fn run_with_hosts(bin: &std::path::Path, hosts: &std::path::Path, args: &[String]) {
    use std::ffi::CString;
    use std::os::unix::process::CommandExt;
    let src = CString::new(hosts.to_str().unwrap()).unwrap();
    let mut cmd = std::process::Command::new(bin);
    cmd.args(args);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let target = c"/etc/hosts";
            if libc::unshare(libc::CLONE_NEWNS) != 0
                || libc::mount(
                    c"none".as_ptr(),
                    c"/".as_ptr(),
                    std::ptr::null(),
                    libc::MS_REC | libc::MS_PRIVATE,
                    std::ptr::null(),
                ) != 0
                || libc::mount(
                    src.as_ptr(),
                    target.as_ptr(),
                    std::ptr::null(),
                    libc::MS_BIND,
                    std::ptr::null(),
                ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let st = cmd.status().expect("run the connector");
    assert!(st.success(), "connector failed");
}

/// -d: each connect shows the name its address was looked up as
/// (getaddrinfo() of names in a hosts file of the test's own), "No DNS
/// Query" for an address given as a number, and -d refuses -c.
#[test]
fn dns_query_of_each_connect() {
    require_root!();
    let dir = TempDir::new("dns");
    let Some(bin) = compile_fixture(&dir, "connector.c", &[]) else {
        return;
    };
    let _g = serial();
    let id = std::process::id();
    let (v4, v6) = (format!("scry-v4-{id}"), format!("scry-v6-{id}"));
    let hosts = dir.join("hosts");
    std::fs::write(&hosts, format!("127.0.0.7 {v4}\n::1 {v6}\n")).unwrap();
    let ip = lo(false);
    with_closed_port(ip, |port| {
        let mut t = Tool::attached(&["tcpconnect", "-d"], "PID");
        let args = [port.to_string(), v4.clone(), v6.clone(), "127.0.0.9".into()];
        run_with_hosts(&bin, &hosts, &args);
        t.expect_line("the numeric connect", |l| l.contains(" 127.0.0.9 "));
        let out = t.stop();
        out.assert_ok();
        let lines = out.lines();
        assert_eq!(
            lines[1], "PID     COMM         IP SADDR            DADDR            DPORT  QUERY",
            "{out}"
        );
        let rows: Vec<Vec<&str>> = lines
            .iter()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .filter(|f| f.get(1) == Some(&"connector"))
            .collect();
        let p = port.to_string();
        let row = |daddr: &str| -> Vec<&str> {
            let r = rows.iter().find(|r| r[4] == daddr);
            let r = r.unwrap_or_else(|| panic!("no connect to {daddr}:\n{out}"));
            assert_eq!(r[5], p, "{out}");
            r[6..].to_vec()
        };
        assert_eq!(row("127.0.0.7"), [v4.as_str()], "{out}");
        assert_eq!(row("::1"), [v6.as_str()], "{out}");
        assert_eq!(row("127.0.0.9"), ["No", "DNS", "Query"], "{out}");
        assert_eq!(rows.len(), 3, "{out}");
    });
    let out = run_tool(&["tcpconnect", "-d", "-c"]);
    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(
        out.stderr, "tcpconnect: -d cannot be used with -c\n",
        "{out}"
    );
}
