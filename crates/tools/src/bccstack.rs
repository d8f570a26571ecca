//! Stacks as BCC prints them under an event's row (capable `-K`/`-U`,
//! trace `-K`/`-U`/`-a`): one frame a line, `name+0xOFF [module]`
//! (`[kernel]` for kernel frames), optionally after the address. Made from
//! perf-mode stacks (`kstack(perf)`), whose frames carry their addresses
//! and, for user frames, their file.

use scry_output::Value;

/// The indentation of BCC's frames.
pub const INDENT: &str = "        ";

/// One frame of a perf-mode stack in BCC's form: `sym` is `name+OFF`
/// (kernel), `name+OFF (/path/file)` (user) or `0xADDR ([unknown])`.
pub fn frame(addr: u64, sym: &str, address: bool) -> String {
    let (name, module) = match sym.rsplit_once(" (") {
        Some((name, file)) => {
            let file = file.trim_end_matches(')');
            let base = file.rsplit('/').next().unwrap_or(file);
            (name, (base != "[unknown]").then_some(base))
        }
        // An unresolved kernel address has no module either.
        None => (sym, (!sym.starts_with("0x")).then_some("kernel")),
    };
    let name = match name.rsplit_once('+') {
        Some((func, off)) if !func.is_empty() => match off.parse::<u64>() {
            Ok(off) => format!("{func}+0x{off:x}"),
            Err(_) => name.to_string(),
        },
        _ if name.starts_with("0x") => "[unknown]".to_string(),
        _ => name.to_string(),
    };
    let mut text = match address {
        true => format!("{addr:16x} {name}"),
        false => name,
    };
    if let Some(m) = module {
        text.push_str(&format!(" [{m}]"));
    }
    text
}

/// The frames of a stack value (innermost first), in BCC's form; a
/// stack without addresses keeps its frames' text.
pub fn frames(v: &Value, address: bool) -> Vec<String> {
    match v {
        Value::PerfStack(f) => f.iter().map(|(a, s)| frame(*a, s, address)).collect(),
        Value::Stack(f) => f.clone(),
        _ => Vec::new(),
    }
}

/// BCC's line for a stack that could not be read: `[Missed Kernel
/// Stack]`.
pub fn missed(kernel: bool) -> String {
    format!("[Missed {} Stack]", if kernel { "Kernel" } else { "User" })
}

/// A stack's lines under a row, each after [`INDENT`], newline included;
/// [`missed`] when it has no frame.
pub fn text(v: &Value, kernel: bool, address: bool) -> String {
    let mut lines = frames(v, address);
    if lines.is_empty() {
        lines.push(missed(kernel));
    }
    lines.iter().map(|l| format!("{INDENT}{l}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcc_frames() {
        assert_eq!(
            frame(0xffffffff81000010, "cap_capable+16", false),
            "cap_capable+0x10 [kernel]"
        );
        let user = "__GI___chown+11 (/usr/lib/x86_64-linux-gnu/libc.so.6)";
        assert_eq!(frame(0x7f00, user, false), "__GI___chown+0xb [libc.so.6]");
        assert_eq!(
            frame(0x7f00, user, true),
            "            7f00 __GI___chown+0xb [libc.so.6]"
        );
        assert_eq!(
            frame(0x5f5e100, "0x5f5e100 ([unknown])", false),
            "[unknown]"
        );
        assert_eq!(frame(0xffff1, "0xffff1", false), "[unknown]");
        let v = Value::PerfStack(vec![(1, "f+1".into()), (2, "g+2".into())]);
        assert_eq!(
            text(&v, true, false),
            "        f+0x1 [kernel]\n        g+0x2 [kernel]\n"
        );
        assert_eq!(
            text(&Value::PerfStack(vec![]), false, false),
            "        [Missed User Stack]\n"
        );
    }
}
