//! `-d verifier`: the kernel verifier's log of each program. aya keeps the
//! log only when a load fails, so each program is loaded once more, by
//! itself, with the log on (maps already exist: their fds are patched in),
//! and the copy is closed right away.

use crate::session::Session;
use scry_lang::spec::ProgramSpec;
use std::os::fd::{AsFd, AsRawFd};

const BPF_PROG_LOAD: i64 = 5;

fn prog_type(section: &str) -> Option<u32> {
    Some(match section.split('/').next()? {
        "kprobe" | "kretprobe" | "uprobe" | "uretprobe" => 2,
        "tracepoint" => 5,
        "perf_event" => 7,
        "raw_tracepoint" => 17,
        _ => return None,
    })
}

/// The verifier's log for every program (or why there is none).
pub fn verifier_logs(session: &Session) -> Vec<(String, String)> {
    session
        .compiled
        .programs
        .iter()
        .map(|p| (p.probe.clone(), log_of(session, p)))
        .collect()
}

fn map_fd(session: &Session, name: &str) -> Option<i32> {
    if name == scry_lang::spec::RINGBUF_MAP {
        return Some(session.ringbuf.as_fd().as_raw_fd());
    }
    session.map_fd(name)
}

fn log_of(session: &Session, p: &ProgramSpec) -> String {
    let Some(ty) = prog_type(&p.section) else {
        return format!(
            "(no log: {} programs are loaded through aya only)",
            p.section
        );
    };
    let mut code = p.code.clone();
    for (at, map) in &p.map_relocs {
        let Some(fd) = map_fd(session, map) else {
            return format!("(no log: map {map} not found)");
        };
        let i = at * 8;
        code[i + 1] = (code[i + 1] & 0x0f) | (1 << 4);
        code[i + 4..i + 8].copy_from_slice(&fd.to_le_bytes());
    }
    let license = b"GPL\0";
    let mut log = vec![0u8; 16 << 20];
    let mut attr = [0u64; 16];
    attr[0] = ty as u64 | ((code.len() as u64 / 8) << 32);
    attr[1] = code.as_ptr() as u64;
    attr[2] = license.as_ptr() as u64;
    attr[3] = 2 | ((log.len() as u64) << 32);
    attr[4] = log.as_mut_ptr() as u64;
    // SAFETY: a zero-padded bpf_attr whose pointers outlive the call.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            BPF_PROG_LOAD,
            attr.as_mut_ptr() as *mut libc::c_void,
            std::mem::size_of_val(&attr) as u32,
        )
    };
    if fd >= 0 {
        // SAFETY: closing the fd we just got.
        unsafe { libc::close(fd as i32) };
    }
    let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
    String::from_utf8_lossy(&log[..end]).into_owned()
}
