//! Queries against the running kernel's BTF. Skipped (with a note) where
//! /sys/kernel/btf/vmlinux does not exist.

use std::path::Path;
use std::sync::OnceLock;
use std::time::Instant;

use scry_btf::{Btf, Kind};

const VMLINUX: &str = "/sys/kernel/btf/vmlinux";

fn vmlinux() -> Option<&'static Btf> {
    static BTF: OnceLock<Option<Btf>> = OnceLock::new();
    BTF.get_or_init(|| {
        if !Path::new(VMLINUX).exists() {
            eprintln!("skipped: no {VMLINUX}");
            return None;
        }
        Some(Btf::from_file(Path::new(VMLINUX)).expect("parse vmlinux BTF"))
    })
    .as_ref()
}

fn struct_id(btf: &Btf, name: &str) -> u32 {
    btf.find(name, Kind::Struct)
        .unwrap_or_else(|| panic!("struct {name}"))
}

#[test]
fn parse_timing() {
    if !Path::new(VMLINUX).exists() {
        return;
    }
    let t = Instant::now();
    let data = std::fs::read(VMLINUX).unwrap();
    let read = t.elapsed();
    let size = data.len();
    let t = Instant::now();
    let btf = Btf::parse(data).unwrap();
    let parse = t.elapsed();
    let t = Instant::now();
    let id = btf.find("task_struct", Kind::Struct);
    let first_find = t.elapsed();
    let t = Instant::now();
    let v = btf.enum_value("BPF_MAP_TYPE_RINGBUF");
    let first_enum = t.elapsed();
    println!(
        "vmlinux BTF: {size} bytes, {} types; read {read:?}; parse {parse:?}; \
         first find {first_find:?}; first enum lookup {first_enum:?}",
        btf.len()
    );
    assert!(btf.len() > 1000);
    assert!(id.is_some() && v.is_some());

    // A private read-only map (allowed since Linux 6.16) avoids the copy.
    let t = Instant::now();
    let file = std::fs::File::open(VMLINUX).unwrap();
    match unsafe { memmap2::MmapOptions::new().map_copy_read_only(&file) } {
        Ok(map) => {
            let mapped = Btf::parse_bytes(map).unwrap();
            println!("mmap + parse: {:?}", t.elapsed());
            assert_eq!(mapped.len(), btf.len());
            assert_eq!(mapped.find("task_struct", Kind::Struct), id);
        }
        Err(e) => println!("mmap of {VMLINUX} not allowed here: {e}"),
    }
}

#[test]
fn task_struct_members() {
    let Some(btf) = vmlinux() else { return };
    let task = struct_id(btf, "task_struct");
    assert_eq!(btf.kind(task), Some(Kind::Struct));
    assert!(btf.size_of(task).unwrap() > 1000);

    let pid = btf.member(task, "pid").unwrap();
    assert_eq!(pid.bitfield_size, 0);
    assert_eq!(pid.bit_offset % 32, 0);
    let info = btf.int_info(pid.type_id).unwrap();
    assert_eq!((info.bytes, info.signed, info.is_char), (4, true, false));
    assert_eq!(btf.type_to_string(pid.type_id), "pid_t");
    assert_eq!(btf.size_of(pid.type_id), Some(4));

    let tgid = btf.member(task, "tgid").unwrap();
    assert_eq!(tgid.bit_offset, pid.bit_offset + 32);

    let comm = btf.member(task, "comm").unwrap();
    let (elem, n) = btf.array_info(comm.type_id).unwrap();
    assert_eq!(n, 16);
    assert!(btf.int_info(elem).unwrap().is_char);
    assert_eq!(btf.size_of(comm.type_id), Some(16));
    assert_eq!(btf.type_to_string(comm.type_id), "char[16]");

    let parent = btf.member(task, "real_parent").unwrap();
    assert_eq!(btf.pointee(parent.type_id), Some(task));
    assert_eq!(btf.size_of(parent.type_id), Some(8));
    assert_eq!(btf.type_to_string(parent.type_id), "struct task_struct *");

    assert!(btf.member(task, "no_such_member").is_none());
    let all = btf.members(task);
    assert!(all
        .iter()
        .any(|m| m.name == "pid" && m.bit_offset == pid.bit_offset));
    println!(
        "task_struct: {} members, pid at byte {}, comm at byte {}",
        all.len(),
        pid.bit_offset / 8,
        comm.bit_offset / 8
    );
}

