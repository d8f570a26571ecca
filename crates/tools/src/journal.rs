//! Writing to the systemd journal (tcpstates `-Y`), through journald's
//! native protocol: one datagram per entry on its socket, each field a
//! `KEY=value` line (a value holding a newline is sent as `KEY`, a newline,
//! its length as a 64-bit little-endian number, the bytes, a newline).

use std::os::unix::net::UnixDatagram;
use std::sync::OnceLock;

/// Where journald listens (what sd_journal_send() writes to).
pub const SOCKET: &str = "/run/systemd/journal/socket";

static SOCK: OnceLock<Result<UnixDatagram, String>> = OnceLock::new();

fn socket() -> &'static Result<UnixDatagram, String> {
    SOCK.get_or_init(|| {
        let s = UnixDatagram::unbound().map_err(|e| e.to_string())?;
        s.connect(SOCKET)
            .map_err(|e| format!("cannot write to the systemd journal ({SOCKET}): {e}"))?;
        // A journal that does not keep up costs entries, never the trace.
        s.set_nonblocking(true).map_err(|e| e.to_string())?;
        Ok(s)
    })
}

/// Whether the journal can be written to: checked before tracing starts.
pub fn check() -> Result<(), String> {
    socket().as_ref().map(|_| ()).map_err(Clone::clone)
}

/// The datagram of one entry.
pub fn encode(fields: &[(&str, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (key, value) in fields {
        out.extend_from_slice(key.as_bytes());
        if value.contains('\n') {
            out.push(b'\n');
            out.extend_from_slice(&(value.len() as u64).to_le_bytes());
        } else {
            out.push(b'=');
        }
        out.extend_from_slice(value.as_bytes());
        out.push(b'\n');
    }
    out
}

/// Sends one entry. The first entry the journal does not take is said on
/// stderr (the journal is gone, or its queue is full).
pub fn send(fields: &[(&str, String)]) {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let result = match socket() {
        Ok(s) => s
            .send(&encode(fields))
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.clone()),
    };
    if let Err(e) = result {
        if !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
            eprintln!("WARNING: journal entries were not written: {e}");
        }
    }
}
