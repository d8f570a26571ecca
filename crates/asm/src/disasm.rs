//! A disassembler that prints instructions the way the kernel verifier's log
//! (and `bpftool prog dump xlated`) does, so that `scry -d asm` output and a
//! verifier rejection read alike:
//!
//! ```text
//!    0: r6 = r1
//!    1: *(u64 *)(r10 -8) = r1
//!    2: r0 = *(u32 *)(r6 +24)
//!    3: if r1 != 0x0 goto pc+3
//!    4: call bpf_map_lookup_elem#1
//!    5: r1 = map[counts]
//! ```
//!
//! Differences from the kernel's text, where the kernel has nothing to say
//! before the program is loaded: a 64-bit immediate ends in ` ll` (it takes
//! two slots, so the next index is skipped), and a map load shows the map's
//! name (`map[name]`) or, without one, its fd (`map_fd(N)`) instead of a
//! kernel address. Unknown encodings print as `invalid opcode 0xNN`.

use std::fmt::Write as _;

use crate::helpers::helper_name;
use crate::insn::*;

// Encodings the builder does not emit but the disassembler must read.
const BPF_OP_MASK: u8 = 0xf0;
const BPF_MODE_MASK: u8 = 0xe0;
const BPF_SIZE_MASK: u8 = 0x18;
const BPF_ABS: u8 = 0x20;
const BPF_IND: u8 = 0x40;
const BPF_MEMSX: u8 = 0x80;
/// `BPF_ST` mode of the verifier's internal speculation barrier.
const BPF_NOSPEC: u8 = 0xc0;
/// ALU op: byte swap (`BPF_END`); `BPF_X` in the code selects big endian.
const BPF_END: u8 = 0xd0;
/// JMP op: conditional pseudo-jump (`may_goto`).
const BPF_JCOND: u8 = 0xe0;
// Atomic operations (in `imm` of a `BPF_STX | BPF_ATOMIC`).
const BPF_FETCH: i32 = 0x01;
const BPF_XCHG: i32 = 0xe0 | BPF_FETCH;
const BPF_CMPXCHG: i32 = 0xf0 | BPF_FETCH;
const BPF_LOAD_ACQ: i32 = 0x100;
const BPF_STORE_REL: i32 = 0x110;
// `src` of a call.
const BPF_PSEUDO_CALL: u8 = 1;
const BPF_PSEUDO_KFUNC_CALL: u8 = 2;
// `src` of an `ld_imm64` (BPF_PSEUDO_MAP_FD is in insn.rs).
const BPF_PSEUDO_MAP_VALUE: u8 = 2;
const BPF_PSEUDO_BTF_ID: u8 = 3;
const BPF_PSEUDO_FUNC: u8 = 4;
const BPF_PSEUDO_MAP_IDX: u8 = 5;
const BPF_PSEUDO_MAP_IDX_VALUE: u8 = 6;
/// `off` of `BPF_ALU64 | BPF_MOV | BPF_X` meaning an arena address cast.
const BPF_ADDR_SPACE_CAST: i16 = 1;

/// Disassembles a program, one line per instruction: `"%4d: text\n"`.
pub fn disasm(insns: &[Insn]) -> String {
    disasm_with_maps(insns, &[])
}

/// Like [`disasm`], naming the map of each map load: `relocs` holds
/// `(instruction index, map name)` pairs, as in [`crate::Asm::relocs`].
pub fn disasm_with_maps(insns: &[Insn], relocs: &[(usize, String)]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < insns.len() {
        let map = relocs
            .iter()
            .find(|(at, _)| *at == i)
            .map(|(_, name)| name.as_str());
        let text = insn_text(&insns[i], insns.get(i + 1), map);
        let _ = writeln!(out, "{i:4}: {text}");
        i += if insns[i].is_ld_imm64() { 2 } else { 1 };
    }
    out
}

