//! The tokenizer. It is driven by the parser, one token at a time, so the
//! parser can switch to raw scanning where bpftrace's grammar needs it
//! (attach points, preprocessor lines, C definitions).
//!
//! A `Lexer` is just a position in the source: cloning it is how the parser
//! looks ahead. Lexing errors are returned as [`Tok::Error`] tokens, which the
//! parser reports when it meets them; the lexer itself keeps no diagnostics.
//!
//! The lexer only ever stops at ASCII bytes or at the end of a whole UTF-8
//! character, so every span it produces lies on character boundaries.

use crate::span::Span;

/// Punctuation and operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum P {
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Semi,
    Comma,
    Colon,
    Question,
    Dot,
    DotDot,
    Arrow,
    Assign,
    /// `+=`, `<<=`, ...: the operator's symbol without the `=`.
    OpAssign(&'static str),
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Amp,
    Pipe,
    Caret,
    Bang,
    Tilde,
    Shl,
    Shr,
    Lt,
    Le,
    Gt,
    Ge,
    EqEq,
    Ne,
    AndAnd,
    OrOr,
    PlusPlus,
    MinusMinus,
}

impl P {
    pub fn text(self) -> &'static str {
        match self {
            P::LParen => "(",
            P::RParen => ")",
            P::LBrace => "{",
            P::RBrace => "}",
            P::LBracket => "[",
            P::RBracket => "]",
            P::Semi => ";",
            P::Comma => ",",
            P::Colon => ":",
            P::Question => "?",
            P::Dot => ".",
            P::DotDot => "..",
            P::Arrow => "->",
            P::Assign => "=",
            P::OpAssign(op) => match op {
                "+" => "+=",
                "-" => "-=",
                "*" => "*=",
                "/" => "/=",
                "%" => "%=",
                "&" => "&=",
                "|" => "|=",
                "^" => "^=",
                "<<" => "<<=",
                _ => ">>=",
            },
            P::Plus => "+",
            P::Minus => "-",
            P::Star => "*",
            P::Slash => "/",
            P::Percent => "%",
            P::Amp => "&",
            P::Pipe => "|",
            P::Caret => "^",
            P::Bang => "!",
            P::Tilde => "~",
            P::Shl => "<<",
            P::Shr => ">>",
            P::Lt => "<",
            P::Le => "<=",
            P::Gt => ">",
            P::Ge => ">=",
            P::EqEq => "==",
            P::Ne => "!=",
            P::AndAnd => "&&",
            P::OrOr => "||",
            P::PlusPlus => "++",
            P::MinusMinus => "--",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Eof,
    Int(u64),
    /// Escapes decoded.
    Str(String),
    /// Any identifier, keywords included (`if`, `struct`, `pid`, ...).
    Ident(String),
    /// `$name`, with the `$`.
    Var(String),
    /// `$1`
    Positional(u32),
    /// `$#`
    PosCount,
    /// `@name` or `@`, with the `@`.
    Map(String),
    Punct(P),
    /// A lexing error, reported by the parser when it reaches the token.
    Error(String),
}

impl Tok {
    /// How the token is named in `syntax error, unexpected ...` messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Eof => "end of file".to_string(),
            Tok::Int(n) => format!("integer {n}"),
            Tok::Str(_) => "string".to_string(),
            Tok::Ident(s) => format!("identifier '{s}'"),
            Tok::Var(s) => format!("variable '{s}'"),
            Tok::Positional(n) => format!("positional parameter '${n}'"),
            Tok::PosCount => "'$#'".to_string(),
            Tok::Map(s) => format!("map '{s}'"),
            Tok::Punct(p) => format!("'{}'", p.text()),
            Tok::Error(msg) => msg.clone(),
        }
    }

    pub fn is(&self, p: P) -> bool {
        matches!(self, Tok::Punct(q) if *q == p)
    }

    pub fn is_ident(&self, name: &str) -> bool {
        matches!(self, Tok::Ident(s) if s == name)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

#[derive(Clone)]
pub struct Lexer<'a> {
    src: &'a str,
    pub pos: usize,
}

pub fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

pub fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The character starting at byte `pos` (which must be a char boundary).
pub fn char_at(src: &str, pos: usize) -> Option<char> {
    src.get(pos..).and_then(|s| s.chars().next())
}

