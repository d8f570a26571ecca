//! Converts kernel types (BTF ids and tracepoint C declarations) into
//! script [`Type`]s.

use crate::env::{Env, TpField};
use crate::types::{Record, Type};
use scry_btf::{Btf, Kind};

/// The script type of a BTF type. `char` arrays become strings, as in bpftrace.
pub fn from_btf(btf: &Btf, id: u32) -> Type {
    from_btf_depth(btf, id, 0)
}

fn from_btf_depth(btf: &Btf, id: u32, depth: u32) -> Type {
    let alias = typedef_name(btf, id);
    let id = btf.skip_modifiers(id);
    if id == 0 || depth > 16 {
        return Type::None;
    }
    match btf.kind(id) {
        Some(Kind::Int) | Some(Kind::Enum) | Some(Kind::Enum64) => match btf.int_info(id) {
            Some(i) if i.is_bool => Type::Bool,
            Some(i) => Type::int(i.bytes as u8, i.signed),
            None => Type::U64,
        },
        Some(Kind::Ptr) => {
            let to = btf.pointee(id).unwrap_or(0);
            let inner = if to == 0 {
                Type::int(1, false)
            } else {
                from_btf_depth(btf, to, depth + 1)
            };
            Type::Ptr(Box::new(match inner {
                Type::None => Type::int(1, false),
                t => t,
            }))
        }
        Some(Kind::Array) => {
            let (elem, n) = btf.array_info(id).unwrap_or((0, 0));
            let et = from_btf_depth(btf, elem, depth + 1);
            // Only plain `char` arrays are strings, as in bpftrace: `__u8`
            // arrays (IPv6 addresses) are read whole, NUL bytes included.
            let base = btf.skip_modifiers(elem);
            match et {
                Type::Int { bytes: 1, .. } if btf.name(base) == "char" => Type::Str(n),
                t => Type::Array(Box::new(t), n),
            }
        }
        Some(Kind::Struct) | Some(Kind::Union) | Some(Kind::Fwd) => {
            let prefix = if btf.kind(id) == Some(Kind::Union) {
                "union"
            } else {
                "struct"
            };
            // An anonymous record is called by its typedef (memdesc_flags_t).
            let name = match (btf.name(id), alias) {
                ("", Some(alias)) => alias.to_string(),
                ("", None) => format!("{prefix} (anonymous)"),
                (name, _) => format!("{prefix} {name}"),
            };
            Type::Record(Record {
                name,
                btf_id: id,
                size: btf.size_of(id).unwrap_or(0),
            })
        }
        Some(Kind::Float) => Type::int(btf.size_of(id).unwrap_or(8) as u8, true),
        _ => Type::U64,
    }
}

/// The name of the first typedef on the way from `id` to its type.
fn typedef_name(btf: &Btf, mut id: u32) -> Option<&str> {
    for _ in 0..16 {
        match btf.kind(id) {
            Some(Kind::Typedef) => return Some(btf.name(id)),
            Some(Kind::Const | Kind::Volatile | Kind::Restrict | Kind::TypeTag) => {
                id = btf.referenced(id)?;
            }
            _ => return None,
        }
    }
    None
}

/// Looks up `struct x` / `union x` / a typedef / an int type name.
pub fn named_type(env: &dyn Env, name: &str) -> Option<Type> {
    if let Some(t) = builtin_int(name) {
        return Some(t);
    }
    let btf = env.btf()?;
    let (kind, bare) = if let Some(n) = name.strip_prefix("struct ") {
        (Kind::Struct, n.trim())
    } else if let Some(n) = name.strip_prefix("union ") {
        (Kind::Union, n.trim())
    } else if let Some(n) = name.strip_prefix("enum ") {
        (Kind::Enum, n.trim())
    } else {
        (Kind::Typedef, name)
    };
    let id = btf.find(bare, kind).or_else(|| {
        if kind == Kind::Typedef {
            btf.find(bare, Kind::Struct)
                .or_else(|| btf.find(bare, Kind::Int))
        } else {
            None
        }
    })?;
    Some(from_btf(btf, id))
}

