//! Expressions: scalars into registers or slots, aggregates into memory.

use super::frame::{Loc, Val};
use super::{GResult, Gen};
use crate::ast::{BinOp, Expr, ExprKind, UnOp};
use crate::types::{tuple_layout, Type};
use scry_asm::*;

/// The comparison operators (unsigned forms).
fn comparison(op: BinOp) -> Option<Jmp> {
    Some(match op {
        BinOp::Eq => Jmp::Jeq,
        BinOp::Ne => Jmp::Jne,
        BinOp::Lt => Jmp::Jlt,
        BinOp::Le => Jmp::Jle,
        BinOp::Gt => Jmp::Jgt,
        BinOp::Ge => Jmp::Jge,
        _ => return None,
    })
}

/// The jump taken when the comparison `j` is false.
fn invert(j: Jmp, signed: bool) -> Jmp {
    match (j, signed) {
        (Jmp::Jeq, _) => Jmp::Jne,
        (Jmp::Jne, _) => Jmp::Jeq,
        (Jmp::Jlt, false) => Jmp::Jge,
        (Jmp::Jle, false) => Jmp::Jgt,
        (Jmp::Jgt, false) => Jmp::Jle,
        (Jmp::Jge, false) => Jmp::Jlt,
        (Jmp::Jlt, true) => Jmp::Jsge,
        (Jmp::Jle, true) => Jmp::Jsgt,
        (Jmp::Jgt, true) => Jmp::Jsle,
        (Jmp::Jge, true) => Jmp::Jslt,
        (j, _) => j,
    }
}

/// Is this type held in memory rather than in a register?
pub fn in_memory(t: &Type) -> bool {
    matches!(
        t,
        Type::Str(_)
            | Type::Buf(_)
            | Type::Tuple(_)
            | Type::Record(_)
            | Type::Array(..)
            | Type::Inet
            | Type::Usym
            | Type::Timestamp
    )
}

impl<'a, 'b> Gen<'a, 'b> {
    /// Evaluates `e`: a scalar value, or memory holding an aggregate.
    pub fn expr(&mut self, e: &Expr) -> GResult<Val> {
        if in_memory(&e.ty) {
            let size = e.ty.size();
            let loc = self.mem(size, e.span)?;
            self.expr_into(e, loc, size)?;
            return Ok(Val::Mem(loc));
        }
        self.scalar(e)
    }

