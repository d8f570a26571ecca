//! USDT (statically defined user tracepoints): the probes a binary's
//! `.note.stapsdt` notes declare, and their x86-64 argument specs.
//!
//! Each note (owner `stapsdt`, type 3) holds the probe's address, the
//! link-time address of `.stapsdt.base`, the semaphore's address (0 when
//! none), then `provider\0name\0args\0`. When the file was prelinked, the
//! section moved but the note did not: the difference between the actual
//! `.stapsdt.base` address and the note's base shifts every address.

use object::{Object, ObjectSection};
use scry_lang::env::UsdtProbe;

use crate::elfsyms::{map_elf, parse_elf, Segments};

const NT_STAPSDT: u32 = 3;

/// The USDT probes of an ELF file, in note order.
pub fn probes(path: &str) -> Result<Vec<UsdtProbe>, String> {
    let map = map_elf(path)?;
    let file = parse_elf(path, &map)?;
    let Some(notes) = file.section_by_name(".note.stapsdt") else {
        return Ok(Vec::new());
    };
    let data = notes
        .data()
        .map_err(|e| format!("{path}: cannot read .note.stapsdt ({e})"))?;
    let base_addr = file.section_by_name(".stapsdt.base").map(|s| s.address());
    let segments = Segments::of(&file);
    let little = file.is_little_endian();
    let addr_size = if file.is_64() { 8 } else { 4 };
    let mut out = Vec::new();
    for (owner, ntype, desc) in parse_notes(data, little) {
        if owner != b"stapsdt" || ntype != NT_STAPSDT {
            continue;
        }
        let probe = parse_desc(desc, addr_size, little)
            .ok_or_else(|| format!("{path}: malformed .note.stapsdt entry"))?;
        let (pc, sema) = match base_addr {
            Some(actual) if probe.base != 0 => (
                probe.pc.wrapping_add(actual).wrapping_sub(probe.base),
                if probe.semaphore != 0 {
                    probe
                        .semaphore
                        .wrapping_add(actual)
                        .wrapping_sub(probe.base)
                } else {
                    0
                },
            ),
            _ => (probe.pc, probe.semaphore),
        };
        let file_offset = segments.file_offset(pc).ok_or_else(|| {
            format!(
                "{path}: USDT probe {}:{} at {pc:#x} is outside every loadable segment",
                probe.provider, probe.name
            )
        })?;
        let semaphore_offset = if sema == 0 {
            0
        } else {
            segments.file_offset(sema).unwrap_or(0)
        };
        out.push(UsdtProbe {
            provider: probe.provider,
            name: probe.name,
            file_offset,
            semaphore_offset,
            args: probe.args.split_whitespace().map(str::to_string).collect(),
        });
    }
    Ok(out)
}

struct RawProbe {
    pc: u64,
    base: u64,
    semaphore: u64,
    provider: String,
    name: String,
    args: String,
}

/// Splits a note section into (owner, type, desc) triples.
fn parse_notes(mut data: &[u8], little: bool) -> Vec<(&[u8], u32, &[u8])> {
    let rd = |b: &[u8]| {
        let a: [u8; 4] = b.try_into().unwrap();
        if little {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    };
    let align4 = |n: usize| (n + 3) & !3;
    let mut out = Vec::new();
    while data.len() >= 12 {
        let namesz = rd(&data[0..4]) as usize;
        let descsz = rd(&data[4..8]) as usize;
        let ntype = rd(&data[8..12]);
        let name_end = 12 + align4(namesz);
        let desc_end = name_end + align4(descsz);
        if data.len() < name_end || data.len() < name_end + descsz {
            break;
        }
        let mut owner = &data[12..12 + namesz];
        if let Some(stripped) = owner.strip_suffix(b"\0") {
            owner = stripped;
        }
        out.push((owner, ntype, &data[name_end..name_end + descsz]));
        data = data.get(desc_end..).unwrap_or(&[]);
    }
    out
}

fn parse_desc(desc: &[u8], addr_size: usize, little: bool) -> Option<RawProbe> {
    let addr = |i: usize| -> Option<u64> {
        let b = desc.get(i * addr_size..(i + 1) * addr_size)?;
        Some(match (addr_size, little) {
            (8, true) => u64::from_le_bytes(b.try_into().ok()?),
            (8, false) => u64::from_be_bytes(b.try_into().ok()?),
            (_, true) => u32::from_le_bytes(b.try_into().ok()?) as u64,
            (_, false) => u32::from_be_bytes(b.try_into().ok()?) as u64,
        })
    };
    let (pc, base, semaphore) = (addr(0)?, addr(1)?, addr(2)?);
    let mut strings = desc.get(3 * addr_size..)?.split(|&b| b == 0);
    let mut next = || {
        strings
            .next()
            .map(|s| String::from_utf8_lossy(s).into_owned())
    };
    let provider = next()?;
    let name = next()?;
    let args = next().unwrap_or_default();
    Some(RawProbe {
        pc,
        base,
        semaphore,
        provider,
        name,
        args,
    })
}

pub use scry_lang::usdt_arg::{parse_arg, UsdtArg, UsdtArgLocation};

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(size: u8, signed: bool, off: u32) -> UsdtArg {
        UsdtArg {
            size,
            signed,
            location: UsdtArgLocation::Reg {
                pt_regs_offset: off,
            },
        }
    }

    #[test]
    fn args() {
        assert_eq!(parse_arg("-4@%edi").unwrap(), reg(4, true, 112));
        assert_eq!(parse_arg("8@%rax").unwrap(), reg(8, false, 80));
        assert_eq!(parse_arg("1@%ah").unwrap(), reg(1, false, 81));
        assert_eq!(parse_arg("-2@%r9w").unwrap(), reg(2, true, 64));
        assert_eq!(parse_arg("%esi").unwrap(), reg(4, false, 104));
        assert_eq!(
            parse_arg("8@-16(%rbp)").unwrap().location,
            UsdtArgLocation::Mem {
                base_reg_pt_regs_offset: 32,
                offset: -16
            }
        );
        assert_eq!(
            parse_arg("4@(%rsp)").unwrap().location,
            UsdtArgLocation::Mem {
                base_reg_pt_regs_offset: 152,
                offset: 0
            }
        );
        assert_eq!(
            parse_arg("4@$5").unwrap().location,
            UsdtArgLocation::Const(5)
        );
        assert_eq!(
            parse_arg("-4@$-1").unwrap().location,
            UsdtArgLocation::Const(-1)
        );
        assert!(parse_arg("8@foo(%rip)")
            .unwrap_err()
            .contains("not supported"));
        assert!(parse_arg("-8@8(%rsp,%rax,4)")
            .unwrap_err()
            .contains("indexed"));
        assert!(parse_arg("8@%xyz").unwrap_err().contains("unknown"));
        assert!(parse_arg("3@%rax").is_err());
    }
}
