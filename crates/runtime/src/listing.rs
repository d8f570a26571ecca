//! `scry -l [PATTERN]`: the probes this machine offers, one per line, in
//! bpftrace's format (`tracepoint:sched:sched_switch`, `rawtracepoint:
//! sched_switch`, `kprobe:vfs_read`, `fentry:vfs_read`, `software:cpu-clock:`,
//! `uprobe:/bin/bash:readline`, `usdt:/path:provider:name`). With `verbose`,
//! tracepoints are followed by their fields and fentry functions by their
//! parameters, each on an indented line (`    const char * filename`).
//!
//! Without a pattern, every kernel probe this machine supports is listed. A
//! pattern without a provider (`*sched_switch*`) is matched against whole
//! lines and against the probe's last name, over the kernel providers.

use std::collections::BTreeSet;

use scry_btf::{Btf, Kind as BtfKind};
use scry_lang::env::{Env, TpField};

use crate::features::{missing_message, Feature};
use crate::glob::{glob_match, has_wildcard};
use crate::sysenv::SysEnv;
use crate::tracefs;

/// A perf event probe bpftrace knows by name: (name, alias, config, default
/// period).
pub type PerfEventName = (&'static str, &'static str, u64, u64);

/// `software:` events (PERF_TYPE_SOFTWARE), as bpftrace names them.
pub const SOFTWARE_EVENTS: &[PerfEventName] = &[
    ("alignment-faults", "", 7, 1),
    ("bpf-output", "", 10, 1),
    ("context-switches", "cs", 3, 1000),
    ("cpu-clock", "cpu", 0, 1_000_000),
    ("cpu-migrations", "", 4, 1),
    ("dummy", "", 9, 1),
    ("emulation-faults", "", 8, 1),
    ("major-faults", "", 6, 1),
    ("minor-faults", "", 5, 100),
    ("page-faults", "faults", 2, 100),
    ("task-clock", "", 1, 1),
];

/// `hardware:` events (PERF_TYPE_HARDWARE), as bpftrace names them.
pub const HARDWARE_EVENTS: &[PerfEventName] = &[
    ("backend-stalls", "", 8, 1_000_000),
    ("branch-instructions", "branches", 4, 100_000),
    ("branch-misses", "", 5, 100_000),
    ("bus-cycles", "", 6, 100_000),
    ("cache-misses", "", 3, 1_000_000),
    ("cache-references", "", 2, 1_000_000),
    ("cpu-cycles", "cycles", 0, 1_000_000),
    ("frontend-stalls", "", 7, 1_000_000),
    ("instructions", "", 1, 1_000_000),
    ("ref-cycles", "", 9, 1_000_000),
];

/// Looks up a software or hardware event by name or alias.
pub fn perf_event(table: &[PerfEventName], name: &str) -> Option<PerfEventName> {
    table
        .iter()
        .copied()
        .find(|&(n, a, _, _)| n == name || (!a.is_empty() && a == name))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Provider {
    Kprobe,
    Kretprobe,
    Tracepoint,
    Rawtracepoint,
    Fentry,
    Fexit,
    Software,
    Hardware,
    Uprobe,
    Uretprobe,
    Usdt,
}

use Provider::*;

/// Providers in listing order, with their canonical name and aliases.
const PROVIDERS: &[(Provider, &str, &[&str])] = &[
    (Kprobe, "kprobe", &["k"]),
    (Kretprobe, "kretprobe", &["kr"]),
    (Uprobe, "uprobe", &["u"]),
    (Uretprobe, "uretprobe", &["ur"]),
    (Usdt, "usdt", &["U"]),
    (Tracepoint, "tracepoint", &["t"]),
    (Software, "software", &["s"]),
    (Hardware, "hardware", &["h"]),
    (Fentry, "fentry", &["f", "kfunc"]),
    (Fexit, "fexit", &["fr", "kretfunc"]),
    (Rawtracepoint, "rawtracepoint", &["rt"]),
];

/// The providers a full kernel listing covers.
const KERNEL_LIST: &[Provider] = &[
    Kprobe,
    Tracepoint,
    Software,
    Hardware,
    Fentry,
    Rawtracepoint,
];

fn provider_name(p: Provider) -> &'static str {
    PROVIDERS.iter().find(|e| e.0 == p).unwrap().1
}

