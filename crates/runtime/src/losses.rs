//! What a run lost, said at its end so that no loss is silent: events the
//! full ring buffer dropped, updates that full maps refused, and probe runs
//! the kernel skipped.
//!
//! The kernel skips a program rather than nest it inside another BPF program
//! on the same CPU: a tracepoint hit from within a BPF helper (a signal sent
//! by `signal()`), a hard interrupt arriving while a program runs. It counts
//! each skip in the program's `recursion_misses`, which `/proc/self/fdinfo`
//! shows for the program's fd.

use crate::session::Session;
use std::os::fd::RawFd;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Losses {
    /// Events the full ring buffer dropped.
    pub events: u64,
    /// (map name, updates dropped, the map's entries).
    pub map_full: Vec<(String, u64, u32)>,
    /// (probe, runs the kernel skipped).
    pub skipped: Vec<(String, u64)>,
}

impl Losses {
    pub fn of(session: &Session) -> Losses {
        let map_full = session
            .compiled
            .maps
            .iter()
            .enumerate()
            .map(|(i, m)| (m.name.clone(), session.map_full_drops(i), m.max_entries))
            .filter(|&(_, n, _)| n > 0)
            .collect();
        let skipped = session
            .compiled
            .programs
            .iter()
            .filter_map(|p| {
                let n = recursion_misses(session.program_fd(&p.name)?)?;
                (n > 0).then(|| (p.probe.clone(), n))
            })
            .collect();
        Losses {
            events: session.lost_events(),
            map_full,
            skipped,
        }
    }

    /// One warning line per loss. `flags`: name the scry flags that raise
    /// the limits (not the tools, which do not have them).
    pub fn warnings(&self, flags: bool) -> Vec<String> {
        let mut out = Vec::new();
        if self.events > 0 {
            out.push(format!(
                "WARNING: {} events were lost: the ring buffer was full{}",
                self.events,
                if flags {
                    " (raise it with --ringbuf-size)"
                } else {
                    ""
                }
            ));
        }
        for (name, n, entries) in &self.map_full {
            out.push(format!(
                "WARNING: {n} updates of {name} were dropped: the map is full ({entries} entries{})",
                if flags {
                    "; raise it with --map-entries"
                } else {
                    ""
                }
            ));
        }
        for (probe, n) in &self.skipped {
            out.push(format!(
                "WARNING: the kernel skipped {probe} {n} times: it fired while another BPF program was running on the same CPU"
            ));
        }
        out
    }
}

/// The `recursion_misses` count of a program fd (kernel 5.12 and later).
fn recursion_misses(fd: RawFd) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("recursion_misses:"))
        .and_then(|v| v.trim().parse().ok())
}
