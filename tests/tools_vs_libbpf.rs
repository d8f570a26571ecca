//! scry's tools next to BCC's libbpf-tools (Debian's libbpf-tools package,
//! /usr/sbin/NAME), both attached at once to the same workload: the rows
//! must be the same bytes. Skipped where libbpf-tools is not installed.

mod tools_support;

use std::process::Command;
use std::time::Duration;
use tools_support::*;

/// Starts a libbpf-tools program (line-buffered through stdbuf) and waits
/// for its header.
fn peer(name: &str, args: &[&str], first: &str) -> Option<Tool> {
    let path = libbpf_tool(name)?;
    let mut cmd = Command::new("stdbuf");
    cmd.arg("-oL").arg(path).args(args);
    let mut t = Tool::spawn(cmd);
    if !t.wait_until(ATTACH_TIMEOUT, |out, _| {
        out.lines().any(|l| l.starts_with(first))
    }) {
        let out = t.kill();
        eprintln!("skipped: libbpf-tools {name} does not run here:\n{out}");
        return None;
    }
    Some(t)
}

/// Both outputs, stopped after the workload and a moment to drain.
fn both(mut ours: Tool, mut theirs: Tool) -> (Output, Output) {
    std::thread::sleep(Duration::from_millis(300));
    let a = ours.stop();
    let b = theirs.stop();
    a.assert_ok();
    (a, b)
}

#[test]
fn opensnoop_rows_are_identical() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("vsopen");
    let name = "vsopenwl";
    let prog = named_program(&dir, "/bin/cat", name);
    let exists = dir.join("exists");
    std::fs::write(&exists, "x").unwrap();
    let missing = dir.join("missing");
    let Some(theirs) = peer("opensnoop", &["-n", name, "-U"], "UID") else {
        return;
    };
    let ours = Tool::attached(&["opensnoop", "-n", name, "-U"], "UID");
    run_program(
        &prog,
        &[exists.to_str().unwrap(), missing.to_str().unwrap()],
    );
    let (a, b) = both(ours, theirs);
    assert!(a.lines().len() > 3, "{a}");
    assert_eq!(a.stdout, b.stdout, "scry:\n{a}\nlibbpf-tools:\n{b}");
}

#[test]
fn exitsnoop_rows_are_identical() {
    require_root!();
    let _g = serial();
    let dir = TempDir::new("vsexit");
    let sh = named_program(&dir, "/bin/sh", "vsexitwl");
    let me = std::process::id().to_string();
    let Some(theirs) = peer("exitsnoop", &[], "PCOMM") else {
        return;
    };
    let ours = Tool::attached(&["exitsnoop"], "PCOMM");
    run_program(&sh, &["-c", "exit 5"]);
    run_program(&sh, &["-c", "kill -KILL $$"]);
    let (a, b) = both(ours, theirs);
    // Only the workload: other processes exit at any time.
    let mine = |o: &Output| -> Vec<String> {
        o.lines()
            .iter()
            .filter(|l| l.starts_with("vsexitwl") && l.contains(&format!(" {me} ")))
            .map(|l| {
                // AGE(s) may differ in the last digit: both read the clock.
                let f: Vec<&str> = l.split_whitespace().collect();
                format!("{} {} {} {} {}", f[0], f[1], f[2], f[3], f[5..].join(" "))
            })
            .collect()
    };
    assert_eq!(mine(&a).len(), 2, "{a}");
    assert_eq!(mine(&a), mine(&b), "scry:\n{a}\nlibbpf-tools:\n{b}");
    assert_eq!(a.lines()[0], b.lines()[0]);
}

#[test]
fn killsnoop_rows_are_identical_to_sigsnoop_k() {
    require_root!();
    let _g = serial();
    let me = std::process::id().to_string();
    let mut child = Command::new("/bin/sleep").arg("30").spawn().unwrap();
    let cpid = child.id() as i32;
    let Some(theirs) = peer("killsnoop", &["-k", "-p", &me], "TIME") else {
        let _ = child.kill();
        let _ = child.wait();
        return;
    };
    let ours = Tool::attached(&["killsnoop", "-p", &me], "TIME");
    std::thread::Builder::new()
        .name("vskill".into())
        .spawn(move || unsafe {
            libc::kill(cpid, 0);
            libc::kill(-cpid, 0);
            libc::kill(cpid, libc::SIGTERM);
        })
        .unwrap()
        .join()
        .unwrap();
    let _ = child.wait();
    let (a, b) = both(ours, theirs);
    let mine = |o: &Output| -> Vec<String> {
        o.lines()
            .iter()
            .filter(|l| l.contains(" vskill "))
            .map(|l| l[9..].to_string())
            .collect()
    };
    assert_eq!(mine(&a).len(), 3, "{a}");
    assert_eq!(mine(&a), mine(&b), "scry:\n{a}\nlibbpf-tools:\n{b}");
}

