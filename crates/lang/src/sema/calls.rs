//! Type checking of function calls: printf, str, count, hist, ...

use super::typeck::{const_int, Checker};
use crate::ast::{Expr, ExprKind};
use crate::types::{Agg, Type};

pub fn is_aggregation(name: &str) -> bool {
    matches!(
        name,
        "count" | "sum" | "avg" | "min" | "max" | "stats" | "hist" | "lhist"
    )
}

fn arity(
    c: &mut Checker,
    span: crate::span::Span,
    name: &str,
    args: usize,
    min: usize,
    max: usize,
) -> bool {
    if args < min || args > max {
        let want = if min == max {
            format!("{min}")
        } else if max == min + 1 {
            format!("{min} or {max}")
        } else {
            format!("{min} to {max}")
        };
        c.error(
            span,
            format!(
                "{name}() takes {want} argument{}, {args} given",
                if min == 1 && max == 1 { "" } else { "s" }
            ),
        );
        return false;
    }
    true
}

/// Checks an aggregation call and returns its kind.
pub fn aggregation(c: &mut Checker, e: &mut Expr) -> Option<Agg> {
    let span = e.span;
    let ExprKind::Call { name, args } = &mut e.kind else {
        return None;
    };
    let name = name.clone();
    for a in args.iter_mut() {
        c.expr(a);
    }
    let n = args.len();
    let int_arg = |c: &mut Checker, a: &Expr| {
        // `None` was reported where it arose.
        if !a.ty.is_int() && a.ty != Type::None {
            c.error(
                a.span,
                format!("{name}() needs an integer argument, not {}", a.ty),
            );
        }
    };
    let agg = match name.as_str() {
        "count" => {
            if n != 0 {
                c.error(span, "count() takes no arguments");
            }
            Agg::Count
        }
        "sum" | "avg" | "min" | "max" | "stats" => {
            if n != 1 {
                c.error(span, format!("{name}() takes 1 argument, {n} given"));
                return None;
            }
            int_arg(c, &args[0]);
            match name.as_str() {
                "sum" => Agg::Sum,
                "avg" => Agg::Avg,
                "min" => Agg::Min,
                "max" => Agg::Max,
                _ => Agg::Stats,
            }
        }
        "hist" => {
            if !(1..=2).contains(&n) {
                c.error(span, format!("hist() takes 1 or 2 arguments, {n} given"));
                return None;
            }
            int_arg(c, &args[0]);
            let bits = match args.get(1) {
                None => 0,
                Some(a) => match const_int(a) {
                    Some(b) if (0..=5).contains(&b) => b as u8,
                    _ => {
                        c.error(
                            a.span,
                            "hist()'s second argument must be a constant from 0 to 5",
                        );
                        0
                    }
                },
            };
            Agg::Hist { bits }
        }
        "lhist" => {
            if n != 4 {
                c.error(span, format!("lhist() takes 4 arguments, {n} given"));
                return None;
            }
            int_arg(c, &args[0]);
            let vals: Vec<Option<i64>> = args[1..].iter().map(const_int).collect();
            let (Some(min), Some(max), Some(step)) = (vals[0], vals[1], vals[2]) else {
                c.error(span, "lhist()'s min, max and step must be constants");
                return None;
            };
            if step <= 0 || max <= min {
                c.error(span, "lhist() needs min < max and step > 0");
                return None;
            }
            if (max - min) / step > 1000 {
                c.error(span, "lhist() would have more than 1000 buckets");
                return None;
            }
            Agg::Lhist { min, max, step }
        }
        _ => return None,
    };
    Some(agg)
}

fn map_arg(c: &mut Checker, a: &mut Expr, fname: &str) -> Option<String> {
    match &a.kind {
        ExprKind::Map { name, keys } if keys.is_empty() => {
            if c.maps.get(name).is_none() {
                let _ = c.maps.use_key(name, Vec::new(), a.span);
            }
            Some(name.clone())
        }
        _ => {
            c.error(a.span, format!("{fname}() expects a map, e.g. {fname}(@x)"));
            None
        }
    }
}

