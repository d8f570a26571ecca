//! One probe of BCC's trace: `SPEC[(SIGNATURE)] [(FILTER)] ["FORMAT"[, ARG...]]`,
//! e.g. `'p:c:open (arg2 == 42) "%s %d", arg1, arg2'`, into the parts of a
//! scry probe: the condition and a `printf()` format with its arguments,
//! BCC's format types made explicit with casts (`%d` is a C int, `%K` a
//! kernel symbol, `%s` a string read from memory).

use crate::cexpr::{self, Ctx};
use crate::probespec::{ProbeSpec, Type};

/// A parsed trace probe.
#[derive(Debug)]
pub struct TraceProbe {
    pub spec: ProbeSpec,
    /// The filter as a scry condition, if any.
    pub filter: Option<String>,
    /// The message's format (scry printf syntax) and its arguments.
    pub format: String,
    pub args: Vec<String>,
}

/// The names of a signature `int fd, const char *path`.
pub fn signature_names(sig: &str) -> Vec<String> {
    sig.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let start = p.rfind(['*', ' ']).map_or(0, |i| i + 1);
            p[start..].trim().to_string()
        })
        .collect()
}

/// BCC's format types → (scry conversion, how the value is written).
fn conversion(ty: &str, expr: &str) -> Option<(&'static str, String)> {
    let cast = |t: &str| format!("({t}){expr}");
    Some(match ty {
        "s" if expr == "comm" => ("s", expr.to_string()),
        "s" => ("s", format!("str({expr})")),
        "d" => ("d", cast("int32")),
        "u" => ("u", cast("uint32")),
        "x" => ("x", cast("uint32")),
        "hd" => ("d", cast("int16")),
        "hu" => ("u", cast("uint16")),
        "c" => ("c", cast("uint8")),
        "ld" | "lld" => ("ld", cast("int64")),
        "lu" | "llu" => ("lu", cast("uint64")),
        "lx" | "llx" => ("lx", cast("uint64")),
        "K" => ("s", format!("ksym({expr})")),
        "U" => ("s", format!("usym({expr})")),
        _ => return None,
    })
}

/// The format with each conversion rewritten, and the arguments to match.
fn message(fmt: &str, values: &[String]) -> Result<(String, Vec<String>), String> {
    let mut out = String::new();
    let mut args = Vec::new();
    let mut rest = fmt;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(r) = rest.strip_prefix('%') {
            out.push_str("%%");
            rest = r;
            continue;
        }
        let flags = rest
            .find(|c: char| !"-+ 0#.123456789".contains(c))
            .unwrap_or(rest.len());
        let ty_len = ["llu", "lld", "llx", "lu", "ld", "lx", "hu", "hd"]
            .iter()
            .find(|t| rest[flags..].starts_with(*t))
            .map_or(1, |t| t.len());
        let ty = rest.get(flags..flags + ty_len).unwrap_or("");
        let value = values
            .get(args.len())
            .ok_or_else(|| format!("too few arguments for the format \"{fmt}\""))?;
        let (conv, arg) = conversion(ty, value)
            .ok_or_else(|| format!("unsupported format %{ty} in \"{fmt}\""))?;
        out.push_str(&format!("%{}{conv}", &rest[..flags]));
        args.push(arg);
        rest = &rest[flags + ty_len..];
    }
    out.push_str(rest);
    if args.len() != values.len() {
        return Err(format!("too many arguments for the format \"{fmt}\""));
    }
    Ok((out, args))
}

impl TraceProbe {
    pub fn parse(text: &str) -> Result<TraceProbe, String> {
        let bad = |e: String| format!("error in probe '{text}': {e}");
        let text = text.trim();
        let end = text.find([' ', '\t', '(']).unwrap_or(text.len());
        let spec = ProbeSpec::parse_full(&text[..end]).map_err(bad)?;
        let mut rest = &text[end..];
        let mut params = Vec::new();
        if rest.starts_with('(') {
            let close = rest.find(')').ok_or_else(|| bad("unmatched '('".into()))?;
            if matches!(spec.kind, Type::Tracepoint | Type::Usdt) {
                return Err(bad("USDT and tracepoint probes take no signature; use arg1, arg2, ... or args->field".into()));
            }
            params = signature_names(&rest[1..close]);
            rest = &rest[close + 1..];
        }
        rest = rest.trim_start();
        let ctx = Ctx {
            params: &params,
            entry: None,
        };
        let mut filter = None;
        if rest.starts_with('(') {
            let chars: Vec<char> = rest.chars().collect();
            let mut depth = 0;
            let close = chars
                .iter()
                .position(|&c| {
                    depth += (c == '(') as i32 - (c == ')') as i32;
                    depth == 0
                })
                .ok_or_else(|| bad("unmatched end of predicate".into()))?;
            let f: String = chars[..=close].iter().collect();
            filter = Some(cexpr::rewrite(&f, &ctx).map_err(bad)?);
            rest = rest[f.len()..].trim_start();
        }
        let (format, args) = match rest {
            "" => (String::new(), Vec::new()),
            r if r.starts_with('"') => {
                let close = r[1..]
                    .find('"')
                    .ok_or_else(|| bad("unterminated format".into()))?
                    + 1;
                let values = cexpr::split_top(r[close + 1..].trim_start().trim_start_matches(','));
                let values: Vec<String> = values
                    .iter()
                    .map(|v| cexpr::rewrite(v, &ctx))
                    .collect::<Result<_, _>>()
                    .map_err(bad)?;
                message(&r[1..close], &values).map_err(bad)?
            }
            r => return Err(bad(format!("expected a format string in \"s, not '{r}'"))),
        };
        Ok(TraceProbe {
            spec,
            filter,
            format,
            args,
        })
    }

    /// The name in BCC's FUNC column: the function, USDT probe or event.
    pub fn func(&self) -> &str {
        &self.spec.name
    }
}
