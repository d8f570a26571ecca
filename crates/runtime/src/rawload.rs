//! Programs loaded with bpf() directly from the compiler's instructions,
//! not through aya: the copies `-d verifier` and failed loads use for the
//! verifier's instruction log (see verifier_log.rs), and typed raw
//! tracepoints (`tp_btf`). aya loads those only against its own model of
//! the kernel's BTF, which takes parsing all of vmlinux BTF (tens of
//! milliseconds, megabytes of memory); the compiler already knows the one
//! type id the load needs.

use scry_lang::spec::{Attach, ProgramSpec};
use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

const BPF_PROG_LOAD: i64 = 5;
const BPF_RAW_TRACEPOINT_OPEN: i64 = 17;
const BPF_PROG_TYPE_TRACING: u32 = 26;
const BPF_TRACE_RAW_TP: u32 = 23;
const BPF_PSEUDO_MAP_FD: u8 = 1;

/// What `BPF_PROG_LOAD` needs besides the instructions.
#[derive(Clone, Copy, Debug)]
pub struct Kind {
    pub prog_type: u32,
    pub expected_attach_type: u32,
    /// The BTF type the program attaches to (vmlinux), for tracing programs.
    pub attach_btf_id: u32,
}

/// The load parameters of a program, from its attach point and section;
/// `None` for the kinds only aya loads (fentry/fexit).
pub fn kind_of(p: &ProgramSpec) -> Option<Kind> {
    if let Attach::BtfTracepoint { btf_id, .. } = &p.attach {
        return Some(Kind {
            prog_type: BPF_PROG_TYPE_TRACING,
            expected_attach_type: BPF_TRACE_RAW_TP,
            attach_btf_id: *btf_id,
        });
    }
    let prog_type = match p.section.split('/').next()? {
        "kprobe" | "kretprobe" | "uprobe" | "uretprobe" => 2,
        "tracepoint" => 5,
        "perf_event" => 7,
        "raw_tracepoint" => 17,
        _ => return None,
    };
    Some(Kind {
        prog_type,
        expected_attach_type: 0,
        attach_btf_id: 0,
    })
}

fn put(attr: &mut [u8], at: usize, bytes: &[u8]) {
    attr[at..at + bytes.len()].copy_from_slice(bytes);
}

/// Loads `p` with its map references patched to the fds `map_fd` gives.
/// `log` receives the verifier's log at `log_level` (0: none; the kernel
/// keeps the tail of a longer log). On failure, the error and the log.
pub fn load(
    p: &ProgramSpec,
    kind: Kind,
    map_fd: impl Fn(&str) -> Option<RawFd>,
    log_level: u32,
    log: &mut [u8],
) -> Result<OwnedFd, io::Error> {
    let mut code = p.code.clone();
    for (at, map) in &p.map_relocs {
        let fd = map_fd(map)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("map {map}")))?;
        let i = at * 8;
        code[i + 1] = (code[i + 1] & 0x0f) | (BPF_PSEUDO_MAP_FD << 4);
        code[i + 4..i + 8].copy_from_slice(&fd.to_le_bytes());
    }
    let license = b"GPL\0";
    // The kernel's object names: 15 characters of [A-Za-z0-9_.], as aya's.
    let name: Vec<u8> = p
        .name
        .bytes()
        .filter(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.')
        .take(15)
        .collect();
    // union bpf_attr, BPF_PROG_LOAD layout (include/uapi/linux/bpf.h).
    let mut attr = [0u8; 160];
    put(&mut attr, 0, &kind.prog_type.to_ne_bytes());
    put(&mut attr, 4, &((code.len() / 8) as u32).to_ne_bytes());
    put(&mut attr, 8, &(code.as_ptr() as u64).to_ne_bytes());
    put(&mut attr, 16, &(license.as_ptr() as u64).to_ne_bytes());
    if log_level > 0 && !log.is_empty() {
        put(&mut attr, 24, &log_level.to_ne_bytes());
        put(&mut attr, 28, &(log.len() as u32).to_ne_bytes());
        put(&mut attr, 32, &(log.as_mut_ptr() as u64).to_ne_bytes());
    }
    put(&mut attr, 48, &name);
    put(&mut attr, 68, &kind.expected_attach_type.to_ne_bytes());
    put(&mut attr, 108, &kind.attach_btf_id.to_ne_bytes());
    let fd = bpf(BPF_PROG_LOAD, &mut attr)?;
    // SAFETY: a new fd the kernel just gave us, owned from here on.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Attaches a loaded tracing program to the tracepoint it was loaded for;
/// the link lasts as long as the returned fd.
pub fn attach_raw_tracepoint(prog: RawFd) -> io::Result<OwnedFd> {
    let mut attr = [0u8; 24];
    // name: NULL (the kernel takes the program's BTF target); prog_fd.
    put(&mut attr, 8, &(prog as u32).to_ne_bytes());
    let fd = bpf(BPF_RAW_TRACEPOINT_OPEN, &mut attr)?;
    // SAFETY: as in load().
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn bpf(cmd: i64, attr: &mut [u8]) -> io::Result<RawFd> {
    // SAFETY: `attr` is a zero-padded `union bpf_attr` prefix whose
    // pointers point to buffers that outlive the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd,
            attr.as_mut_ptr() as *mut libc::c_void,
            attr.len() as u32,
        )
    };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r as RawFd)
    }
}