/// A signal's number from its name without `SIG` (x86-64 numbering).
fn signal_number(name: &str) -> Option<u64> {
    const NAMES: [&str; 31] = [
        "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
        "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
        "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    ];
    NAMES.iter().position(|n| *n == name).map(|i| i as u64 + 1)
}

/// How printf sees a value of this type.
fn arg_kind(t: &Type) -> scry_output::ArgKind {
    use scry_output::ArgKind;
    match t {
        Type::Int { .. } | Type::Bool => ArgKind::Int,
        Type::Ptr(_) | Type::Ctx => ArgKind::Ptr,
        Type::Buf(_) => ArgKind::Buf,
        _ => ArgKind::Str,
    }
}

/// Checks a non-aggregation call; returns its type.
pub fn check(c: &mut Checker, e: &mut Expr) -> Type {
    let span = e.span;
    let ExprKind::Call { name, args } = &mut e.kind else {
        unreachable!()
    };
    let name = name.clone();
    let n = args.len();
    if is_aggregation(&name) {
        // Outside of `@m = agg()`: checked for errors only.
        let mut copy = e.clone();
        return aggregation(c, &mut copy)
            .map(Type::Agg)
            .unwrap_or(Type::None);
    }
    // Maps given to print/clear/zero/delete/has_key/len are not evaluated.
    let map_fn = matches!(
        name.as_str(),
        "print" | "clear" | "zero" | "delete" | "has_key" | "len"
    );
    // A stack's mode (`kstack(perf)`) is a name, not a value.
    let stack_fn = matches!(name.as_str(), "kstack" | "ustack");
    for (i, a) in args.iter_mut().enumerate() {
        let skip_map = map_fn && i == 0 && matches!(a.kind, ExprKind::Map { .. });
        let is_type = matches!(a.kind, ExprKind::TypeArg(_));
        let is_mode = stack_fn && matches!(a.kind, ExprKind::Builtin(_));
        if !skip_map && !is_type && !is_mode {
            c.expr(a);
        }
    }
    if !matches!(name.as_str(), "sizeof" | "offsetof") {
        for a in args.iter() {
            if let ExprKind::TypeArg(t) = &a.kind {
                let msg = format!("expected a value, found the type '{}'", t.base);
                c.error(a.span, msg);
                return Type::None;
            }
        }
    }
    match name.as_str() {
        "printf" | "system" | "cat" => {
            if n == 0 {
                c.error(span, format!("{name}() needs a format string"));
                return Type::None;
            }
            if !matches!(args[0].kind, ExprKind::Str(_)) {
                c.error(
                    args[0].span,
                    format!("{name}()'s first argument must be a string literal"),
                );
                return Type::None;
            }
            if name == "system" && !c.opts.unsafe_ok {
                c.error(
                    span,
                    "system() is an unsafe function: run with --unsafe to allow it",
                );
            }
            if n > 33 {
                c.error(
                    span,
                    format!("{name}() takes at most 32 arguments after the format"),
                );
            }
            for a in &args[1..] {
                if matches!(a.ty, Type::Agg(_) | Type::Record(_)) {
                    c.error(
                        a.span,
                        format!("{name}() cannot print a value of type {}", a.ty),
                    );
                }
            }
            if args[1..].iter().all(|a| a.ty != Type::None) {
                let kinds: Vec<scry_output::ArgKind> =
                    args[1..].iter().map(|a| arg_kind(&a.ty)).collect();
                if let ExprKind::Str(fmt) = &args[0].kind {
                    if let Err(m) = scry_output::check_args(fmt, &kinds) {
                        // A bad format points at the format; a count or
                        // type mismatch at the whole call.
                        let at =
                            if m.starts_with("unknown format") || m.starts_with("Unknown format") {
                                args[0].span
                            } else {
                                span
                            };
                        c.error(at, format!("{name}: {m}"));
                    }
                }
            }
            Type::None
        }
        "print" => {
            if !arity(c, span, "print", n, 1, 3) {
                return Type::None;
            }
            if let ExprKind::Map { keys, .. } = &args[0].kind {
                if keys.is_empty() {
                    map_arg(c, &mut args[0], "print");
                    return Type::None;
                }
                c.expr(&mut args[0]);
            }
            Type::None
        }
        "clear" | "zero" => {
            if arity(c, span, &name, n, 1, 1) {
                map_arg(c, &mut args[0], &name);
            }
            Type::None
        }
        "delete" => {
            if n == 1 {
                if let ExprKind::Map { name: m, keys } = &mut args[0].kind {
                    let m = m.clone();
                    let kt: Vec<Type> = keys.iter_mut().map(|k| c.expr(k)).collect();
                    if let Err(d) = c.maps.use_key(&m, kt, span) {
                        c.diags.push(d);
                    }
                    return Type::None;
                }
            }
            c.error(span, "delete() expects a map element, e.g. delete(@x[key])");
            Type::None
        }
        "len" => {
            if arity(c, span, "len", n, 1, 1) {
                map_arg(c, &mut args[0], "len");
            }
            Type::U64
        }
        "has_key" => {
            if n == 2 {
                if let ExprKind::Map { name: m, keys } = &args[0].kind {
                    if keys.is_empty() {
                        let m = m.clone();
                        let kt = vec![args[1].ty.clone()];
                        if let Err(d) = c.maps.use_key(&m, kt, span) {
                            c.diags.push(d);
                        }
                        return Type::U64;
                    }
                }
            }
            c.error(
                span,
                "has_key() expects a map and a key, e.g. has_key(@x, pid)",
            );
            Type::None
        }
        "exit" => {
            arity(c, span, "exit", n, 0, 1);
            Type::None
        }
        "time" => {
            arity(c, span, "time", n, 0, 1);
            if let Some(a) = args.first() {
                if !matches!(a.kind, ExprKind::Str(_)) {
                    c.error(a.span, "time()'s argument must be a string literal");
                }
            }
            Type::None
        }
        "str" => {
            if !arity(c, span, "str", n, 1, 2) {
                return Type::None;
            }
            if !matches!(args[0].ty, Type::Ptr(_) | Type::Int { .. } | Type::Str(_)) {
                c.error(
                    args[0].span,
                    format!("str() expects a pointer or an integer, not {}", args[0].ty),
                );
            }
            let max = c.opts.max_strlen;
            match args.get(1).map(const_int) {
                Some(Some(len)) if len > 0 => Type::Str((len as u32 + 1).min(max)),
                _ => Type::Str(max),
            }
        }
        "buf" => {
            if !arity(c, span, "buf", n, 1, 2) {
                return Type::None;
            }
            let whole = match &args[0].ty {
                Type::Array(t, k) => Some(t.size() * k),
                Type::Str(k) => Some(*k),
                t if t.is_scalar() => None,
                _ => {
                    c.error(
                        args[0].span,
                        "buf() expects a pointer, an array or a string",
                    );
                    return Type::None;
                }
            };
            let size = match (whole, args.get(1)) {
                (Some(k), None) => k,
                (Some(k), Some(a)) => const_int(a)
                    .map(|v| v.clamp(1, k as i64) as u32)
                    .unwrap_or(k),
                (None, Some(a)) => const_int(a)
                    .map(|v| v.clamp(1, c.opts.max_strlen as i64) as u32)
                    .unwrap_or(c.opts.max_strlen),
                _ => {
                    c.error(span, "buf() needs a length for a pointer argument");
                    return Type::None;
                }
            };
            Type::Buf(size)
        }
        "ksym" | "usym" => {
            if arity(c, span, &name, n, 1, 1) && !args[0].ty.is_scalar() {
                c.error(args[0].span, format!("{name}() expects an address"));
            }
            if name == "ksym" {
                Type::Ksym
            } else {
                Type::Usym
            }
        }
        "kstack" | "ustack" => {
            let mut depth = 127u8;
            let mut perf = false;
            for a in args.iter() {
                match &a.kind {
                    ExprKind::Int(d) => depth = (*d).clamp(1, 127) as u8,
                    // The mode: `perf` adds addresses (and user modules).
                    ExprKind::Builtin(mode) if mode == "perf" || mode == "bpftrace" => {
                        perf = mode == "perf"
                    }
                    ExprKind::Builtin(mode) if mode == "raw" => c.error(
                        a.span,
                        "the raw stack mode is not supported: use bpftrace or perf",
                    ),
                    _ => c.error(
                        a.span,
                        format!("{name}() takes a mode (bpftrace, perf) and/or a constant depth"),
                    ),
                }
            }
            Type::Stack {
                user: name == "ustack",
                depth,
                perf,
            }
        }
        "ntop" => {
            if arity(c, span, "ntop", n, 1, 2) {
                Type::Inet
            } else {
                Type::None
            }
        }
        "strftime" => {
            if arity(c, span, "strftime", n, 2, 2) {
                if !matches!(args[0].kind, ExprKind::Str(_)) {
                    c.error(args[0].span, "strftime()'s format must be a string literal");
                }
                let t = &args[1].ty;
                if !t.is_int() && *t != Type::None {
                    let msg = format!("strftime() expects a time in nanoseconds, not {t}");
                    c.error(args[1].span, msg);
                }
            }
            Type::Timestamp
        }
        "sizeof" => {
            if !arity(c, span, "sizeof", n, 1, 1) {
                return Type::None;
            }
            let t = match &args[0].kind {
                ExprKind::TypeArg(tn) => {
                    let tn = tn.clone();
                    c.type_name(&tn)
                }
                _ => args[0].ty.clone(),
            };
            args[0].ty = t;
            Type::U64
        }
        "offsetof" => {
            if arity(c, span, "offsetof", n, 2, 2) {
                if let ExprKind::TypeArg(tn) = &args[0].kind {
                    let tn = tn.clone();
                    args[0].ty = c.type_name(&tn);
                } else {
                    c.error(
                        args[0].span,
                        "offsetof() expects a struct type, e.g. offsetof(struct task_struct, pid)",
                    );
                }
            }
            Type::U64
        }
        "strncmp" => {
            if arity(c, span, "strncmp", n, 3, 3) && const_int(&args[2]).is_none() {
                c.error(args[2].span, "strncmp()'s length must be a constant");
            }
            Type::U64
        }
        "strcontains" => {
            arity(c, span, "strcontains", n, 2, 2);
            Type::U64
        }
        "signal" | "override" => {
            if !c.opts.unsafe_ok {
                c.error(
                    span,
                    format!("{name}() is an unsafe function: run with --unsafe to allow it"),
                );
            }
            if arity(c, span, &name, n, 1, 1) && name == "signal" {
                // signal("SIGUSR1") / signal("USR1"): the number, now.
                if let ExprKind::Str(sig) = &args[0].kind {
                    let bare = sig.strip_prefix("SIG").unwrap_or(sig);
                    match signal_number(bare) {
                        Some(n) => args[0].kind = ExprKind::Int(n),
                        None => {
                            let msg = format!("signal(\"{sig}\"): unknown signal");
                            c.error(args[0].span, msg);
                        }
                    }
                    args[0].ty = Type::I64;
                }
            }
            // bpf_override_return() is a kprobe helper; the verifier would
            // reject it elsewhere without saying why.
            if name == "override"
                && !matches!(
                    c.context(),
                    super::probes::Context::Regs {
                        user: false,
                        ret: false,
                    }
                )
            {
                c.error(span, "override() is only available in kprobes");
            }
            if n == 1 && !args[0].ty.is_int() && args[0].ty != Type::None {
                let msg = format!("{name}() expects an integer, not {}", args[0].ty);
                c.error(args[0].span, msg);
            }
            Type::None
        }
        "join" => {
            if arity(c, span, "join", n, 1, 2) {
                let t = &args[0].ty;
                if !t.is_int() && !matches!(t, Type::Ptr(_) | Type::None) {
                    let msg = format!("join() expects an array of strings (char **), not {t}");
                    c.error(args[0].span, msg);
                }
                if let Some(sep) = args.get(1) {
                    if !matches!(sep.kind, ExprKind::Str(_)) {
                        c.error(sep.span, "join()'s separator must be a string literal");
                    }
                }
            }
            Type::None
        }
        "reg" => {
            if arity(c, span, "reg", n, 1, 1) {
                match &args[0].kind {
                    ExprKind::Str(r) if crate::usdt_arg::pt_regs_offset(r).is_some() => {}
                    ExprKind::Str(r) => {
                        let msg = format!("reg(\"{r}\"): unknown register");
                        c.error(args[0].span, msg);
                    }
                    _ => c.error(
                        args[0].span,
                        "reg() expects a register name, e.g. reg(\"ip\")",
                    ),
                }
                if !matches!(
                    c.context(),
                    super::probes::Context::Regs { .. } | super::probes::Context::Perf
                ) {
                    c.error(
                        span,
                        "reg() is only available in kprobes, uprobes, usdt and perf event probes",
                    );
                }
            }
            Type::U64
        }
        "bswap" => {
            arity(c, span, "bswap", n, 1, 1);
            args.first().map(|a| a.ty.clone()).unwrap_or(Type::None)
        }
        _ => {
            c.error(span, format!("unknown function: {name}()"));
            Type::None
        }
    }
}
