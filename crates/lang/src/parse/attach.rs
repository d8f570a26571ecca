//! Attach points are read raw, as bpftrace does: they hold `/`, `*`, `?`,
//! `+`, `.`, digits and quoted parts that the ordinary tokens cannot express.

use crate::ast::{AttachPoint, Provider};
use crate::diag::Diagnostic;
use crate::span::Span;

/// Scans one attach point starting at `start`. Returns its end (`start` when
/// nothing there can begin an attach point).
///
/// The attach point ends at whitespace, `{`, `}`, `,`, `;`, `(`, `)`, `=`, or
/// at a `/` that starts the predicate or a comment. A `/` belongs to the
/// attach point when it is part of a path: directly after a `:`, inside a
/// part that starts with `/` or `.`, or anywhere in the binary part of a
/// uprobe, uretprobe or usdt probe. Double-quoted parts are taken whole.
pub fn scan(src: &str, start: usize) -> Result<usize, Diagnostic> {
    let b = src.as_bytes();
    let mut i = start;
    let mut part_start = start;
    let mut part_index = 0usize;
    let mut provider = "";
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' => {
                let mut j = i + 1;
                loop {
                    match b.get(j) {
                        None | Some(b'\n') => {
                            return Err(Diagnostic::error(Span::new(i, j), "unterminated string"))
                        }
                        Some(b'"') => break,
                        Some(b'\\') if j + 1 < b.len() && b[j + 1] != b'\n' => j += 2,
                        Some(_) => j += 1,
                    }
                }
                i = j + 1;
            }
            b'\\' if i + 1 < b.len() && b[i + 1].is_ascii_punctuation() => i += 2,
            b':' => {
                if part_index == 0 {
                    provider = &src[start..i];
                }
                part_index += 1;
                i += 1;
                part_start = i;
            }
            b'/' => {
                let in_path = part_index > 0
                    && (i == part_start
                        || matches!(b[part_start], b'/' | b'.')
                        || (part_index == 1 && is_user_provider(provider)));
                if !in_path {
                    break;
                }
                i += 1;
            }
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c' | b'{' | b'}' | b',' | b';' | b'('
            | b')' | b'=' => break,
            _ => i += 1,
        }
    }
    Ok(i)
}

fn is_user_provider(p: &str) -> bool {
    matches!(p, "uprobe" | "u" | "uretprobe" | "ur" | "usdt" | "U")
}

pub fn provider(name: &str) -> Option<Provider> {
    Some(match name {
        "BEGIN" | "begin" => Provider::Begin,
        "END" | "end" => Provider::End,
        "tracepoint" | "t" => Provider::Tracepoint,
        "rawtracepoint" | "rt" => Provider::Rawtracepoint,
        "kprobe" | "k" => Provider::Kprobe,
        "kretprobe" | "kr" => Provider::Kretprobe,
        "fentry" | "f" | "kfunc" => Provider::Fentry,
        "fexit" | "fr" | "kretfunc" => Provider::Fexit,
        "uprobe" | "u" => Provider::Uprobe,
        "uretprobe" | "ur" => Provider::Uretprobe,
        "usdt" | "U" => Provider::Usdt,
        "profile" | "p" => Provider::Profile,
        "interval" | "i" => Provider::Interval,
        "software" | "s" => Provider::Software,
        "hardware" | "h" => Provider::Hardware,
        _ => return None,
    })
}

/// bpftrace providers that scry does not implement.
fn known_unsupported(name: &str) -> bool {
    matches!(
        name,
        "watchpoint" | "w" | "asyncwatchpoint" | "aw" | "iter" | "it" | "self" | "tp_btf" | "bench"
    )
}

/// Splits `raw` (found at `start` in the source) on the `:`s that are
/// neither quoted nor escaped, removes the quotes and resolves the escapes.
pub fn split(raw: &str, start: usize) -> Result<AttachPoint, Diagnostic> {
    let span = Span::new(start, start + raw.len());
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Vec<u8> = Vec::new();
    let b = raw.as_bytes();
    let mut i = 0;
    let mut quoted = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' => quoted = !quoted,
            b'\\' if i + 1 < b.len() && (!quoted || matches!(b[i + 1], b'"' | b'\\')) => {
                i += 1;
                cur.push(b[i]);
            }
            b':' if !quoted => parts.push(bytes_to_string(std::mem::take(&mut cur))),
            _ => cur.push(c),
        }
        i += 1;
    }
    parts.push(bytes_to_string(cur));
    let name = parts.remove(0);
    let Some(provider) = provider(&name) else {
        let d = Diagnostic::error(span, format!("invalid provider '{name}'"));
        return Err(if known_unsupported(&name) {
            d.with_note(format!(
                "HINT: '{name}' probes are not supported by scry yet"
            ))
        } else {
            d
        });
    };
    Ok(AttachPoint {
        provider,
        parts,
        raw: raw.to_string(),
        span,
    })
}

fn bytes_to_string(v: Vec<u8>) -> String {
    // The input was a `&str` and only ASCII bytes were removed, so this is
    // valid UTF-8; be lenient anyway.
    String::from_utf8(v).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}
