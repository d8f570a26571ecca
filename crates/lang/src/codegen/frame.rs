//! Where values live while a program runs: callee-saved registers for
//! scalar temporaries, 8-byte stack slots when those run out, and memory
//! (the stack for small buffers, a per-CPU scratch map for large ones).

use scry_asm::*;

/// Registers holding the context and the scratch base for the whole program.
pub const CTX: Reg = R6;
pub const SCRATCH: Reg = R9;
/// Callee-saved registers given out as scalar temporaries.
const POOL: [Reg; 2] = [R7, R8];

/// Memory holding a value: `base + off`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loc {
    Stack(i16),
    Scratch(i16),
}

impl Loc {
    pub fn base(self) -> Reg {
        match self {
            Loc::Stack(_) => R10,
            Loc::Scratch(_) => SCRATCH,
        }
    }

    pub fn off(self) -> i16 {
        match self {
            Loc::Stack(o) | Loc::Scratch(o) => o,
        }
    }

    pub fn plus(self, n: u32) -> Loc {
        match self {
            Loc::Stack(o) => Loc::Stack(o + n as i16),
            Loc::Scratch(o) => Loc::Scratch(o + n as i16),
        }
    }
}

/// A value produced by an expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Val {
    Imm(i64),
    /// A temporary register from the pool (owned).
    Reg(Reg),
    /// A scalar in an 8-byte stack slot (owned when `owned`).
    Slot(i16, bool),
    /// An aggregate in memory (owned temporaries are freed by statement).
    Mem(Loc),
}

/// The stack budget left for buffers (512 bytes minus what the kernel
/// needs for our helper-call arguments).
pub const STACK_LIMIT: i32 = 512;
/// Buffers larger than this go to the scratch map.
pub const STACK_BUF_MAX: u32 = 64;

#[derive(Debug, Default)]
pub struct Frame {
    free_regs: Vec<Reg>,
    /// Stack used by the frames that call this one (a callback's callers):
    /// the verifier limits their sum to 512 bytes.
    pub base: i32,
    /// Current stack depth (bytes below r10), and the deepest reached.
    pub stack: i32,
    pub stack_max: i32,
    /// Free 8-byte stack slots.
    free_slots: Vec<i16>,
    /// Current scratch offset and the largest reached.
    pub scratch: u32,
    pub scratch_max: u32,
    pub scratch_used: bool,
    /// The stack depth and scratch offset below which memory is pinned:
    /// variables' homes, which live for the whole program even when first
    /// assigned inside a block ([`Frame::release`] keeps them).
    pinned_stack: i32,
    pinned_scratch: u32,
}

impl Frame {
    pub fn new() -> Frame {
        Frame {
            free_regs: POOL.iter().rev().copied().collect(),
            ..Frame::default()
        }
    }

    /// The frame of a callback called from this one: its own stack below
    /// ours, the scratch memory after what is live in ours.
    pub fn callee(&self) -> Frame {
        Frame {
            base: self.base + (self.stack_max.max(1) + 31) / 32 * 32,
            scratch: self.scratch,
            scratch_max: self.scratch_max,
            ..Frame::new()
        }
    }

    /// A register for a scalar temporary, if one is free.
    pub fn take_reg(&mut self) -> Option<Reg> {
        self.free_regs.pop()
    }

    pub fn free(&mut self, v: Val) {
        match v {
            Val::Reg(r) => self.free_regs.push(r),
            Val::Slot(s, true) => self.free_slots.push(s),
            _ => {}
        }
    }

    /// An 8-byte stack slot.
    pub fn slot(&mut self) -> Result<i16, String> {
        if let Some(s) = self.free_slots.pop() {
            return Ok(s);
        }
        self.stack_bytes(8)
    }

    fn stack_bytes(&mut self, size: u32) -> Result<i16, String> {
        let size = size.div_ceil(8) as i32 * 8;
        if self.base + self.stack + size > STACK_LIMIT {
            return Err("the program needs more than 512 bytes of BPF stack".into());
        }
        self.stack += size;
        self.stack_max = self.stack_max.max(self.stack);
        Ok(-self.stack as i16)
    }

    /// Memory for a buffer of `size` bytes: stack when small, scratch else.
    pub fn mem(&mut self, size: u32) -> Result<Loc, String> {
        let size = size.div_ceil(8) * 8;
        if size <= STACK_BUF_MAX && self.base + self.stack + (size as i32) <= STACK_LIMIT - 128 {
            return Ok(Loc::Stack(self.stack_bytes(size)?));
        }
        self.scratch_mem(size)
    }

    pub fn scratch_mem(&mut self, size: u32) -> Result<Loc, String> {
        let size = size.div_ceil(8) * 8;
        let off = self.scratch;
        if off + size > 32_000 {
            return Err("the program needs more than 32 KB of scratch memory".into());
        }
        self.scratch += size;
        self.scratch_max = self.scratch_max.max(self.scratch);
        self.scratch_used = true;
        Ok(Loc::Scratch(off as i16))
    }

    /// A checkpoint for [`Frame::release`]: memory taken after it is given
    /// back at the end of a statement.
    pub fn mark(&self) -> (i32, u32, usize) {
        (self.stack, self.scratch, self.free_slots.len())
    }

    pub fn release(&mut self, mark: (i32, u32, usize)) {
        self.stack = mark.0.max(self.pinned_stack);
        self.scratch = mark.1.max(self.pinned_scratch);
        let limit = -self.stack;
        self.free_slots.retain(|&s| (s as i32) > limit);
    }

    /// Keeps `v` (a variable's home of `size` bytes) for the whole program.
    pub fn pin(&mut self, v: Val, size: u32) {
        match v {
            Val::Slot(s, _) | Val::Mem(Loc::Stack(s)) => {
                self.pinned_stack = self.pinned_stack.max(-(s as i32));
            }
            Val::Mem(Loc::Scratch(o)) => {
                let end = o as u32 + size.div_ceil(8) * 8;
                self.pinned_scratch = self.pinned_scratch.max(end);
            }
            _ => {}
        }
    }
}