/// bpftrace's integer type names and common C spellings.
pub fn builtin_int(name: &str) -> Option<Type> {
    let name = name.trim();
    Some(match name {
        "int8" | "s8" | "__s8" | "int8_t" | "signed char" => Type::int(1, true),
        "char" => Type::int(1, true),
        "uint8" | "u8" | "__u8" | "uint8_t" | "unsigned char" => Type::int(1, false),
        "int16" | "s16" | "__s16" | "int16_t" | "short" => Type::int(2, true),
        "uint16" | "u16" | "__u16" | "uint16_t" | "unsigned short" => Type::int(2, false),
        "int32" | "s32" | "__s32" | "int32_t" | "int" | "signed int" | "pid_t" => {
            Type::int(4, true)
        }
        "uint32" | "u32" | "__u32" | "uint32_t" | "unsigned int" | "unsigned" | "uid_t"
        | "gid_t" => Type::int(4, false),
        "int64" | "s64" | "__s64" | "int64_t" | "long" | "long long" | "ssize_t" | "loff_t" => {
            Type::int(8, true)
        }
        "uint64" | "u64" | "__u64" | "uint64_t" | "unsigned long" | "unsigned long long"
        | "size_t" | "uintptr_t" => Type::int(8, false),
        "bool" | "_Bool" => Type::Bool,
        _ => return None,
    })
}

/// A tracepoint field is `__data_loc` when its bytes hold (len << 16 | offset).
pub fn is_data_loc(f: &TpField) -> bool {
    f.c_type.starts_with("__data_loc")
}

/// The type of a tracepoint field from its C declaration.
pub fn from_tp_field(env: &dyn Env, f: &TpField, max_strlen: u32) -> Type {
    let c = f.c_type.trim();
    if is_data_loc(f) {
        return Type::Str(max_strlen);
    }
    let scalar = || Type::int(f.size.clamp(1, 8) as u8, f.signed);
    if let Some(open) = c.find('[') {
        let elem = c[..open].trim();
        let n: u32 = c[open + 1..].trim_end_matches(']').parse().unwrap_or(0);
        let elem = elem.trim_start_matches("const ").trim();
        if elem == "char" {
            return Type::Str(n);
        }
        let et = builtin_int(elem).unwrap_or(Type::int(1, false));
        let n = if n == 0 { f.size / et.size().max(1) } else { n };
        return Type::Array(Box::new(et), n);
    }
    if let Some(base) = c.strip_suffix('*') {
        let base = base.trim().trim_start_matches("const ").trim();
        let base = base.trim_end_matches("const").trim();
        let pointee = if base.ends_with('*') {
            Type::U64
        } else {
            named_type(env, base).unwrap_or(Type::int(1, false))
        };
        return Type::Ptr(Box::new(pointee));
    }
    if f.size > 8 {
        return Type::Array(Box::new(Type::int(1, false)), f.size);
    }
    if c == "bool" {
        return Type::Bool;
    }
    scalar()
}

#[cfg(test)]
mod tests {
    use super::*;
    use scry_btf::BtfWriter;

    #[test]
    fn only_char_arrays_are_strings() {
        let mut w = BtfWriter::new();
        let ch = w.int("char", 1, true);
        let uch = w.int("unsigned char", 1, false);
        let chars = w.array(ch, 16);
        let bytes = w.array(uch, 16);
        let btf = Btf::parse(w.finish(&[])).unwrap();
        assert_eq!(from_btf(&btf, chars), Type::Str(16));
        // An in6_addr's u6_addr8: sixteen bytes, NULs and all.
        assert_eq!(
            from_btf(&btf, bytes),
            Type::Array(Box::new(Type::int(1, false)), 16)
        );
    }
}
