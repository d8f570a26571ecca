//! End to end: hand-assembled programs, written with `scry_lang::elf`,
//! loaded with aya, attached, observed. Needs root and a BPF-capable kernel;
//! skipped (with a note) otherwise.

use std::path::Path;
use std::sync::Once;
use std::time::Instant;

use aya::maps::{Array, HashMap, RingBuf};
use aya::programs::{RawTracePoint, TracePoint, UProbe};
use aya::EbpfLoader;
use object::{Object, ObjectSection};
use scry_lang::elf::{write_object, ElfMap, ElfProgram};

const BPF_MAP_TYPE_HASH: u32 = 1;
const BPF_MAP_TYPE_ARRAY: u32 = 2;
const BPF_MAP_TYPE_RINGBUF: u32 = 27;
const BPF_F_NO_PREALLOC: u32 = 1;

/// One encoded instruction: opcode, registers, offset, immediate.
fn insn(op: u8, dst: u8, src: u8, off: i16, imm: i32) -> [u8; 8] {
    let mut b = [0u8; 8];
    b[0] = op;
    b[1] = (src << 4) | dst;
    b[2..4].copy_from_slice(&off.to_le_bytes());
    b[4..8].copy_from_slice(&imm.to_le_bytes());
    b
}

/// `map[key] += 1` for a u32-keyed map with a u64 value; returns the code
/// and the index of the `ld_imm64` to relocate against the map.
fn counter(key: i32) -> (Vec<u8>, usize) {
    let prog = [
        insn(0x62, 10, 0, -4, key), // *(u32 *)(r10 - 4) = key
        insn(0xbf, 2, 10, 0, 0),    // r2 = r10
        insn(0x07, 2, 0, 0, -4),    // r2 += -4
        insn(0x18, 1, 0, 0, 0),     // r1 = map (ld_imm64, relocated)
        insn(0x00, 0, 0, 0, 0),     //   (second half)
        insn(0x85, 0, 0, 0, 1),     // call bpf_map_lookup_elem
        insn(0x15, 0, 0, 2, 0),     // if r0 == 0 goto +2
        insn(0xb7, 1, 0, 0, 1),     // r1 = 1
        insn(0xdb, 0, 1, 0, 0),     // lock *(u64 *)(r0 + 0) += r1
        insn(0xb7, 0, 0, 0, 0),     // r0 = 0
        insn(0x95, 0, 0, 0, 0),     // exit
    ];
    (prog.concat(), 3)
}

fn program(section: &str, name: &str, key: i32, map: &str) -> ElfProgram {
    let (code, ld) = counter(key);
    ElfProgram {
        section: section.to_string(),
        name: name.to_string(),
        code,
        map_relocs: vec![(ld, map.to_string())],
    }
}

fn map(name: &str, map_type: u32, key_size: u32, value_size: u32, max_entries: u32) -> ElfMap {
    ElfMap {
        name: name.to_string(),
        map_type,
        key_size,
        value_size,
        max_entries,
        flags: 0,
    }
}

fn can_run() -> bool {
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: needs root");
        return false;
    }
    true
}

fn ensure_tracefs() {
    static MOUNT: Once = Once::new();
    MOUNT.call_once(|| {
        if Path::new("/sys/kernel/tracing/events").exists() {
            return;
        }
        let rc = unsafe {
            libc::mount(
                c"nodev".as_ptr(),
                c"/sys/kernel/tracing".as_ptr(),
                c"tracefs".as_ptr(),
                0,
                std::ptr::null(),
            )
        };
        assert_eq!(rc, 0, "mount tracefs: {}", std::io::Error::last_os_error());
    });
}

/// Loads the object's `.BTF` into the kernel directly: aya falls back to no
/// BTF silently when the kernel rejects it, so this is the real check.
fn kernel_accepts_btf(obj: &[u8]) {
    let file = object::File::parse(obj).unwrap();
    let btf = file
        .section_by_name(".BTF")
        .unwrap()
        .data()
        .unwrap()
        .to_vec();
    let mut log = vec![0u8; 64 * 1024];
    // union bpf_attr for BPF_BTF_LOAD: btf, btf_log_buf, btf_size,
    // btf_log_size, btf_log_level.
    let mut attr = [0u8; 128];
    attr[0..8].copy_from_slice(&(btf.as_ptr() as u64).to_ne_bytes());
    attr[8..16].copy_from_slice(&(log.as_mut_ptr() as u64).to_ne_bytes());
    attr[16..20].copy_from_slice(&(btf.len() as u32).to_ne_bytes());
    attr[20..24].copy_from_slice(&(log.len() as u32).to_ne_bytes());
    attr[24..28].copy_from_slice(&1u32.to_ne_bytes());
    const BPF_BTF_LOAD: libc::c_long = 18;
    let fd = unsafe { libc::syscall(libc::SYS_bpf, BPF_BTF_LOAD, attr.as_ptr(), attr.len()) };
    let err = std::io::Error::last_os_error();
    let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
    assert!(
        fd >= 0,
        "kernel rejected the BTF: {err}\n{}",
        String::from_utf8_lossy(&log[..end])
    );
    unsafe { libc::close(fd as i32) };
}

