//! `printf()` formatting with bpftrace's semantics.
//!
//! bpftrace hands each conversion with its argument to the C library's
//! `snprintf`, so integers follow C's varargs rules: `%d`, `%u`, `%x`, `%o`
//! without a length modifier print the low 32 bits, `%hd` 16, `%hhd` 8,
//! `%ld` / `%lld` / `%jd` / `%zd` / `%td` all 64; `%c` prints the low byte;
//! `%p` prints `0x...` or `(nil)`. This module reproduces that in Rust
//! (glibc's output, checked against glibc in the tests).
//!
//! Supported: flags `- + space # 0`, width and precision (`%-16s`, `%5d`,
//! `%08x`, `%.3s`, `%8.3d`), length modifiers `hh h l ll j z t` (and `L`,
//! taken as 64-bit), conversions `d i u o x X c s p`, `%%`, and bpftrace's
//! buffer conversions `%r` (printable ASCII kept, other bytes `\xNN`),
//! `%rx` (every byte `\xNN`) and `%rh` (`NN NN NN`). Floating-point
//! conversions are rejected, as bpftrace does; a `%` that starts no
//! conversion (`"50% off"`) is literal text.
//!
//! Differences from bpftrace 0.17, all where 0.17 is plainly buggy:
//! `%%` is always `%` (0.17 prints `%%` after the last conversion), `%%d`
//! is a literal `%d` (0.17 counts it as a conversion), width works on `%r`,
//! and flags `+`, space and `#` and `%i` are accepted (newer bpftrace).

use crate::value::{hex_format_buffer, Value};

/// What kind of argument a conversion takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// An integer (`%d %i %u %o %x %X %c`); pointers and booleans qualify.
    Int,
    /// A pointer (`%p`); any integer qualifies.
    Ptr,
    /// A string (`%s`); any value is accepted and printed in its text form
    /// (strings, symbols, stacks, tuples, integers ...).
    Str,
    /// A `buf()` (`%r %rx %rh`).
    Buf,
}

impl ArgKind {
    fn name(self) -> &'static str {
        match self {
            ArgKind::Int | ArgKind::Ptr => "integer",
            ArgKind::Str => "string",
            ArgKind::Buf => "buffer",
        }
    }
}

/// A conversion character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conv {
    D,
    I,
    U,
    O,
    X,
    UpperX,
    C,
    S,
    P,
    R,
    Rx,
    Rh,
}

/// A length modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    None,
    Hh,
    H,
    L,
    Ll,
    J,
    Z,
    T,
    /// `L` (long double in C); taken as 64-bit.
    BigL,
}

impl Length {
    fn text(self) -> &'static str {
        match self {
            Length::None => "",
            Length::Hh => "hh",
            Length::H => "h",
            Length::L => "l",
            Length::Ll => "ll",
            Length::J => "j",
            Length::Z => "z",
            Length::T => "t",
            Length::BigL => "L",
        }
    }
}

/// One conversion specification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    pub minus: bool,
    pub plus: bool,
    pub space: bool,
    pub hash: bool,
    pub zero: bool,
    pub width: Option<usize>,
    pub precision: Option<usize>,
    pub length: Length,
    pub conv: Conv,
}

impl Spec {
    /// The kind of argument this conversion expects.
    pub fn kind(&self) -> ArgKind {
        match self.conv {
            Conv::S => ArgKind::Str,
            Conv::P => ArgKind::Ptr,
            Conv::R | Conv::Rx | Conv::Rh => ArgKind::Buf,
            _ => ArgKind::Int,
        }
    }

    /// The conversion as bpftrace names it in messages: `%ld`, `%s`, `%rx`.
    pub fn token(&self) -> String {
        let c = match self.conv {
            Conv::D => "d",
            Conv::I => "i",
            Conv::U => "u",
            Conv::O => "o",
            Conv::X => "x",
            Conv::UpperX => "X",
            Conv::C => "c",
            Conv::S => "s",
            Conv::P => "p",
            Conv::R => "r",
            Conv::Rx => "rx",
            Conv::Rh => "rh",
        };
        format!("%{}{c}", self.length.text())
    }
}

/// A parsed format string: literal text and conversions.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Lit(Vec<u8>),
    Conv(Spec),
}