fn provider_by_name(name: &str) -> Option<Provider> {
    PROVIDERS
        .iter()
        .find(|(_, n, aliases)| *n == name || aliases.contains(&name))
        .map(|e| e.0)
}

/// Lists probes like `bpftrace -l [PATTERN]` (`-lv` with `verbose`).
pub fn list(pattern: Option<&str>, verbose: bool, env: &SysEnv) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let Some(pattern) = pattern.filter(|p| !p.is_empty()) else {
        for &p in KERNEL_LIST {
            if supported(p, env).is_ok() {
                out.extend(provider_lines(p, "*", verbose, env)?);
            }
        }
        return Ok(out);
    };
    let Some((prov, rest)) = pattern.split_once(':') else {
        // No provider: match whole lines or last names, kernel providers.
        for &p in KERNEL_LIST {
            if supported(p, env).is_err() {
                continue;
            }
            let lines = provider_lines(p, "*", verbose, env)?;
            out.extend(filter_entries(lines, |line| {
                glob_match(pattern, line) || glob_match(pattern, last_name(line))
            }));
        }
        return Ok(out);
    };
    if has_wildcard(prov) {
        for &p in KERNEL_LIST {
            if glob_match(prov, provider_name(p)) && supported(p, env).is_ok() {
                out.extend(provider_lines(p, rest, verbose, env)?);
            }
        }
        return Ok(out);
    }
    if matches!(prov, "interval" | "i" | "profile" | "p") {
        return Err(format!(
            "{prov} probes are not listed: they take a rate (interval:s:1, profile:hz:99)"
        ));
    }
    let p = provider_by_name(prov).ok_or_else(|| format!("unknown probe type `{prov}`"))?;
    supported(p, env)?;
    provider_lines(p, rest, verbose, env)
}

/// Keeps the probe lines (and the indented detail lines under them) whose
/// probe line satisfies `keep`.
fn filter_entries(lines: Vec<String>, keep: impl Fn(&str) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut keeping = false;
    for line in lines {
        if !line.starts_with(' ') {
            keeping = keep(&line);
        }
        if keeping {
            out.push(line);
        }
    }
    out
}

/// The last non-empty `:`-separated part: `sched_switch` for
/// `tracepoint:sched:sched_switch`, `cpu-clock` for `software:cpu-clock:`.
fn last_name(line: &str) -> &str {
    line.trim_end_matches(':')
        .rsplit(':')
        .next()
        .unwrap_or(line)
}

/// `Ok` when the machine supports the provider, else the one-line reason.
fn supported(p: Provider, env: &SysEnv) -> Result<(), String> {
    let f = env.features();
    let need = |ok: bool, feature: Feature| {
        if ok {
            Ok(())
        } else {
            Err(missing_message(feature))
        }
    };
    match p {
        Kprobe | Kretprobe => need(f.kprobes, Feature::Kprobes),
        Uprobe | Uretprobe | Usdt => need(f.uprobes, Feature::Uprobes),
        Hardware => need(f.hardware_events, Feature::HardwareEvents),
        Fentry | Fexit => {
            need(f.btf, Feature::Btf)?;
            need(env.fentry_supported(), Feature::Fentry)
        }
        Tracepoint | Rawtracepoint => tracefs::root().map(|_| ()),
        Software => Ok(()),
    }
}

