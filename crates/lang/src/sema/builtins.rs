//! Types of builtin variables (`pid`, `comm`, `args`, `arg0`, ...).

use super::ctypes;
use super::probes::Context;
use super::typeck::Checker;
use crate::span::Span;
use crate::types::{Record, Type};

/// The argument index of `argN` / `sargN`.
pub fn arg_index(name: &str, prefix: &str) -> Option<u32> {
    name.strip_prefix(prefix)?.parse().ok()
}

pub fn type_of(c: &mut Checker, name: &str, span: Span) -> Type {
    let ctx = c.context().clone();
    match name {
        "pid" | "tid" | "uid" | "gid" | "cpu" | "numaid" | "rand" | "ncpus" => Type::U32,
        "cpid" => {
            if c.opts.child_pid.is_none() {
                c.error(span, "cpid is only available with -c CMD");
            }
            Type::U32
        }
        "nsecs" | "elapsed" | "cgroup" | "jiffies" => Type::U64,
        "comm" => Type::Str(16),
        "username" => Type::Username,
        "ctx" => Type::Ctx,
        "probe" => Type::ProbeName,
        "kstack" => Type::Stack {
            user: false,
            depth: 127,
            perf: false,
        },
        "ustack" => Type::Stack {
            user: true,
            depth: 127,
            perf: false,
        },
        "curtask" => match c
            .env
            .btf()
            .and_then(|b| b.find("task_struct", scry_btf::Kind::Struct))
        {
            Some(id) => Type::Ptr(Box::new(Type::Record(Record {
                name: "struct task_struct".into(),
                btf_id: id,
                size: c.env.btf().and_then(|b| b.size_of(id)).unwrap_or(0),
            }))),
            None => Type::U64,
        },
        "func" => match ctx {
            Context::Regs { user: true, .. } => Type::Usym,
            Context::Regs { .. } | Context::BtfArgs { .. } => Type::Ksym,
            _ => {
                c.error(
                    span,
                    "func is only available in kprobes, uprobes and fentry/fexit probes",
                );
                Type::None
            }
        },
        "retval" => match ctx {
            Context::Regs { ret: true, .. } => Type::I64,
            Context::BtfArgs { ret: Some(r), .. } => match c.env.btf() {
                Some(btf) if r != 0 => ctypes::from_btf(btf, r),
                _ => Type::I64,
            },
            _ => {
                c.error(
                    span,
                    "retval is only available in kretprobes, uretprobes and fexit probes",
                );
                Type::None
            }
        },
        "args" => {
            if matches!(ctx, Context::Tracepoint(_) | Context::BtfArgs { .. }) {
                c.error(span, "use args.FIELD (or args->FIELD) to read an argument");
            } else {
                c.error(span, "args is only available in tracepoints, raw tracepoints and fentry/fexit probes");
            }
            Type::None
        }
        _ => {
            if let Some(i) = arg_index(name, "arg") {
                if !c.target.usdt_args.is_empty() || c.target.name.starts_with("usdt:") {
                    let n = c.target.usdt_args.len();
                    return match c
                        .target
                        .usdt_args
                        .get(i as usize)
                        .map(|a| crate::usdt_arg::parse_arg(a))
                    {
                        Some(Ok(a)) => Type::int(8, a.signed),
                        Some(Err(e)) => {
                            c.error(span, e);
                            Type::None
                        }
                        None => {
                            c.error(
                                span,
                                format!(
                                    "{name}: {} has {n} argument{}",
                                    c.target.name,
                                    if n == 1 { "" } else { "s" }
                                ),
                            );
                            Type::None
                        }
                    };
                }
                return match ctx {
                    Context::Regs { .. } if i < 6 => Type::U64,
                    Context::Regs { .. } => {
                        c.error(
                            span,
                            format!("{name}: only arg0 to arg5 are passed in registers"),
                        );
                        Type::None
                    }
                    Context::BtfArgs { ref args, .. } if (i as usize) < args.len() => Type::U64,
                    Context::BtfArgs { .. } => {
                        c.error(span, format!("{name}: the function has fewer arguments"));
                        Type::None
                    }
                    _ => {
                        c.error(span, format!("{name} is not available in this kind of probe (use args.FIELD in tracepoints)"));
                        Type::None
                    }
                };
            }
            if arg_index(name, "sarg").is_some() {
                if !matches!(ctx, Context::Regs { .. }) {
                    c.error(
                        span,
                        format!("{name} is only available in kprobes and uprobes"),
                    );
                }
                return Type::U64;
            }
            c.error(span, format!("unknown identifier '{name}'"));
            Type::None
        }
    }
}

/// The type of `args.FIELD`.
pub fn arg_field(c: &mut Checker, field: &str, span: Span) -> Type {
    match c.context().clone() {
        Context::Tracepoint(fields) => match fields.iter().find(|f| f.name == field) {
            Some(f) => ctypes::from_tp_field(c.env, f, c.opts.max_strlen),
            None => {
                let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
                c.error(
                    span,
                    format!(
                        "{} has no field named '{field}' (fields: {})",
                        c.target.name,
                        names.join(", ")
                    ),
                );
                Type::None
            }
        },
        Context::BtfArgs { args, .. } => match args.iter().find(|(n, _)| n == field) {
            Some((_, id)) => match c.env.btf() {
                Some(btf) => ctypes::from_btf(btf, *id),
                None => Type::U64,
            },
            None => {
                c.error(
                    span,
                    format!("{} has no argument named '{field}'", c.target.name),
                );
                Type::None
            }
        },
        _ => {
            c.error(
                span,
                "args is only available in tracepoints, raw tracepoints and fentry/fexit probes",
            );
            Type::None
        }
    }
}
