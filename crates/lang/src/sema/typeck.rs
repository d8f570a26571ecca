//! Type checking of one probe body for one target: fills `Expr::ty`,
//! records map key/value types, and reports misuse with spans.

use super::builtins;
use super::calls;
use super::ctypes;
use super::maps::Maps;
use super::probes::{Context, Target};
use crate::ast::*;
use crate::diag::Diagnostic;
use crate::env::Env;
use crate::spec::{MapValue, Options};
use crate::types::{Agg, Type};
use std::collections::HashMap;

pub struct Checker<'a> {
    pub env: &'a dyn Env,
    pub opts: &'a Options,
    pub target: &'a Target,
    pub maps: &'a mut Maps,
    pub vars: HashMap<String, Type>,
    pub diags: Vec<Diagnostic>,
    pub loop_depth: u32,
    /// The expression being checked is a statement: a call without a
    /// value (printf, exit) is fine there, and only there.
    stmt_level: bool,
}

impl<'a> Checker<'a> {
    pub fn new(
        env: &'a dyn Env,
        opts: &'a Options,
        target: &'a Target,
        maps: &'a mut Maps,
    ) -> Self {
        Checker {
            env,
            opts,
            target,
            maps,
            vars: HashMap::new(),
            diags: Vec::new(),
            loop_depth: 0,
            stmt_level: false,
        }
    }

    /// Checks a condition (if, while, ternary): an integer or a pointer.
    fn condition(&mut self, cond: &mut Expr, what: &str) {
        let t = self.expr(cond);
        if !t.is_int() && !matches!(t, Type::Ptr(_) | Type::None) {
            self.error(cond.span, format!("{what} must be an integer, not {t}"));
        }
    }

    pub fn error(&mut self, span: crate::span::Span, msg: impl Into<String>) {
        self.diags.push(Diagnostic::error(span, msg));
    }

    pub fn check_probe(&mut self, pred: Option<&mut Expr>, body: &mut Block) {
        if let Some(p) = pred {
            let t = self.expr(p);
            if !t.is_int() && !matches!(t, Type::None | Type::Ptr(_)) {
                self.error(p.span, format!("a predicate must be an integer, not {t}"));
            }
        }
        self.block(body);
    }

