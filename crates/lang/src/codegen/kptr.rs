//! Kernel pointers the verifier types. In tracing programs (fentry, fexit,
//! typed raw tracepoints) the kernel types the context's arguments by BTF.
//! A pointer to a struct there is one the program may read through with a
//! plain load, which the JIT guards against faults, where other programs
//! call bpf_probe_read(); but the verifier refuses arithmetic on it, other
//! than adding a constant after a NULL check.
//!
//! This file says which values hold such pointers ([`Gen::kptr`]) and
//! reads fields through them ([`Gen::direct_field`]); kptr_vars.rs says
//! which variables keep them. [`Gen::scalar`] turns them into plain
//! integers for every other use; `raw_scalar` keeps them pointers.

use super::frame::Val;
use super::{GResult, Gen};
use crate::ast::{Expr, ExprKind};
use crate::sema::builtins::arg_index;
use crate::sema::probes::Context;
use crate::spec::Attach;
use crate::types::Type;
use scry_asm::*;
use scry_btf::Kind;

/// A value the verifier types as a pointer to a kernel struct.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kptr {
    /// The struct or union (BTF id, modifiers skipped).
    pub record: u32,
    /// Whether loads through it are allowed: not for `__user` or
    /// `__percpu` pointers (tags other than `__rcu`).
    pub direct: bool,
}

impl<'a, 'b> Gen<'a, 'b> {
    /// Whether the program is one whose context the kernel types by BTF.
    pub fn tracing(&self) -> bool {
        !self.in_callback
            && matches!(
                self.target.attach,
                Attach::Fentry { .. } | Attach::Fexit { .. } | Attach::BtfTracepoint { .. }
            )
    }

    /// What a BTF pointer type points to, when the verifier tracks it.
    fn kptr_of_type(&self, ty: u32) -> Option<Kptr> {
        let btf = self.btf()?;
        let mut id = btf.pointee(ty)?;
        let mut direct = true;
        for _ in 0..16 {
            match btf.kind(id)? {
                Kind::TypeTag => {
                    direct &= btf.name(id) == "rcu";
                    id = btf.referenced(id)?;
                }
                Kind::Typedef | Kind::Const | Kind::Volatile | Kind::Restrict => {
                    id = btf.referenced(id)?
                }
                Kind::Struct | Kind::Union => return Some(Kptr { record: id, direct }),
                _ => return None,
            }
        }
        None
    }

    /// The BTF type of a context argument: `argN`, `args.NAME`, `retval`.
    fn ctx_arg_type(&self, e: &Expr) -> Option<u32> {
        let Context::BtfArgs { args, ret } = &self.target.context else {
            return None;
        };
        match &e.kind {
            ExprKind::Builtin(name) if name == "retval" => *ret,
            ExprKind::Builtin(name) => Some(args.get(arg_index(name, "arg")? as usize)?.1),
            ExprKind::Field { expr, field, .. } if matches!(&expr.kind, ExprKind::Builtin(b) if b == "args") => {
                args.iter().find(|(n, _)| n == field).map(|(_, t)| *t)
            }
            _ => None,
        }
    }

    /// The struct `e`'s value points to, when the verifier types it so.
    pub fn kptr(&self, e: &Expr) -> Option<Kptr> {
        if !self.tracing() {
            return None;
        }
        if let Some(ty) = self.ctx_arg_type(e) {
            return self.kptr_of_type(ty);
        }
        match &e.kind {
            ExprKind::Var(name) => self.kptr_vars.get(name).copied(),
            ExprKind::Cast { expr, .. } if e.ty.size() == 8 => self.kptr(expr),
            ExprKind::Field { .. } | ExprKind::Index { .. } => {
                let (_, _, ty) = self.direct_place(e)?;
                self.kptr_of_type(ty)
            }
            _ => None,
        }
    }

