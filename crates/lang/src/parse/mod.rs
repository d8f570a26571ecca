//! Lexer and recursive-descent parser.
//!
//! [`parse`] turns a bpftrace-language script into an [`ast::Program`] and a
//! list of diagnostics. It never panics: on a syntax error it records one
//! diagnostic and returns the probes built so far. [`dump`] prints the tree
//! for `scry -d ast`.

mod attach;
mod dump;
mod expr;
mod lexer;
mod parser;
mod stmt;

use crate::{ast, diag};

pub use parser::MAX_DEPTH;

/// Parses a whole script.
///
/// Variable names keep their `$` (`$x`), map names their `@` (`@m`, `@`).
/// Preprocessor lines (`#include`, `#define`, ...) and C definitions
/// (`struct X { ... };`) at the top level are skipped.
pub fn parse(source: &str) -> (ast::Program, Vec<diag::Diagnostic>) {
    let mut program = ast::Program::default();
    let mut p = parser::Parser::new(source);
    p.program(&mut program);
    (program, p.finish())
}

/// A readable indented tree, one node per line (`scry -d ast`).
pub fn dump(program: &ast::Program) -> String {
    dump::dump(program)
}
