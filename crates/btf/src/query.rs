//! Type queries: sizes, integers, pointers, arrays, members, prototypes.

use crate::kind::{Kind, INT_BOOL, INT_CHAR, INT_SIGNED};
use crate::reader::Btf;

/// How far to follow chains of references before giving up (BTF from the
/// kernel has no cycles without a struct in them, but corrupt data might).
pub(crate) const MAX_DEPTH: usize = 64;

/// An integer type (or an enum, which behaves as one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntInfo {
    /// Storage size in bytes (1, 2, 4, 8 or 16).
    pub bytes: u32,
    pub signed: bool,
    /// `char`, `signed char`, `unsigned char` (by encoding or by name).
    pub is_char: bool,
    /// `_Bool` (by encoding or by name).
    pub is_bool: bool,
    /// Bits used (`nr_bits`; 8 * bytes for enums).
    pub bits: u32,
    /// Bit offset within the storage (old-style bitfields; usually 0).
    pub bit_offset: u32,
}

/// A member of a struct or union.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// "" for an anonymous struct/union member.
    pub name: String,
    pub type_id: u32,
    /// Offset from the start of the record, in bits.
    pub bit_offset: u32,
    /// Width of a bitfield; 0 when the member is not a bitfield.
    pub bitfield_size: u32,
}

/// A function prototype.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuncProto {
    /// Return type (0 = void).
    pub ret: u32,
    /// Parameter names (may be "") and types.
    pub params: Vec<(String, u32)>,
    /// Ends with `...`.
    pub variadic: bool,
}

#[derive(Clone, Copy)]
struct RawMember {
    name_off: u32,
    type_id: u32,
    bit_offset: u32,
    bitfield_size: u32,
}

impl Btf {
    /// Follows typedef, const, volatile, restrict and type_tag to the type
    /// they qualify. Returns `id` itself for other kinds, and 0 for void.
    pub fn skip_modifiers(&self, id: u32) -> u32 {
        let mut id = id;
        for _ in 0..MAX_DEPTH {
            match self.raw(id) {
                Some(t) if t.kind.is_modifier() => id = t.size_or_type,
                _ => return id,
            }
        }
        id
    }

    /// Size in bytes of a value of type `id`: modifiers are followed, arrays
    /// are element size times count, pointers are 8. `None` for void,
    /// functions and forward declarations.
    pub fn size_of(&self, id: u32) -> Option<u32> {
        let mut id = id;
        // Product of the counts of the arrays passed through.
        let mut count: u32 = 1;
        for _ in 0..MAX_DEPTH {
            let t = self.raw(id)?;
            let size = match t.kind {
                Kind::Int
                | Kind::Enum
                | Kind::Enum64
                | Kind::Struct
                | Kind::Union
                | Kind::Float
                | Kind::Datasec => t.size_or_type,
                Kind::Ptr => 8,
                Kind::Array => {
                    let (elem, n) = self.array_info(id)?;
                    count = count.checked_mul(n)?;
                    id = elem;
                    continue;
                }
                Kind::Typedef
                | Kind::Const
                | Kind::Volatile
                | Kind::Restrict
                | Kind::TypeTag
                | Kind::Var => {
                    id = t.size_or_type;
                    continue;
                }
                Kind::Fwd | Kind::Func | Kind::FuncProto | Kind::DeclTag => return None,
            };
            return size.checked_mul(count);
        }
        None
    }

    /// Integer facts of `id` after modifiers; enums count as integers.
    pub fn int_info(&self, id: u32) -> Option<IntInfo> {
        let id = self.skip_modifiers(id);
        let t = self.raw(id)?;
        match t.kind {
            Kind::Int => {
                let v = self.u32_at(t.extra());
                let enc = (v >> 24) & 0x0f;
                let name = self.str_at(t.name_off);
                Some(IntInfo {
                    bytes: t.size_or_type,
                    signed: enc & INT_SIGNED != 0,
                    is_char: enc & INT_CHAR != 0
                        || matches!(name, "char" | "signed char" | "unsigned char"),
                    is_bool: enc & INT_BOOL != 0 || matches!(name, "_Bool" | "bool"),
                    bits: v & 0xff,
                    bit_offset: (v >> 16) & 0xff,
                })
            }
            Kind::Enum | Kind::Enum64 => Some(IntInfo {
                bytes: t.size_or_type,
                signed: t.kflag,
                is_char: false,
                is_bool: false,
                bits: t.size_or_type * 8,
                bit_offset: 0,
            }),
            _ => None,
        }
    }

    /// The type a pointer points to (after modifiers on the pointer type);
    /// 0 for `void *`. `None` when `id` is not a pointer.
    pub fn pointee(&self, id: u32) -> Option<u32> {
        let t = self.raw(self.skip_modifiers(id))?;
        (t.kind == Kind::Ptr).then_some(t.size_or_type)
    }

    /// Element type and element count of an array (after modifiers).
    pub fn array_info(&self, id: u32) -> Option<(u32, u32)> {
        let t = self.raw(self.skip_modifiers(id))?;
        if t.kind != Kind::Array {
            return None;
        }
        // struct btf_array { type, index_type, nelems }
        Some((self.u32_at(t.extra()), self.u32_at(t.extra() + 8)))
    }

