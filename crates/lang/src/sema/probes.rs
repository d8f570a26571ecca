//! Expands attach points into concrete attach targets: wildcards resolved
//! against the machine (through [`Env`]), sections named, probe contexts
//! (what `args`, `arg0` and `retval` mean) worked out.

use crate::ast::{AttachPoint, Provider};
use crate::diag::Diagnostic;
use crate::env::{Env, TpField};
use crate::glob::{glob_match as glob, has_wildcard};
use crate::spec::{Attach, Options};

/// What the probe's context holds, for `args`, `argN` and `retval`.
#[derive(Clone, Debug)]
pub enum Context {
    /// BEGIN/END: no arguments.
    None,
    /// A tracepoint's fields, read at their offsets in the context.
    Tracepoint(Vec<TpField>),
    /// `struct pt_regs` (kprobes, uprobes, usdt).
    Regs { ret: bool, user: bool },
    /// An array of u64 arguments typed by BTF (raw tracepoints, fentry,
    /// fexit): (name, btf type id); `ret` is the return type for fexit.
    BtfArgs {
        args: Vec<(String, u32)>,
        ret: Option<u32>,
    },
    /// `struct bpf_perf_event_data` (profile, interval, software, hardware).
    Perf,
}

/// One program to generate.
#[derive(Clone, Debug)]
pub struct Target {
    pub attach: Attach,
    pub section: String,
    /// The expanded probe name, as the `probe` builtin prints it.
    pub name: String,
    pub context: Context,
    /// For usdt: the argument specs.
    pub usdt_args: Vec<String>,
}

fn err(ap: &AttachPoint, msg: impl Into<String>) -> Diagnostic {
    Diagnostic::error(ap.span, msg)
}

/// Parses `s`, `ms`, `us`, `hz` units into a period in ns or a frequency.
fn rate(ap: &AttachPoint) -> Result<(Option<u64>, Option<u64>), Diagnostic> {
    let (unit, value) = match ap.parts.as_slice() {
        [unit, value] => (unit.clone(), value.clone()),
        [one] => {
            let split = one.find(|c: char| !c.is_ascii_digit()).unwrap_or(one.len());
            (one[split..].to_string(), one[..split].to_string())
        }
        _ => return Err(err(ap, format!("{}: expected a unit and a rate", ap.raw))),
    };
    let n: u64 = value
        .parse()
        .map_err(|_| err(ap, format!("invalid rate '{value}' in {}", ap.raw)))?;
    if n == 0 {
        return Err(err(
            ap,
            format!("{}: the rate must be greater than zero", ap.raw),
        ));
    }
    let scale = match unit.as_str() {
        "hz" => return Ok((Some(n), None)),
        "s" => 1_000_000_000,
        "ms" => 1_000_000,
        "us" => 1_000,
        "ns" => 1,
        _ => return Err(err(ap, format!("invalid unit '{unit}' in {}", ap.raw))),
    };
    match n.checked_mul(scale) {
        Some(ns) => Ok((None, Some(ns))),
        None => Err(err(ap, format!("{}: the period is too long", ap.raw))),
    }
}

/// Software events: (names, perf config, default period).
const SOFTWARE: &[(&[&str], u64, u64)] = &[
    (&["cpu-clock", "cpu"], 0, 1_000_000),
    (&["task-clock"], 1, 1_000_000),
    (&["page-faults", "faults"], 2, 100),
    (&["context-switches", "cs"], 3, 1000),
    (&["cpu-migrations"], 4, 1),
    (&["minor-faults"], 5, 100),
    (&["major-faults"], 6, 1),
    (&["alignment-faults"], 7, 1),
    (&["emulation-faults"], 8, 1),
    (&["dummy"], 9, 1),
    (&["bpf-output"], 10, 1),
];

