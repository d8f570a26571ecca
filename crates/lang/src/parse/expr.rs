//! Expressions (C precedence, precedence climbing for binary operators),
//! casts and type names.

use super::lexer::{Tok, P};
use super::parser::{PResult, Parser};
use crate::ast::{BinOp, Expr, ExprKind, TypeName, UnOp};
use crate::span::Span;

/// Keywords that cannot be used as an expression.
const RESERVED: &[&str] = &[
    "if", "else", "unroll", "while", "for", "return", "break", "continue", "let", "struct",
    "union", "enum",
];

/// Type names that make `(name)` a cast and `f(name)` a type argument.
pub(super) fn is_builtin_type(name: &str) -> bool {
    matches!(
        name,
        "int8"
            | "int16"
            | "int32"
            | "int64"
            | "uint8"
            | "uint16"
            | "uint32"
            | "uint64"
            | "u8"
            | "u16"
            | "u32"
            | "u64"
            | "s8"
            | "s16"
            | "s32"
            | "s64"
            | "i8"
            | "i16"
            | "i32"
            | "i64"
            | "int"
            | "char"
            | "short"
            | "long"
            | "unsigned"
            | "signed"
            | "bool"
            | "string"
            | "void"
            | "struct"
            | "union"
            | "enum"
    )
}

fn binop(p: P) -> Option<(BinOp, u8)> {
    Some(match p {
        P::OrOr => (BinOp::LogOr, 1),
        P::AndAnd => (BinOp::LogAnd, 2),
        P::Pipe => (BinOp::BitOr, 3),
        P::Caret => (BinOp::BitXor, 4),
        P::Amp => (BinOp::BitAnd, 5),
        P::EqEq => (BinOp::Eq, 6),
        P::Ne => (BinOp::Ne, 6),
        P::Lt => (BinOp::Lt, 7),
        P::Le => (BinOp::Le, 7),
        P::Gt => (BinOp::Gt, 7),
        P::Ge => (BinOp::Ge, 7),
        P::Shl => (BinOp::Shl, 8),
        P::Shr => (BinOp::Shr, 8),
        P::Plus => (BinOp::Add, 9),
        P::Minus => (BinOp::Sub, 9),
        P::Star => (BinOp::Mul, 10),
        P::Slash => (BinOp::Div, 10),
        P::Percent => (BinOp::Mod, 10),
        _ => return None,
    })
}

/// Can this token begin an operand (for telling `(typedef_t)x` from `(x)`)?
/// Tokens that could also continue an expression as binary operators
/// (`-`, `*`, `&`, `(`...) are left out on purpose.
fn starts_operand(t: &Tok) -> bool {
    matches!(
        t,
        Tok::Int(_)
            | Tok::Str(_)
            | Tok::Ident(_)
            | Tok::Var(_)
            | Tok::Positional(_)
            | Tok::PosCount
            | Tok::Map(_)
            | Tok::Punct(P::Bang | P::Tilde | P::LParen)
    )
}

type PBox = PResult<Box<Expr>>;

fn node(kind: ExprKind, span: Span) -> PBox {
    Ok(Box::new(Expr::new(kind, span)))
}

