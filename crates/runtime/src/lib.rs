//! scry-runtime: the only crate that talks to the kernel. It implements the
//! compiler's view of the machine ([`sysenv::SysEnv`]), loads and attaches
//! compiled scripts ([`session::Session`]), runs the event loop
//! ([`run::run`]) and reads maps back into the output model.
//!
//! A program can trace with it as BCC's Python API does:
//!
//! ```no_run
//! use scry_lang::spec::Options;
//! use scry_runtime::{session::Session, sysenv::SysEnv};
//!
//! let src = "tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }";
//! let env = SysEnv::new();
//! let compiled = scry_lang::compile(src, &env, &Options::default()).expect("compiles");
//! let mut session = Session::load(compiled, &env, "example", src).expect("loads");
//! session.attach().expect("attaches");
//! std::thread::sleep(std::time::Duration::from_secs(1));
//! let counts = session.read_map("@").expect("readable");
//! print!("{}", scry_output::print_map_text(&counts, 0, 0));
//! ```
pub mod bpfsys;
pub mod child;
pub mod decode;
pub mod elfsyms;
pub mod error;
pub mod fault;
pub mod features;
pub mod glob;
pub mod listing;
pub mod loader;
pub mod losses;
pub mod mapread;
pub mod pace;
pub mod rawload;
pub mod run;
pub mod session;
pub mod symbols;
pub mod sysenv;
pub mod timing;
pub mod tracefs;
pub mod usdt;
pub mod verifier_log;