/// The lines of one provider matching `sub` (the pattern after `provider:`).
fn provider_lines(
    p: Provider,
    sub: &str,
    verbose: bool,
    env: &SysEnv,
) -> Result<Vec<String>, String> {
    let name = provider_name(p);
    let mut out = Vec::new();
    match p {
        Tracepoint => {
            let (cat, ev) = sub.split_once(':').unwrap_or((sub, "*"));
            for (c, e) in env.tracepoints(cat, ev) {
                out.push(format!("{name}:{c}:{e}"));
                if verbose {
                    for f in env.tracepoint_fields(&c, &e).unwrap_or_default() {
                        out.push(format!("    {}", field_decl(&f)));
                    }
                }
            }
        }
        Rawtracepoint => {
            let ev = sub.rsplit(':').next().unwrap_or(sub);
            let events: BTreeSet<String> = env
                .tracepoints("*", "*")
                .into_iter()
                .filter(|(c, e)| is_raw_tracepoint(c, e) && glob_match(ev, e))
                .map(|(_, e)| e)
                .collect();
            for e in events {
                out.push(format!("{name}:{e}"));
                if verbose {
                    out.extend(
                        raw_tracepoint_args(env, &e)
                            .into_iter()
                            .map(|l| format!("    {l}")),
                    );
                }
            }
        }
        Kprobe | Kretprobe => {
            let func = sub.rsplit(':').next().unwrap_or(sub);
            out.extend(
                env.kernel_functions(func)
                    .into_iter()
                    .map(|f| format!("{name}:{f}")),
            );
        }
        Fentry | Fexit => {
            let func = sub.rsplit(':').next().unwrap_or(sub);
            let Some(btf) = env.btf() else {
                return Err(missing_message(Feature::Btf));
            };
            let funcs: BTreeSet<(&str, u32)> = (1..=btf.len())
                .filter(|&id| btf.kind(id) == Some(BtfKind::Func))
                .map(|id| (btf.name(id), id))
                .filter(|(n, _)| !n.is_empty() && glob_match(func, n))
                .collect();
            let mut last = "";
            for (f, id) in funcs {
                if f == last {
                    continue;
                }
                last = f;
                out.push(format!("{name}:{f}"));
                if verbose {
                    out.extend(func_params(btf, id).into_iter().map(|l| format!("    {l}")));
                }
            }
        }
        Software | Hardware => {
            let table = if p == Software {
                SOFTWARE_EVENTS
            } else {
                HARDWARE_EVENTS
            };
            let ev = sub.split(':').next().unwrap_or(sub);
            let ev = if ev.is_empty() { "*" } else { ev };
            for &(n, alias, _, _) in table {
                for n in [n, alias] {
                    if !n.is_empty() && glob_match(ev, n) {
                        out.push(format!("{name}:{n}:"));
                    }
                }
            }
            out.sort();
        }
        Uprobe | Uretprobe => {
            let (target, func) = sub.split_once(':').unwrap_or((sub, "*"));
            let path = resolve_target(target, env)?;
            let names: BTreeSet<String> = env
                .elf_symbols(&path, func)?
                .into_iter()
                .map(|s| s.name)
                // Like bpftrace, leave out the compiler's `.part.N` pieces.
                .filter(|n| !n.contains(".part."))
                .collect();
            out.extend(names.into_iter().map(|s| format!("{name}:{path}:{s}")));
        }
        Usdt => {
            let (target, rest) = sub.split_once(':').unwrap_or((sub, "*"));
            let (prov, probe) = rest.split_once(':').unwrap_or(("*", rest));
            let path = resolve_target(target, env)?;
            let probes: BTreeSet<(String, String)> = env
                .usdt_probes(&path)?
                .into_iter()
                .filter(|u| glob_match(prov, &u.provider) && glob_match(probe, &u.name))
                .map(|u| (u.provider, u.name))
                .collect();
            out.extend(
                probes
                    .into_iter()
                    .map(|(pr, n)| format!("{name}:{path}:{pr}:{n}")),
            );
        }
    }
    Ok(out)
}

fn resolve_target(target: &str, env: &SysEnv) -> Result<String, String> {
    if target.is_empty() || target == "*" {
        return Err("listing user-space probes needs a binary: `uprobe:/path/to/binary:*`".into());
    }
    if has_wildcard(target) {
        return Err(format!(
            "{target}: wildcards in binary paths are not supported"
        ));
    }
    env.resolve_binary(target)
}

