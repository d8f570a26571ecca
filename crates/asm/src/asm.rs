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
    /// `(instruction index, function name)` of each load of a
    /// subprogram's address (a callback), relocated by the loader.
    pub func_relocs: Vec<(usize, String)>,
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

    /// `dst = &function` (a callback for a helper such as
    /// `bpf_for_each_map_elem`), relocated against the function's symbol.
    pub fn ld_func(&mut self, dst: Reg, function: &str) {
        self.func_relocs
            .push((self.insns.len(), function.to_string()));
        self.emit(Insn::new(
            BPF_LD | BPF_IMM | Size::DW as u8,
            dst,
            BPF_PSEUDO_FUNC,
            0,
            0,
        ));
        self.emit(Insn::new(0, 0, 0, 0, 0));
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

    /// Removes instructions no path reaches (code after an unconditional
    /// jump, e.g. statements after `exit()` or `return`): the verifier
    /// rejects unreachable instructions.
    fn remove_unreachable(&mut self) -> Result<(), AsmError> {
        let n = self.insns.len();
        let mut target_of = vec![None; n];
        for &(at, label) in &self.fixups {
            target_of[at] = Some(self.labels[label.0].ok_or(AsmError::UnboundLabel)?);
        }
        let mut reachable = vec![false; n];
        let mut stack = vec![0usize];
        while let Some(i) = stack.pop() {
            if i >= n || reachable[i] {
                continue;
            }
            reachable[i] = true;
            let insn = self.insns[i];
            if insn.is_ld_imm64() {
                if i + 1 < n {
                    reachable[i + 1] = true;
                }
                stack.push(i + 2);
                continue;
            }
            let class = insn.class();
            let is_jmp = class == BPF_JMP || class == BPF_JMP32;
            let op = insn.code & 0xf0;
            if is_jmp && op == Jmp::Exit as u8 {
                continue;
            }
            if let Some(t) = target_of[i] {
                stack.push(t);
                if op == Jmp::Ja as u8 && class == BPF_JMP {
                    continue;
                }
            }
            stack.push(i + 1);
        }
        if reachable.iter().all(|&r| r) {
            return Ok(());
        }
        // New index of every old index (and of the end).
        let mut new_index = vec![0usize; n + 1];
        let mut k = 0;
        for i in 0..n {
            new_index[i] = k;
            if reachable[i] {
                k += 1;
            }
        }
        new_index[n] = k;
        let mut i = 0;
        self.insns.retain(|_| {
            i += 1;
            reachable[i - 1]
        });
        let mut i = 0;
        self.lines.retain(|_| {
            i += 1;
            reachable[i - 1]
        });
        for l in self.labels.iter_mut().flatten() {
            *l = new_index[*l];
        }
        self.fixups.retain(|(at, _)| reachable[*at]);
        for (at, _) in self.fixups.iter_mut() {
            *at = new_index[*at];
        }
        self.func_relocs.retain(|(at, _)| reachable[*at]);
        for (at, _) in self.func_relocs.iter_mut() {
            *at = new_index[*at];
        }
        self.relocs.retain(|(at, _)| reachable[*at]);
        for (at, _) in self.relocs.iter_mut() {
            *at = new_index[*at];
        }
        Ok(())
    }

    /// Drops unreachable code and resolves the jumps.
    pub fn finish(&mut self) -> Result<(), AsmError> {
        self.remove_unreachable()?;
        for &(at, label) in &self.fixups {
            let target = self.labels[label.0].ok_or(AsmError::UnboundLabel)?;
            let off = target as i64 - at as i64 - 1;
            self.insns[at].off = i16::try_from(off).map_err(|_| AsmError::JumpTooFar)?;
        }
        self.fixups.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_after_an_unconditional_jump_is_removed() {
        let mut a = Asm::new();
        let end = a.new_label();
        let skip = a.new_label();
        a.emit(mov64_imm(R0, 1));
        a.jmp_imm(Jmp::Jeq, R1, 0, skip);
        a.ja(end);
        a.emit(mov64_imm(R0, 2)); // unreachable
        a.bind(skip);
        a.emit(mov64_imm(R0, 3));
        a.bind(end);
        a.emit(exit());
        a.finish().unwrap();
        assert_eq!(a.insns.len(), 5);
        assert_eq!(a.lines.len(), 5);
        // `jeq` now skips only the `ja`; the `ja` skips the `mov 3`.
        assert_eq!(a.insns[1].off, 1);
        assert_eq!(a.insns[2].off, 1);
        assert_eq!(a.insns[3], mov64_imm(R0, 3));
    }
}