#[test]
fn tracepoint_counts_getppid() {
    if !can_run() {
        return;
    }
    ensure_tracefs();
    // Two programs share one section, each with its own map.
    let section = "tracepoint/syscalls/sys_enter_getppid";
    let programs = [
        program(section, "count_a", 0, "counts"),
        program(section, "count_b", 1, "counts_b"),
    ];
    let maps = [
        map("counts", BPF_MAP_TYPE_ARRAY, 4, 8, 1),
        map("counts_b", BPF_MAP_TYPE_ARRAY, 4, 8, 2),
    ];
    let t = Instant::now();
    let obj = write_object(&programs, &maps, "GPL");
    let write = t.elapsed();
    std::fs::write("/tmp/scry-elf-load-test.o", &obj).unwrap();
    kernel_accepts_btf(&obj);

    // aya 0.14's EbpfLoader::new() parses /sys/kernel/btf/vmlinux itself
    // (there is no other constructor); .btf(None) only drops the result.
    let t = Instant::now();
    let mut loader = EbpfLoader::new();
    let new = t.elapsed();
    let t = Instant::now();
    let mut ebpf = loader.btf(None).load(&obj).unwrap();
    let load = t.elapsed();
    let t = Instant::now();
    for name in ["count_a", "count_b"] {
        let prog: &mut TracePoint = ebpf.program_mut(name).unwrap().try_into().unwrap();
        prog.load().unwrap();
        prog.attach("syscalls", "sys_enter_getppid").unwrap();
    }
    let attach = t.elapsed();
    // A second load measures the steady cost (aya probes features once).
    let t = Instant::now();
    let again = loader.load(&obj).unwrap();
    let reload = t.elapsed();
    drop(again);
    println!(
        "object {} bytes: write_object {write:?}; EbpfLoader::new {new:?}; \
         first load {load:?}; second load {reload:?}; load+attach of 2 programs {attach:?}",
        obj.len()
    );

    for _ in 0..10 {
        unsafe { libc::getppid() };
    }
    let a: Array<_, u64> = Array::try_from(ebpf.map("counts").unwrap()).unwrap();
    let b: Array<_, u64> = Array::try_from(ebpf.map("counts_b").unwrap()).unwrap();
    let (a, b) = (a.get(&0, 0).unwrap(), b.get(&1, 0).unwrap());
    println!("getppid counts: {a}, {b}");
    assert!(a >= 10, "count_a saw {a}");
    assert!(b >= 10, "count_b saw {b}");
}

#[test]
fn ringbuf_and_hash_maps_load() {
    if !can_run() {
        return;
    }
    let programs = [
        // Two uprobes in one plain `uprobe` section, plus a raw tracepoint.
        program("uprobe", "up_one", 0, "hash"),
        program("uprobe", "up_two", 1, "hash"),
        program("raw_tracepoint/sched_switch", "raw_one", 0, "hash"),
    ];
    let maps = [
        map("events", BPF_MAP_TYPE_RINGBUF, 0, 0, 256 * 1024),
        ElfMap {
            flags: BPF_F_NO_PREALLOC,
            ..map("hash", BPF_MAP_TYPE_HASH, 4, 8, 1024)
        },
    ];
    let obj = write_object(&programs, &maps, "GPL");
    kernel_accepts_btf(&obj);
    let mut ebpf = EbpfLoader::new().btf(None).load(&obj).unwrap();
    for name in ["up_one", "up_two"] {
        let prog: &mut UProbe = ebpf.program_mut(name).unwrap().try_into().unwrap();
        prog.load().unwrap();
    }
    let raw: &mut RawTracePoint = ebpf.program_mut("raw_one").unwrap().try_into().unwrap();
    raw.load().unwrap();

    let ring = RingBuf::try_from(ebpf.take_map("events").unwrap()).unwrap();
    drop(ring);
    let mut hash: HashMap<_, u32, u64> = HashMap::try_from(ebpf.map_mut("hash").unwrap()).unwrap();
    hash.insert(7, 42, 0).unwrap();
    assert_eq!(hash.get(&7, 0).unwrap(), 42);
}

#[test]
fn object_without_maps_loads() {
    if !can_run() {
        return;
    }
    let code = [insn(0xb7, 0, 0, 0, 0), insn(0x95, 0, 0, 0, 0)].concat();
    let programs = [ElfProgram {
        section: "perf_event".to_string(),
        name: "tick".to_string(),
        code,
        map_relocs: Vec::new(),
    }];
    let obj = write_object(&programs, &[], "GPL");
    kernel_accepts_btf(&obj);
    let mut ebpf = EbpfLoader::new().btf(None).load(&obj).unwrap();
    let prog: &mut aya::programs::PerfEvent = ebpf.program_mut("tick").unwrap().try_into().unwrap();
    prog.load().unwrap();
}
