//! TCP workloads on loopback for the network tools' tests: a session
//! between two threads with names of our own (known comm, known ports,
//! known byte counts), and connections refused by a closed port.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// 127.0.0.1 or ::1.
pub fn lo(v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::LOCALHOST)
    } else {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    }
}

/// Whether ::1 is configured (IPv6 tests are skipped otherwise).
pub fn has_ipv6_loopback() -> bool {
    std::fs::read_to_string("/proc/net/if_inet6")
        .unwrap_or_default()
        .contains(" lo")
}

/// What a [`session`] did.
#[derive(Debug, Clone, Copy)]
pub struct Session {
    /// The listener's port (the server's local port).
    pub server_port: u16,
    /// The client's local port.
    pub client_port: u16,
}

fn named<T: Send + 'static>(name: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    thread::Builder::new()
        .name(name.to_string())
        .spawn(f)
        .expect("spawn thread")
        .join()
        .expect("workload thread")
}

/// One TCP connection on loopback: thread `client` connects to a
/// listener and sends `up` bytes; thread `server` accepts, reads them,
/// sends `down` bytes and closes first; the client reads to the end and
/// closes. Returns once both sockets are closed.
pub fn session(ip: IpAddr, client: &str, server: &str, up: usize, down: usize) -> Session {
    let listener = TcpListener::bind(SocketAddr::new(ip, 0)).expect("listen");
    session_on(listener, client, server, up, down)
}

/// A [`session`] with a listener of the caller's.
pub fn session_on(
    listener: TcpListener,
    client: &str,
    server: &str,
    up: usize,
    down: usize,
) -> Session {
    let addr = listener.local_addr().unwrap();
    let (ip, server_port) = (addr.ip(), addr.port());
    let (tx, rx) = mpsc::channel();
    let server_name = server.to_string();
    let srv = thread::Builder::new()
        .name(server_name)
        .spawn(move || {
            let (mut s, _) = listener.accept().expect("accept");
            let mut buf = vec![0u8; up];
            s.read_exact(&mut buf).expect("server read");
            s.write_all(&vec![b'd'; down]).expect("server write");
            drop(s);
            tx.send(()).unwrap();
        })
        .expect("spawn server");
    let client_port = named(client, move || {
        let mut c = TcpStream::connect(SocketAddr::new(ip, server_port)).expect("connect");
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let port = c.local_addr().unwrap().port();
        c.write_all(&vec![b'u'; up]).expect("client write");
        let mut got = Vec::new();
        c.read_to_end(&mut got).expect("client read");
        assert_eq!(got.len(), down);
        let _ = c.shutdown(Shutdown::Both);
        port
    });
    srv.join().expect("server thread");
    rx.recv_timeout(Duration::from_secs(10))
        .expect("server done");
    // Let the last FIN/ACK exchange finish (the sockets reach CLOSE).
    thread::sleep(Duration::from_millis(100));
    Session {
        server_port,
        client_port,
    }
}

/// A port nothing listens on (bound, not listening, while `f` runs).
pub fn with_closed_port<T>(ip: IpAddr, f: impl FnOnce(u16) -> T) -> T {
    let fam = if ip.is_ipv4() {
        libc::AF_INET
    } else {
        libc::AF_INET6
    };
    // A bound socket that never listens keeps the port ours and closed.
    let fd = unsafe { libc::socket(fam, libc::SOCK_STREAM, 0) };
    assert!(fd >= 0);
    let (ss, len) = sockaddr(SocketAddr::new(ip, 0));
    let r = unsafe { libc::bind(fd, (&ss as *const libc::sockaddr_storage).cast(), len) };
    assert_eq!(r, 0);
    let port = local_port(fd);
    let out = f(port);
    unsafe { libc::close(fd) };
    out
}

/// Thread `name` connects to `port` (closed): refused. Returns the
/// client's local port (bound before connecting, so it is known).
pub fn refused(ip: IpAddr, port: u16, name: &str) -> u16 {
    named(name, move || {
        let fam = if ip.is_ipv4() {
            libc::AF_INET
        } else {
            libc::AF_INET6
        };
        let fd = unsafe { libc::socket(fam, libc::SOCK_STREAM, 0) };
        assert!(fd >= 0);
        let (ss, len) = sockaddr(SocketAddr::new(ip, 0));
        assert_eq!(
            unsafe { libc::bind(fd, (&ss as *const libc::sockaddr_storage).cast(), len) },
            0
        );
        let lport = local_port(fd);
        let (ss, len) = sockaddr(SocketAddr::new(ip, port));
        let r = unsafe { libc::connect(fd, (&ss as *const libc::sockaddr_storage).cast(), len) };
        let err = std::io::Error::last_os_error();
        unsafe { libc::close(fd) };
        assert_eq!(r, -1);
        assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED), "{err}");
        lport
    })
}

/// `addr` as a C socket address, for bind() and connect().
pub fn sockaddr(addr: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from(*a.ip()).to_be(),
                },
                sin_zero: [0; 8],
            };
            unsafe { std::ptr::write((&mut ss as *mut libc::sockaddr_storage).cast(), sin) };
            std::mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: 0,
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: 0,
            };
            unsafe { std::ptr::write((&mut ss as *mut libc::sockaddr_storage).cast(), sin6) };
            std::mem::size_of::<libc::sockaddr_in6>()
        }
    };
    (ss, len as libc::socklen_t)
}

/// The local port a socket is bound to.
pub fn local_port(fd: i32) -> u16 {
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let r = unsafe {
        libc::getsockname(
            fd,
            (&mut ss as *mut libc::sockaddr_storage).cast(),
            &mut len,
        )
    };
    assert_eq!(r, 0);
    // sin_port and sin6_port are at the same offset.
    let sin: libc::sockaddr_in =
        unsafe { std::ptr::read((&ss as *const libc::sockaddr_storage).cast()) };
    u16::from_be(sin.sin_port)
}

/// Runs `scry tool ARGS` (a filter on another process: `-p 1`) while
/// `workload` makes the test's connections, and returns what it printed,
/// for the caller to check that none of them is there.
pub fn run_filtered_out(args: &[&str], first: &str, workload: impl FnOnce()) -> super::Output {
    let mut t = super::Tool::attached(args, first);
    workload();
    thread::sleep(Duration::from_millis(300));
    let out = t.stop();
    out.assert_ok();
    out
}

/// The `--json` lines of a `-6` run with their objects, each checked to
/// have exactly `keys` and to be IPv6 (`"ip": 6`).
pub fn ipv6_objects<'a>(out: &'a super::Output, keys: &[&str]) -> Vec<(&'a str, super::Json)> {
    out.lines()
        .into_iter()
        .map(|l| {
            let j = super::Json::parse(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            assert_eq!(j.keys(), keys, "{l}");
            assert_eq!(
                j.get("ip").and_then(|v| v.num()),
                Some(6.0),
                "-6 shows IPv4: {l}"
            );
            (l, j)
        })
        .collect()
}
