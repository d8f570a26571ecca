//! Dead assignments: `$x = expr` where the probe never reads `$x` and
//! `expr` has no effect but its value (field reads, casts, arithmetic,
//! builtins) generates no code. Tool scripts compute values that only
//! some flags print (runqlat's `$pid` and `$comm` for `-P`), and each
//! field read through a pointer is a helper call on every event.
//!
//! Conservative: a variable counts as read wherever it appears other than
//! as the target of a plain assignment (`$x += 1` and `$x++` read it); any
//! call, map access or stack builtin makes the value effectful.

use super::walk::{children, stmt_parts, vars_in, Part};
use crate::ast::{Block, Expr, ExprKind, Stmt, StmtKind};
use std::collections::HashSet;

/// The variables a probe reads (its predicate and body).
pub fn read_vars(predicate: Option<&Expr>, body: &Block) -> HashSet<String> {
    let mut out = HashSet::new();
    if let Some(p) = predicate {
        expr_reads(p, &mut out);
    }
    block_reads(body, &mut out);
    out
}

fn block_reads(b: &Block, out: &mut HashSet<String>) {
    for s in &b.stmts {
        stmt_reads(s, out);
    }
}

fn stmt_reads(s: &Stmt, out: &mut HashSet<String>) {
    match &s.kind {
        // A plain assignment writes its variable without reading it.
        StmtKind::Assign {
            target,
            op: None,
            value,
        } if matches!(target.kind, ExprKind::Var(_)) => expr_reads(value, out),
        StmtKind::ForMap { var, .. } | StmtKind::ForRange { var, .. } => {
            out.insert(var.clone());
            parts_read(s, out);
        }
        _ => parts_read(s, out),
    }
}

fn parts_read(s: &Stmt, out: &mut HashSet<String>) {
    stmt_parts(s, &mut |p| match p {
        Part::Expr(e) => expr_reads(e, out),
        Part::Block(b) => block_reads(b, out),
    });
}

fn expr_reads(e: &Expr, out: &mut HashSet<String>) {
    vars_in(e, &mut |v| {
        out.insert(v.to_string());
    });
}

/// Whether evaluating `e` has no effect besides its value.
pub fn pure(e: &Expr) -> bool {
    let own = match &e.kind {
        ExprKind::Map { .. } | ExprKind::Call { .. } | ExprKind::IncDec { .. } => false,
        // Stack ids are inserted into the stack map as they are taken.
        ExprKind::Builtin(name) => !matches!(name.as_str(), "kstack" | "ustack"),
        _ => true,
    };
    let mut all = own;
    children(e, &mut |c| all = all && pure(c));
    all
}

/// The variable a statement assigns without reading it, with the value
/// assigned: `$x = v` and `let $x = v`.
pub fn plain_assignment(s: &Stmt) -> Option<(&str, &Expr)> {
    match &s.kind {
        StmtKind::Assign {
            target,
            op: None,
            value,
        } => match &target.kind {
            ExprKind::Var(name) => Some((name, value)),
            _ => None,
        },
        StmtKind::Let {
            name,
            value: Some(v),
            ..
        } => Some((name, v)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(src: &str) -> crate::ast::Probe {
        let (program, diags) = crate::parse::parse(src);
        assert!(diags.is_empty(), "{diags:?}");
        program.probes.into_iter().next().unwrap()
    }

    fn dead(src: &str) -> Vec<String> {
        let p = probe(src);
        let read = read_vars(p.predicate.as_ref(), &p.body);
        let mut out = Vec::new();
        let mut walk = |b: &Block| {
            for s in &b.stmts {
                if let Some((name, value)) = plain_assignment(s) {
                    if !read.contains(name) && pure(value) {
                        out.push(name.to_string());
                    }
                }
            }
        };
        walk(&p.body);
        out
    }

    #[test]
    fn unread_field_reads_are_dead() {
        let src = "k:f { $t = (struct task_struct *)curtask; $p = $t->real_parent->tgid; \
                   $c = $t->comm; let $n = pid + 1; printf(\"%d\\n\", $t->pid); }";
        assert_eq!(dead(src), ["$p", "$c", "$n"]);
    }

    #[test]
    fn anything_that_reads_keeps_the_variable() {
        // Read in a printf, a condition, a map key, a later value, a
        // compound assignment, an increment, a loop and a return.
        let src = "k:f { $a = 1; $b = 2; $c = 3; $d = 4; $e = 5; $f = 6; $g = 7; $h = 8; \
                   printf(\"%d\\n\", $a); if ($b) { } @m[$c] = 1; $x = $d; print($x); \
                   $e += 1; $f++; while ($g) { } return $h; }";
        assert_eq!(dead(src), Vec::<String>::new());
    }

    #[test]
    fn effects_are_kept_even_unread() {
        let src = "k:f { $a = @n++; $b = @m[1]; $c = kstack; $d = str(arg0); $e = ustack; \
                   $f = (1 + @x) * 2; }";
        assert_eq!(dead(src), Vec::<String>::new());
    }
}
