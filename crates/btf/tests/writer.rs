//! The writer's output, read back with the reader. (That the kernel accepts
//! it is tested in crates/runtime/tests/elf_load.rs.)

use scry_btf::{Btf, BtfWriter, Kind};

/// Reads `int (*)[N]` back to N.
fn field_value(btf: &Btf, ptr: u32) -> u32 {
    let arr = btf.pointee(ptr).unwrap();
    let (elem, n) = btf.array_info(arr).unwrap();
    assert_eq!(btf.type_to_string(elem), "int");
    n
}

#[test]
fn maps_and_programs() {
    let mut w = BtfWriter::new();
    let counts = w.map_def("counts", 2, 4, 8, 1, 0);
    let events = w.map_def("events", 27, 0, 0, 256 * 1024, 0);
    let hash = w.map_def("hash", 1, 16, 8, 10240, 1);
    let prog = w.program("do_count");
    let prog2 = w.program("do_other");
    assert_eq!((counts.offset, counts.size), (0, 32));
    assert_eq!((events.offset, events.size), (32, 16));
    assert_eq!((hash.offset, hash.size), (48, 40));
    let bytes = w.finish(&[]);

    let btf = Btf::parse(bytes).unwrap();
    assert_eq!(btf.kind(counts.var_id), Some(Kind::Var));
    assert_eq!(btf.name(counts.var_id), "counts");
    let st = btf.referenced(counts.var_id).unwrap();
    assert_eq!(btf.kind(st), Some(Kind::Struct));
    assert_eq!(btf.size_of(st), Some(32));
    let fields: Vec<(String, u32, u32)> = btf
        .members(st)
        .into_iter()
        .map(|m| (m.name, field_value(&btf, m.type_id), m.bit_offset))
        .collect();
    assert_eq!(
        fields,
        [
            ("type".to_string(), 2, 0),
            ("key_size".to_string(), 4, 64),
            ("value_size".to_string(), 8, 128),
            ("max_entries".to_string(), 1, 192),
        ]
    );
    // Ring buffers: type and max_entries only.
    let st = btf.referenced(events.var_id).unwrap();
    let names: Vec<String> = btf.members(st).into_iter().map(|m| m.name).collect();
    assert_eq!(names, ["type", "max_entries"]);
    // Flags when non-zero.
    let st = btf.referenced(hash.var_id).unwrap();
    let flags = btf.member(st, "map_flags").unwrap();
    assert_eq!(field_value(&btf, flags.type_id), 1);

    let sec = btf.find(".maps", Kind::Datasec).unwrap();
    assert_eq!(btf.size_of(sec), Some(88));
    assert_eq!(btf.kind(prog), Some(Kind::Func));
    assert_eq!(btf.type_to_string(prog), "int do_count(void *)");
    let proto = btf.func_proto(prog2).unwrap();
    assert_eq!(proto.params.len(), 1);
    assert_eq!(proto.params[0].0, "ctx");
    assert_eq!(btf.pointee(proto.params[0].1), Some(0));
}

#[test]
fn datasec_size_override_and_strings() {
    let mut w = BtfWriter::new();
    let a = w.map_def("a", 2, 4, 4, 1, 0);
    let u = w.int("unsigned int", 4, false);
    assert_eq!(w.add_string("a"), w.add_string("a"));
    let bytes = w.finish(&[(".maps", 64)]);
    let btf = Btf::parse(bytes).unwrap();
    let sec = btf.find(".maps", Kind::Datasec).unwrap();
    assert_eq!(btf.size_of(sec), Some(64));
    assert_eq!(btf.find("a", Kind::Var), Some(a.var_id));
    let info = btf.int_info(u).unwrap();
    assert_eq!((info.bytes, info.signed), (4, false));
    assert_eq!(btf.type_to_string(u), "unsigned int");
}

#[test]
fn empty_writer() {
    let btf = Btf::parse(BtfWriter::new().finish(&[])).unwrap();
    assert_eq!(btf.len(), 0);
    assert!(btf.find("x", Kind::Int).is_none());
}

#[test]
fn bad_input() {
    assert!(Btf::parse(vec![]).is_err());
    assert!(Btf::parse(vec![0; 64]).is_err());
    let mut good = BtfWriter::new();
    good.map_def("m", 2, 4, 4, 1, 0);
    let bytes = good.finish(&[]);
    // Truncated anywhere: an error, never a panic.
    for len in 0..bytes.len() {
        let _ = Btf::parse(bytes[..len].to_vec());
    }
    // Corrupt bytes: queries must not panic either.
    for i in 24..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0xff;
        if let Ok(btf) = Btf::parse(b) {
            for id in 0..=btf.len() + 1 {
                let _ = btf.type_to_string(id);
                let _ = btf.members(id);
                let _ = btf.size_of(id);
                let _ = btf.func_proto(id);
                let _ = btf.member(id, "type");
            }
            let _ = btf.find("m", Kind::Var);
            let _ = btf.enum_value("m");
        }
    }
}

#[test]
fn cycles_terminate() {
    // `int` is type 1; type 2 is an array of `int` whose element is then
    // patched to point at the array itself.
    let mut w = BtfWriter::new();
    let arr = w.array(1, 2);
    assert_eq!(arr, 2);
    let mut bytes = w.finish(&[]);
    // struct btf_array starts after the 24-byte header, `int` (12 + 4
    // bytes) and the array's own 12-byte btf_type.
    let at = 24 + 16 + 12;
    bytes[at..at + 4].copy_from_slice(&2u32.to_le_bytes());
    let btf = Btf::parse(bytes).unwrap();
    assert_eq!(btf.size_of(2), None);
    let _ = btf.type_to_string(2);
}