    /// Evaluates `e` and writes it at `dst`, which holds `size` bytes
    /// (strings are zero-padded to it; integers are stored with `size`
    /// bytes).
    pub fn expr_into(&mut self, e: &Expr, dst: Loc, size: u32) -> GResult<()> {
        if !in_memory(&e.ty) {
            // A whole kernel pointer may be stored (map keys, event records).
            let v = if size >= 8 {
                self.raw_scalar(e)?
            } else {
                self.scalar(e)?
            };
            let r = self.load(v, R0);
            self.frame.free(v);
            self.store(dst, r, size.min(8));
            return Ok(());
        }
        match &e.kind {
            ExprKind::Str(s) => {
                self.zero(dst, size);
                let bytes = s.as_bytes();
                let n = bytes.len().min(size.saturating_sub(1) as usize);
                for (i, chunk) in bytes[..n].chunks(4).enumerate() {
                    let mut word = [0u8; 4];
                    word[..chunk.len()].copy_from_slice(chunk);
                    self.asm.emit(st_imm(
                        Size::W,
                        dst.base(),
                        dst.off() + (i * 4) as i16,
                        i32::from_le_bytes(word),
                    ));
                }
                Ok(())
            }
            ExprKind::Positional(n) => {
                let p = self.param(*n);
                let lit = Expr {
                    kind: ExprKind::Str(p),
                    span: e.span,
                    ty: e.ty.clone(),
                };
                self.expr_into(&lit, dst, size)
            }
            ExprKind::Builtin(name) if name == "comm" => {
                self.zero(dst, size);
                self.addr_of(R1, dst);
                self.asm.emit(mov64_imm(R2, size.min(16) as i32));
                self.asm.emit(call(helpers::GET_CURRENT_COMM));
                Ok(())
            }
            ExprKind::Builtin(name) if name == "func" => {
                // A user address with the process id, for symbolization.
                self.asm.emit(ldx(Size::DW, R0, super::frame::CTX, 128));
                self.store(dst, R0, 8);
                self.asm.emit(call(helpers::GET_CURRENT_PID_TGID));
                self.asm.emit(alu64_imm(Alu::Rsh, R0, 32));
                self.store(dst.plus(8), R0, 8);
                Ok(())
            }
            ExprKind::Var(name) => {
                let (t, v) = self.vars[name].clone();
                let Val::Mem(src) = v else {
                    return Err(self.err_at(e.span, "internal: aggregate variable not in memory"));
                };
                self.copy_sized(dst, size, src, t.size());
                Ok(())
            }
            ExprKind::Tuple(items) => {
                let Type::Tuple(ts) = &e.ty else {
                    unreachable!()
                };
                let (offs, total) = tuple_layout(ts);
                if size > total {
                    self.zero(dst, size);
                }
                for ((item, off), t) in items.iter().zip(offs).zip(ts) {
                    self.expr_into(item, dst.plus(off), t.size())?;
                }
                Ok(())
            }
            ExprKind::TupleIndex { .. } | ExprKind::Ternary { .. } => {
                if let ExprKind::Ternary { cond, then, els } = &e.kind {
                    let c = self.scalar(cond)?;
                    let r = self.load(c, R0);
                    self.frame.free(c);
                    let (l_else, l_end) = (self.asm.new_label(), self.asm.new_label());
                    self.asm.jmp_imm(Jmp::Jeq, r, 0, l_else);
                    self.zero(dst, size);
                    self.expr_into(then, dst, size)?;
                    self.asm.ja(l_end);
                    self.asm.bind(l_else);
                    self.zero(dst, size);
                    self.expr_into(els, dst, size)?;
                    self.asm.bind(l_end);
                    return Ok(());
                }
                let ExprKind::TupleIndex { expr, index } = &e.kind else {
                    unreachable!()
                };
                let (src, _) = self.tuple_field(expr, *index)?;
                self.copy_sized(dst, size, src, e.ty.size());
                Ok(())
            }
            ExprKind::Map { .. } => self.map_read_into(e, dst, size),
            ExprKind::Call { .. } => self.call_into(e, dst, size),
            ExprKind::Field { .. }
            | ExprKind::Index { .. }
            | ExprKind::Unary {
                op: UnOp::Deref, ..
            } => self.field_into(e, dst, size),
            ExprKind::Cast { expr, .. } => {
                // (int8[4])x: reinterpret the bytes of an integer.
                let v = self.scalar(expr)?;
                let r = self.load(v, R0);
                self.frame.free(v);
                self.zero(dst, size);
                self.store(dst, r, 8.min(size));
                Ok(())
            }
            _ => Err(self.err_at(
                e.span,
                format!("cannot generate code for this {} expression yet", e.ty),
            )),
        }
    }

    /// Evaluates a tuple and returns where field `index` lives, and its type.
    fn tuple_field(&mut self, tuple: &Expr, index: u32) -> GResult<(Loc, Type)> {
        let v = self.expr(tuple)?;
        let (Type::Tuple(ts), Val::Mem(base)) = (&tuple.ty, v) else {
            return Err(self.err_at(tuple.span, "internal: not a tuple in memory"));
        };
        let (offs, _) = tuple_layout(ts);
        Ok((base.plus(offs[index as usize]), ts[index as usize].clone()))
    }

    /// The `$N` command-line parameter as given (empty when absent).
    fn param(&self, n: u32) -> String {
        self.sh
            .opts
            .params
            .get(n as usize - 1)
            .cloned()
            .unwrap_or_default()
    }

    /// Copies `src_size` bytes to `dst`, zero-padding up to `dst_size`.
    pub fn copy_sized(&mut self, dst: Loc, dst_size: u32, src: Loc, src_size: u32) {
        if dst == src {
            return;
        }
        let n = src_size.min(dst_size);
        if dst_size > n {
            self.zero(dst, dst_size);
        }
        self.copy(dst, src, n);
    }

