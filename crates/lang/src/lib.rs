//! scry-lang: the bpftrace-language compiler. Source in, BPF object out; no
//! syscalls, deterministic.
//!
//! Pipeline: [`parse`] (lexer, parser → [`ast`]) → [`sema`] (probes
//! expanded, types from BTF and tracepoint formats) → [`codegen`] (BPF
//! instructions) → [`elf`] (the object the runtime loads).

pub mod ast;
pub mod codegen;
mod compile;
pub mod diag;
pub mod elf;
pub mod env;
pub mod glob;
pub mod parse;
pub mod sema;
pub mod span;
pub mod spec;
pub mod types;
pub mod usdt_arg;
pub use compile::compile;
