//! Addresses to names: kernel symbols from /proc/kallsyms, user symbols from
//! the process's mapped ELF files; user names from /etc/passwd. Loaded
//! lazily, off the start-up path.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

/// A process's symbols: (start address, size, name, index of its file
/// in `files`), sorted by address.
#[derive(Default)]
struct UserSymbols {
    syms: Vec<(u64, u64, String, usize)>,
    files: Vec<String>,
}

#[derive(Default)]
pub struct Symbols {
    kernel: OnceLock<Vec<(u64, String)>>,
    user: RefCell<HashMap<u32, UserSymbols>>,
}

impl Symbols {
    pub fn new() -> Symbols {
        Symbols::default()
    }

    fn kallsyms(&self) -> &[(u64, String)] {
        self.kernel.get_or_init(|| {
            let text = std::fs::read_to_string("/proc/kallsyms").unwrap_or_default();
            let mut v: Vec<(u64, String)> = text
                .lines()
                .filter_map(|l| {
                    let mut it = l.split_whitespace();
                    let addr = u64::from_str_radix(it.next()?, 16).ok()?;
                    let kind = it.next()?;
                    let name = it.next()?;
                    (addr != 0 && matches!(kind, "t" | "T" | "w" | "W"))
                        .then(|| (addr, name.to_string()))
                })
                .collect();
            v.sort_unstable();
            v
        })
    }

    /// The kernel symbol containing `addr` and the offset into it.
    fn kernel_lookup(&self, addr: u64) -> Option<(String, u64)> {
        let syms = self.kallsyms();
        let i = syms.partition_point(|(a, _)| *a <= addr).checked_sub(1)?;
        Some((syms[i].1.clone(), addr - syms[i].0))
    }

    /// The user symbol containing `addr` in process `pid`, the offset, and
    /// the file it is in.
    fn user_lookup(&self, pid: u32, addr: u64) -> Option<(String, u64, String)> {
        let mut cache = self.user.borrow_mut();
        let user = cache
            .entry(pid)
            .or_insert_with(|| load_process_symbols(pid));
        let i = user
            .syms
            .partition_point(|(a, ..)| *a <= addr)
            .checked_sub(1)?;
        let (start, size, name, file) = &user.syms[i];
        (addr < start + (*size).max(1))
            .then(|| (name.clone(), addr - start, user.files[*file].clone()))
    }

    /// The kernel symbol containing `addr` (bpftrace prints the bare name),
    /// or the address in hex.
    pub fn kernel(&self, addr: u64) -> String {
        bare(self.kernel_lookup(addr), addr)
    }

    /// A kernel stack frame: `name+offset`, as bpftrace prints stacks.
    pub fn kernel_frame(&self, addr: u64) -> String {
        frame(self.kernel_lookup(addr), addr)
    }

    /// The user symbol of `addr` in process `pid`, or the address in hex.
    pub fn user(&self, pid: u32, addr: u64) -> String {
        bare(self.user_lookup(pid, addr).map(|(n, o, _)| (n, o)), addr)
    }

    /// A user stack frame: `name+offset`, or the address in hex.
    pub fn user_frame(&self, pid: u32, addr: u64) -> String {
        frame(self.user_lookup(pid, addr).map(|(n, o, _)| (n, o)), addr)
    }

    /// A user stack frame in bpftrace's perf mode: `name+offset (file)`,
    /// or `0xADDR ([unknown])`.
    pub fn user_perf_frame(&self, pid: u32, addr: u64) -> String {
        match self.user_lookup(pid, addr) {
            Some((name, off, file)) => format!("{name}+{off} ({file})"),
            None => format!("0x{addr:x} ([unknown])"),
        }
    }
}

fn bare(found: Option<(String, u64)>, addr: u64) -> String {
    found.map_or_else(|| format!("0x{addr:x}"), |(name, _)| name)
}

fn frame(found: Option<(String, u64)>, addr: u64) -> String {
    found.map_or_else(
        || format!("0x{addr:x}"),
        |(name, off)| format!("{name}+{off}"),
    )
}

/// Symbols of every executable mapping of a process, at their run-time
/// addresses.
fn load_process_symbols(pid: u32) -> UserSymbols {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
    let mut out = UserSymbols::default();
    let mut seen = std::collections::HashSet::new();
    for line in maps.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 6 || !f[1].contains('x') || !f[5].starts_with('/') {
            continue;
        }
        let (Some((lo, _)), Ok(off)) = (f[0].split_once('-'), u64::from_str_radix(f[2], 16)) else {
            continue;
        };
        let Ok(lo) = u64::from_str_radix(lo, 16) else {
            continue;
        };
        let path = f[5];
        if !seen.insert(path.to_string()) {
            continue;
        }
        let file = format!("/proc/{pid}/root{path}");
        let Ok(syms) = crate::elfsyms::symbols(&file, "*") else {
            continue;
        };
        out.files.push(path.to_string());
        let file = out.files.len() - 1;
        for s in syms {
            // run-time address = mapping start + (file offset - mapping offset)
            if s.file_offset >= off {
                out.syms
                    .push((lo + (s.file_offset - off), s.size, s.name, file));
            }
        }
    }
    out.syms.sort_unstable_by_key(|s| s.0);
    out
}

/// The user name of a uid, or the number.
pub fn user_name(uid: u32) -> String {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() > 2 && f[2].parse() == Ok(uid)).then(|| f[0].to_string())
        })
        .unwrap_or_else(|| uid.to_string())
}

/// Converts a CLOCK_MONOTONIC time in ns to Unix time in ns.
pub fn boot_to_unix_ns(mono_ns: u64) -> u64 {
    let mut rt = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let mut mono = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid out-parameters.
    unsafe {
        libc::clock_gettime(libc::CLOCK_REALTIME, &mut rt);
        libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut mono);
    }
    let rt_ns = rt.tv_sec as i128 * 1_000_000_000 + rt.tv_nsec as i128;
    let mono_now = mono.tv_sec as i128 * 1_000_000_000 + mono.tv_nsec as i128;
    (rt_ns - mono_now + mono_ns as i128).max(0) as u64
}
