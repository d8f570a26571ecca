//! `scry tool tcpstates`: a session the test runs on loopback between
//! two threads with names of our own (the server closes first); each
//! socket's rows must follow TCP's state machine, name the thread that
//! made the change in a system call, and keep one SKADDR per socket.
//! -T/-t, -w, -L/-D, -4/-6, --json, -Y.

mod tools_support;

use std::time::Duration;
use tools_support::net::*;
use tools_support::*;

/// The rows, split on whitespace.
fn rows_of(out: &Output) -> Vec<Vec<String>> {
    out.lines()
        .iter()
        .skip(1)
        .map(|l| l.split_whitespace().map(String::from).collect())
        .collect()
}

/// The (old, new) states of the rows `pick` selects, and their SKADDRs.
fn transitions(rows: &[Vec<String>], pick: impl Fn(&[String]) -> bool) -> (Vec<String>, Vec<&str>) {
    // SKADDR C-PID C-COMM LADDR LPORT RADDR RPORT OLD -> NEW MS
    let mine: Vec<&Vec<String>> = rows.iter().filter(|r| pick(r)).collect();
    let states = mine.iter().map(|r| format!("{}>{}", r[7], r[9])).collect();
    let addrs = mine.iter().map(|r| r[0].as_str()).collect();
    (states, addrs)
}

/// Runs tcpstates with `args` over a loopback session between threads of
/// these names (`bytes` each way), until the client's socket has closed;
/// returns the running tool and the client's and server's ports.
fn until_client_closes(
    args: &[&str],
    client: &str,
    server: &str,
    bytes: usize,
) -> (Tool, String, String) {
    let mut t = Tool::attached(args, "SKADDR");
    let s = session(lo(false), client, server, bytes, bytes);
    let (c, sv) = (s.client_port.to_string(), s.server_port.to_string());
    let done = format!(" {c:<5} 127.0.0.1       {sv:<5} LAST_ACK    -> CLOSE ");
    t.expect_line("the client's CLOSE", |l| l.contains(&done));
    (t, c, sv)
}

#[test]
fn a_session_follows_the_state_machine() {
    require_root!();
    let _g = serial();
    let (mut t, c, sv) = until_client_closes(&["tcpstates"], "ts-client", "ts-server", 1000);
    std::thread::sleep(Duration::from_millis(200));
    let out = t.stop();
    out.assert_ok();
    assert_eq!(
        out.lines()[0],
        "SKADDR           C-PID C-COMM     LADDR           LPORT RADDR           RPORT OLDSTATE    -> NEWSTATE    MS",
        "{out}"
    );
    let rows = rows_of(&out);
    for r in &rows {
        assert_eq!(r.len(), 11, "{r:?}");
        assert!(u64::from_str_radix(&r[0], 16).is_ok(), "{r:?}");
        assert_eq!(r[8], "->");
        assert_eq!(r[10].split_once('.').unwrap().1.len(), 3, "{r:?}");
    }
    // The client's socket: its local port is 0 until connect() picks one.
    let (client, addrs) = transitions(&rows, |r| {
        r[6] == sv && (r[4] == c || r[4] == "0") && r[3] == "127.0.0.1"
    });
    assert_eq!(
        client,
        [
            "CLOSE>SYN_SENT",
            "SYN_SENT>ESTABLISHED",
            "ESTABLISHED>CLOSE_WAIT",
            "CLOSE_WAIT>LAST_ACK",
            "LAST_ACK>CLOSE"
        ],
        "{out}"
    );
    assert!(addrs.iter().all(|a| *a == addrs[0]), "{out}");
    let (server, addrs) = transitions(&rows, |r| r[4] == sv && r[6] == c);
    assert_eq!(
        server,
        [
            "LISTEN>SYN_RECV",
            "SYN_RECV>ESTABLISHED",
            "ESTABLISHED>FIN_WAIT1",
            "FIN_WAIT1>FIN_WAIT2",
            "FIN_WAIT2>CLOSE"
        ],
        "{out}"
    );
    assert!(addrs.iter().all(|a| *a == addrs[0]), "{out}");
    // Changes made by a thread's system call name it.
    let pid = std::process::id().to_string();
    let by = |old: &str, new: &str| {
        rows.iter()
            .find(|r| (r[4] == c || r[4] == sv || r[4] == "0") && r[7] == old && r[9] == new)
            .map(|r| (r[1].clone(), r[2].clone()))
            .unwrap()
    };
    assert_eq!(by("CLOSE", "SYN_SENT"), (pid.clone(), "ts-client".into()));
    assert_eq!(
        by("ESTABLISHED", "FIN_WAIT1"),
        (pid.clone(), "ts-server".into())
    );
    assert_eq!(by("CLOSE_WAIT", "LAST_ACK"), (pid, "ts-client".into()));
    // The first change of a socket seen has no time in the old state.
    let first = rows
        .iter()
        .find(|r| r[7] == "CLOSE" && r[9] == "SYN_SENT" && r[6] == sv);
    assert_eq!(first.unwrap()[10], "0.000");
}