/// Raw tracepoints are the kernel's tracepoints: tracefs events other than
/// syscall wrappers, ftrace's own events and dynamic kprobe/uprobe events.
fn is_raw_tracepoint(cat: &str, ev: &str) -> bool {
    !(cat == "ftrace"
        || cat == "kprobes"
        || cat == "uprobes"
        || (cat == "syscalls" && (ev.starts_with("sys_enter_") || ev.starts_with("sys_exit_"))))
}

/// A tracepoint field as its C declaration: `const char * filename`,
/// `char prev_comm[16]`, `__data_loc char[] name`.
pub fn field_decl(f: &TpField) -> String {
    let ty = &f.c_type;
    if !ty.starts_with("__data_loc") && ty.ends_with(']') {
        if let Some(open) = ty.rfind('[') {
            return format!("{} {}{}", ty[..open].trim_end(), f.name, &ty[open..]);
        }
    }
    format!("{ty} {}", f.name)
}

/// A raw tracepoint's arguments, as `-lv` lists them: the parameters of
/// its BTF stub after the tracepoint's private `void *__data`.
fn raw_tracepoint_args(env: &SysEnv, event: &str) -> Vec<String> {
    let Some(btf) = env.btf() else {
        return Vec::new();
    };
    scry_lang::sema::probes::raw_tracepoint_stub(btf, event)
        .map(|id| func_params(btf, id).into_iter().skip(1).collect())
        .unwrap_or_default()
}

/// The parameters of BTF function `id` as `type name` lines, then the
/// return type as `type retval` (bpftrace's `-lv` for fentry).
fn func_params(btf: &Btf, id: u32) -> Vec<String> {
    let Some(proto) = btf.func_proto(id) else {
        return Vec::new();
    };
    let mut out: Vec<String> = proto
        .params
        .iter()
        .map(|(n, t)| format!("{} {n}", c_type_name(btf, *t)))
        .collect();
    if proto.variadic {
        out.push("...".into());
    }
    if proto.ret != 0 {
        out.push(format!("{} retval", c_type_name(btf, proto.ret)));
    }
    out
}

/// A BTF type written as C: `struct file *`, `const char *`, `size_t`.
pub fn c_type_name(btf: &Btf, id: u32) -> String {
    c_type_depth(btf, id, 0)
}

fn c_type_depth(btf: &Btf, id: u32, depth: u32) -> String {
    if depth > 32 {
        return "?".into();
    }
    let inner = |id: u32| c_type_depth(btf, id, depth + 1);
    let referenced = btf.referenced(id).unwrap_or(0);
    match btf.kind(id) {
        None => "void".into(),
        Some(BtfKind::Ptr) => {
            if matches!(
                btf.kind(btf.skip_modifiers(referenced)),
                Some(BtfKind::FuncProto)
            ) {
                "void *".into()
            } else {
                format!("{} *", inner(referenced))
            }
        }
        Some(BtfKind::Const) => format!("const {}", inner(referenced)),
        Some(BtfKind::Volatile) => format!("volatile {}", inner(referenced)),
        Some(BtfKind::Restrict) | Some(BtfKind::TypeTag) | Some(BtfKind::DeclTag) => {
            inner(referenced)
        }
        Some(BtfKind::Struct) => format!("struct {}", btf.name(id)),
        Some(BtfKind::Union) => format!("union {}", btf.name(id)),
        Some(BtfKind::Enum) | Some(BtfKind::Enum64) => format!("enum {}", btf.name(id)),
        Some(BtfKind::Fwd) => format!("struct {}", btf.name(id)),
        Some(BtfKind::Array) => match btf.array_info(id) {
            Some((elem, n)) => format!("{}[{n}]", inner(elem)),
            None => "?[]".into(),
        },
        Some(BtfKind::FuncProto) => "void (*)(...)".into(),
        Some(_) => btf.name(id).to_string(),
    }
}
