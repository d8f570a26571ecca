//! The few bpf() commands aya 0.14 does not offer on raw bytes: map
//! iteration, lookup and deletion with runtime-sized keys, and
//! `BPF_PROG_TEST_RUN` (how BEGIN and END programs run).

use std::io;
use std::os::fd::RawFd;

const BPF_MAP_LOOKUP_ELEM: i64 = 1;
const BPF_MAP_UPDATE_ELEM: i64 = 2;
const BPF_MAP_DELETE_ELEM: i64 = 3;
const BPF_MAP_GET_NEXT_KEY: i64 = 4;
const BPF_PROG_TEST_RUN: i64 = 10;

fn bpf(cmd: i64, attr: &mut [u64; 16]) -> io::Result<i64> {
    // SAFETY: `attr` is a zero-padded `union bpf_attr` of 128 bytes that
    // outlives the call; pointers inside it point to live buffers.
    let r = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd,
            attr.as_mut_ptr() as *mut libc::c_void,
            std::mem::size_of_val(attr) as u32,
        )
    };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

fn map_attr(fd: RawFd, key: *const u8, value: *const u8, flags: u64) -> [u64; 16] {
    let mut a = [0u64; 16];
    a[0] = fd as u32 as u64;
    a[1] = key as u64;
    a[2] = value as u64;
    a[3] = flags;
    a
}

/// All keys of a map (a snapshot; entries may change while iterating).
pub fn map_keys(fd: RawFd, key_size: usize) -> io::Result<Vec<Vec<u8>>> {
    let mut keys = Vec::new();
    let mut next = vec![0u8; key_size];
    let mut prev: Option<Vec<u8>> = None;
    loop {
        let key_ptr = prev.as_ref().map_or(std::ptr::null(), |k| k.as_ptr());
        let mut attr = map_attr(fd, key_ptr, next.as_mut_ptr(), 0);
        match bpf(BPF_MAP_GET_NEXT_KEY, &mut attr) {
            Ok(_) => {
                keys.push(next.clone());
                prev = Some(next.clone());
            }
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => break,
            Err(e) => return Err(e),
        }
        if keys.len() > 10_000_000 {
            break;
        }
    }
    Ok(keys)
}

/// Looks a key up; `value` must hold the value (times the CPU count,
/// each slot rounded up to 8 bytes, for per-CPU maps).
pub fn map_lookup(fd: RawFd, key: &[u8], value: &mut [u8]) -> io::Result<bool> {
    let mut attr = map_attr(fd, key.as_ptr(), value.as_mut_ptr(), 0);
    match bpf(BPF_MAP_LOOKUP_ELEM, &mut attr) {
        Ok(_) => Ok(true),
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(false),
        Err(e) => Err(e),
    }
}

pub fn map_update(fd: RawFd, key: &[u8], value: &[u8]) -> io::Result<()> {
    let mut attr = map_attr(fd, key.as_ptr(), value.as_ptr(), 0);
    bpf(BPF_MAP_UPDATE_ELEM, &mut attr).map(|_| ())
}

pub fn map_delete(fd: RawFd, key: &[u8]) -> io::Result<()> {
    let mut attr = map_attr(fd, key.as_ptr(), std::ptr::null(), 0);
    match bpf(BPF_MAP_DELETE_ELEM, &mut attr) {
        Ok(_) => Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Runs a loaded program once (raw tracepoint programs: BEGIN and END).
pub fn test_run(prog_fd: RawFd) -> io::Result<u32> {
    let ctx = [0u64; 8];
    let mut a = [0u64; 16];
    a[0] = prog_fd as u32 as u64;
    // ctx_size_in (offset 40) and ctx_in (offset 48).
    a[5] = (std::mem::size_of_val(&ctx) as u64) & 0xffff_ffff;
    a[6] = ctx.as_ptr() as u64;
    bpf(BPF_PROG_TEST_RUN, &mut a)?;
    Ok((a[0] >> 32) as u32)
}