#[test]
fn anonymous_members() {
    let Some(btf) = vmlinux() else { return };
    let skb = struct_id(btf, "sk_buff");
    // union { struct { next; prev; union { dev; dev_scratch; }; }; rbnode; ... }
    let next = btf.member(skb, "next").unwrap();
    let dev = btf.member(skb, "dev").unwrap();
    let scratch = btf.member(skb, "dev_scratch").unwrap();
    assert_eq!(dev.bit_offset, next.bit_offset + 128);
    assert_eq!(scratch.bit_offset, dev.bit_offset);
    assert_eq!(btf.type_to_string(dev.type_id), "struct net_device *");
    // union { ktime_t tstamp; u64 skb_mstamp_ns; } right after `sk`.
    let sk = btf.member(skb, "sk").unwrap();
    let tstamp = btf.member(skb, "tstamp").unwrap();
    assert_eq!(tstamp.bit_offset, sk.bit_offset + 64);
    assert_eq!(btf.type_to_string(tstamp.type_id), "ktime_t");
    // The anonymous union is a direct member with an empty name.
    assert!(btf.members(skb).iter().any(|m| m.name.is_empty()));
    // Bitfields.
    let cloned = btf.member(skb, "cloned").unwrap();
    assert_eq!(cloned.bitfield_size, 1);
    let fclone = btf.member(skb, "fclone").unwrap();
    assert_eq!(fclone.bitfield_size, 2);
    println!(
        "sk_buff: dev at byte {}, tstamp at byte {}, cloned at bit {}",
        dev.bit_offset / 8,
        tstamp.bit_offset / 8,
        cloned.bit_offset
    );
}

#[test]
fn tp_btf_prototype() {
    let Some(btf) = vmlinux() else { return };
    let id = btf.find("btf_trace_sched_switch", Kind::Typedef).unwrap();
    let proto = btf.func_proto(id).unwrap();
    let spelled: Vec<String> = proto
        .params
        .iter()
        .map(|(_, t)| btf.type_to_string(*t))
        .collect();
    println!("btf_trace_sched_switch: {spelled:?}");
    assert_eq!(spelled[0], "void *");
    assert_eq!(proto.ret, 0);
    let tasks = spelled
        .iter()
        .filter(|s| *s == "struct task_struct *")
        .count();
    assert_eq!(tasks, 2);
    assert!(spelled.iter().any(|s| s == "bool"));
}

#[test]
fn func_vfs_read() {
    let Some(btf) = vmlinux() else { return };
    let f = btf.find("vfs_read", Kind::Func).unwrap();
    let proto = btf.func_proto(f).unwrap();
    let names: Vec<&str> = proto.params.iter().map(|(n, _)| n.as_str()).collect();
    let types: Vec<String> = proto
        .params
        .iter()
        .map(|(_, t)| btf.type_to_string(*t))
        .collect();
    println!("vfs_read: {} -> {names:?} {types:?}", btf.type_to_string(f));
    assert_eq!(btf.type_to_string(proto.ret), "ssize_t");
    assert_eq!(types, ["struct file *", "char *", "size_t", "loff_t *"]);
    assert_eq!(names[0], "file");
    assert!(!proto.variadic);
    assert!(btf
        .type_to_string(f)
        .starts_with("ssize_t vfs_read(struct file *, "));

    let k = btf.find("kstrdup", Kind::Func).unwrap();
    let p = btf.func_proto(k).unwrap();
    assert_eq!(btf.type_to_string(p.params[0].1), "const char *");
    assert_eq!(btf.type_to_string(p.ret), "char *");
}

#[test]
fn enums_and_ints() {
    let Some(btf) = vmlinux() else { return };
    let (id, v) = btf.enum_value("BPF_MAP_TYPE_RINGBUF").unwrap();
    assert_eq!(v, 27);
    assert_eq!(btf.kind(id), Some(Kind::Enum));
    assert!(btf
        .enumerators(id)
        .contains(&("BPF_MAP_TYPE_HASH".to_string(), 1)));
    assert!(btf.int_info(id).is_some());
    assert!(btf.enum_value("NO_SUCH_ENUMERATOR_X").is_none());
    if let Some((id, v)) = btf.enum_value("BPF_F_CTXLEN_MASK") {
        assert_eq!(btf.kind(id), Some(Kind::Enum64));
        assert_eq!(v, 0xfffff << 32);
    }
    let uint = btf.find("unsigned int", Kind::Int).unwrap();
    assert_eq!(btf.type_to_string(uint), "unsigned int");
    let i = btf.int_info(uint).unwrap();
    assert_eq!((i.bytes, i.signed, i.bits), (4, false, 32));
    let u64t = btf.find("u64", Kind::Typedef).unwrap();
    assert_eq!(btf.type_to_string(u64t), "u64");
    assert_eq!(btf.int_info(u64t).unwrap().bytes, 8);
    let b = btf.find("_Bool", Kind::Int).unwrap();
    assert!(btf.int_info(b).unwrap().is_bool);
    // Forward declarations lose to definitions.
    let fwd_or_def = btf.find("task_struct", Kind::Struct).unwrap();
    assert_eq!(btf.kind(fwd_or_def), Some(Kind::Struct));
    assert!(btf.find("task_struct", Kind::Union).is_none());
    assert!(btf.find_all("task_struct").contains(&fwd_or_def));
}

