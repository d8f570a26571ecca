//! One BPF instruction and constructors for each form.

/// A register number, `R0`..`R10`.
pub type Reg = u8;
pub const R0: Reg = 0;
pub const R1: Reg = 1;
pub const R2: Reg = 2;
pub const R3: Reg = 3;
pub const R4: Reg = 4;
pub const R5: Reg = 5;
pub const R6: Reg = 6;
pub const R7: Reg = 7;
pub const R8: Reg = 8;
pub const R9: Reg = 9;
/// The read-only frame pointer.
pub const R10: Reg = 10;

// Instruction classes.
pub const BPF_LD: u8 = 0x00;
pub const BPF_LDX: u8 = 0x01;
pub const BPF_ST: u8 = 0x02;
pub const BPF_STX: u8 = 0x03;
pub const BPF_ALU: u8 = 0x04;
pub const BPF_JMP: u8 = 0x05;
pub const BPF_JMP32: u8 = 0x06;
pub const BPF_ALU64: u8 = 0x07;
// Sources.
pub const BPF_K: u8 = 0x00;
pub const BPF_X: u8 = 0x08;
// Memory modes.
pub const BPF_IMM: u8 = 0x00;
pub const BPF_MEM: u8 = 0x60;
pub const BPF_ATOMIC: u8 = 0xc0;
/// `src` of an `ld_imm64` whose immediate is a map fd (relocated).
pub const BPF_PSEUDO_MAP_FD: u8 = 1;
/// `src` of an `ld_imm64` that loads a subprogram's address (a callback):
/// the immediate is the subprogram's offset from the next instruction.
pub const BPF_PSEUDO_FUNC: u8 = 4;

/// Access sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    B = 0x10,
    H = 0x08,
    W = 0x00,
    DW = 0x18,
}

impl Size {
    pub fn from_bytes(n: u32) -> Option<Size> {
        Some(match n {
            1 => Size::B,
            2 => Size::H,
            4 => Size::W,
            8 => Size::DW,
            _ => return None,
        })
    }

    pub fn bytes(self) -> u32 {
        match self {
            Size::B => 1,
            Size::H => 2,
            Size::W => 4,
            Size::DW => 8,
        }
    }
}

/// ALU operations (high nibble of the opcode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alu {
    Add = 0x00,
    Sub = 0x10,
    Mul = 0x20,
    Div = 0x30,
    Or = 0x40,
    And = 0x50,
    Lsh = 0x60,
    Rsh = 0x70,
    Neg = 0x80,
    Mod = 0x90,
    Xor = 0xa0,
    Mov = 0xb0,
    Arsh = 0xc0,
}

/// Jump conditions (high nibble of the opcode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jmp {
    Ja = 0x00,
    Jeq = 0x10,
    Jgt = 0x20,
    Jge = 0x30,
    Jset = 0x40,
    Jne = 0x50,
    Jsgt = 0x60,
    Jsge = 0x70,
    Call = 0x80,
    Exit = 0x90,
    Jlt = 0xa0,
    Jle = 0xb0,
    Jslt = 0xc0,
    Jsle = 0xd0,
}

/// One 8-byte BPF instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Insn {
    pub code: u8,
    pub dst: Reg,
    pub src: Reg,
    pub off: i16,
    pub imm: i32,
}

impl Insn {
    pub const fn new(code: u8, dst: Reg, src: Reg, off: i16, imm: i32) -> Insn {
        Insn {
            code,
            dst,
            src,
            off,
            imm,
        }
    }

    pub fn encode(&self) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[0] = self.code;
        b[1] = (self.src << 4) | (self.dst & 0x0f);
        b[2..4].copy_from_slice(&self.off.to_le_bytes());
        b[4..8].copy_from_slice(&self.imm.to_le_bytes());
        b
    }

    pub fn decode(b: [u8; 8]) -> Insn {
        Insn {
            code: b[0],
            dst: b[1] & 0x0f,
            src: b[1] >> 4,
            off: i16::from_le_bytes([b[2], b[3]]),
            imm: i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        }
    }

    pub fn class(&self) -> u8 {
        self.code & 0x07
    }

    /// Is this the first half of a 16-byte `ld_imm64`?
    pub fn is_ld_imm64(&self) -> bool {
        self.code == BPF_LD | BPF_IMM | Size::DW as u8
    }
}

