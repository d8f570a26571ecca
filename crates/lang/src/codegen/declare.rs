//! Variables declared without a value (`let $x: T;`) read as zero until
//! assigned: their homes are made and zeroed when the program starts, with
//! the type their uses were given.

use super::frame::{Loc, Val};
use super::walk::{children, stmt_parts, Part};
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
            let loc = match self.var_home(&name, &ty, span)? {
                Val::Slot(s, _) => Loc::Stack(s),
                Val::Mem(loc) => loc,
                _ => continue,
            };
            self.zero(loc, ty.size().max(8));
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
    match &s.kind {
        StmtKind::Let {
            name, value: None, ..
        } => declared.push((name.clone(), s.span)),
        // A for-map body is a callback with its own frame and variables
        // (see formap.rs, which declares its own).
        StmtKind::ForMap { .. } => {}
        _ => stmt_parts(s, &mut |p| match p {
            Part::Expr(e) => walk_expr(e, types),
            Part::Block(b) => walk_block(b, declared, types),
        }),
    }
}

fn walk_expr(e: &Expr, types: &mut HashMap<String, Type>) {
    if let ExprKind::Var(name) = &e.kind {
        if e.ty != Type::None {
            types.entry(name.clone()).or_insert_with(|| e.ty.clone());
        }
    }
    children(e, &mut |c| walk_expr(c, types));
}