const HARDWARE: &[(&[&str], u64, u64)] = &[
    (&["cpu-cycles", "cycles"], 0, 1_000_000),
    (&["instructions"], 1, 1_000_000),
    (&["cache-references"], 2, 1_000_000),
    (&["cache-misses"], 3, 1_000_000),
    (&["branch-instructions", "branches"], 4, 100_000),
    (&["branch-misses"], 5, 100_000),
    (&["bus-cycles"], 6, 100_000),
    (&["frontend-stalls"], 7, 1_000_000),
    (&["backend-stalls"], 8, 1_000_000),
    (&["ref-cycles"], 9, 1_000_000),
];

/// Every name a software or hardware event answers to.
pub fn perf_event_names(hardware: bool) -> Vec<&'static str> {
    let table = if hardware { HARDWARE } else { SOFTWARE };
    table
        .iter()
        .flat_map(|(names, _, _)| names.iter().copied())
        .collect()
}

fn perf_event(ap: &AttachPoint, hardware: bool) -> Result<Target, Diagnostic> {
    let table = if hardware { HARDWARE } else { SOFTWARE };
    let name = ap.parts.first().map(String::as_str).unwrap_or("");
    let Some(&(_, config, default)) = table.iter().find(|(names, _, _)| names.contains(&name))
    else {
        let kind = if hardware { "hardware" } else { "software" };
        return Err(err(ap, format!("unknown {kind} event '{name}'")));
    };
    let period = match ap.parts.get(1) {
        Some(p) if !p.is_empty() => p
            .parse()
            .map_err(|_| err(ap, format!("invalid count '{p}' in {}", ap.raw)))?,
        _ => default,
    };
    Ok(Target {
        attach: Attach::PerfEvent {
            hardware,
            config,
            period,
        },
        section: "perf_event".into(),
        name: ap.raw.clone(),
        context: Context::Perf,
        usdt_args: Vec::new(),
    })
}

fn simple(attach: Attach, section: &str, name: String, context: Context) -> Target {
    Target {
        attach,
        section: section.into(),
        name,
        context,
        usdt_args: Vec::new(),
    }
}

/// Expands one attach point into its targets.
pub fn expand(ap: &AttachPoint, env: &dyn Env, opts: &Options) -> Result<Vec<Target>, Diagnostic> {
    if let Some(c) = ap.raw.chars().find(|c| c.is_control()) {
        return Err(err(
            ap,
            format!("invalid character {c:?} in the attach point"),
        ));
    }
    let parts = &ap.parts;
    match ap.provider {
        Provider::Begin => Ok(vec![simple(
            Attach::Begin,
            "raw_tracepoint/begin",
            "BEGIN".into(),
            Context::None,
        )]),
        Provider::End => Ok(vec![simple(
            Attach::End,
            "raw_tracepoint/end",
            "END".into(),
            Context::None,
        )]),
        Provider::Tracepoint => {
            let [cat, event] = parts.as_slice() else {
                return Err(err(
                    ap,
                    format!("{}: expected tracepoint:CATEGORY:EVENT", ap.raw),
                ));
            };
            let pairs = if has_wildcard(cat) || has_wildcard(event) {
                env.tracepoints(cat, event)
            } else {
                vec![(cat.clone(), event.clone())]
            };
            if pairs.is_empty() {
                return Err(err(ap, format!("no tracepoint matches {}", ap.raw)));
            }
            let mut out = Vec::new();
            for (c, e) in pairs {
                let Some(fields) = env.tracepoint_fields(&c, &e) else {
                    return Err(err(ap, format!("tracepoint not found: {c}:{e}")));
                };
                out.push(simple(
                    Attach::Tracepoint {
                        category: c.clone(),
                        event: e.clone(),
                    },
                    &format!("tracepoint/{c}/{e}"),
                    format!("tracepoint:{c}:{e}"),
                    Context::Tracepoint(fields),
                ));
            }
            Ok(out)
        }
        Provider::Rawtracepoint => {
            let event = match parts.as_slice() {
                [e] => e.clone(),
                [_module, e] => e.clone(),
                _ => return Err(err(ap, format!("{}: expected rawtracepoint:EVENT", ap.raw))),
            };
            let names = if has_wildcard(&event) {
                env.tracepoints("*", &event)
                    .into_iter()
                    .map(|(_, e)| e)
                    .collect::<Vec<_>>()
            } else {
                vec![event]
            };
            if names.is_empty() {
                return Err(err(ap, format!("no raw tracepoint matches {}", ap.raw)));
            }
            let mut out = Vec::new();
            for e in names {
                let args = raw_tracepoint_args(env, &e);
                let (attach, section) = match typed_raw_tracepoint(env, &e) {
                    Some(btf_id) => (
                        Attach::BtfTracepoint {
                            event: e.clone(),
                            btf_id,
                        },
                        format!("tp_btf/{e}"),
                    ),
                    None => (
                        Attach::RawTracepoint { event: e.clone() },
                        format!("raw_tracepoint/{e}"),
                    ),
                };
                out.push(simple(
                    attach,
                    &section,
                    format!("rawtracepoint:{e}"),
                    Context::BtfArgs { args, ret: None },
                ));
            }
            Ok(out)
        }
        Provider::Kprobe | Provider::Kretprobe | Provider::Fentry | Provider::Fexit => {
            kernel_functions(ap, env)
        }
        Provider::Uprobe | Provider::Uretprobe => uprobes(ap, env, opts),
        Provider::Usdt => usdt(ap, env, opts),
        Provider::Profile | Provider::Interval => {
            let (freq, period_ns) = rate(ap)?;
            let all_cpus = ap.provider == Provider::Profile;
            let kind = if all_cpus { "profile" } else { "interval" };
            let name = format!("{kind}:{}", ap.parts.join(":"));
            Ok(vec![simple(
                Attach::Timer {
                    freq,
                    period_ns,
                    all_cpus,
                },
                "perf_event",
                name,
                Context::Perf,
            )])
        }
        Provider::Software => Ok(vec![perf_event(ap, false)?]),
        Provider::Hardware => Ok(vec![perf_event(ap, true)?]),
    }
}

