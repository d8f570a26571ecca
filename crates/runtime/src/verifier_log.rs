//! The kernel verifier's log of a program, from a load of our own: aya
//! keeps the log only when a load fails, and retries with ever larger
//! buffers (ten loads of a program that hits the verifier's 1M-instruction
//! budget take half a minute here), so the session asks aya for the
//! verifier's statistics only and, when a load fails, loads the program
//! once more here for the instruction trace, into a buffer that keeps the
//! log's tail (the kernel's rotating log). `-d verifier` uses the same load
//! for programs that passed. Maps already exist: their fds are patched in,
//! and the copy is closed right away (rawload.rs).

use crate::session::Session;
use scry_lang::spec::ProgramSpec;
use std::os::fd::{AsFd, AsRawFd};

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
    level: u32,
    size: usize,
) -> Result<(bool, String), String> {
    let Some(kind) = crate::rawload::kind_of(p) else {
        return Err(format!(
            "{} programs are loaded through aya only",
            p.section
        ));
    };
    let mut log = vec![0u8; size];
    let loaded = match crate::rawload::load(p, kind, map_fd, level, &mut log) {
        Ok(_fd) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(e.to_string()),
        Err(_) => false,
    };
    let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
    Ok((loaded, String::from_utf8_lossy(&log[..end]).into_owned()))
}