/// Skips whitespace and comments from `pos`. Returns the position of the next
/// significant byte, or `Err(start)` for a `/*` comment that never ends.
pub fn skip_layout(src: &str, mut pos: usize) -> Result<usize, usize> {
    let b = src.as_bytes();
    loop {
        match b.get(pos) {
            Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c') => pos += 1,
            Some(b'/') if b.get(pos + 1) == Some(&b'/') => {
                pos = src[pos..].find('\n').map_or(src.len(), |i| pos + i);
            }
            Some(b'/') if b.get(pos + 1) == Some(&b'*') => match src[pos + 2..].find("*/") {
                Some(i) => pos = pos + 2 + i + 2,
                None => return Err(pos),
            },
            _ => return Ok(pos),
        }
    }
}

impl<'a> Lexer<'a> {
    /// A lexer at the start of `src`, past a byte-order mark if any.
    pub fn new(src: &'a str) -> Lexer<'a> {
        let pos = if src.starts_with('\u{feff}') { 3 } else { 0 };
        Lexer { src, pos }
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.src.as_bytes().get(at).copied()
    }

    fn token(&mut self, tok: Tok, start: usize, end: usize) -> Token {
        self.pos = end;
        Token {
            tok,
            span: Span::new(start, end),
        }
    }

    pub fn next_token(&mut self) -> Token {
        let start = match skip_layout(self.src, self.pos) {
            Ok(p) => p,
            Err(p) => return self.token(Tok::Error("end of file during comment".into()), p, p + 2),
        };
        let Some(c) = self.byte(start) else {
            // Point end-of-file errors just past the last significant text.
            let end = self.src.trim_end().len();
            self.pos = self.src.len();
            return Token {
                tok: Tok::Eof,
                span: Span::new(end, end),
            };
        };
        let bytes = self.src.as_bytes();
        let ident_end = |from: usize| {
            let mut i = from;
            while i < bytes.len() && is_ident_char(bytes[i]) {
                i += 1;
            }
            i
        };
        if is_ident_start(c) {
            let end = ident_end(start);
            return self.token(Tok::Ident(self.src[start..end].into()), start, end);
        }
        if c.is_ascii_digit() {
            let end = ident_end(start);
            let text = &self.src[start..end];
            let tok = match parse_int(text) {
                Ok(n) => Tok::Int(n),
                Err(msg) => Tok::Error(msg),
            };
            return self.token(tok, start, end);
        }
        match c {
            b'$' => {
                let next = self.byte(start + 1);
                match next {
                    Some(n) if is_ident_start(n) => {
                        let end = ident_end(start + 1);
                        self.token(Tok::Var(self.src[start..end].into()), start, end)
                    }
                    Some(n) if n.is_ascii_digit() => {
                        let end = ident_end(start + 1);
                        let text = &self.src[start + 1..end];
                        let tok = match text.parse::<u32>() {
                            Ok(n) if text.bytes().all(|b| b.is_ascii_digit()) => Tok::Positional(n),
                            _ => Tok::Error(format!("invalid positional parameter '${text}'")),
                        };
                        self.token(tok, start, end)
                    }
                    Some(b'#') => self.token(Tok::PosCount, start, start + 2),
                    _ => self.token(Tok::Error("invalid character '$'".into()), start, start + 1),
                }
            }
            b'@' => {
                let end = ident_end(start + 1);
                self.token(Tok::Map(self.src[start..end].into()), start, end)
            }
            b'"' => self.string(start),
            _ => match punct(&bytes[start..]) {
                Some((p, len)) => self.token(Tok::Punct(p), start, start + len),
                None => {
                    let ch = char_at(self.src, start).unwrap_or('\u{fffd}');
                    let end = start + ch.len_utf8();
                    let shown = if ch.is_control() {
                        ch.escape_default().to_string()
                    } else {
                        ch.to_string()
                    };
                    let msg = if ch == '\'' {
                        "invalid character: ' (strings are written in double quotes)".to_string()
                    } else {
                        format!("invalid character '{shown}'")
                    };
                    self.token(Tok::Error(msg), start, end)
                }
            },
        }
    }

    /// A string literal starting at the `"` at `start`.
    fn string(&mut self, start: usize) -> Token {
        let bytes = self.src.as_bytes();
        let mut out: Vec<u8> = Vec::new();
        let mut i = start + 1;
        loop {
            let Some(&c) = bytes.get(i) else {
                return self.token(Tok::Error("unterminated string".into()), start, i);
            };
            match c {
                b'"' => break,
                b'\n' => {
                    return self.token(Tok::Error("unterminated string".into()), start, i);
                }
                b'\\' => {
                    let Some(&e) = bytes.get(i + 1) else {
                        return self.token(Tok::Error("unterminated string".into()), start, i + 1);
                    };
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'"' => out.push(b'"'),
                        b'\\' => out.push(b'\\'),
                        b'0'..=b'7' => {
                            let mut j = i + 1;
                            let mut v: u32 = 0;
                            while j < i + 4 && j < bytes.len() && (b'0'..=b'7').contains(&bytes[j])
                            {
                                v = v * 8 + (bytes[j] - b'0') as u32;
                                j += 1;
                            }
                            if v > 255 {
                                let text = &self.src[i..j];
                                return self.token(
                                    Tok::Error(format!(
                                        "octal escape sequence out of range '{text}'"
                                    )),
                                    i,
                                    j,
                                );
                            }
                            out.push(v as u8);
                            i = j;
                            continue;
                        }
                        b'x' | b'X' => {
                            let mut j = i + 2;
                            let mut v: u32 = 0;
                            while j < i + 4 && j < bytes.len() && bytes[j].is_ascii_hexdigit() {
                                v = v * 16 + (bytes[j] as char).to_digit(16).unwrap_or(0);
                                j += 1;
                            }
                            if j == i + 2 {
                                return self.token(
                                    Tok::Error("invalid escape character '\\x'".into()),
                                    i,
                                    j,
                                );
                            }
                            out.push(v as u8);
                            i = j;
                            continue;
                        }
                        b'\n' => {
                            return self.token(
                                Tok::Error("unterminated string".into()),
                                start,
                                i + 1,
                            );
                        }
                        _ => {
                            let ch = char_at(self.src, i + 1).unwrap_or('?');
                            let end = i + 1 + ch.len_utf8();
                            return self.token(
                                Tok::Error(format!("invalid escape character '\\{ch}'")),
                                i,
                                end,
                            );
                        }
                    }
                    i += 2;
                }
                _ => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        let s = match String::from_utf8(out) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        self.token(Tok::Str(s), start, i + 1)
    }
}

/// The longest operator at the start of `b`.
fn punct(b: &[u8]) -> Option<(P, usize)> {
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let (c, n, n2) = (at(0), at(1), at(2));
    let three = match (c, n, n2) {
        (b'<', b'<', b'=') => Some(P::OpAssign("<<")),
        (b'>', b'>', b'=') => Some(P::OpAssign(">>")),
        _ => None,
    };
    if let Some(p) = three {
        return Some((p, 3));
    }
    let two = match (c, n) {
        (b'=', b'=') => Some(P::EqEq),
        (b'!', b'=') => Some(P::Ne),
        (b'<', b'=') => Some(P::Le),
        (b'>', b'=') => Some(P::Ge),
        (b'<', b'<') => Some(P::Shl),
        (b'>', b'>') => Some(P::Shr),
        (b'&', b'&') => Some(P::AndAnd),
        (b'|', b'|') => Some(P::OrOr),
        (b'+', b'+') => Some(P::PlusPlus),
        (b'-', b'-') => Some(P::MinusMinus),
        (b'-', b'>') => Some(P::Arrow),
        (b'.', b'.') => Some(P::DotDot),
        (b'+', b'=') => Some(P::OpAssign("+")),
        (b'-', b'=') => Some(P::OpAssign("-")),
        (b'*', b'=') => Some(P::OpAssign("*")),
        (b'/', b'=') => Some(P::OpAssign("/")),
        (b'%', b'=') => Some(P::OpAssign("%")),
        (b'&', b'=') => Some(P::OpAssign("&")),
        (b'|', b'=') => Some(P::OpAssign("|")),
        (b'^', b'=') => Some(P::OpAssign("^")),
        _ => None,
    };
    if let Some(p) = two {
        return Some((p, 2));
    }
    let one = match c {
        b'(' => P::LParen,
        b')' => P::RParen,
        b'{' => P::LBrace,
        b'}' => P::RBrace,
        b'[' => P::LBracket,
        b']' => P::RBracket,
        b';' => P::Semi,
        b',' => P::Comma,
        b':' => P::Colon,
        b'?' => P::Question,
        b'.' => P::Dot,
        b'=' => P::Assign,
        b'+' => P::Plus,
        b'-' => P::Minus,
        b'*' => P::Star,
        b'/' => P::Slash,
        b'%' => P::Percent,
        b'&' => P::Amp,
        b'|' => P::Pipe,
        b'^' => P::Caret,
        b'!' => P::Bang,
        b'~' => P::Tilde,
        b'<' => P::Lt,
        b'>' => P::Gt,
        _ => return None,
    };
    Some((one, 1))
}

/// Parses an integer literal as bpftrace does: `_` separators, `0x` hex,
/// `0b` binary, `0`-prefixed octal, `1e6` scientific (coefficient 1-9), C
/// suffixes (`u`, `l`, `ul`, `ll`, `ull`) and duration suffixes (`ns`, `us`,
/// `ms`, `s`, `m`, `h`, `d`, which scale the value to nanoseconds).
pub fn parse_int(text: &str) -> Result<u64, String> {
    let n: String = text.chars().filter(|&c| c != '_').collect();
    let overflow = || format!("integer too large: {text}");
    let invalid = |what: &str| format!("{what}: {text}");
    let (radix, digits_from) = if n.starts_with("0x") || n.starts_with("0X") {
        (16, 2)
    } else if n.starts_with("0b") || n.starts_with("0B") {
        (2, 2)
    } else if n.len() >= 2 && n.starts_with('0') && (b'0'..=b'7').contains(&n.as_bytes()[1]) {
        (8, 1)
    } else {
        (10, 0)
    };
    let rest = &n[digits_from..];
    let ndigits = rest
        .bytes()
        .take_while(|b| (*b as char).is_digit(radix))
        .count();
    if ndigits == 0 {
        return Err(invalid("invalid integer"));
    }
    let mut value: u64 = 0;
    for b in rest[..ndigits].bytes() {
        let d = (b as char).to_digit(radix).unwrap_or(0) as u64;
        value = value
            .checked_mul(radix as u64)
            .and_then(|v| v.checked_add(d))
            .ok_or_else(overflow)?;
    }
    let mut suffix = &rest[ndigits..];
    let sb = suffix.as_bytes();
    if radix == 10
        && sb.len() >= 2
        && (sb[0] == b'e' || sb[0] == b'E')
        && (b'1'..=b'9').contains(&sb[1])
    {
        if !(1..=9).contains(&value) {
            return Err(invalid(
                "coefficient part of scientific literal must be 1-9",
            ));
        }
        let exp_digits = suffix[1..].bytes().take_while(u8::is_ascii_digit).count();
        let exp: u32 = suffix[1..1 + exp_digits].parse().map_err(|_| overflow())?;
        for _ in 0..exp {
            value = value.checked_mul(10).ok_or_else(overflow)?;
        }
        suffix = &suffix[1 + exp_digits..];
    }
    let lower = suffix.to_ascii_lowercase();
    let (max, scale): (u64, u64) = match lower.as_str() {
        "" | "ull" => (u64::MAX, 1),
        "u" => (u32::MAX as u64, 1),
        "ul" => (u64::MAX, 1),
        "l" | "ll" => (i64::MAX as u64, 1),
        "ns" => (u64::MAX, 1),
        "us" => (u64::MAX, 1_000),
        "ms" => (u64::MAX, 1_000_000),
        "s" => (u64::MAX, 1_000_000_000),
        "m" => (u64::MAX, 60_000_000_000),
        "h" => (u64::MAX, 3_600_000_000_000),
        "d" => (u64::MAX, 86_400_000_000_000),
        _ => return Err(invalid("invalid trailing bytes in integer")),
    };
    if value > max / scale {
        return Err(overflow());
    }
    Ok(value * scale)
}