fn raw_tracepoint_args(env: &dyn Env, event: &str) -> Vec<(String, u32)> {
    let Some(btf) = env.btf() else {
        return Vec::new();
    };
    // The typedef only types the parameters; the stub also names them.
    let Some(id) = raw_tracepoint_stub(btf, event)
        .or_else(|| btf.find(&format!("btf_trace_{event}"), scry_btf::Kind::Typedef))
    else {
        return Vec::new();
    };
    let Some(proto) = btf.func_proto(id) else {
        return Vec::new();
    };
    // The first parameter is the tracepoint's private `void *__data`.
    proto.params.into_iter().skip(1).collect()
}

/// The BTF function whose parameters are a raw tracepoint's, named:
/// `__probestub_EVENT`, which exists for every event and is named after
/// it, or the older `__bpf_trace_EVENT` (named after the event's class).
pub fn raw_tracepoint_stub(btf: &scry_btf::Btf, event: &str) -> Option<u32> {
    btf.find(&format!("__probestub_{event}"), scry_btf::Kind::Func)
        .or_else(|| btf.find(&format!("__bpf_trace_{event}"), scry_btf::Kind::Func))
}

/// The id of the `btf_trace_EVENT` typedef, when the raw tracepoint can be
/// loaded as a typed (`tp_btf`) program: the kernel's BTF types its
/// arguments, so the program reads what they point to without a helper
/// call. `None` (an untyped raw tracepoint) for module tracepoints, kernels
/// without BTF, and arguments the kernel's checker refuses to type
/// (pointers to pointers, to enums or to opaque structs).
fn typed_raw_tracepoint(env: &dyn Env, event: &str) -> Option<u32> {
    use scry_btf::Kind;
    let btf = env.btf()?;
    let id = btf.find(&format!("btf_trace_{event}"), Kind::Typedef)?;
    let proto = btf.func_proto(id)?;
    let accepted = |ty: u32| {
        let t = btf.skip_modifiers(ty);
        match btf.kind(t) {
            Some(Kind::Int | Kind::Enum | Kind::Enum64 | Kind::Struct | Kind::Union) => true,
            Some(Kind::Ptr) => {
                let to = btf.skip_modifiers(btf.pointee(t).unwrap_or(0));
                to == 0 || matches!(btf.kind(to), Some(Kind::Int | Kind::Struct | Kind::Union))
            }
            _ => false,
        }
    };
    proto
        .params
        .iter()
        .skip(1)
        .all(|(_, ty)| accepted(*ty))
        .then_some(id)
}

