//! The flags, as bpftrace spells them.

use clap::Parser;

#[derive(Parser, Debug)]
#[command(
    name = "scry",
    version,
    about = "Dynamic tracing for Linux: bpftrace's language, compiled in pure Rust",
    after_help = "EXAMPLES:\n  scry -l '*sleep*'\n  scry -e 'tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }'\n  scry -e 'BEGIN { printf(\"hello\\n\"); exit(); }'\n  scry script.bt arg1 arg2\n  scry tool                 (BCC's tools: opensnoop, biolatency, ...)"
)]
pub struct Args {
    /// The program to run.
    #[arg(short = 'e', value_name = "PROGRAM")]
    pub expr: Option<String>,
    /// List probes (optionally matching a pattern).
    #[arg(short = 'l')]
    pub list: bool,
    /// Trace this process id only (uprobes, usdt).
    #[arg(short = 'p', value_name = "PID")]
    pub pid: Option<i32>,
    /// Run this command, trace it from its exec, stop when it ends.
    #[arg(short = 'c', value_name = "CMD")]
    pub command: Option<String>,
    /// Output format: text or json.
    #[arg(short = 'f', value_name = "FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
    /// Write output to a file.
    #[arg(short = 'o', value_name = "FILE")]
    pub output: Option<String>,
    /// Quiet: no "Attaching" line.
    #[arg(short = 'q')]
    pub quiet: bool,
    /// Verbose: verifier logs, listing details.
    #[arg(short = 'v')]
    pub verbose: bool,
    /// Dump compiler stages: ast, types, ir, asm, verifier (comma-separated or repeated).
    #[arg(short = 'd', value_name = "STAGE")]
    pub dump: Vec<String>,
    /// Compile and verify, but do not attach.
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Print what this kernel supports.
    #[arg(long)]
    pub info: bool,
    /// Allow unsafe functions (system, signal, override).
    #[arg(long = "unsafe")]
    pub unsafe_: bool,
    /// Save the generated BPF object, then stop (a dry run: nothing is attached)
    #[arg(long = "emit-elf", value_name = "FILE")]
    pub emit_elf: Option<String>,
    /// Maximum string length read by str() (BPFTRACE_MAX_STRLEN).
    #[arg(long = "max-strlen", value_name = "BYTES", default_value_t = default_strlen())]
    pub max_strlen: u32,
    /// Ring buffer size in bytes (a power of two, at least a page).
    #[arg(long = "ringbuf-size", value_name = "BYTES", default_value_t = 1 << 20)]
    pub ringbuf_size: u32,
    /// Maximum entries of each map (BPFTRACE_MAP_KEYS_MAX).
    #[arg(long = "map-entries", value_name = "N", default_value_t = 4096)]
    pub map_entries: u32,
    /// Refuse scripts that would attach more than this many probes (at a
    /// terminal, ask first).
    #[arg(long = "max-probes", value_name = "N", default_value_t = 1024)]
    pub max_probes: usize,
    /// The script file (unless -e), then its arguments ($1, $2, ...).
    pub positional: Vec<String>,
}

fn default_strlen() -> u32 {
    std::env::var("BPFTRACE_MAX_STRLEN")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64)
}

impl Args {
    /// (file name for messages, source, positional parameters).
    pub fn script(&self) -> Result<(String, String, Vec<String>), String> {
        if let Some(e) = &self.expr {
            return Ok(("stdin".into(), e.clone(), self.positional.clone()));
        }
        let Some(path) = self.positional.first() else {
            return Err(
                "ERROR: no program given: use -e 'PROGRAM' or a script file (see --help)".into(),
            );
        };
        let (file, source) = super::read_script(path)?;
        Ok((file, source, self.positional[1..].to_vec()))
    }

    pub fn dump_stages(&self) -> Vec<String> {
        self.dump
            .iter()
            .flat_map(|d| d.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }
}
