//! BCC's C expressions (trace and argdist filters, values) into scry's
//! language. The two are close; what differs is rewritten token by token:
//!
//! - `arg1`..`arg6` (1-based, `@user` allowed) → `arg0`..`arg5`; the names
//!   of a signature `(int fd, char *buf)` → the same `argN`;
//! - `$retval`/`retval` → `retval`; `$pid` (thread) → `tid`; `$tgid`,
//!   `$PID` → `pid`; `$uid`, `$gid`, `$cpu`; `$COMM` → `comm`; `$task` →
//!   `curtask`;
//! - `args->field` (tracepoints) → `args.field`;
//! - C casts to integer types → scry's (`(u32)x` → `(uint32)x`); casts to
//!   `char *` are dropped (the caller reads strings with `str()`);
//! - `STRCMP("text", expr)` → `(str(expr) == "text")`;
//! - argdist's `$latency` and `$entry(param)` → the maps its entry probe
//!   fills (see [`Ctx::entry`]).

/// What the rewriting needs to know.
#[derive(Default)]
pub struct Ctx<'a> {
    /// The signature's parameter names, in order.
    pub params: &'a [String],
    /// argdist: the map prefix of values saved at function entry
    /// (`$latency` → `(nsecs - @{entry}lat[tid])`, `$entry(n)` →
    /// `@{entry}n[tid]`); `None` where they are not allowed.
    pub entry: Option<&'a str>,
}

/// scry's integer type for a C type name, if it is one.
pub fn int_type(c: &str) -> Option<&'static str> {
    let c = c.split_whitespace().collect::<Vec<_>>().join(" ");
    Some(match c.as_str() {
        "u8" | "__u8" | "uint8_t" | "unsigned char" | "bool" => "uint8",
        "s8" | "__s8" | "int8_t" | "char" | "signed char" => "int8",
        "u16" | "__u16" | "uint16_t" | "unsigned short" => "uint16",
        "s16" | "__s16" | "int16_t" | "short" => "int16",
        "u32" | "__u32" | "uint32_t" | "unsigned" | "unsigned int" | "pid_t" | "uid_t" => "uint32",
        "s32" | "__s32" | "int32_t" | "int" | "signed" | "signed int" => "int32",
        "u64" | "__u64" | "uint64_t" | "unsigned long" | "unsigned long long" | "size_t" => {
            "uint64"
        }
        "s64" | "__s64" | "int64_t" | "long" | "long long" | "ssize_t" | "loff_t" | "off_t" => {
            "int64"
        }
        _ => return None,
    })
}

/// Whether a C type is a string (`char *`, `const char*`).
pub fn is_string(c: &str) -> bool {
    let t: String = c.chars().filter(|c| !c.is_whitespace()).collect();
    matches!(t.as_str(), "char*" | "constchar*" | "unsignedchar*")
}

fn ident_at(s: &[char], i: usize) -> usize {
    let mut j = i;
    while j < s.len() && (s[j].is_ascii_alphanumeric() || s[j] == '_' || (j == i && s[j] == '$')) {
        j += 1;
    }
    j
}