fn kernel_functions(ap: &AttachPoint, env: &dyn Env) -> Result<Vec<Target>, Diagnostic> {
    let spec = match ap.parts.as_slice() {
        [f] => f.clone(),
        [_module, f] => f.clone(),
        _ => {
            return Err(err(
                ap,
                format!(
                    "{}: expected {}:FUNCTION",
                    ap.raw,
                    provider_name(ap.provider)
                ),
            ))
        }
    };
    let (func, offset) = match spec.split_once('+') {
        Some((f, off)) => {
            let off = parse_int(off).ok_or_else(|| err(ap, format!("invalid offset '{off}'")))?;
            (f.to_string(), off)
        }
        None => (spec.clone(), 0),
    };
    if offset != 0 && ap.provider != Provider::Kprobe {
        return Err(err(ap, "an offset is only allowed on kprobes"));
    }
    let funcs = if has_wildcard(&func) && env.unsupported(ap.provider).is_none() {
        let mut found = env.kernel_functions(&func);
        if matches!(ap.provider, Provider::Fentry | Provider::Fexit) {
            // Compiler clones (`vfs_coredump.cold`, `.isra.0`) have no BTF
            // and no trampoline: a wildcard skips them, as bpftrace's does.
            found.retain(|f| function_args(env, f).is_some());
        }
        if found.is_empty() {
            return Err(err(ap, format!("no kernel function matches {}", ap.raw)));
        }
        found
    } else {
        vec![func]
    };
    let mut out = Vec::new();
    for f in funcs {
        let t = match ap.provider {
            Provider::Kprobe => simple(
                Attach::Kprobe {
                    function: f.clone(),
                    offset,
                },
                "kprobe",
                format!(
                    "kprobe:{f}{}",
                    if offset > 0 {
                        format!("+{offset}")
                    } else {
                        String::new()
                    }
                ),
                Context::Regs {
                    ret: false,
                    user: false,
                },
            ),
            Provider::Kretprobe => simple(
                Attach::Kretprobe {
                    function: f.clone(),
                },
                "kretprobe",
                format!("kretprobe:{f}"),
                Context::Regs {
                    ret: true,
                    user: false,
                },
            ),
            Provider::Fentry | Provider::Fexit => {
                let fexit = ap.provider == Provider::Fexit;
                let (args, ret) = function_args(env, &f).ok_or_else(|| {
                    err(ap, format!("function '{f}' not found in the kernel's BTF"))
                })?;
                let (attach, kind) = if fexit {
                    (
                        Attach::Fexit {
                            function: f.clone(),
                        },
                        "fexit",
                    )
                } else {
                    (
                        Attach::Fentry {
                            function: f.clone(),
                        },
                        "fentry",
                    )
                };
                simple(
                    attach,
                    kind,
                    format!("{kind}:{f}"),
                    Context::BtfArgs {
                        args,
                        ret: fexit.then_some(ret),
                    },
                )
            }
            _ => unreachable!(),
        };
        out.push(t);
    }
    Ok(out)
}

fn function_args(env: &dyn Env, func: &str) -> Option<(Vec<(String, u32)>, u32)> {
    let btf = env.btf()?;
    let id = btf.find(func, scry_btf::Kind::Func)?;
    let proto = btf.func_proto(id)?;
    Some((proto.params, proto.ret))
}

fn provider_name(p: Provider) -> &'static str {
    match p {
        Provider::Kprobe => "kprobe",
        Provider::Kretprobe => "kretprobe",
        Provider::Fentry => "fentry",
        Provider::Fexit => "fexit",
        Provider::Uprobe => "uprobe",
        Provider::Uretprobe => "uretprobe",
        _ => "probe",
    }
}

