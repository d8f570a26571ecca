//! Statements: assignments, control flow, loops.

use super::expr::in_memory;
use super::frame::Val;
use super::{GResult, Gen};
use crate::ast::{Block, Expr, ExprKind, Stmt, StmtKind};
use crate::sema::typeck::const_int;
use crate::types::Type;
use scry_asm::*;

impl<'a, 'b> Gen<'a, 'b> {
    pub fn block(&mut self, b: &Block) -> GResult<()> {
        for s in &b.stmts {
            self.stmt(s)?;
        }
        Ok(())
    }

    /// The home of variable `name`, created on first use.
    pub(super) fn var_home(
        &mut self,
        name: &str,
        ty: &Type,
        span: crate::span::Span,
    ) -> GResult<Val> {
        if let Some((_, v)) = self.vars.get(name) {
            return Ok(*v);
        }
        // Variables live for the whole program: their memory is taken now,
        // outside the statement's mark, and pinned, since a variable first
        // assigned in a block outlives the block's statement.
        let v = if in_memory(ty) {
            Val::Mem(self.mem(ty.size(), span)?)
        } else {
            let s = self.frame.slot().map_err(|m| self.err_at(span, m))?;
            Val::Slot(s, false)
        };
        self.frame.pin(v, ty.size().max(8));
        self.vars.insert(name.to_string(), (ty.clone(), v));
        Ok(v)
    }

    pub fn stmt(&mut self, s: &Stmt) -> GResult<()> {
        // A variable nothing reads, given a value without effects: no code.
        if let Some((name, value)) = super::dead::plain_assignment(s) {
            if !self.read_vars.contains(name) && super::dead::pure(value) {
                return Ok(());
            }
        }
        self.line_of(s.span);
        // Declare variables assigned here before taking the statement mark.
        if let StmtKind::Assign { target, .. } = &s.kind {
            if let ExprKind::Var(name) = &target.kind {
                self.var_home(name, &target.ty, target.span)?;
            }
        }
        if let StmtKind::Let {
            name,
            value: Some(v),
            ..
        } = &s.kind
        {
            self.var_home(name, &v.ty, s.span)?;
        }
        let mark = self.frame.mark();
        let r = self.stmt_inner(s);
        self.frame.release(mark);
        r
    }

    fn stmt_inner(&mut self, s: &Stmt) -> GResult<()> {
        match &s.kind {
            StmtKind::Expr(e) => {
                let v = self.expr(e)?;
                self.frame.free(v);
            }
            StmtKind::Assign { target, op, value } => match (&target.kind, op) {
                (ExprKind::Var(name), None) => self.assign_var(name, value)?,
                (ExprKind::Var(name), Some(op)) => {
                    let bin = Expr {
                        kind: ExprKind::Binary {
                            op: *op,
                            lhs: Box::new(target.clone()),
                            rhs: Box::new(value.clone()),
                        },
                        span: s.span,
                        ty: target.ty.clone(),
                    };
                    self.assign_var(name, &bin)?;
                }
                (ExprKind::Map { .. }, None) => self.map_assign(target, value)?,
                (ExprKind::Map { .. }, Some(op)) => self.map_compound(target, *op, value)?,
                _ => return Err(self.err_at(s.span, "cannot assign to this expression")),
            },
            StmtKind::Let { name, value, .. } => {
                if let Some(v) = value {
                    self.assign_var(name, v)?;
                }
            }
            StmtKind::If { cond, then, els } => {
                let (l_else, l_end) = (self.asm.new_label(), self.asm.new_label());
                self.jump_if_false(cond, l_else)?;
                self.block(then)?;
                self.asm.ja(l_end);
                self.asm.bind(l_else);
                if let Some(e) = els {
                    self.block(e)?;
                }
                self.asm.bind(l_end);
            }
            StmtKind::Unroll { count, body } => {
                let n = const_int(count).unwrap_or(0);
                for _ in 0..n {
                    self.block(body)?;
                }
            }
            StmtKind::While { cond, body } => {
                let (top, end) = (self.asm.new_label(), self.asm.new_label());
                self.asm.bind(top);
                self.jump_if_false(cond, end)?;
                self.loops.push((top, end));
                self.block(body)?;
                self.loops.pop();
                self.asm.ja(top);
                self.asm.bind(end);
            }
            StmtKind::ForRange {
                var,
                start,
                end,
                body,
            } => {
                let home = self.var_home(var, &Type::I64, s.span)?;
                let sv = self.scalar(start)?;
                self.load_into(sv, R0);
                self.frame.free(sv);
                self.store_var(home, R0);
                let ev = self.scalar(end)?;
                let end_val = match ev {
                    Val::Imm(_) => ev,
                    other => {
                        self.load_into(other, R0);
                        self.frame.free(other);
                        let slot = self.frame.slot().map_err(|m| self.err_at(s.span, m))?;
                        self.asm.emit(stx(Size::DW, R10, slot, R0));
                        Val::Slot(slot, false)
                    }
                };
                let (top, next, out) = (
                    self.asm.new_label(),
                    self.asm.new_label(),
                    self.asm.new_label(),
                );
                self.asm.bind(top);
                self.load_into(home, R0);
                let r = self.load(end_val, R1);
                self.asm.jmp_reg(Jmp::Jsge, R0, r, out);
                self.loops.push((next, out));
                self.block(body)?;
                self.loops.pop();
                self.asm.bind(next);
                self.load_into(home, R0);
                self.asm.emit(alu64_imm(Alu::Add, R0, 1));
                self.store_var(home, R0);
                self.asm.ja(top);
                self.asm.bind(out);
            }
            StmtKind::ForMap { var, map, body } => self.for_map(var, map, body, s.span)?,
            StmtKind::Return(_) => self.asm.ja(self.exit_label),
            StmtKind::Break | StmtKind::Continue => {
                let (cont, brk) = *self
                    .loops
                    .last()
                    .ok_or_else(|| self.err_at(s.span, "not in a loop"))?;
                let l = if matches!(s.kind, StmtKind::Break) {
                    brk
                } else {
                    cont
                };
                self.asm.ja(l);
            }
            StmtKind::Block(b) => self.block(b)?,
        }
        Ok(())
    }

    fn assign_var(&mut self, name: &str, value: &Expr) -> GResult<()> {
        let (ty, home) = self.vars[name].clone();
        match home {
            Val::Mem(loc) => self.expr_into(value, loc, ty.size()),
            _ => {
                let v = if self.kptr_vars.contains_key(name) {
                    self.raw_scalar(value)?
                } else {
                    self.scalar(value)?
                };
                self.load_into(v, R0);
                self.frame.free(v);
                self.store_var(home, R0);
                Ok(())
            }
        }
    }
}
