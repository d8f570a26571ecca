//! Blocks and statements.

use super::lexer::{Tok, P};
use super::parser::{PResult, Parser};
use crate::ast::{BinOp, Block, Expr, ExprKind, Stmt, StmtKind};
use crate::span::Span;

/// Does this statement end with a block (so needs no `;` after it)?
fn ends_with_block(kind: &StmtKind) -> bool {
    matches!(
        kind,
        StmtKind::If { .. }
            | StmtKind::Unroll { .. }
            | StmtKind::While { .. }
            | StmtKind::ForMap { .. }
            | StmtKind::ForRange { .. }
            | StmtKind::Block(_)
    )
}

pub(super) fn compound_op(op: &str) -> BinOp {
    match op {
        "+" => BinOp::Add,
        "-" => BinOp::Sub,
        "*" => BinOp::Mul,
        "/" => BinOp::Div,
        "%" => BinOp::Mod,
        "&" => BinOp::BitAnd,
        "|" => BinOp::BitOr,
        "^" => BinOp::BitXor,
        "<<" => BinOp::Shl,
        _ => BinOp::Shr,
    }
}

impl Parser<'_> {
    // As in `expr.rs`, the functions on the recursive path keep few
    // temporaries: a `Stmt` is large, so each kind of statement is built in
    // its own function and pushed straight into the block's list.

    /// `{ stmt; stmt; ... }`
    pub(super) fn block(&mut self) -> PResult<Block> {
        let open = self.expect(P::LBrace)?;
        self.enter()?;
        let mut stmts = Vec::new();
        while self.block_item(&mut stmts)? {}
        let close = self.bump();
        self.leave(1);
        Ok(Block {
            stmts,
            span: open.to(close),
        })
    }

    /// Parses one statement (with its `;`) into `out`; `false` at the `}`.
    fn block_item(&mut self, out: &mut Vec<Stmt>) -> PResult<bool> {
        match &self.tok.tok {
            Tok::Punct(P::RBrace) => return Ok(false),
            Tok::Punct(P::Semi) => {
                self.bump();
                return Ok(true);
            }
            Tok::Eof => return Err(self.unexpected(Some("'}'"))),
            _ => {}
        }
        self.stmt(out)?;
        let needs_semi = out.last().is_some_and(|s| !ends_with_block(&s.kind));
        if needs_semi && !self.at(P::RBrace) && self.eat(P::Semi).is_none() {
            return Err(self.unexpected(Some("';'")));
        }
        Ok(true)
    }

    fn stmt(&mut self, out: &mut Vec<Stmt>) -> PResult<()> {
        match &self.tok.tok {
            Tok::Punct(P::LBrace) => self.block_stmt(out),
            Tok::Ident(kw) => match kw.as_str() {
                "if" => self.if_stmt(out),
                "unroll" | "while" => self.loop_stmt(out),
                "for" => self.for_stmt(out),
                "return" | "break" | "continue" => self.jump_stmt(out),
                "let" => self.let_stmt(out),
                _ => self.expr_or_assign(out),
            },
            _ => self.expr_or_assign(out),
        }
    }

    /// The span from `start` to the end of the last consumed token.
    fn since(&self, start: Span) -> Span {
        start.to(Span::new(self.prev_end, self.prev_end))
    }

    #[inline(never)]
    fn block_stmt(&mut self, out: &mut Vec<Stmt>) -> PResult<()> {
        let b = self.block()?;
        let span = b.span;
        out.push(Stmt {
            kind: StmtKind::Block(b),
            span,
        });
        Ok(())
    }

    /// `while (c) { }`, `unroll (n) { }`
    #[inline(never)]
    fn loop_stmt(&mut self, out: &mut Vec<Stmt>) -> PResult<()> {
        let is_while = self.tok.tok.is_ident("while");
        let start = self.bump();
        let cond = self.expr()?;
        let body = self.block()?;
        let kind = if is_while {
            StmtKind::While { cond, body }
        } else {
            StmtKind::Unroll { count: cond, body }
        };
        out.push(Stmt {
            kind,
            span: self.since(start),
        });
        Ok(())
    }

    /// `return`, `return e`, `break`, `continue`
    #[inline(never)]
    fn jump_stmt(&mut self, out: &mut Vec<Stmt>) -> PResult<()> {
        let kind = if self.tok.tok.is_ident("break") {
            StmtKind::Break
        } else if self.tok.tok.is_ident("continue") {
            StmtKind::Continue
        } else {
            StmtKind::Return(None)
        };
        let start = self.bump();
        let kind = match kind {
            StmtKind::Return(_) if !self.at(P::Semi) && !self.at(P::RBrace) => {
                StmtKind::Return(Some(self.expr()?))
            }
            k => k,
        };
        out.push(Stmt {
            kind,
            span: self.since(start),
        });
        Ok(())
    }

    /// `if (c) { } else if (c) { } else { }`
    #[inline(never)]
    fn if_stmt(&mut self, out: &mut Vec<Stmt>) -> PResult<()> {
        let start = self.bump();
        self.enter()?;
        let cond = self.expr()?;
        let then = self.block()?;
        let els = if self.tok.tok.is_ident("else") {
            self.bump();
            if self.tok.tok.is_ident("if") {
                let mut stmts = Vec::with_capacity(1);
                self.if_stmt(&mut stmts)?;
                let span = stmts.first().map_or_else(Span::default, |s| s.span);
                Some(Block { stmts, span })
            } else if self.at(P::LBrace) {
                Some(self.block()?)
            } else {
                return Err(self.unexpected(Some("'{' or 'if'")));
            }
        } else {
            None
        };
        self.leave(1);
        out.push(Stmt {
            kind: StmtKind::If { cond, then, els },
            span: self.since(start),
        });
        Ok(())
    }

    /// `for ($kv : @map) { }` or `for ($i : start..end) { }`; the
    /// parentheses may be left out, as newer bpftrace allows.
    #[inline(never)]
    fn for_stmt(&mut self, out: &mut Vec<Stmt>) -> PResult<()> {
        let start_span = self.bump();
        let paren = self.eat(P::LParen).is_some();
        let Tok::Var(var) = &self.tok.tok else {
            return Err(self.unexpected(Some("variable")));
        };
        let var = var.clone();
        self.bump();
        self.expect(P::Colon)?;
        let close = if paren { P::RParen } else { P::LBrace };
        if let Tok::Map(map) = &self.tok.tok {
            if self.peek_is(close) {
                let map = map.clone();
                self.bump();
                if paren {
                    self.bump();
                }
                let body = self.block()?;
                out.push(Stmt {
                    kind: StmtKind::ForMap { var, map, body },
                    span: self.since(start_span),
                });
                return Ok(());
            }
        }
        let start = self.expr()?;
        self.expect(P::DotDot)?;
        let end = self.expr()?;
        if paren {
            self.expect(P::RParen)?;
        }
        let body = self.block()?;
        out.push(Stmt {
            kind: StmtKind::ForRange {
                var,
                start,
                end,
                body,
            },
            span: self.since(start_span),
        });
        Ok(())
    }

    /// `let $x;`, `let $x = e;`, `let $x: type = e;`
    #[inline(never)]
    fn let_stmt(&mut self, out: &mut Vec<Stmt>) -> PResult<()> {
        let start = self.bump();
        let Tok::Var(name) = &self.tok.tok else {
            return Err(self.unexpected(Some("variable")));
        };
        let name = name.clone();
        self.bump();
        let ty = if self.eat(P::Colon).is_some() {
            Some(self.type_name()?)
        } else {
            None
        };
        let value = if self.eat(P::Assign).is_some() {
            Some(self.expr()?)
        } else {
            None
        };
        out.push(Stmt {
            kind: StmtKind::Let { name, ty, value },
            span: self.since(start),
        });
        Ok(())
    }

    /// An expression statement, or an assignment to a variable or map.
    #[inline(never)]
    fn expr_or_assign(&mut self, out: &mut Vec<Stmt>) -> PResult<()> {
        let target = self.expr()?;
        let op = match self.tok.tok {
            Tok::Punct(P::Assign) => None,
            Tok::Punct(P::OpAssign(op)) => Some(compound_op(op)),
            _ => {
                let span = target.span;
                out.push(Stmt {
                    kind: StmtKind::Expr(target),
                    span,
                });
                return Ok(());
            }
        };
        self.check_assignable(&target)?;
        self.bump();
        let value = self.expr()?;
        let span = target.span.to(value.span);
        out.push(Stmt {
            kind: StmtKind::Assign { target, op, value },
            span,
        });
        Ok(())
    }

    fn check_assignable(&mut self, target: &Expr) -> PResult<()> {
        match &target.kind {
            ExprKind::Var(_) | ExprKind::Map { .. } => Ok(()),
            ExprKind::TupleIndex { .. } => Err(self.error(
                target.span,
                "tuples are immutable once created; consider creating a new tuple and \
                 assigning it instead",
            )),
            _ => {
                let msg = format!(
                    "syntax error, unexpected '{}': only variables and maps can be assigned to",
                    match self.tok.tok {
                        Tok::Punct(p) => p.text(),
                        _ => "=",
                    }
                );
                Err(self.error(self.tok.span, msg))
            }
        }
    }
}