#[test]
fn port_filters_and_times() {
    require_root!();
    let _g = serial();
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port().to_string();
    let mut t = Tool::attached(
        &["tcpstates", "-T", "-t", "-L", &format!("1,{port}")],
        "TIME",
    );
    session(lo(false), "ts-c1", "ts-s1", 10, 10);
    let s = session_on(l, "ts-c2", "ts-s2", 10, 10);
    t.expect_line("the server's CLOSE", |l| l.contains("FIN_WAIT2   -> CLOSE"));
    std::thread::sleep(Duration::from_millis(200));
    let out = t.stop();
    out.assert_ok();
    let rows = rows_of(&out);
    // TIME TIME(s) SKADDR C-PID C-COMM LADDR LPORT ...
    assert!(
        rows.iter().all(|r| r[6] == port),
        "-L shows other ports:\n{out}"
    );
    assert!(
        rows.iter().any(|r| r[8] == s.client_port.to_string()),
        "{out}"
    );
    assert!(rows
        .iter()
        .all(|r| r[0].len() == 8 && r[1].split_once('.').unwrap().1.len() == 6));
    // -D: the client's side.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port().to_string();
    let mut t = Tool::attached(&["tcpstates", "-D", &port], "SKADDR");
    session(lo(false), "ts-c3", "ts-s3", 10, 10);
    session_on(l, "ts-c4", "ts-s4", 10, 10);
    t.expect_line("the client's CLOSE", |l| l.contains("LAST_ACK    -> CLOSE"));
    std::thread::sleep(Duration::from_millis(200));
    let out = t.stop();
    out.assert_ok();
    let rows = rows_of(&out);
    assert_eq!(rows.len(), 5, "{out}");
    assert!(
        rows.iter().all(|r| r[6] == port),
        "-D shows other ports:\n{out}"
    );
}

#[test]
fn ipv6_wide_as_json() {
    require_root!();
    let _g = serial();
    if !has_ipv6_loopback() {
        eprintln!("skipped: no IPv6 loopback");
        return;
    }
    let mut t = Tool::attached(&["tcpstates", "-6", "-w", "--json"], "");
    let s4 = session(lo(false), "ts-c4", "ts-s4", 1, 1);
    let s = session(lo(true), "ts-client6", "ts-server6", 1, 1);
    let needle = format!(
        "\"lport\": {}, \"raddr\": \"::1\", \"rport\": {}, \"oldstate\": \"CLOSE_WAIT\"",
        s.client_port, s.server_port
    );
    t.expect_line("IPv6 close()", |l| l.contains(&needle));
    std::thread::sleep(Duration::from_millis(200));
    let out = t.stop();
    out.assert_ok();
    let objects = ipv6_objects(
        &out,
        &[
            "skaddr", "pid", "comm", "ip", "laddr", "lport", "raddr", "rport", "oldstate",
            "newstate", "ms",
        ],
    );
    for (_, j) in &objects {
        assert_ne!(j.get("rport").unwrap().num(), Some(s4.server_port as f64));
    }
    let (_, j) = objects.iter().find(|(l, _)| l.contains(&needle)).unwrap();
    assert_eq!(j.get("comm").unwrap().str(), Some("ts-client6"));
    assert_eq!(j.get("laddr").unwrap().str(), Some("::1"));
    assert_eq!(j.get("newstate").unwrap().str(), Some("LAST_ACK"));
}

/// -s: BCC's comma separated values: the IP column, whole thread names
/// (longer than the 10 of the text columns), no `->`, no padding.
#[test]
fn csv_rows() {
    require_root!();
    let _g = serial();
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port().to_string();
    let mut t = Tool::attached(&["tcpstates", "-s", "-L", &port], "SKADDR,");
    let s = session_on(l, "ts-csv-client", "ts-csv-server", 10, 10);
    t.expect_line("the server's CLOSE", |l| l.contains(",FIN_WAIT2,CLOSE,"));
    let out = t.stop();
    out.assert_ok();
    let lines = out.lines();
    assert_eq!(
        lines[0], "SKADDR,C-PID,C-COMM,IP,LADDR,LPORT,RADDR,RPORT,OLDSTATE,NEWSTATE,MS",
        "{out}"
    );
    let c = s.client_port.to_string();
    // The accepted socket's rows (not the listener's LISTEN -> CLOSE).
    let rows: Vec<Vec<&str>> = lines[1..]
        .iter()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|r| r.get(7) == Some(&c.as_str()))
        .collect();
    let lo = "127.0.0.1";
    for r in &rows {
        assert_eq!(r.len(), 11, "{out}");
        assert!(u64::from_str_radix(r[0], 16).is_ok(), "{out}");
        assert_eq!(r[3..8], ["4", lo, &port, lo, &c], "{out}");
        assert_eq!(r[10].split_once('.').unwrap().1.len(), 3, "{out}");
    }
    let states: Vec<String> = rows.iter().map(|r| format!("{}>{}", r[8], r[9])).collect();
    assert_eq!(
        states,
        [
            "LISTEN>SYN_RECV",
            "SYN_RECV>ESTABLISHED",
            "ESTABLISHED>FIN_WAIT1",
            "FIN_WAIT1>FIN_WAIT2",
            "FIN_WAIT2>CLOSE"
        ],
        "{out}"
    );
    let pid = std::process::id().to_string();
    let close = rows.iter().find(|r| r[9] == "FIN_WAIT1").unwrap();
    assert_eq!(close[1..3], [pid.as_str(), "ts-csv-server"], "{out}");
}

