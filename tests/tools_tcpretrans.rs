//! `scry tool tcpretrans`: retransmits the test causes on loopback. A
//! listener with a backlog of 0 and no accept() takes one connection; the
//! SYNs of the next ones are dropped, so their senders retransmit them
//! (after 1 s), in state SYN_SENT. IPv4 and IPv6, -4/-6, --json.

mod tools_support;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;
use tools_support::net::{ipv6_objects, local_port, sockaddr};
use tools_support::*;

fn socket(ip: IpAddr) -> OwnedFd {
    let family = if ip.is_ipv4() {
        libc::AF_INET
    } else {
        libc::AF_INET6
    };
    let fd = unsafe { libc::socket(family, libc::SOCK_STREAM | libc::SOCK_NONBLOCK, 0) };
    assert!(fd >= 0);
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// Connections that retransmit their SYN: returns (server port, client
/// ports); the sockets stay open while `wait` runs.
fn dropped_syns(ip: IpAddr, wait: impl FnOnce(u16, &[u16])) {
    let srv = socket(ip);
    let (ss, len) = sockaddr(SocketAddr::new(ip, 0));
    unsafe {
        assert_eq!(
            libc::bind(
                srv.as_raw_fd(),
                (&ss as *const libc::sockaddr_storage).cast(),
                len
            ),
            0
        );
        assert_eq!(libc::listen(srv.as_raw_fd(), 0), 0);
    }
    let port = local_port(srv.as_raw_fd());
    let (ss, len) = sockaddr(SocketAddr::new(ip, port));
    let clients: Vec<OwnedFd> = (0..3)
        .map(|_| {
            let c = socket(ip);
            unsafe {
                libc::connect(
                    c.as_raw_fd(),
                    (&ss as *const libc::sockaddr_storage).cast(),
                    len,
                )
            };
            c
        })
        .collect();
    let ports: Vec<u16> = clients.iter().map(|c| local_port(c.as_raw_fd())).collect();
    wait(port, &ports);
}

#[test]
fn syn_retransmits_on_loopback() {
    require_root!();
    let _g = serial();
    let mut t = Tool::attached(&["tcpretrans", "-4"], "TIME");
    dropped_syns(IpAddr::V4(Ipv4Addr::LOCALHOST), |port, clients| {
        let needle = format!("R> 127.0.0.1:{port} ");
        t.expect_line("retransmit", |l| l.contains(&needle));
        let out = t.stop();
        out.assert_ok();
        let lines = out.lines();
        assert_eq!(
            lines[0], "Tracing retransmits ... Hit Ctrl-C to end",
            "{out}"
        );
        assert_eq!(
            lines[1],
            "TIME     PID     IP LADDR:LPORT          T> RADDR:RPORT          STATE"
        );
        let row = lines.iter().find(|l| l.contains(&needle)).unwrap();
        let lport: u16 = row[20..]
            .split_whitespace()
            .next()
            .unwrap()
            .trim_start_matches("127.0.0.1:")
            .parse()
            .unwrap();
        assert!(clients.contains(&lport), "{row} {clients:?}");
        assert_eq!(
            &row[17..],
            format!(
                "4  {:<20} R> {:<20} SYN_SENT",
                format!("127.0.0.1:{lport}"),
                format!("127.0.0.1:{port}")
            ),
            "{out}"
        );
    });
}

#[test]
fn ipv6_as_json() {
    require_root!();
    let _g = serial();
    if !std::fs::read_to_string("/proc/net/if_inet6")
        .unwrap_or_default()
        .contains(" lo")
    {
        eprintln!("skipped: no IPv6 loopback");
        return;
    }
    let mut t = Tool::attached(&["tcpretrans", "--json", "-6"], "");
    dropped_syns(IpAddr::V6(Ipv6Addr::LOCALHOST), |port, _| {
        let needle = format!("\"raddr\": \"::1:{port}\"");
        t.expect_line("retransmit", |l| l.contains(&needle));
        std::thread::sleep(Duration::from_millis(100));
        let out = t.stop();
        out.assert_ok();
        let objects = ipv6_objects(
            &out,
            &["time", "pid", "ip", "laddr", "type", "raddr", "state"],
        );
        let (_, j) = objects.iter().find(|(l, _)| l.contains(&needle)).unwrap();
        assert_eq!(j.get("state").unwrap().str(), Some("SYN_SENT"));
        assert!(j.get("laddr").unwrap().str().unwrap().starts_with("::1:"));
    });
}

#[test]
fn unsupported_plans_are_named_with_v() {
    require_root!();
    let _g = serial();
    let mut t = Tool::attached(&["tcpretrans", "-v", "-d", "1"], "TIME");
    let out = t.wait(Duration::from_secs(30));
    out.assert_ok();
    // The first plan this kernel supports runs; the others are one line each.
    let env = scry_runtime::sysenv::SysEnv::new();
    let expected = if env.fentry_supported() {
        "fentry (tcpretrans-sock.bt): fentry:tcp_retransmit_skb"
    } else if env.features().kprobes {
        "kprobe (tcpretrans-sock.bt): kprobe:tcp_retransmit_skb"
    } else {
        assert!(
            out.stderr.contains(
                "tcpretrans: plan fentry not used: fentry/fexit are not supported by this kernel"
            ),
            "{out}"
        );
        assert!(
            out.stderr
                .contains("tcpretrans: plan kprobe not used: kprobes are not supported"),
            "{out}"
        );
        "tracepoint (tcpretrans.bt): tracepoint:tcp:tcp_retransmit_skb"
    };
    assert!(
        out.stderr
            .contains(&format!("tcpretrans: using plan {expected}")),
        "{out}"
    );
}
