//! Which variables keep a kernel pointer (see kptr.rs): those assigned
//! one, of one struct type, at the top level of the probe before any
//! other mention, and only such pointers anywhere. The verifier tracks a
//! pointer through the variable's stack slot, so reads through the
//! variable are plain loads too; every other variable holds plain numbers.

use super::dead::plain_assignment;
use super::kptr::Kptr;
use super::walk::{children, stmt_parts, vars_in, Part};
use super::Gen;
use crate::ast::{Block, Expr, ExprKind, Stmt, StmtKind};
use std::collections::{HashMap, HashSet};

impl<'a, 'b> Gen<'a, 'b> {
    /// Finds the probe's variables that hold a kernel pointer of one type
    /// wherever they are read: each is assigned such a pointer at the top
    /// level of the body before any other mention, and only such pointers
    /// anywhere. Reads through them are then plain loads too.
    pub fn find_kptr_vars(&mut self, predicate: Option<&Expr>, body: &Block) {
        if !self.tracing() {
            return;
        }
        let mut assigned: HashMap<&str, Vec<&Expr>> = HashMap::new();
        let mut excluded: HashSet<&str> = HashSet::new();
        let mut has_callback = false;
        collect(body, &mut assigned, &mut excluded, &mut has_callback);
        if has_callback {
            return;
        }
        if let Some(p) = predicate {
            vars_in(p, &mut |v| {
                excluded.insert(v);
            });
        }
        let mut seen: HashSet<&str> = HashSet::new();
        for s in &body.stmts {
            let defined = plain_assignment(s)
                .filter(|(name, value)| !mentions_var(value, name))
                .map(|(name, _)| name);
            let mut in_stmt = Vec::new();
            all_mentions_in_stmt(s, &mut in_stmt);
            for v in in_stmt {
                if seen.insert(v) && defined != Some(v) {
                    excluded.insert(v);
                }
            }
        }
        loop {
            let mut changed = false;
            for (name, values) in &assigned {
                if excluded.contains(name) || self.kptr_vars.contains_key(*name) {
                    continue;
                }
                let kinds: Vec<Option<Kptr>> = values.iter().map(|e| self.kptr(e)).collect();
                if let Some(Some(k)) = kinds.first() {
                    if kinds.iter().all(|x| *x == Some(*k)) {
                        self.kptr_vars.insert(name.to_string(), *k);
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
    }
}

fn mentions_var(e: &Expr, var: &str) -> bool {
    let mut found = false;
    vars_in(e, &mut |v| found |= v == var);
    found
}

fn all_mentions_in_stmt<'s>(s: &'s Stmt, out: &mut Vec<&'s str>) {
    stmt_parts(s, &mut |p| match p {
        Part::Expr(e) => vars_in(e, &mut |v| out.push(v)),
        Part::Block(b) => b.stmts.iter().for_each(|s| all_mentions_in_stmt(s, out)),
    });
    match &s.kind {
        StmtKind::Let { name, .. } => out.push(name),
        StmtKind::ForMap { var, .. } | StmtKind::ForRange { var, .. } => out.push(var),
        _ => {}
    }
}

/// Every plain assignment's value, by variable; variables changed any
/// other way (`+=`, `++`, loop variables, `let` without a value) are
/// excluded. `callback`: the body has a `for` over a map.
fn collect<'s>(
    b: &'s Block,
    assigned: &mut HashMap<&'s str, Vec<&'s Expr>>,
    excluded: &mut HashSet<&'s str>,
    callback: &mut bool,
) {
    for s in &b.stmts {
        match &s.kind {
            StmtKind::ForMap { .. } => *callback = true,
            StmtKind::ForRange { var, .. } => {
                excluded.insert(var);
            }
            StmtKind::Let {
                name, value: None, ..
            } => {
                excluded.insert(name);
            }
            StmtKind::Assign {
                target,
                op: Some(_),
                ..
            } => {
                if let ExprKind::Var(name) = &target.kind {
                    excluded.insert(name);
                }
            }
            _ => {}
        }
        if let Some((name, value)) = plain_assignment(s) {
            assigned.entry(name).or_default().push(value);
        }
        stmt_parts(s, &mut |p| match p {
            Part::Expr(e) => incdec_targets(e, excluded),
            Part::Block(inner) => collect(inner, assigned, excluded, callback),
        });
    }
}

fn incdec_targets<'e>(e: &'e Expr, excluded: &mut HashSet<&'e str>) {
    if let ExprKind::IncDec { target, .. } = &e.kind {
        if let ExprKind::Var(name) = &target.kind {
            excluded.insert(name);
        }
    }
    children(e, &mut |c| incdec_targets(c, excluded));
}
