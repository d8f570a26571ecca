//! Walking the typed AST in code generation's passes (dead assignments,
//! declared variables, variables that keep kernel pointers): the direct
//! parts of an expression or a statement, and the variables in one.

use crate::ast::{Block, Expr, ExprKind, Stmt, StmtKind};

/// Calls `f` on each direct sub-expression of `e`.
pub fn children<'e>(e: &'e Expr, f: &mut dyn FnMut(&'e Expr)) {
    match &e.kind {
        ExprKind::Int(_)
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::Builtin(_)
        | ExprKind::Var(_)
        | ExprKind::Positional(_)
        | ExprKind::PositionalCount
        | ExprKind::TypeArg(_) => {}
        ExprKind::Map { keys, .. } => keys.iter().for_each(f),
        ExprKind::Call { args, .. } => args.iter().for_each(f),
        ExprKind::Tuple(items) => items.iter().for_each(f),
        ExprKind::Binary { lhs, rhs, .. } => {
            f(lhs);
            f(rhs);
        }
        ExprKind::Ternary { cond, then, els } => {
            f(cond);
            f(then);
            f(els);
        }
        ExprKind::Index { expr, index } => {
            f(expr);
            f(index);
        }
        ExprKind::Unary { expr, .. }
        | ExprKind::Field { expr, .. }
        | ExprKind::TupleIndex { expr, .. }
        | ExprKind::Cast { expr, .. } => f(expr),
        ExprKind::IncDec { target, .. } => f(target),
    }
}

/// Calls `f` with the name of each variable `e` mentions, in order.
pub fn vars_in<'e>(e: &'e Expr, f: &mut dyn FnMut(&'e str)) {
    if let ExprKind::Var(name) = &e.kind {
        f(name);
    }
    children(e, &mut |c| vars_in(c, f));
}

/// A direct part of a statement.
pub enum Part<'s> {
    Expr(&'s Expr),
    Block(&'s Block),
}

/// Calls `f` on each expression and block directly in `s`, in source order.
pub fn stmt_parts<'s>(s: &'s Stmt, f: &mut dyn FnMut(Part<'s>)) {
    match &s.kind {
        StmtKind::Expr(e) | StmtKind::Return(Some(e)) => f(Part::Expr(e)),
        StmtKind::Let { value, .. } => {
            if let Some(v) = value {
                f(Part::Expr(v));
            }
        }
        StmtKind::Assign { target, value, .. } => {
            f(Part::Expr(target));
            f(Part::Expr(value));
        }
        StmtKind::If { cond, then, els } => {
            f(Part::Expr(cond));
            f(Part::Block(then));
            if let Some(e) = els {
                f(Part::Block(e));
            }
        }
        StmtKind::Unroll { count: e, body } | StmtKind::While { cond: e, body } => {
            f(Part::Expr(e));
            f(Part::Block(body));
        }
        StmtKind::ForRange {
            start, end, body, ..
        } => {
            f(Part::Expr(start));
            f(Part::Expr(end));
            f(Part::Block(body));
        }
        StmtKind::ForMap { body, .. } | StmtKind::Block(body) => f(Part::Block(body)),
        StmtKind::Return(None) | StmtKind::Break | StmtKind::Continue => {}
    }
}