/// Compares every type's kind and name, and every struct/union member,
/// with `bpftool btf dump ... format raw` when bpftool is installed.
#[test]
fn matches_bpftool() {
    let Some(btf) = vmlinux() else { return };
    let out = match std::process::Command::new("bpftool")
        .args(["btf", "dump", "file", VMLINUX, "format", "raw"])
        .output()
    {
        Ok(o) if o.status.success() => String::from_utf8(o.stdout).unwrap(),
        _ => {
            eprintln!("skipped: bpftool not available");
            return;
        }
    };
    let mut types = 0u32;
    let mut members_checked = 0usize;
    let mut current: Option<(u32, Vec<scry_btf::Member>, usize)> = None;
    for line in out.lines() {
        if let Some(rest) = line.strip_prefix('[') {
            let (id, rest) = rest.split_once("] ").unwrap();
            let id: u32 = id.parse().unwrap();
            let (kind, rest) = rest.split_once(" '").unwrap();
            let (name, rest) = rest.split_once('\'').unwrap();
            let name = if name == "(anon)" { "" } else { name };
            let expect = match kind {
                "INT" => Kind::Int,
                "PTR" => Kind::Ptr,
                "ARRAY" => Kind::Array,
                "STRUCT" => Kind::Struct,
                "UNION" => Kind::Union,
                "ENUM" => Kind::Enum,
                "ENUM64" => Kind::Enum64,
                "FWD" => Kind::Fwd,
                "TYPEDEF" => Kind::Typedef,
                "VOLATILE" => Kind::Volatile,
                "CONST" => Kind::Const,
                "RESTRICT" => Kind::Restrict,
                "FUNC" => Kind::Func,
                "FUNC_PROTO" => Kind::FuncProto,
                "VAR" => Kind::Var,
                "DATASEC" => Kind::Datasec,
                "FLOAT" => Kind::Float,
                "DECL_TAG" => Kind::DeclTag,
                "TYPE_TAG" => Kind::TypeTag,
                other => panic!("unknown bpftool kind {other}"),
            };
            assert_eq!(btf.kind(id), Some(expect), "kind of [{id}]");
            assert_eq!(btf.name(id), name, "name of [{id}]");
            if let Some(size) = rest.split(' ').find_map(|w| w.strip_prefix("size=")) {
                if matches!(expect, Kind::Struct | Kind::Union | Kind::Int) {
                    assert_eq!(
                        btf.size_of(id),
                        Some(size.parse().unwrap()),
                        "size of [{id}]"
                    );
                }
            }
            current = expect.is_record().then(|| (id, btf.members(id), 0));
            types += 1;
        } else if let (Some((id, members, i)), Some(m)) =
            (current.as_mut(), line.strip_prefix('\t'))
        {
            // 'name' type_id=N bits_offset=N[ bitfield_size=N]
            let (name, rest) = m[1..].split_once("' ").unwrap();
            let name = if name == "(anon)" { "" } else { name };
            let field = |key: &str| -> u32 {
                rest.split(' ')
                    .find_map(|w| w.strip_prefix(key))
                    .map_or(0, |v| v.parse().unwrap())
            };
            let got = &members[*i];
            assert_eq!(got.name, name, "member {i} of [{id}]");
            assert_eq!(got.type_id, field("type_id="), "member {name} of [{id}]");
            assert_eq!(
                got.bit_offset,
                field("bits_offset="),
                "member {name} of [{id}]"
            );
            assert_eq!(
                got.bitfield_size,
                field("bitfield_size="),
                "member {name} of [{id}]"
            );
            *i += 1;
            members_checked += 1;
        }
    }
    assert_eq!(types, btf.len());
    println!("bpftool agrees on {types} types and {members_checked} members");
}
