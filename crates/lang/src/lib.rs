//! scry-lang: the bpftrace-language compiler. Source in, BPF object out; no
//! syscalls, deterministic.
//!
//! Pipeline: [`parse`] (lexer, parser → [`ast`]) → `sema` (types from BTF and
//! tracepoint formats) → `codegen` (BPF instructions) → `elf` (the object).

pub mod ast;
pub mod diag;
pub mod env;
pub mod parse;
pub mod span;
pub mod types;
