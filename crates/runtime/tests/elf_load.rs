//! End to end: hand-assembled programs, written with `scry_lang::elf`,
//! loaded with aya, attached, observed. Needs root and a BPF-capable kernel;
//! skipped (with a note) otherwise.

use std::path::Path;
use std::sync::Once;
use std::time::Instant;

use std::os::fd::{AsFd, AsRawFd};

use aya::maps::{Array, HashMap, RingBuf};
use aya::programs::{RawTracePoint, TracePoint, UProbe};
use aya::EbpfLoader;
use object::{Object, ObjectSection};
use scry_lang::elf::{write_object, write_object_with_functions, ElfFunction, ElfMap, ElfProgram};

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

/// A program that runs `bpf_for_each_map_elem(&values, callback, NULL, 0)`
/// and adds the number of elements visited into `sums[1]`. Returns the
/// program and its function relocation.
fn for_each_program(name: &str, callback: &str) -> (ElfProgram, Vec<(usize, String)>) {
    let code = [
        insn(0x18, 1, 0, 0, 0),   // r1 = &values (ld_imm64, relocated)
        insn(0x00, 0, 0, 0, 0),   //
        insn(0x18, 2, 4, 0, 0),   // r2 = callback (ld_imm64 src 4, relocated)
        insn(0x00, 0, 0, 0, 0),   //
        insn(0xb7, 3, 0, 0, 0),   // r3 = 0 (callback ctx: NULL)
        insn(0xb7, 4, 0, 0, 0),   // r4 = 0 (flags)
        insn(0x85, 0, 0, 0, 164), // call bpf_for_each_map_elem
        insn(0xbf, 6, 0, 0, 0),   // r6 = r0 (elements visited)
        insn(0x62, 10, 0, -4, 1), // *(u32 *)(r10 - 4) = 1
        insn(0xbf, 2, 10, 0, 0),  // r2 = r10
        insn(0x07, 2, 0, 0, -4),  // r2 += -4
        insn(0x18, 1, 0, 0, 0),   // r1 = &sums (ld_imm64, relocated)
        insn(0x00, 0, 0, 0, 0),   //
        insn(0x85, 0, 0, 0, 1),   // call bpf_map_lookup_elem
        insn(0x15, 0, 0, 1, 0),   // if r0 == 0 goto +1
        insn(0xdb, 0, 6, 0, 0),   // lock *(u64 *)(r0 + 0) += r6
        insn(0xb7, 0, 0, 0, 0),   // r0 = 0
        insn(0x95, 0, 0, 0, 0),   // exit
    ];
    let prog = ElfProgram {
        section: "raw_tracepoint/sys_enter".to_string(),
        name: name.to_string(),
        code: code.concat(),
        map_relocs: vec![(0, "values".to_string()), (11, "sums".to_string())],
    };
    (prog, vec![(2, callback.to_string())])
}

/// A callback `long cb(map, key, value, ctx)` that adds to `sums[slot]`
/// the element's u64 value (`add_value`) or 1, and returns 0 (continue).
fn callback(name: &str, slot: i32, add_value: bool) -> ElfFunction {
    let first = if add_value {
        insn(0x79, 6, 3, 0, 0) // r6 = *(u64 *)(r3 + 0)
    } else {
        insn(0xb7, 6, 0, 0, 1) // r6 = 1
    };
    let code = [
        first,
        insn(0x62, 10, 0, -4, slot), // *(u32 *)(r10 - 4) = slot
        insn(0xbf, 2, 10, 0, 0),     // r2 = r10
        insn(0x07, 2, 0, 0, -4),     // r2 += -4
        insn(0x18, 1, 0, 0, 0),      // r1 = &sums (ld_imm64, relocated)
        insn(0x00, 0, 0, 0, 0),      //
        insn(0x85, 0, 0, 0, 1),      // call bpf_map_lookup_elem
        insn(0x15, 0, 0, 1, 0),      // if r0 == 0 goto +1
        insn(0xdb, 0, 6, 0, 0),      // lock *(u64 *)(r0 + 0) += r6
        insn(0xb7, 0, 0, 0, 0),      // r0 = 0
        insn(0x95, 0, 0, 0, 0),      // exit
    ];
    ElfFunction {
        name: name.to_string(),
        code: code.concat(),
        map_relocs: vec![(4, "sums".to_string())],
        func_relocs: Vec::new(),
    }
}

#[test]
fn for_each_map_elem_callbacks() {
    if !can_run() {
        return;
    }
    // Three programs in one section; two share `add_value` (at .text
    // offset 0), one uses `count_entry` (at a non-zero .text offset).
    let (a, a_funcs) = for_each_program("sum_a", "add_value");
    let (b, b_funcs) = for_each_program("count_b", "count_entry");
    let (c, c_funcs) = for_each_program("sum_c", "add_value");
    let functions = [
        callback("add_value", 0, true),
        callback("count_entry", 2, false),
    ];
    let maps = [
        map("values", BPF_MAP_TYPE_HASH, 4, 8, 16),
        map("sums", BPF_MAP_TYPE_ARRAY, 4, 8, 4),
    ];
    let obj = write_object_with_functions(
        &[a, b, c],
        &[a_funcs, b_funcs, c_funcs],
        &functions,
        &maps,
        "GPL",
    )
    .unwrap();
    std::fs::write("/tmp/scry-elf-callback-test.o", &obj).unwrap();
    kernel_accepts_btf(&obj);

    let mut ebpf = EbpfLoader::new().btf(None).load(&obj).unwrap();
    {
        let mut values: HashMap<_, u32, u64> =
            HashMap::try_from(ebpf.map_mut("values").unwrap()).unwrap();
        for (k, v) in [(1, 10), (2, 20), (3, 30)] {
            values.insert(k, v, 0).unwrap();
        }
    }
    for name in ["sum_a", "count_b", "sum_c"] {
        let prog: &mut RawTracePoint = ebpf.program_mut(name).unwrap().try_into().unwrap();
        if let Err(e) = prog.load() {
            panic!("load {name}: {e:?}");
        }
        let fd = ebpf
            .program(name)
            .unwrap()
            .fd()
            .unwrap()
            .as_fd()
            .as_raw_fd();
        let ret = scry_runtime::bpfsys::test_run(fd).unwrap();
        assert_eq!(ret, 0, "{name} returned {ret}");
    }
    let sums: Array<_, u64> = Array::try_from(ebpf.map("sums").unwrap()).unwrap();
    let got: Vec<u64> = (0..3).map(|i| sums.get(&i, 0).unwrap()).collect();
    // sums[0]: 10+20+30 from each of sum_a and sum_c; sums[1]: 3 elements
    // visited by each of the three programs; sums[2]: count_entry once per
    // element.
    assert_eq!(got, [120, 9, 3]);
}