/// The text of one instruction, without its index. `next` is the following
/// slot (the upper half of an `ld_imm64`); `map` names the map an
/// `ld_imm64` of a map loads.
pub fn insn_text(insn: &Insn, next: Option<&Insn>, map: Option<&str>) -> String {
    let code = insn.code;
    match insn.class() {
        BPF_ALU | BPF_ALU64 => alu_text(insn),
        BPF_STX => stx_text(insn),
        BPF_ST => match code & BPF_MODE_MASK {
            BPF_MEM => format!(
                "*({} *)(r{} {:+}) = {}",
                size_name(code),
                insn.dst,
                insn.off,
                insn.imm
            ),
            BPF_NOSPEC => "nospec".to_string(),
            _ => invalid(code),
        },
        BPF_LDX => match code & BPF_MODE_MASK {
            BPF_MEM => format!(
                "r{} = *({} *)(r{} {:+})",
                insn.dst,
                size_name(code),
                insn.src,
                insn.off
            ),
            BPF_MEMSX if code & BPF_SIZE_MASK != Size::DW as u8 => format!(
                "r{} = *({} *)(r{} {:+})",
                insn.dst,
                signed_size_name(code),
                insn.src,
                insn.off
            ),
            _ => invalid(code),
        },
        BPF_LD => ld_text(insn, next, map),
        _ => jmp_text(insn),
    }
}

fn invalid(code: u8) -> String {
    format!("invalid opcode {code:#04x}")
}

fn size_name(code: u8) -> &'static str {
    match code & BPF_SIZE_MASK {
        0x00 => "u32",
        0x08 => "u16",
        0x10 => "u8",
        _ => "u64",
    }
}

fn signed_size_name(code: u8) -> &'static str {
    match code & BPF_SIZE_MASK {
        0x00 => "s32",
        0x08 => "s16",
        _ => "s8",
    }
}

fn alu_op(op: u8, signed: bool) -> Option<&'static str> {
    Some(match op {
        0x00 => "+=",
        0x10 => "-=",
        0x20 => "*=",
        0x30 if signed => "s/=",
        0x30 => "/=",
        0x40 => "|=",
        0x50 => "&=",
        0x60 => "<<=",
        0x70 => ">>=",
        0x90 if signed => "s%=",
        0x90 => "%=",
        0xa0 => "^=",
        0xb0 => "=",
        0xc0 => "s>>=",
        _ => return None,
    })
}

fn alu_text(insn: &Insn) -> String {
    let code = insn.code;
    let alu64 = insn.class() == BPF_ALU64;
    let r = if alu64 { 'r' } else { 'w' };
    let op = code & BPF_OP_MASK;
    let by_reg = code & BPF_X != 0;
    if op == BPF_END {
        return if alu64 {
            format!("r{} = bswap{} r{}", insn.dst, insn.imm, insn.dst)
        } else {
            let order = if by_reg { "be" } else { "le" };
            format!("r{} = {order}{} r{}", insn.dst, insn.imm, insn.dst)
        };
    }
    if op == Alu::Neg as u8 {
        return format!("{r}{} = -{r}{}", insn.dst, insn.dst);
    }
    if alu64 && by_reg && op == Alu::Mov as u8 && insn.off == BPF_ADDR_SPACE_CAST {
        return format!(
            "r{} = addr_space_cast(r{}, {}, {})",
            insn.dst,
            insn.src,
            (insn.imm as u32) >> 16,
            insn.imm as u16
        );
    }
    let signed = (op == Alu::Div as u8 || op == Alu::Mod as u8) && insn.off == 1;
    let Some(op_text) = alu_op(op, signed) else {
        return invalid(code);
    };
    if by_reg {
        let cast = match (op == Alu::Mov as u8, insn.off) {
            (true, 8) => "(s8)",
            (true, 16) => "(s16)",
            (true, 32) => "(s32)",
            _ => "",
        };
        format!("{r}{} {op_text} {cast}{r}{}", insn.dst, insn.src)
    } else {
        format!("{r}{} {op_text} {}", insn.dst, insn.imm)
    }
}

