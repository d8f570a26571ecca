//! A program builder with forward labels and map relocations.

use crate::insn::*;

/// A jump target, bound later with [`Asm::bind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Label(usize);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AsmError {
    UnboundLabel,
    JumpTooFar,
}

#[derive(Default, Debug)]
pub struct Asm {
    pub insns: Vec<Insn>,
    labels: Vec<Option<usize>>,
    fixups: Vec<(usize, Label)>,
    /// `(instruction index, map name)` of each map load.
    pub relocs: Vec<(usize, String)>,
    /// Source line (1-based) for each instruction, for verifier messages.
    pub lines: Vec<u32>,
    /// The line that newly emitted instructions are attributed to.
    pub line: u32,
}

impl Asm {
    pub fn new() -> Asm {
        Asm::default()
    }

    pub fn len(&self) -> usize {
        self.insns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.insns.is_empty()
    }

    pub fn emit(&mut self, insn: Insn) {
        self.insns.push(insn);
        self.lines.push(self.line);
    }

    pub fn emit2(&mut self, pair: [Insn; 2]) {
        self.emit(pair[0]);
        self.emit(pair[1]);
    }

    /// `dst = &map` (relocated against the map's symbol).
    pub fn ld_map(&mut self, dst: Reg, map: &str) {
        self.relocs.push((self.insns.len(), map.to_string()));
        self.emit2(ld_map(dst));
    }

    pub fn new_label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() - 1)
    }

    pub fn bind(&mut self, label: Label) {
        self.labels[label.0] = Some(self.insns.len());
    }

    /// A conditional jump on an immediate to `label`.
    pub fn jmp_imm(&mut self, op: Jmp, dst: Reg, imm: i32, label: Label) {
        self.fixups.push((self.insns.len(), label));
        self.emit(jmp_imm(op, dst, imm, 0));
    }

    /// A conditional jump on a register to `label`.
    pub fn jmp_reg(&mut self, op: Jmp, dst: Reg, src: Reg, label: Label) {
        self.fixups.push((self.insns.len(), label));
        self.emit(jmp_reg(op, dst, src, 0));
    }

    pub fn ja(&mut self, label: Label) {
        self.fixups.push((self.insns.len(), label));
        self.emit(ja(0));
    }

    /// Resolves the jumps.
    pub fn finish(&mut self) -> Result<(), AsmError> {
        for &(at, label) in &self.fixups {
            let target = self.labels[label.0].ok_or(AsmError::UnboundLabel)?;
            let off = target as i64 - at as i64 - 1;
            self.insns[at].off = i16::try_from(off).map_err(|_| AsmError::JumpTooFar)?;
        }
        self.fixups.clear();
        Ok(())
    }
}