/// Largest width or precision honoured (guards against absurd allocations).
const MAX_WIDTH: usize = 1 << 16;

fn parse_num(b: &[u8], i: &mut usize) -> Option<usize> {
    let start = *i;
    let mut n: usize = 0;
    while *i < b.len() && b[*i].is_ascii_digit() {
        n = n.saturating_mul(10).saturating_add((b[*i] - b'0') as usize);
        *i += 1;
    }
    (*i > start).then_some(n.min(MAX_WIDTH))
}

/// Parses the conversion starting at `b[start] == b'%'`. `Ok(None)` means
/// the `%` starts no conversion and is literal text.
fn parse_spec(b: &[u8], start: usize) -> Result<Option<(Option<Spec>, usize)>, String> {
    let mut i = start + 1;
    let (mut minus, mut plus, mut space, mut hash, mut zero) = (false, false, false, false, false);
    while i < b.len() {
        match b[i] {
            b'-' => minus = true,
            b'+' => plus = true,
            b' ' => space = true,
            b'#' => hash = true,
            b'0' => zero = true,
            _ => break,
        }
        i += 1;
    }
    if b.get(i) == Some(&b'*') {
        return Err("'*' width is not supported".to_string());
    }
    let width = parse_num(b, &mut i);
    let mut precision = None;
    if b.get(i) == Some(&b'.') {
        i += 1;
        if b.get(i) == Some(&b'*') {
            return Err("'*' precision is not supported".to_string());
        }
        precision = Some(parse_num(b, &mut i).unwrap_or(0));
    }
    let rest = &b[i..];
    let (length, n) = if rest.starts_with(b"hh") {
        (Length::Hh, 2)
    } else if rest.starts_with(b"ll") {
        (Length::Ll, 2)
    } else {
        match rest.first() {
            Some(b'h') => (Length::H, 1),
            Some(b'l') => (Length::L, 1),
            Some(b'j') => (Length::J, 1),
            Some(b'z') => (Length::Z, 1),
            Some(b't') => (Length::T, 1),
            Some(b'L') => (Length::BigL, 1),
            _ => (Length::None, 0),
        }
    };
    i += n;
    let Some(&c) = b.get(i) else {
        return Ok(None);
    };
    i += 1;
    let conv = match c {
        b'%' => return Ok(Some((None, i))),
        b'd' => Conv::D,
        b'i' => Conv::I,
        b'u' => Conv::U,
        b'o' => Conv::O,
        b'x' => Conv::X,
        b'X' => Conv::UpperX,
        b'c' => Conv::C,
        b's' => Conv::S,
        b'p' => Conv::P,
        b'r' => match b.get(i) {
            Some(b'x') => {
                i += 1;
                Conv::Rx
            }
            Some(b'h') => {
                i += 1;
                Conv::Rh
            }
            _ => Conv::R,
        },
        b'e' | b'E' | b'f' | b'F' | b'g' | b'G' | b'a' | b'A' | b'n' => {
            let text = String::from_utf8_lossy(&b[start..i]);
            return Err(format!("Unknown format string token: {text}"));
        }
        // A % before a character that starts no conversion is text
        // (`50%/off`); a letter, or a length modifier with no conversion
        // after it (`%z\n`), is a mistake.
        _ if !c.is_ascii_alphabetic() && n == 0 => return Ok(None),
        _ => {
            // Everything up to the bad character, and the character when it
            // is visible: `%z`, `%k`.
            let end = if c.is_ascii_graphic() { i } else { i - 1 };
            let text = String::from_utf8_lossy(&b[start..end]);
            return Err(format!("unknown format specifier {text}"));
        }
    };
    let spec = Spec {
        minus,
        plus,
        space,
        hash,
        zero,
        width,
        precision,
        length,
        conv,
    };
    Ok(Some((Some(spec), i)))
}

