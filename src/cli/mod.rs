//! Argument parsing and the top-level flow: compile, load, attach, run.

mod args;
mod confirm;
mod tool;

use args::Args;
use clap::Parser;
use scry_lang::spec::Options;
use scry_runtime::child::Child;
use scry_runtime::error::RuntimeError;
use scry_runtime::run::{self, Format, RunConfig};
use scry_runtime::session::Session;
use scry_runtime::sysenv::SysEnv;
use std::io::{Read, Write};

/// Prints one error line (or a rendered diagnostic) and returns exit 1.
fn fail(msg: impl std::fmt::Display) -> i32 {
    let text = msg.to_string();
    eprint!(
        "{}",
        if text.ends_with('\n') {
            text
        } else {
            format!("{text}\n")
        }
    );
    1
}

pub fn main() -> i32 {
    // `scry tool ...`: the BCC tools, with their own parsers.
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if argv.get(1).is_some_and(|a| a == "tool") {
        return tool::main(argv[2..].to_vec());
    }
    let args = Args::parse();
    let env = SysEnv::new();
    if args.list {
        return list(&args, &env);
    }
    if args.info {
        return info(&env);
    }
    // aya's feature probes and loader overlap the compilation.
    scry_runtime::loader::prewarm();
    let (file, source, params) = match args.script() {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if source.trim().is_empty() {
        return fail(match &args.expr {
            Some(e) => format!("ERROR: -e '{e}': the program is empty"),
            None => format!("{file}: error: the script is empty"),
        });
    }
    if let Err(e) = scry_runtime::error::check_privileges() {
        return fail(format!("ERROR: {e}"));
    }
    let mut child = None;
    if let Some(cmd) = &args.command {
        match Child::spawn_paused(cmd) {
            Ok(c) => child = Some(c),
            Err(e) => return fail(format!("ERROR: {e}")),
        }
    }
    let opts = Options {
        params,
        pid: args.pid.or(child.as_ref().map(|c| c.pid)),
        child_pid: child.as_ref().map(|c| c.pid),
        unsafe_ok: args.unsafe_,
        dump: args.dump_stages(),
        max_strlen: args.max_strlen,
        ringbuf_size: args.ringbuf_size,
        map_entries: args.map_entries,
    };
    if let Some(pid) = args.pid {
        if unsafe { libc::kill(pid, 0) } != 0
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
        {
            return fail(format!("ERROR: -p {pid}: no such process"));
        }
    }
    scry_runtime::timing::mark("compile: begin");
    let compiled = scry_lang::compile(&source, &env, &opts);
    scry_runtime::timing::mark("compile: done");
    let compiled = match compiled {
        Ok(c) => c,
        Err(diags) => return fail(scry_lang::diag::render_all(&diags, &file, &source)),
    };
    if compiled.programs.len() > args.max_probes {
        if let Err(e) = confirm::many_probes(compiled.programs.len(), args.max_probes) {
            return fail(e);
        }
    }
    for (stage, text) in &compiled.dumps {
        eprintln!("--- {stage} ---\n{text}");
    }
    if let Some(path) = &args.emit_elf {
        if let Err(e) = std::fs::write(path, &compiled.object) {
            return fail(format!("ERROR: {path}: {e}"));
        }
    }
    let mut session = match Session::load(compiled, &env, &file, &source) {
        Ok(s) => s,
        Err(e) => {
            return report(
                e,
                args.verbose || args.dump_stages().iter().any(|d| d == "verifier"),
            )
        }
    };
    if args.dump_stages().iter().any(|d| d == "verifier") {
        for (probe, log) in scry_runtime::verifier_log::verifier_logs(&session) {
            eprintln!("--- verifier: {probe} ---\n{log}");
        }
    }
    // --emit-elf is a dry run, as in bpftrace: the object is for reading.
    if args.dry_run || args.emit_elf.is_some() {
        if !args.quiet {
            let flag = if args.dry_run {
                "--dry-run"
            } else {
                "--emit-elf"
            };
            println!(
                "{}: compiled and verified {} program(s); not attached ({flag})",
                file,
                session.compiled.programs.len()
            );
        }
        return 0;
    }
    run::install_signal_handlers();
    if let Err(e) = session.attach() {
        return report(e, args.verbose);
    }
    let cfg = RunConfig {
        format: if args.format == "json" {
            Format::Json
        } else {
            Format::Text
        },
        quiet: args.quiet,
        verbose: args.verbose,
    };
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => match std::fs::File::create(path) {
            Ok(f) => Box::new(std::io::BufWriter::new(f)),
            Err(e) => return fail(format!("ERROR: {path}: {e}")),
        },
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let watched = child.as_mut().map(|c| c as &mut dyn run::Watched);
    match run::run(&mut session, &cfg, &mut out, watched) {
        Ok(code) => code,
        Err(e) => report(e, args.verbose),
    }
}

fn report(e: RuntimeError, verbose: bool) -> i32 {
    if let RuntimeError::OutputClosed = e {
        return 0;
    }
    if let RuntimeError::Verifier { message, log } = &e {
        if verbose {
            eprintln!("{log}");
        }
        return fail(message);
    }
    fail(format!("ERROR: {e}"))
}

fn list(args: &Args, env: &SysEnv) -> i32 {
    let pattern = args
        .positional
        .first()
        .map(String::as_str)
        .or(args.expr.as_deref());
    match scry_runtime::listing::list(pattern, args.verbose, env) {
        Ok(lines) => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for l in lines {
                let _ = writeln!(out, "{l}");
            }
            0
        }
        Err(e) => fail(format!("ERROR: {e}")),
    }
}

fn info(env: &SysEnv) -> i32 {
    let f = env.features();
    let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
    unsafe { libc::uname(&mut uts) };
    let release = unsafe { std::ffi::CStr::from_ptr(uts.release.as_ptr()) }
        .to_string_lossy()
        .into_owned();
    println!(
        "System\n  kernel: {release}\n  cpus: {}",
        scry_lang::env::Env::ncpus(env)
    );
    println!(
        "Build\n  scry: {}\n  compiler: built in (no LLVM/clang)",
        env!("CARGO_PKG_VERSION")
    );
    let yn = |b: bool| if b { "yes" } else { "no" };
    println!("Kernel features");
    println!("  btf: {}", yn(f.btf));
    println!("  ringbuf: {}", yn(f.ringbuf));
    println!("  kprobes: {}", yn(f.kprobes));
    println!("  uprobes: {}", yn(f.uprobes));
    println!("  fentry/fexit: {}", yn(env.fentry_supported()));
    println!("  hardware events: {}", yn(f.hardware_events));
    0
}

/// An I/O error as a sentence, without Rust's "(os error N)" suffix.
fn io_message(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Reads the script from -e, a file, or stdin (`-`).
pub fn read_script(path: &str) -> Result<(String, String), String> {
    if path == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("ERROR: stdin: {e}"))?;
        return Ok(("stdin".into(), s));
    }
    std::fs::read_to_string(path)
        .map(|s| (path.to_string(), s))
        .map_err(|e| format!("ERROR: {path}: {}", io_message(&e)))
}