pub fn parse_int(s: &str) -> Option<u64> {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16).ok()
    } else {
        s.parse().ok()
    }
}

fn uprobes(ap: &AttachPoint, env: &dyn Env, opts: &Options) -> Result<Vec<Target>, Diagnostic> {
    let ret = ap.provider == Provider::Uretprobe;
    let kind = if ret { "uretprobe" } else { "uprobe" };
    let (target, func) = match ap.parts.as_slice() {
        [t, f] => (t.clone(), f.clone()),
        [t, _lang, f] => (t.clone(), f.clone()),
        _ => {
            return Err(err(
                ap,
                format!("{}: expected {kind}:BINARY:FUNCTION", ap.raw),
            ))
        }
    };
    let path = env.resolve_binary(&target).map_err(|e| err(ap, e))?;
    let mut out = Vec::new();
    let context = Context::Regs { ret, user: true };
    if let Some(addr) = parse_int(&func)
        .filter(|_| func.starts_with("0x") || func.chars().all(|c| c.is_ascii_digit()))
    {
        // An address in the binary: find the symbol holding it to get the file offset.
        let syms = env.elf_symbols(&path, "*").map_err(|e| err(ap, e))?;
        let Some(sym) = syms
            .iter()
            .find(|s| s.address <= addr && addr < s.address + s.size.max(1))
        else {
            return Err(err(
                ap,
                format!("address {func} is not inside a function of {path}"),
            ));
        };
        out.push(simple(
            Attach::Uprobe {
                path: path.clone(),
                offset: sym.file_offset + (addr - sym.address),
                retprobe: ret,
                pid: opts.pid,
            },
            kind,
            format!("{kind}:{path}:{func}"),
            context,
        ));
        return Ok(out);
    }
    let (name, offset) = match func.split_once('+') {
        Some((f, off)) => (
            f.to_string(),
            parse_int(off).ok_or_else(|| err(ap, format!("invalid offset '{off}'")))?,
        ),
        None => (func.clone(), 0),
    };
    let syms = env.elf_symbols(&path, &name).map_err(|e| err(ap, e))?;
    if syms.is_empty() {
        return Err(err(ap, format!("{path}: no function matches '{name}'")));
    }
    for sym in syms {
        out.push(simple(
            Attach::Uprobe {
                path: path.clone(),
                offset: sym.file_offset + offset,
                retprobe: ret,
                pid: opts.pid,
            },
            kind,
            format!("{kind}:{path}:{}", sym.name),
            context.clone(),
        ));
    }
    Ok(out)
}

fn usdt(ap: &AttachPoint, env: &dyn Env, opts: &Options) -> Result<Vec<Target>, Diagnostic> {
    let (target, provider, name) = match ap.parts.as_slice() {
        [t, p, n] => (t.clone(), p.clone(), n.clone()),
        [t, n] => (t.clone(), "*".to_string(), n.clone()),
        _ => {
            return Err(err(
                ap,
                format!("{}: expected usdt:BINARY:[PROVIDER:]NAME", ap.raw),
            ))
        }
    };
    let path = env.resolve_binary(&target).map_err(|e| err(ap, e))?;
    let probes = env.usdt_probes(&path).map_err(|e| err(ap, e))?;
    let mut out = Vec::new();
    for p in probes {
        if glob(&provider, &p.provider) && glob(&name, &p.name) {
            out.push(Target {
                attach: Attach::Usdt {
                    path: path.clone(),
                    offset: p.file_offset,
                    semaphore: p.semaphore_offset,
                    pid: opts.pid,
                },
                section: "uprobe".into(),
                name: format!("usdt:{path}:{}:{}", p.provider, p.name),
                context: Context::Regs {
                    ret: false,
                    user: true,
                },
                usdt_args: p.args.clone(),
            });
        }
    }
    if out.is_empty() {
        return Err(err(
            ap,
            format!("{path}: no USDT probe matches {provider}:{name}"),
        ));
    }
    Ok(out)
}
