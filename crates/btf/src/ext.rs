//! Writing the `.BTF.ext` section of a generated BPF object: the
//! `func_info` records that tie each program and subprogram to its BTF
//! FUNC. The kernel wants one record per subprogram whenever a program has
//! more than one (and refuses a callback `ld_imm64` without them: "missing
//! btf func_info"). Line info and CO-RE relocations are written empty.
//!
//! Layout (`tools/lib/bpf/libbpf_internal.h`, `struct btf_ext_header`):
//! a 32-byte header (magic 0xeB9F, version 1, flags 0, hdr_len, then
//! offset/length pairs for func_info, line_info and core_relo, offsets
//! counted from the end of the header), then each subsection: a `u32`
//! record size followed, per ELF section, by `{ sec_name_off, num_info }`
//! and that many records. A func_info record is `{ insn_off, type_id }`
//! with `insn_off` in bytes from the start of the ELF section (libbpf and
//! aya divide by 8 when reading).
//!
//! An empty subsection has length 0, not just a record size: libbpf
//! rejects the whole `.BTF.ext` when a subsection holds a record size and
//! no records ("... section in .BTF.ext has no records"), and aya then
//! passes no line info at all (its record size reads as 0).

use crate::kind::MAGIC;

/// Size of the `.BTF.ext` header written (up to `core_relo_len`).
const EXT_HDR_LEN: u32 = 32;
/// Size of `struct bpf_func_info`.
const FUNC_INFO_REC: u32 = 8;

struct SecFuncs {
    /// Offset of the ELF section's name in the `.BTF` string table.
    name_off: u32,
    /// (byte offset in the section, FUNC type id)
    records: Vec<(u32, u32)>,
}

/// Builds a `.BTF.ext` section.
#[derive(Default)]
pub struct BtfExtWriter {
    sections: Vec<SecFuncs>,
}

impl BtfExtWriter {
    pub fn new() -> BtfExtWriter {
        BtfExtWriter::default()
    }

    /// Records that the function starting `byte_off` bytes into the ELF
    /// section named by `section_name_off` (an offset in the `.BTF` string
    /// table: see [`crate::BtfWriter::add_string`]) has FUNC `type_id`.
    pub fn func_info(&mut self, section_name_off: u32, byte_off: u32, type_id: u32) {
        let i = match self
            .sections
            .iter()
            .position(|s| s.name_off == section_name_off)
        {
            Some(i) => i,
            None => {
                self.sections.push(SecFuncs {
                    name_off: section_name_off,
                    records: Vec::new(),
                });
                self.sections.len() - 1
            }
        };
        self.sections[i].records.push((byte_off, type_id));
    }

    /// True when no record has been added.
    pub fn is_empty(&self) -> bool {
        self.sections.is_empty()
    }

    /// The section's bytes. Records are sorted by offset within each
    /// section; sections keep the order of their first record.
    pub fn finish(mut self) -> Vec<u8> {
        let mut func = Vec::new();
        func.extend_from_slice(&FUNC_INFO_REC.to_le_bytes());
        for sec in &mut self.sections {
            sec.records.sort_by_key(|&(off, _)| off);
            func.extend_from_slice(&sec.name_off.to_le_bytes());
            func.extend_from_slice(&(sec.records.len() as u32).to_le_bytes());
            for &(off, ty) in &sec.records {
                func.extend_from_slice(&off.to_le_bytes());
                func.extend_from_slice(&ty.to_le_bytes());
            }
        }
        let func_len = func.len() as u32;
        let mut out = Vec::with_capacity(EXT_HDR_LEN as usize + func.len());
        out.extend_from_slice(&MAGIC.to_le_bytes());
        out.push(1); // version
        out.push(0); // flags
                     // hdr_len; func_info off, len; line_info off, len (empty); core_relo
                     // off, len (empty).
        for v in [EXT_HDR_LEN, 0, func_len, func_len, 0, func_len, 0] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&func);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
    }

    #[test]
    fn layout() {
        let mut w = BtfExtWriter::new();
        w.func_info(5, 24, 7);
        w.func_info(9, 0, 8);
        w.func_info(5, 0, 6);
        let b = w.finish();
        assert_eq!(&b[0..4], &[0x9f, 0xeb, 1, 0]);
        assert_eq!(u32_at(&b, 4), 32);
        // func_info: rec size, sec 5 (2 records), sec 9 (1 record).
        let (off, len) = (u32_at(&b, 8) as usize, u32_at(&b, 12) as usize);
        assert_eq!((off, len), (0, 4 + 8 + 16 + 8 + 8));
        let f = &b[32 + off..32 + off + len];
        let words: Vec<u32> = (0..len / 4).map(|i| u32_at(f, i * 4)).collect();
        assert_eq!(words, [8, 5, 2, 0, 6, 24, 7, 9, 1, 0, 8]);
        // line_info and core_relo: empty.
        assert_eq!((u32_at(&b, 16), u32_at(&b, 20)), (len as u32, 0));
        assert_eq!((u32_at(&b, 24), u32_at(&b, 28)), (len as u32, 0));
        assert_eq!(b.len(), 32 + len);
    }
}