fn parse_pieces(fmt: &str) -> Result<Vec<Piece>, String> {
    let b = fmt.as_bytes();
    let mut pieces = Vec::new();
    let mut lit = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            lit.push(b[i]);
            i += 1;
            continue;
        }
        match parse_spec(b, i)? {
            None => {
                lit.push(b'%');
                i += 1;
            }
            Some((None, next)) => {
                lit.push(b'%');
                i = next;
            }
            Some((Some(spec), next)) => {
                if !lit.is_empty() {
                    pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                }
                pieces.push(Piece::Conv(spec));
                i = next;
            }
        }
    }
    if !lit.is_empty() {
        pieces.push(Piece::Lit(lit));
    }
    Ok(pieces)
}

/// The conversions of a format string, in order, for compile-time checks.
/// (Escapes such as `\n` are expected to be decoded already.)
pub fn parse_format(fmt: &str) -> Result<Vec<Spec>, String> {
    Ok(parse_pieces(fmt)?
        .into_iter()
        .filter_map(|p| match p {
            Piece::Conv(s) => Some(s),
            Piece::Lit(_) => None,
        })
        .collect())
}

/// Checks a format string against the kinds of the arguments given, with
/// bpftrace's messages (without the `printf: ` prefix the caller adds):
/// `Not enough arguments for format string (1 supplied, 2 expected)`,
/// `%d specifier expects a value of type integer (string supplied)`.
/// Pass [`ArgKind::Int`] for integers, pointers and booleans,
/// [`ArgKind::Str`] for strings, symbols and stacks, [`ArgKind::Buf`] for
/// buffers.
pub fn check_args(fmt: &str, args: &[ArgKind]) -> Result<(), String> {
    let specs = parse_format(fmt)?;
    if args.len() < specs.len() {
        return Err(format!(
            "Not enough arguments for format string ({} supplied, {} expected)",
            args.len(),
            specs.len()
        ));
    }
    if args.len() > specs.len() {
        return Err(format!(
            "Too many arguments for format string ({} supplied, {} expected)",
            args.len(),
            specs.len()
        ));
    }
    for (spec, &arg) in specs.iter().zip(args) {
        let want = spec.kind();
        let ok = match want {
            ArgKind::Str => true,
            ArgKind::Int | ArgKind::Ptr => matches!(arg, ArgKind::Int | ArgKind::Ptr),
            ArgKind::Buf => arg == ArgKind::Buf,
        };
        if !ok {
            return Err(format!(
                "{} specifier expects a value of type {} ({} supplied)",
                spec.token(),
                want.name(),
                arg.name()
            ));
        }
    }
    Ok(())
}

/// Pads `body` (already carrying sign and prefix) to the spec's width.
/// `zero_at` is where zero padding goes (after sign and prefix), or `None`
/// when zero padding does not apply.
fn pad(spec: &Spec, mut body: Vec<u8>, zero_at: Option<usize>) -> Vec<u8> {
    let width = spec.width.unwrap_or(0);
    if body.len() >= width {
        return body;
    }
    let n = width - body.len();
    if spec.minus {
        body.extend(std::iter::repeat_n(b' ', n));
    } else if let Some(at) = zero_at.filter(|_| spec.zero) {
        body.splice(at..at, std::iter::repeat_n(b'0', n));
    } else {
        body.splice(0..0, std::iter::repeat_n(b' ', n));
    }
    body
}

fn format_int(spec: &Spec, bits: u64) -> Vec<u8> {
    let wide = !matches!(spec.length, Length::None | Length::H | Length::Hh);
    let (negative, mag) = match spec.conv {
        Conv::D | Conv::I => {
            let v: i64 = match spec.length {
                Length::Hh => bits as i8 as i64,
                Length::H => bits as i16 as i64,
                _ if wide => bits as i64,
                _ => bits as i32 as i64,
            };
            (v < 0, v.unsigned_abs())
        }
        Conv::P => (false, bits),
        _ => (
            false,
            match spec.length {
                Length::Hh => bits as u8 as u64,
                Length::H => bits as u16 as u64,
                _ if wide => bits,
                _ => bits as u32 as u64,
            },
        ),
    };
    if spec.conv == Conv::P && bits == 0 {
        return pad(spec, b"(nil)".to_vec(), None);
    }
    let mut digits = match spec.conv {
        Conv::O => format!("{mag:o}"),
        Conv::X | Conv::P => format!("{mag:x}"),
        Conv::UpperX => format!("{mag:X}"),
        _ => mag.to_string(),
    };
    if let Some(p) = spec.precision {
        if p == 0 && mag == 0 {
            digits.clear();
        } else if digits.len() < p {
            digits.insert_str(0, &"0".repeat(p - digits.len()));
        }
    }
    if spec.conv == Conv::O && spec.hash && !digits.starts_with('0') {
        digits.insert(0, '0');
    }
    let signed = matches!(spec.conv, Conv::D | Conv::I | Conv::P);
    let mut head = String::new();
    if negative {
        head.push('-');
    } else if signed && spec.plus {
        head.push('+');
    } else if signed && spec.space {
        head.push(' ');
    }
    match spec.conv {
        Conv::P => head.push_str("0x"),
        Conv::X if spec.hash && mag != 0 => head.push_str("0x"),
        Conv::UpperX if spec.hash && mag != 0 => head.push_str("0X"),
        _ => {}
    }
    let at = head.len();
    let mut body = head.into_bytes();
    body.extend_from_slice(digits.as_bytes());
    pad(spec, body, spec.precision.is_none().then_some(at))
}