pub fn alu64_imm(op: Alu, dst: Reg, imm: i32) -> Insn {
    Insn::new(BPF_ALU64 | BPF_K | op as u8, dst, 0, 0, imm)
}
pub fn alu64_reg(op: Alu, dst: Reg, src: Reg) -> Insn {
    Insn::new(BPF_ALU64 | BPF_X | op as u8, dst, src, 0, 0)
}
pub fn alu32_imm(op: Alu, dst: Reg, imm: i32) -> Insn {
    Insn::new(BPF_ALU | BPF_K | op as u8, dst, 0, 0, imm)
}
pub fn alu32_reg(op: Alu, dst: Reg, src: Reg) -> Insn {
    Insn::new(BPF_ALU | BPF_X | op as u8, dst, src, 0, 0)
}
pub fn mov64_imm(dst: Reg, imm: i32) -> Insn {
    alu64_imm(Alu::Mov, dst, imm)
}
pub fn mov64_reg(dst: Reg, src: Reg) -> Insn {
    alu64_reg(Alu::Mov, dst, src)
}
/// Signed division / modulo (`off = 1`, BPF v4).
pub fn alu64_sdiv(op: Alu, dst: Reg, src: Reg) -> Insn {
    Insn::new(BPF_ALU64 | BPF_X | op as u8, dst, src, 1, 0)
}
/// Sign-extending move from a `bits`-bit value (BPF v4 `movsx`).
pub fn movsx64(dst: Reg, src: Reg, bits: i16) -> Insn {
    Insn::new(BPF_ALU64 | BPF_X | Alu::Mov as u8, dst, src, bits, 0)
}
/// A 64-bit immediate: two instruction slots.
pub fn ld_imm64(dst: Reg, imm: u64) -> [Insn; 2] {
    [
        Insn::new(
            BPF_LD | BPF_IMM | Size::DW as u8,
            dst,
            0,
            0,
            imm as u32 as i32,
        ),
        Insn::new(0, 0, 0, 0, (imm >> 32) as u32 as i32),
    ]
}
/// Loads a map's address; the immediate is filled by relocation.
pub fn ld_map(dst: Reg) -> [Insn; 2] {
    [
        Insn::new(
            BPF_LD | BPF_IMM | Size::DW as u8,
            dst,
            BPF_PSEUDO_MAP_FD,
            0,
            0,
        ),
        Insn::new(0, 0, 0, 0, 0),
    ]
}
/// `dst = *(size *)(src + off)`
pub fn ldx(size: Size, dst: Reg, src: Reg, off: i16) -> Insn {
    Insn::new(BPF_LDX | BPF_MEM | size as u8, dst, src, off, 0)
}
/// `*(size *)(dst + off) = src`
pub fn stx(size: Size, dst: Reg, off: i16, src: Reg) -> Insn {
    Insn::new(BPF_STX | BPF_MEM | size as u8, dst, src, off, 0)
}
/// `*(size *)(dst + off) = imm`
pub fn st_imm(size: Size, dst: Reg, off: i16, imm: i32) -> Insn {
    Insn::new(BPF_ST | BPF_MEM | size as u8, dst, 0, off, imm)
}
/// `lock *(size *)(dst + off) += src`
pub fn atomic_add(size: Size, dst: Reg, off: i16, src: Reg) -> Insn {
    Insn::new(BPF_STX | BPF_ATOMIC | size as u8, dst, src, off, 0)
}
pub fn jmp_imm(op: Jmp, dst: Reg, imm: i32, off: i16) -> Insn {
    Insn::new(BPF_JMP | BPF_K | op as u8, dst, 0, off, imm)
}
pub fn jmp_reg(op: Jmp, dst: Reg, src: Reg, off: i16) -> Insn {
    Insn::new(BPF_JMP | BPF_X | op as u8, dst, src, off, 0)
}
pub fn ja(off: i16) -> Insn {
    Insn::new(BPF_JMP | Jmp::Ja as u8, 0, 0, off, 0)
}
pub fn call(helper: i32) -> Insn {
    Insn::new(BPF_JMP | Jmp::Call as u8, 0, 0, 0, helper)
}
pub fn exit() -> Insn {
    Insn::new(BPF_JMP | Jmp::Exit as u8, 0, 0, 0, 0)
}

/// Encodes instructions into the bytes of a program section.
pub fn encode_all(insns: &[Insn]) -> Vec<u8> {
    insns.iter().flat_map(|i| i.encode()).collect()
}
