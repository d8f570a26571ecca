//! The neutral value model and its text / JSON forms.
//!
//! A [`Value`] is what the runtime decodes from map keys, map values and
//! event payloads. Symbols and stacks arrive already symbolized: this crate
//! never sees an address it has to resolve.

use std::cmp::Ordering;

/// One decoded value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A signed integer (any width, sign-extended).
    Int(i64),
    /// An unsigned integer (any width, zero-extended).
    UInt(u64),
    /// A boolean (newer bpftrace); printed `true` / `false`.
    Bool(bool),
    /// A string (`str()`, `comm`, `probe`, `username`, `strerror`,
    /// `cgroup_path`, `strftime()` text ...), printed raw.
    Str(String),
    /// A `buf()` buffer: printable ASCII kept, other bytes as `\xNN`.
    Bytes(Vec<u8>),
    /// An already symbolized `ksym` / `usym` / `inet` value.
    Sym(String),
    /// An already symbolized stack in bpftrace mode, innermost frame first:
    /// each frame is the text of one line (`vfs_read+12`).
    Stack(Vec<String>),
    /// A stack in perf mode: `(address, symbol)` per frame, printed
    /// `\t<hex address> <symbol>`; for user stacks the symbol already carries
    /// its ` (module)` suffix.
    PerfStack(Vec<(u64, String)>),
    /// A tuple: `(1, abc)` in text, `[1,"abc"]` in JSON.
    Tuple(Vec<Value>),
    /// A struct: `{ .a = 1, .b = 2 }`.
    Record(Vec<(String, Value)>),
    /// An array: `[1,2,3]`.
    Array(Vec<Value>),
    /// No value (`none`); printed empty in text, `null` in JSON.
    None,
}

/// Indentation of stack frames when a stack is printed as a value.
pub(crate) const VALUE_STACK_INDENT: usize = 8;
/// Indentation of stack frames when a stack is printed as a map key.
pub(crate) const KEY_STACK_INDENT: usize = 4;

/// Formats a buffer as bpftrace does: with `keep_ascii`, printable ASCII
/// (0x20..=0x7e) is kept; other bytes become `\xNN` when `escape_hex`, else
/// `NN` separated by single spaces (the `%rh` form).
pub fn hex_format_buffer(buf: &[u8], keep_ascii: bool, escape_hex: bool) -> String {
    let mut s = String::with_capacity(buf.len() * 4);
    for (i, &b) in buf.iter().enumerate() {
        if keep_ascii && (32..=126).contains(&b) {
            s.push(b as char);
        } else if escape_hex {
            s.push_str(&format!("\\x{b:02x}"));
        } else if i + 1 == buf.len() {
            s.push_str(&format!("{b:02x}"));
        } else {
            s.push_str(&format!("{b:02x} "));
        }
    }
    s
}

/// Escapes a string for a JSON string literal the way bpftrace does:
/// `"` `\` `\n` `\r` `\t` by name, other control characters as `\u00NN`.
/// Non-ASCII text passes through as UTF-8 (bpftrace 0.17 mangles it).
pub fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Quotes and escapes a string as a JSON string literal.
pub fn json_string(s: &str) -> String {
    format!("\"{}\"", json_escape(s))
}

fn stack_text(frames: &[String], indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut s = String::from("\n");
    for f in frames {
        s.push_str(&pad);
        s.push_str(f);
        s.push('\n');
    }
    s
}

fn perf_stack_text(frames: &[(u64, String)]) -> String {
    let mut s = String::from("\n");
    for (addr, sym) in frames {
        s.push_str(&format!("\t{addr:x} {sym}\n"));
    }
    s
}