    /// `e`'s value as a plain integer. A kernel pointer is copied through
    /// the stack with bpf_probe_read(), after which the verifier sees a
    /// number it allows any arithmetic on; `raw_scalar` keeps it a pointer
    /// for the uses that read through it or compare it.
    pub fn scalar(&mut self, e: &Expr) -> GResult<Val> {
        let v = self.raw_scalar(e)?;
        if self.kptr(e).is_none() {
            return Ok(v);
        }
        self.load_into(v, R0);
        self.frame.free(v);
        let slot = self.frame.slot().map_err(|m| self.err_at(e.span, m))?;
        self.asm.emit(stx(Size::DW, R10, slot, R0));
        self.asm.emit(mov64_reg(R3, R10));
        self.asm.emit(alu64_imm(Alu::Add, R3, slot as i32));
        let out = self.read_scalar_at(R3, 8, false, e);
        self.frame.free(Val::Slot(slot, true));
        out
    }

    /// A pointer whose fields or elements the program reads with a helper:
    /// a kernel pointer is checked for NULL first (the verifier allows no
    /// arithmetic on one that may be NULL); NULL stays 0.
    pub fn pointer_base(&mut self, e: &Expr) -> GResult<Val> {
        if self.kptr(e).is_none() {
            return self.scalar(e);
        }
        let v = self.raw_scalar(e)?;
        self.load_into(v, R0);
        self.frame.free(v);
        let checked = self.asm.new_label();
        self.asm.jmp_imm(Jmp::Jeq, R0, 0, checked);
        self.asm.bind(checked);
        self.temp_from(R0)
    }

    /// Where a field or element lies behind a kernel pointer the program
    /// may read through: (the pointer expression, offset, BTF type).
    fn direct_place<'e>(&self, e: &'e Expr) -> Option<(&'e Expr, u32, u32)> {
        let btf = self.btf()?;
        match &e.kind {
            ExprKind::Field { expr, field, .. } => {
                let (base, off, record) = match &expr.ty {
                    Type::Ptr(inner) => {
                        let Type::Record(r) = inner.as_ref() else {
                            return None;
                        };
                        let k = self.kptr(expr)?;
                        let record = btf.skip_modifiers(r.btf_id);
                        (k.direct && k.record == record).then_some((expr.as_ref(), 0, record))?
                    }
                    Type::Record(r) => {
                        let (base, off, _) = self.direct_place(expr)?;
                        (base, off, r.btf_id)
                    }
                    _ => return None,
                };
                let m = btf.member(record, field)?;
                (m.bitfield_size == 0).then_some((base, off + m.bit_offset / 8, m.type_id))
            }
            ExprKind::Index { expr, index } => {
                let ExprKind::Int(i) = index.kind else {
                    return None;
                };
                let (base, off, ty) = self.direct_place(expr)?;
                let (elem, count) = btf.array_info(ty)?;
                let i = u32::try_from(i).ok().filter(|i| *i < count)?;
                Some((base, off + i * btf.size_of(elem)?, elem))
            }
            _ => None,
        }
    }

    /// Reads a scalar field through a kernel pointer with one load (0 when
    /// the pointer is NULL); `None` when it must go through a helper.
    pub fn direct_field(&mut self, e: &Expr, bytes: u32, signed: bool) -> Option<GResult<Val>> {
        let (base, off, ty) = self.direct_place(e)?;
        let btf = self.btf()?;
        let t = btf.skip_modifiers(ty);
        let fits = match btf.kind(t)? {
            Kind::Int | Kind::Enum | Kind::Enum64 => btf.size_of(t) == Some(bytes),
            Kind::Ptr => bytes == 8,
            _ => false,
        };
        if !fits {
            return None;
        }
        let off = i16::try_from(off).ok()?;
        let size = Size::from_bytes(bytes)?;
        Some(self.load_through(base, off, size, signed))
    }

    /// `*(size *)(base + off)`, or 0 when `base` is NULL.
    fn load_through(&mut self, base: &Expr, off: i16, size: Size, signed: bool) -> GResult<Val> {
        let v = self.raw_scalar(base)?;
        let r = self.load(v, R3);
        self.frame.free(v);
        let done = self.asm.new_label();
        self.asm.emit(mov64_imm(R0, 0));
        self.asm.jmp_imm(Jmp::Jeq, r, 0, done);
        self.asm.emit(ldx(size, R0, r, off));
        self.asm.bind(done);
        if signed {
            self.extend(R0, size.bytes(), true);
        }
        self.temp_from(R0)
    }
}