/// The index after the `)` matching the `(` at `open`.
fn close_paren(s: &[char], open: usize) -> Result<usize, String> {
    let (mut depth, mut i, mut quoted) = (0, open, false);
    while i < s.len() {
        match s[i] {
            '"' if i == 0 || s[i - 1] != '\\' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth -= 1;
                if depth == 0 {
                    return Ok(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    Err("unbalanced '('".into())
}

/// Splits on commas outside quotes and parentheses.
pub fn split_top(s: &str) -> Vec<String> {
    let (mut parts, mut cur, mut depth, mut quoted) = (Vec::new(), String::new(), 0, false);
    let mut prev = ' ';
    for c in s.chars() {
        match c {
            '"' if prev != '\\' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                parts.push(std::mem::take(&mut cur).trim().to_string());
                prev = c;
                continue;
            }
            _ => {}
        }
        cur.push(c);
        prev = c;
    }
    if !cur.trim().is_empty() {
        parts.push(cur.trim().to_string());
    }
    parts
}

/// Rewrites one expression.
pub fn rewrite(expr: &str, ctx: &Ctx) -> Result<String, String> {
    let s: Vec<char> = expr.chars().collect();
    let text = |a: usize, b: usize| s[a..b].iter().collect::<String>();
    let mut out = String::new();
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if c == '"' {
            let mut j = i + 1;
            while j < s.len() && s[j] != '"' {
                j += 1 + (s[j] == '\\') as usize;
            }
            out.push_str(&text(i, (j + 1).min(s.len())));
            i = j + 1;
            continue;
        }
        if c == '(' {
            // A cast: `(type)` or `(type *)`.
            let end = close_paren(&s, i)?;
            let inner = text(i + 1, end - 1);
            if is_string(&inner) {
                i = end;
                continue;
            }
            if let Some(t) = int_type(&inner) {
                out.push_str(&format!("({t})"));
                i = end;
                continue;
            }
        }
        if !(c.is_ascii_alphabetic() || c == '_' || c == '$') {
            out.push(c);
            i += 1;
            continue;
        }
        let j = ident_at(&s, i);
        let word = text(i, j);
        i = j;
        let arg = word
            .strip_prefix("arg")
            .and_then(|n| n.parse::<usize>().ok());
        let replaced = match word.as_str() {
            _ if arg.is_some_and(|n| (1..=6).contains(&n)) => {
                if text(i, (i + 5).min(s.len())) == "@user" {
                    i += 5;
                }
                format!("arg{}", arg.unwrap() - 1)
            }
            "$retval" | "retval" => "retval".into(),
            "$pid" => "tid".into(),
            "$tgid" | "$PID" => "pid".into(),
            "$uid" | "$gid" | "$cpu" => word[1..].into(),
            "$COMM" => "comm".into(),
            "$task" => "curtask".into(),
            "args" if text(i, (i + 2).min(s.len())) == "->" => {
                i += 2;
                "args.".into()
            }
            "STRCMP" | "$entry" if s.get(i) == Some(&'(') => {
                let end = close_paren(&s, i)?;
                let inner = text(i + 1, end - 1);
                i = end;
                match word.as_str() {
                    "STRCMP" => {
                        let [lit, e] = split_top(&inner)
                            .try_into()
                            .map_err(|_| "STRCMP takes a string and an expression".to_string())?;
                        format!("(str({}) == {lit})", rewrite(&e, ctx)?)
                    }
                    _ => match ctx.entry {
                        Some(p) if ctx.params.iter().any(|n| *n == inner.trim()) => {
                            format!("@{p}{}[tid]", inner.trim())
                        }
                        Some(_) => return Err(format!("$entry({inner}): no such parameter")),
                        None => return Err("$entry() is for return probes only".into()),
                    },
                }
            }
            "$latency" => match ctx.entry {
                Some(p) => format!("(nsecs - @{p}lat[tid])"),
                None => return Err("$latency is for return probes only".into()),
            },
            w if w.starts_with('$') => return Err(format!("unknown alias {w}")),
            w => match ctx.params.iter().position(|n| n == w) {
                Some(n) => format!("arg{n}"),
                None => w.to_string(),
            },
        };
        out.push_str(&replaced);
    }
    Ok(out)
}

/// The parameters a return probe's expressions save at entry (`$entry`),
/// and whether they need the entry time (`$latency`).
pub fn entry_needs(exprs: &[&str]) -> (Vec<String>, bool) {
    let mut names = Vec::new();
    let mut latency = false;
    for e in exprs {
        latency |= e.contains("$latency");
        for part in e.split("$entry(").skip(1) {
            if let Some((name, _)) = part.split_once(')') {
                let name = name.trim().to_string();
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
    }
    (names, latency)
}
