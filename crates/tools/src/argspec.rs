//! One argdist specifier, `TYPE:LIB:FUNC(SIGNATURE)[:TYPES:EXPRS[:FILTER]][#LABEL]`
//! (`p:c:write(int fd, char *buf, size_t n):size_t:n:fd==1`), and the scry
//! probes it becomes: a count map keyed by the expressions (`-C`) or a
//! log2 histogram of one (`-H`), with an entry probe saving `$entry(param)`
//! and `$latency` for return probes.

use crate::cexpr::{self, Ctx};
use crate::generic::{self, Flavor};
use crate::probespec::{ProbeSpec, Type};
use crate::targets;
use crate::traceprobe::signature_names;
use scry_lang::env::Env;

/// A parsed specifier.
#[derive(Debug)]
pub struct ArgSpec {
    /// As written (without the label): BCC's heading of a count table.
    pub raw: String,
    pub label: Option<String>,
    pub hist: bool,
    pub spec: ProbeSpec,
    pub params: Vec<String>,
    /// (C type, expression as written).
    pub exprs: Vec<(String, String)>,
    /// No expression given: count calls (or returns by value).
    pub default: bool,
    pub filter: Option<String>,
}

/// `e` as the operand of a cast: in parentheses unless a name or already
/// parenthesized.
fn operand(e: &str) -> String {
    let simple = e
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_.".contains(c));
    let wrapped = e.starts_with('(') && {
        let mut depth = 0;
        e.char_indices().all(|(i, c)| {
            depth += (c == '(') as i32 - (c == ')') as i32;
            depth > 0 || i == e.len() - 1
        })
    };
    match simple || wrapped {
        true => e.to_string(),
        false => format!("({e})"),
    }
}

impl ArgSpec {
    pub fn parse(text: &str, hist: bool) -> Result<ArgSpec, String> {
        let bad = |e: &str| format!("error parsing probe '{text}': {e}");
        let (body, label) = match text.split_once('#') {
            Some((b, l)) => (b.trim(), Some(l.to_string())),
            None => (text.trim(), None),
        };
        let parts: Vec<&str> = body.split(':').collect();
        if parts.len() < 3 {
            return Err(bad(
                "at least the probe type, library and function signature are needed",
            ));
        }
        if parts.len() > 6 {
            return Err(bad("too many ':'-separated parts"));
        }
        let (func, sig) = parts[2]
            .strip_suffix(')')
            .and_then(|f| f.split_once('('))
            .ok_or_else(|| {
                bad(&format!(
                    "function signature '{}' is not func(...)",
                    parts[2]
                ))
            })?;
        let spec = ProbeSpec::parse_full(&format!("{}:{}:{}", parts[0], parts[1], func.trim()))
            .map_err(|e| bad(&e))?;
        let params = signature_names(sig);
        if !params.is_empty() && spec.kind != Type::Entry {
            return Err(bad(
                "only entry probes (p:) take a signature; use arg1, ... or args->field",
            ));
        }
        let default = parts.len() < 5;
        let ret = spec.kind == Type::Return;
        let exprs: Vec<(String, String)> = if default {
            if hist && !ret {
                return Err(bad("histograms need an expression"));
            }
            vec![match ret {
                true => ("int".into(), "$retval".into()),
                false => ("u64".into(), "1".into()),
            }]
        } else {
            let types = cexpr::split_top(parts[3]);
            let exprs = cexpr::split_top(parts[4]);
            if types.len() != exprs.len() || exprs.is_empty() {
                return Err(bad("mismatched number of types and expressions"));
            }
            if hist && exprs.len() > 1 {
                return Err(bad("histograms take one expression"));
            }
            types.into_iter().zip(exprs).collect()
        };
        let filter = parts
            .get(5)
            .map(|f| f.trim().to_string())
            .filter(|f| !f.is_empty());
        Ok(ArgSpec {
            raw: body.to_string(),
            label,
            hist,
            spec,
            params,
            exprs,
            default,
            filter,
        })
    }

    /// A key's heading in a count table: `expr = value, ...`.
    pub fn key_text(&self, values: &[String]) -> String {
        match (self.default, self.spec.kind) {
            (true, Type::Return) => format!("retval = {}", values.join(", ")),
            (true, _) => "total calls".into(),
            _ => {
                let parts: Vec<String> = self
                    .exprs
                    .iter()
                    .zip(values)
                    .map(|((_, e), v)| format!("{e} = {v}"))
                    .collect();
                parts.join(", ")
            }
        }
    }

    /// The histogram's unit column: the label, the expression, or retval.
    pub fn hist_label(&self) -> String {
        match (&self.label, self.default) {
            (Some(l), _) => l.clone(),
            (None, true) => "retval".into(),
            (None, false) => self.exprs[0].1.clone(),
        }
    }

    /// The scry probes of specifier number `i` (its map is `@p{i}`);
    /// `conds` are the pid/tid filters.
    pub fn script(
        &self,
        i: usize,
        conds: &[String],
        env: &dyn Env,
        flavor: Flavor,
    ) -> Result<String, String> {
        let prefix = format!("e{i}_");
        let texts: Vec<&str> = self
            .exprs
            .iter()
            .map(|e| e.1.as_str())
            .chain(self.filter.as_deref())
            .collect();
        let (saved, latency) = cexpr::entry_needs(&texts);
        let needs_entry = self.spec.kind == Type::Return && (latency || !saved.is_empty());
        let ctx = Ctx {
            params: &self.params,
            entry: needs_entry.then_some(prefix.as_str()),
        };
        let mut keys = Vec::new();
        for (ty, e) in &self.exprs {
            let e = cexpr::rewrite(e, &ctx)?;
            keys.push(match (cexpr::is_string(ty), cexpr::int_type(ty)) {
                (true, _) => format!("str({e})"),
                (_, Some(t)) => format!("({t}){}", operand(&e)),
                _ => e,
            });
        }
        let record = match self.hist {
            true => format!("@p{i} = hist({});", keys[0]),
            false => format!("@p{i}[{}] = count();", keys.join(", ")),
        };
        let mut out = String::new();
        let mut c = conds.to_vec();
        let mut body = vec![record];
        if needs_entry {
            let entry = targets::points(&self.spec.with_kind(Type::Entry), env, flavor, false)?;
            let mut save = vec![format!("@{prefix}lat[tid] = nsecs;")];
            let names = &self.params;
            for s in &saved {
                let n = names
                    .iter()
                    .position(|p| p == s)
                    .ok_or(format!("$entry({s}): no such parameter"))?;
                save.push(format!("@{prefix}{s}[tid] = arg{n};"));
            }
            out.push_str(&generic::block(&entry, conds, &save));
            out.push('\n');
            c.push(format!("@{prefix}lat[tid]"));
            body.push(format!("delete(@{prefix}lat[tid]);"));
            body.extend(saved.iter().map(|s| format!("delete(@{prefix}{s}[tid]);")));
        }
        if let Some(f) = &self.filter {
            c.push(format!("({})", cexpr::rewrite(f, &ctx)?));
        }
        let points = targets::points(&self.spec, env, flavor, false)?;
        out.push_str(&generic::block(&points, &c, &body));
        Ok(out)
    }
}
