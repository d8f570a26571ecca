//! The `-d ast` dump: an indented tree, one node per line, with the type of
//! each expression once semantic analysis has set it.

use std::fmt::Write;

use crate::ast::{Block, Expr, ExprKind, Probe, Program, Stmt, StmtKind, TypeName, UnOp};
use crate::types::Type;

pub fn dump(program: &Program) -> String {
    let mut d = Dumper { out: String::new() };
    d.line(0, "Program");
    if !program.config.is_empty() {
        d.line(1, "config");
        for item in &program.config {
            d.line(2, &format!("{} =", item.key));
            d.expr(3, &item.value);
        }
    }
    for probe in &program.probes {
        d.probe(1, probe);
    }
    d.out
}

struct Dumper {
    out: String,
}

fn type_name(t: &TypeName) -> String {
    let mut s = t.base.clone();
    if t.pointers > 0 {
        s.push(' ');
        s.push_str(&"*".repeat(t.pointers as usize));
    }
    if let Some(n) = t.array {
        let _ = write!(s, "[{n}]");
    }
    s
}

fn unop(op: UnOp) -> &'static str {
    match op {
        UnOp::Neg => "-",
        UnOp::Not => "!",
        UnOp::BitNot => "~",
        UnOp::Deref => "*",
        UnOp::AddrOf => "&",
    }
}

impl Dumper {
    fn line(&mut self, depth: usize, text: &str) {
        for _ in 0..depth {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn probe(&mut self, depth: usize, probe: &Probe) {
        let names: Vec<&str> = probe.attach_points.iter().map(|a| a.raw.as_str()).collect();
        self.line(depth, &format!("probe {}", names.join(", ")));
        for ap in &probe.attach_points {
            let parts: Vec<String> = ap.parts.iter().map(|p| format!("{p:?}")).collect();
            self.line(
                depth + 1,
                &format!("attach {:?} [{}]", ap.provider, parts.join(", ")),
            );
        }
        if let Some(pred) = &probe.predicate {
            self.line(depth + 1, "predicate");
            self.expr(depth + 2, pred);
        }
        self.block(depth + 1, "body", &probe.body);
    }

    fn block(&mut self, depth: usize, label: &str, block: &Block) {
        self.line(depth, label);
        for s in &block.stmts {
            self.stmt(depth + 1, s);
        }
    }

    fn stmt(&mut self, depth: usize, stmt: &Stmt) {
        match &stmt.kind {
            StmtKind::Expr(e) => self.expr(depth, e),
            StmtKind::Assign { target, op, value } => {
                let op = op.map_or("=".to_string(), |o| format!("{}=", o.symbol()));
                self.line(depth, &op);
                self.expr(depth + 1, target);
                self.expr(depth + 1, value);
            }
            StmtKind::Let { name, ty, value } => {
                let ty = ty
                    .as_ref()
                    .map_or(String::new(), |t| format!(": {}", type_name(t)));
                self.line(depth, &format!("let {name}{ty}"));
                if let Some(v) = value {
                    self.expr(depth + 1, v);
                }
            }
            StmtKind::If { cond, then, els } => {
                self.line(depth, "if");
                self.expr(depth + 1, cond);
                self.block(depth + 1, "then", then);
                if let Some(els) = els {
                    self.block(depth + 1, "else", els);
                }
            }
            StmtKind::Unroll { count, body } => {
                self.line(depth, "unroll");
                self.expr(depth + 1, count);
                self.block(depth + 1, "body", body);
            }
            StmtKind::While { cond, body } => {
                self.line(depth, "while");
                self.expr(depth + 1, cond);
                self.block(depth + 1, "body", body);
            }
            StmtKind::ForMap { var, map, body } => {
                self.line(depth, &format!("for {var} : {map}"));
                self.block(depth + 1, "body", body);
            }
            StmtKind::ForRange {
                var,
                start,
                end,
                body,
            } => {
                self.line(depth, &format!("for {var} : range"));
                self.expr(depth + 1, start);
                self.expr(depth + 1, end);
                self.block(depth + 1, "body", body);
            }
            StmtKind::Return(e) => {
                self.line(depth, "return");
                if let Some(e) = e {
                    self.expr(depth + 1, e);
                }
            }
            StmtKind::Break => self.line(depth, "break"),
            StmtKind::Continue => self.line(depth, "continue"),
            StmtKind::Block(b) => self.block(depth, "block", b),
        }
    }

    fn expr(&mut self, depth: usize, e: &Expr) {
        let mut text = match &e.kind {
            ExprKind::Int(n) => format!("int: {n}"),
            ExprKind::Str(s) => format!("string: {s:?}"),
            ExprKind::Bool(b) => format!("bool: {b}"),
            ExprKind::Builtin(n) => format!("builtin: {n}"),
            ExprKind::Var(n) => format!("variable: {n}"),
            ExprKind::Positional(n) => format!("positional: ${n}"),
            ExprKind::PositionalCount => "positional count: $#".to_string(),
            ExprKind::Map { name, .. } => format!("map: {name}"),
            ExprKind::Call { name, .. } => format!("call: {name}"),
            ExprKind::TypeArg(t) => format!("type: {}", type_name(t)),
            ExprKind::Binary { op, .. } => op.symbol().to_string(),
            ExprKind::Unary { op, .. } => format!("unop: {}", unop(*op)),
            ExprKind::Ternary { .. } => "?:".to_string(),
            ExprKind::Field { field, arrow, .. } => {
                format!("field: {}{field}", if *arrow { "->" } else { "." })
            }
            ExprKind::Index { .. } => "[]".to_string(),
            ExprKind::Tuple(_) => "tuple".to_string(),
            ExprKind::TupleIndex { index, .. } => format!("tuple index: .{index}"),
            ExprKind::Cast { ty, .. } => format!("cast: {}", type_name(ty)),
            ExprKind::IncDec {
                increment, prefix, ..
            } => format!(
                "{} ({})",
                if *increment { "++" } else { "--" },
                if *prefix { "pre" } else { "post" }
            ),
        };
        if e.ty != Type::None {
            let _ = write!(text, " :: [{}]", e.ty);
        }
        self.line(depth, &text);
        let d = depth + 1;
        match &e.kind {
            ExprKind::Map { keys, .. } => keys.iter().for_each(|k| self.expr(d, k)),
            ExprKind::Call { args, .. } => args.iter().for_each(|a| self.expr(d, a)),
            ExprKind::Tuple(items) => items.iter().for_each(|i| self.expr(d, i)),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(d, lhs);
                self.expr(d, rhs);
            }
            ExprKind::Unary { expr, .. }
            | ExprKind::Field { expr, .. }
            | ExprKind::TupleIndex { expr, .. }
            | ExprKind::Cast { expr, .. } => self.expr(d, expr),
            ExprKind::IncDec { target, .. } => self.expr(d, target),
            ExprKind::Index { expr, index } => {
                self.expr(d, expr);
                self.expr(d, index);
            }
            ExprKind::Ternary { cond, then, els } => {
                self.expr(d, cond);
                self.expr(d, then);
                self.expr(d, els);
            }
            _ => {}
        }
    }
}