    /// Evaluates a scalar expression.
    /// A scalar's value; in tracing programs possibly a kernel pointer
    /// (kptr.rs), which `scalar` makes a plain integer.
    pub fn raw_scalar(&mut self, e: &Expr) -> GResult<Val> {
        match &e.kind {
            ExprKind::Int(v) => Ok(Val::Imm(*v as i64)),
            ExprKind::Bool(b) => Ok(Val::Imm(*b as i64)),
            ExprKind::Positional(n) => {
                let p = self.param(*n);
                Ok(Val::Imm(
                    crate::sema::probes::parse_int(&p).unwrap_or(0) as i64
                ))
            }
            ExprKind::PositionalCount => Ok(Val::Imm(self.sh.opts.params.len() as i64)),
            ExprKind::Builtin(name) => self.builtin(name, e),
            ExprKind::Var(name) => match self.vars.get(name) {
                Some((_, v)) => Ok(*v),
                None => Err(self.err_at(e.span, format!("undefined variable: {name}"))),
            },
            ExprKind::Map { .. } => self.map_read(e),
            ExprKind::Call { .. } => self.call(e),
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs),
            ExprKind::Unary { op, expr } => self.unary(*op, expr, e),
            ExprKind::Ternary { cond, then, els } => {
                let c = self.scalar(cond)?;
                let r = self.load(c, R0);
                self.frame.free(c);
                let result = self.temp_from(R0)?;
                let (l_else, l_end) = (self.asm.new_label(), self.asm.new_label());
                self.asm.jmp_imm(Jmp::Jeq, r, 0, l_else);
                self.assign_scalar(result, then)?;
                self.asm.ja(l_end);
                self.asm.bind(l_else);
                self.assign_scalar(result, els)?;
                self.asm.bind(l_end);
                Ok(result)
            }
            ExprKind::Field { .. } | ExprKind::Index { .. } => self.field_scalar(e),
            ExprKind::TupleIndex { expr, index } => {
                let (src, field) = self.tuple_field(expr, *index)?;
                let size = field.size().min(8);
                let sz = Size::from_bytes(size).unwrap_or(Size::DW);
                self.asm.emit(ldx(sz, R0, src.base(), src.off()));
                self.temp_from(R0)
            }
            ExprKind::Cast { expr, .. } => {
                // A 64-bit cast emits nothing: a kernel pointer stays one.
                let v = if e.ty.size() == 8 {
                    self.raw_scalar(expr)?
                } else {
                    self.scalar(expr)?
                };
                match &e.ty {
                    Type::Int { bytes, signed } if *bytes < 8 => {
                        self.load_into(v, R0);
                        self.frame.free(v);
                        self.extend(R0, *bytes as u32, *signed);
                        self.temp_from(R0)
                    }
                    _ => Ok(v),
                }
            }
            ExprKind::IncDec {
                target,
                increment,
                prefix,
            } => {
                let delta = if *increment { 1 } else { -1 };
                match &target.kind {
                    ExprKind::Var(name) => {
                        let (_, v) = self.vars[name];
                        self.load_into(v, R0);
                        let old = self.temp_from(R0)?;
                        self.asm.emit(alu64_imm(Alu::Add, R0, delta));
                        self.store_var(v, R0);
                        if *prefix {
                            self.frame.free(old);
                            self.temp_from(R0)
                        } else {
                            Ok(old)
                        }
                    }
                    _ => self.map_incdec(target, delta, *prefix),
                }
            }
            ExprKind::Str(_) | ExprKind::Tuple(_) | ExprKind::TypeArg(_) => {
                Err(self.err_at(e.span, "internal: not a scalar"))
            }
        }
    }

    /// Stores register `r` into a scalar variable's home.
    pub fn store_var(&mut self, home: Val, r: Reg) {
        match home {
            Val::Slot(s, _) => self.asm.emit(stx(Size::DW, R10, s, r)),
            Val::Reg(t) if t != r => self.asm.emit(mov64_reg(t, r)),
            _ => {}
        }
    }

    fn assign_scalar(&mut self, home: Val, e: &Expr) -> GResult<()> {
        let v = self.scalar(e)?;
        self.load_into(v, R0);
        self.frame.free(v);
        self.store_var(home, R0);
        Ok(())
    }

    /// Sign- or zero-extends the low `bytes` of `r` to 64 bits.
    pub fn extend(&mut self, r: Reg, bytes: u32, signed: bool) {
        if bytes >= 8 {
            return;
        }
        let shift = (64 - bytes * 8) as i32;
        self.asm.emit(alu64_imm(Alu::Lsh, r, shift));
        let op = if signed { Alu::Arsh } else { Alu::Rsh };
        self.asm.emit(alu64_imm(op, r, shift));
    }

    fn binary(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr) -> GResult<Val> {
        if matches!(op, BinOp::LogAnd | BinOp::LogOr) {
            return self.logical(op, lhs, rhs);
        }
        if matches!(lhs.ty, Type::Str(_)) && matches!(rhs.ty, Type::Str(_)) {
            return self.string_compare(op, lhs, rhs);
        }
        // Kernel pointers may be compared, not computed with.
        let (a, b) = if comparison(op).is_some() {
            (self.raw_scalar(lhs)?, self.raw_scalar(rhs)?)
        } else {
            (self.scalar(lhs)?, self.scalar(rhs)?)
        };
        self.load_into(a, R0);
        let rb = self.load(b, R1);
        self.frame.free(a);
        self.frame.free(b);
        let signed = lhs.ty.is_signed() && rhs.ty.is_signed();
        let cmp = |op| match (op, signed) {
            (BinOp::Eq, _) => Some(Jmp::Jeq),
            (BinOp::Ne, _) => Some(Jmp::Jne),
            (BinOp::Lt, false) => Some(Jmp::Jlt),
            (BinOp::Le, false) => Some(Jmp::Jle),
            (BinOp::Gt, false) => Some(Jmp::Jgt),
            (BinOp::Ge, false) => Some(Jmp::Jge),
            (BinOp::Lt, true) => Some(Jmp::Jslt),
            (BinOp::Le, true) => Some(Jmp::Jsle),
            (BinOp::Gt, true) => Some(Jmp::Jsgt),
            (BinOp::Ge, true) => Some(Jmp::Jsge),
            _ => None,
        };
        if let Some(j) = cmp(op) {
            let done = self.asm.new_label();
            self.asm.emit(mov64_reg(R2, R0));
            self.asm.emit(mov64_imm(R0, 1));
            self.asm.jmp_reg(j, R2, rb, done);
            self.asm.emit(mov64_imm(R0, 0));
            self.asm.bind(done);
            return self.temp_from(R0);
        }
        let alu = match op {
            BinOp::Add => Alu::Add,
            BinOp::Sub => Alu::Sub,
            BinOp::Mul => Alu::Mul,
            BinOp::Div => Alu::Div,
            BinOp::Mod => Alu::Mod,
            BinOp::BitAnd => Alu::And,
            BinOp::BitOr => Alu::Or,
            BinOp::BitXor => Alu::Xor,
            BinOp::Shl => Alu::Lsh,
            BinOp::Shr if lhs.ty.is_signed() => Alu::Arsh,
            BinOp::Shr => Alu::Rsh,
            _ => unreachable!(),
        };
        if matches!(alu, Alu::Div | Alu::Mod) && signed {
            self.asm.emit(alu64_sdiv(alu, R0, rb));
        } else {
            self.asm.emit(alu64_reg(alu, R0, rb));
        }
        self.temp_from(R0)
    }

    /// Jumps to `target` when the condition `e` is false, without
    /// materialising comparisons as 0/1 (predicates, if, while).
    pub fn jump_if_false(&mut self, e: &Expr, target: Label) -> GResult<()> {
        match &e.kind {
            ExprKind::Binary { op, lhs, rhs }
                if lhs.ty.is_scalar() && rhs.ty.is_scalar() && comparison(*op).is_some() =>
            {
                let signed = lhs.ty.is_signed() && rhs.ty.is_signed();
                let a = self.scalar(lhs)?;
                let b = self.scalar(rhs)?;
                let ra = self.load(a, R0);
                let inverse = invert(comparison(*op).unwrap(), signed);
                match b {
                    Val::Imm(i) if i >= i32::MIN as i64 && i <= i32::MAX as i64 => {
                        self.asm.jmp_imm(inverse, ra, i as i32, target);
                    }
                    _ => {
                        let rb = self.load(b, R1);
                        self.asm.jmp_reg(inverse, ra, rb, target);
                    }
                }
                self.frame.free(a);
                self.frame.free(b);
                Ok(())
            }
            ExprKind::Binary {
                op: BinOp::LogAnd,
                lhs,
                rhs,
            } => {
                self.jump_if_false(lhs, target)?;
                self.jump_if_false(rhs, target)
            }
            ExprKind::Binary {
                op: BinOp::LogOr,
                lhs,
                rhs,
            } => {
                let pass = self.asm.new_label();
                let next = self.asm.new_label();
                self.jump_if_false(lhs, next)?;
                self.asm.ja(pass);
                self.asm.bind(next);
                self.jump_if_false(rhs, target)?;
                self.asm.bind(pass);
                Ok(())
            }
            _ => {
                let v = self.scalar(e)?;
                let r = self.load(v, R0);
                self.frame.free(v);
                self.asm.jmp_imm(Jmp::Jeq, r, 0, target);
                Ok(())
            }
        }
    }

    fn logical(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr) -> GResult<Val> {
        let result = self.temp_from_imm(if op == BinOp::LogAnd { 0 } else { 1 })?;
        let done = self.asm.new_label();
        let a = self.scalar(lhs)?;
        let ra = self.load(a, R0);
        self.frame.free(a);
        let short = if op == BinOp::LogAnd {
            Jmp::Jeq
        } else {
            Jmp::Jne
        };
        self.asm.jmp_imm(short, ra, 0, done);
        let b = self.scalar(rhs)?;
        let rb = self.load(b, R0);
        self.frame.free(b);
        self.asm.jmp_imm(short, rb, 0, done);
        self.asm
            .emit(mov64_imm(R0, if op == BinOp::LogAnd { 1 } else { 0 }));
        self.store_var(result, R0);
        self.asm.bind(done);
        Ok(result)
    }

    pub fn temp_from_imm(&mut self, i: i64) -> GResult<Val> {
        self.mov_imm(R0, i);
        self.temp_from(R0)
    }

    fn string_compare(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr) -> GResult<Val> {
        let a = self.expr(lhs)?;
        let b = self.expr(rhs)?;
        let (Val::Mem(la), Val::Mem(lb)) = (a, b) else {
            unreachable!()
        };
        let n = lhs.ty.size().min(rhs.ty.size());
        let eq = op == BinOp::Eq;
        let v = self.mem_compare(la, lb, n, None)?;
        if !eq {
            self.load_into(v, R0);
            self.asm.emit(alu64_imm(Alu::Xor, R0, 1));
            self.store_var(v, R0);
        }
        Ok(v)
    }

    /// Compares two NUL-terminated strings of at most `n` bytes; the result
    /// is 1 when equal. With `limit`, compares at most that many bytes.
    pub fn mem_compare(&mut self, a: Loc, b: Loc, n: u32, limit: Option<u32>) -> GResult<Val> {
        let result = self.temp_from_imm(0)?;
        let (differ, equal) = (self.asm.new_label(), self.asm.new_label());
        let n = limit.map_or(n, |l| l.min(n));
        for i in 0..n as i16 {
            self.asm.emit(ldx(Size::B, R1, a.base(), a.off() + i));
            self.asm.emit(ldx(Size::B, R2, b.base(), b.off() + i));
            self.asm.jmp_reg(Jmp::Jne, R1, R2, differ);
            self.asm.jmp_imm(Jmp::Jeq, R1, 0, equal);
        }
        self.asm.bind(equal);
        self.asm.emit(mov64_imm(R0, 1));
        self.store_var(result, R0);
        self.asm.bind(differ);
        Ok(result)
    }

    fn unary(&mut self, op: UnOp, inner: &Expr, e: &Expr) -> GResult<Val> {
        match op {
            UnOp::Deref => self.field_scalar(e),
            UnOp::AddrOf => {
                let addr = self.address_of(inner)?;
                Ok(addr)
            }
            _ => {
                let v = self.scalar(inner)?;
                self.load_into(v, R0);
                self.frame.free(v);
                match op {
                    UnOp::Neg => self.asm.emit(alu64_imm(Alu::Neg, R0, 0)),
                    UnOp::BitNot => self.asm.emit(alu64_imm(Alu::Xor, R0, -1)),
                    UnOp::Not => {
                        let done = self.asm.new_label();
                        self.asm.emit(mov64_reg(R1, R0));
                        self.asm.emit(mov64_imm(R0, 1));
                        self.asm.jmp_imm(Jmp::Jeq, R1, 0, done);
                        self.asm.emit(mov64_imm(R0, 0));
                        self.asm.bind(done);
                    }
                    _ => unreachable!(),
                }
                self.temp_from(R0)
            }
        }
    }
}
