//! Writing the `.BTF` section of a generated BPF object: libbpf-style
//! BTF-defined maps (`struct { int (*type)[T]; ... } name SEC(".maps")`) and
//! a FUNC per program. The kernel validates this BTF when aya loads it, so
//! every name must be a C identifier (DATASEC names may hold dots).

use std::collections::HashMap;

use crate::kind::{Kind, HDR_LEN, INT_SIGNED, MAGIC};

/// `BPF_MAP_TYPE_RINGBUF` and `BPF_MAP_TYPE_USER_RINGBUF`: no key or value.
const RINGBUF_TYPES: [u32; 2] = [27, 31];

/// VAR linkage `BTF_VAR_GLOBAL_ALLOCATED`.
const VAR_GLOBAL: u32 = 1;
/// FUNC linkage `BTF_FUNC_STATIC`: the verifier demands it of callbacks
/// ("callback function not static").
const FUNC_STATIC: u32 = 0;
/// FUNC linkage `BTF_FUNC_GLOBAL`.
const FUNC_GLOBAL: u32 = 1;

/// Where [`BtfWriter::map_def`] placed a map in the `.maps` section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapVar {
    /// The VAR's type id.
    pub var_id: u32,
    /// Offset of the map's symbol in `.maps`.
    pub offset: u32,
    /// Size of the map's definition (the symbol's size).
    pub size: u32,
}

struct Datasec {
    name: String,
    /// (var type id, offset, size)
    vars: Vec<(u32, u32, u32)>,
}

/// Builds BTF type and string sections. Ids are handed out in order from 1.
pub struct BtfWriter {
    types: Vec<u8>,
    strings: Vec<u8>,
    string_offsets: HashMap<String, u32>,
    count: u32,
    int_id: Option<u32>,
    void_ptr_id: Option<u32>,
    ctx_proto_id: Option<u32>,
    callback_proto_id: Option<u32>,
    /// N -> id of `int (*)[N]`.
    field_ptrs: HashMap<u32, u32>,
    datasecs: Vec<Datasec>,
}

impl Default for BtfWriter {
    fn default() -> Self {
        BtfWriter::new()
    }
}

impl BtfWriter {
    pub fn new() -> BtfWriter {
        BtfWriter {
            types: Vec::new(),
            strings: vec![0],
            string_offsets: HashMap::new(),
            count: 0,
            int_id: None,
            void_ptr_id: None,
            ctx_proto_id: None,
            callback_proto_id: None,
            field_ptrs: HashMap::new(),
            datasecs: Vec::new(),
        }
    }

    /// Offset of `s` in the string section (0 for ""), adding it once.
    pub fn add_string(&mut self, s: &str) -> u32 {
        if s.is_empty() {
            return 0;
        }
        if let Some(&off) = self.string_offsets.get(s) {
            return off;
        }
        let off = self.strings.len() as u32;
        self.strings.extend_from_slice(s.as_bytes());
        self.strings.push(0);
        self.string_offsets.insert(s.to_string(), off);
        off
    }

    fn push_u32(&mut self, v: u32) {
        self.types.extend_from_slice(&v.to_le_bytes());
    }

    /// Appends `struct btf_type`; returns the new type's id.
    fn push_type(
        &mut self,
        name: &str,
        kind: Kind,
        vlen: usize,
        kflag: bool,
        size_or_type: u32,
    ) -> u32 {
        let name_off = self.add_string(name);
        let info = (kflag as u32) << 31 | kind.raw() << 24 | (vlen as u32 & 0xffff);
        self.push_u32(name_off);
        self.push_u32(info);
        self.push_u32(size_or_type);
        self.count += 1;
        self.count
    }

    /// An integer type: `int`, `unsigned int`, `long long unsigned int` ...
    pub fn int(&mut self, name: &str, bytes: u32, signed: bool) -> u32 {
        let id = self.push_type(name, Kind::Int, 0, false, bytes);
        let enc = if signed { INT_SIGNED } else { 0 };
        self.push_u32(enc << 24 | (bytes * 8));
        id
    }

    /// The `int` type, added on first use.
    pub fn int_type(&mut self) -> u32 {
        if let Some(id) = self.int_id {
            return id;
        }
        let id = self.int("int", 4, true);
        self.int_id = Some(id);
        id
    }

    /// A pointer to `target` (0 = void).
    pub fn ptr(&mut self, target: u32) -> u32 {
        self.push_type("", Kind::Ptr, 0, false, target)
    }

