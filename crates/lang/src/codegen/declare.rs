//! Variables declared without a value (`let $x: T;`) read as zero until
//! assigned: their homes are made and zeroed when the program starts, with
//! the type their uses were given.

use super::{GResult, Gen};
use crate::ast::{Block, Expr, ExprKind, Stmt, StmtKind};
use crate::types::Type;
use std::collections::HashMap;

impl<'a, 'b> Gen<'a, 'b> {
    /// Makes and zeroes the home of each variable the body declares
    /// without a value.
    pub fn declare_unassigned(&mut self, body: &Block) -> GResult<()> {
        let mut declared = Vec::new();
        let mut types = HashMap::new();
        walk_block(body, &mut declared, &mut types);
        for (name, span) in declared {
            let Some(ty) = types.remove(&name) else {
                continue; // never read
            };
            let home = self.var_home_at(&name, &ty, span)?;
            match home {
                super::frame::Val::Slot(s, _) => {
                    self.asm
                        .emit(scry_asm::st_imm(scry_asm::Size::DW, scry_asm::R10, s, 0));
                }
                super::frame::Val::Mem(loc) => self.zero(loc, ty.size()),
                _ => {}
            }
        }
        Ok(())
    }
}

fn walk_block(
    b: &Block,
    declared: &mut Vec<(String, crate::span::Span)>,
    types: &mut HashMap<String, Type>,
) {
    for s in &b.stmts {
        walk_stmt(s, declared, types);
    }
}

fn walk_stmt(
    s: &Stmt,
    declared: &mut Vec<(String, crate::span::Span)>,
    types: &mut HashMap<String, Type>,
) {
    let mut exprs = |e: &Expr| walk_expr(e, types);
    match &s.kind {
        StmtKind::Let {
            name, value: None, ..
        } => declared.push((name.clone(), s.span)),
        StmtKind::Let { value: Some(v), .. } => exprs(v),
        StmtKind::Expr(e) | StmtKind::Return(Some(e)) => exprs(e),
        StmtKind::Assign { target, value, .. } => {
            exprs(target);
            exprs(value);
        }
        StmtKind::If { cond, then, els } => {
            exprs(cond);
            walk_block(then, declared, types);
            if let Some(e) = els {
                walk_block(e, declared, types);
            }
        }
        StmtKind::Unroll { count: e, body } | StmtKind::While { cond: e, body } => {
            exprs(e);
            walk_block(body, declared, types);
        }
        StmtKind::ForRange {
            start, end, body, ..
        } => {
            exprs(start);
            exprs(end);
            walk_block(body, declared, types);
        }
        // A for-map body is a callback with its own frame and variables
        // (see formap.rs, which declares its own).
        StmtKind::ForMap { .. } => {}
        StmtKind::Block(body) => walk_block(body, declared, types),
        StmtKind::Return(None) | StmtKind::Break | StmtKind::Continue => {}
    }
}

fn walk_expr(e: &Expr, types: &mut HashMap<String, Type>) {
    if let ExprKind::Var(name) = &e.kind {
        if e.ty != Type::None {
            types.entry(name.clone()).or_insert_with(|| e.ty.clone());
        }
    }
    super::dead::children(e, &mut |c| walk_expr(c, types));
}