impl Parser<'_> {
    // The functions on the recursive path return boxed expressions and hand
    // the rarer work to helpers, so that each nesting level costs little
    // stack even in debug builds (an `Expr` is about 100 bytes, and debug
    // builds keep a stack slot for every temporary).

    /// A full expression.
    pub(super) fn expr(&mut self) -> PResult<Expr> {
        self.expr_b().map(|e| *e)
    }

    /// A full expression (the ternary level), boxed.
    fn expr_b(&mut self) -> PBox {
        self.enter()?;
        let cond = self.binary(1)?;
        let e = if self.at(P::Question) {
            self.ternary(cond)
        } else {
            Ok(cond)
        };
        self.leave(1);
        e
    }

    #[inline(never)]
    fn ternary(&mut self, cond: Box<Expr>) -> PBox {
        self.bump();
        let then = self.expr_b()?;
        self.expect(P::Colon)?;
        let els = self.expr_b()?;
        let span = cond.span.to(els.span);
        node(ExprKind::Ternary { cond, then, els }, span)
    }

    /// The binary operator at the current token, if it binds at least as
    /// tightly as `min_prec`.
    fn binop_at(&self, min_prec: u8) -> Option<(BinOp, u8)> {
        let Tok::Punct(p) = self.tok.tok else {
            return None;
        };
        let (op, prec) = binop(p)?;
        if prec < min_prec || (p == P::Slash && self.slash_ends_predicate()) {
            return None;
        }
        Some((op, prec))
    }

    fn binary(&mut self, min_prec: u8) -> PBox {
        let lhs = self.unary()?;
        if self.binop_at(min_prec).is_none() {
            return Ok(lhs);
        }
        self.binary_rest(lhs, min_prec)
    }

    #[inline(never)]
    fn binary_rest(&mut self, mut lhs: Box<Expr>, min_prec: u8) -> PBox {
        let mut levels = 0;
        while let Some((op, prec)) = self.binop_at(min_prec) {
            self.bump();
            // Each operator deepens the tree: count it against the limit.
            self.enter()?;
            levels += 1;
            let rhs = self.binary(prec + 1)?;
            let span = lhs.span.to(rhs.span);
            lhs = node(ExprKind::Binary { op, lhs, rhs }, span)?;
        }
        self.leave(levels);
        Ok(lhs)
    }

    fn unary(&mut self) -> PBox {
        match self.tok.tok {
            Tok::Punct(P::Bang | P::Tilde | P::Minus | P::Star | P::Amp) => self.unary_op(),
            Tok::Punct(P::PlusPlus | P::MinusMinus) => self.prefix_inc_dec(),
            Tok::Punct(P::LParen) if self.is_cast() => self.cast(),
            _ => self.postfix(),
        }
    }

    #[inline(never)]
    fn unary_op(&mut self) -> PBox {
        let op = match self.tok.tok {
            Tok::Punct(P::Bang) => UnOp::Not,
            Tok::Punct(P::Tilde) => UnOp::BitNot,
            Tok::Punct(P::Minus) => UnOp::Neg,
            Tok::Punct(P::Star) => UnOp::Deref,
            _ => UnOp::AddrOf,
        };
        let start = self.bump();
        self.enter()?;
        let expr = self.unary()?;
        self.leave(1);
        let span = start.to(expr.span);
        node(ExprKind::Unary { op, expr }, span)
    }

    #[inline(never)]
    fn prefix_inc_dec(&mut self) -> PBox {
        let increment = self.at(P::PlusPlus);
        let start = self.bump();
        self.enter()?;
        let target = self.unary()?;
        self.leave(1);
        let span = start.to(target.span);
        node(
            ExprKind::IncDec {
                target,
                increment,
                prefix: true,
            },
            span,
        )
    }

    #[inline(never)]
    fn cast(&mut self) -> PBox {
        let start = self.bump();
        let ty = self.type_name()?;
        self.expect(P::RParen)?;
        self.enter()?;
        let expr = self.unary()?;
        self.leave(1);
        let span = start.to(expr.span);
        node(ExprKind::Cast { ty, expr }, span)
    }

    /// Looking at `(`: is this a cast? `(type)`, `(type *)`, `(type[N])`
    /// with a builtin type or `struct`/`union`/`enum`; `(name *)` with any
    /// name; `(name)` when an operand follows.
    fn is_cast(&self) -> bool {
        let toks = self.peek_n(8);
        let Tok::Ident(first) = &toks[0] else {
            return false;
        };
        let mut i = 1;
        let builtin = is_builtin_type(first);
        if matches!(first.as_str(), "struct" | "union" | "enum") {
            if !matches!(toks[1], Tok::Ident(_)) {
                return false;
            }
            i = 2;
        } else if builtin {
            // `unsigned long long`, `long int`, ...
            while matches!(&toks[i], Tok::Ident(s) if is_builtin_type(s)) && i < 4 {
                i += 1;
            }
        }
        let mut pointers = false;
        while i < toks.len() && toks[i].is(P::Star) {
            pointers = true;
            i += 1;
        }
        let mut array = false;
        if i + 2 < toks.len()
            && toks[i].is(P::LBracket)
            && matches!(toks[i + 1], Tok::Int(_))
            && toks[i + 2].is(P::RBracket)
        {
            array = true;
            i += 3;
        }
        if i >= toks.len() || !toks[i].is(P::RParen) {
            return false;
        }
        if builtin || pointers || array {
            return true;
        }
        // `(name) operand`: a typedef'd name.
        toks.get(i + 1).is_some_and(starts_operand)
    }

    /// At a call argument: is it a type (`sizeof(struct x)`,
    /// `sizeof(uint32)`)? A builtin type or `struct`/`union`/`enum` name with
    /// optional `*`s and `[N]`, followed by `,` or `)`.
    fn is_type_arg(&self) -> bool {
        let Tok::Ident(first) = &self.tok.tok else {
            return false;
        };
        if !is_builtin_type(first) {
            return false;
        }
        let mut toks = vec![self.tok.tok.clone()];
        toks.extend(self.peek_n(7));
        let mut i = 1;
        if matches!(first.as_str(), "struct" | "union" | "enum") {
            if !matches!(toks[1], Tok::Ident(_)) {
                return false;
            }
            i = 2;
        } else {
            while i < 4 && matches!(&toks[i], Tok::Ident(s) if is_builtin_type(s)) {
                i += 1;
            }
        }
        while i < toks.len() && toks[i].is(P::Star) {
            i += 1;
        }
        if i + 2 < toks.len() && toks[i].is(P::LBracket) && toks[i + 2].is(P::RBracket) {
            i += 3;
        }
        i < toks.len() && (toks[i].is(P::Comma) || toks[i].is(P::RParen))
    }

    /// A type name: `int32`, `unsigned long`, `struct task_struct *`,
    /// `char[16]`, or any other name (a typedef).
    pub(super) fn type_name(&mut self) -> PResult<TypeName> {
        let start = self.tok.span;
        let Tok::Ident(first) = &self.tok.tok else {
            return Err(self.unexpected(Some("type name")));
        };
        let mut base = first.clone();
        self.bump();
        if matches!(base.as_str(), "struct" | "union" | "enum") {
            let Tok::Ident(name) = &self.tok.tok else {
                return Err(self.unexpected(Some("identifier")));
            };
            base = format!("{base} {name}");
            self.bump();
        } else if is_builtin_type(&base) {
            let mut words = 1;
            while words < 4 {
                match &self.tok.tok {
                    Tok::Ident(w) if is_builtin_type(w) => {
                        base.push(' ');
                        base.push_str(w);
                        self.bump();
                        words += 1;
                    }
                    _ => break,
                }
            }
        }
        let mut pointers: u8 = 0;
        while self.eat(P::Star).is_some() {
            pointers = pointers.saturating_add(1);
        }
        let mut array = None;
        if self.eat(P::LBracket).is_some() {
            let Tok::Int(n) = self.tok.tok else {
                return Err(self.unexpected(Some("integer")));
            };
            let n_span = self.bump();
            let Ok(n) = u32::try_from(n) else {
                return Err(self.error(n_span, "array size too large"));
            };
            array = Some(n);
            self.expect(P::RBracket)?;
        }
        Ok(TypeName {
            base,
            pointers,
            array,
            span: start.to(Span::new(self.prev_end, self.prev_end)),
        })
    }

    fn postfix(&mut self) -> PBox {
        let e = self.primary()?;
        match self.tok.tok {
            Tok::Punct(P::Dot | P::Arrow | P::LBracket | P::PlusPlus | P::MinusMinus) => {
                self.postfix_chain(e)
            }
            _ => Ok(e),
        }
    }

    #[inline(never)]
    fn postfix_chain(&mut self, mut e: Box<Expr>) -> PBox {
        let mut levels = 0;
        loop {
            let start = e.span;
            let kind = match self.tok.tok {
                Tok::Punct(P::Dot | P::Arrow) => self.field(e)?,
                Tok::Punct(P::LBracket) => {
                    self.bump();
                    let index = self.expr_b()?;
                    self.expect(P::RBracket)?;
                    ExprKind::Index { expr: e, index }
                }
                Tok::Punct(P::PlusPlus | P::MinusMinus) => {
                    let increment = self.at(P::PlusPlus);
                    self.bump();
                    ExprKind::IncDec {
                        target: e,
                        increment,
                        prefix: false,
                    }
                }
                _ => break,
            };
            e = node(kind, start.to(Span::new(self.prev_end, self.prev_end)))?;
            self.enter()?;
            levels += 1;
        }
        self.leave(levels);
        Ok(e)
    }

    /// `.field`, `->field` or `.0` after `e`.
    fn field(&mut self, expr: Box<Expr>) -> PResult<ExprKind> {
        let arrow = self.at(P::Arrow);
        self.bump();
        match &self.tok.tok {
            Tok::Ident(f) => {
                let field = f.clone();
                self.bump();
                Ok(ExprKind::Field { expr, field, arrow })
            }
            Tok::Int(n) if !arrow => {
                let n = *n;
                let span = self.tok.span;
                let digits = &self.src[span.start as usize..span.end as usize];
                if !digits.bytes().all(|b| b.is_ascii_digit()) || n > u32::MAX as u64 {
                    return Err(self.error(span, "invalid tuple index"));
                }
                self.bump();
                Ok(ExprKind::TupleIndex {
                    expr,
                    index: n as u32,
                })
            }
            _ => Err(self.unexpected(Some("field name"))),
        }
    }

    fn primary(&mut self) -> PBox {
        match &self.tok.tok {
            Tok::Map(_) => self.map(),
            Tok::Punct(P::LParen) => self.paren(),
            Tok::Ident(_) if self.peek_is(P::LParen) => self.call(),
            _ => self.atom(),
        }
    }

    /// A one-token expression.
    #[inline(never)]
    fn atom(&mut self) -> PBox {
        let span = self.tok.span;
        let kind = match &self.tok.tok {
            Tok::Int(n) => ExprKind::Int(*n),
            Tok::Str(s) => ExprKind::Str(s.clone()),
            Tok::Var(v) => ExprKind::Var(v.clone()),
            Tok::Positional(n) => ExprKind::Positional(*n),
            Tok::PosCount => ExprKind::PositionalCount,
            Tok::Ident(name) if RESERVED.contains(&name.as_str()) => {
                return Err(self.unexpected(None))
            }
            Tok::Ident(name) => match name.as_str() {
                "true" => ExprKind::Bool(true),
                "false" => ExprKind::Bool(false),
                _ => match self.define(name) {
                    Some(ExprKind::Unary { op, mut expr }) => {
                        expr.span = span;
                        ExprKind::Unary { op, expr }
                    }
                    Some(value) => value,
                    None => ExprKind::Builtin(name.clone()),
                },
            },
            _ => return Err(self.unexpected(None)),
        };
        self.bump();
        node(kind, span)
    }

    /// `@name` or `@name[k1, k2]`.
    #[inline(never)]
    fn map(&mut self) -> PBox {
        let Tok::Map(name) = &self.tok.tok else {
            return Err(self.unexpected(None));
        };
        let name = name.clone();
        let start = self.bump();
        let mut keys = Vec::new();
        if self.eat(P::LBracket).is_some() {
            loop {
                keys.push(*self.expr_b()?);
                if self.eat(P::Comma).is_none() {
                    break;
                }
            }
            self.expect(P::RBracket)?;
        }
        let span = start.to(Span::new(self.prev_end, self.prev_end));
        node(ExprKind::Map { name, keys }, span)
    }

    /// `name(args)`; arguments that are types become `TypeArg`.
    #[inline(never)]
    fn call(&mut self) -> PBox {
        let Tok::Ident(name) = &self.tok.tok else {
            return Err(self.unexpected(None));
        };
        if RESERVED.contains(&name.as_str()) {
            return Err(self.unexpected(None));
        }
        let name = name.clone();
        let start = self.bump();
        self.bump(); // (
        let mut args = Vec::new();
        if !self.at(P::RParen) {
            loop {
                if self.is_type_arg() {
                    let ty = self.type_name()?;
                    let span = ty.span;
                    args.push(Expr::new(ExprKind::TypeArg(ty), span));
                } else {
                    args.push(*self.expr_b()?);
                }
                if self.eat(P::Comma).is_none() {
                    break;
                }
            }
        }
        let close = self.expect(P::RParen)?;
        node(ExprKind::Call { name, args }, start.to(close))
    }

    /// `(e)` or a tuple `(a, b)` / `(a,)`.
    #[inline(never)]
    fn paren(&mut self) -> PBox {
        let open = self.bump();
        let first = self.expr_b()?;
        if self.eat(P::Comma).is_none() {
            self.expect(P::RParen)?;
            return Ok(first);
        }
        let mut items = vec![*first];
        while !self.at(P::RParen) {
            items.push(*self.expr_b()?);
            if self.eat(P::Comma).is_none() {
                break;
            }
        }
        let close = self.expect(P::RParen)?;
        node(ExprKind::Tuple(items), open.to(close))
    }
}