#[test]
fn syscount_counts_are_identical() {
    require_root!();
    let _g = serial();
    // The workload: a child that waits for a fifo, then makes its calls.
    let dir = TempDir::new("vssys");
    let fifo = dir.join("go");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let script = format!(
        "read x < {}; i=0; while [ $i -lt 300 ]; do [ -e /nonexistent/x ]; i=$((i+1)); done",
        fifo.display()
    );
    let mut sh = Command::new("/bin/sh")
        .args(["-c", &script])
        .spawn()
        .unwrap();
    let pid = sh.id().to_string();
    let Some(theirs) = peer("syscount", &["-p", &pid], "Tracing syscalls") else {
        let _ = sh.kill();
        let _ = sh.wait();
        return;
    };
    let ours = Tool::attached(&["syscount", "-p", &pid], "Tracing syscalls");
    std::fs::write(&fifo, "go\n").unwrap();
    let _ = sh.wait();
    let (a, b) = both(ours, theirs);
    let table = |o: &Output| -> Vec<String> {
        o.lines()
            .iter()
            .skip_while(|l| !l.starts_with("SYSCALL"))
            .filter(|l| !l.is_empty())
            .map(|l| l.to_string())
            .collect()
    };
    assert!(table(&a).len() > 2, "{a}");
    // libbpf-tools' table of names stops before some newer calls.
    // (Ties are in no particular order in either: compare sorted.)
    let known = |rows: Vec<String>| -> Vec<String> {
        let mut v: Vec<String> = rows
            .into_iter()
            .filter(|r| !r.starts_with("[unknown") && !r.starts_with("faccessat2"))
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        known(table(&a)),
        known(table(&b)),
        "scry:\n{a}\nlibbpf-tools:\n{b}"
    );
}

#[test]
fn tcpstates_rows_agree() {
    require_root!();
    let _g = serial();
    let Some(theirs) = peer("tcpstates", &[], "SKADDR") else {
        return;
    };
    let mut ours = Tool::attached(&["tcpstates"], "SKADDR");
    let mut theirs = theirs;
    let s = net::session(net::lo(false), "vs-client", "vs-server", 1000, 1000);
    // The session's rows, without MS (both read the clock); libbpf-tools
    // pads PID wider.
    let ports = [s.client_port.to_string(), s.server_port.to_string()];
    let rows = |text: &str| -> Vec<String> {
        text.lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .filter(|f| f.len() == 11 && ports.iter().any(|p| f[4] == p || f[6] == p))
            .map(|f| f[..10].join(" "))
            .collect()
    };
    // The last transitions (to CLOSE) come a little after the session:
    // wait (bounded) until each tool has printed as many rows as the
    // other, since libbpf-tools drops what it has not printed at Ctrl-C.
    ours.wait_until(Duration::from_secs(5), |out, _| rows(out).len() >= 12);
    let n = rows(&ours.stdout()).len();
    theirs.wait_until(Duration::from_secs(5), |out, _| rows(out).len() >= n);
    let (a, b) = both(ours, theirs);
    // The same rows, compared as sets: libbpf-tools reads per-CPU perf
    // buffers, so rows made on two CPUs at once come in either order, even
    // for one socket (its ESTABLISHED -> FIN_WAIT1 was seen before its
    // LISTEN -> SYN_RECV). scry's order, one ring buffer, is checked in
    // tools_tcpstates.rs, socket by socket.
    let mine = |o: &Output| {
        let mut r = rows(&o.stdout);
        r.sort();
        r
    };
    assert!(mine(&a).len() >= 10, "{a}");
    assert_eq!(mine(&a), mine(&b), "scry:\n{a}\nlibbpf-tools:\n{b}");
}

#[test]
fn tcplife_rows_agree() {
    require_root!();
    let _g = serial();
    let Some(theirs) = peer("tcplife", &[], "PID") else {
        return;
    };
    let ours = Tool::attached(&["tcplife"], "PID");
    let s = net::session(net::lo(false), "vs-client", "vs-server", 300_000, 100_000);
    let (a, b) = both(ours, theirs);
    // PID LADDR LPORT RADDR RPORT and whole kilobytes (libbpf-tools
    // prints two decimals); MS differs (both read the clock).
    let row = |o: &Output, lport: u16| -> (String, Vec<String>) {
        let l = o
            .lines()
            .into_iter()
            .find(|l| l.split_whitespace().nth(3) == Some(&lport.to_string()))
            .unwrap_or_else(|| panic!("no session from {lport}:\n{o}"));
        let f: Vec<&str> = l.split_whitespace().collect();
        let kb = |v: &str| (v.parse::<f64>().unwrap().floor() as i64).to_string();
        let mut v: Vec<String> = [f[0], f[2], f[3], f[4], f[5]].map(String::from).to_vec();
        v.extend([kb(f[6]), kb(f[7])]);
        (f[1].to_string(), v)
    };
    for port in [s.client_port, s.server_port] {
        assert_eq!(
            row(&a, port).1,
            row(&b, port).1,
            "scry:\n{a}\nlibbpf-tools:\n{b}"
        );
    }
    assert_eq!(row(&a, s.client_port).0, "vs-client");
    assert_eq!(row(&b, s.client_port).0, "vs-client");
    // The server closed first: its socket closes while the client is on
    // the CPU. scry noted the server at FIN_WAIT1; libbpf-tools names the
    // task on the CPU.
    assert_eq!(row(&a, s.server_port).0, "vs-server", "{a}");
}