fn stx_text(insn: &Insn) -> String {
    let code = insn.code;
    let size = size_name(code);
    let (dst, src, off) = (insn.dst, insn.src, insn.off);
    match code & BPF_MODE_MASK {
        BPF_MEM => return format!("*({size} *)(r{dst} {off:+}) = r{src}"),
        BPF_ATOMIC => {}
        _ => return invalid(code),
    }
    let wide = if code & BPF_SIZE_MASK == Size::DW as u8 {
        "64"
    } else {
        ""
    };
    let imm = insn.imm;
    let logic = [Alu::Add, Alu::And, Alu::Or, Alu::Xor]
        .into_iter()
        .find(|op| imm & !BPF_FETCH == *op as i32);
    match (logic, imm & BPF_FETCH != 0) {
        (Some(op), false) => {
            let op_text = alu_op(op as u8, false).unwrap_or("?");
            format!("lock *({size} *)(r{dst} {off:+}) {op_text} r{src}")
        }
        (Some(op), true) => {
            let name = match op {
                Alu::Add => "add",
                Alu::And => "and",
                Alu::Or => "or",
                _ => "xor",
            };
            format!("r{src} = atomic{wide}_fetch_{name}(({size} *)(r{dst} {off:+}), r{src})")
        }
        _ if imm == BPF_CMPXCHG => {
            format!("r0 = atomic{wide}_cmpxchg(({size} *)(r{dst} {off:+}), r0, r{src})")
        }
        _ if imm == BPF_XCHG => {
            format!("r{src} = atomic{wide}_xchg(({size} *)(r{dst} {off:+}), r{src})")
        }
        _ if imm == BPF_LOAD_ACQ => {
            format!("r{dst} = load_acquire(({size} *)(r{src} {off:+}))")
        }
        _ if imm == BPF_STORE_REL => {
            format!("store_release(({size} *)(r{dst} {off:+}), r{src})")
        }
        _ => invalid(code),
    }
}

fn ld_text(insn: &Insn, next: Option<&Insn>, map: Option<&str>) -> String {
    let code = insn.code;
    let size = size_name(code);
    match code & BPF_MODE_MASK {
        BPF_ABS => return format!("r0 = *({size} *)skb[{}]", insn.imm),
        BPF_IND => return format!("r0 = *({size} *)skb[r{} + {}]", insn.src, insn.imm),
        BPF_IMM if code & BPF_SIZE_MASK == Size::DW as u8 => {}
        _ => return invalid(code),
    }
    let Some(next) = next else {
        return format!(
            "r{} = {:#x} ll (missing second slot)",
            insn.dst, insn.imm as u32
        );
    };
    let lo = insn.imm;
    let hi = next.imm;
    let value = (u64::from(hi as u32) << 32) | u64::from(lo as u32);
    let d = insn.dst;
    match (insn.src, map) {
        (BPF_PSEUDO_MAP_FD, Some(name)) => format!("r{d} = map[{name}]"),
        (BPF_PSEUDO_MAP_FD, None) => format!("r{d} = map_fd({lo})"),
        (BPF_PSEUDO_MAP_VALUE, Some(name)) => format!("r{d} = map[{name}][0]+{}", hi as u32),
        (BPF_PSEUDO_MAP_VALUE, None) => format!("r{d} = map_fd({lo})[0]+{}", hi as u32),
        (BPF_PSEUDO_BTF_ID, _) => format!("r{d} = btf_id({lo})"),
        (BPF_PSEUDO_FUNC, _) => format!("r{d} = subprog[{lo:+}]"),
        (BPF_PSEUDO_MAP_IDX, _) => format!("r{d} = map[idx:{lo}]"),
        (BPF_PSEUDO_MAP_IDX_VALUE, _) => format!("r{d} = map[idx:{lo}]+{}", hi as u32),
        _ => format!("r{d} = {value:#x} ll"),
    }
}

