//! The kernel verifier's log of a program, from a load of our own: aya
//! keeps the log only when a load fails, and retries with ever larger
//! buffers (ten loads of a program that hits the verifier's 1M-instruction
//! budget take half a minute here), so the session asks aya for the
//! verifier's statistics only and, when a load fails, loads the program
//! once more here for the instruction trace, into a buffer that keeps the
//! log's tail (the kernel's rotating log). `-d verifier` uses the same load
//! for programs that passed. Maps already exist: their fds are patched in,
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

fn log_of(session: &Session, p: &ProgramSpec) -> String {
    let map_fd = |name: &str| {
        if name == scry_lang::spec::RINGBUF_MAP {
            return Some(session.ringbuf.as_fd().as_raw_fd());
        }
        session.map_fd(name)
    };
    match load_for_log(p, map_fd, 2, 16 << 20) {
        Ok((_, log)) => log,
        Err(why) => format!("(no log: {why})"),
    }
}

/// Loads `p` by itself with the verifier's log at `level` (1: the
/// instructions, 2: with the states), into a buffer of `size` bytes (the
/// log's tail if it is longer), and returns whether the program loaded,
/// and the log. `map_fd` gives the fd of each map the program uses.
pub(crate) fn load_for_log(
    p: &ProgramSpec,
    map_fd: impl Fn(&str) -> Option<i32>,
    level: u64,
    size: usize,
) -> Result<(bool, String), String> {
    let Some(ty) = prog_type(&p.section) else {
        return Err(format!(
            "{} programs are loaded through aya only",
            p.section
        ));
    };
    let mut code = p.code.clone();
    for (at, map) in &p.map_relocs {
        let fd = map_fd(map).ok_or_else(|| format!("map {map} not found"))?;
        let i = at * 8;
        code[i + 1] = (code[i + 1] & 0x0f) | (1 << 4);
        code[i + 4..i + 8].copy_from_slice(&fd.to_le_bytes());
    }
    let license = b"GPL\0";
    let mut log = vec![0u8; size];
    let mut attr = [0u64; 16];
    attr[0] = ty as u64 | ((code.len() as u64 / 8) << 32);
    attr[1] = code.as_ptr() as u64;
    attr[2] = license.as_ptr() as u64;
    attr[3] = level | ((log.len() as u64) << 32);
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
    Ok((fd >= 0, String::from_utf8_lossy(&log[..end]).into_owned()))
}
