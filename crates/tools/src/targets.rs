//! Probe specs into scry attach points: kernel functions as `fentry:` or
//! `kprobe:` (per the plan), tracepoints, uprobes on the resolved library
//! path, USDT probes. Wildcards are left to the compiler, which expands
//! them; with `-r` the candidates are listed here and filtered by the
//! regular expression, one attach point per match. And back: the name
//! BCC prints for an attach point (`probe` in a map key).

use crate::generic::Flavor;
use crate::probespec::{ProbeSpec, Type};
use crate::regex::Regex;
use scry_lang::env::Env;

/// The path of a library or binary as BCC finds it: `c` is libc, `bash`
/// a program in `$PATH`, `/path/bin` itself.
pub fn resolve(env: &dyn Env, library: &str) -> Result<String, String> {
    if library.contains('/') {
        return env.resolve_binary(library);
    }
    let as_lib = match library.starts_with("lib") {
        true => library.to_string(),
        false => format!("lib{library}"),
    };
    env.resolve_binary(&as_lib)
        .or_else(|_| env.resolve_binary(library))
        .map_err(|_| format!("unable to find library or binary '{library}'"))
}

/// The attach points of a spec.
pub fn points(
    spec: &ProbeSpec,
    env: &dyn Env,
    flavor: Flavor,
    regex: bool,
) -> Result<Vec<String>, String> {
    let kernel = |entry: &str, ret: &str| match spec.kind {
        Type::Return => ret.to_string(),
        _ => entry.to_string(),
    };
    let (prefix, names) = match spec.kind {
        Type::Tracepoint => {
            let names = match regex {
                true => matching(&spec.name, || {
                    env.tracepoints(&spec.library, "*")
                        .into_iter()
                        .map(|(_, e)| e)
                        .collect()
                })?,
                false => vec![spec.name.clone()],
            };
            (format!("tracepoint:{}:", spec.library), names)
        }
        _ if spec.is_kernel_function() => {
            let prefix = match flavor {
                Flavor::Fentry => kernel("fentry:", "fexit:"),
                _ => kernel("kprobe:", "kretprobe:"),
            };
            let names = match regex {
                true => matching(&spec.name, || env.kernel_functions("*"))?,
                false => vec![spec.name.clone()],
            };
            (prefix, names)
        }
        Type::Usdt => {
            let path = resolve(env, &spec.library)?;
            let names = match regex {
                true => matching(&spec.name, || {
                    let probes = env.usdt_probes(&path).unwrap_or_default();
                    probes.into_iter().map(|p| p.name).collect()
                })?,
                false => vec![spec.name.clone()],
            };
            (format!("usdt:{path}:"), names)
        }
        _ => {
            let path = resolve(env, &spec.library)?;
            let names = match regex {
                true => matching(&spec.name, || {
                    let syms = env.elf_symbols(&path, "*").unwrap_or_default();
                    syms.into_iter().map(|s| s.name).collect()
                })?,
                false => vec![spec.name.clone()],
            };
            (kernel("uprobe:", "uretprobe:") + &path + ":", names)
        }
    };
    Ok(names.iter().map(|n| format!("{prefix}{n}")).collect())
}

/// The candidates matching a regular expression, sorted and deduplicated.
fn matching(pattern: &str, list: impl FnOnce() -> Vec<String>) -> Result<Vec<String>, String> {
    let re = Regex::new(pattern)?;
    let mut names: Vec<String> = list().into_iter().filter(|n| re.is_match(n)).collect();
    names.sort();
    names.dedup();
    if names.is_empty() {
        return Err(format!(
            "no functions match the regular expression '{pattern}'"
        ));
    }
    Ok(names)
}

/// The name BCC prints for an attach point: the function of a kernel or
/// user probe, `category:event` of a tracepoint, the USDT probe's name.
pub fn display(point: &str) -> String {
    let (provider, rest) = point.split_once(':').unwrap_or(("", point));
    match provider {
        "tracepoint" => rest.to_string(),
        "uprobe" | "uretprobe" | "usdt" => {
            // The path may not hold ':', the function may (C++, Go).
            let after_path = rest.split_once(':').map_or(rest, |(_, f)| f);
            match provider {
                "usdt" => after_path.rsplit(':').next().unwrap_or(after_path).into(),
                _ => after_path.to_string(),
            }
        }
        _ => rest.rsplit(':').next().unwrap_or(rest).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::display;

    #[test]
    fn bcc_names() {
        assert_eq!(display("kprobe:vfs_read"), "vfs_read");
        assert_eq!(display("fexit:vfs_read"), "vfs_read");
        assert_eq!(
            display("tracepoint:sched:sched_switch"),
            "sched:sched_switch"
        );
        assert_eq!(display("uprobe:/usr/lib/libc.so.6:malloc"), "malloc");
        assert_eq!(display("uretprobe:/bin/x:ns::f"), "ns::f");
        assert_eq!(display("usdt:/bin/x:prov:tick"), "tick");
    }
}