fn format_str(spec: &Spec, text: &[u8]) -> Vec<u8> {
    let n = spec.precision.map_or(text.len(), |p| p.min(text.len()));
    pad(spec, text[..n].to_vec(), None)
}

fn format_one(spec: &Spec, arg: &Value) -> Vec<u8> {
    let mut out = match spec.conv {
        Conv::S => format_str(spec, arg.to_text().as_bytes()),
        Conv::R | Conv::Rx | Conv::Rh => {
            let raw: Vec<u8> = match arg {
                Value::Bytes(b) => b.clone(),
                other => other.to_text().into_bytes(),
            };
            let text = match spec.conv {
                Conv::R => hex_format_buffer(&raw, true, true),
                Conv::Rx => hex_format_buffer(&raw, false, true),
                _ => hex_format_buffer(&raw, false, false),
            };
            format_str(spec, text.as_bytes())
        }
        Conv::C => pad(spec, vec![arg.int_bits().unwrap_or(0) as u8], None),
        _ => format_int(spec, arg.int_bits().unwrap_or(0)),
    };
    // bpftrace prints each snprintf() result as a C string: a NUL byte
    // (`%c` of 0) ends it.
    if let Some(nul) = out.iter().position(|&c| c == 0) {
        out.truncate(nul);
    }
    out
}

/// A format string parsed once, for formatting many events with it (the
/// event loop keeps one per `printf()` of the script).
#[derive(Debug, Clone)]
pub struct Printf {
    /// `None`: the format does not parse and is printed as it is.
    pieces: Option<Vec<Piece>>,
    raw: Vec<u8>,
}

impl Printf {
    pub fn new(fmt: &str) -> Printf {
        Printf {
            pieces: parse_pieces(fmt).ok(),
            raw: fmt.as_bytes().to_vec(),
        }
    }

    /// Appends `args` formatted to `out` (see [`format_printf_bytes`]).
    pub fn format_into(&self, args: &[Value], out: &mut Vec<u8>) {
        let Some(pieces) = &self.pieces else {
            out.extend_from_slice(&self.raw);
            return;
        };
        let mut args = args.iter();
        for p in pieces {
            match p {
                Piece::Lit(l) => out.extend_from_slice(l),
                Piece::Conv(spec) => {
                    if let Some(a) = args.next() {
                        out.extend(format_one(spec, a));
                    }
                }
            }
        }
    }
}

/// Formats `args` with `fmt` as bpftrace's `printf()` does, as raw bytes
/// (`%c` may produce bytes that are not UTF-8). Missing arguments print
/// nothing; extra arguments are ignored; a format that does not parse is
/// printed as it is.
pub fn format_printf_bytes(fmt: &str, args: &[Value]) -> Vec<u8> {
    let mut out = Vec::with_capacity(fmt.len() + 16);
    Printf::new(fmt).format_into(args, &mut out);
    out
}

/// [`format_printf_bytes`] as a `String` (invalid UTF-8 replaced).
pub fn format_printf(fmt: &str, args: &[Value]) -> String {
    String::from_utf8_lossy(&format_printf_bytes(fmt, args)).into_owned()
}
