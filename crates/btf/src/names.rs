//! Name lookups. The tables are built on first use: an open-addressing hash
//! table of type ids (or enumerators) keyed by name. Slots keep insertion
//! order along a probe sequence, so the first match is the lowest id.

use crate::kind::Kind;
use crate::reader::Btf;

const K: u64 = 0x517c_c1b7_2722_0a95;
const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

fn mix(h: u64, w: u64) -> u64 {
    (h.rotate_left(5) ^ w).wrapping_mul(K)
}

fn finish(h: u64, len: usize) -> u64 {
    let h = (h ^ len as u64).wrapping_mul(K);
    // Spread the high bits (which pick the slot) into the low bits (the tag).
    h ^ (h >> 29)
}

/// Hash of a name given as a slice.
fn hash(bytes: &[u8]) -> u64 {
    let mut h = 0;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        h = mix(h, u64::from_le_bytes(c.try_into().unwrap()));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut buf = [0u8; 8];
        buf[..rest.len()].copy_from_slice(rest);
        h = mix(h, u64::from_le_bytes(buf));
    }
    finish(h, bytes.len())
}

/// The same hash of the NUL-terminated string at the start of `s`, found
/// eight bytes at a time.
fn hash_cstr(s: &[u8]) -> u64 {
    let mut h = 0;
    let mut i = 0;
    while let Some(c) = s.get(i..i + 8) {
        let w = u64::from_le_bytes(c.try_into().unwrap());
        let zero = w.wrapping_sub(LO) & !w & HI;
        if zero != 0 {
            // Bytes before the first NUL (earlier bytes are never 0, so the
            // lowest flagged byte is exact).
            let n = zero.trailing_zeros() as usize / 8;
            if n > 0 {
                h = mix(h, w & (u64::MAX >> (64 - 8 * n)));
            }
            return finish(h, i + n);
        }
        h = mix(h, w);
        i += 8;
    }
    // Fewer than eight bytes left before the end of the section.
    let tail = &s[i..];
    let n = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
    if n > 0 {
        let mut buf = [0u8; 8];
        buf[..n].copy_from_slice(&tail[..n]);
        h = mix(h, u64::from_le_bytes(buf));
    }
    finish(h, i + n)
}

/// Open addressing, linear probing. A slot holds the hash's low 32 bits
/// (the tag) above a non-zero payload; 0 is empty.
pub(crate) struct NameTable {
    shift: u32,
    mask: usize,
    slots: Vec<u64>,
}

impl NameTable {
    fn with_capacity(n: usize) -> NameTable {
        // Load factor at most 2/3.
        let cap = (n + n / 2 + 1).next_power_of_two().max(16);
        NameTable {
            shift: 64 - cap.trailing_zeros(),
            mask: cap - 1,
            slots: vec![0; cap],
        }
    }

    /// Adds `payload` (non-zero) under hash `h`.
    fn insert(&mut self, h: u64, payload: u32) {
        let mut i = (h >> self.shift) as usize;
        while self.slots[i] != 0 {
            i = (i + 1) & self.mask;
        }
        self.slots[i] = (h << 32) | payload as u64;
    }

    /// Payloads stored under `name`'s hash tag, in insertion order. The
    /// caller compares names: different names may share a tag.
    fn candidates<'a>(&'a self, name: &[u8]) -> impl Iterator<Item = u32> + 'a {
        let h = hash(name);
        let tag = h as u32;
        let mut i = (h >> self.shift) as usize;
        std::iter::from_fn(move || loop {
            let s = self.slots[i];
            if s == 0 {
                return None;
            }
            i = (i + 1) & self.mask;
            if (s >> 32) as u32 == tag {
                return Some(s as u32);
            }
        })
    }
}

/// The enumerator table: slots hold indexes (from 1) into `entries`.
pub(crate) struct EnumTable {
    table: NameTable,
    /// (enum type id, enumerator index)
    entries: Vec<(u32, u32)>,
}

impl Btf {
    fn type_names(&self) -> &NameTable {
        self.type_names.get_or_init(|| {
            let mut named = Vec::with_capacity(self.len() as usize);
            for id in 1..=self.len() {
                let name_off = self.name_off(id);
                if name_off != 0 {
                    named.push((hash_cstr(self.strs_from(name_off)), id));
                }
            }
            let mut t = NameTable::with_capacity(named.len());
            for (h, id) in named {
                t.insert(h, id);
            }
            t
        })
    }