impl Value {
    /// bpftrace's text for this value in value position (`print(v)`, a map
    /// value, a `%s` argument); stacks are indented by 8 spaces.
    pub fn to_text(&self) -> String {
        match self {
            Value::Int(v) => v.to_string(),
            Value::UInt(v) => v.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Str(s) | Value::Sym(s) => s.clone(),
            Value::Bytes(b) => hex_format_buffer(b, true, true),
            Value::Stack(f) => stack_text(f, VALUE_STACK_INDENT),
            Value::PerfStack(f) => perf_stack_text(f),
            Value::Tuple(vs) => {
                let parts: Vec<String> = vs.iter().map(Value::to_text).collect();
                format!("({})", parts.join(", "))
            }
            Value::Record(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(n, v)| format!(".{n} = {}", v.to_text()))
                    .collect();
                format!("{{ {} }}", parts.join(", "))
            }
            Value::Array(vs) => {
                let parts: Vec<String> = vs.iter().map(Value::to_text).collect();
                format!("[{}]", parts.join(","))
            }
            Value::None => String::new(),
        }
    }

    /// bpftrace's text for this value as one map key argument (inside
    /// `@m[...]`); stacks are indented by 4 spaces.
    pub fn to_key_text(&self) -> String {
        match self {
            Value::Stack(f) => stack_text(f, KEY_STACK_INDENT),
            Value::Record(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(n, v)| format!(".{n}={}", v.to_key_text()))
                    .collect();
                format!("{{{}}}", parts.join(","))
            }
            Value::Array(vs) => {
                let parts: Vec<String> = vs.iter().map(Value::to_key_text).collect();
                format!("[{}]", parts.join(","))
            }
            Value::Tuple(vs) => {
                let parts: Vec<String> = vs.iter().map(Value::to_key_text).collect();
                format!("({})", parts.join(", "))
            }
            other => other.to_text(),
        }
    }

    /// bpftrace `-f json`'s form of this value in value position.
    pub fn to_json(&self) -> String {
        match self {
            Value::Int(v) => v.to_string(),
            Value::UInt(v) => v.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::None => "null".to_string(),
            Value::Tuple(vs) | Value::Array(vs) => {
                let parts: Vec<String> = vs.iter().map(Value::to_json).collect();
                format!("[{}]", parts.join(","))
            }
            Value::Record(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(n, v)| format!("\"{}\": {}", json_escape(n), v.to_json()))
                    .collect();
                format!("{{ {} }}", parts.join(", "))
            }
            other => json_string(&other.to_text()),
        }
    }

    /// The integer bits of this value as C's varargs would carry them
    /// (signed values sign-extended), or `None` for non-integers.
    pub fn int_bits(&self) -> Option<u64> {
        match self {
            Value::Int(v) => Some(*v as u64),
            Value::UInt(v) => Some(*v),
            Value::Bool(b) => Some(*b as u64),
            _ => None,
        }
    }

    /// Whether a map holding such values separates its entries with nothing
    /// (the stack text already ends with a newline), as bpftrace does.
    pub(crate) fn ends_with_newline(&self) -> bool {
        matches!(self, Value::Stack(_) | Value::PerfStack(_))
    }
}

/// bpftrace's key order (`sort_by_key`): integers compare as unsigned
/// 64-bit numbers (so negative keys sort after positive ones), strings
/// bytewise; other kinds of key argument are left in their given order.
pub(crate) fn cmp_key_arg(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => x.as_bytes().cmp(y.as_bytes()),
        _ => match (a.int_bits(), b.int_bits()) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => Ordering::Equal,
        },
    }
}

/// Lexicographic [`cmp_key_arg`] over a whole (multi-argument) key.
pub(crate) fn cmp_key(a: &[Value], b: &[Value]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = cmp_key_arg(x, y);
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// The order of keys as raw map-key bytes (bpftrace keeps histogram and
/// stats keys in a `std::map` of byte vectors): integers by their
/// little-endian bytes, strings bytewise, zero padded.
pub(crate) fn cmp_key_bytes(a: &[Value], b: &[Value]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = match (x, y) {
            (Value::Str(x), Value::Str(y)) => x.as_bytes().cmp(y.as_bytes()),
            _ => match (x.int_bits(), y.int_bits()) {
                (Some(p), Some(q)) => p.to_le_bytes().cmp(&q.to_le_bytes()),
                _ => Ordering::Equal,
            },
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers() {
        let b = b"ab\x01\xffc";
        assert_eq!(hex_format_buffer(b, true, true), "ab\\x01\\xffc");
        assert_eq!(
            hex_format_buffer(b, false, true),
            "\\x61\\x62\\x01\\xff\\x63"
        );
        assert_eq!(hex_format_buffer(b, false, false), "61 62 01 ff 63");
    }

    #[test]
    fn escapes() {
        assert_eq!(
            json_escape("a\"b\\c\nd\re\tf\x01"),
            "a\\\"b\\\\c\\nd\\re\\tf\\u0001"
        );
        assert_eq!(json_escape("é"), "é");
    }

    #[test]
    fn texts() {
        let t = Value::Tuple(vec![
            Value::Int(1),
            Value::Str("two".into()),
            Value::Int(-3),
        ]);
        assert_eq!(t.to_text(), "(1, two, -3)");
        assert_eq!(t.to_json(), "[1,\"two\",-3]");
        let r = Value::Record(vec![
            ("a".into(), Value::Int(1)),
            ("b".into(), Value::UInt(2)),
        ]);
        assert_eq!(r.to_text(), "{ .a = 1, .b = 2 }");
        assert_eq!(r.to_key_text(), "{.a=1,.b=2}");
        assert_eq!(
            Value::Array(vec![Value::Int(1), Value::Int(2)]).to_text(),
            "[1,2]"
        );
        let s = Value::Stack(vec!["f+1".into(), "g+2".into()]);
        assert_eq!(s.to_text(), "\n        f+1\n        g+2\n");
        assert_eq!(s.to_key_text(), "\n    f+1\n    g+2\n");
    }

    #[test]
    fn key_order() {
        let mut keys = vec![Value::Int(4), Value::Int(-2), Value::Int(1)];
        keys.sort_by(cmp_key_arg);
        assert_eq!(keys, vec![Value::Int(1), Value::Int(4), Value::Int(-2)]);
        assert_eq!(
            cmp_key_bytes(&[Value::Int(256)], &[Value::Int(1)]),
            Ordering::Less
        );
    }
}