    /// An array of `nelems` elements of type `elem` (indexed by `int`).
    pub fn array(&mut self, elem: u32, nelems: u32) -> u32 {
        let index = self.int_type();
        let id = self.push_type("", Kind::Array, 0, false, 0);
        self.push_u32(elem);
        self.push_u32(index);
        self.push_u32(nelems);
        id
    }

    /// A struct ("" = anonymous) of `size` bytes with (name, type, bit
    /// offset) members.
    pub fn struct_type(&mut self, name: &str, size: u32, members: &[(&str, u32, u32)]) -> u32 {
        let id = self.push_type(name, Kind::Struct, members.len(), false, size);
        for &(name, ty, bit_offset) in members {
            let name_off = self.add_string(name);
            self.push_u32(name_off);
            self.push_u32(ty);
            self.push_u32(bit_offset);
        }
        id
    }

    /// A global variable of type `ty`.
    pub fn var(&mut self, name: &str, ty: u32) -> u32 {
        let id = self.push_type(name, Kind::Var, 0, false, ty);
        self.push_u32(VAR_GLOBAL);
        id
    }

    /// A function prototype with named parameters.
    pub fn func_proto(&mut self, ret: u32, params: &[(&str, u32)]) -> u32 {
        let id = self.push_type("", Kind::FuncProto, params.len(), false, ret);
        for &(name, ty) in params {
            let name_off = self.add_string(name);
            self.push_u32(name_off);
            self.push_u32(ty);
        }
        id
    }

    /// A function (`linkage`: 0 static, 1 global, 2 extern).
    pub fn func(&mut self, name: &str, proto: u32, linkage: u32) -> u32 {
        self.push_type(name, Kind::Func, linkage as usize, false, proto)
    }

    /// `void *`, added on first use.
    fn void_ptr(&mut self) -> u32 {
        if let Some(id) = self.void_ptr_id {
            return id;
        }
        let id = self.ptr(0);
        self.void_ptr_id = Some(id);
        id
    }

    /// A BPF program: a global `int name(void *ctx)`.
    pub fn program(&mut self, name: &str) -> u32 {
        let proto = match self.ctx_proto_id {
            Some(id) => id,
            None => {
                let int = self.int_type();
                let void_ptr = self.void_ptr();
                let id = self.func_proto(int, &[("ctx", void_ptr)]);
                self.ctx_proto_id = Some(id);
                id
            }
        };
        self.func(name, proto, FUNC_GLOBAL)
    }

    /// A callback subprogram (for `bpf_for_each_map_elem` and its kin): a
    /// static `long name(void *map, void *key, void *value, void *ctx)`.
    /// The verifier refuses a callback whose FUNC is not static.
    pub fn callback(&mut self, name: &str) -> u32 {
        let proto = match self.callback_proto_id {
            Some(id) => id,
            None => {
                let long = self.int("long", 8, true);
                let p = self.void_ptr();
                let id = self.func_proto(long, &[("map", p), ("key", p), ("value", p), ("ctx", p)]);
                self.callback_proto_id = Some(id);
                id
            }
        };
        self.func(name, proto, FUNC_STATIC)
    }

    /// Puts VAR `var_id` into DATASEC `section` at `offset`.
    pub fn datasec_var(&mut self, section: &str, var_id: u32, offset: u32, size: u32) {
        let i = match self.datasecs.iter().position(|d| d.name == section) {
            Some(i) => i,
            None => {
                self.datasecs.push(Datasec {
                    name: section.to_string(),
                    vars: Vec::new(),
                });
                self.datasecs.len() - 1
            }
        };
        self.datasecs[i].vars.push((var_id, offset, size));
    }

    /// The end of the last variable placed in `section` (0 when none).
    pub fn datasec_end(&self, section: &str) -> u32 {
        self.datasecs
            .iter()
            .find(|d| d.name == section)
            .and_then(|d| d.vars.iter().map(|&(_, off, size)| off + size).max())
            .unwrap_or(0)
    }

    /// `int (*)[n]`: how a BTF map definition encodes a number.
    fn field(&mut self, n: u32) -> u32 {
        if let Some(&id) = self.field_ptrs.get(&n) {
            return id;
        }
        let int = self.int_type();
        let arr = self.array(int, n);
        let id = self.ptr(arr);
        self.field_ptrs.insert(n, id);
        id
    }

