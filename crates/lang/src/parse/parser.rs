//! The parser's state, the top level of a script (config blocks, skipped C
//! and preprocessor text, probes) and the helpers shared by the statement and
//! expression parsers in `stmt.rs` and `expr.rs`.

use std::collections::HashMap;

use super::attach;
use super::lexer::{is_ident_char, skip_layout, Lexer, Tok, Token, P};
use crate::ast::{ConfigItem, Expr, ExprKind, Probe, Program, UnOp};
use crate::diag::Diagnostic;
use crate::span::Span;

/// How deeply blocks and expressions may nest before the parser gives up.
pub const MAX_DEPTH: u32 = 200;

/// A syntax error was recorded; parsing stops.
#[derive(Debug)]
pub struct Fail;

pub type PResult<T> = Result<T, Fail>;

pub struct Parser<'a> {
    pub(super) src: &'a str,
    lex: Lexer<'a>,
    /// The current (not yet consumed) token.
    pub(super) tok: Token,
    /// End of the last consumed token.
    pub(super) prev_end: usize,
    pub(super) diags: Vec<Diagnostic>,
    depth: u32,
    /// Object-like `#define NAME constant` macros: uses of `NAME` become the
    /// constant.
    defines: HashMap<String, ExprKind>,
}

impl<'a> Parser<'a> {
    pub fn new(src: &'a str) -> Parser<'a> {
        let mut lex = Lexer::new(src);
        let tok = lex.next_token();
        Parser {
            src,
            lex,
            tok,
            prev_end: 0,
            diags: Vec::new(),
            depth: 0,
            defines: HashMap::new(),
        }
    }

    pub fn finish(self) -> Vec<Diagnostic> {
        self.diags
    }

    // ---- token helpers -------------------------------------------------

    /// Consumes the current token and returns its span.
    pub(super) fn bump(&mut self) -> Span {
        let span = self.tok.span;
        self.prev_end = span.end as usize;
        self.tok = self.lex.next_token();
        span
    }

    /// The token after the current one.
    pub(super) fn peek(&self) -> Token {
        self.lex.clone().next_token()
    }

    /// Is the token after the current one `p`?
    pub(super) fn peek_is(&self, p: P) -> bool {
        self.peek().tok.is(p)
    }

    /// The `n` tokens after the current one.
    pub(super) fn peek_n(&self, n: usize) -> Vec<Tok> {
        let mut lex = self.lex.clone();
        (0..n).map(|_| lex.next_token().tok).collect()
    }

    /// Restarts lexing at byte `pos` (a char boundary).
    pub(super) fn reset_to(&mut self, pos: usize) {
        self.prev_end = pos;
        self.lex.pos = pos;
        self.tok = self.lex.next_token();
    }

    pub(super) fn at(&self, p: P) -> bool {
        self.tok.tok.is(p)
    }

    pub(super) fn eat(&mut self, p: P) -> Option<Span> {
        if self.at(p) {
            Some(self.bump())
        } else {
            None
        }
    }

    pub(super) fn expect(&mut self, p: P) -> PResult<Span> {
        match self.eat(p) {
            Some(s) => Ok(s),
            None => Err(self.unexpected(Some(&format!("'{}'", p.text())))),
        }
    }

    /// Records an error at the current token and returns `Fail`.
    pub(super) fn unexpected(&mut self, expecting: Option<&str>) -> Fail {
        let msg = match &self.tok.tok {
            Tok::Error(msg) => msg.clone(),
            t => {
                let mut m = format!("syntax error, unexpected {}", t.describe());
                if let Some(e) = expecting {
                    m.push_str(", expecting ");
                    m.push_str(e);
                }
                m
            }
        };
        self.error(self.tok.span, msg)
    }

    pub(super) fn error(&mut self, span: Span, msg: impl Into<String>) -> Fail {
        self.diags.push(Diagnostic::error(span, msg));
        Fail
    }

    /// Enters one level of nesting.
    pub(super) fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(
                self.tok.span,
                format!("nesting too deep (the limit is {MAX_DEPTH} levels)"),
            ));
        }
        Ok(())
    }

    pub(super) fn leave(&mut self, levels: u32) {
        self.depth = self.depth.saturating_sub(levels);
    }

    // ---- top level -----------------------------------------------------

    pub fn program(&mut self, prog: &mut Program) {
        let _ = self.items(prog);
    }

    fn items(&mut self, prog: &mut Program) -> PResult<()> {
        loop {
            let start = self.tok.span.start as usize;
            if matches!(self.tok.tok, Tok::Eof) {
                return Ok(());
            }
            if self.src.as_bytes().get(start) == Some(&b'#') {
                self.skip_preprocessor(start);
                continue;
            }
            if let Tok::Ident(name) = &self.tok.tok {
                let name = name.clone();
                let next = self.peek().tok;
                match name.as_str() {
                    "config" if next.is(P::Assign) => {
                        self.config(prog)?;
                        continue;
                    }
                    "struct" | "union" | "enum"
                        if next.is(P::LBrace)
                            || (matches!(next, Tok::Ident(_))
                                && matches!(
                                    self.peek_n(2)[1],
                                    Tok::Punct(P::LBrace | P::Semi)
                                )) =>
                    {
                        self.skip_c_definition()?;
                        continue;
                    }
                    "macro" | "fn" if matches!(next, Tok::Ident(_)) => {
                        let what = if name == "fn" {
                            "function (fn) definitions are not supported yet"
                        } else {
                            "macro definitions are not supported yet"
                        };
                        self.error(self.tok.span, what);
                        self.bump();
                        self.skip_c_definition()?;
                        continue;
                    }
                    "import" if matches!(next, Tok::Str(_)) => {
                        self.error(self.tok.span, "imports are not supported yet");
                        self.skip_past_semicolon()?;
                        continue;
                    }
                    "let" if matches!(next, Tok::Map(_)) => {
                        self.error(self.tok.span, "map declarations are not supported yet");
                        self.skip_past_semicolon()?;
                        continue;
                    }
                    _ => {}
                }
            }
            let probe = self.probe()?;
            // A probe whose attach points were all invalid was reported.
            if !probe.attach_points.is_empty() {
                prog.probes.push(probe);
            }
        }
    }

    /// The value of a `#define`d constant.
    pub(super) fn define(&self, name: &str) -> Option<ExprKind> {
        self.defines.get(name).cloned()
    }

    /// Records `#define NAME constant` when the line (`start..end`) is one,
    /// with an integer or string constant, optionally negated or in
    /// parentheses. Other preprocessor lines are ignored.
    fn record_define(&mut self, start: usize, end: usize) {
        let b = self.src.as_bytes();
        let skip_blanks = |mut i: usize| {
            while i < end && matches!(b[i], b' ' | b'\t') {
                i += 1;
            }
            i
        };
        let word = |i: usize| {
            let mut j = i;
            while j < end && is_ident_char(b[j]) {
                j += 1;
            }
            j
        };
        let dir_start = skip_blanks(start + 1);
        let dir_end = word(dir_start);
        let directive = &self.src[dir_start..dir_end];
        let name_start = skip_blanks(dir_end);
        let name_end = word(name_start);
        if name_start == dir_end || name_end == name_start {
            return;
        }
        let name = self.src[name_start..name_end].to_string();
        if directive == "undef" {
            self.defines.remove(&name);
            return;
        }
        if directive != "define" || b.get(name_end) == Some(&b'(') {
            return;
        }
        let mut lex = Lexer::new(self.src);
        lex.pos = name_end;
        let mut toks = Vec::new();
        loop {
            let t = lex.next_token();
            if t.span.start as usize >= end || matches!(t.tok, Tok::Eof) {
                break;
            }
            if t.span.end as usize > end || toks.len() == 4 {
                return;
            }
            toks.push(t.tok);
        }
        let strip = |t: &[Tok]| -> Option<ExprKind> {
            match t {
                [Tok::Int(n)] => Some(ExprKind::Int(*n)),
                [Tok::Str(s)] => Some(ExprKind::Str(s.clone())),
                [Tok::Punct(P::Minus), Tok::Int(n)] => Some(ExprKind::Unary {
                    op: UnOp::Neg,
                    expr: Box::new(Expr::new(ExprKind::Int(*n), Span::default())),
                }),
                _ => None,
            }
        };
        let value = match toks.as_slice() {
            [Tok::Punct(P::LParen), inner @ .., Tok::Punct(P::RParen)] => strip(inner),
            all => strip(all),
        };
        match value {
            Some(v) => self.defines.insert(name, v),
            None => self.defines.remove(&name),
        };
    }

    /// Skips a `#...` line, with `\`-continued lines and block comments.
    fn skip_preprocessor(&mut self, start: usize) {
        let b = self.src.as_bytes();
        let mut i = start;
        while i < b.len() && b[i] != b'\n' {
            if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                // A block comment may carry the line on.
                i = self.src[i + 2..]
                    .find("*/")
                    .map_or(b.len(), |j| i + 2 + j + 2);
                continue;
            }
            if b[i] == b'\\' && b.get(i + 1) == Some(&b'\n') {
                i += 1;
            } else if b[i] == b'\\' && b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n')
            {
                i += 2;
            }
            i += 1;
        }
        self.record_define(start, i);
        self.reset_to(i);
    }

    /// Skips a C definition (`struct X { ... };`) or an unsupported
    /// definition: everything up to the first `{`, the balanced braces, and a
    /// `;` after them.
    fn skip_c_definition(&mut self) -> PResult<()> {
        loop {
            match &self.tok.tok {
                Tok::Punct(P::LBrace) => break,
                Tok::Punct(P::Semi) => {
                    // A forward declaration: `struct X;`
                    self.bump();
                    return Ok(());
                }
                Tok::Eof => return Err(self.unexpected(Some("'{'"))),
                _ => {
                    self.bump();
                }
            }
        }
        let open = self.tok.span;
        let b = self.src.as_bytes();
        let mut i = open.start as usize;
        let mut depth = 0usize;
        while i < b.len() {
            match b[i] {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                b'/' if matches!(b.get(i + 1), Some(b'/' | b'*')) => {
                    match skip_layout(self.src, i) {
                        Ok(p) => {
                            i = p;
                            continue;
                        }
                        Err(p) => {
                            return Err(
                                self.error(Span::new(p, p + 2), "end of file during comment")
                            )
                        }
                    }
                }
                b'"' | b'\'' => {
                    let q = b[i];
                    i += 1;
                    while i < b.len() && b[i] != q && b[i] != b'\n' {
                        if b[i] == b'\\' {
                            i += 1;
                        }
                        i += 1;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        if i >= b.len() {
            return Err(self.error(open, "unterminated definition: missing '}'"));
        }
        self.reset_to(i + 1);
        self.eat(P::Semi);
        Ok(())
    }

    fn skip_past_semicolon(&mut self) -> PResult<()> {
        loop {
            match &self.tok.tok {
                Tok::Punct(P::Semi) => {
                    self.bump();
                    return Ok(());
                }
                Tok::Eof => return Ok(()),
                Tok::Error(_) => return Err(self.unexpected(None)),
                _ => {
                    self.bump();
                }
            }
        }
    }

    /// `config = { KEY = VALUE; ... }`
    fn config(&mut self, prog: &mut Program) -> PResult<()> {
        self.bump(); // config
        self.expect(P::Assign)?;
        self.expect(P::LBrace)?;
        loop {
            if self.eat(P::RBrace).is_some() {
                break;
            }
            if self.eat(P::Semi).is_some() {
                continue;
            }
            let Tok::Ident(key) = &self.tok.tok else {
                return Err(self.unexpected(Some("config key")));
            };
            let key = key.clone();
            let key_span = self.bump();
            self.expect(P::Assign)?;
            let value = self.expr()?;
            let span = key_span.to(value.span);
            prog.config.push(ConfigItem { key, value, span });
            if !self.at(P::RBrace) {
                self.expect(P::Semi)?;
            }
        }
        self.eat(P::Semi);
        Ok(())
    }

    // ---- probes --------------------------------------------------------

    fn probe(&mut self) -> PResult<Probe> {
        let start = self.tok.span.start as usize;
        let mut attach_points = Vec::new();
        loop {
            let ap_start = self.tok.span.start as usize;
            let end = match attach::scan(self.src, ap_start) {
                Ok(end) => end,
                Err(d) => {
                    self.diags.push(d);
                    return Err(Fail);
                }
            };
            if end == ap_start {
                return Err(self.unexpected(None));
            }
            match attach::split(&self.src[ap_start..end], ap_start) {
                Ok(ap) => attach_points.push(ap),
                Err(d) => self.diags.push(d),
            }
            self.reset_to(end);
            if self.eat(P::Comma).is_none() {
                break;
            }
            // A trailing comma before the predicate or the body is allowed.
            if self.at(P::LBrace) || (self.at(P::Slash)) {
                break;
            }
        }
        let predicate = if self.eat(P::Slash).is_some() {
            let e = self.expr()?;
            self.expect(P::Slash)?;
            Some(e)
        } else {
            None
        };
        if !self.at(P::LBrace) {
            return Err(self.unexpected(Some("'{'")));
        }
        let body = self.block()?;
        let span = Span::new(start, body.span.end as usize);
        Ok(Probe {
            attach_points,
            predicate,
            body,
            span,
        })
    }

    /// Is the current `/` the end of a predicate? bpftrace's rule: a `/`
    /// followed by `{` (after whitespace and comments) closes the predicate;
    /// any other `/` divides.
    pub(super) fn slash_ends_predicate(&self) -> bool {
        let after = self.tok.span.end as usize;
        match skip_layout(self.src, after) {
            Ok(p) => matches!(self.src.as_bytes().get(p), None | Some(b'{')),
            Err(_) => true,
        }
    }
}
