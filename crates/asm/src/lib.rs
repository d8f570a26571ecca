//! scry-asm: the BPF instruction set, with no system calls.
//!
//! - [`insn`]: [`Insn`] (one 8-byte instruction), its encoding
//!   ([`Insn::encode`], [`Insn::decode`], [`encode_all`]) and a constructor
//!   for each form (`mov64_imm`, `ldx`, `stx`, `jmp_imm`, `call`, `ld_map`...).
//! - [`asm`]: [`Asm`], a program builder with forward [`Label`]s, map
//!   relocations (`(index, map name)`) and a source line per instruction.
//! - [`helpers`]: helper ids (`enum bpf_func_id`) and
//!   [`helpers::helper_name`] / [`helpers::helper_id`].
//! - [`disasm`]: [`disasm::disasm`] and [`disasm::disasm_with_maps`] print a
//!   program in the verifier log's syntax (`   3: r0 = *(u32 *)(r6 +24)`),
//!   for `scry -d asm`.
//! - [`verifier`]: [`verifier::explain`] reads a verifier log and returns
//!   the rejected instruction, the kernel's error line and a hint.
//!
//! ```
//! use scry_asm::*;
//!
//! let mut a = Asm::new();
//! let done = a.new_label();
//! a.emit(mov64_imm(R0, 0));
//! a.jmp_imm(Jmp::Jeq, R1, 0, done);
//! a.emit(mov64_imm(R0, 1));
//! a.bind(done);
//! a.emit(exit());
//! a.finish().unwrap();
//! assert_eq!(
//!     disasm::disasm(&a.insns),
//!     "   0: r0 = 0\n   1: if r1 == 0x0 goto pc+1\n   2: r0 = 1\n   3: exit\n"
//! );
//! ```

pub mod asm;
pub mod disasm;
pub mod helpers;
pub mod insn;
pub mod verifier;

pub use asm::{Asm, AsmError, Label};
pub use insn::*;