    /// Defines map `name` the way libbpf's `__uint()` macros do, as a VAR
    /// placed after the previous maps in DATASEC `.maps`. Ring buffers get
    /// no key or value size; flags appear only when non-zero.
    pub fn map_def(
        &mut self,
        name: &str,
        map_type: u32,
        key_size: u32,
        value_size: u32,
        max_entries: u32,
        flags: u32,
    ) -> MapVar {
        let mut fields = vec![("type", map_type)];
        if !RINGBUF_TYPES.contains(&map_type) {
            fields.push(("key_size", key_size));
            fields.push(("value_size", value_size));
        }
        fields.push(("max_entries", max_entries));
        if flags != 0 {
            fields.push(("map_flags", flags));
        }
        let members: Vec<(&str, u32, u32)> = fields
            .iter()
            .enumerate()
            .map(|(i, &(fname, n))| (fname, self.field(n), i as u32 * 64))
            .collect();
        let size = members.len() as u32 * 8;
        let st = self.struct_type("", size, &members);
        let var_id = self.var(name, st);
        let offset = self.datasec_end(".maps").next_multiple_of(8);
        self.datasec_var(".maps", var_id, offset, size);
        MapVar {
            var_id,
            offset,
            size,
        }
    }

    /// Number of types so far.
    pub fn len(&self) -> u32 {
        self.count
    }

    /// True when no type has been added.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Adds the DATASECs and returns the BTF bytes. A DATASEC's size comes
    /// from `datasec_sizes` (section name, size) when listed, else from the
    /// end of its last variable.
    pub fn finish(mut self, datasec_sizes: &[(&str, u32)]) -> Vec<u8> {
        for mut d in std::mem::take(&mut self.datasecs) {
            d.vars.sort_by_key(|&(_, off, _)| off);
            let size = datasec_sizes
                .iter()
                .find(|(n, _)| *n == d.name)
                .map(|&(_, s)| s)
                .unwrap_or_else(|| d.vars.iter().map(|&(_, o, s)| o + s).max().unwrap_or(0));
            self.push_type(&d.name, Kind::Datasec, d.vars.len(), false, size);
            for (var, off, size) in d.vars {
                self.push_u32(var);
                self.push_u32(off);
                self.push_u32(size);
            }
        }
        let mut out = Vec::with_capacity(HDR_LEN + self.types.len() + self.strings.len());
        out.extend_from_slice(&MAGIC.to_le_bytes());
        out.push(1); // version
        out.push(0); // flags
        let type_len = self.types.len() as u32;
        for v in [
            HDR_LEN as u32,
            0,
            type_len,
            type_len,
            self.strings.len() as u32,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&self.types);
        out.extend_from_slice(&self.strings);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Btf;

    /// The vlen of type `id` (a FUNC's linkage), walking the kinds this
    /// writer emits.
    fn linkage(bytes: &[u8], id: u32) -> u32 {
        let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        let mut at = HDR_LEN;
        for _ in 1..id {
            let info = word(at + 4);
            let vlen = (info & 0xffff) as usize;
            at += 12
                + match Kind::from_raw(info >> 24 & 0x1f).unwrap() {
                    Kind::Int | Kind::Var => 4,
                    Kind::Array => 12,
                    Kind::Struct | Kind::Datasec => 12 * vlen,
                    Kind::FuncProto => 8 * vlen,
                    _ => 0,
                };
        }
        word(at + 4) & 0xffff
    }

    #[test]
    fn callbacks_are_static() {
        let mut w = BtfWriter::new();
        let prog = w.program("prog");
        let a = w.callback("cb_a");
        let b = w.callback("cb_b");
        let bytes = w.finish(&[]);
        assert_eq!(linkage(&bytes, prog), FUNC_GLOBAL);
        let btf = Btf::parse(bytes.clone()).unwrap();
        for id in [a, b] {
            assert_eq!(btf.kind(id), Some(Kind::Func));
            assert_eq!(linkage(&bytes, id), FUNC_STATIC);
            let proto = btf.func_proto(id).unwrap();
            assert_eq!(btf.type_to_string(proto.ret), "long");
            let names: Vec<&str> = proto.params.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names, ["map", "key", "value", "ctx"]);
            assert!(proto
                .params
                .iter()
                .all(|&(_, t)| btf.type_to_string(t) == "void *"));
        }
        assert_eq!(
            btf.func_proto(a).unwrap().params,
            btf.func_proto(b).unwrap().params
        );
    }
}