    /// The direct members of a struct or union (after modifiers); anonymous
    /// members appear with an empty name. Empty for other kinds.
    pub fn members(&self, record_id: u32) -> Vec<Member> {
        self.raw_members(record_id)
            .map(|m| Member {
                name: self.str_at(m.name_off).to_string(),
                type_id: m.type_id,
                bit_offset: m.bit_offset,
                bitfield_size: m.bitfield_size,
            })
            .collect()
    }

    /// The member `name` of a struct or union, looking inside anonymous
    /// struct/union members; the offset is from the start of `record_id`.
    pub fn member(&self, record_id: u32, name: &str) -> Option<Member> {
        if name.is_empty() {
            return None;
        }
        let m = self.find_member(record_id, name.as_bytes(), 0, 0)?;
        Some(Member {
            name: name.to_string(),
            type_id: m.type_id,
            bit_offset: m.bit_offset,
            bitfield_size: m.bitfield_size,
        })
    }

    fn find_member(
        &self,
        record_id: u32,
        name: &[u8],
        base: u32,
        depth: usize,
    ) -> Option<RawMember> {
        if depth > MAX_DEPTH {
            return None;
        }
        for m in self.raw_members(record_id) {
            let m = RawMember {
                bit_offset: base.wrapping_add(m.bit_offset),
                ..m
            };
            if m.name_off == 0 || self.str_bytes_at(m.name_off).is_empty() {
                let inner = self.skip_modifiers(m.type_id);
                if matches!(self.kind(inner), Some(Kind::Struct | Kind::Union)) {
                    if let Some(found) = self.find_member(inner, name, m.bit_offset, depth + 1) {
                        return Some(found);
                    }
                }
            } else if self.str_bytes_at(m.name_off) == name {
                return Some(m);
            }
        }
        None
    }

    /// The direct members of a record (after modifiers), undecoded names.
    fn raw_members(&self, record_id: u32) -> impl Iterator<Item = RawMember> + '_ {
        let t = self
            .raw(self.skip_modifiers(record_id))
            .filter(|t| t.kind.is_record());
        let (at, n, kflag) = t.map_or((0, 0, false), |t| (t.extra(), t.vlen, t.kflag));
        (0..n).map(move |i| {
            // struct btf_member { name_off, type, offset }
            let at = at + i * 12;
            let off = self.u32_at(at + 8);
            let (bit_offset, bitfield_size) = if kflag {
                (off & 0x00ff_ffff, off >> 24)
            } else {
                (off, 0)
            };
            RawMember {
                name_off: self.u32_at(at),
                type_id: self.u32_at(at + 4),
                bit_offset,
                bitfield_size,
            }
        })
    }

    /// The prototype of a function: accepts a FUNC, a FUNC_PROTO, or a
    /// typedef/pointer leading to one (e.g. `btf_trace_sched_switch`).
    pub fn func_proto(&self, func_or_proto_id: u32) -> Option<FuncProto> {
        let mut id = func_or_proto_id;
        for _ in 0..MAX_DEPTH {
            let t = self.raw(self.skip_modifiers(id))?;
            match t.kind {
                Kind::Func | Kind::Ptr => id = t.size_or_type,
                Kind::FuncProto => return Some(self.read_proto(t.extra(), t.vlen, t.size_or_type)),
                _ => return None,
            }
        }
        None
    }

    fn read_proto(&self, at: usize, vlen: usize, ret: u32) -> FuncProto {
        let mut params = Vec::with_capacity(vlen);
        let mut variadic = false;
        for i in 0..vlen {
            // struct btf_param { name_off, type }
            let name_off = self.u32_at(at + i * 8);
            let ty = self.u32_at(at + i * 8 + 4);
            if ty == 0 && i + 1 == vlen {
                variadic = true;
            } else {
                params.push((self.str_at(name_off).to_string(), ty));
            }
        }
        FuncProto {
            ret,
            params,
            variadic,
        }
    }

    /// The enumerators of an enum (after modifiers), as (name, value).
    pub fn enumerators(&self, enum_id: u32) -> Vec<(String, i64)> {
        let Some(t) = self.raw(self.skip_modifiers(enum_id)) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(t.vlen);
        for i in 0..t.vlen {
            match t.kind {
                Kind::Enum => {
                    let at = t.extra() + i * 8;
                    let v = self.u32_at(at + 4);
                    let v = if t.kflag { v as i32 as i64 } else { v as i64 };
                    out.push((self.str_at(self.u32_at(at)).to_string(), v));
                }
                Kind::Enum64 => {
                    let at = t.extra() + i * 12;
                    let lo = self.u32_at(at + 4) as u64;
                    let hi = self.u32_at(at + 8) as u64;
                    out.push((
                        self.str_at(self.u32_at(at)).to_string(),
                        (hi << 32 | lo) as i64,
                    ));
                }
                _ => break,
            }
        }
        out
    }

    /// The type a VAR, FUNC, PTR, typedef or qualifier refers to (its
    /// `type` field); `None` for kinds that have a size instead.
    pub fn referenced(&self, id: u32) -> Option<u32> {
        let t = self.raw(id)?;
        match t.kind {
            Kind::Ptr
            | Kind::Typedef
            | Kind::Const
            | Kind::Volatile
            | Kind::Restrict
            | Kind::TypeTag
            | Kind::Func
            | Kind::Var
            | Kind::DeclTag => Some(t.size_or_type),
            Kind::Array => self.array_info(id).map(|(e, _)| e),
            Kind::FuncProto => Some(t.size_or_type),
            _ => None,
        }
    }
}