/// A journald socket of the test's own at journald's path, while no
/// journald listens there (removed on drop, with the directories made).
/// A thread reads it as journald would, so that writers never wait.
struct JournalSocket {
    reader: Option<std::thread::JoinHandle<Vec<Vec<String>>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    made: Vec<std::path::PathBuf>,
}

impl JournalSocket {
    fn bind() -> Option<JournalSocket> {
        let path = std::path::Path::new("/run/systemd/journal/socket");
        if path.exists() {
            return None;
        }
        let mut made = Vec::new();
        for dir in ["/run/systemd", "/run/systemd/journal"] {
            if std::fs::create_dir(dir).is_ok() {
                made.push(dir.into());
            }
        }
        let sock = std::os::unix::net::UnixDatagram::bind(path).expect("bind the socket");
        made.push(path.into());
        sock.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let done = stop.clone();
        let reader = std::thread::spawn(move || {
            let mut out = Vec::new();
            let mut buf = vec![0u8; 65536];
            loop {
                match sock.recv(&mut buf) {
                    Ok(n) => {
                        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                        out.push(text.lines().map(String::from).collect());
                    }
                    Err(_) if done.load(std::sync::atomic::Ordering::SeqCst) => return out,
                    Err(_) => {}
                }
            }
        });
        Some(JournalSocket {
            reader: Some(reader),
            stop,
            made,
        })
    }

    /// The entries received, each as its KEY=value lines.
    fn entries(&mut self) -> Vec<Vec<String>> {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let reader = self.reader.take();
        reader.map(|r| r.join().unwrap()).unwrap_or_default()
    }
}

impl Drop for JournalSocket {
    fn drop(&mut self) {
        self.entries();
        for p in self.made.iter().rev() {
            let _ = std::fs::remove_file(p).or_else(|_| std::fs::remove_dir(p));
        }
    }
}

/// -Y: each change is also a journal entry with BCC's fields; without a
/// journal to write to, -Y is refused before tracing starts.
#[test]
fn journal_entries() {
    require_root!();
    let _g = serial();
    let Some(mut journal) = JournalSocket::bind() else {
        eprintln!("skipped: a journald already listens on /run/systemd/journal/socket");
        return;
    };
    let (mut t, c, sv) = until_client_closes(&["tcpstates", "-Y"], "ts-journal", "ts-jserver", 100);
    let out = t.stop();
    out.assert_ok();
    assert!(!out.stderr.contains("WARNING"), "{out}");
    let entries = journal.entries();
    let close = entries
        .iter()
        .find(|e| {
            e.contains(&"OBJECT_TCP_OLD_STATE=LAST_ACK".to_string())
                && e.contains(&format!("OBJECT_TCP_SOURCE_PORT={c}"))
        })
        .unwrap_or_else(|| panic!("no LAST_ACK entry in {entries:?}\n{out}"));
    for want in [
        "SYSLOG_IDENTIFIER=tcpstates".to_string(),
        "PRIORITY=5".into(),
        format!("OBJECT_PID={}", std::process::id()),
        "OBJECT_IPV4_SOURCE_ADDRESS=127.0.0.1".into(),
        "OBJECT_IPV4_DESTINATION_ADDRESS=127.0.0.1".into(),
        format!("OBJECT_TCP_DESTINATION_PORT={sv}"),
        "OBJECT_TCP_NEW_STATE=CLOSE".into(),
    ] {
        assert!(close.contains(&want), "no {want} in {close:?}");
    }
    let message = close.iter().find(|l| l.starts_with("MESSAGE=")).unwrap();
    assert!(
        message.ends_with(&format!("127.0.0.1 {c} → 127.0.0.1 {sv} LAST_ACK → CLOSE")),
        "{message}"
    );
    // One entry per row printed.
    let rows = out.lines().len() - 1;
    assert_eq!(entries.len(), rows, "{out}");
    drop(journal);
    let out = run_tool(&["tcpstates", "-Y"]);
    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(
        out.stderr,
        "tcpstates: -Y: cannot write to the systemd journal (/run/systemd/journal/socket): \
         No such file or directory (os error 2)\n",
        "{out}"
    );
}