    fn enumerator_names(&self) -> &EnumTable {
        self.enumerators.get_or_init(|| {
            let mut hashes = Vec::new();
            let mut entries = Vec::new();
            for id in 1..=self.len() {
                let raw = self.raw(id).unwrap();
                let stride = match raw.kind {
                    Kind::Enum => 8,
                    Kind::Enum64 => 12,
                    _ => continue,
                };
                for i in 0..raw.vlen {
                    let name_off = self.u32_at(raw.extra() + i * stride);
                    if name_off != 0 {
                        hashes.push(hash_cstr(self.strs_from(name_off)));
                        entries.push((id, i as u32));
                    }
                }
            }
            let mut table = NameTable::with_capacity(entries.len());
            for (i, h) in hashes.into_iter().enumerate() {
                table.insert(h, i as u32 + 1);
            }
            EnumTable { table, entries }
        })
    }

    /// All types named `name`, of any kind, in id order.
    pub fn find_all(&self, name: &str) -> Vec<u32> {
        if name.is_empty() {
            return Vec::new();
        }
        self.type_names()
            .candidates(name.as_bytes())
            .filter(|&id| self.name(id) == name)
            .collect()
    }

    /// The first type with this name and kind. For structs and unions a
    /// definition with a non-zero size wins over an empty one, and either
    /// over a forward declaration (returned, as a `Fwd`, only when there is
    /// nothing else).
    pub fn find(&self, name: &str, kind: Kind) -> Option<u32> {
        if name.is_empty() {
            return None;
        }
        let mut empty = None;
        let mut fwd = None;
        for id in self.type_names().candidates(name.as_bytes()) {
            let raw = self.raw(id)?;
            if self.str_bytes_at(raw.name_off) != name.as_bytes() {
                continue;
            }
            if raw.kind == kind {
                if kind.is_record() && raw.size_or_type == 0 {
                    empty = empty.or(Some(id));
                    continue;
                }
                return Some(id);
            }
            if raw.kind == Kind::Fwd && kind.is_record() && raw.kflag == (kind == Kind::Union) {
                fwd = fwd.or(Some(id));
            }
        }
        empty.or(fwd)
    }

    /// An enumerator by name: the id of its enum type and its value.
    pub fn enum_value(&self, name: &str) -> Option<(u32, i64)> {
        if name.is_empty() {
            return None;
        }
        let t = self.enumerator_names();
        for e in t.table.candidates(name.as_bytes()) {
            let (id, i) = t.entries[e as usize - 1];
            let raw = self.raw(id)?;
            let i = i as usize;
            let (name_off, value) = match raw.kind {
                Kind::Enum => {
                    let at = raw.extra() + i * 8;
                    let v = self.u32_at(at + 4);
                    let v = if raw.kflag { v as i32 as i64 } else { v as i64 };
                    (self.u32_at(at), v)
                }
                _ => {
                    let at = raw.extra() + i * 12;
                    let lo = self.u32_at(at + 4) as u64;
                    let hi = self.u32_at(at + 8) as u64;
                    (self.u32_at(at), (hi << 32 | lo) as i64)
                }
            };
            if self.str_bytes_at(name_off) == name.as_bytes() {
                return Some((id, value));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::{hash, hash_cstr};

    #[test]
    fn slice_and_cstr_hashes_agree() {
        let text = b"task_struct_with_a_rather_long_name_0123456789";
        for len in 0..text.len() {
            let name = &text[..len];
            let mut padded = name.to_vec();
            padded.push(0);
            padded.extend_from_slice(b"next");
            assert_eq!(hash(name), hash_cstr(&padded), "len {len}");
            // At the very end of the string section, with and without NUL.
            let mut end = name.to_vec();
            end.push(0);
            assert_eq!(hash(name), hash_cstr(&end), "len {len} at end");
            assert_eq!(hash(name), hash_cstr(name), "len {len} unterminated");
        }
        assert_ne!(hash(b"pid"), hash(b"tgid"));
    }
}