fn jmp_text(insn: &Insn) -> String {
    let code = insn.code;
    let jmp32 = insn.class() == BPF_JMP32;
    let op = code & BPF_OP_MASK;
    if op == Jmp::Call as u8 {
        return match insn.src {
            BPF_PSEUDO_CALL => format!("call pc{:+}", insn.imm),
            BPF_PSEUDO_KFUNC_CALL => format!("call kernel-function#{}", insn.imm),
            _ => format!(
                "call {}#{}",
                helper_name(insn.imm).unwrap_or("unknown"),
                insn.imm
            ),
        };
    }
    if code == BPF_JMP | Jmp::Ja as u8 {
        return format!("goto pc{:+}", insn.off);
    }
    if code == BPF_JMP32 | Jmp::Ja as u8 {
        return format!("gotol pc{:+}", insn.imm);
    }
    if code == BPF_JMP | BPF_JCOND && insn.src == 0 {
        return format!("may_goto pc{:+}", insn.off);
    }
    if code == BPF_JMP | Jmp::Exit as u8 {
        return "exit".to_string();
    }
    let cmp = match op {
        0x10 => "==",
        0x20 => ">",
        0x30 => ">=",
        0x40 => "&",
        0x50 => "!=",
        0x60 => "s>",
        0x70 => "s>=",
        0xa0 => "<",
        0xb0 => "<=",
        0xc0 => "s<",
        0xd0 => "s<=",
        _ => return invalid(code),
    };
    let r = if jmp32 { 'w' } else { 'r' };
    if code & BPF_X != 0 {
        format!(
            "if {r}{} {cmp} {r}{} goto pc{:+}",
            insn.dst, insn.src, insn.off
        )
    } else {
        format!(
            "if {r}{} {cmp} {:#x} goto pc{:+}",
            insn.dst, insn.imm as u32, insn.off
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::helpers;

    fn one(insn: Insn) -> String {
        insn_text(&insn, None, None)
    }

    #[test]
    fn single_instructions() {
        let jmp32_imm =
            |op: Jmp, dst, imm, off| Insn::new(BPF_JMP32 | BPF_K | op as u8, dst, 0, off, imm);
        let cases: Vec<(Insn, &str)> = vec![
            (mov64_reg(R6, R1), "r6 = r1"),
            (mov64_imm(R1, 0), "r1 = 0"),
            (mov64_imm(R1, -1), "r1 = -1"),
            (stx(Size::DW, R10, -8, R1), "*(u64 *)(r10 -8) = r1"),
            (stx(Size::B, R10, -1, R2), "*(u8 *)(r10 -1) = r2"),
            (st_imm(Size::W, R10, -16, 7), "*(u32 *)(r10 -16) = 7"),
            (ldx(Size::W, R0, R6, 24), "r0 = *(u32 *)(r6 +24)"),
            (ldx(Size::H, R3, R1, 0), "r3 = *(u16 *)(r1 +0)"),
            (ldx(Size::B, R3, R1, -2), "r3 = *(u8 *)(r1 -2)"),
            (
                Insn::new(BPF_LDX | BPF_MEMSX | Size::W as u8, R6, R10, -8, 0),
                "r6 = *(s32 *)(r10 -8)",
            ),
            (
                Insn::new(BPF_LDX | BPF_MEMSX | Size::B as u8, R6, R1, 3, 0),
                "r6 = *(s8 *)(r1 +3)",
            ),
            (jmp_imm(Jmp::Jne, R1, 0, 3), "if r1 != 0x0 goto pc+3"),
            (
                jmp_imm(Jmp::Jsgt, R1, -1, -4),
                "if r1 s> 0xffffffff goto pc-4",
            ),
            (jmp_reg(Jmp::Jle, R1, R2, 0), "if r1 <= r2 goto pc+0"),
            (jmp_reg(Jmp::Jset, R3, R4, 1), "if r3 & r4 goto pc+1"),
            (jmp32_imm(Jmp::Jgt, R1, 3, 2), "if w1 > 0x3 goto pc+2"),
            (
                Insn::new(BPF_JMP32 | BPF_X | Jmp::Jslt as u8, R1, R2, 7, 0),
                "if w1 s< w2 goto pc+7",
            ),
            (ja(-5), "goto pc-5"),
            (ja(0), "goto pc+0"),
            (
                Insn::new(BPF_JMP32 | Jmp::Ja as u8, 0, 0, 0, 70000),
                "gotol pc+70000",
            ),
            (Insn::new(BPF_JMP | BPF_JCOND, 0, 0, 4, 0), "may_goto pc+4"),
            (exit(), "exit"),
            (call(helpers::MAP_LOOKUP_ELEM), "call bpf_map_lookup_elem#1"),
            (
                call(helpers::PROBE_READ_KERNEL_STR),
                "call bpf_probe_read_kernel_str#115",
            ),
            (call(9999), "call unknown#9999"),
            (
                Insn::new(BPF_JMP | Jmp::Call as u8, 0, 1, 0, 12),
                "call pc+12",
            ),
            (
                Insn::new(BPF_JMP | Jmp::Call as u8, 0, 2, 0, 4242),
                "call kernel-function#4242",
            ),
            (alu32_imm(Alu::Add, R1, 1), "w1 += 1"),
            (alu32_reg(Alu::Mov, R2, R3), "w2 = w3"),
            (alu64_imm(Alu::Arsh, R1, 3), "r1 s>>= 3"),
            (alu64_imm(Alu::Rsh, R1, 3), "r1 >>= 3"),
            (alu64_imm(Alu::Lsh, R1, 32), "r1 <<= 32"),
            (alu64_reg(Alu::Xor, R1, R2), "r1 ^= r2"),
            (alu64_reg(Alu::And, R1, R2), "r1 &= r2"),
            (alu64_imm(Alu::Or, R1, 8), "r1 |= 8"),
            (alu64_imm(Alu::Mul, R1, 10), "r1 *= 10"),
            (alu64_reg(Alu::Div, R1, R2), "r1 /= r2"),
            (alu64_imm(Alu::Mod, R1, 7), "r1 %= 7"),
            (alu64_imm(Alu::Sub, R1, 1), "r1 -= 1"),
            (alu64_imm(Alu::Neg, R0, 0), "r0 = -r0"),
            (alu32_imm(Alu::Neg, R4, 0), "w4 = -w4"),
            (alu64_sdiv(Alu::Div, R1, R2), "r1 s/= r2"),
            (alu64_sdiv(Alu::Mod, R1, R2), "r1 s%= r2"),
            (
                Insn::new(BPF_ALU64 | BPF_K | Alu::Div as u8, R1, 0, 1, 3),
                "r1 s/= 3",
            ),
            (movsx64(R1, R2, 32), "r1 = (s32)r2"),
            (movsx64(R1, R2, 8), "r1 = (s8)r2"),
            (
                Insn::new(BPF_ALU | BPF_X | Alu::Mov as u8, R3, R1, 16, 0),
                "w3 = (s16)w1",
            ),
            (
                Insn::new(BPF_ALU | BPF_X | BPF_END, R1, 0, 0, 16),
                "r1 = be16 r1",
            ),
            (
                Insn::new(BPF_ALU | BPF_K | BPF_END, R1, 0, 0, 64),
                "r1 = le64 r1",
            ),
            (
                Insn::new(BPF_ALU64 | BPF_END, R1, 0, 0, 32),
                "r1 = bswap32 r1",
            ),
            (
                Insn::new(BPF_ALU64 | BPF_X | Alu::Mov as u8, R1, R2, 1, 1),
                "r1 = addr_space_cast(r2, 0, 1)",
            ),
            (
                atomic_add(Size::DW, R1, 0, R2),
                "lock *(u64 *)(r1 +0) += r2",
            ),
            (
                atomic_add(Size::W, R10, -8, R3),
                "lock *(u32 *)(r10 -8) += r3",
            ),
            (
                Insn::new(BPF_STX | BPF_ATOMIC | Size::DW as u8, R1, R2, 0, 0x50),
                "lock *(u64 *)(r1 +0) &= r2",
            ),
            (
                Insn::new(BPF_STX | BPF_ATOMIC | Size::DW as u8, R1, R2, 8, 0x01),
                "r2 = atomic64_fetch_add((u64 *)(r1 +8), r2)",
            ),
            (
                Insn::new(BPF_STX | BPF_ATOMIC | Size::W as u8, R1, R2, 0, 0xa1),
                "r2 = atomic_fetch_xor((u32 *)(r1 +0), r2)",
            ),
            (
                Insn::new(BPF_STX | BPF_ATOMIC | Size::DW as u8, R1, R2, 0, 0xe1),
                "r2 = atomic64_xchg((u64 *)(r1 +0), r2)",
            ),
            (
                Insn::new(BPF_STX | BPF_ATOMIC | Size::DW as u8, R1, R2, -8, 0xf1),
                "r0 = atomic64_cmpxchg((u64 *)(r1 -8), r0, r2)",
            ),
            (
                Insn::new(BPF_STX | BPF_ATOMIC | Size::DW as u8, R0, R1, 0, 0x100),
                "r0 = load_acquire((u64 *)(r1 +0))",
            ),
            (
                Insn::new(BPF_STX | BPF_ATOMIC | Size::W as u8, R1, R2, 4, 0x110),
                "store_release((u32 *)(r1 +4), r2)",
            ),
            (
                Insn::new(BPF_LD | BPF_ABS | Size::H as u8, 0, 0, 0, 12),
                "r0 = *(u16 *)skb[12]",
            ),
            (
                Insn::new(BPF_LD | BPF_IND | Size::W as u8, 0, R6, 0, 4),
                "r0 = *(u32 *)skb[r6 + 4]",
            ),
            (Insn::new(BPF_ST | BPF_NOSPEC, 0, 0, 0, 0), "nospec"),
            (Insn::new(0xff, 0, 0, 0, 0), "invalid opcode 0xff"),
            (
                Insn::new(BPF_ALU64 | 0xe0, 1, 0, 0, 0),
                "invalid opcode 0xe7",
            ),
            (Insn::new(BPF_JMP | 0xf0, 1, 0, 0, 0), "invalid opcode 0xf5"),
        ];
        let mut failures = Vec::new();
        for (insn, want) in cases {
            let got = one(insn);
            if got != want {
                failures.push(format!("{insn:?}: got {got:?}, want {want:?}"));
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    #[test]
    fn ld_imm64_forms() {
        let [a, b] = ld_imm64(R1, 0x1234567890);
        assert_eq!(insn_text(&a, Some(&b), None), "r1 = 0x1234567890 ll");
        let [a, b] = ld_imm64(R2, u64::MAX);
        assert_eq!(insn_text(&a, Some(&b), None), "r2 = 0xffffffffffffffff ll");
        let [a, b] = ld_map(R1);
        assert_eq!(insn_text(&a, Some(&b), None), "r1 = map_fd(0)");
        assert_eq!(
            insn_text(&a, Some(&b), Some("@counts")),
            "r1 = map[@counts]"
        );
        let value = Insn::new(a.code, R3, BPF_PSEUDO_MAP_VALUE, 0, 5);
        let off = Insn::new(0, 0, 0, 0, 16);
        assert_eq!(insn_text(&value, Some(&off), None), "r3 = map_fd(5)[0]+16");
        assert_eq!(
            insn_text(&value, Some(&off), Some("fmt")),
            "r3 = map[fmt][0]+16"
        );
        assert_eq!(
            insn_text(&a, None, None),
            "r1 = 0x0 ll (missing second slot)"
        );
    }

    #[test]
    fn listing_skips_the_second_slot_and_names_maps() {
        let mut asm = crate::Asm::new();
        asm.emit(mov64_reg(R6, R1));
        asm.emit(mov64_imm(R1, 0));
        asm.emit(stx(Size::DW, R10, -8, R1));
        asm.emit(ldx(Size::W, R0, R6, 24));
        asm.ld_map(R1, "AT_counts");
        asm.emit2(ld_imm64(R7, 0x1234567890));
        asm.emit(call(helpers::MAP_LOOKUP_ELEM));
        asm.emit(exit());
        let want = "   0: r6 = r1\n\
                    \x20  1: r1 = 0\n\
                    \x20  2: *(u64 *)(r10 -8) = r1\n\
                    \x20  3: r0 = *(u32 *)(r6 +24)\n\
                    \x20  4: r1 = map[AT_counts]\n\
                    \x20  6: r7 = 0x1234567890 ll\n\
                    \x20  8: call bpf_map_lookup_elem#1\n\
                    \x20  9: exit\n";
        assert_eq!(disasm_with_maps(&asm.insns, &asm.relocs), want);
        assert!(disasm(&asm.insns).contains("   4: r1 = map_fd(0)\n   6: r7"));
        assert_eq!(disasm(&[]), "");
    }
}