    fn block(&mut self, b: &mut Block) {
        for s in &mut b.stmts {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, s: &mut Stmt) {
        match &mut s.kind {
            StmtKind::Expr(e) => {
                self.stmt_level = true;
                self.expr(e);
                if let ExprKind::Call { name, .. } = &e.kind {
                    if calls::is_aggregation(name) {
                        let name = name.clone();
                        self.error(
                            e.span,
                            format!("{name}() must be assigned to a map, e.g. @x = {name}()"),
                        );
                    }
                }
            }
            StmtKind::Assign { target, op, value } => self.assign(target, *op, value, s.span),
            StmtKind::Let { name, ty, value } => {
                let declared = ty.as_ref().map(|t| self.type_name(t));
                let vt = value.as_mut().map(|v| self.expr(v));
                if let (Some(d), Some(v), Some(value)) = (&declared, &vt, value.as_ref()) {
                    let fits = *v == Type::None
                        || *d == Type::None
                        || (d.is_int() && (v.is_int() || *v == Type::Bool))
                        || super::maps::unify(d, v).is_some();
                    if !fits {
                        let msg = format!("{name} is declared {d}: cannot assign {v}");
                        self.error(value.span, msg);
                    }
                }
                let t = declared.or(vt).unwrap_or(Type::I64);
                self.vars.insert(name.clone(), t);
            }
            StmtKind::If { cond, then, els } => {
                self.condition(cond, "an if condition");
                self.block(then);
                if let Some(e) = els {
                    self.block(e);
                }
            }
            StmtKind::Unroll { count, body } => {
                self.expr(count);
                match const_int(count) {
                    Some(n) if (1..=100).contains(&n) => {}
                    _ => self.error(
                        count.span,
                        "unroll needs a constant count between 1 and 100",
                    ),
                }
                self.block(body);
            }
            StmtKind::While { cond, body } => {
                self.condition(cond, "a while condition");
                self.loop_depth += 1;
                self.block(body);
                self.loop_depth -= 1;
            }
            StmtKind::ForRange {
                var,
                start,
                end,
                body,
            } => {
                for bound in [start, end] {
                    let t = self.expr(bound);
                    if !t.is_int() && t != Type::None {
                        let msg = format!("a range bound must be an integer, not {t}");
                        self.error(bound.span, msg);
                    }
                }
                self.vars.insert(var.clone(), Type::I64);
                self.loop_depth += 1;
                self.block(body);
                self.loop_depth -= 1;
            }
            StmtKind::ForMap { var, map, body } => {
                let info = self.maps.get(map).cloned();
                let elem = match info.and_then(|m| m.value.map(|v| (m.key, v))) {
                    Some((key, MapValue::Scalar(v))) => {
                        let key = key.unwrap_or_default();
                        let k = match key.len() {
                            0 => Type::I64,
                            1 => key[0].clone(),
                            _ => Type::Tuple(key),
                        };
                        Type::Tuple(vec![k, v])
                    }
                    Some((_, MapValue::Agg(a))) => {
                        let msg = format!(
                            "for loops over {}() maps are not supported: the kernel sees only one CPU's share of {map}",
                            super::maps::agg_name(&a)
                        );
                        self.error(s.span, msg);
                        Type::None
                    }
                    None => {
                        self.error(
                            s.span,
                            format!("for loop over {map}, which is never assigned"),
                        );
                        Type::None
                    }
                };
                // The body runs as a callback: only its own variables exist.
                let outer = std::mem::take(&mut self.vars);
                self.vars.insert(var.clone(), elem);
                self.loop_depth += 1;
                self.block(body);
                self.loop_depth -= 1;
                self.vars = outer;
            }
            StmtKind::Return(e) => {
                if let Some(e) = e {
                    self.expr(e);
                }
            }
            StmtKind::Break | StmtKind::Continue => {
                if self.loop_depth == 0 {
                    self.error(s.span, "break and continue are only allowed in a loop");
                }
            }
            StmtKind::Block(b) => self.block(b),
        }
    }

    fn assign(
        &mut self,
        target: &mut Expr,
        op: Option<BinOp>,
        value: &mut Expr,
        span: crate::span::Span,
    ) {
        // `@x = count()` and friends set the map's aggregation.
        if let (ExprKind::Map { name, keys }, ExprKind::Call { name: f, .. }) =
            (&mut target.kind, &value.kind)
        {
            if calls::is_aggregation(f) && op.is_none() {
                let name = name.clone();
                let key_types: Vec<Type> = keys.iter_mut().map(|k| self.expr(k)).collect();
                if let Err(d) = self.maps.use_key(&name, key_types, target.span) {
                    self.diags.push(d);
                }
                if let Some(agg) = calls::aggregation(self, value) {
                    value.ty = Type::Agg(agg.clone());
                    target.ty = Type::Agg(agg.clone());
                    if let Err(d) = self.maps.set_value(&name, MapValue::Agg(agg), span) {
                        self.diags.push(d);
                    }
                }
                return;
            }
        }
        let before = self.diags.len();
        let mut vt = self.expr(value);
        if vt == Type::None {
            // A call without a value (printf) is the user's mistake; any
            // other typeless value comes from an error reported earlier
            // (a variable whose assignment failed).
            let is_call = matches!(value.kind, ExprKind::Call { .. });
            if self.diags.len() == before && (is_call || self.diags.is_empty()) {
                self.error(value.span, "this expression has no value to assign");
            }
            // The variable exists now (typeless): its uses are not
            // reported again as undefined.
            if let ExprKind::Var(name) = &target.kind {
                if !self.vars.contains_key(name) {
                    self.vars.insert(name.clone(), Type::None);
                }
            }
            return;
        }
        if op.is_some() && !vt.is_int() {
            self.error(
                value.span,
                format!("compound assignment needs an integer, not {vt}"),
            );
        }
        if op.is_some() {
            vt = Type::I64;
        }
        match &mut target.kind {
            ExprKind::Var(name) => {
                let t = match self.vars.get(name).cloned() {
                    Some(old) => match super::maps::unify(&old, &vt) {
                        Some(t) if !old.is_int() || vt.is_int() => {
                            if old.is_int() && vt.is_int() {
                                old.clone()
                            } else {
                                t
                            }
                        }
                        _ => {
                            let msg = format!("type mismatch for {name}: trying to assign {vt}, but it holds {old}");
                            self.error(span, msg);
                            old.clone()
                        }
                    },
                    None => vt.clone(),
                };
                let t = match t {
                    Type::Int { signed, .. } => Type::int(8, signed),
                    Type::Bool => Type::U64,
                    t => t,
                };
                target.ty = t.clone();
                self.vars.insert(name.clone(), t);
            }
            ExprKind::Map { name, keys } => {
                let name = name.clone();
                let key_types: Vec<Type> = keys.iter_mut().map(|k| self.expr(k)).collect();
                if let Err(d) = self.maps.use_key(&name, key_types, target.span) {
                    self.diags.push(d);
                }
                if let Some(MapValue::Agg(a)) = self.maps.get(&name).and_then(|m| m.value.clone()) {
                    if op.is_some() || matches!(a, Agg::Count | Agg::Sum) {
                        // `@x += 1` on a count/sum map adds to it.
                        if op == Some(BinOp::Add) || op == Some(BinOp::Sub) {
                            target.ty = Type::Agg(a);
                            return;
                        }
                    }
                }
                if let Err(d) = self
                    .maps
                    .set_value(&name, MapValue::Scalar(vt.clone()), span)
                {
                    self.diags.push(d);
                }
                target.ty = super::maps::storage_type(&vt);
            }
            _ => self.error(target.span, "only variables and maps can be assigned to"),
        }
    }

    pub fn type_name(&mut self, t: &TypeName) -> Type {
        let base = if t.base == "string" {
            Type::Str(self.opts.max_strlen)
        } else {
            match ctypes::named_type(self.env, &t.base) {
                Some(b) => b,
                None => {
                    self.error(t.span, format!("unknown type '{}'", t.base));
                    return Type::None;
                }
            }
        };
        let mut ty = base;
        if let Some(n) = t.array {
            ty = match ty {
                Type::Int { bytes: 1, .. } => Type::Str(n),
                t => Type::Array(Box::new(t), n),
            };
        }
        for _ in 0..t.pointers {
            ty = Type::Ptr(Box::new(ty));
        }
        ty
    }

    pub fn expr(&mut self, e: &mut Expr) -> Type {
        let at_stmt = std::mem::replace(&mut self.stmt_level, false);
        self.fold_constants(e);
        let before = self.diags.len();
        let t = self.expr_inner(e);
        if t == Type::None && !at_stmt && self.diags.len() == before {
            if let ExprKind::Call { name, .. } = &e.kind {
                if !calls::is_aggregation(name) {
                    let msg = format!("{name}() has no value to use here");
                    self.error(e.span, msg);
                }
            }
        }
        e.ty = t.clone();
        t
    }

    fn expr_inner(&mut self, e: &mut Expr) -> Type {
        let span = e.span;
        match &mut e.kind {
            ExprKind::Int(v) => {
                if *v > i64::MAX as u64 {
                    Type::U64
                } else {
                    Type::I64
                }
            }
            ExprKind::Str(s) => Type::Str(s.len() as u32 + 1),
            ExprKind::Bool(_) => Type::Bool,
            ExprKind::Builtin(name) => {
                let name = name.clone();
                builtins::type_of(self, &name, span)
            }
            ExprKind::Var(name) => match self.vars.get(name) {
                Some(t) => t.clone(),
                None => {
                    let msg = format!("undefined variable: {name}");
                    self.error(span, msg);
                    Type::None
                }
            },
            ExprKind::Positional(n) => match self.opts.params.get(*n as usize - 1) {
                Some(p) if super::probes::parse_int(p).is_some() => Type::I64,
                Some(p) => Type::Str(p.len() as u32 + 1),
                None => Type::I64,
            },
            ExprKind::PositionalCount => Type::I64,
            ExprKind::Map { name, keys } => {
                let name = name.clone();
                let key_types: Vec<Type> = keys.iter_mut().map(|k| self.expr(k)).collect();
                if let Err(d) = self.maps.use_key(&name, key_types, span) {
                    self.diags.push(d);
                }
                match self.maps.get(&name).and_then(|m| m.value.clone()) {
                    Some(MapValue::Scalar(t)) => t,
                    Some(MapValue::Agg(a)) => match a {
                        Agg::Count | Agg::Sum | Agg::Min | Agg::Max | Agg::Avg => Type::I64,
                        a => Type::Agg(a),
                    },
                    // Read before any assignment seen so far: typed on the
                    // second pass.
                    None => Type::I64,
                }
            }
            ExprKind::Call { .. } => calls::check(self, e),
            // Calls that take a type (sizeof, offsetof) read it without
            // evaluating it; anywhere else a type name is a mistake.
            ExprKind::TypeArg(t) => {
                let msg = format!("expected a value, found the type '{}'", t.base);
                self.error(span, msg);
                Type::None
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let op = *op;
                let (lt, rt) = (self.expr(lhs), self.expr(rhs));
                self.binary(op, &lt, &rt, span)
            }
            ExprKind::Unary { op, expr } => {
                let op = *op;
                let t = self.expr(expr);
                if t == Type::None {
                    return Type::None;
                }
                match op {
                    UnOp::Not => {
                        if !t.is_scalar() {
                            self.error(span, format!("invalid operand to !: {t}"));
                        }
                        Type::U64
                    }
                    UnOp::Neg | UnOp::BitNot => {
                        if !t.is_int() {
                            self.error(span, format!("invalid operand of type {t}"));
                        }
                        if op == UnOp::Neg {
                            Type::I64
                        } else {
                            Type::int(8, t.is_signed())
                        }
                    }
                    UnOp::Deref => match t {
                        Type::Ptr(inner) => *inner,
                        Type::Int { .. } => Type::U64,
                        t => {
                            self.error(span, format!("cannot dereference {t}"));
                            Type::None
                        }
                    },
                    UnOp::AddrOf => match &expr.kind {
                        ExprKind::Field { .. } => Type::Ptr(Box::new(t)),
                        _ => {
                            self.error(span, "& can only take the address of a struct field");
                            Type::None
                        }
                    },
                }
            }
            ExprKind::Ternary { cond, then, els } => {
                self.condition(cond, "a ternary condition");
                let (a, b) = (self.expr(then), self.expr(els));
                match super::maps::unify(&a, &b) {
                    Some(t) => t,
                    // Reported where the branch failed.
                    None if a == Type::None || b == Type::None => Type::None,
                    None => {
                        self.error(
                            span,
                            format!("ternary branches have different types: {a} and {b}"),
                        );
                        a
                    }
                }
            }
            ExprKind::Field { .. } => self.field(e),
            ExprKind::Index { expr, index } => {
                let t = self.expr(expr);
                let it = self.expr(index);
                if !it.is_int() {
                    self.error(index.span, format!("an index must be an integer, not {it}"));
                }
                match t {
                    Type::Ptr(inner) | Type::Array(inner, _) => *inner,
                    Type::Str(_) => Type::int(1, true),
                    t => {
                        self.error(span, format!("cannot index a value of type {t}"));
                        Type::None
                    }
                }
            }
            ExprKind::Tuple(items) => {
                let ts: Vec<Type> = items.iter_mut().map(|i| self.expr(i)).collect();
                Type::Tuple(ts.iter().map(super::maps::storage_type).collect())
            }
            ExprKind::TupleIndex { expr, index } => {
                let idx = *index as usize;
                match self.expr(expr) {
                    Type::Tuple(ts) if idx < ts.len() => ts[idx].clone(),
                    Type::Tuple(ts) => {
                        self.error(
                            span,
                            format!(
                                "tuple index {idx} out of range (the tuple has {} fields)",
                                ts.len()
                            ),
                        );
                        Type::None
                    }
                    Type::None => Type::None,
                    t => {
                        self.error(span, format!("{t} is not a tuple"));
                        Type::None
                    }
                }
            }
            ExprKind::Cast { ty, expr } => {
                let ty = ty.clone();
                let from = self.expr(expr);
                let to = self.type_name(&ty);
                match (&from, &to) {
                    (_, Type::None) => Type::None,
                    (f, Type::Int { .. } | Type::Ptr(_) | Type::Bool) if f.is_scalar() => to,
                    (Type::Int { .. }, Type::Array(..)) | (Type::Array(..), Type::Array(..)) => to,
                    _ => {
                        self.error(span, format!("cannot cast {from} to {to}"));
                        Type::None
                    }
                }
            }
            ExprKind::IncDec { target, .. } => {
                match &target.kind {
                    ExprKind::Var(name) => {
                        if !self.vars.contains_key(name) {
                            let msg = format!("undefined variable: {name}");
                            self.error(span, msg);
                        }
                        self.expr(target);
                    }
                    ExprKind::Map { .. } => {
                        let name = match &target.kind {
                            ExprKind::Map { name, .. } => name.clone(),
                            _ => unreachable!(),
                        };
                        self.expr(target);
                        if self.maps.get(&name).and_then(|m| m.value.clone()).is_none() {
                            let _ = self
                                .maps
                                .set_value(&name, MapValue::Scalar(Type::I64), span);
                        }
                        target.ty = Type::I64;
                    }
                    _ => self.error(span, "++ and -- apply to variables and maps only"),
                }
                Type::I64
            }
        }
    }

    /// Replaces named constants and compile-time lookups (`kaddr("sym")`,
    /// `cgroupid("/path")`) with their values.
    fn fold_constants(&mut self, e: &mut Expr) {
        let value = match &e.kind {
            ExprKind::Builtin(name) => super::consts::constant(self.env, name).map(|v| v as u64),
            ExprKind::Call { name, args } if name == "kaddr" && args.len() == 1 => {
                let ExprKind::Str(sym) = &args[0].kind else {
                    return;
                };
                match self.env.kernel_symbol(sym) {
                    Some(a) => Some(a),
                    None => {
                        let msg = format!("kaddr(\"{sym}\"): no such kernel symbol");
                        self.error(e.span, msg);
                        Some(0)
                    }
                }
            }
            ExprKind::Call { name, args } if name == "uaddr" && args.len() == 1 => {
                let ExprKind::Str(sym) = &args[0].kind else {
                    return;
                };
                let path = match &self.target.attach {
                    crate::spec::Attach::Uprobe { path, .. }
                    | crate::spec::Attach::Usdt { path, .. } => path.clone(),
                    _ => {
                        self.error(
                            e.span,
                            "uaddr() is only available in uprobes and usdt probes",
                        );
                        return;
                    }
                };
                let found = self.env.elf_symbol_address(&path, sym);
                match found {
                    Some(a) => Some(a),
                    None => {
                        let msg = format!("uaddr(\"{sym}\"): no such symbol in {path}");
                        self.error(e.span, msg);
                        Some(0)
                    }
                }
            }
            ExprKind::Call { name, args } if name == "cgroupid" && args.len() == 1 => {
                let ExprKind::Str(path) = &args[0].kind else {
                    return;
                };
                match self.env.cgroup_id(path) {
                    Some(id) => Some(id),
                    None => {
                        let msg = format!("cgroupid(\"{path}\"): no such cgroup");
                        self.error(e.span, msg);
                        Some(0)
                    }
                }
            }
            _ => None,
        };
        if let Some(v) = value {
            e.kind = ExprKind::Int(v);
        }
    }

    fn binary(&mut self, op: BinOp, lt: &Type, rt: &Type, span: crate::span::Span) -> Type {
        use BinOp::*;
        // An operand that already failed was reported: say nothing more.
        if *lt == Type::None || *rt == Type::None {
            return Type::None;
        }
        let strings = matches!(lt, Type::Str(_)) && matches!(rt, Type::Str(_));
        match op {
            Eq | Ne if strings => Type::U64,
            Eq | Ne | Lt | Le | Gt | Ge | LogAnd | LogOr => {
                if !(lt.is_scalar() && rt.is_scalar()) {
                    self.error(span, format!("cannot compare {lt} with {rt}"));
                }
                Type::U64
            }
            _ => {
                if !(lt.is_scalar() && rt.is_scalar()) {
                    self.error(
                        span,
                        format!("invalid operands to {}: {lt} and {rt}", op.symbol()),
                    );
                    return Type::None;
                }
                if let (Type::Ptr(p), Add | Sub) = (lt, op) {
                    return Type::Ptr(p.clone());
                }
                // Signed only when both sides are (bpftrace's promotion).
                Type::int(8, lt.is_signed() && rt.is_signed())
            }
        }
    }

    fn field(&mut self, e: &mut Expr) -> Type {
        let span = e.span;
        let ExprKind::Field { expr, field, arrow } = &mut e.kind else {
            unreachable!()
        };
        let field = field.clone();
        let arrow = *arrow;
        if matches!(&expr.kind, ExprKind::Builtin(b) if b == "args") {
            expr.ty = Type::Ctx;
            return builtins::arg_field(self, &field, span);
        }
        let t = self.expr(expr);
        if t == Type::None {
            return Type::None;
        }
        let record = match (&t, arrow) {
            (Type::Ptr(inner), _) => match inner.as_ref() {
                Type::Record(r) => r.clone(),
                other => {
                    self.error(span, format!("cannot access field '{field}' of {other} *"));
                    return Type::None;
                }
            },
            (Type::Record(r), _) => r.clone(),
            (Type::Tuple(_), _) => {
                self.error(span, "use .0, .1, ... to access tuple fields");
                return Type::None;
            }
            (t, _) => {
                self.error(span, format!("cannot access field '{field}' of {t}"));
                return Type::None;
            }
        };
        let Some(btf) = self.env.btf() else {
            self.error(
                span,
                "struct fields need the kernel's BTF, which this kernel does not have",
            );
            return Type::None;
        };
        match btf.member(record.btf_id, &field) {
            Some(m) => ctypes::from_btf(btf, m.type_id),
            None => {
                self.error(
                    span,
                    format!("{} has no field named '{field}'", record.name),
                );
                Type::None
            }
        }
    }

    pub fn context(&self) -> &Context {
        &self.target.context
    }
}

/// The value of a constant integer expression, if it is one.
pub fn const_int(e: &Expr) -> Option<i64> {
    match &e.kind {
        ExprKind::Int(v) => Some(*v as i64),
        ExprKind::Unary {
            op: UnOp::Neg,
            expr,
        } => const_int(expr).map(|v| -v),
        ExprKind::Binary { op, lhs, rhs } => {
            let (a, b) = (const_int(lhs)?, const_int(rhs)?);
            Some(match op {
                BinOp::Add => a.wrapping_add(b),
                BinOp::Sub => a.wrapping_sub(b),
                BinOp::Mul => a.wrapping_mul(b),
                BinOp::Div if b != 0 => a / b,
                BinOp::Shl => a.wrapping_shl(b as u32),
                _ => return None,
            })
        }
        _ => None,
    }
}
