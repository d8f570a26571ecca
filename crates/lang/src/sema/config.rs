//! `config = { KEY = VALUE; ... }`: bpftrace's settings, applied to the
//! compiler's options; an unknown key is an error, not silently ignored.

use crate::ast::{ConfigItem, ExprKind};
use crate::diag::Diagnostic;
use crate::spec::Options;

/// Keys bpftrace accepts that change nothing here.
const ACCEPTED: &[&str] = &[
    "stack_mode",
    "log_size",
    "max_bpf_progs",
    "max_probes",
    "missing_probes",
    "print_maxstrlen",
    "license",
    "cache_user_symbols",
    "cpp_demangle",
    "lazy_symbolication",
    "str_trunc_trailer",
    "max_cat_bytes",
    "max_type_res_iterations",
    "on_stack_limit",
    "show_debug_info",
];

/// Applies the config block to a copy of the options.
pub fn apply(items: &[ConfigItem], opts: &Options) -> Result<Options, Vec<Diagnostic>> {
    let mut opts = opts.clone();
    let mut diags = Vec::new();
    for item in items {
        let key = item.key.to_ascii_lowercase();
        let key = key.strip_prefix("bpftrace_").unwrap_or(&key);
        let int = match &item.value.kind {
            ExprKind::Int(v) => Some(*v),
            _ => None,
        };
        let need_int = |what: &str| {
            Diagnostic::error(item.value.span, format!("config {what} needs a number"))
        };
        match key {
            "max_strlen" => match int {
                Some(v) if (1..=65536).contains(&v) => opts.max_strlen = v as u32,
                _ => diags.push(need_int("max_strlen (1 to 65536)")),
            },
            "max_map_keys" => match int {
                Some(v) if v >= 1 && v <= u32::MAX as u64 => opts.map_entries = v as u32,
                _ => diags.push(need_int("max_map_keys")),
            },
            "perf_rb_pages" => match int {
                Some(v) if v >= 1 && (v * 4096).is_power_of_two() && v * 4096 <= 1 << 30 => {
                    opts.ringbuf_size = (v * 4096) as u32
                }
                _ => diags.push(need_int("perf_rb_pages (a power of two)")),
            },
            k if ACCEPTED.contains(&k) => {}
            _ => {
                let start = item.span.start as usize;
                let span = crate::span::Span::new(start, start + item.key.len());
                diags.push(Diagnostic::error(
                    span,
                    format!("unknown config key '{}'", item.key),
                ))
            }
        }
    }
    if diags.is_empty() {
        Ok(opts)
    } else {
        Err(diags)
    }
}
